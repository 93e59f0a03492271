//! Bindings of `thresher_core::valuation`: K-NN Shapley values of numpy matrices.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use thresher_core::linalg::Matrix;
use thresher_core::valuation;

use crate::convert::matrix::PyMatrix;
use crate::convert::vector::slice;
use crate::detach::run;
use crate::errors::invalid;

/// Exact K-NN Shapley values of the training rows (float64, one per row).
#[pyfunction]
#[pyo3(signature = (x_train, y_train, x_val, y_val, k, progress=None))]
pub fn knn_shapley<'py>(
    py: Python<'py>,
    x_train: PyMatrix<'py>,
    y_train: PyReadonlyArray1<'py, u32>,
    x_val: PyMatrix<'py>,
    y_val: PyReadonlyArray1<'py, u32>,
    k: usize,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (yt, yv) = (slice(&y_train, "y_train")?, slice(&y_val, "y_val")?);
    let values = match (x_train.view("x_train")?, x_val.view("x_val")?) {
        (Matrix::F32(t), Matrix::F32(v)) => run(py, progress.as_ref(), |p| {
            valuation::knn_shapley(&t, yt, &v, yv, k, p)
        })?,
        (Matrix::F64(t), Matrix::F64(v)) => run(py, progress.as_ref(), |p| {
            valuation::knn_shapley(&t, yt, &v, yv, k, p)
        })?,
        (Matrix::F16(_), _) => {
            return Err(invalid(
                "x",
                "must be a 2-D numpy array of float32 or float64",
            ))
        }
        _ => return Err(invalid("x_val", "must have the same dtype as x_train")),
    };
    Ok(PyArray1::from_vec(py, values))
}

/// Register the functions on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(knn_shapley, m)?)?;
    Ok(())
}
