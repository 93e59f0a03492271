//! Selecting documents by a quality score: GPT-3's "Pareto noise" rule.
//!
//! Brown et al. (2020, appendix A) kept a Common Crawl document when
//! `np.random.pareto(alpha) > 1 - score` with `alpha = 9`: mostly the documents the
//! classifier scores high, with some low-scored ones for diversity. `np.random.pareto`
//! draws a Lomax variable `X = U^(-1/alpha) - 1` (`U` uniform on (0, 1)), so
//! `P(X > t) = (1 + t)^(-alpha)` for `t >= 0` and a document of score `s` in [0, 1] is
//! kept with probability `(2 - s)^(-alpha)`. Here `U` for document `i` is the
//! counter-based draw `rng::uniform_open(seed, stream, i)`: the same documents are kept
//! for a seed whatever the thread count or the batching.

use rayon::prelude::*;

use crate::rng;
use crate::{Error, Result};

const STREAM_PARETO: u64 = 0x7061_7265_746f_0001;

/// The Lomax (`np.random.pareto`) draw of document `index` under `seed`.
#[inline]
pub fn pareto_draw(alpha: f64, seed: u64, index: u64) -> f64 {
    rng::uniform_open(seed, STREAM_PARETO, index).powf(-1.0 / alpha) - 1.0
}

/// Whether each document is kept by the Pareto rule (`draw > 1 - score`). A NaN score
/// is never kept.
///
/// # Errors
/// `InvalidParameter` unless `alpha` is positive and finite.
pub fn pareto_keep(scores: &[f64], alpha: f64, seed: u64) -> Result<Vec<bool>> {
    if !(alpha.is_finite() && alpha > 0.0) {
        return Err(Error::invalid(
            "pareto_alpha",
            format!("must be positive and finite, got {alpha}"),
        ));
    }
    Ok(scores
        .par_iter()
        .enumerate()
        .with_min_len(4096)
        .map(|(i, &s)| pareto_draw(alpha, seed, i as u64) > 1.0 - s)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inclusion_rate_matches_the_lomax_tail() {
        // n = 200_000 draws per score: the binomial standard error is below 0.0012,
        // so 5 standard errors is a sound tolerance.
        let n = 200_000;
        for &s in &[0.0, 0.3, 0.7, 0.95, 1.0] {
            let keep = pareto_keep(&vec![s; n], 9.0, 7).unwrap();
            let rate = keep.iter().filter(|&&k| k).count() as f64 / n as f64;
            let p = (2.0f64 - s).powf(-9.0);
            let se = (p * (1.0 - p) / n as f64).sqrt();
            assert!(
                (rate - p).abs() <= 5.0 * se + 1e-12,
                "s={s} rate={rate} p={p}"
            );
        }
    }

    #[test]
    fn same_selection_whatever_the_threads() {
        let scores: Vec<f64> = (0..50_000).map(|i| (i % 101) as f64 / 100.0).collect();
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let three = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        let a = one.install(|| pareto_keep(&scores, 9.0, 3).unwrap());
        let b = three.install(|| pareto_keep(&scores, 9.0, 3).unwrap());
        assert_eq!(a, b);
        assert!(pareto_keep(&scores, 0.0, 3).is_err());
        assert!(!pareto_keep(&[f64::NAN], 9.0, 3).unwrap()[0]);
    }
}
