//! Centring feature rows: distances do not change, but the expanded form
//! `||c||^2 - 2 q.c` of the distance tiles loses far less precision on data far from
//! the origin.

use rayon::prelude::*;

/// Column means (summed in f64) of contiguous rows of length `d`, each rounded to a
/// multiple of `2^(e - 7)` where `2^e <= max |value| < 2^(e+1)` in the column: centring
/// on them removes the bulk of an offset, and stays exact for data of few significant
/// bits (points on an integer grid keep their exact distance ties).
pub fn column_means(rows: &[f32], d: usize) -> Vec<f32> {
    let mut sums = vec![0f64; d];
    let mut largest = vec![0f32; d];
    for row in rows.chunks_exact(d) {
        for ((s, m), &v) in sums.iter_mut().zip(largest.iter_mut()).zip(row) {
            *s += v as f64;
            *m = m.max(v.abs());
        }
    }
    let n = (rows.len() / d).max(1) as f64;
    sums.iter()
        .zip(&largest)
        .map(|(s, &m)| {
            if m == 0.0 || !m.is_finite() {
                return 0.0;
            }
            let quantum = ((m as f64).log2().floor() - 7.0).exp2();
            ((s / n / quantum).round() * quantum) as f32
        })
        .collect()
}

/// The rows minus their mean (computed in f64): distances do not change, but the
/// expanded form `||c||^2 - 2 q.c` loses far less precision on data far from the origin.
pub fn centre(points: &[f32], d: usize) -> Vec<f32> {
    let mut out = points.to_vec();
    subtract(&mut out, &column_means(points, d));
    out
}

/// Subtract `mean` from every row.
pub fn subtract(rows: &mut [f32], mean: &[f32]) {
    rows.par_chunks_mut(mean.len()).for_each(|row| {
        for (v, m) in row.iter_mut().zip(mean) {
            *v -= m;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_are_rounded_to_the_column_scale() {
        // Column 0: mean 2.0 exactly; column 1: all zero.
        let rows = [1.0f32, 0.0, 3.0, 0.0];
        assert_eq!(column_means(&rows, 2), vec![2.0, 0.0]);
        let mut centred = rows.to_vec();
        subtract(&mut centred, &[2.0, 0.0]);
        assert_eq!(centred, vec![-1.0, 0.0, 1.0, 0.0]);
    }
}
