//! The fitted DSIR model: feature counts and the log-ratio vectors they imply.

use crate::features::FeatureConfig;
use crate::{Error, Result};

/// How probabilities are estimated from counts.
///
/// `p = (count + alpha) / (total + alpha * buckets)`, then
/// `log_diff = ln(p_target + epsilon) - ln(p_raw + epsilon)`.
/// data-selection uses `alpha = 0, epsilon = 1e-8`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Smoothing {
    /// Additive (Laplace) pseudo-count for the target distributions.
    pub target_alpha: f64,
    /// Additive pseudo-count for the raw distribution.
    pub raw_alpha: f64,
    /// Added to probabilities inside the logarithms.
    pub epsilon: f64,
}

impl Smoothing {
    /// data-selection 1.0.3's estimator.
    pub const DATA_SELECTION: Smoothing = Smoothing {
        target_alpha: 0.0,
        raw_alpha: 0.0,
        epsilon: 1e-8,
    };

    fn validate(&self) -> Result<()> {
        for (name, v) in [
            ("target_smoothing", self.target_alpha),
            ("raw_smoothing", self.raw_alpha),
            ("epsilon", self.epsilon),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::invalid(
                    name,
                    format!("must be finite and >= 0, got {v}"),
                ));
            }
        }
        Ok(())
    }
}

/// A fitted DSIR model: feature configuration, counts, and log-ratio vectors.
#[derive(Clone, Debug)]
pub struct DsirModel {
    /// How documents are featurized.
    pub features: FeatureConfig,
    /// How probabilities are estimated.
    pub smoothing: Smoothing,
    /// Feature counts of each target corpus (one vector of `buckets` per target).
    pub target_counts: Vec<Vec<u64>>,
    /// Feature counts of the raw corpus (or of the sample of it that was fitted).
    pub raw_counts: Vec<u64>,
    /// `ln(p_target + eps) - ln(p_raw + eps)`, one vector per target.
    pub log_diff: Vec<Vec<f64>>,
}

/// Probabilities from counts with additive smoothing.
pub fn probabilities(counts: &[u64], alpha: f64) -> Vec<f64> {
    let total: f64 = counts.iter().map(|&c| c as f64).sum::<f64>() + alpha * counts.len() as f64;
    counts.iter().map(|&c| (c as f64 + alpha) / total).collect()
}

impl DsirModel {
    /// Build a model from counts, checking that they are usable.
    pub fn from_counts(
        features: FeatureConfig,
        smoothing: Smoothing,
        target_counts: Vec<Vec<u64>>,
        raw_counts: Vec<u64>,
    ) -> Result<Self> {
        features.validate()?;
        smoothing.validate()?;
        let buckets = features.buckets as usize;
        if target_counts.is_empty() {
            return Err(Error::EmptyInput {
                what: "target".into(),
                detail: "no target corpus was given".into(),
            });
        }
        for (t, counts) in target_counts.iter().enumerate() {
            check_counts(counts, buckets, &format!("target corpus {t}"))?;
        }
        check_counts(&raw_counts, buckets, "raw corpus")?;
        if smoothing.epsilon == 0.0 && smoothing.raw_alpha == 0.0 {
            return Err(Error::invalid(
                "smoothing",
                "raw_smoothing and epsilon are both 0: a bucket unseen in the raw corpus would \
                 get an infinite weight",
            ));
        }
        let raw_log: Vec<f64> = probabilities(&raw_counts, smoothing.raw_alpha)
            .into_iter()
            .map(|p| (p + smoothing.epsilon).ln())
            .collect();
        let log_diff = target_counts
            .iter()
            .map(|counts| {
                probabilities(counts, smoothing.target_alpha)
                    .into_iter()
                    .zip(&raw_log)
                    .map(|(p, r)| (p + smoothing.epsilon).ln() - r)
                    .collect()
            })
            .collect();
        Ok(DsirModel {
            features,
            smoothing,
            target_counts,
            raw_counts,
            log_diff,
        })
    }

    /// Number of targets.
    pub fn num_targets(&self) -> usize {
        self.log_diff.len()
    }
}

fn check_counts(counts: &[u64], buckets: usize, what: &str) -> Result<()> {
    if counts.len() != buckets {
        return Err(Error::invalid(
            "counts",
            format!("{what} has {} buckets, the model {buckets}", counts.len()),
        ));
    }
    if counts.iter().all(|&c| c == 0) {
        return Err(Error::EmptyInput {
            what: what.into(),
            detail: "it has no token (no document, or only empty documents)".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(buckets: u32) -> FeatureConfig {
        FeatureConfig {
            buckets,
            ..Default::default()
        }
    }

    #[test]
    fn log_diff_matches_the_formula() {
        let model = DsirModel::from_counts(
            config(3),
            Smoothing::DATA_SELECTION,
            vec![vec![2, 0, 2]],
            vec![1, 1, 2],
        )
        .unwrap();
        let expected = [
            (0.5f64 + 1e-8).ln() - (0.25f64 + 1e-8).ln(),
            (1e-8f64).ln() - (0.25f64 + 1e-8).ln(),
            (0.5f64 + 1e-8).ln() - (0.5f64 + 1e-8).ln(),
        ];
        for (a, b) in model.log_diff[0].iter().zip(expected) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn laplace_smoothing_keeps_weights_finite() {
        let s = Smoothing {
            target_alpha: 1.0,
            raw_alpha: 1.0,
            epsilon: 0.0,
        };
        let model =
            DsirModel::from_counts(config(3), s, vec![vec![3, 0, 0]], vec![0, 0, 5]).unwrap();
        assert!(model.log_diff[0].iter().all(|v| v.is_finite()));
        assert!((model.log_diff[0][0] - ((4.0f64 / 6.0) / (1.0 / 8.0)).ln()).abs() < 1e-12);
    }

    #[test]
    fn empty_target_is_an_error() {
        let err = DsirModel::from_counts(
            config(2),
            Smoothing::DATA_SELECTION,
            vec![vec![0, 0]],
            vec![1, 1],
        )
        .unwrap_err();
        assert!(matches!(err, Error::EmptyInput { .. }), "{err}");
        assert!(err.to_string().contains("target corpus 0"));
    }
}
