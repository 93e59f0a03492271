//! Core pieces that the local and the Ray paths of `thresher` both need: the LSH band
//! hash and candidate rule, the per-group seed of stratified samples, the check of a
//! part of a weight column, and DSIR's option check, candidate ranking and target
//! resolution. One core function each, so a distributed run never copies a kernel.

use numpy::{PyArray1, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;

use thresher_core::dedup::lsh;
use thresher_core::dsir::select;
use thresher_core::dsir::{Method, Normalization, SelectOptions, WeightOptions};
use thresher_core::sample;

use crate::convert::choice::{SelectChoice, WeightNormChoice};
use crate::convert::corpus::{into_stream, Corpus};
use crate::convert::vector::{slice, with_weights, Weights};
use crate::detach::run;
use crate::dsir::PyDsirModel;
use crate::errors::{invalid, CoreError, CoreResult};

/// `lsh::band_hash` of each row of `slots` (documents x rows of one band) for band
/// number `band`.
#[pyfunction]
fn lsh_band_hashes<'py>(
    py: Python<'py>,
    slots: PyReadonlyArray2<'py, u32>,
    band: u64,
) -> PyResult<Bound<'py, PyArray1<u64>>> {
    let rows = slots.shape()[1];
    let data = slots
        .as_slice()
        .map_err(|_| invalid("slots", "must be a C-contiguous 2-D array"))?;
    let hashes = run(py, None, |_| Ok(lsh::band_hashes(data, rows, band)))?;
    Ok(PyArray1::from_vec(py, hashes))
}

/// The first and second documents of candidate pairs.
type Pairs<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<i64>>);

/// The candidate pairs `(i, j)` of band entries (band, key, document id, slots),
/// given in any order, by the local banding's rule (`lsh::band_pairs`).
#[pyfunction]
#[pyo3(signature = (bands, keys, ids, slots, max_group=lsh::MAX_GROUP))]
fn lsh_band_pairs<'py>(
    py: Python<'py>,
    bands: PyReadonlyArray1<'py, u32>,
    keys: PyReadonlyArray1<'py, u64>,
    ids: PyReadonlyArray1<'py, i64>,
    slots: PyReadonlyArray2<'py, u32>,
    max_group: usize,
) -> PyResult<Pairs<'py>> {
    let rows = slots.shape()[1];
    let (bands, keys) = (slice(&bands, "bands")?, slice(&keys, "keys")?);
    let ids: Vec<u64> = ids.as_array().iter().map(|&i| i as u64).collect();
    let slots = slots
        .as_slice()
        .map_err(|_| invalid("slots", "must be a C-contiguous 2-D array"))?;
    let pairs = run(py, None, |_| {
        lsh::band_pairs(bands, keys, &ids, slots, rows, max_group)
    })?;
    let first = PyArray1::from_iter(py, pairs.iter().map(|&(i, _)| i as i64));
    let second = PyArray1::from_iter(py, pairs.iter().map(|&(_, j)| j as i64));
    Ok((first, second))
}

/// The signature agreement below which an `"exact"` run skips a candidate pair.
#[pyfunction]
fn lsh_exact_floor(threshold: f64, num_perm: usize) -> f64 {
    thresher_core::dedup::near::exact_floor(threshold, num_perm)
}

/// The values of the score column `column` of `source`, checked as a local
/// near-duplicate run checks them (present, numeric, no null or NaN), its rows named
/// from `first_row`.
#[pyfunction]
fn dedup_score_values<'py>(
    py: Python<'py>,
    source: Corpus,
    column: &str,
    first_row: u64,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let stream = into_stream(py, source)?;
    let values = run(py, None, |_| {
        thresher_core::dedup::signatures::score_values_of_stream(stream, column, first_row)
    })?;
    Ok(PyArray1::from_vec(py, values))
}

/// The seed of group `group`'s uniform positions in a stratified sample under `seed`.
#[pyfunction]
fn stratified_group_seed(seed: u64, group: u64) -> u64 {
    sample::group_seed(seed, group)
}

/// Check a part of a weight column whose item `i` is row `rows[i]` of the whole;
/// returns how many weights are positive, or raises naming the first bad row.
#[pyfunction]
fn check_weights(
    py: Python<'_>,
    weights: Weights<'_>,
    rows: PyReadonlyArray1<'_, i64>,
) -> PyResult<u64> {
    let rows: Vec<u64> = rows.as_array().iter().map(|&r| r as u64).collect();
    with_weights!(weights, |w| run(py, None, |_| sample::check_rows(w, &rows)))
}

/// Check the options of a DSIR selection against `model` as every selection does
/// (`k`: the per-target counts, already split by the caller).
#[pyfunction]
#[pyo3(signature = (model, k, seed, method=SelectChoice(Method::Gumbel), temperature=1.0, normalize=WeightNormChoice(Normalization::None), clip=None, min_length=0))]
#[pyo3(
    text_signature = "(model, k, seed, method='gumbel', temperature=1.0, normalize='none', clip=None, min_length=0)"
)]
#[allow(clippy::too_many_arguments)]
fn dsir_check_select(
    model: &PyDsirModel,
    k: Vec<usize>,
    seed: u64,
    method: SelectChoice,
    temperature: f64,
    normalize: WeightNormChoice,
    clip: Option<(f64, f64)>,
    min_length: usize,
) -> CoreResult<()> {
    let options = SelectOptions {
        k,
        seed,
        method: method.0,
        temperature,
        weights: WeightOptions {
            normalization: normalize.0,
            clip,
            min_length,
        },
        keep_all_columns: true,
        tokens: None,
    };
    Ok(select::check_options(&model.inner, &options)?)
}

/// The error of a selection that found too few eligible documents (or none at all),
/// as every selection raises it; nothing when there are enough.
#[pyfunction]
fn dsir_check_eligible(
    total_k: usize,
    eligible: u64,
    documents: u64,
    min_length: usize,
) -> CoreResult<()> {
    Ok(select::check_eligible(
        total_k, eligible, documents, min_length,
    )?)
}

/// Positions of the best `k` candidates `(rows, keys)`, best first (larger key, then
/// smaller row).
#[pyfunction]
fn dsir_best<'py>(
    py: Python<'py>,
    rows: PyReadonlyArray1<'py, u64>,
    keys: PyReadonlyArray1<'py, f64>,
    k: usize,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let best = select::best_candidates(slice(&rows, "rows")?, slice(&keys, "keys")?, k)
        .map_err(CoreError)?;
    Ok(PyArray1::from_iter(py, best.into_iter().map(|i| i as i64)))
}

/// DSIR target resolution: candidates `(rows, targets, keys, log_weights)` of every
/// target, each target in order taking its best `k[t]` rows not taken before.
/// Returns the chosen `(rows, targets, log_weights)` in row order.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn dsir_resolve<'py>(
    py: Python<'py>,
    rows: PyReadonlyArray1<'py, u64>,
    targets: PyReadonlyArray1<'py, u32>,
    keys: PyReadonlyArray1<'py, f64>,
    log_weights: PyReadonlyArray1<'py, f64>,
    k: Vec<usize>,
) -> PyResult<(
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<f64>>,
)> {
    let (rows, targets) = (slice(&rows, "rows")?, slice(&targets, "targets")?);
    let (keys, log_weights) = (slice(&keys, "keys")?, slice(&log_weights, "log_weights")?);
    let chosen = run(py, None, |_| {
        select::resolve_columns(rows, targets, keys, log_weights, &k)
    })?;
    Ok((
        PyArray1::from_iter(py, chosen.iter().map(|s| s.row)),
        PyArray1::from_iter(py, chosen.iter().map(|s| s.target)),
        PyArray1::from_iter(py, chosen.iter().map(|s| s.log_weight)),
    ))
}

/// Register the shared functions and `LSH_MAX_GROUP` on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("LSH_MAX_GROUP", lsh::MAX_GROUP)?;
    m.add_function(wrap_pyfunction!(lsh_band_hashes, m)?)?;
    m.add_function(wrap_pyfunction!(lsh_band_pairs, m)?)?;
    m.add_function(wrap_pyfunction!(lsh_exact_floor, m)?)?;
    m.add_function(wrap_pyfunction!(dedup_score_values, m)?)?;
    m.add_function(wrap_pyfunction!(stratified_group_seed, m)?)?;
    m.add_function(wrap_pyfunction!(check_weights, m)?)?;
    m.add_function(wrap_pyfunction!(dsir_check_select, m)?)?;
    m.add_function(wrap_pyfunction!(dsir_check_eligible, m)?)?;
    m.add_function(wrap_pyfunction!(dsir_best, m)?)?;
    m.add_function(wrap_pyfunction!(dsir_resolve, m)?)?;
    Ok(())
}
