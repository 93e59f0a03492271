//! k-center greedy (farthest-point traversal, Gonzalez 1985): a coreset whose
//! covering radius is at most twice the optimal one. Each step adds the point farthest
//! from the points chosen so far (ties: the smallest row), then lowers every point's
//! distance to the chosen set: O(n d) per step, parallel over blocks of rows with a
//! deterministic arg-max.

use rayon::prelude::*;

use crate::cluster::Metric;
use crate::linalg::distance::{dot, squared_distance};
use crate::linalg::Matrix;
use crate::stream::Progress;
use crate::{rng, Error, Result};

const STREAM_FIRST: u64 = 0x1417_0500;
const ROWS: usize = 4096;

/// The points k-center greedy chose.
#[derive(Clone, Debug)]
pub struct KCenter {
    /// Rows in the order they were chosen.
    pub indices: Vec<usize>,
    /// Covering radius after each choice: the largest distance of any point to its
    /// nearest chosen point (Euclidean, or `1 - cos`).
    pub radii: Vec<f64>,
}

/// Choose `k` rows of `x`, starting from `initial` (already chosen rows, not returned)
/// or, without, from a row drawn uniformly with `seed`.
pub fn k_center(
    x: &Matrix,
    k: usize,
    metric: Metric,
    seed: u64,
    initial: &[usize],
    progress: &dyn Progress,
) -> Result<KCenter> {
    let n = x.rows();
    if n == 0 {
        return Err(Error::EmptyInput {
            what: "x".into(),
            detail: "no rows to choose from".into(),
        });
    }
    if let Some(&bad) = initial.iter().find(|&&i| i >= n) {
        return Err(Error::invalid(
            "initial",
            format!("row {bad} is out of range (n = {n})"),
        ));
    }
    if k == 0 || k + initial.len() > n {
        return Err(Error::invalid(
            "k",
            format!(
                "must be between 1 and {} (n minus the initial rows), got {k}",
                n - initial.len()
            ),
        ));
    }
    x.check_finite("x")?;
    let inv_norms: Vec<f32> = match metric {
        Metric::Euclidean => Vec::new(),
        Metric::Cosine => {
            crate::cluster::kmeans::check_nonzero_rows(x)?;
            x.squared_norms().iter().map(|v| 1.0 / v.sqrt()).collect()
        }
    };
    // Distance to the chosen set; -1 marks chosen rows.
    let mut closest = vec![f32::INFINITY; n];
    let mut indices = Vec::with_capacity(k);
    let mut radii = Vec::with_capacity(k);
    let mut next = if initial.is_empty() {
        ((rng::uniform_open(seed, STREAM_FIRST, 0) * n as f64) as usize).min(n - 1)
    } else {
        let mut far = (f32::NEG_INFINITY, 0);
        for &c in initial {
            far = lower(x, metric, &inv_norms, &mut closest, c);
        }
        far.1
    };
    for step in 0..k {
        indices.push(next);
        let (r, far) = lower(x, metric, &inv_norms, &mut closest, next);
        radii.push(match metric {
            Metric::Euclidean => (r.max(0.0) as f64).sqrt(),
            Metric::Cosine => r.max(0.0) as f64,
        });
        next = far;
        if step % 64 == 63 {
            progress.advance(64, 0)?;
        }
    }
    Ok(KCenter { indices, radii })
}

/// Mark `c` chosen, lower every distance with `c`, and return the largest remaining
/// distance and its row (ties: the smallest row).
fn lower(
    x: &Matrix,
    metric: Metric,
    inv_norms: &[f32],
    closest: &mut [f32],
    c: usize,
) -> (f32, usize) {
    let d = x.cols();
    let mut center = vec![0f32; d];
    x.row_into(c, &mut center);
    closest[c] = -1.0;
    closest
        .par_chunks_mut(ROWS)
        .enumerate()
        .map_init(Vec::new, |buf, (b, out)| {
            let start = b * ROWS;
            let (block, stride) = x.block(start, start + out.len(), buf);
            let mut best = (f32::NEG_INFINITY, usize::MAX);
            for (r, v) in out.iter_mut().enumerate() {
                if *v >= 0.0 {
                    let row = &block[r * stride..r * stride + d];
                    let dist = match metric {
                        Metric::Euclidean => squared_distance(row, &center),
                        Metric::Cosine => {
                            1.0 - dot(row, &center) * inv_norms[start + r] * inv_norms[c]
                        }
                    };
                    if dist < *v {
                        *v = dist;
                    }
                    if *v > best.0 {
                        best = (*v, start + r);
                    }
                }
            }
            best
        })
        .reduce(
            || (f32::NEG_INFINITY, usize::MAX),
            |a, b| {
                if b.0 > a.0 || (b.0 == a.0 && b.1 < a.1) {
                    b
                } else {
                    a
                }
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::NoProgress;

    #[test]
    fn radius_is_the_brute_force_covering_radius() {
        let d = 3;
        let x: Vec<f32> = (0..60 * d)
            .map(|i| rng::uniform_open(5, 0, i as u64) as f32)
            .collect();
        let m = Matrix::from_f32(&x, d).unwrap();
        let r = k_center(&m, 7, Metric::Euclidean, 1, &[], &NoProgress).unwrap();
        for step in 0..7 {
            let chosen = &r.indices[..=step];
            let brute = x
                .chunks(d)
                .map(|p| {
                    chosen
                        .iter()
                        .map(|&c| squared_distance(p, &x[c * d..(c + 1) * d]))
                        .fold(f32::INFINITY, f32::min)
                })
                .fold(0f32, f32::max);
            assert!((r.radii[step] - (brute as f64).sqrt()).abs() < 1e-6);
        }
        assert!(k_center(&m, 61, Metric::Euclidean, 1, &[], &NoProgress).is_err());
    }
}
