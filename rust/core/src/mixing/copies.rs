//! Integer copies drawn from expected copies.

use rayon::prelude::*;

use super::streams::QUADMIX_COPIES;
use crate::rng::Draws;
use crate::{Error, Result};

/// `floor(e_i)` copies of row `i` plus one more with probability `e_i - floor(e_i)`,
/// the draw coming from `(seed, i)`: unbiased (the mean is `e_i`), with the least
/// variance of any integer rounding, and identical whatever the thread count.
pub fn draw_copies(expected: &[f64], seed: u64) -> Result<Vec<u32>> {
    if let Some(row) = expected
        .par_iter()
        .position_first(|e| !(e.is_finite() && *e >= 0.0 && *e < u32::MAX as f64))
    {
        return Err(Error::invalid(
            "expected",
            format!(
                "row {row} expects {} copies; must be finite, >= 0 and < 2^32 - 1",
                expected[row]
            ),
        ));
    }
    let draws = Draws::new(seed, QUADMIX_COPIES);
    Ok(expected
        .par_iter()
        .enumerate()
        .map(|(i, &e)| {
            let whole = e.floor();
            whole as u32 + u32::from(draws.open(i as u64) < e - whole)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_unbiased_and_deterministic() {
        let n = 100_000;
        let expected = vec![1.3; n];
        let copies = draw_copies(&expected, 5).unwrap();
        assert!(copies.iter().all(|&c| c == 1 || c == 2));
        let mean = copies.iter().map(|&c| c as f64).sum::<f64>() / n as f64;
        // Bernoulli(0.3) mean: standard error sqrt(0.21 / n) = 0.00145; 4 sigma.
        assert!((mean - 1.3).abs() < 0.006, "{mean}");
        assert_eq!(copies, draw_copies(&expected, 5).unwrap());
        assert_ne!(copies, draw_copies(&expected, 6).unwrap());
        assert_eq!(draw_copies(&[2.0, 0.0], 1).unwrap(), vec![2, 0]);
        assert!(draw_copies(&[-1.0], 1).is_err());
    }
}
