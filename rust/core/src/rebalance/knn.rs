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

use super::dense::{column_means, subtract};
use super::pruned::pruned;
use crate::cluster::distance::{block_rows, dot_tile, row_norms};
use crate::cluster::kmeans::group_by_label;
use crate::cluster::matrix::squared_distance;
use crate::cluster::{self, Init, KMeansOptions, Matrix};
use crate::stream::NoProgress;
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

/// Query rows per block.
pub(super) const QUERY_ROWS: usize = 256;
/// Candidate rows per gemm tile.
pub(super) const CANDIDATES: usize = 1024;

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

/// The rows minus their mean (computed in f64): distances do not change, but the
/// expanded form `||c||^2 - 2 q.c` loses far less precision on data far from the origin.
pub fn centre(points: &[f32], d: usize) -> Vec<f32> {
    let mut out = points.to_vec();
    subtract(&mut out, &column_means(points, d));
    out
}

/// Extra candidates kept by the expanded-form scan, then re-ranked by distances
/// computed from differences.
pub(super) const SLACK: usize = 3;

/// Top-`k` of each query among the candidates (self excluded by id): `queries.len() * k`
/// candidate ids. Candidate ids must ascend (ties go to the smaller id).
pub(super) fn join(
    queries: &[f32],
    q_ids: &[u32],
    cands: &[f32],
    c_ids: &[u32],
    d: usize,
    k: usize,
) -> Vec<u32> {
    let c_norms = row_norms(cands, d);
    let n_q = q_ids.len();
    let n_c = c_ids.len();
    let keep = k + SLACK;
    let mut out = vec![0u32; n_q * k];
    let br = QUERY_ROWS.min(block_rows(CANDIDATES));
    out.par_chunks_mut(br * k).enumerate().for_each_init(
        || (Vec::new(), Vec::new()),
        |(tile, best): &mut (Vec<f32>, Vec<(f32, u32)>), (b, dst)| {
            let start = b * br;
            let rows = dst.len() / k;
            best.clear();
            best.resize(rows * keep, (f32::INFINITY, u32::MAX));
            let q = &queries[start * d..(start + rows) * d];
            let mut c0 = 0;
            while c0 < n_c {
                let t = CANDIDATES.min(n_c - c0);
                tile.resize(rows * t, 0.0);
                dot_tile(q, d, rows, d, &cands[c0 * d..(c0 + t) * d], t, tile);
                for r in 0..rows {
                    let me = q_ids[start + r];
                    let top = &mut best[r * keep..(r + 1) * keep];
                    let mut worst = top[keep - 1].0;
                    for j in 0..t {
                        let v = c_norms[c0 + j] - 2.0 * tile[r * t + j];
                        if v < worst && c_ids[c0 + j] != me {
                            insert(top, (v, (c0 + j) as u32));
                            worst = top[keep - 1].0;
                        }
                    }
                }
                c0 += t;
            }
            let mut exact: Vec<(f32, u32)> = Vec::with_capacity(keep);
            for r in 0..rows {
                let qr = &q[r * d..(r + 1) * d];
                rerank(qr, &best[r * keep..(r + 1) * keep], cands, d, &mut exact);
                for (o, &(_, pos)) in dst[r * k..(r + 1) * k].iter_mut().zip(exact.iter()) {
                    *o = c_ids[pos as usize];
                }
            }
        },
    );
    out
}

/// Re-rank the candidates `kept` (positions in `cands`; unused slots `u32::MAX`) of the
/// query `q` by squared distances computed from differences: `exact` holds them nearest
/// first, ties by the smaller position.
pub(super) fn rerank(
    q: &[f32],
    kept: &[(f32, u32)],
    cands: &[f32],
    d: usize,
    exact: &mut Vec<(f32, u32)>,
) {
    exact.clear();
    exact.extend(kept.iter().filter(|e| e.1 != u32::MAX).map(|&(_, pos)| {
        let p = pos as usize;
        (squared_distance(q, &cands[p * d..(p + 1) * d]), pos)
    }));
    exact.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
}

/// Insert into a top-k sorted by (distance, index): after the entries of equal
/// distance when indices arrive ascending, as in [`join`].
#[inline]
pub(super) fn insert(top: &mut [(f32, u32)], item: (f32, u32)) {
    let mut i = top.len() - 1;
    while i > 0 && (top[i - 1].0 > item.0 || (top[i - 1].0 == item.0 && top[i - 1].1 > item.1)) {
        top[i] = top[i - 1];
        i -= 1;
    }
    top[i] = item;
}

/// Points grouped into k-means cells.
pub(super) struct Cells {
    /// Cell `c`'s members are `order[offsets[c]..offsets[c + 1]]`, ascending.
    pub offsets: Vec<usize>,
    /// Point indices, cell by cell.
    pub order: Vec<u32>,
    /// `n_cells x d` centroids.
    pub centroids: Vec<f32>,
}

/// Cluster the rows into `n_cells` k-means cells (a few iterations on a sample: cells
/// only need to be compact, not converged). Deterministic for a seed.
pub(super) fn fit_cells(points: &[f32], d: usize, n_cells: usize, seed: u64) -> Result<Cells> {
    let matrix = Matrix::from_f32(points, d)?;
    let mut options = KMeansOptions::new(n_cells);
    options.max_iter = 10;
    options.seed = seed;
    options.init = Init::Random;
    options.max_points_per_centroid = Some(64);
    let fitted = cluster::fit(&matrix, &options, &NoProgress)?;
    let (offsets, order) = group_by_label(&fitted.assignment.labels, n_cells);
    Ok(Cells {
        offsets,
        order,
        centroids: fitted.centroids,
    })
}

/// The rows `ids` of `points`, contiguous.
pub(super) fn gather(points: &[f32], d: usize, ids: &[u32]) -> Vec<f32> {
    let mut buf = vec![0f32; ids.len() * d];
    for (dst, &i) in buf.chunks_exact_mut(d).zip(ids) {
        dst.copy_from_slice(&points[i as usize * d..(i as usize + 1) * d]);
    }
    buf
}

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
                    let dot = crate::cluster::matrix::dot(me, &centroids[o * d..(o + 1) * d]);
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
