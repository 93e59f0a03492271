//! The random draws of rebalancing, each from `(seed, class, index)`: the same result
//! whatever the thread count.

use crate::rng::{mix64, Draws};
use crate::Result;

/// Random stream of SMOTE's draws for class `class`.
const SMOTE: u64 = 0x7e01_0000_0000;
/// Random stream of random over-sampling.
const OVER: u64 = 0x7e02_0000_0000;
/// Seed tweak of random under-sampling.
const UNDER: u64 = 0x7e03_0000_0000;

/// An integer in `[0, bound)` from a 64-bit word (multiply-high; the bias is at most
/// `bound / 2^64`).
#[inline]
fn below(word: u64, bound: usize) -> usize {
    ((word as u128 * bound as u128) >> 64) as usize
}

/// The draws of synthetic point `j` of class `class`: `(base, neighbour slot, gap)`
/// with the base uniform in `0..m`, the slot uniform in `0..k` and the gap uniform
/// in (0, 1), as SMOTE draws them.
#[inline]
pub fn smote_draw(seed: u64, class: u32, j: u64, m: usize, k: usize) -> (usize, usize, f64) {
    let draws = Draws::new(seed, SMOTE + class as u64);
    (
        below(draws.word(3 * j), m),
        below(draws.word(3 * j + 1), k),
        draws.open(3 * j + 2),
    )
}

/// Row `j` of the copies random over-sampling adds to a class of `m` rows: uniform
/// with replacement.
#[inline]
pub fn over_draw(seed: u64, class: u32, j: u64, m: usize) -> usize {
    below(Draws::new(seed, OVER + class as u64).word(j), m)
}

/// `keep` of the `m` rows of a class, without replacement, every subset equally
/// likely, in increasing order.
pub fn under_draw(seed: u64, class: u32, m: usize, keep: usize) -> Result<Vec<usize>> {
    let picked =
        crate::sample::uniform(m as u64, keep as u64, mix64(seed ^ (UNDER + class as u64)))?;
    Ok(picked.into_iter().map(|i| i as usize).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_in_range_and_spread() {
        let mut counts = [0usize; 5];
        for j in 0..50_000 {
            let (b, s, g) = smote_draw(3, 1, j, 7, 5);
            assert!(b < 7 && g > 0.0 && g < 1.0);
            counts[s] += 1;
        }
        // Chi-square, 4 degrees of freedom, 0.999 quantile 18.47.
        let chi2: f64 = counts
            .iter()
            .map(|&c| (c as f64 - 10_000.0).powi(2) / 10_000.0)
            .sum();
        assert!(chi2 < 18.47, "{chi2}");
        let kept = under_draw(1, 0, 100, 30).unwrap();
        assert_eq!(kept.len(), 30);
        assert!(kept.windows(2).all(|w| w[0] < w[1]));
    }
}
