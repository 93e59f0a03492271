//! Bindings of `thresher_core::filters` (Gopher, C4 and FineWeb quality rules).

use numpy::PyArray1;
use pyo3::prelude::*;

use thresher_core::filters::{
    self, C4Params, FilterConfig, FilterOutput, FineWebParams, GopherQualityParams,
    GopherRepetitionParams,
};

use crate::convert::corpus::{into_stream, Corpus};
use crate::detach::run;
use crate::errors::CoreError;

/// Which rule sets run and with what parameters (built by `thresher.filters`).
#[pyclass(module = "thresher._core", name = "FilterConfig", frozen)]
pub struct PyFilterConfig {
    inner: FilterConfig,
}

type Thresholds = Vec<(String, Option<f64>)>;
type Settings = Vec<(String, f64)>;

#[pymethods]
impl PyFilterConfig {
    /// Each rule set is `None` (not run) or its overrides of datatrove's defaults.
    #[new]
    #[pyo3(signature = (language="en", gopher_quality=None, stop_words=None, gopher_repetition=None, top_n_grams=None, dup_n_grams=None, c4=None, fineweb=None, stop_chars=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        language: &str,
        gopher_quality: Option<Thresholds>,
        stop_words: Option<Vec<String>>,
        gopher_repetition: Option<Thresholds>,
        top_n_grams: Option<Vec<(usize, f64)>>,
        dup_n_grams: Option<Vec<(usize, f64)>>,
        c4: Option<Settings>,
        fineweb: Option<Settings>,
        stop_chars: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let err = |e| PyErr::from(CoreError(e));
        let mut cfg = FilterConfig {
            language: language.to_string(),
            ..FilterConfig::default()
        };
        if let Some(values) = gopher_quality {
            let mut p = GopherQualityParams::default();
            for (k, v) in values {
                p.set(&k, v).map_err(err)?;
            }
            if let Some(w) = stop_words {
                p.stop_words = w;
            }
            cfg.gopher_quality = Some(p);
        }
        if let Some(values) = gopher_repetition {
            let mut p = GopherRepetitionParams::default();
            for (k, v) in values {
                p.set(&k, v).map_err(err)?;
            }
            if let Some(t) = top_n_grams {
                p.top_n_grams = t;
            }
            if let Some(t) = dup_n_grams {
                p.dup_n_grams = t;
            }
            cfg.gopher_repetition = Some(p);
        }
        if let Some(values) = c4 {
            let mut p = C4Params::default();
            for (k, v) in values {
                p.set(&k, v).map_err(err)?;
            }
            cfg.c4 = Some(p);
        }
        if let Some(values) = fineweb {
            let mut p = FineWebParams::default();
            for (k, v) in values {
                p.set(&k, v).map_err(err)?;
            }
            if let Some(s) = stop_chars {
                p.stop_chars = s;
            }
            cfg.fineweb = Some(p);
        }
        Ok(PyFilterConfig { inner: cfg })
    }

    /// The rule sets that run, in output order.
    #[getter]
    fn rule_sets(&self) -> Vec<&'static str> {
        self.inner.rule_sets()
    }

    /// The statistics columns, in output order.
    #[getter]
    fn stat_names(&self) -> Vec<String> {
        self.inner.stat_names()
    }

    /// The word splitter's language.
    #[getter]
    fn language(&self) -> String {
        self.inner.language.clone()
    }
}

/// Per-document results of the filters, column by column.
#[pyclass(module = "thresher._core", name = "FilterOutput", frozen)]
pub struct PyFilterOutput {
    inner: FilterOutput,
}

#[pymethods]
impl PyFilterOutput {
    /// The rule sets, in the order `keep(i)` and `reason(i)` index them.
    #[getter]
    fn rule_sets(&self) -> Vec<&'static str> {
        self.inner.rule_sets.clone()
    }

    /// The statistics columns, in the order `stat(i)` indexes them.
    #[getter]
    fn stat_names(&self) -> Vec<String> {
        self.inner.stat_names.clone()
    }

    /// Whether each document passes rule set `i`.
    fn keep<'py>(&self, py: Python<'py>, i: usize) -> PyResult<Bound<'py, PyArray1<bool>>> {
        let k = self.inner.keep.get(i).ok_or_else(|| {
            pyo3::exceptions::PyIndexError::new_err(format!("rule set index {i} out of range"))
        })?;
        Ok(PyArray1::from_slice(py, k))
    }

    /// The first failing rule of rule set `i` on each document (`None` when kept).
    fn reason(&self, i: usize) -> PyResult<Vec<Option<String>>> {
        self.inner.reason.get(i).cloned().ok_or_else(|| {
            pyo3::exceptions::PyIndexError::new_err(format!("rule set index {i} out of range"))
        })
    }

    /// Statistic `i` of each document (NaN where undefined).
    fn stat<'py>(&self, py: Python<'py>, i: usize) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let s = self.inner.stats.get(i).ok_or_else(|| {
            pyo3::exceptions::PyIndexError::new_err(format!("statistic index {i} out of range"))
        })?;
        Ok(PyArray1::from_slice(py, s))
    }

    /// C4's text after line removal (`None` for a dropped document), when C4 ran.
    #[getter]
    fn c4_text(&self) -> Option<Vec<Option<String>>> {
        self.inner.c4_text.clone()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }
}

/// The filters over column `text_column` of `source` (a stream).
#[pyfunction]
#[pyo3(signature = (source, config, text_column="text", progress=None))]
pub fn filter_corpus(
    py: Python<'_>,
    source: Corpus,
    config: PyRef<'_, PyFilterConfig>,
    text_column: &str,
    progress: Option<Py<PyAny>>,
) -> PyResult<PyFilterOutput> {
    let stream = into_stream(py, source)?;
    let cfg = config.inner.clone();
    let out = run(py, progress.as_ref(), |p| {
        filters::filter_stream(stream, text_column, &cfg, p)
    })?;
    Ok(PyFilterOutput { inner: out })
}

/// The filters over a list of texts.
#[pyfunction]
pub fn filter_texts(
    py: Python<'_>,
    texts: Vec<String>,
    config: PyRef<'_, PyFilterConfig>,
) -> PyResult<PyFilterOutput> {
    let cfg = config.inner.clone();
    let out = run(py, None, |_| {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        filters::filter_texts(&refs, &cfg)
    })?;
    Ok(PyFilterOutput { inner: out })
}

/// The words of `text` as the filters split them (spaCy-compatible), for checks.
#[pyfunction]
#[pyo3(signature = (text, language="en"))]
pub fn filter_words(py: Python<'_>, text: String, language: &str) -> PyResult<Vec<String>> {
    run(py, None, |_| {
        let s = filters::words::Splitter::for_language(language)?;
        Ok(s.words(&text, &mut Vec::new())
            .into_iter()
            .map(str::to_string)
            .collect())
    })
}

/// Register the filter functions and classes.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyFilterConfig>()?;
    m.add_class::<PyFilterOutput>()?;
    m.add_function(wrap_pyfunction!(filter_corpus, m)?)?;
    m.add_function(wrap_pyfunction!(filter_texts, m)?)?;
    m.add_function(wrap_pyfunction!(filter_words, m)?)?;
    Ok(())
}
