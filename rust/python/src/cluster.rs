//! Bindings of `thresher_core::cluster` and `thresher_core::diversity`: numpy in
//! (float32 or float16, no copy), one core call without the GIL, numpy out.

use half::f16;
use numpy::{
    PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use thresher_core::cluster::{
    self, hierarchical, Elements, Init, KMeansOptions, KMeansResult, Matrix, Metric,
};
use thresher_core::diversity::gme::{self, GmeInput, GmeOptions, Selector};
use thresher_core::diversity::{k_center, quota, semdedup};

use crate::detach::run;
use crate::errors::{invalid, CoreError};

/// A 2-D float32 or float16 numpy array, borrowed read-only.
pub enum Dense<'py> {
    /// float32.
    F32(PyReadonlyArray2<'py, f32>),
    /// float16.
    F16(PyReadonlyArray2<'py, f16>),
}

impl<'a, 'py> FromPyObject<'a, 'py> for Dense<'py> {
    type Error = PyErr;

    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(a) = ob.extract::<PyReadonlyArray2<'py, f32>>() {
            return Ok(Dense::F32(a));
        }
        if let Ok(a) = ob.extract::<PyReadonlyArray2<'py, f16>>() {
            return Ok(Dense::F16(a));
        }
        Err(invalid(
            "x",
            "must be a 2-D numpy array of float32 or float16",
        ))
    }
}

/// Row count, column count and row stride (in elements) of a view whose rows are
/// contiguous; an error for any other layout.
fn layout(shape: &[usize], strides: &[isize], item: usize) -> PyResult<(usize, usize, usize)> {
    let (rows, cols) = (shape[0], shape[1]);
    if rows == 0 {
        return Ok((0, cols, cols));
    }
    let col_ok = cols <= 1 || strides[1] == item as isize;
    let row_stride = if rows <= 1 {
        cols
    } else if strides[0] > 0 && strides[0] as usize % item == 0 {
        strides[0] as usize / item
    } else {
        0
    };
    if !col_ok || row_stride < cols {
        return Err(invalid(
            "x",
            "rows must be contiguous in memory (C order, or a column slice of one); \
             pass numpy.ascontiguousarray(x)",
        ));
    }
    Ok((rows, cols, row_stride))
}

impl Dense<'_> {
    /// A core view of the array (no copy).
    pub fn view(&self) -> PyResult<Matrix<'_>> {
        fn parts<T: numpy::Element>(
            a: &PyReadonlyArray2<'_, T>,
        ) -> PyResult<(*const T, usize, usize, usize, usize)> {
            let (rows, cols, stride) = layout(a.shape(), a.strides(), std::mem::size_of::<T>())?;
            let len = if rows == 0 {
                0
            } else {
                (rows - 1) * stride + cols
            };
            Ok((a.data() as *const T, len, rows, cols, stride))
        }
        match self {
            Dense::F32(a) => {
                let (ptr, len, rows, cols, stride) = parts(a)?;
                // SAFETY: the readonly borrow keeps the buffer alive and unmodified;
                // `layout` checked that `len` elements from `ptr` are inside it.
                let data = unsafe { std::slice::from_raw_parts(ptr, len) };
                Ok(
                    Matrix::new(Elements::F32(data), rows, cols, stride)
                        .map_err(CoreError::from)?,
                )
            }
            Dense::F16(a) => {
                let (ptr, len, rows, cols, stride) = parts(a)?;
                // SAFETY: as above.
                let data = unsafe { std::slice::from_raw_parts(ptr, len) };
                Ok(
                    Matrix::new(Elements::F16(data), rows, cols, stride)
                        .map_err(CoreError::from)?,
                )
            }
        }
    }
}

fn metric(name: &str) -> PyResult<Metric> {
    Metric::from_name(name).ok_or_else(|| {
        invalid(
            "metric",
            format!("must be 'euclidean' or 'cosine', got {name:?}"),
        )
    })
}

fn positive(name: &str, value: i64) -> PyResult<usize> {
    if value <= 0 {
        return Err(invalid(name, format!("must be at least 1, got {value}")));
    }
    Ok(value as usize)
}

#[allow(clippy::too_many_arguments)]
fn options(
    k: i64,
    metric_name: &str,
    max_iter: i64,
    tol: f64,
    seed: u64,
    init: &str,
    init_centroids: Option<PyReadonlyArray2<'_, f32>>,
    n_local_trials: Option<i64>,
    max_points_per_centroid: Option<i64>,
) -> PyResult<KMeansOptions> {
    let mut o = KMeansOptions::new(positive("k", k)?);
    o.metric = metric(metric_name)?;
    if max_iter < 0 {
        return Err(invalid("max_iter", format!("must be >= 0, got {max_iter}")));
    }
    o.max_iter = max_iter as usize;
    o.tol = tol;
    o.seed = seed;
    let trials = n_local_trials
        .map(|t| positive("n_local_trials", t))
        .transpose()?;
    o.init = match (init, init_centroids) {
        (_, Some(c)) => Init::Given(c.as_array().iter().copied().collect()),
        ("k-means++", None) => Init::PlusPlus(trials),
        ("k-means||", None) => Init::Parallel(trials),
        ("random", None) => Init::Random,
        (other, None) => {
            return Err(invalid(
                "init",
                format!("must be 'k-means++', 'k-means||', 'random' or an array, got {other:?}"),
            ))
        }
    };
    o.max_points_per_centroid = max_points_per_centroid
        .map(|m| positive("max_points_per_centroid", m))
        .transpose()?;
    Ok(o)
}

fn result_dict<'py>(py: Python<'py>, r: KMeansResult) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item(
        "centroids",
        PyArray1::from_vec(py, r.centroids).reshape([r.k, r.d])?,
    )?;
    out.set_item("labels", PyArray1::from_vec(py, r.assignment.labels))?;
    out.set_item("distances", PyArray1::from_vec(py, r.assignment.distances))?;
    out.set_item("inertia", r.assignment.inertia)?;
    out.set_item("n_iter", r.n_iter)?;
    out.set_item("inertia_history", r.inertia_history)?;
    Ok(out)
}

/// Fit k-means (Lloyd, or mini-batch with `batch_size`); returns a dict of numpy arrays.
#[pyfunction]
#[pyo3(signature = (x, k, metric="euclidean", max_iter=20, tol=1e-4, seed=0, init="k-means++", init_centroids=None, n_local_trials=None, max_points_per_centroid=None, batch_size=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn kmeans_fit<'py>(
    py: Python<'py>,
    x: Dense<'py>,
    k: i64,
    metric: &str,
    max_iter: i64,
    tol: f64,
    seed: u64,
    init: &str,
    init_centroids: Option<PyReadonlyArray2<'py, f32>>,
    n_local_trials: Option<i64>,
    max_points_per_centroid: Option<i64>,
    batch_size: Option<i64>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
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
    let m = x.view()?;
    let r = run(py, progress.as_ref(), |p| match batch {
        Some(b) => cluster::fit_minibatch(&m, &o, b, p),
        None => cluster::fit(&m, &o, p),
    })?;
    result_dict(py, r)
}

/// `(labels, distances, inertia)` of the rows of `x` against fitted centroids.
type Assigned<'py> = (Bound<'py, PyArray1<u32>>, Bound<'py, PyArray1<f32>>, f64);

/// Assign the rows of `x` to their nearest centroid.
#[pyfunction]
#[pyo3(signature = (x, centroids, metric="euclidean"))]
pub fn kmeans_assign<'py>(
    py: Python<'py>,
    x: Dense<'py>,
    centroids: PyReadonlyArray2<'py, f32>,
    metric: &str,
) -> PyResult<Assigned<'py>> {
    let metric = self::metric(metric)?;
    let m = x.view()?;
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

/// Hierarchical k-means: one result dict per level (see `kmeans_fit`).
#[pyfunction]
#[pyo3(signature = (x, levels, metric="euclidean", max_iter=20, tol=1e-4, seed=0, init="k-means++", n_local_trials=None, max_points_per_centroid=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn hierarchical_kmeans<'py>(
    py: Python<'py>,
    x: Dense<'py>,
    levels: Vec<i64>,
    metric: &str,
    max_iter: i64,
    tol: f64,
    seed: u64,
    init: &str,
    n_local_trials: Option<i64>,
    max_points_per_centroid: Option<i64>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
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
    let m = x.view()?;
    let results = run(py, progress.as_ref(), |p| {
        hierarchical::fit_levels(&m, &ks, &o, p)
    })?;
    results.into_iter().map(|r| result_dict(py, r)).collect()
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
    let owned: Vec<Vec<u32>> = parents.iter().map(|p| p.as_array().to_vec()).collect();
    let refs: Vec<&[u32]> = owned.iter().map(|v| v.as_slice()).collect();
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
#[pyo3(signature = (labels, budget, scores=None, allocation="uniform", weights=None, seed=0))]
pub fn balanced_select<'py>(
    py: Python<'py>,
    labels: PyReadonlyArray1<'py, u32>,
    budget: usize,
    scores: Option<PyReadonlyArray1<'py, f64>>,
    allocation: &str,
    weights: Option<Vec<f64>>,
    seed: u64,
) -> PyResult<Bound<'py, PyArray1<u64>>> {
    let allocation = match (allocation, weights) {
        (_, Some(w)) => quota::Allocation::Weights(w),
        ("uniform", None) => quota::Allocation::Uniform,
        ("proportional", None) => quota::Allocation::Proportional,
        (other, None) => {
            return Err(invalid(
                "allocation",
                format!("must be 'uniform', 'proportional' or weights, got {other:?}"),
            ))
        }
    };
    let labels = labels.as_slice()?;
    let scores = scores.as_ref().map(|s| s.as_slice()).transpose()?;
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
#[pyo3(signature = (x, k, metric="euclidean", seed=0, initial=None, progress=None))]
pub fn k_center_greedy<'py>(
    py: Python<'py>,
    x: Dense<'py>,
    k: i64,
    metric: &str,
    seed: u64,
    initial: Option<Vec<usize>>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Centers<'py>> {
    let k = positive("k", k)?;
    let metric = self::metric(metric)?;
    let m = x.view()?;
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
    x: Dense<'py>,
    labels: PyReadonlyArray1<'py, u32>,
    threshold: f32,
    scores: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Deduped<'py>> {
    let m = x.view()?;
    let labels = labels.as_slice()?;
    let scores = scores.as_ref().map(|s| s.as_slice()).transpose()?;
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
#[pyo3(signature = (items, n_items, columns, n_values, selector="dutopia", binarised=false, n=1, approx=None, seed=0, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn gme_rank<'py>(
    py: Python<'py>,
    items: PyReadonlyArray1<'py, u32>,
    n_items: usize,
    columns: Vec<PyReadonlyArray1<'py, u32>>,
    n_values: Vec<usize>,
    selector: &str,
    binarised: bool,
    n: i64,
    approx: Option<i64>,
    seed: u64,
    progress: Option<Py<PyAny>>,
) -> PyResult<Ranked<'py>> {
    let selector = match selector {
        "dutopia" => Selector::Dutopia,
        "sum" => Selector::Sum,
        other => {
            return Err(invalid(
                "selector",
                format!("must be 'dutopia' or 'sum', got {other:?}"),
            ))
        }
    };
    let options = GmeOptions {
        selector,
        binarised,
        n: positive("n", n)?,
        approx: approx.map(|a| positive("approx", a)).transpose()?,
        seed,
    };
    let items = items.as_slice()?;
    let cols: Vec<&[u32]> = columns
        .iter()
        .map(|c| c.as_slice())
        .collect::<Result<_, _>>()?;
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
