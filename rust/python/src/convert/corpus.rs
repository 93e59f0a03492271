//! Corpus input from Python: our own JSONL file lists, or any Arrow C stream.

use pyo3::prelude::*;
use pyo3_arrow::PyRecordBatchReader;
use std::path::PathBuf;

use thresher_core::spill::read_spill;
use thresher_core::stream::BatchStream;
use thresher_core::Error;

use crate::errors::CoreError;
use crate::io::JsonlFiles;

/// A corpus already decoded to a local Arrow IPC file by an earlier pass (see
/// `thresher_core::spill`).
#[pyclass(module = "thresher._core", name = "SpilledCorpus", frozen)]
pub struct SpilledCorpus {
    path: PathBuf,
}

#[pymethods]
impl SpilledCorpus {
    #[new]
    pub fn new(path: PathBuf) -> Self {
        SpilledCorpus { path }
    }

    /// The spill file.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }
}

/// What kernels accept as a corpus.
pub enum Corpus {
    /// A decoded copy written by an earlier pass.
    Spilled(PathBuf),
    /// JSONL files read in Rust (errors keep file and line).
    Files(Py<JsonlFiles>),
    /// Anything with `__arrow_c_stream__` (pyarrow, polars, duckdb...).
    Arrow(PyRecordBatchReader),
}

impl<'a, 'py> FromPyObject<'a, 'py> for Corpus {
    type Error = PyErr;

    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(spill) = ob.cast::<SpilledCorpus>() {
            return Ok(Corpus::Spilled(spill.get().path.clone()));
        }
        if let Ok(files) = ob.cast::<JsonlFiles>() {
            return Ok(Corpus::Files(files.to_owned().unbind()));
        }
        Ok(Corpus::Arrow(ob.extract()?))
    }
}

/// Open the corpus as a lazy stream: batches are pulled one at a time and chunked
/// tables are never concatenated.
pub fn into_stream(py: Python<'_>, corpus: Corpus) -> PyResult<BatchStream> {
    match corpus {
        Corpus::Spilled(path) => Ok(read_spill(&path).map_err(CoreError::from)?),
        Corpus::Files(files) => {
            let (_, stream) =
                crate::detach::run(py, None, |_| files.get().open().map_err(|e| e.0))?;
            Ok(stream)
        }
        Corpus::Arrow(reader) => {
            let reader = reader.into_reader()?;
            Ok(Box::new(reader.map(|batch| batch.map_err(Error::from))))
        }
    }
}
