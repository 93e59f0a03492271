//! Bindings of `thresher_core::valuation`: K-NN Shapley values of numpy matrices.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use thresher_core::valuation;

use crate::detach::run;
use crate::errors::invalid;
use crate::rebalance::{view, Features};

/// Exact K-NN Shapley values of the training rows (float64, one per row).
#[pyfunction]
#[pyo3(signature = (x_train, y_train, x_val, y_val, k, progress=None))]
pub fn knn_shapley<'py>(
    py: Python<'py>,
    x_train: Features<'py>,
    y_train: PyReadonlyArray1<'py, u32>,
    x_val: Features<'py>,
    y_val: PyReadonlyArray1<'py, u32>,
    k: usize,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (yt, yv) = (y_train.as_slice()?, y_val.as_slice()?);
    let values = match (&x_train, &x_val) {
        (Features::F32(t), Features::F32(v)) => {
            let (t, v) = (view(t, "x_train")?, view(v, "x_val")?);
            run(py, progress.as_ref(), |p| {
                valuation::knn_shapley(&t, yt, &v, yv, k, p)
            })?
        }
        (Features::F64(t), Features::F64(v)) => {
            let (t, v) = (view(t, "x_train")?, view(v, "x_val")?);
            run(py, progress.as_ref(), |p| {
                valuation::knn_shapley(&t, yt, &v, yv, k, p)
            })?
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
