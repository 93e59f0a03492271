//! Weighted sampling without replacement by exponential keys (Efraimidis-Spirakis).
//!
//! Item `i` with weight `w > 0` gets the key `ln(U_i) / w`, `U_i` uniform from
//! `(seed, i)`; the k largest keys are a sample without replacement with
//! probabilities proportional to the weights (successive sampling). Since the key of
//! an item depends only on the seed and its global index, the top k of a union is
//! the top k of the partitions' top k: partitions (threads, chunks, machines) merge
//! into exactly the sample of the whole.
//!
//! Speed: a candidate buffer of up to 2k items is cut back to the best k by
//! quickselect, which raises a threshold `T`; an item can only beat it if
//! `ln(U) > w T`, and since `ln(U) <= U - 1` the test `U <= 1 + w T` rejects almost
//! every item before any logarithm is taken. That test runs over blocks of weights
//! in vectorised 32-bit lanes (see [`super::lanes`]), so a pass runs near memory
//! speed.

use std::cmp::Ordering;

use rayon::prelude::*;

use super::lanes::{self, LaneHash};
use super::streams::KEYED;
use super::weights::{bad_weight, problem, too_few, Weight};
use crate::Result;

/// An item and its key; larger keys win, ties go to the smaller index.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Keyed {
    /// The sampling key (`ln(U) / w`; always < 0).
    pub key: f64,
    /// The item's global index.
    pub index: u64,
}

/// `Less` when `a` ranks before `b` (larger key, then smaller index).
#[inline]
fn rank(a: &Keyed, b: &Keyed) -> Ordering {
    b.key.total_cmp(&a.key).then(a.index.cmp(&b.index))
}

/// The k best keyed items seen so far.
#[derive(Clone, Debug)]
pub struct KeyedTopK {
    k: usize,
    hash: LaneHash,
    candidates: Vec<Keyed>,
    /// No item with a key below this can be in the top k (`-inf` until k are held).
    threshold: f64,
}

impl KeyedTopK {
    /// An empty sample of up to `k` items under `seed`.
    pub fn new(k: usize, seed: u64) -> Self {
        KeyedTopK {
            k,
            hash: LaneHash::new(seed, KEYED),
            candidates: Vec::new(),
            threshold: f64::NEG_INFINITY,
        }
    }

    /// The key of item `index` with weight `weight` under this sample's seed.
    #[inline]
    pub fn key_of(&self, index: u64, weight: f64) -> f64 {
        self.hash.uniform(index).ln() / weight
    }

    /// Offer item `index` with a finite weight `weight >= 0` (zero is never drawn).
    #[inline]
    pub fn offer(&mut self, index: u64, weight: f64) {
        if weight <= 0.0 || self.k == 0 {
            return;
        }
        let u = self.hash.uniform(index);
        // ln(u) < u - 1 for u < 1: if u - 1 <= w T the key is below the threshold. The
        // 1e-15 keeps the test conservative despite rounding, so whether an item enters
        // never depends on the threshold of the moment (hence on the thread count).
        if u <= 1.0 + weight * self.threshold - 1e-15 {
            return;
        }
        let key = u.ln() / weight;
        if key >= self.threshold {
            self.push(Keyed { key, index });
        }
    }

    /// Offer an item whose key is already known (from another sample's `items`).
    pub fn offer_keyed(&mut self, item: Keyed) {
        if self.k > 0 && item.key >= self.threshold {
            self.push(item);
        }
    }

    /// Candidates held before they are cut back to the best k.
    fn capacity(&self) -> usize {
        2 * self.k.max(512)
    }

    #[inline]
    fn push(&mut self, item: Keyed) {
        self.candidates.push(item);
        if self.candidates.len() >= self.capacity() {
            self.shrink();
        }
    }

    fn shrink(&mut self) {
        if self.candidates.len() > self.k {
            self.candidates.select_nth_unstable_by(self.k - 1, rank);
            self.candidates.truncate(self.k);
            self.threshold = self.candidates[self.k - 1].key;
        }
    }

    /// Offer `weights[j]` as item `start + j` for every j; returns how many weights
    /// are positive. The first bad weight is an error naming its global index.
    pub fn extend<W: Weight>(&mut self, weights: &[W], start: u64) -> Result<u64> {
        if self.candidates.capacity() == 0 {
            // The buffer's final size at once: growing by doubling would hold the old
            // and the new buffer together.
            let bound = self.capacity().min(weights.len());
            self.candidates.reserve_exact(bound);
        }
        let mut positive = 0;
        let mut block = [0f64; BLOCK];
        let mut pass = [false; BLOCK];
        let mut hashes = [0i32; BLOCK];
        let mut done = 0usize;
        while done < weights.len() {
            let first = start + done as u64;
            // Blocks stop at multiples of 2^32, where the lane hash changes salt.
            let to_boundary = (1u64 << 32) - (first & 0xffff_ffff);
            let len = BLOCK.min(weights.len() - done).min(to_boundary as usize);
            for (b, w) in block.iter_mut().zip(&weights[done..done + len]) {
                *b = w.get();
            }
            let scan = lanes::scan(
                self.hash,
                &block[..len],
                first,
                self.threshold,
                &mut hashes[..len],
                &mut pass[..len],
            );
            if scan.bad {
                let (j, w) = block[..len]
                    .iter()
                    .enumerate()
                    .find(|(_, &w)| problem(w).is_some())
                    .expect("the scan saw a bad weight");
                let why = problem(*w).unwrap_or("bad");
                return Err(bad_weight("weights", first + j as u64, *w, why));
            }
            positive += scan.positive;
            if self.k > 0 {
                for j in (0..len).filter(|&j| pass[j]) {
                    self.offer(first + j as u64, block[j]);
                }
            }
            done += len;
        }
        Ok(positive)
    }

    /// The union of two samples (same k and seed) cut to the best k.
    pub fn merge(mut self, mut other: KeyedTopK) -> KeyedTopK {
        // Absorb the smaller buffer into the larger: no buffer grows.
        if self.candidates.len() < other.candidates.len() {
            std::mem::swap(&mut self, &mut other);
        }
        self.threshold = self.threshold.max(other.threshold);
        for item in other.candidates {
            self.offer_keyed(item);
        }
        self
    }

    /// The best k items (fewer if fewer had a positive weight), best first.
    pub fn items(mut self) -> Vec<Keyed> {
        self.shrink();
        self.candidates.sort_unstable_by(rank);
        self.candidates
    }

    /// The best k items in no particular order (skips the final sort by key).
    fn unordered(mut self) -> Vec<Keyed> {
        self.shrink();
        self.candidates
    }
}

/// Weights scanned at once (fits in L1 with its flags).
const BLOCK: usize = 1024;

/// Parts smaller than this are not worth a thread.
const MIN_PART: usize = 1 << 16;

/// The keyed sample of `k` of `weights`, the weights being items `start ..`; returns
/// the best k items (best first) and how many weights are positive.
///
/// Parallel over chunks; the result depends only on the weights, `start` and the seed,
/// not on the thread count. Samples of disjoint ranges combine with [`merge_items`].
pub fn weighted_items<W: Weight>(
    weights: &[W],
    k: usize,
    seed: u64,
    start: u64,
) -> Result<(Vec<Keyed>, u64)> {
    let (sample, positive) = sample_parts(weights, k, seed, start)?;
    Ok((sample.items(), positive))
}

/// The keyed sample of `weights` (items `start ..`), one part per thread, merged.
fn sample_parts<W: Weight>(
    weights: &[W],
    k: usize,
    seed: u64,
    start: u64,
) -> Result<(KeyedTopK, u64)> {
    // One contiguous part per thread: every part's buffer accepts its first 2k items
    // unfiltered, so few large parts beat many small ones.
    let parts = rayon::current_num_threads().max(1);
    let part = weights.len().div_ceil(parts).max(MIN_PART);
    let (sample, positive) = weights
        .par_chunks(part)
        .enumerate()
        .map(|(c, chunk)| {
            let mut sample = KeyedTopK::new(k, seed);
            let positive = sample.extend(chunk, start + (c * part) as u64)?;
            Ok::<_, crate::Error>((sample, positive))
        })
        .try_reduce(
            || (KeyedTopK::new(k, seed), 0),
            |(a, pa), (b, pb)| Ok((a.merge(b), pa + pb)),
        )?;
    Ok((sample, positive))
}

/// The best `k` of keyed items gathered from several samples (best first).
pub fn merge_items(items: impl IntoIterator<Item = Keyed>, k: usize) -> Vec<Keyed> {
    let mut sample = KeyedTopK::new(k, 0);
    for item in items {
        sample.offer_keyed(item);
    }
    sample.items()
}

/// Sample `k` of `weights` without replacement, with probability proportional to
/// weight; returns the chosen indices in increasing order.
///
/// The weights must be finite and >= 0, with at least `k` positive. The result
/// depends only on the weights and the seed, not on the thread count.
pub fn weighted<W: Weight>(weights: &[W], k: usize, seed: u64) -> Result<Vec<u64>> {
    let (sample, positive) = sample_parts(weights, k, seed, 0)?;
    if (positive as usize) < k {
        return Err(too_few(k as u64, positive, "weights are positive"));
    }
    let mut indices: Vec<u64> = sample.unordered().into_iter().map(|i| i.index).collect();
    indices.sort_unstable();
    Ok(indices)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::testing::{assert_frequencies, successive_inclusion};

    #[test]
    fn merged_partitions_equal_the_whole() {
        let weights: Vec<f64> = (0..5000).map(|i| ((i * 37) % 101) as f64 / 7.0).collect();
        let whole = {
            let mut s = KeyedTopK::new(40, 9);
            s.extend(&weights, 0).unwrap();
            s.items()
        };
        for cut in [1usize, 999, 2500, 4999] {
            let mut a = KeyedTopK::new(40, 9);
            a.extend(&weights[..cut], 0).unwrap();
            let mut b = KeyedTopK::new(40, 9);
            b.extend(&weights[cut..], cut as u64).unwrap();
            assert_eq!(b.merge(a).items(), whole);
        }
    }

    #[test]
    fn the_filter_drops_nothing_of_the_top_k() {
        // Exact top k by brute force over all keys.
        let weights: Vec<f64> = (0..20_000).map(|i| 1.0 + (i % 13) as f64).collect();
        let probe = KeyedTopK::new(0, 4);
        let mut all: Vec<Keyed> = (0..weights.len())
            .map(|i| Keyed {
                key: probe.key_of(i as u64, weights[i]),
                index: i as u64,
            })
            .collect();
        all.sort_by(rank);
        let mut sample = KeyedTopK::new(600, 4);
        sample.extend(&weights, 0).unwrap();
        assert_eq!(sample.items(), all[..600].to_vec());
    }

    #[test]
    fn never_draws_zero_weights_and_checks_k() {
        let weights = [0.0f64, 3.0, 0.0, 1.0, 2.0];
        assert_eq!(weighted(&weights, 3, 1).unwrap(), vec![1, 3, 4]);
        let err = weighted(&weights, 4, 1).unwrap_err().to_string();
        assert!(err.contains("only 3 weights are positive"), "{err}");
        let err = weighted(&[1.0f32, f32::NAN], 1, 1).unwrap_err().to_string();
        assert!(err.contains("weights[1] is NaN"), "{err}");
    }

    #[test]
    fn inclusion_matches_successive_sampling() {
        let w = [1.0, 2.0, 3.0, 4.0, 10.0];
        let trials = 20_000;
        let mut hits = [0u32; 5];
        for seed in 0..trials {
            for i in weighted(&w, 2, seed).unwrap() {
                hits[i as usize] += 1;
            }
        }
        assert_frequencies(&hits, &successive_inclusion(&w, 2), trials, 3.9);
    }
}
