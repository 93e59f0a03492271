//! Bindings of `thresher_core::rebalance`: float32 or float64 numpy matrices in (no
//! copy), one core call without the GIL, numpy out.

use numpy::{
    PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use thresher_core::rebalance::{self, Dense, Method, Real, Search};

use crate::detach::run;
use crate::errors::{invalid, CoreError};

/// A 2-D float32 or float64 numpy array, borrowed read-only.
pub enum Features<'py> {
    /// float32.
    F32(PyReadonlyArray2<'py, f32>),
    /// float64.
    F64(PyReadonlyArray2<'py, f64>),
}

impl<'a, 'py> FromPyObject<'a, 'py> for Features<'py> {
    type Error = PyErr;

    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(a) = ob.extract::<PyReadonlyArray2<'py, f32>>() {
            return Ok(Features::F32(a));
        }
        if let Ok(a) = ob.extract::<PyReadonlyArray2<'py, f64>>() {
            return Ok(Features::F64(a));
        }
        Err(invalid(
            "x",
            "must be a 2-D numpy array of float32 or float64",
        ))
    }
}

/// A core view of a numpy array whose rows are contiguous (no copy).
pub fn view<'b, T: Real + numpy::Element>(
    a: &'b PyReadonlyArray2<'_, T>,
    name: &str,
) -> PyResult<Dense<'b, T>> {
    let (rows, cols) = (a.shape()[0], a.shape()[1]);
    let item = std::mem::size_of::<T>() as isize;
    let strides = a.strides();
    let stride = if rows <= 1 {
        cols
    } else {
        (strides[0] / item).max(0) as usize
    };
    if rows > 1 && (strides[0] <= 0 || strides[0] % item != 0)
        || (cols > 1 && strides[1] != item)
        || stride < cols
    {
        return Err(invalid(
            name,
            "rows must be contiguous in memory; pass numpy.ascontiguousarray(x)",
        ));
    }
    let len = if rows == 0 {
        0
    } else {
        (rows - 1) * stride + cols
    };
    // SAFETY: the readonly borrow keeps the buffer alive and unmodified; the checks above
    // keep `len` elements from the data pointer inside it.
    let data = unsafe { std::slice::from_raw_parts(a.data() as *const T, len) };
    Ok(Dense::new(data, rows, cols, stride, name).map_err(CoreError::from)?)
}

fn method(name: &str, k: usize, cell_size: Option<usize>, probe: usize) -> PyResult<Method> {
    let search = match cell_size {
        Some(cell_size) => Search::Cells { cell_size, probe },
        None => Search::Exact,
    };
    match name {
        "smote" => Ok(Method::Smote { k, search }),
        "over" => Ok(Method::RandomOver),
        "under" => Ok(Method::RandomUnder),
        other => Err(invalid(
            "method",
            format!("must be 'smote', 'over' or 'under', got {other:?}"),
        )),
    }
}

fn resampled<'py, T: Real + numpy::Element>(
    py: Python<'py>,
    r: rebalance::Resampled<T>,
    d: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("x", PyArray1::from_vec(py, r.x).reshape([r.rows, d])?)?;
    out.set_item("labels", PyArray1::from_vec(py, r.labels))?;
    out.set_item("parent", PyArray1::from_vec(py, r.parent))?;
    out.set_item("neighbor", PyArray1::from_vec(py, r.neighbour))?;
    out.set_item("gap", PyArray1::from_vec(py, r.gap))?;
    Ok(out)
}

/// Resample `x` to `targets[c]` rows of class code `c`: a dict of numpy arrays
/// (`x`, `labels`, `parent`, `neighbor`, `gap`).
#[pyfunction]
#[pyo3(signature = (x, labels, targets, method="smote", k_neighbors=5, seed=0, cell_size=None, probe=3))]
#[allow(clippy::too_many_arguments)]
pub fn resample<'py>(
    py: Python<'py>,
    x: Features<'py>,
    labels: PyReadonlyArray1<'py, u32>,
    targets: Vec<u64>,
    method: &str,
    k_neighbors: usize,
    seed: u64,
    cell_size: Option<usize>,
    probe: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let m = self::method(method, k_neighbors, cell_size, probe)?;
    let labels = labels.as_slice()?;
    match &x {
        Features::F32(a) => {
            let v = view(a, "x")?;
            let r = run(py, None, |_| {
                rebalance::resample(&v, labels, &targets, m, seed)
            })?;
            resampled(py, r, v.cols())
        }
        Features::F64(a) => {
            let v = view(a, "x")?;
            let r = run(py, None, |_| {
                rebalance::resample(&v, labels, &targets, m, seed)
            })?;
            resampled(py, r, v.cols())
        }
    }
}

/// The `k` nearest neighbours of every row among the other rows (`(n, k)` uint32),
/// exact or within k-means cells of about `cell_size` rows.
#[pyfunction]
#[pyo3(signature = (x, k, seed=0, cell_size=None, probe=3))]
pub fn nearest_neighbors<'py>(
    py: Python<'py>,
    x: Features<'py>,
    k: usize,
    seed: u64,
    cell_size: Option<usize>,
    probe: usize,
) -> PyResult<Bound<'py, PyArray2<u32>>> {
    let search = match cell_size {
        Some(cell_size) => Search::Cells { cell_size, probe },
        None => Search::Exact,
    };
    let points = match &x {
        Features::F32(a) => view(a, "x")?.to_f32().into_owned(),
        Features::F64(a) => view(a, "x")?.to_f32().into_owned(),
    };
    let d = match &x {
        Features::F32(a) => a.shape()[1],
        Features::F64(a) => a.shape()[1],
    };
    let n = points.len() / d.max(1);
    if k == 0 || n <= k {
        return Err(invalid(
            "k",
            format!(
                "must be between 1 and {} (rows - 1), got {k}",
                n.saturating_sub(1)
            ),
        ));
    }
    let found = run(py, None, |_| {
        rebalance::neighbours(&points, d, k, search, seed)
    })?;
    PyArray1::from_vec(py, found).reshape([n, k])
}

/// Register the functions on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(resample, m)?)?;
    m.add_function(wrap_pyfunction!(nearest_neighbors, m)?)?;
    Ok(())
}
