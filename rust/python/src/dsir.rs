//! Bindings of `thresher_core::dsir`: conversion in, one call to core, conversion out.

use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3_arrow::PyRecordBatch;
use std::path::PathBuf;

use crate::tokens::{doc_tokens, PyTokenCounter};

use thresher_core::chunk::chunk_stream;
use thresher_core::dsir::select::TokenBudget;
use thresher_core::dsir::{
    self, fit, kl, DsirModel, Method, Normalization, SelectOptions, Smoothing, WeightOptions,
};
use thresher_core::features::FeatureConfig;
use thresher_core::spill;
use thresher_core::stream::BatchStream;

use crate::convert::choice::{HashChoice, SelectChoice, WeightNormChoice};
use crate::convert::corpus::{into_stream, Corpus, SpilledCorpus};
use crate::convert::vector::slice;
use crate::detach::run;
use crate::errors::{invalid, CoreError};

fn feature_config(ngrams: usize, num_buckets: u32, hash: HashChoice) -> PyResult<FeatureConfig> {
    let config = FeatureConfig {
        ngrams,
        buckets: num_buckets,
        hash: hash.0,
    };
    config.validate().map_err(crate::errors::CoreError::from)?;
    Ok(config)
}

fn weight_options(
    normalize: WeightNormChoice,
    clip: Option<(f64, f64)>,
    min_length: usize,
) -> PyResult<WeightOptions> {
    let options = WeightOptions {
        normalization: normalize.0,
        clip,
        min_length,
    };
    options.validate().map_err(crate::errors::CoreError::from)?;
    Ok(options)
}

/// The stream itself, or its documents split into chunks of at most `chunk_words` words.
fn chunked(stream: BatchStream, column: &str, chunk_words: Option<usize>) -> PyResult<BatchStream> {
    match chunk_words {
        None => Ok(stream),
        Some(words) => {
            Ok(chunk_stream(stream, column.to_string(), words).map_err(CoreError::from)?)
        }
    }
}

/// `(counts, documents, tokens, features, spill)` as returned by [`count_features`].
type CountsOut<'py> = (
    Bound<'py, PyArray1<u64>>,
    u64,
    u64,
    u64,
    Option<SpilledCorpus>,
);

/// Count hashed n-gram features over an Arrow stream.
///
/// With `spill_to`, the decoded batches are also written to that file; the last item
/// of the result is then the complete spill, or `None` if it was abandoned.
#[pyfunction]
#[pyo3(signature = (source, column, ngrams, num_buckets, hash, limit=None, spill_to=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn count_features<'py>(
    py: Python<'py>,
    source: Corpus,
    column: &str,
    ngrams: usize,
    num_buckets: u32,
    hash: HashChoice,
    limit: Option<u64>,
    spill_to: Option<PathBuf>,
    progress: Option<Py<PyAny>>,
) -> PyResult<CountsOut<'py>> {
    let config = feature_config(ngrams, num_buckets, hash)?;
    let mut stream = into_stream(py, source)?;
    let mut status = None;
    if let Some(path) = &spill_to {
        let (teed, shared) = spill::tee(stream, path);
        stream = teed;
        status = Some(shared);
    }
    let counts = run(py, progress.as_ref(), |p| {
        fit::count_stream(&config, stream, column, limit, p)
    })?;
    let spilled = status.and_then(|s| {
        let complete = s.lock().unwrap_or_else(|e| e.into_inner()).complete.clone();
        complete.map(SpilledCorpus::new)
    });
    Ok((
        PyArray1::from_vec(py, counts.counts),
        counts.documents,
        counts.tokens,
        counts.features,
        spilled,
    ))
}

/// A fitted DSIR model (counts and log-ratio vectors), immutable.
#[pyclass(module = "thresher._core", name = "DsirModel", frozen)]
pub struct PyDsirModel {
    pub(crate) inner: DsirModel,
}

#[pymethods]
impl PyDsirModel {
    #[new]
    #[pyo3(signature = (ngrams, num_buckets, hash, target_counts, raw_counts, target_smoothing, raw_smoothing, epsilon))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        ngrams: usize,
        num_buckets: u32,
        hash: HashChoice,
        target_counts: PyReadonlyArray2<'_, u64>,
        raw_counts: PyReadonlyArray1<'_, u64>,
        target_smoothing: f64,
        raw_smoothing: f64,
        epsilon: f64,
    ) -> PyResult<Self> {
        let features = feature_config(ngrams, num_buckets, hash)?;
        let smoothing = Smoothing {
            target_alpha: target_smoothing,
            raw_alpha: raw_smoothing,
            epsilon,
        };
        let targets: Vec<Vec<u64>> = target_counts
            .as_array()
            .outer_iter()
            .map(|row| row.to_vec())
            .collect();
        let raw = raw_counts.as_array().to_vec();
        // The log-ratio vectors cover every bucket: computed in the pool, without the GIL.
        let inner = run(py, None, |_| {
            DsirModel::from_counts(features, smoothing, targets, raw)
        })?;
        Ok(PyDsirModel { inner })
    }

    /// `ln(p_target + eps) - ln(p_raw + eps)`, shape `(targets, buckets)`.
    #[getter]
    fn log_diff<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        Ok(PyArray2::from_vec2(py, &self.inner.log_diff)?)
    }

    /// Number of targets.
    #[getter]
    fn num_targets(&self) -> usize {
        self.inner.num_targets()
    }
}

/// `(log_weights[n, targets], tokens[n])` as numpy arrays.
type WeightsAndTokens<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<u32>>);

/// Log weights of every document of a stream: `(log_weights[n, targets], tokens[n])`.
#[pyfunction]
#[pyo3(signature = (model, source, column, normalize=WeightNormChoice(Normalization::None), clip=None, min_length=0, chunk_words=None, progress=None))]
#[pyo3(
    text_signature = "(model, source, column, normalize='none', clip=None, min_length=0, chunk_words=None, progress=None)"
)]
#[allow(clippy::too_many_arguments)]
pub fn dsir_log_weights<'py>(
    py: Python<'py>,
    model: &PyDsirModel,
    source: Corpus,
    column: &str,
    normalize: WeightNormChoice,
    clip: Option<(f64, f64)>,
    min_length: usize,
    chunk_words: Option<usize>,
    progress: Option<Py<PyAny>>,
) -> PyResult<WeightsAndTokens<'py>> {
    let options = weight_options(normalize, clip, min_length)?;
    let stream = chunked(into_stream(py, source)?, column, chunk_words)?;
    let model = &model.inner;
    let scores = run(py, progress.as_ref(), |p| {
        dsir::weights::score_stream(model, stream, column, &options, p)
    })?;
    let rows = scores.tokens.len();
    let weights = PyArray1::from_vec(py, scores.log_weights).reshape([rows, scores.num_targets])?;
    Ok((weights, PyArray1::from_vec(py, scores.tokens)))
}

/// Selection keys of documents at global positions `rows` for target `target`
/// (see `thresher_core::dsir::select::key`): partitions keyed apart merge exactly.
#[pyfunction]
#[pyo3(signature = (log_weights, rows, target, seed, method=SelectChoice(Method::Gumbel), temperature=1.0))]
#[pyo3(text_signature = "(log_weights, rows, target, seed, method='gumbel', temperature=1.0)")]
pub fn dsir_keys<'py>(
    py: Python<'py>,
    log_weights: PyReadonlyArray1<'py, f64>,
    rows: PyReadonlyArray1<'py, u64>,
    target: usize,
    seed: u64,
    method: SelectChoice,
    temperature: f64,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (weights, rows) = (slice(&log_weights, "log_weights")?, slice(&rows, "rows")?);
    let keys = run(py, None, |_| {
        dsir::select::keys(method.0, temperature, seed, target, rows, weights)
    })?;
    Ok(PyArray1::from_vec(py, keys))
}

/// The documents a DSIR selection chose, with their keys and the run's counts.
#[pyclass(module = "thresher._core", name = "DsirSelection", frozen)]
pub struct PyDsirSelection {
    /// The global row of each chosen document.
    #[pyo3(get)]
    row: Py<PyArray1<u64>>,
    /// The target it was chosen for.
    #[pyo3(get)]
    target: Py<PyArray1<u32>>,
    /// Its log importance weight for that target.
    #[pyo3(get)]
    log_weight: Py<PyArray1<f64>>,
    /// Its selection key.
    #[pyo3(get)]
    key: Py<PyArray1<f64>>,
    /// Its tokens (0 unless the selection was by tokens).
    #[pyo3(get)]
    tokens: Py<PyArray1<u32>>,
    /// Documents read.
    #[pyo3(get)]
    documents: u64,
    /// Documents long enough to be chosen.
    #[pyo3(get)]
    eligible: u64,
    /// `KL(target || raw) - KL(target || selected)` of each target.
    #[pyo3(get)]
    kl_reduction: Vec<f64>,
    /// `(targets, buckets)` feature counts of the chosen documents.
    #[pyo3(get)]
    selected_counts: Py<PyArray2<u64>>,
    /// The chosen rows, a pyarrow RecordBatch.
    #[pyo3(get)]
    rows: Py<PyAny>,
}

/// Select documents in one streaming pass (see `thresher.dsir`).
#[pyfunction]
#[pyo3(signature = (model, source, column, k, seed, method=SelectChoice(Method::Gumbel), temperature=1.0, normalize=WeightNormChoice(Normalization::None), clip=None, min_length=0, keep_all_columns=true, chunk_words=None, progress=None, tokens=None, counter=None, token_column=None))]
#[pyo3(
    text_signature = "(model, source, column, k, seed, method='gumbel', temperature=1.0, normalize='none', clip=None, min_length=0, keep_all_columns=True, chunk_words=None, progress=None, tokens=None, counter=None, token_column=None)"
)]
#[allow(clippy::too_many_arguments)]
pub fn dsir_select<'py>(
    py: Python<'py>,
    model: &PyDsirModel,
    source: Corpus,
    column: &str,
    k: Vec<i64>,
    seed: u64,
    method: SelectChoice,
    temperature: f64,
    normalize: WeightNormChoice,
    clip: Option<(f64, f64)>,
    min_length: usize,
    keep_all_columns: bool,
    chunk_words: Option<usize>,
    progress: Option<Py<PyAny>>,
    tokens: Option<Vec<u64>>,
    counter: Option<PyRef<'py, PyTokenCounter>>,
    token_column: Option<String>,
) -> PyResult<PyDsirSelection> {
    let method = method.0;
    if let Some(bad) = k.iter().find(|&&v| v <= 0) {
        return Err(invalid("k", format!("must be at least 1, got {bad}")));
    }
    if token_column.is_some() && chunk_words.is_some() {
        return Err(invalid(
            "token_column",
            "counts of whole documents do not fit chunks: give a tokenizer with chunk_words",
        ));
    }
    let tokens = match tokens {
        Some(budgets) => Some(TokenBudget {
            budgets,
            counts: doc_tokens(counter.as_deref(), column, token_column)?,
        }),
        None => None,
    };
    let options = SelectOptions {
        k: k.iter().map(|&v| v as usize).collect(),
        seed,
        method,
        temperature,
        weights: weight_options(normalize, clip, min_length)?,
        keep_all_columns,
        tokens,
    };
    let stream = chunked(into_stream(py, source)?, column, chunk_words)?;
    let model = &model.inner;
    let (selection, selected_counts, kl_reduction) = run(py, progress.as_ref(), |p| {
        let selection = dsir::select::select(model, stream, column, &options, p)?;
        let counts = kl::selected_counts(model, &selection, column)?;
        let reduction = kl::kl_reductions(model, &counts);
        Ok((selection, counts, reduction))
    })?;
    let s = &selection.selected;
    Ok(PyDsirSelection {
        row: PyArray1::from_iter(py, s.iter().map(|x| x.row)).unbind(),
        target: PyArray1::from_iter(py, s.iter().map(|x| x.target)).unbind(),
        log_weight: PyArray1::from_iter(py, s.iter().map(|x| x.log_weight)).unbind(),
        key: PyArray1::from_iter(py, s.iter().map(|x| x.key)).unbind(),
        tokens: PyArray1::from_iter(py, s.iter().map(|x| x.tokens)).unbind(),
        documents: selection.documents,
        eligible: selection.eligible,
        kl_reduction,
        selected_counts: PyArray2::from_vec2(py, &selected_counts)?.unbind(),
        rows: PyRecordBatch::new(selection.rows)
            .into_pyarrow(py)?
            .unbind(),
    })
}

/// Every n-gram of `text` with its bucket: `[(ngram, bucket), ...]` (for explanations).
#[pyfunction]
pub fn feature_buckets(
    text: &str,
    ngrams: usize,
    num_buckets: u32,
    hash: HashChoice,
) -> PyResult<Vec<(String, u32)>> {
    Ok(feature_config(ngrams, num_buckets, hash)?.ngrams_with_buckets(text))
}

/// `KL(target || raw) - KL(target || selected)` on hashed feature counts.
#[pyfunction]
pub fn kl_reduction(
    py: Python<'_>,
    target: PyReadonlyArray1<'_, u64>,
    raw: PyReadonlyArray1<'_, u64>,
    selected: PyReadonlyArray1<'_, u64>,
) -> PyResult<f64> {
    let (t, r, s) = (
        slice(&target, "target")?,
        slice(&raw, "raw")?,
        slice(&selected, "selected")?,
    );
    if t.len() != r.len() || t.len() != s.len() {
        return Err(invalid(
            "counts",
            "target, raw and selected counts must have the same length",
        ));
    }
    run(py, None, |_| Ok(kl::kl_reduction(t, r, s)))
}
