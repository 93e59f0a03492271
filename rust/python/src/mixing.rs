//! Bindings of `thresher_core::mixing` (QuaDMix): numpy in, one core call, numpy out.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use thresher_core::mixing::{self, DomainParams, Normalize};

use crate::convert::choice::NormalizeChoice;
use crate::convert::vector::slice;
use crate::detach::run;

/// `(weights, threshold, steepness, rate)` of one domain.
type Params = (Vec<f64>, f64, f64, f64);

/// Two float64 numpy arrays.
type ArrayPair<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>);

fn domain_params(params: Vec<Params>) -> Vec<DomainParams> {
    params
        .into_iter()
        .map(|(weights, threshold, steepness, rate)| DomainParams {
            weights,
            threshold,
            steepness,
            rate,
        })
        .collect()
}

/// The score columns, domain codes, parameters and normalisation, as core takes them.
type Inputs<'a> = (Vec<&'a [f64]>, &'a [u32], Vec<DomainParams>, Normalize);

fn inputs<'a>(
    scores: &'a [PyReadonlyArray1<'_, f64>],
    domains: &'a PyReadonlyArray1<'_, u32>,
    params: Vec<Params>,
    normalize_by: NormalizeChoice,
) -> PyResult<Inputs<'a>> {
    let columns = scores
        .iter()
        .map(|s| slice(s, "scores"))
        .collect::<PyResult<Vec<_>>>()?;
    let codes = slice(domains, "domains")?;
    Ok((columns, codes, domain_params(params), normalize_by.0))
}

/// Merged quality and quality rank (0 = best of its domain) of every document.
#[pyfunction]
pub fn quadmix_quality<'py>(
    py: Python<'py>,
    scores: Vec<PyReadonlyArray1<'py, f64>>,
    domains: PyReadonlyArray1<'py, u32>,
    params: Vec<Params>,
    normalize_by: NormalizeChoice,
) -> PyResult<ArrayPair<'py>> {
    let (columns, codes, params, how) = inputs(&scores, &domains, params, normalize_by)?;
    let (merged, ranks) = run(py, None, |_| {
        mixing::merged_quality(&columns, codes, &params, how)
    })?;
    Ok((
        PyArray1::from_vec(py, merged),
        PyArray1::from_vec(py, ranks),
    ))
}

/// Expected copies of every document under QuaDMix's sampling function.
#[pyfunction]
pub fn quadmix_expected<'py>(
    py: Python<'py>,
    scores: Vec<PyReadonlyArray1<'py, f64>>,
    domains: PyReadonlyArray1<'py, u32>,
    params: Vec<Params>,
    normalize_by: NormalizeChoice,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (columns, codes, params, how) = inputs(&scores, &domains, params, normalize_by)?;
    let expected = run(py, None, |_| {
        mixing::expected_copies(&columns, codes, &params, how)
    })?;
    Ok(PyArray1::from_vec(py, expected))
}

/// Integer copies drawn from expected copies, from `(seed, row)`.
#[pyfunction]
pub fn draw_copies<'py>(
    py: Python<'py>,
    expected: PyReadonlyArray1<'py, f64>,
    seed: u64,
) -> PyResult<Bound<'py, PyArray1<u32>>> {
    let values = slice(&expected, "expected")?;
    let copies = run(py, None, |_| mixing::draw_copies(values, seed))?;
    Ok(PyArray1::from_vec(py, copies))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(quadmix_quality, m)?)?;
    m.add_function(wrap_pyfunction!(quadmix_expected, m)?)?;
    m.add_function(wrap_pyfunction!(draw_copies, m)?)?;
    Ok(())
}
