//! Semantic near-duplicate removal within clusters (SemDeDup, Abbas et al. 2023).
//!
//! Inside each cluster, rows are put in priority order (highest score first, ties and
//! no scores: row order); a row is a duplicate when its cosine similarity to an
//! earlier row of the same cluster exceeds the threshold, and it then points to the
//! most similar earlier row. This is the paper's rule (compare with every earlier row,
//! kept or not), so the decision for each row is independent of the others. Pairwise
//! similarities are tiles of a matrix product: `m^2 d / 2` work for a cluster of `m`.

use rayon::prelude::*;

use crate::cluster::init::normalize_rows;
use crate::cluster::kmeans::check_nonzero_rows;
use crate::linalg::distance::dot_tile;
use crate::linalg::groups::group_by_label;
use crate::linalg::Matrix;
use crate::{Error, Result};

const TILE: usize = 256;

/// What [`semantic_dedup`] decided for each row.
#[derive(Clone, Debug)]
pub struct Dedup {
    /// `true` for rows to keep.
    pub keep: Vec<bool>,
    /// For a duplicate: the row it is most similar to (earlier in priority order);
    /// -1 for kept rows.
    pub duplicate_of: Vec<i64>,
    /// That similarity (NaN for kept rows).
    pub similarity: Vec<f32>,
}

/// Mark near-duplicates of `x` within the clusters `labels` at cosine `threshold`.
pub fn semantic_dedup(
    x: &Matrix,
    labels: &[u32],
    threshold: f32,
    priority: Option<&[f64]>,
) -> Result<Dedup> {
    let (n, d) = (x.rows(), x.cols());
    if labels.len() != n {
        return Err(Error::invalid(
            "labels",
            format!("has {} values for {n} rows", labels.len()),
        ));
    }
    if !(-1.0..=1.0).contains(&threshold) {
        return Err(Error::invalid(
            "threshold",
            format!("a cosine similarity must be in [-1, 1], got {threshold}"),
        ));
    }
    if let Some(p) = priority {
        if p.len() != n {
            return Err(Error::invalid(
                "scores",
                format!("has {} values for {n} rows", p.len()),
            ));
        }
        if let Some(i) = p.iter().position(|v| v.is_nan()) {
            return Err(Error::invalid("scores", format!("row {i} is NaN")));
        }
    }
    x.check_finite("x")?;
    check_nonzero_rows(x)?;
    let k = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
    let (offsets, order) = group_by_label(labels, k);
    let decisions: Vec<Vec<(usize, i64, f32)>> = (0..k)
        .into_par_iter()
        .map(|j| {
            let mut rows: Vec<usize> = order[offsets[j]..offsets[j + 1]]
                .iter()
                .map(|&i| i as usize)
                .collect();
            if let Some(p) = priority {
                rows.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
            }
            cluster_duplicates(x, &rows, d, threshold)
        })
        .collect();
    let mut keep = vec![true; n];
    let mut duplicate_of = vec![-1i64; n];
    let mut similarity = vec![f32::NAN; n];
    for (row, of, sim) in decisions.into_iter().flatten() {
        keep[row] = false;
        duplicate_of[row] = of;
        similarity[row] = sim;
    }
    Ok(Dedup {
        keep,
        duplicate_of,
        similarity,
    })
}

/// Duplicates among `rows` (in priority order): `(row, duplicate_of, similarity)`.
fn cluster_duplicates(
    x: &Matrix,
    rows: &[usize],
    d: usize,
    threshold: f32,
) -> Vec<(usize, i64, f32)> {
    let m = rows.len();
    let mut v = x.gather(rows);
    normalize_rows(&mut v, d);
    let mut tile = Vec::new();
    let mut out = Vec::new();
    for a in (0..m).step_by(TILE) {
        let b = (a + TILE).min(m);
        tile.resize((b - a) * b, 0.0);
        dot_tile(&v[a * d..], d, b - a, d, &v, b, &mut tile);
        for r in a..b {
            let sims = &tile[(r - a) * b..(r - a) * b + r];
            let mut best = (f32::NEG_INFINITY, 0usize);
            for (i, &s) in sims.iter().enumerate() {
                if s > best.0 {
                    best = (s, i);
                }
            }
            if r > 0 && best.0 > threshold {
                out.push((rows[r], rows[best.1] as i64, best.0));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_copies_in_a_cluster_point_to_the_first() {
        let x = vec![
            1.0, 0.0, //
            0.0, 1.0, //
            1.0, 0.01, // near row 0, same cluster
            0.0, 1.01, // near row 1, other cluster
            1.0, 0.02, // near rows 0 and 2, other cluster than 0
        ];
        let m = Matrix::from_f32(&x, 2).unwrap();
        let r = semantic_dedup(&m, &[0, 1, 0, 1, 2], 0.99, None).unwrap();
        assert_eq!(r.keep, vec![true, true, false, false, true]);
        assert_eq!(r.duplicate_of, vec![-1, -1, 0, 1, -1]);
        // With priorities, the best-scored copy is kept.
        let r =
            semantic_dedup(&m, &[0, 1, 0, 1, 2], 0.99, Some(&[0.0, 0.0, 1.0, 0.0, 0.0])).unwrap();
        assert_eq!(r.duplicate_of[0], 2);
        assert!(semantic_dedup(&m, &[0, 1], 0.9, None).is_err());
        assert!(semantic_dedup(&m, &[0; 5], 1.5, None).is_err());
    }
}
