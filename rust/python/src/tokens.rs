//! Bindings of `thresher_core::tokens` (token counts, budget walks) and of the
//! samplers by token budget.

use std::path::PathBuf;

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3_arrow::PyRecordBatch;

use thresher_core::sample::{self, BudgetOptions};
use thresher_core::tokens::{self, DocTokens, TokenCounter};

use crate::convert::corpus::{into_stream, Corpus};
use crate::convert::vector::{slice, slice_opt, with_weights, Weights};
use crate::detach::run;
use crate::errors::invalid;

/// Token counts with a Hugging Face tokenizer (a `tokenizer.json`).
#[pyclass(module = "thresher._core", name = "TokenCounter", frozen)]
pub struct PyTokenCounter {
    pub(crate) inner: TokenCounter,
}

#[pymethods]
impl PyTokenCounter {
    /// Load `path`; `add_special_tokens` counts the tokens the post-processor adds.
    #[new]
    #[pyo3(signature = (path, add_special_tokens=false))]
    fn new(py: Python<'_>, path: PathBuf, add_special_tokens: bool) -> PyResult<Self> {
        let counter = run(py, None, |_| TokenCounter::from_file(&path))?;
        Ok(PyTokenCounter {
            inner: counter.with_special_tokens(add_special_tokens),
        })
    }

    /// A counter from the text of a `tokenizer.json`.
    #[staticmethod]
    #[pyo3(signature = (json, add_special_tokens=false))]
    fn from_json(py: Python<'_>, json: &str, add_special_tokens: bool) -> PyResult<Self> {
        let counter = run(py, None, |_| TokenCounter::from_bytes(json.as_bytes()))?;
        Ok(PyTokenCounter {
            inner: counter.with_special_tokens(add_special_tokens),
        })
    }

    /// The tokens of each row of column `text_column` of `source` (a stream), as uint32.
    #[pyo3(signature = (source, text_column="text", progress=None))]
    fn count<'py>(
        &self,
        py: Python<'py>,
        source: Corpus,
        text_column: &str,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyArray1<u32>>> {
        let stream = into_stream(py, source)?;
        let counts = DocTokens::Count {
            counter: self.inner.clone(),
            column: text_column.to_string(),
        };
        let out = run(py, progress.as_ref(), |p| {
            tokens::count_stream(stream, &counts, p)
        })?;
        Ok(PyArray1::from_vec(py, out))
    }

    /// Whether the tokens the post-processor adds are counted.
    #[getter]
    fn add_special_tokens(&self) -> bool {
        self.inner.special_tokens()
    }

    /// The file the tokenizer came from (`<memory>` for `from_json`).
    #[getter]
    fn path(&self) -> String {
        self.inner.origin().display().to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "TokenCounter({:?}, add_special_tokens={})",
            self.inner.origin().display().to_string(),
            if self.inner.special_tokens() {
                "True"
            } else {
                "False"
            }
        )
    }
}

/// Where a kernel reads each document's tokens: a counter over `text_column`, or the
/// integer column `token_column` (exactly one).
pub fn doc_tokens(
    counter: Option<&PyTokenCounter>,
    text_column: &str,
    token_column: Option<String>,
) -> PyResult<DocTokens> {
    match (counter, token_column) {
        (Some(c), None) => Ok(DocTokens::Count {
            counter: c.inner.clone(),
            column: text_column.to_string(),
        }),
        (None, Some(column)) => Ok(DocTokens::Column(column)),
        _ => Err(invalid(
            "tokenizer",
            "give exactly one of a tokenizer and a token column",
        )),
    }
}

fn int64(py: Python<'_>, values: impl IntoIterator<Item = u64>) -> Bound<'_, PyArray1<i64>> {
    PyArray1::from_iter(py, values.into_iter().map(|v| v as i64))
}

/// The items of `order` (indices into `tokens`, best first) taken until `budget`
/// tokens, in walk order.
#[pyfunction]
pub fn take_until_budget<'py>(
    py: Python<'py>,
    order: PyReadonlyArray1<'py, u64>,
    tokens: PyReadonlyArray1<'py, u32>,
    budget: u64,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let (order, counts) = (slice(&order, "order")?, slice(&tokens, "tokens")?);
    let order: Vec<usize> = order.iter().map(|&i| i as usize).collect();
    let taken = run(py, None, |_| {
        tokens::take_until_budget(&order, counts, budget)
    })?;
    Ok(int64(py, taken.into_iter().map(|i| i as u64)))
}

/// [`take_until_budget`] within groups, one budget per group.
#[pyfunction]
pub fn take_until_budgets<'py>(
    py: Python<'py>,
    order: PyReadonlyArray1<'py, u64>,
    tokens: PyReadonlyArray1<'py, u32>,
    groups: PyReadonlyArray1<'py, u32>,
    budgets: Vec<u64>,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let (order, counts) = (slice(&order, "order")?, slice(&tokens, "tokens")?);
    let groups = slice(&groups, "groups")?;
    let order: Vec<usize> = order.iter().map(|&i| i as usize).collect();
    let taken = run(py, None, |_| {
        tokens::take_until_budgets(&order, counts, groups, &budgets)
    })?;
    Ok(int64(py, taken.into_iter().map(|i| i as u64)))
}

/// Sorted indices of a uniform (`weights=None`) or weighted sample by token budget,
/// per group with `groups` (one budget per group).
#[pyfunction]
#[pyo3(signature = (tokens, budgets, seed, weights=None, groups=None))]
pub fn sample_budget<'py>(
    py: Python<'py>,
    tokens: PyReadonlyArray1<'py, u32>,
    budgets: Vec<u64>,
    seed: u64,
    weights: Option<Weights<'py>>,
    groups: Option<PyReadonlyArray1<'py, u32>>,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let counts = slice(&tokens, "token_counts")?;
    let groups = slice_opt(&groups, "groups")?;
    let chosen = match &weights {
        None => run(py, None, |_| {
            sample::keyed_budget::<f64>(None, counts, groups, &budgets, seed)
        })?,
        Some(w) => with_weights!(w, |w| run(py, None, |_| sample::keyed_budget(
            Some(w),
            counts,
            groups,
            &budgets,
            seed
        ))?),
    };
    Ok(int64(py, chosen))
}

/// `(rows, row_numbers, tokens, seen)`: a one-pass sample of a stream by token budget.
#[pyfunction]
#[pyo3(signature = (source, budget, seed, weight_column=None, counter=None, text_column="text", token_column=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn budget_sample<'py>(
    py: Python<'py>,
    source: Corpus,
    budget: u64,
    seed: u64,
    weight_column: Option<String>,
    counter: Option<PyRef<'py, PyTokenCounter>>,
    text_column: &str,
    token_column: Option<String>,
    progress: Option<Py<PyAny>>,
) -> PyResult<(
    Bound<'py, PyAny>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<u32>>,
    u64,
)> {
    let options = BudgetOptions {
        budget,
        seed,
        weight_column,
        tokens: doc_tokens(counter.as_deref(), text_column, token_column)?,
    };
    let stream = into_stream(py, source)?;
    let sample = run(py, progress.as_ref(), |p| {
        sample::budget_stream(stream, &options, p)
    })?;
    let rows = PyRecordBatch::new(sample.rows).into_pyarrow(py)?;
    Ok((
        rows,
        int64(py, sample.row_numbers),
        PyArray1::from_vec(py, sample.tokens),
        sample.seen,
    ))
}

/// Register the token functions and class.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTokenCounter>()?;
    m.add_function(wrap_pyfunction!(take_until_budget, m)?)?;
    m.add_function(wrap_pyfunction!(take_until_budgets, m)?)?;
    m.add_function(wrap_pyfunction!(sample_budget, m)?)?;
    m.add_function(wrap_pyfunction!(budget_sample, m)?)?;
    Ok(())
}
