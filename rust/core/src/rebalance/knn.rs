//! k nearest neighbours of every point of a set among the other points of the same set
//! (squared Euclidean distance), exact or within k-means cells.
//!
//! Exact: the distances of a block of query rows to a chunk of candidate rows are one
//! `gemm` tile (`||c||^2 - 2 q.c`, the query's own norm being the same for all its
//! candidates), scanned into a per-row sorted top-k. Blocks depend only on the set's
//! size, so the neighbours are the same whatever the thread count. Ties: the smaller
//! index is the nearer. From [`PRUNE_FROM`] points the exact search skips the pairs
//! that the triangle inequality over k-means cells rules out (`pruned.rs`): same
//! neighbours, far less work on clustered data.
//!
//! Approximate ([`Search::Cells`]): the set is clustered by k-means (the `cluster`
//! module) and each point's neighbours are searched among the points of the `probe`
//! cells whose centroids are nearest its own cell's: about `probe / cells` of the
//! exact work.

use rayon::prelude::*;

use super::pruned::pruned;
use super::scan::{fit_cells, gather, join, Cells};
use crate::linalg::centre::centre;
use crate::linalg::distance::{dot, row_norms};
use crate::Result;

/// How neighbours are searched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Search {
    /// Exact: every pair of points below [`PRUNE_FROM`] points; from there, pairs
    /// pruned by the triangle inequality over k-means cells (same neighbours).
    Exact,
    /// Within k-means cells of about `cell_size` points, each point searching its own
    /// cell and the `probe - 1` cells whose centroids are nearest to it.
    Cells {
        /// Target points per cell.
        cell_size: usize,
        /// Cells searched per point (its own included).
        probe: usize,
    },
}

/// The `k` nearest neighbours of each of the `m` rows of `points` (contiguous, `m x d`)
/// among the other rows: `m * k` indices, each row's nearest first.
///
/// Needs `m > k`.
pub fn neighbours(
    points: &[f32],
    d: usize,
    k: usize,
    search: Search,
    seed: u64,
) -> Result<Vec<u32>> {
    let m = points.len() / d;
    assert!(m > k, "neighbours needs more than k points");
    let centred = centre(points, d);
    match search {
        Search::Cells { cell_size, probe } if m / cell_size.max(1) >= 2 => {
            cells(&centred, d, k, cell_size.max(1), probe.max(1), seed)
        }
        _ if m >= PRUNE_FROM => pruned(&centred, d, k, PRUNE_CELL, seed),
        _ => {
            let ids: Vec<u32> = (0..m as u32).collect();
            Ok(join(&centred, &ids, &centred, &ids, d, k))
        }
    }
}

/// From this many points the exact search prunes with k-means cells
/// ([`super::pruned`]); below, it scans all pairs.
pub const PRUNE_FROM: usize = 20_000;
/// Target points per cell of the pruned exact search.
const PRUNE_CELL: usize = 256;

fn cells(
    points: &[f32],
    d: usize,
    k: usize,
    cell_size: usize,
    probe: usize,
    seed: u64,
) -> Result<Vec<u32>> {
    let m = points.len() / d;
    let n_cells = m.div_ceil(cell_size);
    let Cells {
        offsets,
        order,
        centroids,
    } = fit_cells(points, d, n_cells, seed)?;
    let centroids = &centroids;
    let c_norms = row_norms(centroids, d);
    let mut out = vec![0u32; m * k];
    let per_cell: Vec<(Vec<u32>, Vec<u32>)> = (0..n_cells)
        .into_par_iter()
        .map(|c| {
            let members = &order[offsets[c]..offsets[c + 1]];
            if members.is_empty() {
                return (Vec::new(), Vec::new());
            }
            // Cells by centroid distance to this cell's centroid (ties: smaller cell).
            let me = &centroids[c * d..(c + 1) * d];
            let mut near: Vec<(f32, usize)> = (0..n_cells)
                .map(|o| {
                    let dot = dot(me, &centroids[o * d..(o + 1) * d]);
                    (
                        if o == c {
                            f32::NEG_INFINITY
                        } else {
                            c_norms[o] - 2.0 * dot
                        },
                        o,
                    )
                })
                .collect();
            near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let mut cand: Vec<u32> = Vec::new();
            for (taken, &(_, o)) in near.iter().enumerate() {
                if taken >= probe && cand.len() > k {
                    break;
                }
                cand.extend_from_slice(&order[offsets[o]..offsets[o + 1]]);
            }
            cand.sort_unstable();
            let found = join(
                &gather(points, d, members),
                members,
                &gather(points, d, &cand),
                &cand,
                d,
                k,
            );
            (members.to_vec(), found)
        })
        .collect();
    for (members, found) in per_cell {
        for (r, &i) in members.iter().enumerate() {
            out[i as usize * k..(i as usize + 1) * k].copy_from_slice(&found[r * k..(r + 1) * k]);
        }
    }
    Ok(out)
}

/// Share of the exact neighbours found by an approximate search (`m * k` each).
pub fn recall(exact: &[u32], approx: &[u32], k: usize) -> f64 {
    let hits: usize = exact
        .chunks(k)
        .zip(approx.chunks(k))
        .map(|(e, a)| a.iter().filter(|x| e.contains(x)).count())
        .sum();
    hits as f64 / exact.len().max(1) as f64
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    fn data(m: usize, d: usize, seed: u64) -> Vec<f32> {
        (0..m * d)
            .map(|i| {
                let centre = ((i / d) % 7) as f64 * 3.0;
                (centre + crate::rng::uniform_open(seed, 0, i as u64)) as f32
            })
            .collect()
    }

    fn dist_f64(a: &[f32], b: &[f32]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
            .sum()
    }

    /// Checks `found` (`m * k` ids) against f64 brute force on `points`: no point is
    /// its own neighbour and the neighbour distances are the k smallest.
    pub(in crate::rebalance) fn assert_exact(points: &[f32], d: usize, k: usize, found: &[u32]) {
        let rows: Vec<&[f32]> = points.chunks(d).collect();
        for (i, a) in rows.iter().enumerate() {
            let mut truth: Vec<f64> = rows
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, b)| dist_f64(a, b))
                .collect();
            truth.sort_by(f64::total_cmp);
            let mut got: Vec<f64> = found[i * k..(i + 1) * k]
                .iter()
                .map(|&j| {
                    assert_ne!(j as usize, i);
                    dist_f64(a, rows[j as usize])
                })
                .collect();
            got.sort_by(f64::total_cmp);
            for (g, t) in got.iter().zip(&truth) {
                assert!((g - t).abs() <= 1e-4 * t.max(1.0), "row {i}: {g} vs {t}");
            }
        }
    }

    #[test]
    fn exact_matches_brute_force() {
        let (m, d, k) = (1500, 9, 5);
        let p = data(m, d, 1);
        assert_exact(&p, d, k, &neighbours(&p, d, k, Search::Exact, 0).unwrap());
    }

    #[test]
    fn ties_go_to_the_smaller_index() {
        let p = vec![0.0f32, 1.0, 1.0, 1.0, 1.0];
        let found = neighbours(&p, 1, 2, Search::Exact, 0).unwrap();
        assert_eq!(&found[0..2], &[1, 2]);
        assert_eq!(&found[2..4], &[2, 3]);
    }

    #[test]
    fn cells_have_high_recall_on_clustered_data() {
        let (m, d, k) = (4000, 8, 5);
        let p = data(m, d, 2);
        let exact = neighbours(&p, d, k, Search::Exact, 0).unwrap();
        let approx = neighbours(
            &p,
            d,
            k,
            Search::Cells {
                cell_size: 300,
                probe: 3,
            },
            0,
        )
        .unwrap();
        let r = recall(&exact, &approx, k);
        assert!(r > 0.8, "recall {r}");
        assert_eq!(
            approx,
            neighbours(
                &p,
                d,
                k,
                Search::Cells {
                    cell_size: 300,
                    probe: 3
                },
                0
            )
            .unwrap()
        );
    }
}
