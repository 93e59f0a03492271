//! Mini-batch k-means (Sculley 2010) for data larger than memory: the rows are read
//! batch by batch (a memory-mapped `.npy` is paged in and out by the OS), each batch
//! assigned to the current centroids, then each centroid moved toward the mean of its
//! batch points with a per-centroid learning rate `1 / (points seen so far)`.
//!
//! Batches are contiguous row ranges visited in a seeded random order per epoch; each
//! batch's sums are accumulated in f64 in row order, so the result does not depend on
//! the thread count.

use rayon::prelude::*;

use super::distance::{assign, Metric};
use super::init::{self, normalize_rows};
use super::kmeans::{farthest, initial_centroids, sum_rows, validate, KMeansOptions, KMeansResult};
use crate::linalg::groups::group_by_label;
use crate::linalg::Matrix;
use crate::stream::Progress;
use crate::{rng, Error, Result};

const STREAM_ORDER: u64 = 0x1417_0200;
const STREAM_INIT_SAMPLE: u64 = 0x1417_0004;

/// Fit k-means by mini-batches of `batch_size` rows; `options.max_iter` counts epochs
/// (passes over the data). The initial centroids come from `options.init` run on a
/// random sample of `max(3 * batch_size, 3 * k)` rows.
pub fn fit_minibatch(
    x: &Matrix,
    options: &KMeansOptions,
    batch_size: usize,
    progress: &dyn Progress,
) -> Result<KMeansResult> {
    validate(x, options)?;
    if batch_size == 0 {
        return Err(Error::invalid("batch_size", "must be at least 1"));
    }
    let (n, d, k) = (x.rows(), x.cols(), options.k);
    let sample_size = (3 * batch_size).max(3 * k).min(n);
    let mut picks = init::random_subset(n, sample_size, options.seed, STREAM_INIT_SAMPLE);
    picks.sort_unstable();
    let sample = x.gather(&picks);
    let sample_view = Matrix::from_f32(&sample, d)?;
    let mut centroids = initial_centroids(&sample_view, options);
    drop(sample);

    let mut master: Vec<f64> = centroids.iter().map(|&v| v as f64).collect();
    let mut seen = vec![0f64; k];
    let batches = n.div_ceil(batch_size);
    let mut history = Vec::new();
    let mut n_iter = 0;
    let mut sums = vec![0f64; k * d];
    for epoch in 0..options.max_iter {
        let mut order: Vec<(u64, usize)> = (0..batches)
            .map(|b| {
                (
                    rng::word(options.seed, STREAM_ORDER + epoch as u64, b as u64),
                    b,
                )
            })
            .collect();
        order.sort_unstable();
        let mut epoch_inertia = 0f64;
        for &(_, b) in &order {
            let start = b * batch_size;
            let end = (start + batch_size).min(n);
            let batch = x.slice_rows(start, end);
            let a = assign(&batch, &centroids, k, options.metric);
            epoch_inertia += a.inertia;
            let (offsets, members) = group_by_label(&a.labels, k);
            sums.par_chunks_mut(d).enumerate().for_each(|(j, out)| {
                sum_rows(
                    &batch,
                    &members[offsets[j]..offsets[j + 1]],
                    options.metric,
                    out,
                )
            });
            for j in 0..k {
                let m = (offsets[j + 1] - offsets[j]) as f64;
                if m == 0.0 {
                    continue;
                }
                seen[j] += m;
                let rate = 1.0 / seen[j];
                let (c, s) = (&mut master[j * d..(j + 1) * d], &sums[j * d..(j + 1) * d]);
                for (cv, sv) in c.iter_mut().zip(s) {
                    // c += (sum - m c) / seen: the mean of everything seen so far.
                    *cv += (sv - m * *cv) * rate;
                }
            }
            // Centroids never assigned a point restart at the farthest batch points.
            let unseen: Vec<usize> = (0..k).filter(|&j| seen[j] == 0.0).collect();
            if !unseen.is_empty() {
                let far = farthest(&a.distances, unseen.len());
                let mut row = vec![0f32; d];
                for (&j, &i) in unseen.iter().zip(&far) {
                    batch.row_into(i, &mut row);
                    for (cv, &v) in master[j * d..(j + 1) * d].iter_mut().zip(&row) {
                        *cv = v as f64;
                    }
                }
            }
            for (c, &m) in centroids.iter_mut().zip(&master) {
                *c = m as f32;
            }
            if options.metric == Metric::Cosine {
                normalize_rows(&mut centroids, d);
            }
            progress.advance((end - start) as u64, 0)?;
        }
        n_iter += 1;
        let previous = history.last().copied();
        history.push(epoch_inertia);
        if let Some(p) = previous {
            if (p - epoch_inertia).abs() <= options.tol * epoch_inertia.abs() {
                break;
            }
        }
    }
    let assignment = assign(x, &centroids, k, options.metric);
    Ok(KMeansResult {
        centroids,
        k,
        d,
        assignment,
        n_iter,
        inertia_history: history,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::NoProgress;

    #[test]
    fn minibatch_finds_the_blobs() {
        let mut x = Vec::new();
        for i in 0..3000 {
            let g = (i % 3) as f32 * 20.0;
            x.push(g + (rng::uniform_open(1, 0, i) as f32));
            x.push(-g + (rng::uniform_open(1, 1, i) as f32));
        }
        let m = Matrix::from_f32(&x, 2).unwrap();
        let mut o = KMeansOptions::new(3);
        o.max_iter = 3;
        let r = fit_minibatch(&m, &o, 256, &NoProgress).unwrap();
        for i in 0..3000 {
            assert_eq!(r.assignment.labels[i], r.assignment.labels[i % 3]);
        }
        assert!(r.assignment.inertia / 3000.0 < 0.2);
    }
}
