//! The KL-reduction data metric of the DSIR paper, on the hashed n-gram space.
//!
//! `KL(target || raw) - KL(target || selected)`: how much closer the selected data's
//! feature distribution is to the target's than the raw corpus's is. The target
//! distribution is unsmoothed (buckets it never uses contribute nothing); raw and
//! selected are smoothed with one pseudo-count per bucket, so that both divergences
//! are finite and comparable.

use crate::dsir::model::probabilities;

/// Pseudo-count added to every bucket of the raw and selected distributions.
pub const KL_PSEUDO_COUNT: f64 = 1.0;

/// `KL(p || q)` with `p` from `target` counts and `q` from `other` counts (smoothed).
pub fn kl_divergence(target: &[u64], other: &[u64]) -> f64 {
    let p = probabilities(target, 0.0);
    let q = probabilities(other, KL_PSEUDO_COUNT);
    p.iter()
        .zip(&q)
        .filter(|(p, _)| **p > 0.0)
        .map(|(p, q)| p * (p / q).ln())
        .sum()
}

/// `KL(target || raw) - KL(target || selected)`.
pub fn kl_reduction(target: &[u64], raw: &[u64], selected: &[u64]) -> f64 {
    kl_divergence(target, raw) - kl_divergence(target, selected)
}

/// [`kl_reduction`] of every target of `model` by its `selected` counts (from
/// [`selected_counts`]).
pub fn kl_reductions(model: &crate::dsir::DsirModel, selected: &[Vec<u64>]) -> Vec<f64> {
    (0..model.num_targets())
        .map(|t| kl_reduction(&model.target_counts[t], &model.raw_counts, &selected[t]))
        .collect()
}

/// Feature counts of the selected documents, one vector per target (documents count
/// for the target they were selected for). `rows` holds the text column `column`.
pub fn selected_counts(
    model: &crate::dsir::DsirModel,
    selection: &crate::dsir::Selection,
    column: &str,
) -> crate::Result<Vec<Vec<u64>>> {
    use crate::features::Scratch;
    use crate::text::TextColumn;
    let text = TextColumn::from_batch(&selection.rows, column, 0)?;
    let buckets = model.features.buckets as usize;
    let mut counts = vec![vec![0u64; buckets]; model.num_targets()];
    let mut scratch = Scratch::default();
    for (i, selected) in selection.selected.iter().enumerate() {
        let target = &mut counts[selected.target as usize];
        model
            .features
            .count_into(text.value(i), &mut scratch, target);
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_distributions_have_no_divergence_beyond_smoothing() {
        let big = [1_000_000u64, 1_000_000, 2_000_000];
        assert!(kl_divergence(&big, &big).abs() < 1e-6);
    }

    #[test]
    fn selecting_target_like_data_reduces_kl() {
        let target = [90u64, 10, 0];
        let raw = [10u64, 10, 80];
        let selected = [80u64, 15, 5];
        let r = kl_reduction(&target, &raw, &selected);
        assert!(r > 0.5, "{r}");
        assert!(kl_reduction(&target, &raw, &raw).abs() < 1e-12);
        // Against a hand computation.
        let q: Vec<f64> = [11.0, 11.0, 81.0].iter().map(|c| c / 103.0).collect();
        let expected = 0.9 * (0.9 / q[0]).ln() + 0.1 * (0.1 / q[1]).ln();
        assert!((kl_divergence(&target, &raw) - expected).abs() < 1e-12);
    }
}
