//! Corpus input from Python: our own JSONL file lists, or any Arrow C stream.

use pyo3::prelude::*;
use pyo3_arrow::PyRecordBatchReader;
use thresher_core::stream::BatchStream;
use thresher_core::Error;

use crate::io::JsonlFiles;

/// What kernels accept as a corpus.
pub enum Corpus {
    /// JSONL files read in Rust (errors keep file and line).
    Files(Py<JsonlFiles>),
    /// Anything with `__arrow_c_stream__` (pyarrow, polars, duckdb...).
    Arrow(PyRecordBatchReader),
}

impl<'a, 'py> FromPyObject<'a, 'py> for Corpus {
    type Error = PyErr;

    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
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
        Corpus::Files(files) => {
            let (_, stream) = py.detach(|| files.get().open())?;
            Ok(stream)
        }
        Corpus::Arrow(reader) => {
            let reader = reader.into_reader()?;
            Ok(Box::new(reader.map(|batch| batch.map_err(Error::from))))
        }
    }
}
