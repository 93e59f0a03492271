//! Weighted sampling with replacement: Vose's alias method.
//!
//! O(n) to build, O(1) per draw: a draw picks a column uniformly and keeps it or
//! takes its alias by one biased coin. Draw j uses only `(seed, j)`, so draws are
//! made in parallel and the result does not depend on the thread count.

use rayon::prelude::*;

use super::streams::{ALIAS_COIN, ALIAS_COLUMN};
use super::weights::{check, Weight};
use crate::rng::Draws;
use crate::{Error, Result};

/// An alias table over n weights (n < 2^32).
#[derive(Clone, Debug)]
pub struct AliasTable {
    /// Probability of keeping column i (else take `alias[i]`).
    keep: Vec<f64>,
    alias: Vec<u32>,
}

impl AliasTable {
    /// Build the table; weights must be finite, >= 0, and not all zero.
    pub fn new<W: Weight>(weights: &[W]) -> Result<Self> {
        let n = weights.len();
        if n == 0 {
            return Err(Error::EmptyInput {
                what: "weights".into(),
                detail: "there is nothing to sample from".into(),
            });
        }
        if n > u32::MAX as usize {
            return Err(Error::invalid("weights", "at most 2^32 - 1 items"));
        }
        if check(weights)? == 0 {
            return Err(Error::invalid("weights", "all weights are zero"));
        }
        let total: f64 = weights.par_iter().map(|w| w.get()).sum();
        let scale = n as f64 / total;
        let mut keep: Vec<f64> = weights.par_iter().map(|w| w.get() * scale).collect();
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let (mut small, mut large): (Vec<u32>, Vec<u32>) =
            (0..n as u32).partition(|&i| keep[i as usize] < 1.0);
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            alias[s as usize] = l;
            keep[l as usize] -= 1.0 - keep[s as usize];
            if keep[l as usize] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Leftovers are 1 up to rounding error.
        for i in small.into_iter().chain(large) {
            keep[i as usize] = 1.0;
        }
        Ok(AliasTable { keep, alias })
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.keep.len()
    }

    /// Whether the table is empty (never: construction rejects empty weights).
    pub fn is_empty(&self) -> bool {
        self.keep.is_empty()
    }

    /// Draw j of the sequence whose columns and coins come from `columns` and `coins`.
    #[inline]
    fn draw(&self, columns: Draws, coins: Draws, j: u64) -> u64 {
        let n = self.keep.len() as u64;
        let column = ((columns.word(j) as u128 * n as u128) >> 64) as usize;
        if coins.open(j) < self.keep[column] {
            column as u64
        } else {
            self.alias[column] as u64
        }
    }

    /// Draws `0 .. count` under `seed`, in order.
    pub fn sample(&self, count: usize, seed: u64) -> Vec<u64> {
        let (columns, coins) = (Draws::new(seed, ALIAS_COLUMN), Draws::new(seed, ALIAS_COIN));
        (0..count)
            .into_par_iter()
            .with_min_len(1 << 14)
            .map(|j| self.draw(columns, coins, j as u64))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_follow_the_weights() {
        let w = [1.0f64, 0.0, 3.0, 6.0, 0.5, 9.5];
        let table = AliasTable::new(&w).unwrap();
        let draws = table.sample(200_000, 5);
        let mut counts = [0u32; 6];
        for d in draws {
            counts[d as usize] += 1;
        }
        assert_eq!(counts[1], 0);
        let total: f64 = w.iter().sum();
        let chi2: f64 = w
            .iter()
            .zip(counts)
            .filter(|(&w, _)| w > 0.0)
            .map(|(&w, c)| {
                let e = 200_000.0 * w / total;
                (c as f64 - e).powi(2) / e
            })
            .sum();
        // 0.999 quantile of chi-square with 4 dof.
        assert!(chi2 < 18.47, "chi2 = {chi2}");
    }

    #[test]
    fn rejects_unusable_weights() {
        assert!(AliasTable::new::<f64>(&[]).is_err());
        assert!(AliasTable::new(&[0.0f64, 0.0])
            .unwrap_err()
            .to_string()
            .contains("all weights are zero"));
        assert!(AliasTable::new(&[1.0f64, f64::NAN]).is_err());
    }
}
