//! Bindings of `thresher_core::quality::{train, select}`: training fastText-style
//! classifiers, exact AUC and the Pareto selection rule.

use std::path::PathBuf;
use std::sync::Arc;

use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use pyo3_arrow::PyChunkedArray;

use thresher_core::quality::fasttext::{self, LossName, Model, Newlines, PredictOptions};
use thresher_core::quality::select;
use thresher_core::quality::train::{self, TrainOptions};
use thresher_core::text::{reject_nulls, TextColumn};

use crate::detach::run;
use crate::errors::invalid;

/// A classifier trained by thresher (a fastText supervised model in memory).
#[pyclass(module = "thresher._core", name = "TrainedModel", frozen)]
pub struct PyTrainedModel {
    inner: Arc<Model>,
}

/// The string views of the chunks of a text column (no nulls).
fn views(chunks: &[arrow_array::ArrayRef]) -> thresher_core::Result<Vec<&str>> {
    let mut out: Vec<&str> = Vec::new();
    let mut first = 0u64;
    for chunk in chunks {
        reject_nulls(chunk.as_ref(), "text", first)?;
        let column = TextColumn::try_new(chunk.as_ref(), "text")?;
        out.extend((0..column.len()).map(|i| column.value(i)));
        first += column.len() as u64;
    }
    Ok(out)
}

#[pymethods]
impl PyTrainedModel {
    /// The model in fastText's file format (version 12).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let bytes = py.detach(|| fasttext::to_bytes(&self.inner));
        PyBytes::new(py, &bytes)
    }

    /// Write the model to `path` (under a temporary name, renamed when complete).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        run(py, None, |_| fasttext::write(&self.inner, &path))
    }

    /// The labels with their `__label__` prefix, in the model's order.
    #[getter]
    fn labels(&self) -> Vec<String> {
        self.inner.labels()
    }

    /// Probabilities (`exp(ln(p + 1e-5))`, as fastText predicts them) of every label,
    /// in the model's order, for each text: a `len(texts) x labels` array (zeros for a
    /// text without any known feature). Newlines are read as spaces.
    fn probabilities<'py>(
        &self,
        py: Python<'py>,
        texts: PyChunkedArray,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let (chunks, _) = texts.into_inner();
        let nlabels = self.inner.dictionary().nlabels();
        let model = Arc::clone(&self.inner);
        let (n, flat) = run(py, None, |_| {
            let texts = views(&chunks)?;
            let options = PredictOptions {
                k: nlabels,
                threshold: 0.0,
                newlines: Newlines::Space,
            };
            let p = fasttext::predict_texts(&model, &texts, &options)?;
            Ok((texts.len(), p.to_dense(nlabels)))
        })?;
        PyArray1::from_vec(py, flat).reshape([n, nlabels])
    }
}

/// Train a classifier of the strings `texts` with labels `labels` (indices into
/// `names`); returns the model and a dict of the held-out measurements.
#[pyfunction]
#[pyo3(signature = (texts, labels, names, *, dim, epochs, lr, word_ngrams, min_count, bucket, minn, maxn, loss, holdout, seed, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn train_classifier<'py>(
    py: Python<'py>,
    texts: PyChunkedArray,
    labels: PyReadonlyArray1<'py, u32>,
    names: Vec<String>,
    dim: usize,
    epochs: usize,
    lr: f64,
    word_ngrams: usize,
    min_count: u64,
    bucket: usize,
    minn: usize,
    maxn: usize,
    loss: &str,
    holdout: f64,
    seed: u64,
    progress: Option<Py<PyAny>>,
) -> PyResult<(PyTrainedModel, Bound<'py, PyDict>)> {
    let loss = match loss {
        "softmax" => LossName::Softmax,
        "ova" => LossName::OneVsAll,
        other => {
            return Err(invalid(
                "loss",
                format!("must be 'softmax' or 'ova', got {other:?}"),
            ))
        }
    };
    let options = TrainOptions {
        dim,
        epochs,
        lr,
        word_ngrams,
        min_count,
        bucket,
        minn,
        maxn,
        loss,
        holdout,
        seed,
    };
    let labels = labels.as_slice()?.to_vec();
    let (chunks, _) = texts.into_inner();
    let nlabels = names.len();
    let trained = run(py, progress.as_ref(), |p| {
        let texts = views(&chunks)?;
        train::train(&texts, &labels, &names, &options, p)
    })?;
    let d = PyDict::new(py);
    d.set_item("label_names", trained.label_names)?;
    let nheld = trained.holdout_rows.len();
    d.set_item(
        "holdout_rows",
        PyArray1::from_vec(
            py,
            trained.holdout_rows.into_iter().map(|v| v as i64).collect(),
        ),
    )?;
    let scores = PyArray1::from_vec(py, trained.holdout_scores).reshape([nheld, nlabels])?;
    let scores: Bound<'py, PyArray2<f32>> = scores;
    d.set_item("holdout_scores", scores)?;
    d.set_item("train_counts", trained.train_counts)?;
    d.set_item("holdout_counts", trained.holdout_counts)?;
    d.set_item("auc", trained.auc)?;
    d.set_item("epoch_loss", trained.epoch_loss)?;
    d.set_item("ntokens", trained.ntokens)?;
    d.set_item("nwords", trained.model.dictionary().nwords())?;
    let model = PyTrainedModel {
        inner: Arc::new(trained.model),
    };
    Ok((model, d))
}

/// The exact ROC AUC of `scores` for the items where `positive` is true (ties count
/// one half); `None` without positives or negatives, or with a NaN score.
#[pyfunction]
pub fn roc_auc(
    scores: PyReadonlyArray1<'_, f64>,
    positive: PyReadonlyArray1<'_, bool>,
) -> PyResult<Option<f64>> {
    let (s, y) = (scores.as_slice()?, positive.as_slice()?);
    if s.len() != y.len() {
        return Err(invalid(
            "labels",
            format!("{} labels for {} scores", y.len(), s.len()),
        ));
    }
    Ok(train::roc_auc(s, y))
}

/// Whether each document is kept by GPT-3's Pareto rule (`pareto(alpha) > 1 - score`).
#[pyfunction]
pub fn pareto_keep<'py>(
    py: Python<'py>,
    scores: PyReadonlyArray1<'py, f64>,
    alpha: f64,
    seed: u64,
) -> PyResult<Bound<'py, PyArray1<bool>>> {
    let s = scores.as_slice()?.to_vec();
    let keep = run(py, None, |_| select::pareto_keep(&s, alpha, seed))?;
    Ok(PyArray1::from_vec(py, keep))
}

/// Register the training and selection functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTrainedModel>()?;
    m.add_function(wrap_pyfunction!(train_classifier, m)?)?;
    m.add_function(wrap_pyfunction!(roc_auc, m)?)?;
    m.add_function(wrap_pyfunction!(pareto_keep, m)?)?;
    Ok(())
}
