//! Bindings of `thresher_core::rebalance`: float32 or float64 numpy matrices in (no
//! copy), one core call without the GIL, numpy or typed results out.

use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;

use thresher_core::linalg::{Dense, Matrix, Real};
use thresher_core::rebalance::{self, Search};

use crate::convert::choice::{ResampleChoice, ResampleName};
use crate::convert::matrix::PyMatrix;
use crate::convert::vector::slice;
use crate::detach::run;
use crate::errors::invalid;

/// `f(view)` on the float32 or float64 rows of `x` (float16 is refused: synthetic
/// points are stored in the input's type).
macro_rules! with_features {
    ($x:expr, $name:expr, |$v:ident| $body:expr) => {
        match $x.view($name)? {
            Matrix::F32($v) => $body,
            Matrix::F64($v) => $body,
            Matrix::F16(_) => {
                return Err(invalid(
                    $name,
                    "must be a 2-D numpy array of float32 or float64",
                ))
            }
        }
    };
}

/// Resampled rows: the features, their class codes, and where each synthetic row came
/// from (`parent`, `neighbor` and `gap`; `-1`/`NaN` for copied rows).
#[pyclass(module = "thresher._core", name = "Resampled", frozen)]
pub struct PyResampled {
    /// `(rows, d)` features, of the input's dtype.
    #[pyo3(get)]
    x: Py<PyAny>,
    /// The class code of each row.
    #[pyo3(get)]
    labels: Py<PyArray1<u32>>,
    /// The input row each row was copied or interpolated from.
    #[pyo3(get)]
    parent: Py<PyArray1<i64>>,
    /// The neighbour interpolated towards (`-1` for copies).
    #[pyo3(get)]
    neighbor: Py<PyArray1<i64>>,
    /// The interpolation gap (`NaN` for copies).
    #[pyo3(get)]
    gap: Py<PyArray1<f64>>,
}

impl PyResampled {
    fn new<T: Real + numpy::Element>(
        py: Python<'_>,
        r: rebalance::Resampled<T>,
        d: usize,
    ) -> PyResult<Self> {
        Ok(PyResampled {
            x: PyArray1::from_vec(py, r.x)
                .reshape([r.rows, d])?
                .into_any()
                .unbind(),
            labels: PyArray1::from_vec(py, r.labels).unbind(),
            parent: PyArray1::from_vec(py, r.parent).unbind(),
            neighbor: PyArray1::from_vec(py, r.neighbour).unbind(),
            gap: PyArray1::from_vec(py, r.gap).unbind(),
        })
    }
}

/// The core resampling of `v`.
fn resampled<T: Real + numpy::Element>(
    py: Python<'_>,
    v: Dense<'_, T>,
    labels: &[u32],
    targets: &[u64],
    method: rebalance::Method,
    seed: u64,
) -> PyResult<PyResampled> {
    let r = run(py, None, |_| {
        rebalance::resample(&v, labels, targets, method, seed)
    })?;
    PyResampled::new(py, r, v.cols())
}

/// Resample `x` to `targets[c]` rows of class code `c`.
#[pyfunction]
#[pyo3(signature = (x, labels, targets, method=ResampleChoice(ResampleName::Smote), k_neighbors=5, seed=0, cell_size=None, probe=3))]
#[pyo3(
    text_signature = "(x, labels, targets, method='smote', k_neighbors=5, seed=0, cell_size=None, probe=3)"
)]
#[allow(clippy::too_many_arguments)]
pub fn resample<'py>(
    py: Python<'py>,
    x: PyMatrix<'py>,
    labels: PyReadonlyArray1<'py, u32>,
    targets: Vec<u64>,
    method: ResampleChoice,
    k_neighbors: usize,
    seed: u64,
    cell_size: Option<usize>,
    probe: usize,
) -> PyResult<PyResampled> {
    let search = match cell_size {
        Some(cell_size) => Search::Cells { cell_size, probe },
        None => Search::Exact,
    };
    let m = method.0.method(k_neighbors, search);
    let labels = slice(&labels, "labels")?;
    with_features!(x, "x", |v| resampled(py, v, labels, &targets, m, seed))
}

/// The `k` nearest neighbours of every row among the other rows (`(n, k)` uint32),
/// exact or within k-means cells of about `cell_size` rows.
#[pyfunction]
#[pyo3(signature = (x, k, seed=0, cell_size=None, probe=3))]
pub fn nearest_neighbors<'py>(
    py: Python<'py>,
    x: PyMatrix<'py>,
    k: usize,
    seed: u64,
    cell_size: Option<usize>,
    probe: usize,
) -> PyResult<Bound<'py, PyArray2<u32>>> {
    let search = match cell_size {
        Some(cell_size) => Search::Cells { cell_size, probe },
        None => Search::Exact,
    };
    let v = x.view("x")?;
    if let Matrix::F16(_) = v {
        return Err(invalid(
            "x",
            "must be a 2-D numpy array of float32 or float64",
        ));
    }
    let (n, d) = (v.rows(), v.cols());
    if k == 0 || n <= k {
        return Err(invalid(
            "k",
            format!(
                "must be between 1 and {} (rows - 1), got {k}",
                n.saturating_sub(1)
            ),
        ));
    }
    // The float32 copy is made in the pool, without the GIL.
    let found = run(py, None, |_| {
        rebalance::neighbours(&v.to_f32(), d, k, search, seed)
    })?;
    PyArray1::from_vec(py, found).reshape([n, k])
}

/// Register the functions on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyResampled>()?;
    m.add_function(wrap_pyfunction!(resample, m)?)?;
    m.add_function(wrap_pyfunction!(nearest_neighbors, m)?)?;
    Ok(())
}
