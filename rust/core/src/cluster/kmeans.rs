//! Lloyd's k-means: initialise, then alternately move each centroid to the mean of its
//! points and reassign every point to its nearest centroid.
//!
//! - Centroid sums are accumulated in f64, each centroid's points added in row order
//!   (points are grouped by label with a stable counting sort), so the result is the
//!   same whatever the thread count.
//! - Empty clusters are re-seeded with the points farthest from their centroid
//!   (ties: the smallest row), one per empty cluster in cluster order.
//! - Cosine (spherical k-means): centroids are the normalised sums of the normalised
//!   points; the distance is `1 - cos`.
//! - Stops after `max_iter` iterations, when no label changes, or when an iteration
//!   lowers the inertia by at most `tol` times the inertia.

use rayon::prelude::*;

use super::distance::{assign, Assignment, Metric};
use super::init::{self, normalize_rows};
use crate::linalg::distance::dot;
use crate::linalg::groups::group_by_label;
use crate::linalg::Matrix;
use crate::stream::Progress;
use crate::{Error, Result};

const STREAM_SUBSAMPLE: u64 = 0x1417_0003;

/// How initial centroids are chosen.
#[derive(Clone, Debug, PartialEq)]
pub enum Init {
    /// k-means++ with this many local trials (`None`: `2 + floor(ln k)`).
    PlusPlus(Option<usize>),
    /// `k` distinct points chosen uniformly.
    Random,
    /// k-means|| with this many local trials in its final k-means++ step.
    Parallel(Option<usize>),
    /// These centroids (`k x d`, row-major).
    Given(Vec<f32>),
}

/// Parameters of [`fit`].
#[derive(Clone, Debug)]
pub struct KMeansOptions {
    /// Number of clusters.
    pub k: usize,
    /// Distance.
    pub metric: Metric,
    /// Maximum number of Lloyd iterations (0: only initialise and assign).
    pub max_iter: usize,
    /// Relative inertia decrease under which iterations stop.
    pub tol: f64,
    /// Seed of every random choice.
    pub seed: u64,
    /// Initialisation.
    pub init: Init,
    /// Fit on a random sample of at most `k * this` points (as faiss does); all points
    /// are then assigned to the fitted centroids.
    pub max_points_per_centroid: Option<usize>,
}

impl KMeansOptions {
    /// Defaults: k-means++, Euclidean, 20 iterations, `tol = 1e-4`, seed 0.
    pub fn new(k: usize) -> Self {
        KMeansOptions {
            k,
            metric: Metric::Euclidean,
            max_iter: 20,
            tol: 1e-4,
            seed: 0,
            init: Init::PlusPlus(None),
            max_points_per_centroid: None,
        }
    }
}

/// A fitted k-means model and the assignment of the training points.
#[derive(Clone, Debug)]
pub struct KMeansResult {
    /// Centroids, `k x d` row-major.
    pub centroids: Vec<f32>,
    /// Number of centroids.
    pub k: usize,
    /// Dimension.
    pub d: usize,
    /// Nearest centroid of every point, distances and inertia.
    pub assignment: Assignment,
    /// Lloyd iterations run.
    pub n_iter: usize,
    /// Inertia after initialisation and after each iteration (of the sample, when
    /// `max_points_per_centroid` subsampled).
    pub inertia_history: Vec<f64>,
}

/// Check `x` and the options against each other (shared by every k-means variant).
pub fn validate(x: &Matrix, options: &KMeansOptions) -> Result<()> {
    let n = x.rows();
    if n == 0 {
        return Err(Error::EmptyInput {
            what: "x".into(),
            detail: "no rows to cluster".into(),
        });
    }
    if options.k == 0 {
        return Err(Error::invalid("k", "must be at least 1"));
    }
    if options.k > n {
        return Err(Error::invalid(
            "k",
            format!("{} clusters cannot be made from {n} points", options.k),
        ));
    }
    if !(options.tol >= 0.0 && options.tol.is_finite()) {
        return Err(Error::invalid(
            "tol",
            format!("must be >= 0, got {}", options.tol),
        ));
    }
    if options.max_points_per_centroid == Some(0) {
        return Err(Error::invalid(
            "max_points_per_centroid",
            "must be at least 1",
        ));
    }
    if let Init::Given(c) = &options.init {
        if c.len() != options.k * x.cols() {
            return Err(Error::invalid(
                "init",
                format!(
                    "expected {} x {} centroids, got {} values",
                    options.k,
                    x.cols(),
                    c.len()
                ),
            ));
        }
        if c.iter().any(|v| !v.is_finite()) {
            return Err(Error::invalid("init", "holds a NaN or infinite value"));
        }
    }
    x.check_finite("x")?;
    if options.metric == Metric::Cosine {
        check_nonzero_rows(x)?;
    }
    Ok(())
}

/// Cosine distance is undefined for a zero row: name the first.
pub fn check_nonzero_rows(x: &Matrix) -> Result<()> {
    let norms = x.squared_norms();
    match norms.iter().position(|&v| v == 0.0) {
        Some(row) => Err(Error::invalid(
            "x",
            format!("row {row} is all zeros: its cosine distance is undefined"),
        )),
        None => Ok(()),
    }
}

/// The initial centroids of `options.init`.
pub fn initial_centroids(x: &Matrix, options: &KMeansOptions) -> Vec<f32> {
    let k = options.k;
    let mut c = match &options.init {
        Init::PlusPlus(trials) => init::kmeans_plus_plus(
            x,
            None,
            k,
            trials.unwrap_or_else(|| init::default_trials(k)),
            options.metric,
            options.seed,
        ),
        Init::Random => init::random(x, k, options.seed),
        Init::Parallel(trials) => init::kmeans_parallel(
            x,
            k,
            trials.unwrap_or_else(|| init::default_trials(k)),
            options.metric,
            options.seed,
            // Two rounds, as Spark MLlib's default: ~4 Lloyd iterations of work, and
            // Lloyd then makes up the small loss against five rounds.
            2,
        ),
        Init::Given(c) => c.clone(),
    };
    if options.metric == Metric::Cosine {
        normalize_rows(&mut c, x.cols());
    }
    c
}

/// Fit k-means on the rows of `x`.
pub fn fit(x: &Matrix, options: &KMeansOptions, progress: &dyn Progress) -> Result<KMeansResult> {
    validate(x, options)?;
    let (n, k) = (x.rows(), options.k);
    if let Some(per) = options.max_points_per_centroid {
        if n > k.saturating_mul(per) {
            let picks = init::random_subset(n, k * per, options.seed, STREAM_SUBSAMPLE);
            let mut picks = picks;
            picks.sort_unstable();
            let sample = x.gather(&picks);
            let view = Matrix::from_f32(&sample, x.cols())?;
            let mut result = lloyd(&view, options, progress)?;
            result.assignment = assign(x, &result.centroids, k, options.metric);
            return Ok(result);
        }
    }
    lloyd(x, options, progress)
}

fn lloyd(x: &Matrix, options: &KMeansOptions, progress: &dyn Progress) -> Result<KMeansResult> {
    let (k, d) = (options.k, x.cols());
    let mut centroids = initial_centroids(x, options);
    let mut current = assign(x, &centroids, k, options.metric);
    let mut history = vec![current.inertia];
    let mut n_iter = 0;
    progress.advance(0, 0)?;
    while n_iter < options.max_iter {
        let updated = update(x, &current, k, options.metric);
        let next = assign(x, &updated, k, options.metric);
        n_iter += 1;
        progress.advance(x.rows() as u64, 0)?;
        let unchanged = next.labels == current.labels;
        let gain = current.inertia - next.inertia;
        centroids = updated;
        history.push(next.inertia);
        current = next;
        if unchanged || gain <= options.tol * current.inertia.abs() {
            break;
        }
    }
    Ok(KMeansResult {
        centroids,
        k,
        d,
        assignment: current,
        n_iter,
        inertia_history: history,
    })
}

/// Sum (f64, in row order) of the rows `members` of `x`, each scaled to unit norm for
/// cosine.
pub fn sum_rows(x: &Matrix, members: &[u32], metric: Metric, out: &mut [f64]) {
    let d = x.cols();
    let mut buf = vec![0f32; d];
    out.iter_mut().for_each(|v| *v = 0.0);
    for &i in members {
        let row = x.row(i as usize, &mut buf);
        let scale = match metric {
            Metric::Euclidean => 1.0,
            Metric::Cosine => 1.0 / (dot(row, row) as f64).sqrt(),
        };
        for (acc, &v) in out.iter_mut().zip(row) {
            *acc += v as f64 * scale;
        }
    }
}

/// New centroids: the mean (or normalised sum) of each cluster's points; empty
/// clusters re-seeded with the farthest points.
pub fn update(x: &Matrix, current: &Assignment, k: usize, metric: Metric) -> Vec<f32> {
    let d = x.cols();
    let (offsets, order) = group_by_label(&current.labels, k);
    let mut centroids = vec![0f32; k * d];
    let empty: Vec<bool> = centroids
        .par_chunks_mut(d)
        .enumerate()
        .map_init(
            || vec![0f64; d],
            |acc, (j, out)| {
                let members = &order[offsets[j]..offsets[j + 1]];
                if members.is_empty() {
                    return true;
                }
                sum_rows(x, members, metric, acc);
                let scale = match metric {
                    Metric::Euclidean => 1.0 / members.len() as f64,
                    Metric::Cosine => {
                        let norm = acc.iter().map(|v| v * v).sum::<f64>().sqrt();
                        if norm == 0.0 {
                            return true;
                        }
                        1.0 / norm
                    }
                };
                for (o, a) in out.iter_mut().zip(acc.iter()) {
                    *o = (a * scale) as f32;
                }
                false
            },
        )
        .collect();
    let empties: Vec<usize> = (0..k).filter(|&j| empty[j]).collect();
    if !empties.is_empty() {
        let far = farthest(&current.distances, empties.len());
        for (&j, &i) in empties.iter().zip(&far) {
            x.row_into(i, &mut centroids[j * d..(j + 1) * d]);
        }
        if metric == Metric::Cosine {
            for &j in &empties {
                normalize_rows(&mut centroids[j * d..(j + 1) * d], d);
            }
        }
    }
    centroids
}

/// The `m` rows with the largest distance, farthest first (ties: smallest row).
pub fn farthest(distances: &[f32], m: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..distances.len()).collect();
    let cmp = |a: &usize, b: &usize| {
        distances[*b]
            .total_cmp(&distances[*a])
            .then_with(|| a.cmp(b))
    };
    let m = m.min(idx.len());
    if m > 0 && m < idx.len() {
        idx.select_nth_unstable_by(m - 1, cmp);
    }
    idx.truncate(m);
    idx.sort_unstable_by(cmp);
    idx
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::NoProgress;

    fn blobs(per: usize, centers: &[[f32; 2]], seed: u64) -> Vec<f32> {
        let mut x = Vec::new();
        for (g, c) in centers.iter().enumerate() {
            for i in 0..per {
                let u = |s| crate::rng::uniform_open(seed, s, (g * per + i) as u64) as f32 - 0.5;
                x.push(c[0] + u(0));
                x.push(c[1] + u(1));
            }
        }
        x
    }

    #[test]
    fn recovers_separated_blobs_and_inertia_never_increases() {
        let x = blobs(
            100,
            &[[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]],
            1,
        );
        let m = Matrix::from_f32(&x, 2).unwrap();
        for init in [Init::PlusPlus(None), Init::Random, Init::Parallel(None)] {
            let mut o = KMeansOptions::new(4);
            let random = init == Init::Random;
            o.init = init;
            o.tol = 0.0;
            let r = fit(&m, &o, &NoProgress).unwrap();
            for w in r.inertia_history.windows(2) {
                assert!(w[1] <= w[0] * (1.0 + 1e-9), "{:?}", r.inertia_history);
            }
            // A random start may put two centroids in one blob: only the seedings
            // that spread out must find the four blobs.
            for g in 0..4 {
                if random {
                    break;
                }
                let l = r.assignment.labels[g * 100];
                assert!(r.assignment.labels[g * 100..(g + 1) * 100]
                    .iter()
                    .all(|&v| v == l));
            }
        }
    }

    #[test]
    fn empty_clusters_take_the_farthest_points() {
        // Given centroids far from the data: clusters 1 and 2 start empty.
        let x = blobs(20, &[[0.0, 0.0], [5.0, 5.0]], 2);
        let m = Matrix::from_f32(&x, 2).unwrap();
        let mut o = KMeansOptions::new(3);
        o.init = Init::Given(vec![2.5, 2.5, 100.0, 100.0, 200.0, 200.0]);
        let r = fit(&m, &o, &NoProgress).unwrap();
        let mut sizes = [0; 3];
        r.assignment
            .labels
            .iter()
            .for_each(|&l| sizes[l as usize] += 1);
        assert!(sizes.iter().all(|&s| s > 0), "{sizes:?}");
    }

    #[test]
    fn bad_parameters_are_named() {
        let x = vec![0.0f32; 10];
        let m = Matrix::from_f32(&x, 2).unwrap();
        let err = |o: KMeansOptions| match fit(&m, &o, &NoProgress) {
            Err(Error::InvalidParameter { name, .. }) => name,
            other => panic!("{other:?}"),
        };
        assert_eq!(err(KMeansOptions::new(6)), "k");
        assert_eq!(err(KMeansOptions::new(0)), "k");
        let mut o = KMeansOptions::new(2);
        o.metric = Metric::Cosine;
        assert_eq!(err(o), "x");
    }

    #[test]
    fn same_result_on_one_thread() {
        let x = blobs(300, &[[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]], 3);
        let m = Matrix::from_f32(&x, 2).unwrap();
        let o = KMeansOptions::new(5);
        let a = fit(&m, &o, &NoProgress).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let b = pool.install(|| fit(&m, &o, &NoProgress).unwrap());
        assert_eq!(a.centroids, b.centroids);
        assert_eq!(a.assignment.labels, b.assignment.labels);
        assert_eq!(a.inertia_history, b.inertia_history);
    }
}
