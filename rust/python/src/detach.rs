//! The one helper through which long work runs: without the GIL, in thresher's pool,
//! with progress reported to Python and Ctrl-C honoured between batches.

use std::sync::Mutex;

use pyo3::prelude::*;
use thresher_core::stream::Progress;
use thresher_core::{Error, Result};

use crate::errors::CoreError;
use crate::threads::pool;

/// Progress that calls a Python callable `callback(rows, bytes)` after every batch and
/// checks for signals; the first Python error stops the work and is re-raised.
struct PyProgress<'a> {
    callback: Option<&'a Py<PyAny>>,
    error: Mutex<Option<PyErr>>,
}

impl Progress for PyProgress<'_> {
    fn advance(&self, rows: u64, bytes: u64) -> Result<()> {
        let outcome = Python::attach(|py| -> PyResult<()> {
            py.check_signals()?;
            if let Some(callback) = self.callback {
                callback.call1(py, (rows, bytes))?;
            }
            Ok(())
        });
        outcome.map_err(|e| {
            *self.error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
            Error::Interrupted
        })
    }
}

/// Run `work` without the GIL inside the thread pool. Core errors become typed Python
/// exceptions; an interruption re-raises the Python error that caused it.
pub fn run<T: Send>(
    py: Python<'_>,
    progress: Option<&Py<PyAny>>,
    work: impl FnOnce(&dyn Progress) -> Result<T> + Send,
) -> PyResult<T> {
    let reporter = PyProgress {
        callback: progress,
        error: Mutex::new(None),
    };
    let pool = pool();
    let outcome = py.detach(|| pool.install(|| work(&reporter)));
    match outcome {
        Ok(value) => Ok(value),
        Err(Error::Interrupted) => {
            let stored = reporter
                .error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            Err(stored.unwrap_or_else(|| CoreError(Error::Interrupted).into()))
        }
        Err(e) => Err(CoreError(e).into()),
    }
}
