//! Exact k nearest neighbours pruned by the triangle inequality over k-means cells.
//!
//! The points are grouped into k-means cells ([`fit_cells`]); each cell `o` has a
//! centroid `mu_o` and a radius `r_o` (its farthest member). For a query `q` no point
//! of `o` is nearer than `lb = max(0, ||q - mu_o|| - r_o)`. Queries are taken a block
//! of one cell's members at a time; the block visits the cells by ascending smallest
//! bound, scanning each visited cell with the gemm tiles and the sorted top-(k + SLACK)
//! of [`join`](super::scan::join), and skips a cell when, for every query of the block, the
//! bound proves that no point of the cell can enter the query's kept candidates.
//!
//! The skip test is conservative for float32 rounding: the kept candidates are ranked
//! by the expanded form `||x||^2 - 2 q.x`, whose rounding error is bounded by
//! `4 (d + 2) eps (||x||^2 + 2 ||q|| ||x||)` with `||x|| <= ||mu_o|| + r_o`; bounds and
//! radii are widened by the same relative error. A skipped cell therefore holds no
//! point that the all-pairs scan would have kept, and as the kept candidates are
//! ordered by (expanded distance, index) like the all-pairs scan's, the kept sets and
//! so the neighbours (re-ranked by distances from differences) are the all-pairs
//! ones. Blocks depend only on the data and the seed, so the result does not depend
//! on the thread count.

use rayon::prelude::*;

use super::scan::{fit_cells, gather, insert, rerank, Cells, CANDIDATES, QUERY_ROWS, SLACK};
use crate::linalg::distance::{dot, dot_tile, row_norms, squared_distance};
use crate::Result;

/// Relative error bound of a float32 sum of `d` products (generous).
fn rel_error(d: usize) -> f64 {
    4.0 * (d as f64 + 2.0) * f64::from(f32::EPSILON)
}

/// Exact neighbours of the rows of `points` (`m x d`, centred) through cells of about
/// `cell_size` points: the same `m * k` indices as the all-pairs search.
pub(super) fn pruned(
    points: &[f32],
    d: usize,
    k: usize,
    cell_size: usize,
    seed: u64,
) -> Result<Vec<u32>> {
    let m = points.len() / d;
    let n_cells = m.div_ceil(cell_size.max(1));
    let Cells {
        offsets,
        order,
        centroids,
    } = fit_cells(points, d, n_cells, seed)?;
    let n_cells = offsets.len() - 1;
    let sorted = gather(points, d, &order);
    let norms = row_norms(&sorted, d);
    let rel = rel_error(d);
    // Per cell: widened radius and bound on its members' norms.
    let bounds: Vec<(f64, f64)> = (0..n_cells)
        .into_par_iter()
        .map(|o| {
            let mu = &centroids[o * d..(o + 1) * d];
            let r2 = (offsets[o]..offsets[o + 1])
                .map(|i| squared_distance(&sorted[i * d..(i + 1) * d], mu))
                .fold(0f32, f32::max);
            let r = (f64::from(r2) * (1.0 + rel)).sqrt() * (1.0 + rel) + f64::MIN_POSITIVE;
            let mu_norm = (f64::from(dot(mu, mu)) * (1.0 + rel)).sqrt();
            (r, mu_norm + r)
        })
        .collect();
    // Work units: blocks of at most QUERY_ROWS members of one cell (sorted positions).
    let units: Vec<(usize, usize)> = (0..n_cells)
        .flat_map(|c| {
            let end = offsets[c + 1];
            (offsets[c]..end)
                .step_by(QUERY_ROWS)
                .map(move |s| (s, (s + QUERY_ROWS).min(end)))
        })
        .collect();
    let found: Vec<Vec<u32>> = units
        .par_iter()
        .map_init(
            || (Vec::new(), Vec::new(), Vec::new()),
            |(tile, best, lbs): &mut (Vec<f32>, Vec<(f32, u32)>, Vec<f64>), &(start, end)| {
                let block = Block {
                    points,
                    sorted: &sorted,
                    norms: &norms,
                    order: &order,
                    offsets: &offsets,
                    centroids: &centroids,
                    bounds: &bounds,
                    d,
                    k,
                    rel,
                };
                block.search(start, end, tile, best, lbs)
            },
        )
        .collect();
    let mut out = vec![0u32; m * k];
    for (&(start, _), ids) in units.iter().zip(&found) {
        for (r, nn) in ids.chunks_exact(k).enumerate() {
            let i = order[start + r] as usize;
            out[i * k..(i + 1) * k].copy_from_slice(nn);
        }
    }
    Ok(out)
}

/// Shared, read-only state of the search of one block of queries.
struct Block<'a> {
    points: &'a [f32],
    sorted: &'a [f32],
    norms: &'a [f32],
    order: &'a [u32],
    offsets: &'a [usize],
    centroids: &'a [f32],
    bounds: &'a [(f64, f64)],
    d: usize,
    k: usize,
    rel: f64,
}

impl Block<'_> {
    /// Neighbours (`rows * k` ids) of the queries at sorted positions `start..end`.
    fn search(
        &self,
        start: usize,
        end: usize,
        tile: &mut Vec<f32>,
        best: &mut Vec<(f32, u32)>,
        lbs: &mut Vec<f64>,
    ) -> Vec<u32> {
        let (d, k, rel) = (self.d, self.k, self.rel);
        let n_cells = self.offsets.len() - 1;
        let rows = end - start;
        let keep = k + SLACK;
        let q = &self.sorted[start * d..end * d];
        // lbs[r * n_cells + o]: the smallest expanded value a point of cell o can take
        // for query r, minus rounding; the cell is skipped for r when it exceeds r's
        // worst kept value.
        lbs.clear();
        lbs.resize(rows * n_cells, 0.0);
        let mut order_lb: Vec<(f64, usize)> = (0..n_cells).map(|o| (f64::INFINITY, o)).collect();
        for r in 0..rows {
            let qr = &q[r * d..(r + 1) * d];
            let q_sq = f64::from(self.norms[start + r]) * (1.0 + rel) + f64::MIN_POSITIVE;
            let q_norm = q_sq.sqrt();
            for o in 0..n_cells {
                let (radius, x_norm) = self.bounds[o];
                let to_mu = squared_distance(qr, &self.centroids[o * d..(o + 1) * d]);
                let lb = ((f64::from(to_mu) * (1.0 - rel)).max(0.0).sqrt() * (1.0 - rel) - radius)
                    .max(0.0);
                let err = rel * (x_norm * x_norm + 2.0 * q_norm * x_norm) + f64::MIN_POSITIVE;
                let v = lb * lb * (1.0 - rel) - q_sq - err;
                lbs[r * n_cells + o] = v;
                if lb < order_lb[o].0 {
                    order_lb[o].0 = lb;
                }
            }
        }
        order_lb.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        best.clear();
        best.resize(rows * keep, (f32::INFINITY, u32::MAX));
        for &(_, o) in &order_lb {
            let (c_start, c_end) = (self.offsets[o], self.offsets[o + 1]);
            let needed = |r: usize, best: &[(f32, u32)]| {
                lbs[r * n_cells + o] <= f64::from(best[r * keep + keep - 1].0)
            };
            if c_start == c_end || !(0..rows).any(|r| needed(r, best)) {
                continue;
            }
            let mut c0 = c_start;
            while c0 < c_end {
                let t = CANDIDATES.min(c_end - c0);
                tile.resize(rows * t, 0.0);
                dot_tile(q, d, rows, d, &self.sorted[c0 * d..(c0 + t) * d], t, tile);
                for r in 0..rows {
                    if !needed(r, best) {
                        continue;
                    }
                    let me = self.order[start + r];
                    let top = &mut best[r * keep..(r + 1) * keep];
                    let mut worst = top[keep - 1];
                    for j in 0..t {
                        let v = self.norms[c0 + j] - 2.0 * tile[r * t + j];
                        let id = self.order[c0 + j];
                        if (v < worst.0 || (v == worst.0 && id < worst.1)) && id != me {
                            insert(top, (v, id));
                            worst = top[keep - 1];
                        }
                    }
                }
                c0 += t;
            }
        }
        let mut out = vec![0u32; rows * k];
        let mut exact: Vec<(f32, u32)> = Vec::with_capacity(keep);
        for r in 0..rows {
            let qr = &q[r * d..(r + 1) * d];
            rerank(
                qr,
                &best[r * keep..(r + 1) * keep],
                self.points,
                d,
                &mut exact,
            );
            for (o, &(_, id)) in out[r * k..(r + 1) * k].iter_mut().zip(exact.iter()) {
                *o = id;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::knn::tests::assert_exact;
    use super::super::scan::join;
    use super::*;
    use crate::linalg::centre::centre;
    use proptest::prelude::*;

    fn all_pairs(p: &[f32], d: usize, k: usize) -> Vec<u32> {
        let ids: Vec<u32> = (0..(p.len() / d) as u32).collect();
        join(p, &ids, p, &ids, d, k)
    }

    /// Pruned == all-pairs (same ids, same order), and both match f64 brute force.
    fn check(raw: &[f32], d: usize, k: usize, cell_size: usize, seed: u64) {
        let p = centre(raw, d);
        let want = all_pairs(&p, d, k);
        let got = pruned(&p, d, k, cell_size, seed).unwrap();
        assert_eq!(
            got, want,
            "pruned differs from all-pairs (k {k}, cells {cell_size})"
        );
        assert_exact(raw, d, k, &got);
    }

    fn uniform(m: usize, d: usize, seed: u64, scale: f64) -> Vec<f32> {
        (0..m * d)
            .map(|i| (scale * crate::rng::uniform_open(seed, 0, i as u64)) as f32)
            .collect()
    }

    #[test]
    fn random_data() {
        for k in [1, 5, 10] {
            check(&uniform(1200, 8, 3, 10.0), 8, k, 50, 0);
        }
    }

    #[test]
    fn clustered_data_far_from_origin() {
        let (m, d) = (2000, 12);
        let p: Vec<f32> = (0..m * d)
            .map(|i| {
                let centre = 1000.0 + ((i / d) % 9) as f64 * 5.0;
                (centre + crate::rng::uniform_open(4, 0, i as u64)) as f32
            })
            .collect();
        for k in [1, 5] {
            check(&p, d, k, 64, 7);
        }
    }

    #[test]
    fn duplicated_points() {
        let base = uniform(150, 5, 5, 3.0);
        let mut p = Vec::new();
        for i in 0..1200 {
            let j = (i * 7) % 150;
            p.extend_from_slice(&base[j * 5..(j + 1) * 5]);
        }
        for k in [1, 5, 12] {
            check(&p, 5, k, 40, 1);
        }
    }

    #[test]
    fn integer_grid_ties() {
        let (m, d) = (1500, 3);
        let p: Vec<f32> = (0..m * d)
            .map(|i| (crate::rng::word(6, 0, i as u64) % 9) as f32)
            .collect();
        for k in [1, 4, 6, 10] {
            check(&p, d, k, 30, 2);
        }
    }

    #[test]
    fn same_whatever_the_thread_count() {
        let p = centre(&uniform(3000, 6, 8, 1.0), 6);
        let many = pruned(&p, 6, 5, 100, 3).unwrap();
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| pruned(&p, 6, 5, 100, 3).unwrap());
        assert_eq!(many, one);
        // Another seed gives other cells but the same (exact) neighbours.
        assert_eq!(many, pruned(&p, 6, 5, 37, 11).unwrap());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn matches_all_pairs(
            m in 12usize..300,
            d in 1usize..6,
            k in 1usize..8,
            cell in 2usize..40,
            levels in 2u64..6,
            seed in 0u64..1000,
        ) {
            let p: Vec<f32> = (0..m * d)
                .map(|i| (crate::rng::word(seed, 1, i as u64) % levels) as f32 * 0.5)
                .collect();
            let p = centre(&p, d);
            prop_assert_eq!(pruned(&p, d, k, cell, seed).unwrap(), all_pairs(&p, d, k));
        }
    }
}
