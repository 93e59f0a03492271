//! Mid-rank percentiles within groups: the share of the group below a value, ties
//! counting half.

use rayon::prelude::*;

use crate::linalg::groups::group_checked;
use crate::{Error, Result};

/// A `u64` whose unsigned order is the numeric order of the finite `f64` `x`
/// (`-0.0` and `0.0` map to the same key).
#[inline]
fn order_key(x: f64) -> u64 {
    let bits = (x + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// The rows of each group, in row order, concatenated: `(order, offsets)` with the
/// rows of group `g` at `order[offsets[g]..offsets[g + 1]]` (domain codes checked).
pub(crate) fn group_rows(groups: &[u32], n_groups: usize) -> Result<(Vec<u32>, Vec<usize>)> {
    let (offsets, order) = group_checked(groups, n_groups, "domains", "domain")?;
    Ok((order, offsets))
}

/// Mid-rank percentile of each row within its group:
/// `(#{j in g : x_j < x_i} + #{j in g : x_j = x_i} / 2) / n_g`, in `(0, 1)`.
///
/// Ties get the same value whatever the row order. Groups are ranked in parallel
/// (and large groups with parallel sorts); the result does not depend on the
/// thread count. `values` must be finite (checked).
pub fn mid_ranks(values: &[f64], groups: &[u32], n_groups: usize) -> Result<Vec<f64>> {
    if values.len() != groups.len() {
        return Err(Error::invalid(
            "domains",
            format!("{} values but {} domain labels", values.len(), groups.len()),
        ));
    }
    if let Some(row) = values.par_iter().position_first(|v| !v.is_finite()) {
        return Err(Error::invalid(
            "scores",
            format!("row {row} has score {}; scores must be finite", values[row]),
        ));
    }
    let (order, offsets) = group_rows(groups, n_groups)?;
    Ok(ranks_in_order(values, &order, &offsets))
}

/// [`mid_ranks`] given the rows of each group (from [`group_rows`]).
pub(crate) fn ranks_in_order(values: &[f64], order: &[u32], offsets: &[usize]) -> Vec<f64> {
    // Percentiles in grouped order first (disjoint chunks, filled in parallel), then
    // scattered back to row order.
    let mut grouped = vec![0.0f64; order.len()];
    let mut chunks: Vec<(&[u32], &mut [f64])> = Vec::with_capacity(offsets.len());
    let mut rest: &mut [f64] = &mut grouped;
    for w in offsets.windows(2) {
        let (head, tail) = rest.split_at_mut(w[1] - w[0]);
        chunks.push((&order[w[0]..w[1]], head));
        rest = tail;
    }
    chunks
        .into_par_iter()
        .for_each(|(rows, out)| rank_group(values, rows, out));
    let mut ranks = vec![0.0f64; values.len()];
    for (&row, &r) in order.iter().zip(&grouped) {
        ranks[row as usize] = r;
    }
    ranks
}

/// Mid-rank percentiles of `values[rows]`, written to `out` (aligned with `rows`).
fn rank_group(values: &[f64], rows: &[u32], out: &mut [f64]) {
    let n = rows.len();
    if n == 0 {
        return;
    }
    // Key in the high 64 bits, position within the group in the low 64: sorting the
    // u128s orders by value, ties by position (a total order, so deterministic).
    let mut keyed: Vec<u128> = rows
        .iter()
        .enumerate()
        .map(|(pos, &row)| ((order_key(values[row as usize]) as u128) << 64) | pos as u128)
        .collect();
    if n > 1 << 16 {
        keyed.par_sort_unstable();
    } else {
        keyed.sort_unstable();
    }
    let total = n as f64;
    let mut start = 0;
    while start < n {
        let key = keyed[start] >> 64;
        let mut end = start + 1;
        while end < n && keyed[end] >> 64 == key {
            end += 1;
        }
        let value = (start as f64 + (end - start) as f64 / 2.0) / total;
        for &k in &keyed[start..end] {
            out[(k as u64) as usize] = value;
        }
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_by_hand() {
        // Group 0: 3.0, 1.0, 3.0 -> 1.0 is below both (0.5/3); the 3.0s have one below
        // and tie with each other: (1 + 1) / 3. Group 1: one value -> 0.5.
        let r = mid_ranks(&[3.0, 1.0, 7.0, 3.0], &[0, 0, 1, 0], 2).unwrap();
        let expected = [2.0 / 3.0, 0.5 / 3.0, 0.5, 2.0 / 3.0];
        for (a, b) in r.iter().zip(expected) {
            assert!((a - b).abs() < 1e-15, "{r:?}");
        }
        // Negative zero ties with zero.
        let r = mid_ranks(&[-0.0, 0.0, -1.0], &[0, 0, 0], 1).unwrap();
        assert_eq!(r[0], r[1]);
        assert!(mid_ranks(&[f64::NAN], &[0], 1).is_err());
        assert!(mid_ranks(&[1.0], &[3], 2).is_err());
    }

    #[test]
    fn large_groups_match_small_sorts() {
        let n = 200_000;
        let values: Vec<f64> = (0..n).map(|i| ((i * 7919) % 1000) as f64 - 500.0).collect();
        let groups: Vec<u32> = (0..n).map(|i| (i % 3 == 0) as u32).collect();
        let r = mid_ranks(&values, &groups, 2).unwrap();
        // Recount a few rows by brute force.
        for row in [0usize, 1, 2, 12345, 199_999] {
            let g = groups[row];
            let members: Vec<f64> = (0..n)
                .filter(|&j| groups[j] == g)
                .map(|j| values[j])
                .collect();
            let below = members.iter().filter(|&&v| v < values[row]).count() as f64;
            let equal = members.iter().filter(|&&v| v == values[row]).count() as f64;
            let expected = (below + equal / 2.0) / members.len() as f64;
            assert!((r[row] - expected).abs() < 1e-12);
        }
    }
}
