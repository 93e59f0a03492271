//! Initial centroids: uniform random points, k-means++ (greedy, with local trials, as
//! scikit-learn does; one trial is the plain algorithm of Arthur and Vassilvitskii) and
//! k-means|| (Bahmani et al. 2012: a few oversampling rounds, then weighted k-means++
//! on the candidates), the cheaper choice for large k.
//!
//! Every random draw comes from `rng` with `(seed, stream, index)`, so the centroids
//! depend only on the seed, never on the thread count.

use rayon::prelude::*;

use super::distance::{for_each_distance_block, Metric};
use crate::linalg::distance::dot;
use crate::linalg::Matrix;
use crate::rng;

const STREAM_RANDOM: u64 = 0x1417_0001;
const STREAM_PLUSPLUS: u64 = 0x1417_0002;
const STREAM_PARALLEL: u64 = 0x1417_0100;

/// The `m` indices of `0..n` with the smallest random keys under `(seed, stream)`, in
/// key order: a uniform random subset in random order, independent of threads.
pub fn random_subset(n: usize, m: usize, seed: u64, stream: u64) -> Vec<usize> {
    let mut keys: Vec<(u64, usize)> = (0..n)
        .into_par_iter()
        .map(|i| (rng::word(seed, stream, i as u64), i))
        .collect();
    let m = m.min(n);
    if m < n && m > 0 {
        keys.select_nth_unstable(m - 1);
    }
    keys.truncate(m);
    keys.sort_unstable();
    keys.into_iter().map(|(_, i)| i).collect()
}

/// Scale each row of a contiguous `_ x d` buffer to unit norm (zero rows stay zero).
pub fn normalize_rows(c: &mut [f32], d: usize) {
    for row in c.chunks_exact_mut(d) {
        let norm = dot(row, row).sqrt();
        if norm > 0.0 {
            row.iter_mut().for_each(|v| *v /= norm);
        }
    }
}

/// `k` distinct points chosen uniformly at random.
pub fn random(x: &Matrix, k: usize, seed: u64) -> Vec<f32> {
    x.gather(&random_subset(x.rows(), k, seed, STREAM_RANDOM))
}

/// The index `i` with `prefix[i - 1] <= target < prefix[i]` (a draw proportional to
/// the increments of the cumulative sums `prefix`), skipping zero increments.
fn draw(prefix: &[f64], target: f64) -> usize {
    let i = prefix.partition_point(|&p| p <= target);
    i.min(prefix.len() - 1)
}

/// Cumulative sums of `w_i * dist_i` (sequential, so exactly reproducible).
fn cumulative(dist: &[f32], weights: Option<&[f64]>) -> Vec<f64> {
    let mut total = 0f64;
    dist.iter()
        .enumerate()
        .map(|(i, &v)| {
            total += v as f64 * weights.map_or(1.0, |w| w[i]);
            total
        })
        .collect()
}

/// k-means++ seeding of `k` centroids among the rows of `x`, optionally weighted.
///
/// The first centroid is drawn with probability proportional to the weight (uniform
/// without weights); each next one: `trials` candidates drawn with probability
/// proportional to `w * D(x)` (`D` = squared distance to the nearest centroid chosen so
/// far, or `1 - cos`), keeping the one that lowers the total potential most (ties: the
/// first drawn). `trials = 1` is the plain algorithm.
pub fn kmeans_plus_plus(
    x: &Matrix,
    weights: Option<&[f64]>,
    k: usize,
    trials: usize,
    metric: Metric,
    seed: u64,
) -> Vec<f32> {
    let n = x.rows();
    let d = x.cols();
    let trials = trials.max(1);
    let norms = x.squared_norms();
    let mut centers = Vec::with_capacity(k * d);
    let mut row = vec![0f32; d];

    let ones = vec![1f32; n];
    let prefix = cumulative(&ones, weights);
    let total = prefix[n - 1];
    let first = draw(&prefix, rng::uniform_open(seed, STREAM_PLUSPLUS, 0) * total);
    x.row_into(first, &mut row);
    centers.extend_from_slice(&row);

    let mut closest = vec![0f32; n];
    distances_to(x, &norms, &row, 1, metric, &mut closest);
    let mut cand_dist = vec![0f32; n * trials];
    for c in 1..k {
        let prefix = cumulative(&closest, weights);
        let pot = prefix[n - 1];
        let picks: Vec<usize> = (0..trials)
            .map(|t| {
                let u = rng::uniform_open(seed, STREAM_PLUSPLUS, (c * trials + t) as u64);
                if pot > 0.0 {
                    draw(&prefix, u * pot)
                } else {
                    ((u * n as f64) as usize).min(n - 1)
                }
            })
            .collect();
        let cand = x.gather(&picks);
        distances_to(x, &norms, &cand, trials, metric, &mut cand_dist);
        // New potential of each trial: sum over blocks of rows, blocks in order.
        let best = if trials == 1 {
            0
        } else {
            let per_block: Vec<Vec<f64>> = cand_dist
                .par_chunks(4096 * trials)
                .enumerate()
                .map(|(b, chunk)| {
                    let mut sums = vec![0f64; trials];
                    for (r, dists) in chunk.chunks_exact(trials).enumerate() {
                        let i = b * 4096 + r;
                        let w = weights.map_or(1.0, |w| w[i]);
                        for t in 0..trials {
                            sums[t] += w * dists[t].min(closest[i]) as f64;
                        }
                    }
                    sums
                })
                .collect();
            let mut pots = vec![0f64; trials];
            for sums in &per_block {
                for t in 0..trials {
                    pots[t] += sums[t];
                }
            }
            (0..trials).fold(0, |b, t| if pots[t] < pots[b] { t } else { b })
        };
        closest
            .par_iter_mut()
            .zip(cand_dist.par_chunks(trials))
            .for_each(|(c, dists)| *c = c.min(dists[best]));
        centers.extend_from_slice(&cand[best * d..(best + 1) * d]);
    }
    if metric == Metric::Cosine {
        normalize_rows(&mut centers, d);
    }
    centers
}

/// Distance of every row of `x` to each of `t` candidates, into `out` (`n x t`).
fn distances_to(
    x: &Matrix,
    norms: &[f32],
    cand: &[f32],
    t: usize,
    metric: Metric,
    out: &mut [f32],
) {
    let shared = SharedSlice::new(out);
    for_each_distance_block(x, norms, cand, t, metric, |start, tile| {
        // SAFETY: blocks cover disjoint row ranges, so writes never overlap.
        unsafe { shared.range(start * t, tile.len()) }.copy_from_slice(tile);
    });
}

/// A mutable slice written by disjoint ranges from several threads.
struct SharedSlice<T> {
    ptr: *mut T,
    len: usize,
}

// SAFETY: callers of `range` promise disjoint ranges, so no element is shared.
unsafe impl<T: Send> Sync for SharedSlice<T> {}

impl<T> SharedSlice<T> {
    fn new(out: &mut [T]) -> Self {
        SharedSlice {
            ptr: out.as_mut_ptr(),
            len: out.len(),
        }
    }

    /// # Safety
    /// Ranges borrowed at the same time must be disjoint.
    #[allow(clippy::mut_from_ref)]
    unsafe fn range(&self, at: usize, len: usize) -> &mut [T] {
        assert!(at + len <= self.len);
        std::slice::from_raw_parts_mut(self.ptr.add(at), len)
    }
}

/// k-means|| seeding: `rounds` rounds that each keep every point independently with
/// probability `min(1, l * D(x) / potential)` (`l = 2k`), then weighted k-means++
/// (with `trials` local trials) on the candidates, each weighted by the number of
/// points nearest to it. About `2 * rounds` Lloyd iterations of distance work, all of it
/// wide matrix products, and `rounds` passes over the data instead of k-means++'s `k`
/// (what matters for large `n x k` that does not fit in cache).
pub fn kmeans_parallel(
    x: &Matrix,
    k: usize,
    trials: usize,
    metric: Metric,
    seed: u64,
    rounds: usize,
) -> Vec<f32> {
    let n = x.rows();
    let d = x.cols();
    let norms = x.squared_norms();
    let first = ((rng::uniform_open(seed, STREAM_PARALLEL, 0) * n as f64) as usize).min(n - 1);
    let mut chosen = vec![first];
    let mut closest = vec![0f32; n];
    distances_to(x, &norms, &x.gather(&[first]), 1, metric, &mut closest);
    let mut nearest = vec![0u32; n];
    let oversample = 2.0 * k as f64;
    for round in 0..rounds {
        let pot: f64 = closest
            .par_chunks(4096)
            .map(|c| c.iter().map(|&v| v as f64).sum::<f64>())
            .collect::<Vec<_>>()
            .iter()
            .sum();
        if pot <= 0.0 {
            break;
        }
        let stream = STREAM_PARALLEL + 1 + round as u64;
        let new: Vec<usize> = (0..n)
            .into_par_iter()
            .filter(|&i| {
                rng::uniform_open(seed, stream, i as u64) < oversample * closest[i] as f64 / pot
            })
            .collect();
        if new.is_empty() {
            continue;
        }
        let t = new.len();
        let base = chosen.len() as u32;
        let cand = x.gather(&new);
        // Lower each row's distance block by block: memory O(block x t), not O(n x t).
        let (shared_closest, shared_nearest) = (
            SharedSlice::new(&mut closest),
            SharedSlice::new(&mut nearest),
        );
        for_each_distance_block(x, &norms, &cand, t, metric, |start, tile| {
            let rows = tile.len() / t;
            // SAFETY: blocks cover disjoint row ranges.
            let (c, near) = unsafe {
                (
                    shared_closest.range(start, rows),
                    shared_nearest.range(start, rows),
                )
            };
            for (r, dists) in tile.chunks_exact(t).enumerate() {
                for (j, &v) in dists.iter().enumerate() {
                    if v < c[r] {
                        c[r] = v;
                        near[r] = base + j as u32;
                    }
                }
            }
        });
        chosen.extend(new);
    }
    if chosen.len() <= k {
        let mut extra = random_subset(n, k, seed, STREAM_PARALLEL - 1);
        extra.retain(|i| !chosen.contains(i));
        chosen.extend(extra.into_iter().take(k - chosen.len()));
        let mut centers = x.gather(&chosen);
        if metric == Metric::Cosine {
            normalize_rows(&mut centers, d);
        }
        return centers;
    }
    let mut weights = vec![0f64; chosen.len()];
    for &j in &nearest {
        weights[j as usize] += 1.0;
    }
    let cand = x.gather(&chosen);
    let cand = Matrix::from_f32(&cand, d).expect("contiguous candidates");
    kmeans_plus_plus(&cand, Some(&weights), k, trials, metric, seed ^ 0x5eed)
}

/// scikit-learn's number of local trials for k-means++: `2 + floor(ln k)`.
pub fn default_trials(k: usize) -> usize {
    2 + (k as f64).ln().floor() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_subset_is_distinct_and_thread_independent() {
        let a = random_subset(1000, 10, 3, 1);
        let mut sorted = a.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 10);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        assert_eq!(pool.install(|| random_subset(1000, 10, 3, 1)), a);
    }

    #[test]
    fn plus_plus_picks_distinct_far_points() {
        // Three tight groups: k-means++ must pick one point in each.
        let mut x = Vec::new();
        for g in 0..3 {
            for i in 0..50 {
                x.push(g as f32 * 100.0 + (i % 5) as f32 * 0.01);
                x.push(i as f32 * 0.001);
            }
        }
        let m = Matrix::from_f32(&x, 2).unwrap();
        for seed in 0..20 {
            let c = kmeans_plus_plus(&m, None, 3, 3, Metric::Euclidean, seed);
            let mut groups: Vec<i32> = c.chunks(2).map(|r| (r[0] / 100.0).round() as i32).collect();
            groups.sort();
            assert_eq!(groups, vec![0, 1, 2], "seed {seed}");
            let p = kmeans_parallel(&m, 3, 3, Metric::Euclidean, seed, 5);
            let mut groups: Vec<i32> = p.chunks(2).map(|r| (r[0] / 100.0).round() as i32).collect();
            groups.sort();
            assert_eq!(groups, vec![0, 1, 2], "seed {seed}");
        }
    }
}
