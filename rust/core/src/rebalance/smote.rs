//! Resampling a labelled feature matrix to target class counts: SMOTE (Chawla et al.
//! 2002), random over-sampling and random under-sampling.
//!
//! SMOTE adds, to a class of `m` points, synthetic points `x + u (nn - x)` where `x`
//! is a uniformly drawn point of the class, `nn` one of its `k` nearest neighbours in
//! the class (uniformly), and `u` uniform in (0, 1): the distribution of
//! imbalanced-learn's SMOTE. Draw `j` of class `c` depends only on `(seed, c, j)`.
//!
//! Output rows: the kept original rows in increasing order, then the added rows class
//! by class (class code order).

use rayon::prelude::*;

use super::knn::{neighbours, Search};
use super::random::{over_draw, smote_draw, under_draw};
use crate::linalg::{Dense, Real};
use crate::{Error, Result};

/// How classes are brought to their target counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Synthetic points between a point and one of its `k` nearest class neighbours.
    Smote {
        /// Neighbours per point.
        k: usize,
        /// How neighbours are searched.
        search: Search,
    },
    /// Copies of random rows of the class (with replacement).
    RandomOver,
    /// A random subset of the class's rows (without replacement).
    RandomUnder,
}

/// A resampled matrix with the provenance of every row.
#[derive(Clone, Debug)]
pub struct Resampled<T> {
    /// `rows x d` features, row-major.
    pub x: Vec<T>,
    /// Number of rows.
    pub rows: usize,
    /// Class code of each row.
    pub labels: Vec<u32>,
    /// The original row of each row (for a synthetic row: its base point).
    pub parent: Vec<i64>,
    /// The neighbour of a synthetic row; -1 for every other row.
    pub neighbour: Vec<i64>,
    /// The gap `u` of a synthetic row (`x = parent + u (neighbour - parent)`); 0 otherwise.
    pub gap: Vec<f64>,
}

/// Resample `x` (labels: class codes `< targets.len()`) so that class `c` has
/// `targets[c]` rows. Over-sampling methods need `targets[c] >=` the class size,
/// under-sampling `<=`.
pub fn resample<T: Real>(
    x: &Dense<T>,
    labels: &[u32],
    targets: &[u64],
    method: Method,
    seed: u64,
) -> Result<Resampled<T>> {
    let n = x.rows();
    let d = x.cols();
    if labels.len() != n {
        return Err(Error::invalid(
            "y",
            format!("has {} labels for {n} rows", labels.len()),
        ));
    }
    let classes = targets.len();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for (i, &l) in labels.iter().enumerate() {
        let list = members.get_mut(l as usize).ok_or_else(|| {
            Error::invalid(
                "y",
                format!("row {i} has class code {l}, only {classes} targets"),
            )
        })?;
        list.push(i);
    }
    if let Method::Smote { k, .. } = method {
        if k == 0 {
            return Err(Error::invalid("k_neighbors", "must be at least 1"));
        }
    }
    x.check_finite("x")?;
    for (c, (rows, &t)) in members.iter().zip(targets).enumerate() {
        let size = rows.len() as u64;
        let ok = match method {
            Method::RandomUnder => t <= size,
            _ => t >= size,
        };
        if !ok {
            let verb = if method == Method::RandomUnder {
                "under"
            } else {
                "over"
            };
            return Err(Error::invalid(
                "sampling_strategy",
                format!("class code {c} has {size} rows, cannot {verb}-sample it to {t}"),
            ));
        }
        if let Method::Smote { k, .. } = method {
            if t > size && rows.len() <= k {
                return Err(Error::invalid(
                    "k_neighbors",
                    format!(
                        "class code {c} has {size} rows; SMOTE with k_neighbors={k} needs at least {}",
                        k + 1
                    ),
                ));
            }
        }
    }

    // Kept originals.
    let kept: Vec<usize> = match method {
        Method::RandomUnder => {
            let mut kept = Vec::new();
            for (c, rows) in members.iter().enumerate() {
                for i in under_draw(seed, c as u32, rows.len(), targets[c] as usize)? {
                    kept.push(rows[i]);
                }
            }
            kept.sort_unstable();
            kept
        }
        _ => (0..n).collect(),
    };

    // Added rows: (class, parent, neighbour, gap).
    let mut added: Vec<(u32, i64, i64, f64)> = Vec::new();
    if method != Method::RandomUnder {
        for (c, rows) in members.iter().enumerate() {
            let extra = (targets[c] as usize).saturating_sub(rows.len());
            if extra == 0 {
                continue;
            }
            let m = rows.len();
            let start = added.len();
            added.resize(start + extra, (0, 0, -1, 0.0));
            let out = &mut added[start..];
            match method {
                Method::Smote { k, search } => {
                    let nn = neighbours(&x.gather_f32(rows), d, k, search, seed)?;
                    out.par_iter_mut().enumerate().for_each(|(j, slot)| {
                        let (b, s, u) = smote_draw(seed, c as u32, j as u64, m, k);
                        let other = rows[nn[b * k + s] as usize];
                        *slot = (c as u32, rows[b] as i64, other as i64, u);
                    });
                }
                _ => out.par_iter_mut().enumerate().for_each(|(j, slot)| {
                    *slot = (
                        c as u32,
                        rows[over_draw(seed, c as u32, j as u64, m)] as i64,
                        -1,
                        0.0,
                    );
                }),
            }
        }
    }

    let rows = kept.len() + added.len();
    let mut out = vec![T::from_f64(0.0); rows * d];
    let (head, tail) = out.split_at_mut(kept.len() * d);
    head.par_chunks_mut(d)
        .zip(kept.par_iter())
        .for_each(|(dst, &i)| dst.copy_from_slice(x.row(i)));
    tail.par_chunks_mut(d)
        .zip(added.par_iter())
        .for_each(|(dst, &(_, p, nb, u))| {
            let base = x.row(p as usize);
            if nb < 0 {
                dst.copy_from_slice(base);
            } else {
                let other = x.row(nb as usize);
                for ((o, &a), &b) in dst.iter_mut().zip(base).zip(other) {
                    let (a, b) = (a.to_f64(), b.to_f64());
                    *o = T::from_f64(a + u * (b - a));
                }
            }
        });
    let mut labels_out: Vec<u32> = kept.iter().map(|&i| labels[i]).collect();
    let mut parent: Vec<i64> = kept.iter().map(|&i| i as i64).collect();
    let mut neighbour = vec![-1i64; kept.len()];
    let mut gap = vec![0f64; kept.len()];
    for &(c, p, nb, u) in &added {
        labels_out.push(c);
        parent.push(p);
        neighbour.push(nb);
        gap.push(u);
    }
    Ok(Resampled {
        x: out,
        rows,
        labels: labels_out,
        parent,
        neighbour,
        gap,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> (Vec<f64>, Vec<u32>) {
        let x: Vec<f64> = (0..60)
            .map(|i| crate::rng::uniform_open(5, 0, i) * 10.0)
            .collect();
        let y: Vec<u32> = (0..30).map(|i| u32::from(i % 5 == 0)).collect();
        (x, y)
    }

    #[test]
    fn smote_hits_targets_on_segments_and_is_deterministic() {
        let (x, y) = toy();
        let m = Dense::contiguous(&x, 2, "x").unwrap();
        let method = Method::Smote {
            k: 3,
            search: Search::Exact,
        };
        let r = resample(&m, &y, &[24, 24], method, 7).unwrap();
        assert_eq!(r.rows, 48);
        assert_eq!(r.labels.iter().filter(|&&l| l == 1).count(), 24);
        for i in 30..48 {
            let (p, nb, u) = (r.parent[i] as usize, r.neighbour[i] as usize, r.gap[i]);
            assert_eq!((y[p], y[nb]), (1, 1));
            for c in 0..2 {
                let want = x[p * 2 + c] + u * (x[nb * 2 + c] - x[p * 2 + c]);
                assert!((r.x[i * 2 + c] - want).abs() < 1e-12);
            }
        }
        let again = resample(&m, &y, &[24, 24], method, 7).unwrap();
        assert_eq!(r.x, again.x);
    }

    #[test]
    fn under_and_errors() {
        let (x, y) = toy();
        let m = Dense::contiguous(&x, 2, "x").unwrap();
        let r = resample(&m, &y, &[6, 6], Method::RandomUnder, 0).unwrap();
        assert_eq!(r.rows, 12);
        assert!(r.parent.windows(2).all(|w| w[0] < w[1]));
        let e = resample(
            &m,
            &y,
            &[24, 24],
            Method::Smote {
                k: 6,
                search: Search::Exact,
            },
            0,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("k_neighbors"), "{e}");
        assert!(resample(&m, &y, &[2, 6], Method::RandomOver, 0).is_err());
    }
}
