//! The blocked top-k scan shared by the all-pairs and the pruned exact searches and the
//! cell search: query blocks against candidate tiles, the sorted top-(k + SLACK), the
//! re-ranking by distances from differences, and the k-means cells.

use rayon::prelude::*;

use crate::cluster::{self, Init, KMeansOptions};
use crate::linalg::distance::{block_rows, dot_tile, row_norms, squared_distance};
use crate::linalg::groups::group_by_label;
use crate::linalg::Matrix;
use crate::stream::NoProgress;
use crate::Result;

/// Query rows per block.
pub(super) const QUERY_ROWS: usize = 256;
/// Candidate rows per gemm tile.
pub(super) const CANDIDATES: usize = 1024;

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
