//! Bindings of the JSONL reader and writer.

use std::path::PathBuf;
use std::sync::Mutex;

use arrow_array::{RecordBatchIterator, RecordBatchReader};
use arrow_schema::ArrowError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use pyo3_arrow::{PyRecordBatch, PyRecordBatchReader, PySchema};
use thresher_core::io::{open_jsonl_files, Compression, JsonlOptions, JsonlWriter};
use thresher_core::stream::BatchStream;

use crate::errors::{CoreError, CoreResult};
use crate::threads::pool;

/// A list of JSONL files (plain, .gz or .zst) to read as one corpus.
///
/// Kernels given this object read the files in Rust directly (errors keep their
/// type, file and line); it also exports an Arrow C stream for any Arrow consumer.
/// A large plain file is decoded in parallel on thresher's pool unless `parallel`
/// is false, or (when `parallel` is None) the environment variable
/// `THRESHER_PARALLEL_READ` is `0`.
#[pyclass(module = "thresher._core", name = "JsonlFiles", frozen)]
pub struct JsonlFiles {
    paths: Vec<PathBuf>,
    options: JsonlOptions,
    parallel: Option<bool>,
}

/// Whether files are read in parallel when the caller did not say.
fn parallel_by_default() -> bool {
    std::env::var("THRESHER_PARALLEL_READ").map_or(true, |v| v.trim() != "0")
}

impl JsonlFiles {
    /// Open the files as one core stream.
    pub fn open(&self) -> CoreResult<(arrow_schema::SchemaRef, BatchStream)> {
        let options = JsonlOptions {
            // The pool of the moment (its size may have changed since creation).
            pool: self.is_parallel().then(pool),
            ..self.options.clone()
        };
        Ok(open_jsonl_files(&self.paths, &options)?)
    }

    fn is_parallel(&self) -> bool {
        self.parallel.unwrap_or_else(parallel_by_default)
    }
}

#[pymethods]
impl JsonlFiles {
    #[new]
    #[pyo3(signature = (paths, text_column=None, batch_size=8192, parallel=None))]
    fn new(
        paths: Vec<PathBuf>,
        text_column: Option<String>,
        batch_size: usize,
        parallel: Option<bool>,
    ) -> Self {
        let options = JsonlOptions {
            batch_size,
            text_column,
            ..Default::default()
        };
        JsonlFiles {
            paths,
            options,
            parallel,
        }
    }

    /// Whether large plain files are decoded in parallel (the environment decides
    /// when `parallel` was not given).
    #[getter]
    fn parallel(&self) -> bool {
        self.is_parallel()
    }

    /// The schema of the batches (inferred from the first file).
    #[getter]
    fn schema(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let (schema, _) = self.open()?;
        Ok(PySchema::new(schema).into_pyarrow(py)?.unbind())
    }

    /// The file paths, in reading order.
    #[getter]
    fn paths(&self) -> Vec<PathBuf> {
        self.paths.clone()
    }

    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyCapsule>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (schema, stream) = self.open()?;
        let batches = stream.map(|b| b.map_err(|e| ArrowError::ExternalError(Box::new(e))));
        let reader: Box<dyn RecordBatchReader + Send> =
            Box::new(RecordBatchIterator::new(batches, schema));
        let reader = Bound::new(py, PyRecordBatchReader::new(reader))?;
        reader.call_method1("__arrow_c_stream__", (requested_schema,))
    }
}

/// Writes record batches to a JSONL file (.jsonl, .jsonl.gz, .jsonl.zst) atomically.
#[pyclass(module = "thresher._core", name = "JsonlWriter")]
pub struct PyJsonlWriter {
    inner: Mutex<Option<JsonlWriter>>,
}

#[pymethods]
impl PyJsonlWriter {
    #[new]
    fn new(path: PathBuf) -> PyResult<Self> {
        let compression = Compression::from_extension(&path);
        let writer = JsonlWriter::create(&path, compression).map_err(CoreError::from)?;
        Ok(PyJsonlWriter {
            inner: Mutex::new(Some(writer)),
        })
    }

    /// Append one record batch (anything exporting `__arrow_c_array__`).
    fn write(&self, py: Python<'_>, batch: PyRecordBatch) -> PyResult<()> {
        let batch = batch.into_inner();
        let mut slot = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let writer = slot
            .as_mut()
            .ok_or_else(|| crate::errors::invalid("writer", "already finished"))?;
        crate::detach::run(py, None, |_| writer.write(&batch))
    }

    /// Flush, and rename the temporary file onto the final path.
    fn finish(&self, py: Python<'_>) -> PyResult<PathBuf> {
        let writer = self
            .inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(|| crate::errors::invalid("writer", "already finished"))?;
        crate::detach::run(py, None, |_| writer.finish())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<JsonlFiles>()?;
    m.add_class::<PyJsonlWriter>()?;
    Ok(())
}
