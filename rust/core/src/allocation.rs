//! Sharing a total among groups: integer allocations that add up exactly (largest
//! remainder, capped groups redistributed to the others) and the rows each group then
//! gives. The one home of per-group allocation: stratified sampling (`sample`),
//! cluster-then-quota selection (`diversity::quota`) and the balanced sample of
//! hierarchical k-means (`cluster::hierarchical`) all share budgets through it.

use rayon::prelude::*;

use crate::{rng, Error, Result};

/// Split `total` across groups in proportion to `scores`, never giving group h more
/// than `caps[h]`, in integers that sum exactly to `total`.
///
/// Groups whose proportional share exceeds their cap are fixed at the cap and the
/// rest is shared again among the others (so Neyman or proportional allocation stays
/// feasible). The shares are then rounded by largest remainder (Hamilton's method);
/// equal remainders go to the earlier group.
///
/// Errors: scores not finite or negative, lengths differing, or `total` more than
/// the groups can hold.
pub fn allocate(total: u64, scores: &[f64], caps: &[u64]) -> Result<Vec<u64>> {
    if scores.len() != caps.len() {
        return Err(Error::invalid(
            "scores",
            format!("{} scores for {} groups", scores.len(), caps.len()),
        ));
    }
    if let Some((h, s)) = scores
        .iter()
        .enumerate()
        .find(|(_, s)| !(s.is_finite() && **s >= 0.0))
    {
        return Err(Error::invalid(
            "scores",
            format!("the score of group {h} is {s}; scores must be finite and >= 0"),
        ));
    }
    let capacity: u64 = caps
        .iter()
        .zip(scores)
        .filter(|(_, &s)| s > 0.0)
        .map(|(c, _)| c)
        .sum();
    if total > capacity {
        return Err(Error::invalid(
            "k",
            format!(
                "{total} items requested but the groups that can be sampled hold only {capacity}"
            ),
        ));
    }
    let mut out = vec![0u64; caps.len()];
    let mut open: Vec<usize> = (0..caps.len())
        .filter(|&h| scores[h] > 0.0 && caps[h] > 0)
        .collect();
    let mut remaining = total;
    let shares = loop {
        let sum: f64 = open.iter().map(|&h| scores[h]).sum();
        let shares: Vec<(usize, f64)> = open
            .iter()
            .map(|&h| (h, remaining as f64 * scores[h] / sum))
            .collect();
        let full: Vec<usize> = shares
            .iter()
            .filter(|(h, q)| *q >= caps[*h] as f64)
            .map(|(h, _)| *h)
            .collect();
        if full.is_empty() || remaining == 0 {
            break shares;
        }
        for &h in &full {
            out[h] = caps[h];
            remaining -= caps[h];
        }
        open.retain(|h| !full.contains(h));
        if open.is_empty() {
            break Vec::new();
        }
    };
    let mut given = 0u64;
    let mut remainders = Vec::with_capacity(shares.len());
    for &(h, q) in &shares {
        let floor = (q.floor() as u64).min(caps[h]);
        out[h] = floor;
        given += floor;
        remainders.push((h, q - floor as f64));
    }
    // Largest remainders first, earlier group on ties.
    remainders.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut left = remaining - given.min(remaining);
    for &(h, _) in remainders.iter().cycle().take(remainders.len() * 2) {
        if left == 0 {
            break;
        }
        if out[h] < caps[h] {
            out[h] += 1;
            left -= 1;
        }
    }
    debug_assert_eq!(out.iter().sum::<u64>(), total);
    Ok(out)
}

/// [`allocate`] of `budget` among groups of sizes `capacity`, with errors naming
/// `budget` (the name of the selection functions' size argument).
pub fn allocate_budget(capacity: &[u64], budget: u64, weights: &[f64]) -> Result<Vec<u64>> {
    allocate(budget, weights, capacity).map_err(|e| match e {
        Error::InvalidParameter { name, message } if name == "k" => Error::InvalidParameter {
            name: "budget".into(),
            message,
        },
        other => other,
    })
}

/// `m` of `rows` chosen uniformly at random: those with the smallest keys
/// `word(seed, stream, row)`, so the choice of a row does not depend on the others'
/// order or on threads.
pub fn pick_random(rows: &[usize], m: usize, seed: u64, stream: u64) -> Vec<usize> {
    let mut keyed: Vec<(u64, usize)> = rows
        .iter()
        .map(|&i| (rng::word(seed, stream, i as u64), i))
        .collect();
    let m = m.min(keyed.len());
    if m > 0 && m < keyed.len() {
        keyed.select_nth_unstable(m - 1);
    }
    keyed.truncate(m);
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// The rows `pick(rows of group g, quotas[g])` of every group (groups in parallel),
/// in ascending order.
pub fn take_quotas<F>(members: &[Vec<usize>], quotas: &[u64], pick: F) -> Vec<usize>
where
    F: Fn(&[usize], usize) -> Vec<usize> + Sync,
{
    let mut chosen: Vec<usize> = members
        .par_iter()
        .zip(quotas.par_iter())
        .flat_map_iter(|(m, &q)| pick(m, q as usize))
        .collect();
    chosen.sort_unstable();
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hamilton_rounding() {
        // 10 over 3 equal groups: 3.33 each, the first group takes the extra one.
        assert_eq!(
            allocate(10, &[1.0, 1.0, 1.0], &[100, 100, 100]).unwrap(),
            vec![4, 3, 3]
        );
        // 7 in proportion 50:30:20 = 3.5, 2.1, 1.4 -> 3, 2, 1 with one left for 3.5.
        assert_eq!(
            allocate(7, &[50.0, 30.0, 20.0], &[50, 30, 20]).unwrap(),
            vec![4, 2, 1]
        );
    }

    #[test]
    fn budgets_are_named_and_quotas_taken_in_row_order() {
        let e = allocate_budget(&[1, 1], 3, &[1.0; 2])
            .unwrap_err()
            .to_string();
        assert!(e.contains("budget"), "{e}");
        let members = vec![vec![0, 2, 4], vec![1, 3]];
        let q = allocate_budget(&[3, 2], 3, &[1.0; 2]).unwrap();
        assert_eq!(q, vec![2, 1]);
        let rows = take_quotas(&members, &q, |m, q| m[m.len() - q..].to_vec());
        assert_eq!(rows, vec![2, 3, 4]);
        let random = pick_random(&members[0], 2, 7, 1);
        assert_eq!(random.len(), 2);
        assert_eq!(random, pick_random(&members[0], 2, 7, 1));
    }

    #[test]
    fn caps_redistribute() {
        // Neyman-like scores favour group 0 beyond its size of 5.
        assert_eq!(
            allocate(20, &[100.0, 1.0, 1.0], &[5, 40, 40]).unwrap(),
            vec![5, 8, 7]
        );
        assert!(allocate(81, &[1.0, 1.0], &[40, 40]).is_err());
        assert!(allocate(1, &[1.0, f64::NAN], &[4, 4]).is_err());
    }

    proptest! {
        #[test]
        fn totals_are_exact_and_within_caps(
            groups in proptest::collection::vec((0.0f64..100.0, 0u64..50), 1..12),
            fraction in 0.0f64..1.0,
        ) {
            let scores: Vec<f64> = groups.iter().map(|g| g.0).collect();
            let caps: Vec<u64> = groups.iter().map(|g| g.1).collect();
            let capacity: u64 = caps.iter().zip(&scores).filter(|(_, &s)| s > 0.0).map(|(c, _)| c).sum();
            let total = (capacity as f64 * fraction) as u64;
            let out = allocate(total, &scores, &caps).unwrap();
            prop_assert_eq!(out.iter().sum::<u64>(), total);
            for h in 0..caps.len() {
                prop_assert!(out[h] <= caps[h]);
                if scores[h] == 0.0 { prop_assert_eq!(out[h], 0); }
            }
        }
    }
}
