//! Hierarchical k-means with balanced sampling (Vo et al. 2024, *Automatic data
//! curation for self-supervised learning*): cluster the points, then cluster the
//! centroids, for several levels; then draw a budget top-down, the same number of points
//! from every cluster of a level (clusters too small to give their share give all they
//! have, and the rest is shared among the others), and random points at the bottom.

use super::kmeans::{fit, KMeansOptions, KMeansResult};
use crate::allocation::{allocate_budget, pick_random, take_quotas};
use crate::linalg::groups::members;
use crate::linalg::Matrix;
use crate::stream::Progress;
use crate::{Error, Result};

const STREAM_LEAF: u64 = 0x1417_0300;

/// Fit level 0 on `x` with `ks[0]` clusters, level `l` on the centroids of level `l - 1`
/// with `ks[l]` clusters (each `ks[l]` must not exceed `ks[l - 1]`). Every level uses
/// `options` with its own `k` (and the seed plus the level).
pub fn fit_levels(
    x: &Matrix,
    ks: &[usize],
    options: &KMeansOptions,
    progress: &dyn Progress,
) -> Result<Vec<KMeansResult>> {
    if ks.is_empty() {
        return Err(Error::invalid(
            "levels",
            "give at least one number of clusters",
        ));
    }
    for w in ks.windows(2) {
        if w[1] > w[0] {
            return Err(Error::invalid(
                "levels",
                format!("each level must have at most as many clusters as the one below: {ks:?}"),
            ));
        }
    }
    let mut levels: Vec<KMeansResult> = Vec::with_capacity(ks.len());
    for (l, &k) in ks.iter().enumerate() {
        let mut o = options.clone();
        o.k = k;
        o.seed = options.seed.wrapping_add(l as u64);
        // Only level 0 clusters the (possibly huge) input.
        if l > 0 {
            o.max_points_per_centroid = None;
        }
        let result = match levels.last() {
            None => fit(x, &o, progress)?,
            Some(below) => fit(&Matrix::from_f32(&below.centroids, x.cols())?, &o, progress)?,
        };
        levels.push(result);
    }
    Ok(levels)
}

/// Balanced top-down sample of `budget` of the `n` points. `parents[0]` is the cluster
/// of each point, `parents[l]` the level-`l` cluster of each level-`(l - 1)` cluster.
/// Returns the chosen rows in ascending order.
pub fn balanced_sample(parents: &[&[u32]], budget: usize, seed: u64) -> Result<Vec<usize>> {
    let n = parents.first().map_or(0, |p| p.len());
    if budget > n {
        return Err(Error::invalid(
            "budget",
            format!("{budget} exceeds the number of points ({n})"),
        ));
    }
    // Sizes (in points) of the clusters of each level, bottom-up.
    let mut sizes: Vec<Vec<u64>> = Vec::with_capacity(parents.len());
    let mut below = vec![1u64; n];
    for p in parents {
        let k = p.iter().map(|&v| v as usize + 1).max().unwrap_or(0);
        let mut s = vec![0u64; k];
        for (child, &parent) in p.iter().enumerate() {
            s[parent as usize] += below[child];
        }
        below = s.clone();
        sizes.push(s);
    }
    // Quotas top-down: the top level shares the budget uniformly, every cluster shares
    // its quota uniformly among its children.
    let top = sizes.len() - 1;
    let mut quota = allocate_budget(&sizes[top], budget as u64, &vec![1.0; sizes[top].len()])?;
    for l in (0..top).rev() {
        let children = parents[l + 1];
        let mut next = vec![0u64; children.len()];
        for (p, group) in members(children, quota.len()).iter().enumerate() {
            let caps: Vec<u64> = group.iter().map(|&c| sizes[l][c]).collect();
            let share = allocate_budget(&caps, quota[p], &vec![1.0; caps.len()])?;
            for (&c, q) in group.iter().zip(share) {
                next[c] = q;
            }
        }
        quota = next;
    }
    // Random points inside each bottom cluster.
    let leaves = members(parents[0], quota.len());
    Ok(take_quotas(&leaves, &quota, |m, q| {
        pick_random(m, q, seed, STREAM_LEAF)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_sample_is_balanced_at_the_top() {
        // 10 points: bottom clusters [0..6) -> 0, [6..8) -> 1, [8..10) -> 2;
        // top: {0} -> A, {1, 2} -> B.
        let points: Vec<u32> = vec![0, 0, 0, 0, 0, 0, 1, 1, 2, 2];
        let clusters: Vec<u32> = vec![0, 1, 1];
        let s = balanced_sample(&[&points, &clusters], 6, 7).unwrap();
        assert_eq!(s.len(), 6);
        let from_a = s.iter().filter(|&&i| i < 6).count();
        assert_eq!(from_a, 3);
        let from_1 = s.iter().filter(|&&i| (6..8).contains(&i)).count();
        // B's 3 are split 2 + 1 between its two children (remainder to the first).
        assert_eq!(from_1, 2);
        assert!(balanced_sample(&[&points, &clusters], 11, 7).is_err());
    }
}
