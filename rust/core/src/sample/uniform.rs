//! k of n without replacement: Floyd's algorithm, O(k) memory and time.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use super::streams::UNIFORM;
use super::weights::too_few;
use crate::rng::{mix64, Sequence};
use crate::Result;

/// A hasher for u64 set members: one SplitMix64 finaliser, no DoS protection needed.
#[derive(Default)]
struct MixHasher(u64);

impl Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = mix64(self.0 ^ b as u64);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = mix64(x);
    }
}

/// `k` distinct indices of `0..n`, every subset equally likely, in increasing order.
///
/// Floyd's algorithm draws exactly k random numbers. The set of drawn indices is a
/// bitmap when `n <= 64 k` (so still O(k) bytes, and sorted for free), a hash set
/// otherwise.
pub fn uniform(n: u64, k: u64, seed: u64) -> Result<Vec<u64>> {
    if k > n {
        return Err(too_few(k, n, "items exist"));
    }
    let mut draws = Sequence::new(seed, UNIFORM);
    if n <= 64 * k.max(1) {
        let mut bits = vec![0u64; n.div_ceil(64) as usize];
        let mut test_and_set = |i: u64| {
            let (word, bit) = ((i / 64) as usize, 1u64 << (i % 64));
            let was = bits[word] & bit != 0;
            bits[word] |= bit;
            was
        };
        for j in n - k..n {
            let t = draws.below(j + 1);
            if test_and_set(t) {
                test_and_set(j);
            }
        }
        let mut out = Vec::with_capacity(k as usize);
        for (w, &word) in bits.iter().enumerate() {
            let mut word = word;
            while word != 0 {
                out.push(w as u64 * 64 + word.trailing_zeros() as u64);
                word &= word - 1;
            }
        }
        return Ok(out);
    }
    let mut set: HashSet<u64, BuildHasherDefault<MixHasher>> =
        HashSet::with_capacity_and_hasher(k as usize, Default::default());
    for j in n - k..n {
        let t = draws.below(j + 1);
        if !set.insert(t) {
            set.insert(j);
        }
    }
    let mut out: Vec<u64> = set.into_iter().collect();
    out.sort_unstable();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subset_of_two_of_five_is_equally_likely() {
        let trials = 20_000u64;
        let mut counts = std::collections::HashMap::new();
        for seed in 0..trials {
            *counts.entry(uniform(5, 2, seed).unwrap()).or_insert(0u32) += 1;
        }
        assert_eq!(counts.len(), 10);
        let expected = trials as f64 / 10.0;
        let chi2: f64 = counts
            .values()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        // 0.999 quantile of chi-square with 9 dof.
        assert!(chi2 < 27.88, "chi2 = {chi2}");
    }

    #[test]
    fn both_set_kinds_give_sorted_distinct_indices() {
        for (n, k) in [(10u64, 10u64), (1000, 20), (100_000, 10), (7, 0)] {
            let s = uniform(n, k, 1).unwrap();
            assert_eq!(s.len() as u64, k);
            assert!(s.windows(2).all(|p| p[0] < p[1]));
            assert!(s.iter().all(|&i| i < n));
        }
        assert!(uniform(3, 4, 0).is_err());
    }
}
