//! Bindings of `thresher_core::dedup`: conversion in, one call to core, conversion out.

use std::path::PathBuf;

use numpy::{
    PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use thresher_core::dedup::exact::exact_duplicates;
use thresher_core::dedup::near::exact_similarities;
use thresher_core::dedup::signatures::{signatures_of_stream, signatures_of_texts};
use thresher_core::dedup::{
    near_duplicates, near_duplicates_of_signatures, near_duplicates_of_texts,
    optimal_param as core_optimal_param, Annotations, Budget, Keep, LshParams, MinHasher,
    NearOptions, Normalization, Scheme, Shingling, SignatureOptions, Unit,
};

use crate::convert::choice::{KeepChoice, KeepName, SchemeChoice, UnitChoice, VerifyChoice};
use crate::convert::corpus::{into_stream, Corpus};
use crate::convert::vector::slice_opt;
use crate::detach::run;
use crate::errors::{invalid, CoreError};

fn normalization(lowercase: bool, punctuation: bool, digits: bool, nfkc: bool) -> Normalization {
    Normalization {
        lowercase,
        punctuation,
        digits,
        nfkc,
    }
}

/// MinHash parameters: scheme, permutations, seed and shingling (immutable).
#[pyclass(module = "thresher._core", name = "MinHasher", frozen)]
pub struct PyMinHasher {
    inner: MinHasher,
}

#[pymethods]
impl PyMinHasher {
    #[new]
    #[pyo3(signature = (num_perm=128, ngram=5, scheme=SchemeChoice(Scheme::Thresher), seed=1, unit=UnitChoice(Unit::Word), lowercase=true, punctuation=true, digits=false, nfkc=false))]
    #[pyo3(
        text_signature = "(num_perm=128, ngram=5, scheme='thresher', seed=1, unit='word', lowercase=True, punctuation=True, digits=False, nfkc=False)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn new(
        num_perm: usize,
        ngram: usize,
        scheme: SchemeChoice,
        seed: u64,
        unit: UnitChoice,
        lowercase: bool,
        punctuation: bool,
        digits: bool,
        nfkc: bool,
    ) -> PyResult<Self> {
        let shingling = Shingling {
            unit: unit.0,
            n: ngram,
            normalization: normalization(lowercase, punctuation, digits, nfkc),
        };
        let inner = MinHasher::new(scheme.0, num_perm, seed, shingling).map_err(CoreError::from)?;
        Ok(PyMinHasher { inner })
    }

    /// Permutations per signature.
    #[getter]
    fn num_perm(&self) -> usize {
        self.inner.num_perm()
    }

    /// The scheme's name.
    #[getter]
    fn scheme(&self) -> &'static str {
        self.inner.scheme().name()
    }

    /// The seed.
    #[getter]
    fn seed(&self) -> u64 {
        self.inner.seed()
    }

    /// The shingles of `text`, as strings.
    fn shingles(&self, text: &str) -> Vec<String> {
        self.inner.shingling().shingles(text)
    }

    /// Signatures of a Python list of str, read in place (no Arrow conversion).
    fn signatures_of_list<'py>(
        &self,
        py: Python<'py>,
        texts: &Bound<'py, PyList>,
    ) -> PyResult<Bound<'py, PyArray2<u32>>> {
        let items = string_items(texts)?;
        let strs = borrowed_texts(&items)?;
        let hasher = &self.inner;
        let corpus = run(py, None, |_| Ok(signatures_of_texts(hasher, &strs)))?;
        PyArray1::from_vec(py, corpus.signatures).reshape([strs.len(), hasher.num_perm()])
    }

    /// Signatures of every document of a stream: a `(documents, num_perm)` uint32
    /// array that owns the Rust buffer (no copy).
    #[pyo3(signature = (source, column, progress=None))]
    fn signatures<'py>(
        &self,
        py: Python<'py>,
        source: Corpus,
        column: &str,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyArray2<u32>>> {
        let stream = into_stream(py, source)?;
        let hasher = &self.inner;
        let corpus = run(py, progress.as_ref(), |p| {
            signatures_of_stream(hasher, stream, column, None, p)
        })?;
        let rows = corpus.documents();
        PyArray1::from_vec(py, corpus.signatures).reshape([rows, hasher.num_perm()])
    }

    /// Exact Jaccard similarity of the shingle-hash sets of each pair `(a[i], b[i])`
    /// of two Python lists of str (the verification of `near_dedup(verify="exact")`).
    fn exact_similarities<'py>(
        &self,
        py: Python<'py>,
        a: &Bound<'py, PyList>,
        b: &Bound<'py, PyList>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let (left, right) = (string_items(a)?, string_items(b)?);
        let (left, right) = (borrowed_texts(&left)?, borrowed_texts(&right)?);
        let hasher = &self.inner;
        let values = run(py, None, |_| exact_similarities(hasher, &left, &right))?;
        Ok(PyArray1::from_vec(py, values))
    }
}

/// `(bands, rows)` minimising the weighted false positive and negative probabilities.
#[pyfunction]
#[pyo3(signature = (threshold, num_perm, fp_weight=0.5, fn_weight=0.5))]
pub fn optimal_param(
    threshold: f64,
    num_perm: usize,
    fp_weight: f64,
    fn_weight: f64,
) -> PyResult<(usize, usize)> {
    let p =
        core_optimal_param(threshold, num_perm, fp_weight, fn_weight).map_err(CoreError::from)?;
    Ok((p.bands, p.rows))
}

/// Counts of a deduplication run (`thresher.dedup.DedupSummary` is built from them).
#[pyclass(module = "thresher._core", name = "DedupCounts", frozen, get_all)]
pub struct PyDedupCounts {
    /// Documents read.
    documents: u64,
    /// Clusters of duplicates (a document alone is a cluster of one).
    clusters: u64,
    /// Documents marked as duplicates.
    duplicates: u64,
    /// Text bytes read.
    bytes: u64,
    /// Text bytes of the duplicates.
    bytes_removed: u64,
    /// Candidate pairs from LSH.
    candidate_pairs: u64,
    /// Candidate pairs that passed verification.
    verified_pairs: u64,
    /// LSH bands (0 for exact deduplication).
    bands: u64,
    /// Rows per band (0 for exact deduplication).
    rows: u64,
}

/// Per-document annotations of a deduplication run and its counts.
#[pyclass(module = "thresher._core", name = "Duplicates", frozen)]
pub struct PyDuplicates {
    /// The cluster of each document (the row of its kept copy).
    #[pyo3(get)]
    cluster_id: Py<PyArray1<u64>>,
    /// Whether each document is a duplicate of an earlier kept one.
    #[pyo3(get)]
    is_duplicate: Py<PyArray1<bool>>,
    /// The similarity to the kept copy (`NaN` for kept documents).
    #[pyo3(get)]
    similarity: Py<PyArray1<f32>>,
    /// The counts.
    #[pyo3(get)]
    summary: Py<PyDedupCounts>,
}

impl PyDuplicates {
    fn new(py: Python<'_>, a: Annotations) -> PyResult<Self> {
        let s = a.summary;
        let summary = PyDedupCounts {
            documents: s.documents,
            clusters: s.clusters,
            duplicates: s.duplicates,
            bytes: s.bytes,
            bytes_removed: s.bytes_removed,
            candidate_pairs: s.candidate_pairs,
            verified_pairs: s.verified_pairs,
            bands: s.bands,
            rows: s.rows,
        };
        Ok(PyDuplicates {
            cluster_id: PyArray1::from_vec(py, a.cluster_id).unbind(),
            is_duplicate: PyArray1::from_vec(py, a.is_duplicate).unbind(),
            similarity: PyArray1::from_vec(py, a.similarity).unbind(),
            summary: Py::new(py, summary)?,
        })
    }
}

/// Near-duplicates of a corpus: per-document annotations and counts. `verify` has no
/// default: `thresher.dedup` chooses it (`"exact"`).
#[pyfunction]
#[pyo3(signature = (hasher, source, column, threshold, bands, rows, verify, keep=KeepChoice(KeepName::First), score_column=None, scores=None, max_group=thresher_core::dedup::lsh::MAX_GROUP, second_pass=None, progress=None, *, memory=None, spill_dir=None))]
#[pyo3(
    text_signature = "(hasher, source, column, threshold, bands, rows, verify, keep='first', score_column=None, scores=None, max_group=..., second_pass=None, progress=None, *, memory=None, spill_dir=None)"
)]
#[allow(clippy::too_many_arguments)]
pub fn near_dedup<'py>(
    py: Python<'py>,
    hasher: &PyMinHasher,
    source: Corpus,
    column: &str,
    threshold: f64,
    bands: usize,
    rows: usize,
    verify: VerifyChoice,
    keep: KeepChoice,
    score_column: Option<String>,
    scores: Option<Vec<f64>>,
    max_group: usize,
    second_pass: Option<Corpus>,
    progress: Option<Py<PyAny>>,
    memory: Option<u64>,
    spill_dir: Option<PathBuf>,
) -> PyResult<PyDuplicates> {
    let mut options = near_options(
        hasher,
        threshold,
        bands,
        rows,
        verify,
        keep,
        score_column,
        scores,
        max_group,
    )?;
    options.budget = Budget { memory, spill_dir };
    let stream = into_stream(py, source)?;
    let second = match second_pass {
        Some(corpus) => Some(into_stream(py, corpus)?),
        None => None,
    };
    let annotations = run(py, progress.as_ref(), |p| {
        near_duplicates(stream, second, column, &options, p)
    })?;
    PyDuplicates::new(py, annotations)
}

/// The strings of a Python list, borrowed (no copy for ASCII; Python caches the UTF-8
/// of other strings). `items` keeps them alive while the GIL is released.
fn borrowed_texts<'a, 'py>(items: &'a [Bound<'py, PyString>]) -> PyResult<Vec<&'a str>> {
    items
        .iter()
        .enumerate()
        .map(|(row, s)| {
            s.to_str().map_err(|e| {
                CoreError(thresher_core::Error::Parse {
                    location: thresher_core::Location::Row { row: row as u64 },
                    message: format!("text is not valid Unicode: {e}"),
                })
                .into()
            })
        })
        .collect()
}

/// The items of `texts`, which must all be `str` (a None or another type names its row).
fn string_items<'py>(texts: &Bound<'py, PyList>) -> PyResult<Vec<Bound<'py, PyString>>> {
    texts
        .iter()
        .enumerate()
        .map(|(row, item)| {
            let location = thresher_core::Location::Row { row: row as u64 };
            if item.is_none() {
                return Err(CoreError(thresher_core::Error::MissingField {
                    location,
                    field: "text".into(),
                })
                .into());
            }
            item.cast_into::<PyString>().map_err(|e| {
                CoreError(thresher_core::Error::FieldType {
                    location,
                    field: "text".into(),
                    expected: "str".into(),
                    found: e.into_inner().get_type().to_string(),
                })
                .into()
            })
        })
        .collect()
}

/// Near-duplicates among a Python list of str, read in place (no Arrow conversion).
#[pyfunction]
#[pyo3(signature = (hasher, texts, threshold, bands, rows, verify, keep=KeepChoice(KeepName::First), scores=None, max_group=thresher_core::dedup::lsh::MAX_GROUP))]
#[pyo3(
    text_signature = "(hasher, texts, threshold, bands, rows, verify, keep='first', scores=None, max_group=...)"
)]
#[allow(clippy::too_many_arguments)]
pub fn near_dedup_texts<'py>(
    py: Python<'py>,
    hasher: &PyMinHasher,
    texts: &Bound<'py, PyList>,
    threshold: f64,
    bands: usize,
    rows: usize,
    verify: VerifyChoice,
    keep: KeepChoice,
    scores: Option<Vec<f64>>,
    max_group: usize,
) -> PyResult<PyDuplicates> {
    let options = near_options(
        hasher, threshold, bands, rows, verify, keep, None, scores, max_group,
    )?;
    let items = string_items(texts)?;
    let strs = borrowed_texts(&items)?;
    let annotations = run(py, None, |_| near_duplicates_of_texts(&strs, &options))?;
    PyDuplicates::new(py, annotations)
}

#[allow(clippy::too_many_arguments)]
fn near_options(
    hasher: &PyMinHasher,
    threshold: f64,
    bands: usize,
    rows: usize,
    verify: VerifyChoice,
    keep: KeepChoice,
    score_column: Option<String>,
    scores: Option<Vec<f64>>,
    max_group: usize,
) -> PyResult<NearOptions> {
    let keep = match (keep.0, score_column, scores) {
        (KeepName::First, _, _) => Keep::First,
        (KeepName::Longest, _, _) => Keep::Longest,
        (KeepName::Score, Some(name), None) => Keep::ScoreColumn(name),
        (KeepName::Score, None, Some(values)) => Keep::Scores(values),
        (KeepName::Score, _, _) => {
            return Err(invalid(
                "score",
                "keep='score' needs exactly one of a score column or score values",
            ))
        }
    };
    Ok(NearOptions {
        hasher: hasher.inner.clone(),
        threshold,
        lsh: LshParams { bands, rows },
        verify: verify.0,
        keep,
        max_group: max_group.max(2),
        budget: Budget::default(),
    })
}

/// Near-duplicates from a `(documents, num_perm)` uint32 signature matrix, verified
/// by signature agreement, under a memory budget.
#[pyfunction]
#[pyo3(signature = (signatures, threshold, bands, rows, keep=KeepChoice(KeepName::First), scores=None, lengths=None, max_group=thresher_core::dedup::lsh::MAX_GROUP, *, memory=None, spill_dir=None))]
#[pyo3(
    text_signature = "(signatures, threshold, bands, rows, keep='first', scores=None, lengths=None, max_group=..., *, memory=None, spill_dir=None)"
)]
#[allow(clippy::too_many_arguments)]
pub fn near_dedup_signatures<'py>(
    py: Python<'py>,
    signatures: PyReadonlyArray2<'py, u32>,
    threshold: f64,
    bands: usize,
    rows: usize,
    keep: KeepChoice,
    scores: Option<Vec<f64>>,
    lengths: Option<PyReadonlyArray1<'py, u64>>,
    max_group: usize,
    memory: Option<u64>,
    spill_dir: Option<PathBuf>,
) -> PyResult<PyDuplicates> {
    let num_perm = signatures.shape()[1];
    let matrix = signatures
        .as_slice()
        .map_err(|_| invalid("signatures", "must be a C-contiguous 2-D array"))?;
    let lengths = slice_opt(&lengths, "lengths")?;
    let keep = match (keep.0, scores) {
        (KeepName::First, _) => Keep::First,
        (KeepName::Longest, _) => Keep::Longest,
        (KeepName::Score, Some(values)) => Keep::Scores(values),
        (KeepName::Score, None) => {
            return Err(invalid(
                "score",
                "keep='score' needs one score value per row",
            ))
        }
    };
    let options = SignatureOptions {
        threshold,
        lsh: LshParams { bands, rows },
        keep,
        max_group: max_group.max(2),
        budget: Budget { memory, spill_dir },
    };
    // Blocks of rows, so that a spilled run never copies the whole matrix at once.
    let block = num_perm.max(1) * 4096;
    let annotations = run(py, None, |_| {
        near_duplicates_of_signatures(matrix.chunks(block).map(Ok), num_perm, lengths, &options)
    })?;
    PyDuplicates::new(py, annotations)
}

/// Exact duplicates of a corpus (after normalisation); the result of `near_dedup`.
#[pyfunction]
#[pyo3(signature = (source, column, lowercase=true, punctuation=true, digits=false, nfkc=false, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn exact_dedup<'py>(
    py: Python<'py>,
    source: Corpus,
    column: &str,
    lowercase: bool,
    punctuation: bool,
    digits: bool,
    nfkc: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<PyDuplicates> {
    let norm = normalization(lowercase, punctuation, digits, nfkc);
    let stream = into_stream(py, source)?;
    let annotations = run(py, progress.as_ref(), |p| {
        exact_duplicates(stream, column, &norm, p)
    })?;
    PyDuplicates::new(py, annotations)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyMinHasher>()?;
    m.add_class::<PyDedupCounts>()?;
    m.add_class::<PyDuplicates>()?;
    m.add_function(wrap_pyfunction!(optimal_param, m)?)?;
    m.add_function(wrap_pyfunction!(near_dedup, m)?)?;
    m.add_function(wrap_pyfunction!(near_dedup_texts, m)?)?;
    m.add_function(wrap_pyfunction!(near_dedup_signatures, m)?)?;
    m.add_function(wrap_pyfunction!(exact_dedup, m)?)?;
    Ok(())
}
