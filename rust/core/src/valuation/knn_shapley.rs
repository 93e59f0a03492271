//! Exact Shapley values of training points for the K-nearest-neighbour classification
//! utility (Jia et al. 2019, "Efficient task-specific data valuation for nearest
//! neighbor algorithms", Theorem 1).
//!
//! For one validation point `(v, y)`, with the training points sorted by distance to
//! `v` (`α_1` nearest; equal distances: the smaller training index is the nearer), the
//! utility of a subset `S` is `U(S) = (1/K) Σ_{i ≤ min(K, |S|)} 1[y_{α_i(S)} = y]`
//! (`U(∅) = 0`), and the Shapley values are
//!
//! `s_N = 1[y_N = y] min(K, N) / (N K)` (the paper's `1[y_N = y] / N` when `N >= K`),
//! `s_i = s_{i+1} + (1[y_i = y] - 1[y_{i+1} = y]) / K · min(K, i) / i`.
//!
//! Values are averaged over the validation points. Distances: squared Euclidean in
//! float32 from gemm tiles, after centring on the training mean (the query's own norm
//! is left out: it does not change the order; distances closer than float32 rounding
//! may be ordered either way). Validation points are processed in blocks of fixed
//! size, in parallel, and the per-block sums added in block order: the result does not depend on the thread
//! count. O(N d + N) per validation point (the radix sort is linear).

use rayon::prelude::*;

use super::radix;
use crate::linalg::centre::{column_means, subtract};
use crate::linalg::distance::{dot_tile, row_norms};
use crate::linalg::{Dense, Real};
use crate::stream::Progress;
use crate::{Error, Result};

/// Validation rows per block.
const BLOCK: usize = 16;
/// Blocks per wave (their partial sums are held at once).
const WAVE: usize = 16;

/// Check labels, shapes and values of a valuation problem.
pub fn check<T: Real>(
    train: &Dense<T>,
    y_train: &[u32],
    val: &Dense<T>,
    y_val: &[u32],
    k: usize,
) -> Result<()> {
    if k == 0 {
        return Err(Error::invalid("k", "must be at least 1"));
    }
    if train.rows() == 0 {
        return Err(Error::EmptyInput {
            what: "training set".into(),
            detail: "x_train has no rows".into(),
        });
    }
    if val.rows() == 0 {
        return Err(Error::EmptyInput {
            what: "validation set".into(),
            detail: "x_val has no rows".into(),
        });
    }
    if y_train.len() != train.rows() {
        return Err(Error::invalid(
            "y_train",
            format!(
                "has {} labels for {} rows of x_train",
                y_train.len(),
                train.rows()
            ),
        ));
    }
    if y_val.len() != val.rows() {
        return Err(Error::invalid(
            "y_val",
            format!(
                "has {} labels for {} rows of x_val",
                y_val.len(),
                val.rows()
            ),
        ));
    }
    if train.cols() != val.cols() {
        return Err(Error::invalid(
            "x_val",
            format!("has {} columns, x_train has {}", val.cols(), train.cols()),
        ));
    }
    train.check_finite("x_train")?;
    val.check_finite("x_val")
}

/// The K-NN Shapley value of every training point, averaged over the validation points.
pub fn knn_shapley<T: Real>(
    train: &Dense<T>,
    y_train: &[u32],
    val: &Dense<T>,
    y_val: &[u32],
    k: usize,
    progress: &dyn Progress,
) -> Result<Vec<f64>> {
    check(train, y_train, val, y_val, k)?;
    let n = train.rows();
    let d = train.cols();
    // Centred on the training mean: the same distances, far less rounding in the
    // expanded form for data away from the origin.
    let mut t = train.to_f32().into_owned();
    let mean = column_means(&t, d);
    subtract(&mut t, &mean);
    let t_norms = row_norms(&t, d);
    let m = val.rows();
    let blocks = m.div_ceil(BLOCK);
    let mut total = vec![0f64; n];
    for wave in (0..blocks).step_by(WAVE) {
        let partials: Vec<Vec<f64>> =
            (wave..(wave + WAVE).min(blocks))
                .into_par_iter()
                .map(|b| {
                    let rows: Vec<usize> = (b * BLOCK..((b + 1) * BLOCK).min(m)).collect();
                    let mut q = val.gather_f32(&rows);
                    subtract(&mut q, &mean);
                    let mut tile = vec![0f32; rows.len() * n];
                    dot_tile(&q, d, rows.len(), d, &t, n, &mut tile);
                    let mut acc = vec![0f64; n];
                    let (mut items, mut spare) = (Vec::with_capacity(n), Vec::new());
                    for (r, &j) in rows.iter().enumerate() {
                        items.clear();
                        items.extend(tile[r * n..(r + 1) * n].iter().enumerate().map(
                            |(i, &dot)| {
                                ((radix::key(t_norms[i] - 2.0 * dot) as u64) << 32) | i as u64
                            },
                        ));
                        radix::sort(&mut items, &mut spare);
                        accumulate(&items, y_train, y_val[j], k, &mut acc);
                    }
                    acc
                })
                .collect();
        for p in partials {
            for (a, v) in total.iter_mut().zip(p) {
                *a += v;
            }
        }
        let done = ((wave + WAVE).min(blocks) * BLOCK).min(m) - (wave * BLOCK);
        progress.advance(done as u64, 0)?;
    }
    let scale = 1.0 / m as f64;
    total.iter_mut().for_each(|v| *v *= scale);
    Ok(total)
}

/// Add one validation point's values to `acc`; `sorted` holds the training indices in
/// their low 32 bits, nearest first.
fn accumulate(sorted: &[u64], y_train: &[u32], y: u32, k: usize, acc: &mut [f64]) {
    let n = sorted.len();
    let hit = |rank: usize| {
        f64::from(u8::from(
            y_train[(sorted[rank - 1] & 0xffff_ffff) as usize] == y,
        ))
    };
    let kf = k as f64;
    let mut s = hit(n) * (k.min(n) as f64) / (n as f64 * kf);
    acc[(sorted[n - 1] & 0xffff_ffff) as usize] += s;
    let mut next = hit(n);
    for i in (1..n).rev() {
        let here = hit(i);
        s += (here - next) / kf * (k.min(i) as f64) / i as f64;
        acc[(sorted[i - 1] & 0xffff_ffff) as usize] += s;
        next = here;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::NoProgress;

    /// Shapley values by enumerating every subset (N <= 10).
    fn brute(x: &[f64], y: &[u32], v: &[f64], yv: &[u32], d: usize, k: usize) -> Vec<f64> {
        let n = y.len();
        let utility = |mask: u32| -> f64 {
            let mut total = 0.0;
            for (j, &target) in yv.iter().enumerate() {
                let mut members: Vec<(f64, usize)> = (0..n)
                    .filter(|&i| mask >> i & 1 == 1)
                    .map(|i| {
                        let dist: f64 = (0..d).map(|c| (x[i * d + c] - v[j * d + c]).powi(2)).sum();
                        (dist, i)
                    })
                    .collect();
                members.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                total += members
                    .iter()
                    .take(k)
                    .filter(|&&(_, i)| y[i] == target)
                    .count() as f64
                    / k as f64;
            }
            total / yv.len() as f64
        };
        let fact = |m: usize| (1..=m).map(|v| v as f64).product::<f64>();
        (0..n)
            .map(|i| {
                let mut value = 0.0;
                for mask in 0..(1u32 << n) {
                    if mask >> i & 1 == 1 {
                        continue;
                    }
                    let s = mask.count_ones() as usize;
                    let w = fact(s) * fact(n - s - 1) / fact(n);
                    value += w * (utility(mask | 1 << i) - utility(mask));
                }
                value
            })
            .collect()
    }

    #[test]
    fn equals_brute_force_enumeration() {
        let d = 2;
        for (n, k, seed) in [(6, 1, 1), (8, 3, 2), (10, 5, 3), (4, 6, 4), (9, 2, 5)] {
            // Coordinates on a coarse grid so that some distances tie exactly.
            let x: Vec<f64> = (0..n * d)
                .map(|i| (crate::rng::uniform_open(seed, 0, i as u64) * 4.0).floor())
                .collect();
            let y: Vec<u32> = (0..n)
                .map(|i| (crate::rng::word(seed, 1, i as u64) % 2) as u32)
                .collect();
            let v: Vec<f64> = (0..3 * d)
                .map(|i| (crate::rng::uniform_open(seed, 2, i as u64) * 4.0).floor())
                .collect();
            let yv = vec![0u32, 1, 1];
            let tr = Dense::contiguous(&x, d, "x_train").unwrap();
            let va = Dense::contiguous(&v, d, "x_val").unwrap();
            let got = knn_shapley(&tr, &y, &va, &yv, k, &NoProgress).unwrap();
            let want = brute(&x, &y, &v, &yv, d, k);
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-9, "n={n} k={k}: {got:?} vs {want:?}");
            }
        }
    }

    #[test]
    fn bad_input_is_named() {
        let x = vec![0f32; 4];
        let tr = Dense::contiguous(&x, 2, "x_train").unwrap();
        let empty: Vec<f32> = Vec::new();
        let va = Dense::contiguous(&empty, 2, "x_val").unwrap();
        let e = knn_shapley(&tr, &[0, 1], &va, &[], 1, &NoProgress).unwrap_err();
        assert!(e.to_string().contains("validation"), "{e}");
        let e = knn_shapley(&tr, &[0, 1], &tr, &[0, 1], 0, &NoProgress).unwrap_err();
        assert!(e.to_string().contains("invalid k"), "{e}");
        let e = knn_shapley(&tr, &[0], &tr, &[0, 1], 1, &NoProgress).unwrap_err();
        assert!(e.to_string().contains("y_train"), "{e}");
    }
}
