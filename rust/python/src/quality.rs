//! Bindings of `thresher_core::quality` (fastText classifiers).

use std::path::PathBuf;
use std::sync::Arc;

use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use thresher_core::quality::fasttext::{self, Model, PredictOptions};

use crate::convert::choice::NewlinesChoice;
use crate::convert::corpus::{into_stream, Corpus};
use crate::detach::run;
use crate::errors::invalid;

/// `(offsets, labels, scores)` of predictions, as numpy arrays.
type PredictionArrays<'py> = (
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<i32>>,
    Bound<'py, PyArray1<f32>>,
);

/// A fastText supervised classifier (`.bin` or quantized `.ftz`), loaded in Rust.
#[pyclass(module = "thresher._core", name = "FastTextModel", frozen)]
pub struct PyFastTextModel {
    inner: Arc<Model>,
    origin: PathBuf,
}

#[pymethods]
impl PyFastTextModel {
    /// Load the model file at `path`.
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let model = run(py, None, |_| fasttext::read(&path))?;
        Ok(PyFastTextModel {
            inner: Arc::new(model),
            origin: path,
        })
    }

    /// A model from the bytes of a model file.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: Vec<u8>) -> PyResult<Self> {
        let origin = PathBuf::from("<memory>");
        let model = run(py, None, |_| fasttext::from_bytes(&data, &origin))?;
        Ok(PyFastTextModel {
            inner: Arc::new(model),
            origin,
        })
    }

    /// The bytes of the model in fastText's format (version 12).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let bytes = py.detach(|| fasttext::to_bytes(&self.inner));
        PyBytes::new(py, &bytes)
    }

    /// Write the model to `path` (under a temporary name, renamed when complete).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        run(py, None, |_| fasttext::write(&self.inner, &path))
    }

    /// `(offsets, labels, scores)`: the `k` best labels of column `text_column` of each
    /// row of `source`, labels of probability below `threshold` left out.
    #[pyo3(signature = (source, text_column="text", k=1, threshold=0.0, newlines=NewlinesChoice(fasttext::Newlines::Space), progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        source: Corpus,
        text_column: &str,
        k: i64,
        threshold: f32,
        newlines: NewlinesChoice,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<PredictionArrays<'py>> {
        if k == 0 || k < -1 {
            return Err(invalid(
                "k",
                format!("must be at least 1 (or -1 for all), got {k}"),
            ));
        }
        let options = PredictOptions {
            k: if k < 0 { usize::MAX } else { k as usize },
            threshold,
            newlines: newlines.0,
        };
        let stream = into_stream(py, source)?;
        let model = Arc::clone(&self.inner);
        let out = run(py, progress.as_ref(), |p| {
            fasttext::predict_stream(&model, stream, text_column, &options, p)
        })?;
        Ok((
            PyArray1::from_vec(py, out.offsets.into_iter().map(|v| v as i64).collect()),
            PyArray1::from_vec(py, out.labels.into_iter().map(|v| v as i32).collect()),
            PyArray1::from_vec(py, out.scores),
        ))
    }

    /// The labels, with their `__label__` prefix, in the model's order.
    #[getter]
    fn labels(&self) -> Vec<String> {
        self.inner.labels()
    }

    /// The number of words of the dictionary.
    #[getter]
    fn nwords(&self) -> usize {
        self.inner.dictionary().nwords()
    }

    /// The dimension of the vectors.
    #[getter]
    fn dim(&self) -> i32 {
        self.inner.args().dim
    }

    /// The loss: `softmax`, `hs`, `ova` or `ns`.
    #[getter]
    fn loss(&self) -> &'static str {
        self.inner.args().loss.name()
    }

    /// Whether the input matrix is product-quantized.
    #[getter]
    fn quantized(&self) -> bool {
        self.inner.is_quantized()
    }

    /// The integer training arguments stored in the file, by fastText's names.
    #[getter]
    fn args(&self) -> Vec<(&'static str, i64)> {
        let a = self.inner.args();
        vec![
            ("dim", a.dim.into()),
            ("ws", a.ws.into()),
            ("epoch", a.epoch.into()),
            ("minCount", a.min_count.into()),
            ("neg", a.neg.into()),
            ("wordNgrams", a.word_ngrams.into()),
            ("bucket", a.bucket.into()),
            ("minn", a.minn.into()),
            ("maxn", a.maxn.into()),
            ("lrUpdateRate", a.lr_update_rate.into()),
        ]
    }

    /// The sampling threshold stored in the file.
    #[getter]
    fn t(&self) -> f64 {
        self.inner.args().t
    }

    /// The file the model came from (`<memory>` for bytes).
    #[getter]
    fn path(&self) -> String {
        self.origin.display().to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "FastTextModel({:?}, labels={}, loss={:?}, quantized={})",
            self.origin.display().to_string(),
            self.inner.dictionary().nlabels(),
            self.inner.args().loss.name(),
            if self.inner.is_quantized() {
                "True"
            } else {
                "False"
            }
        )
    }
}

/// Register the quality classes.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyFastTextModel>()?;
    Ok(())
}
