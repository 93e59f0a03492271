//! Cluster-then-quota selection (Diversify-and-Conquer, Quad): share a budget among
//! clusters (uniformly, in proportion to their sizes, or by a weight per cluster, never
//! more than a cluster holds), then take the best-scored or random rows of each.

use crate::allocation::{allocate_budget, pick_random, take_quotas};
use crate::linalg::groups::members;
use crate::{Error, Result};

const STREAM_PICK: u64 = 0x1417_0400;

/// How a budget is shared among clusters.
#[derive(Clone, Debug, PartialEq)]
pub enum Allocation {
    /// The same number from every cluster.
    Uniform,
    /// In proportion to cluster sizes.
    Proportional,
    /// In proportion to one weight per cluster.
    Weights(Vec<f64>),
}

/// The `m` rows with the highest score (ties: the smaller row).
pub fn pick_top(rows: &[usize], m: usize, scores: &[f64]) -> Vec<usize> {
    let mut r = rows.to_vec();
    let cmp = |a: &usize, b: &usize| scores[*b].total_cmp(&scores[*a]).then(a.cmp(b));
    let m = m.min(r.len());
    if m > 0 && m < r.len() {
        r.select_nth_unstable_by(m - 1, cmp);
    }
    r.truncate(m);
    r
}

/// Select `budget` rows across the clusters `labels` (values `< k`), shared per
/// `allocation`; within a cluster the best `scores` or, without scores, random rows.
/// Returns the rows in ascending order.
pub fn balanced(
    labels: &[u32],
    budget: usize,
    scores: Option<&[f64]>,
    allocation: &Allocation,
    seed: u64,
) -> Result<Vec<usize>> {
    if labels.is_empty() {
        return Err(Error::EmptyInput {
            what: "labels".into(),
            detail: "no rows to select from".into(),
        });
    }
    let k = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
    if let Some(s) = scores {
        if s.len() != labels.len() {
            return Err(Error::invalid(
                "scores",
                format!("has {} values for {} labels", s.len(), labels.len()),
            ));
        }
        if let Some(i) = s.iter().position(|v| v.is_nan()) {
            return Err(Error::invalid("scores", format!("row {i} is NaN")));
        }
    }
    let members = members(labels, k);
    let capacity: Vec<u64> = members.iter().map(|m| m.len() as u64).collect();
    let weights = match allocation {
        Allocation::Uniform => vec![1.0; k],
        Allocation::Proportional => capacity.iter().map(|&c| c as f64).collect(),
        Allocation::Weights(w) => {
            if w.len() < k {
                return Err(Error::invalid(
                    "allocation",
                    format!("{} weights for labels up to {}", w.len(), k - 1),
                ));
            }
            w[..k].to_vec()
        }
    };
    let quota = allocate_budget(&capacity, budget as u64, &weights)?;
    Ok(take_quotas(&members, &quota, |m, q| match scores {
        Some(s) => pick_top(m, q, s),
        None => pick_random(m, q, seed, STREAM_PICK),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn water_filling() {
        assert_eq!(
            allocate_budget(&[1, 10, 10], 9, &[1.0; 3]).unwrap(),
            vec![1, 4, 4]
        );
        assert_eq!(
            allocate_budget(&[5, 5, 5], 7, &[1.0; 3]).unwrap(),
            vec![3, 2, 2]
        );
        assert_eq!(
            allocate_budget(&[10, 10], 4, &[3.0, 1.0]).unwrap(),
            vec![3, 1]
        );
        assert!(allocate_budget(&[1, 1], 3, &[1.0; 2]).is_err());
        assert!(allocate_budget(&[1, 5], 3, &[1.0, 0.0]).is_err());
    }

    #[test]
    fn top_scores_win_within_clusters() {
        let labels = [0, 0, 0, 1, 1, 1];
        let scores = [0.1, 0.9, 0.5, 0.3, 0.2, 0.8];
        let s = balanced(&labels, 4, Some(&scores), &Allocation::Uniform, 0).unwrap();
        assert_eq!(s, vec![1, 2, 3, 5]);
    }

    proptest! {
        #[test]
        fn allocation_sums_to_budget_within_capacity(
            caps in proptest::collection::vec(0u64..50, 1..20),
            frac in 0.0f64..1.0,
        ) {
            let total: u64 = caps.iter().sum();
            let budget = (total as f64 * frac) as u64;
            let q = allocate_budget(&caps, budget, &vec![1.0; caps.len()]).unwrap();
            prop_assert_eq!(q.iter().sum::<u64>(), budget);
            for (a, c) in q.iter().zip(&caps) {
                prop_assert!(a <= c);
            }
            // Balanced: a group below capacity gets at least every other group's share - 1.
            let max = *q.iter().max().unwrap();
            for (a, c) in q.iter().zip(&caps) {
                if a < c { prop_assert!(a + 1 >= max); }
            }
        }
    }
}
