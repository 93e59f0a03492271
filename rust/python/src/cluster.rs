//! Bindings of `thresher_core::cluster` and `thresher_core::diversity`: numpy in
//! (float16, float32 or float64, no copy), one core call without the GIL, numpy or
//! typed results out.

use numpy::{
    PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::prelude::*;

use thresher_core::cluster::{self, hierarchical, Init, KMeansOptions, KMeansResult, Metric};
use thresher_core::diversity::gme::{self, GmeInput, GmeOptions};
use thresher_core::diversity::{k_center, quota, semdedup};

use crate::convert::choice::{
    AllocationChoice, AllocationName, InitChoice, InitName, MetricChoice, SelectorChoice,
};
use crate::convert::matrix::PyMatrix;
use crate::convert::vector::{slice, slice_opt};
use crate::detach::run;
use crate::errors::invalid;

fn positive(name: &str, value: i64) -> PyResult<usize> {
    if value <= 0 {
        return Err(invalid(name, format!("must be at least 1, got {value}")));
    }
    Ok(value as usize)
}

#[allow(clippy::too_many_arguments)]
fn options(
    k: i64,
    metric: MetricChoice,
    max_iter: i64,
    tol: f64,
    seed: u64,
    init: InitChoice,
    init_centroids: Option<PyReadonlyArray2<'_, f32>>,
    n_local_trials: Option<i64>,
    max_points_per_centroid: Option<i64>,
) -> PyResult<KMeansOptions> {
    let mut o = KMeansOptions::new(positive("k", k)?);
    o.metric = metric.0;
    if max_iter < 0 {
        return Err(invalid("max_iter", format!("must be >= 0, got {max_iter}")));
    }
    o.max_iter = max_iter as usize;
    o.tol = tol;
    o.seed = seed;
    let trials = n_local_trials
        .map(|t| positive("n_local_trials", t))
        .transpose()?;
    o.init = match (init.0, init_centroids) {
        (_, Some(c)) => Init::Given(c.as_array().iter().copied().collect()),
        (InitName::PlusPlus, None) => Init::PlusPlus(trials),
        (InitName::Parallel, None) => Init::Parallel(trials),
        (InitName::Random, None) => Init::Random,
    };
    o.max_points_per_centroid = max_points_per_centroid
        .map(|m| positive("max_points_per_centroid", m))
        .transpose()?;
    Ok(o)
}

/// A fitted k-means: centroids, the assignment of the training rows, and the history.
#[pyclass(module = "thresher._core", name = "KMeansFit", frozen)]
pub struct PyKMeansFit {
    /// `(k, d)` float32 centroids.
    #[pyo3(get)]
    centroids: Py<PyArray2<f32>>,
    /// The nearest centroid of each row.
    #[pyo3(get)]
    labels: Py<PyArray1<u32>>,
    /// Each row's distance to it.
    #[pyo3(get)]
    distances: Py<PyArray1<f32>>,
    /// The sum of the distances.
    #[pyo3(get)]
    inertia: f64,
    /// Iterations run.
    #[pyo3(get)]
    n_iter: usize,
    /// The inertia after each iteration.
    #[pyo3(get)]
    inertia_history: Vec<f64>,
}

impl PyKMeansFit {
    fn new(py: Python<'_>, r: KMeansResult) -> PyResult<Self> {
        Ok(PyKMeansFit {
            centroids: PyArray1::from_vec(py, r.centroids)
                .reshape([r.k, r.d])?
                .unbind(),
            labels: PyArray1::from_vec(py, r.assignment.labels).unbind(),
            distances: PyArray1::from_vec(py, r.assignment.distances).unbind(),
            inertia: r.assignment.inertia,
            n_iter: r.n_iter,
            inertia_history: r.inertia_history,
        })
    }
}

/// Fit k-means (Lloyd, or mini-batch with `batch_size`).
#[pyfunction]
#[pyo3(signature = (x, k, metric=MetricChoice(Metric::Euclidean), max_iter=20, tol=1e-4, seed=0, init=InitChoice(InitName::PlusPlus), init_centroids=None, n_local_trials=None, max_points_per_centroid=None, batch_size=None, progress=None))]
#[pyo3(
    text_signature = "(x, k, metric='euclidean', max_iter=20, tol=1e-4, seed=0, init='k-means++', init_centroids=None, n_local_trials=None, max_points_per_centroid=None, batch_size=None, progress=None)"
)]
#[allow(clippy::too_many_arguments)]
pub fn kmeans_fit<'py>(
    py: Python<'py>,
    x: PyMatrix<'py>,
    k: i64,
    metric: MetricChoice,
    max_iter: i64,
    tol: f64,
    seed: u64,
    init: InitChoice,
    init_centroids: Option<PyReadonlyArray2<'py, f32>>,
    n_local_trials: Option<i64>,
    max_points_per_centroid: Option<i64>,
    batch_size: Option<i64>,
    progress: Option<Py<PyAny>>,
) -> PyResult<PyKMeansFit> {
    let o = options(
        k,
        metric,
        max_iter,
        tol,
        seed,
        init,
        init_centroids,
        n_local_trials,
        max_points_per_centroid,
    )?;
    let batch = batch_size.map(|b| positive("batch_size", b)).transpose()?;
    let m = x.view("x")?;
    let r = run(py, progress.as_ref(), |p| match batch {
        Some(b) => cluster::fit_minibatch(&m, &o, b, p),
        None => cluster::fit(&m, &o, p),
    })?;
    PyKMeansFit::new(py, r)
}

/// `(labels, distances, inertia)` of the rows of `x` against fitted centroids.
type Assigned<'py> = (Bound<'py, PyArray1<u32>>, Bound<'py, PyArray1<f32>>, f64);

/// Assign the rows of `x` to their nearest centroid.
#[pyfunction]
#[pyo3(signature = (x, centroids, metric=MetricChoice(Metric::Euclidean)))]
#[pyo3(text_signature = "(x, centroids, metric='euclidean')")]
pub fn kmeans_assign<'py>(
    py: Python<'py>,
    x: PyMatrix<'py>,
    centroids: PyReadonlyArray2<'py, f32>,
    metric: MetricChoice,
) -> PyResult<Assigned<'py>> {
    let metric = metric.0;
    let m = x.view("x")?;
    let (k, d) = (centroids.shape()[0], centroids.shape()[1]);
    if d != m.cols() {
        return Err(invalid(
            "x",
            format!("has {} columns but the centroids have {d}", m.cols()),
        ));
    }
    let c: Vec<f32> = centroids.as_array().iter().copied().collect();
    let a = run(py, None, |_| {
        m.check_finite("x")?;
        if metric == Metric::Cosine {
            cluster::kmeans::check_nonzero_rows(&m)?;
        }
        Ok(cluster::assign(&m, &c, k, metric))
    })?;
    Ok((
        PyArray1::from_vec(py, a.labels),
        PyArray1::from_vec(py, a.distances),
        a.inertia,
    ))
}

/// Hierarchical k-means: one fit per level (see `kmeans_fit`).
#[pyfunction]
#[pyo3(signature = (x, levels, metric=MetricChoice(Metric::Euclidean), max_iter=20, tol=1e-4, seed=0, init=InitChoice(InitName::PlusPlus), n_local_trials=None, max_points_per_centroid=None, progress=None))]
#[pyo3(
    text_signature = "(x, levels, metric='euclidean', max_iter=20, tol=1e-4, seed=0, init='k-means++', n_local_trials=None, max_points_per_centroid=None, progress=None)"
)]
#[allow(clippy::too_many_arguments)]
pub fn hierarchical_kmeans<'py>(
    py: Python<'py>,
    x: PyMatrix<'py>,
    levels: Vec<i64>,
    metric: MetricChoice,
    max_iter: i64,
    tol: f64,
    seed: u64,
    init: InitChoice,
    n_local_trials: Option<i64>,
    max_points_per_centroid: Option<i64>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Vec<PyKMeansFit>> {
    let ks = levels
        .iter()
        .map(|&k| positive("levels", k))
        .collect::<PyResult<Vec<_>>>()?;
    let o = options(
        1,
        metric,
        max_iter,
        tol,
        seed,
        init,
        None,
        n_local_trials,
        max_points_per_centroid,
    )?;
    let m = x.view("x")?;
    let results = run(py, progress.as_ref(), |p| {
        hierarchical::fit_levels(&m, &ks, &o, p)
    })?;
    results
        .into_iter()
        .map(|r| PyKMeansFit::new(py, r))
        .collect()
}

/// Balanced top-down sample of a cluster tree: `parents[0]` labels the points,
/// `parents[l]` the clusters of level `l - 1`. Rows in ascending order.
#[pyfunction]
pub fn balanced_tree_sample<'py>(
    py: Python<'py>,
    parents: Vec<PyReadonlyArray1<'py, u32>>,
    budget: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyArray1<u64>>> {
    let refs: Vec<&[u32]> = parents
        .iter()
        .map(|p| slice(p, "parents"))
        .collect::<PyResult<_>>()?;
    let rows = run(py, None, |_| {
        hierarchical::balanced_sample(&refs, budget, seed)
    })?;
    Ok(PyArray1::from_vec(
        py,
        rows.into_iter().map(|r| r as u64).collect(),
    ))
}

/// Cluster-then-quota selection; rows in ascending order.
#[pyfunction]
#[pyo3(signature = (labels, budget, scores=None, allocation=AllocationChoice(AllocationName::Uniform), weights=None, seed=0))]
#[pyo3(
    text_signature = "(labels, budget, scores=None, allocation='uniform', weights=None, seed=0)"
)]
pub fn balanced_select<'py>(
    py: Python<'py>,
    labels: PyReadonlyArray1<'py, u32>,
    budget: usize,
    scores: Option<PyReadonlyArray1<'py, f64>>,
    allocation: AllocationChoice,
    weights: Option<Vec<f64>>,
    seed: u64,
) -> PyResult<Bound<'py, PyArray1<u64>>> {
    let allocation = match (allocation.0, weights) {
        (_, Some(w)) => quota::Allocation::Weights(w),
        (AllocationName::Uniform, None) => quota::Allocation::Uniform,
        (AllocationName::Proportional, None) => quota::Allocation::Proportional,
        (AllocationName::Weights, None) => {
            return Err(invalid("weights", "allocation='weights' needs the weights"))
        }
    };
    let labels = slice(&labels, "labels")?;
    let scores = slice_opt(&scores, "scores")?;
    let rows = run(py, None, |_| {
        quota::balanced(labels, budget, scores, &allocation, seed)
    })?;
    Ok(PyArray1::from_vec(
        py,
        rows.into_iter().map(|r| r as u64).collect(),
    ))
}

/// `(indices, radii)` of k-center greedy.
type Centers<'py> = (Bound<'py, PyArray1<u64>>, Bound<'py, PyArray1<f64>>);

/// k-center greedy (farthest-point) selection.
#[pyfunction]
#[pyo3(signature = (x, k, metric=MetricChoice(Metric::Euclidean), seed=0, initial=None, progress=None))]
#[pyo3(text_signature = "(x, k, metric='euclidean', seed=0, initial=None, progress=None)")]
pub fn k_center_greedy<'py>(
    py: Python<'py>,
    x: PyMatrix<'py>,
    k: i64,
    metric: MetricChoice,
    seed: u64,
    initial: Option<Vec<usize>>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Centers<'py>> {
    let k = positive("k", k)?;
    let metric = metric.0;
    let m = x.view("x")?;
    let initial = initial.unwrap_or_default();
    let r = run(py, progress.as_ref(), |p| {
        k_center::k_center(&m, k, metric, seed, &initial, p)
    })?;
    Ok((
        PyArray1::from_vec(py, r.indices.into_iter().map(|i| i as u64).collect()),
        PyArray1::from_vec(py, r.radii),
    ))
}

/// `(keep, duplicate_of, similarity)` of semantic deduplication.
type Deduped<'py> = (
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<f32>>,
);

/// SemDeDup within clusters.
#[pyfunction]
#[pyo3(signature = (x, labels, threshold, scores=None))]
pub fn semantic_dedup<'py>(
    py: Python<'py>,
    x: PyMatrix<'py>,
    labels: PyReadonlyArray1<'py, u32>,
    threshold: f32,
    scores: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Deduped<'py>> {
    let m = x.view("x")?;
    let labels = slice(&labels, "labels")?;
    let scores = slice_opt(&scores, "scores")?;
    let r = run(py, None, |_| {
        semdedup::semantic_dedup(&m, labels, threshold, scores)
    })?;
    Ok((
        PyArray1::from_vec(py, r.keep),
        PyArray1::from_vec(py, r.duplicate_of),
        PyArray1::from_vec(py, r.similarity),
    ))
}

/// `(order, entropies[steps, columns], scores)` of a GME ranking.
type Ranked<'py> = (
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray1<f64>>,
);

/// Greedy Maximum Entropy ranking of coded rows.
#[pyfunction]
#[pyo3(signature = (items, n_items, columns, n_values, selector=SelectorChoice(gme::Selector::Dutopia), binarised=false, n=1, approx=None, seed=0, progress=None))]
#[pyo3(
    text_signature = "(items, n_items, columns, n_values, selector='dutopia', binarised=False, n=1, approx=None, seed=0, progress=None)"
)]
#[allow(clippy::too_many_arguments)]
pub fn gme_rank<'py>(
    py: Python<'py>,
    items: PyReadonlyArray1<'py, u32>,
    n_items: usize,
    columns: Vec<PyReadonlyArray1<'py, u32>>,
    n_values: Vec<usize>,
    selector: SelectorChoice,
    binarised: bool,
    n: i64,
    approx: Option<i64>,
    seed: u64,
    progress: Option<Py<PyAny>>,
) -> PyResult<Ranked<'py>> {
    let options = GmeOptions {
        selector: selector.0,
        binarised,
        n: positive("n", n)?,
        approx: approx.map(|a| positive("approx", a)).transpose()?,
        seed,
    };
    let items = slice(&items, "items")?;
    let cols: Vec<&[u32]> = columns
        .iter()
        .map(|c| slice(c, "columns"))
        .collect::<PyResult<_>>()?;
    let ncols = cols.len();
    let input = GmeInput {
        items,
        n_items,
        columns: cols,
        n_values,
    };
    let r = run(py, progress.as_ref(), |p| gme::rank(&input, &options, p))?;
    let steps = r.order.len();
    Ok((
        PyArray1::from_vec(py, r.order),
        PyArray1::from_vec(py, r.entropies).reshape([steps, ncols])?,
        PyArray1::from_vec(py, r.scores),
    ))
}

/// Register the functions of this module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyKMeansFit>()?;
    m.add_function(wrap_pyfunction!(kmeans_fit, m)?)?;
    m.add_function(wrap_pyfunction!(kmeans_assign, m)?)?;
    m.add_function(wrap_pyfunction!(hierarchical_kmeans, m)?)?;
    m.add_function(wrap_pyfunction!(balanced_tree_sample, m)?)?;
    m.add_function(wrap_pyfunction!(balanced_select, m)?)?;
    m.add_function(wrap_pyfunction!(k_center_greedy, m)?)?;
    m.add_function(wrap_pyfunction!(semantic_dedup, m)?)?;
    m.add_function(wrap_pyfunction!(gme_rank, m)?)?;
    Ok(())
}
