//! QuaDMix's parameterised sampling function (Liu et al. 2025, "QuaDMix:
//! Quality-Diversity Balanced Data Selection for Efficient LLM Pretraining").
//!
//! For document `i` of domain `m` with quality scores `s_{1..N}(i)`:
//!
//! 1. each score is normalised to its mid-rank percentile `u_n(i)` in `(0, 1)` (within
//!    the domain, within the corpus, or not at all: [`Normalize`]);
//! 2. the merged quality is `q(i) = sum_n alpha_{m,n} u_n(i)` (weights of the domain,
//!    non-negative, summing to 1: the Meta-rater style weighted merge);
//! 3. its quality rank is `r(i) = 1 - mid-rank percentile of q(i) within domain m`
//!    (0 = best, 1 = worst);
//! 4. the expected number of copies is
//!    `S(r) = eta_m * 2 / (1 + exp(lambda_m * (r - omega_m)))` if `r <= omega_m`,
//!    else 0: documents above the domain's quality percentile threshold `omega_m` are
//!    sampled `eta_m` times at the threshold and up to `2 eta_m` for the best, with
//!    `lambda_m` the steepness (0 = flat).

use rayon::prelude::*;

use super::rank::{group_rows, ranks_in_order};
use crate::{Error, Result};

/// The parameters of one domain.
#[derive(Clone, Debug, PartialEq)]
pub struct DomainParams {
    /// Merging weights `alpha_{m,n}`, one per quality score: finite, >= 0, summing to 1.
    pub weights: Vec<f64>,
    /// Quality percentile threshold `omega_m` in `[0, 1]`: the share of the domain kept.
    pub threshold: f64,
    /// Steepness `lambda_m >= 0` of the decay from the best documents to the threshold.
    pub steepness: f64,
    /// Sampling rate `eta_m >= 0`: expected copies of a document at the threshold.
    pub rate: f64,
}

/// How quality scores are normalised before they are merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Normalize {
    /// Mid-rank percentile within the document's domain (the default).
    Domain,
    /// Mid-rank percentile within the whole corpus.
    Corpus,
    /// The raw scores (already on comparable scales).
    Raw,
}

/// `S(r)` of one domain: expected copies of a document of quality rank `r`.
#[inline]
pub fn sampling_value(rank: f64, p: &DomainParams) -> f64 {
    if rank <= p.threshold {
        p.rate * 2.0 / (1.0 + (p.steepness * (rank - p.threshold)).exp())
    } else {
        0.0
    }
}

fn check_params(params: &[DomainParams], n_scores: usize) -> Result<()> {
    if params.is_empty() {
        return Err(Error::invalid("params", "no domain has parameters"));
    }
    for (m, p) in params.iter().enumerate() {
        if p.weights.len() != n_scores {
            return Err(Error::invalid(
                "weights",
                format!(
                    "domain {m} has {} weights for {n_scores} quality scores",
                    p.weights.len()
                ),
            ));
        }
        if let Some(w) = p.weights.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
            return Err(Error::invalid(
                "weights",
                format!("domain {m} has weight {w}; weights must be finite and >= 0"),
            ));
        }
        let sum: f64 = p.weights.iter().sum();
        if (sum - 1.0).abs() > 1e-6 {
            return Err(Error::invalid(
                "weights",
                format!("the weights of domain {m} sum to {sum}, not 1"),
            ));
        }
        if !(0.0..=1.0).contains(&p.threshold) {
            return Err(Error::invalid(
                "threshold",
                format!(
                    "domain {m} has threshold {}; must be in [0, 1]",
                    p.threshold
                ),
            ));
        }
        if !(p.steepness.is_finite() && p.steepness >= 0.0) {
            return Err(Error::invalid(
                "steepness",
                format!(
                    "domain {m} has steepness {}; must be finite and >= 0",
                    p.steepness
                ),
            ));
        }
        if !(p.rate.is_finite() && p.rate >= 0.0) {
            return Err(Error::invalid(
                "rate",
                format!("domain {m} has rate {}; must be finite and >= 0", p.rate),
            ));
        }
    }
    Ok(())
}

fn check_scores(scores: &[&[f64]], n: usize) -> Result<()> {
    if scores.is_empty() {
        return Err(Error::invalid("scores", "no quality score was given"));
    }
    if n == 0 {
        return Err(Error::EmptyInput {
            what: "scores".into(),
            detail: "there is no document".into(),
        });
    }
    for (c, column) in scores.iter().enumerate() {
        if column.len() != n {
            return Err(Error::invalid(
                "scores",
                format!("score {c} has {} values for {n} documents", column.len()),
            ));
        }
        if let Some(row) = column.par_iter().position_first(|v| !v.is_finite()) {
            return Err(Error::invalid(
                "scores",
                format!(
                    "score {c} of row {row} is {}; scores must be finite",
                    column[row]
                ),
            ));
        }
    }
    Ok(())
}

/// Merged quality `q(i)` and quality rank `r(i)` (0 = best of its domain) of every
/// document; `domains[i]` indexes `params`. See the module documentation.
pub fn merged_quality(
    scores: &[&[f64]],
    domains: &[u32],
    params: &[DomainParams],
    normalize: Normalize,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let n = domains.len();
    check_scores(scores, n)?;
    check_params(params, scores.len())?;
    let (order, offsets) = group_rows(domains, params.len())?;
    let normalised: Vec<Vec<f64>> = match normalize {
        Normalize::Domain => scores
            .iter()
            .map(|s| ranks_in_order(s, &order, &offsets))
            .collect(),
        Normalize::Corpus => {
            let all: Vec<u32> = (0..n as u32).collect();
            scores
                .iter()
                .map(|s| ranks_in_order(s, &all, &[0, n]))
                .collect()
        }
        Normalize::Raw => Vec::new(),
    };
    let columns: Vec<&[f64]> = match normalize {
        Normalize::Raw => scores.to_vec(),
        _ => normalised.iter().map(|v| v.as_slice()).collect(),
    };
    let merged: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|i| {
            let w = &params[domains[i] as usize].weights;
            let mut q = 0.0;
            for (c, column) in columns.iter().enumerate() {
                q += w[c] * column[i];
            }
            q
        })
        .collect();
    if let Some(row) = merged.par_iter().position_first(|v| !v.is_finite()) {
        return Err(Error::invalid(
            "scores",
            format!("the merged quality of row {row} overflows; rescale the raw scores"),
        ));
    }
    let mut ranks = ranks_in_order(&merged, &order, &offsets);
    ranks.par_iter_mut().for_each(|r| *r = 1.0 - *r);
    Ok((merged, ranks))
}

/// Expected copies `S_m(r(i))` of every document (see the module documentation).
pub fn expected_copies(
    scores: &[&[f64]],
    domains: &[u32],
    params: &[DomainParams],
    normalize: Normalize,
) -> Result<Vec<f64>> {
    let (_, ranks) = merged_quality(scores, domains, params, normalize)?;
    Ok(ranks
        .par_iter()
        .zip(domains.par_iter())
        .map(|(&r, &d)| sampling_value(r, &params[d as usize]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(weights: Vec<f64>, threshold: f64, steepness: f64, rate: f64) -> DomainParams {
        DomainParams {
            weights,
            threshold,
            steepness,
            rate,
        }
    }

    #[test]
    fn sampling_function_by_hand() {
        let p = params(vec![1.0], 0.5, 10.0, 2.0);
        // At the threshold: eta. Best: 2 eta / (1 + e^{-5}). Beyond: 0.
        assert!((sampling_value(0.5, &p) - 2.0).abs() < 1e-12);
        let best = 4.0 / (1.0 + (-5.0f64).exp());
        assert!((sampling_value(0.0, &p) - best).abs() < 1e-12);
        assert_eq!(sampling_value(0.51, &p), 0.0);
        // Flat with zero steepness.
        let flat = params(vec![1.0], 0.3, 0.0, 1.5);
        assert_eq!(sampling_value(0.1, &flat), 1.5);
    }

    #[test]
    fn ranks_follow_merged_quality_within_domains() {
        // Two scores, one domain weighting only the first, the other only the second.
        let s1 = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let s2 = [6.0, 5.0, 4.0, 3.0, 2.0, 1.0];
        let domains = [0, 0, 0, 1, 1, 1];
        let ps = [
            params(vec![1.0, 0.0], 1.0, 0.0, 1.0),
            params(vec![0.0, 1.0], 1.0, 0.0, 1.0),
        ];
        let (_, r) = merged_quality(&[&s1, &s2], &domains, &ps, Normalize::Domain).unwrap();
        // Domain 0 by s1: row 2 best. Domain 1 by s2: row 3 best.
        let expected = [5.0 / 6.0, 0.5, 1.0 / 6.0, 1.0 / 6.0, 0.5, 5.0 / 6.0];
        for (a, b) in r.iter().zip(expected) {
            assert!((a - b).abs() < 1e-12, "{r:?}");
        }
    }

    #[test]
    fn bad_parameters_are_named() {
        let s = [1.0, 2.0];
        let d = [0, 0];
        let bad = |p: DomainParams| match expected_copies(&[&s], &d, &[p], Normalize::Domain)
            .unwrap_err()
        {
            Error::InvalidParameter { name, .. } => name,
            e => panic!("{e}"),
        };
        assert_eq!(bad(params(vec![0.5], 0.5, 1.0, 1.0)), "weights");
        assert_eq!(bad(params(vec![-1.0], 0.5, 1.0, 1.0)), "weights");
        assert_eq!(bad(params(vec![1.0], 1.5, 1.0, 1.0)), "threshold");
        assert_eq!(bad(params(vec![1.0], 0.5, -1.0, 1.0)), "steepness");
        assert_eq!(bad(params(vec![1.0], 0.5, 1.0, f64::NAN)), "rate");
        let nan = [1.0, f64::NAN];
        assert!(expected_copies(
            &[&nan],
            &d,
            &[params(vec![1.0], 0.5, 1.0, 1.0)],
            Normalize::Raw
        )
        .is_err());
    }
}
