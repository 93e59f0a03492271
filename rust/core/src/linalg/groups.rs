//! Rows grouped by label: the counting sort behind per-cluster updates, per-cell
//! neighbour searches, per-cluster deduplication, per-group ranks and quotas.

use crate::{Error, Result};

/// Rows grouped by label (`labels[i] < k`): `(offsets[k + 1], rows)` with the rows of
/// label `j` at `rows[offsets[j]..offsets[j + 1]]`, each group in row order.
pub fn group_by_label(labels: &[u32], k: usize) -> (Vec<usize>, Vec<u32>) {
    let mut offsets = vec![0usize; k + 1];
    for &l in labels {
        offsets[l as usize + 1] += 1;
    }
    for j in 0..k {
        offsets[j + 1] += offsets[j];
    }
    let mut next = offsets.clone();
    let mut order = vec![0u32; labels.len()];
    for (i, &l) in labels.iter().enumerate() {
        order[next[l as usize]] = i as u32;
        next[l as usize] += 1;
    }
    (offsets, order)
}

/// [`group_by_label`] of labels not yet validated: an error naming the parameter
/// `name` (whose labels are each a `what` code) for more than `2^32 - 1` rows or a
/// label `>= k`.
pub fn group_checked(
    labels: &[u32],
    k: usize,
    name: &str,
    what: &str,
) -> Result<(Vec<usize>, Vec<u32>)> {
    if labels.len() > u32::MAX as usize {
        return Err(Error::invalid(
            name,
            format!("{} rows; at most 2^32 - 1 are supported", labels.len()),
        ));
    }
    if let Some(row) = labels.iter().position(|&l| l as usize >= k) {
        return Err(Error::invalid(
            name,
            format!(
                "row {row} has {what} code {} but there are {k} {name}",
                labels[row]
            ),
        ));
    }
    Ok(group_by_label(labels, k))
}

/// The rows of each group `0..k` (`labels[i] < k`) as one vector per group, in row
/// order.
pub fn members(labels: &[u32], k: usize) -> Vec<Vec<usize>> {
    let (offsets, order) = group_by_label(labels, k);
    offsets
        .windows(2)
        .map(|w| order[w[0]..w[1]].iter().map(|&i| i as usize).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_keep_row_order() {
        let labels = [2u32, 0, 2, 1, 0, 2];
        let (offsets, order) = group_by_label(&labels, 4);
        assert_eq!(offsets, vec![0, 2, 3, 6, 6]);
        assert_eq!(order, vec![1, 4, 3, 0, 2, 5]);
        assert_eq!(
            members(&labels, 4),
            vec![vec![1, 4], vec![3], vec![0, 2, 5], vec![]]
        );
        assert_eq!(
            group_checked(&labels, 4, "domains", "domain").unwrap().1,
            order
        );
    }

    #[test]
    fn labels_out_of_range_are_named() {
        let e = group_checked(&[0, 3], 2, "domains", "domain")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("row 1 has domain code 3 but there are 2 domains"),
            "{e}"
        );
    }
}
