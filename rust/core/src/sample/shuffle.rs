//! A seeded uniform permutation (Fisher-Yates).

use super::streams::SHUFFLE;
use crate::rng::Sequence;

/// A uniformly random permutation of `0..n` under `(seed, stream)`.
///
/// `stream` gives independent permutations for one seed (RS2 uses one per pass
/// over the data). Memory is 8n bytes; the draws come from one ordered sequence.
pub fn permutation(n: u64, seed: u64, stream: u64) -> Vec<u64> {
    let mut out: Vec<u64> = (0..n).collect();
    let mut draws = Sequence::new(seed, SHUFFLE ^ stream.wrapping_mul(0xff51_afd7_ed55_8ccd));
    for i in (1..n as usize).rev() {
        let j = draws.below(i as u64 + 1) as usize;
        out.swap(i, j);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_six_orders_of_three_are_equally_likely() {
        let trials = 30_000u64;
        let mut counts = std::collections::HashMap::new();
        for seed in 0..trials {
            *counts.entry(permutation(3, seed, 0)).or_insert(0u32) += 1;
        }
        assert_eq!(counts.len(), 6);
        let e = trials as f64 / 6.0;
        let chi2: f64 = counts.values().map(|&c| (c as f64 - e).powi(2) / e).sum();
        // 0.999 quantile of chi-square with 5 dof.
        assert!(chi2 < 20.52, "chi2 = {chi2}");
        assert_ne!(permutation(100, 1, 0), permutation(100, 1, 1));
    }
}
