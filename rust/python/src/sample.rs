//! Bindings of `thresher_core::sample`: numpy in, one core call, numpy out.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3_arrow::{PyChunkedArray, PyRecordBatch};

use thresher_core::sample::{self, AliasTable, Keyed, ReservoirOptions};

use crate::convert::corpus::{into_stream, Corpus};
use crate::convert::vector::{with_labels, with_weights, Labels, Weights};
use crate::detach::run;
use crate::errors::invalid;

/// Core `u64` indices as a numpy int64 array (the Vec is reused in place).
fn indices(py: Python<'_>, values: Vec<u64>) -> Bound<'_, PyArray1<i64>> {
    PyArray1::from_vec(py, values.into_iter().map(|v| v as i64).collect())
}

/// `(indices, keys)` of keyed items, as numpy arrays.
type KeyedArrays<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<f64>>);

/// `(indices, keys, positive)`: keyed items and how many weights were positive.
type KeyedSample<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<f64>>, u64);

fn keyed_arrays(py: Python<'_>, items: Vec<Keyed>) -> KeyedArrays<'_> {
    let keys = PyArray1::from_iter(py, items.iter().map(|i| i.key));
    (
        indices(py, items.into_iter().map(|i| i.index).collect()),
        keys,
    )
}

/// `k` of `0..n` uniformly without replacement, sorted.
#[pyfunction]
pub fn sample_uniform(
    py: Python<'_>,
    n: u64,
    k: u64,
    seed: u64,
) -> PyResult<Bound<'_, PyArray1<i64>>> {
    let chosen = run(py, None, |_| sample::uniform(n, k, seed))?;
    Ok(indices(py, chosen))
}

/// `k` of the weights without replacement, proportional to weight; sorted indices.
#[pyfunction]
pub fn sample_weighted<'py>(
    py: Python<'py>,
    weights: Weights<'py>,
    k: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let chosen = with_weights!(weights, |w| run(py, None, |_| sample::weighted(
        w, k, seed
    ))?);
    Ok(indices(py, chosen))
}

/// `(indices, keys, positive)`: the keyed sample of `k` of `weights` taken as items
/// `start..`, best key first, and how many weights are positive.
#[pyfunction]
#[pyo3(signature = (weights, k, seed, start=0))]
pub fn sample_keyed<'py>(
    py: Python<'py>,
    weights: Weights<'py>,
    k: usize,
    seed: u64,
    start: u64,
) -> PyResult<KeyedSample<'py>> {
    let (items, positive) = with_weights!(weights, |w| run(py, None, |_| {
        sample::weighted_items(w, k, seed, start)
    })?);
    let (indices, keys) = keyed_arrays(py, items);
    Ok((indices, keys, positive))
}

/// The best `k` of keyed items (`indices`, `keys`) gathered from several samples.
#[pyfunction]
pub fn merge_keyed<'py>(
    py: Python<'py>,
    indices: PyReadonlyArray1<'py, i64>,
    keys: PyReadonlyArray1<'py, f64>,
    k: usize,
) -> PyResult<KeyedArrays<'py>> {
    let (indices, keys) = (indices.as_array(), keys.as_array());
    if indices.len() != keys.len() {
        return Err(invalid(
            "keys",
            format!("{} keys for {} indices", keys.len(), indices.len()),
        ));
    }
    let merged = run(py, None, |_| {
        let items = indices.iter().zip(keys.iter()).map(|(&index, &key)| Keyed {
            key,
            index: index as u64,
        });
        Ok(sample::merge_items(items, k))
    })?;
    Ok(keyed_arrays(py, merged))
}

/// `count` draws with replacement, proportional to weight (alias method), in order.
#[pyfunction]
pub fn sample_with_replacement<'py>(
    py: Python<'py>,
    weights: Weights<'py>,
    count: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let draws = with_weights!(weights, |w| run(py, None, |_| {
        Ok(AliasTable::new(w)?.sample(count, seed))
    })?);
    Ok(indices(py, draws))
}

/// Rows per group (label minus `low`), counting only positive weights if given.
#[pyfunction]
#[pyo3(signature = (labels, low, groups, weights=None))]
pub fn group_sizes<'py>(
    py: Python<'py>,
    labels: Labels<'py>,
    low: i64,
    groups: usize,
    weights: Option<Weights<'py>>,
) -> PyResult<Vec<u64>> {
    with_labels!(labels, |c| match &weights {
        None => run(py, None, |_| sample::group_sizes::<_, f64>(
            c, low, groups, None
        )),
        Some(weights) => with_weights!(weights, |w| run(py, None, |_| {
            sample::group_sizes(c, low, groups, Some(w))
        })),
    })
}

/// `quotas[h]` rows of each group `h` (label minus `low`), uniformly or in
/// proportion to `weights`; sorted.
#[pyfunction]
#[pyo3(signature = (labels, low, quotas, seed, weights=None))]
pub fn sample_stratified<'py>(
    py: Python<'py>,
    labels: Labels<'py>,
    low: i64,
    quotas: Vec<u64>,
    seed: u64,
    weights: Option<Weights<'py>>,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let chosen = with_labels!(labels, |c| match &weights {
        None => run(py, None, |_| sample::stratified::<_, f64>(
            c, low, &quotas, None, seed
        ))?,
        Some(weights) => with_weights!(weights, |w| run(py, None, |_| {
            sample::stratified(c, low, &quotas, Some(w), seed)
        })?),
    });
    Ok(indices(py, chosen))
}

/// Integers summing to `total`, proportional to `scores`, capped by `caps`.
#[pyfunction]
pub fn allocate(total: u64, scores: Vec<f64>, caps: Vec<u64>) -> PyResult<Vec<u64>> {
    Ok(thresher_core::allocation::allocate(total, &scores, &caps)
        .map_err(crate::errors::CoreError::from)?)
}

/// Temperature mixture: `p_i` proportional to `sizes_i^(1/temperature)`.
#[pyfunction]
pub fn mixture_temperature(sizes: Vec<f64>, temperature: f64) -> PyResult<Vec<f64>> {
    Ok(sample::temperature(&sizes, temperature).map_err(crate::errors::CoreError::from)?)
}

/// UniMax: the budget given to each group (at most `max_epochs` passes each).
#[pyfunction]
pub fn mixture_unimax(sizes: Vec<f64>, budget: f64, max_epochs: f64) -> PyResult<Vec<f64>> {
    Ok(sample::unimax(&sizes, budget, max_epochs).map_err(crate::errors::CoreError::from)?)
}

/// A uniformly random permutation of `0..n`; `stream` picks one of many per seed.
#[pyfunction]
pub fn permutation(
    py: Python<'_>,
    n: u64,
    seed: u64,
    stream: u64,
) -> PyResult<Bound<'_, PyArray1<i64>>> {
    let order = run(py, None, |_| Ok(sample::permutation(n, seed, stream)))?;
    Ok(indices(py, order))
}

/// `(rows, row_numbers, seen)`: a one-pass reservoir of `k` rows of a stream.
#[pyfunction]
#[pyo3(signature = (source, k, seed, weight_column=None, progress=None))]
pub fn reservoir<'py>(
    py: Python<'py>,
    source: Corpus,
    k: usize,
    seed: u64,
    weight_column: Option<String>,
    progress: Option<Py<PyAny>>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyArray1<i64>>, u64)> {
    let options = ReservoirOptions {
        k,
        seed,
        weight_column,
    };
    let stream = into_stream(py, source)?;
    let sample = run(py, progress.as_ref(), |p| {
        sample::reservoir_stream(stream, &options, p)
    })?;
    let rows = PyRecordBatch::new(sample.rows).into_pyarrow(py)?;
    Ok((rows, indices(py, sample.row_numbers), sample.seen))
}

/// The rows of a stream at sorted, distinct global positions, as a pyarrow batch.
#[pyfunction]
#[pyo3(signature = (source, rows, progress=None))]
pub fn take_rows<'py>(
    py: Python<'py>,
    source: Corpus,
    rows: PyReadonlyArray1<'py, i64>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let rows: Vec<u64> = rows.as_array().iter().map(|&r| r.max(0) as u64).collect();
    let stream = into_stream(py, source)?;
    let batch = run(py, progress.as_ref(), |p| {
        thresher_core::rows::take_rows(stream, &rows, p)
    })?;
    PyRecordBatch::new(batch).into_pyarrow(py)
}

/// Columns of a stream, as pyarrow chunked arrays (one pass reading only them).
#[pyfunction]
#[pyo3(signature = (source, names, progress=None))]
pub fn collect_columns<'py>(
    py: Python<'py>,
    source: Corpus,
    names: Vec<String>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let stream = into_stream(py, source)?;
    let columns = run(py, progress.as_ref(), |p| {
        thresher_core::rows::collect_columns(stream, &names, p)
    })?;
    columns
        .into_iter()
        .map(|(chunks, field)| PyChunkedArray::try_new(chunks, field)?.into_pyarrow(py))
        .collect()
}

/// Register the sampling functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sample_uniform, m)?)?;
    m.add_function(wrap_pyfunction!(sample_weighted, m)?)?;
    m.add_function(wrap_pyfunction!(sample_keyed, m)?)?;
    m.add_function(wrap_pyfunction!(merge_keyed, m)?)?;
    m.add_function(wrap_pyfunction!(sample_with_replacement, m)?)?;
    m.add_function(wrap_pyfunction!(sample_stratified, m)?)?;
    m.add_function(wrap_pyfunction!(group_sizes, m)?)?;
    m.add_function(wrap_pyfunction!(allocate, m)?)?;
    m.add_function(wrap_pyfunction!(mixture_temperature, m)?)?;
    m.add_function(wrap_pyfunction!(mixture_unimax, m)?)?;
    m.add_function(wrap_pyfunction!(permutation, m)?)?;
    m.add_function(wrap_pyfunction!(reservoir, m)?)?;
    m.add_function(wrap_pyfunction!(take_rows, m)?)?;
    m.add_function(wrap_pyfunction!(collect_columns, m)?)?;
    Ok(())
}
