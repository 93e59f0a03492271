//! Blocked point-to-centroid distances on a matrix-multiply kernel.
//!
//! `||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2`: the dot products of a block of rows with
//! all centroids are one `rows x k` tile computed by the `gemm` crate (pure Rust,
//! runtime-dispatched AVX2/FMA and AVX-512 f32 kernels, no system BLAS). Blocks are
//! processed in parallel with rayon, each by a single-threaded gemm call; the block
//! layout depends only on `n` and `k`, never on the thread count, so every float is
//! summed in the same order whatever the parallelism.

use rayon::prelude::*;

use crate::linalg::distance::{block_rows, dot_tile, row_norms};
use crate::linalg::distance::{dot, squared_distance};
use crate::linalg::Matrix;

/// How distances between points and centroids are measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Squared Euclidean distance.
    Euclidean,
    /// `1 - cosine similarity` (spherical k-means: centroids have unit norm).
    Cosine,
}

impl Metric {
    /// Parse `"euclidean"` or `"cosine"`.
    pub fn from_name(name: &str) -> Option<Metric> {
        match name {
            "euclidean" | "l2" => Some(Metric::Euclidean),
            "cosine" => Some(Metric::Cosine),
            _ => None,
        }
    }
}

/// Points assigned to their nearest centroid.
#[derive(Clone, Debug, Default)]
pub struct Assignment {
    /// Nearest centroid of each point (ties: the smallest index).
    pub labels: Vec<u32>,
    /// Distance of each point to it (squared Euclidean, or `1 - cos`).
    pub distances: Vec<f32>,
    /// Sum of the distances (summed in f64 per block, blocks in order).
    pub inertia: f64,
}

/// Assign every row of `x` to its nearest of the `k` centroids `c` (row-major, `k x d`;
/// unit-norm rows for [`Metric::Cosine`]).
///
/// The argmin uses the expanded form; the reported Euclidean distance is then
/// recomputed from differences, so inertia has no cancellation error.
pub fn assign(x: &Matrix, c: &[f32], k: usize, metric: Metric) -> Assignment {
    let n = x.rows();
    let d = x.cols();
    let c_norms = row_norms(c, d);
    let br = block_rows(k);
    let mut labels = vec![0u32; n];
    let mut distances = vec![0f32; n];
    let mut sums = vec![0f64; n.div_ceil(br)];
    labels
        .par_chunks_mut(br)
        .zip(distances.par_chunks_mut(br))
        .zip(sums.par_iter_mut())
        .enumerate()
        .for_each_init(
            || (Vec::new(), Vec::new()),
            |(buf, tile), (b, ((lab, dist), sum))| {
                let start = b * br;
                let rows = lab.len();
                let (block, stride) = x.block(start, start + rows, buf);
                tile.resize(rows * k, 0.0);
                dot_tile(block, stride, rows, d, c, k, tile);
                let mut total = 0f64;
                for r in 0..rows {
                    let dots = &tile[r * k..(r + 1) * k];
                    let xr = &block[r * stride..r * stride + d];
                    let (best, value) = match metric {
                        Metric::Euclidean => {
                            let (j, _) = argmin_by(k, |j| c_norms[j] - 2.0 * dots[j]);
                            (j, squared_distance(xr, &c[j * d..(j + 1) * d]))
                        }
                        Metric::Cosine => {
                            let (j, s) = argmin_by(k, |j| -dots[j]);
                            let norm = dot(xr, xr).sqrt();
                            (j, (1.0 + s / norm).max(0.0))
                        }
                    };
                    lab[r] = best as u32;
                    dist[r] = value;
                    total += value as f64;
                }
                *sum = total;
            },
        );
    let inertia = sums.iter().sum();
    Assignment {
        labels,
        distances,
        inertia,
    }
}

/// `(index, value)` of the smallest `f(j)` for `j < k`; ties go to the smallest index
/// (NaN never wins).
#[inline]
pub fn argmin_by(k: usize, f: impl Fn(usize) -> f32) -> (usize, f32) {
    let mut best = 0;
    let mut value = f32::INFINITY;
    for j in 0..k {
        let v = f(j);
        if v < value {
            value = v;
            best = j;
        }
    }
    (best, value)
}

/// Distances from every row of `x` to each of `t` candidate rows `cand` (contiguous,
/// `t x d`), blocked like [`assign`]: calls `visit(first_row, tile)` for each block
/// with `tile[r * t + j]` = distance of row `first_row + r` to candidate `j`
/// (squared Euclidean clamped at 0, or `1 - cos`). `x_norms` are the squared row norms.
pub fn for_each_distance_block<F>(
    x: &Matrix,
    x_norms: &[f32],
    cand: &[f32],
    t: usize,
    metric: Metric,
    visit: F,
) where
    F: Fn(usize, &[f32]) + Sync,
{
    let n = x.rows();
    let d = x.cols();
    let c_norms = row_norms(cand, d);
    let br = block_rows(t);
    (0..n.div_ceil(br)).into_par_iter().for_each_init(
        || (Vec::new(), Vec::new()),
        |(buf, tile), b| {
            let start = b * br;
            let rows = br.min(n - start);
            let (block, stride) = x.block(start, start + rows, buf);
            tile.resize(rows * t, 0.0);
            dot_tile(block, stride, rows, d, cand, t, tile);
            for r in 0..rows {
                let xn = x_norms[start + r];
                for j in 0..t {
                    let v = &mut tile[r * t + j];
                    *v = match metric {
                        Metric::Euclidean => (xn - 2.0 * *v + c_norms[j]).max(0.0),
                        Metric::Cosine => (1.0 - *v / (xn * c_norms[j]).sqrt()).max(0.0),
                    };
                }
            }
            visit(start, &tile[..rows * t]);
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(x: &[f32], c: &[f32], d: usize) -> Vec<(u32, f32)> {
        x.chunks(d)
            .map(|xr| {
                let mut best = (0u32, f32::INFINITY);
                for (j, cr) in c.chunks(d).enumerate() {
                    let v = squared_distance(xr, cr);
                    if v < best.1 {
                        best = (j as u32, v);
                    }
                }
                best
            })
            .collect()
    }

    #[test]
    fn assignment_matches_brute_force() {
        let d = 13;
        let x: Vec<f32> = (0..700 * d)
            .map(|i| (crate::rng::uniform_open(1, 0, i as u64) * 10.0) as f32)
            .collect();
        let c: Vec<f32> = (0..7 * d)
            .map(|i| (crate::rng::uniform_open(2, 0, i as u64) * 10.0) as f32)
            .collect();
        let m = Matrix::from_f32(&x, d).unwrap();
        let a = assign(&m, &c, 7, Metric::Euclidean);
        let expected = naive(&x, &c, d);
        for (i, (l, v)) in expected.iter().enumerate() {
            assert_eq!(a.labels[i], *l, "row {i}");
            assert!((a.distances[i] - v).abs() <= 1e-4 * v.max(1.0));
        }
    }
}
