//! A borrowed `rows x cols` matrix of float32 or float64 rows (row stride `>= cols`),
//! read in place: the feature matrices of rebalancing and valuation.

use rayon::prelude::*;

use crate::{Error, Result};

/// The element types a [`Dense`] matrix may hold.
pub trait Real: Copy + Send + Sync + PartialEq + 'static {
    /// The value as float32 (neighbour searches run in float32).
    fn to_f32(self) -> f32;
    /// The value as float64.
    fn to_f64(self) -> f64;
    /// A float64 rounded to this type.
    fn from_f64(v: f64) -> Self;
    /// The slice itself when the type is float32.
    fn as_f32(s: &[Self]) -> Option<&[f32]>;
}

impl Real for f32 {
    #[inline]
    fn to_f32(self) -> f32 {
        self
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn as_f32(s: &[Self]) -> Option<&[f32]> {
        Some(s)
    }
}

impl Real for f64 {
    #[inline]
    fn to_f32(self) -> f32 {
        self as f32
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        v
    }
    fn as_f32(_: &[Self]) -> Option<&[f32]> {
        None
    }
}

/// A read-only view of `rows` rows of `cols` elements spaced by `stride` elements.
#[derive(Clone, Copy, Debug)]
pub struct Dense<'a, T> {
    data: &'a [T],
    rows: usize,
    cols: usize,
    stride: usize,
}

impl<'a, T: Real> Dense<'a, T> {
    /// A view of `data` as `rows x cols` with row stride `stride`; `name` is the
    /// parameter named by errors.
    pub fn new(data: &'a [T], rows: usize, cols: usize, stride: usize, name: &str) -> Result<Self> {
        if cols == 0 {
            return Err(Error::invalid(name, "rows have 0 columns"));
        }
        if stride < cols || (rows > 0 && data.len() < (rows - 1) * stride + cols) {
            return Err(Error::invalid(
                name,
                format!(
                    "{} elements cannot hold {rows} rows of {cols} with stride {stride}",
                    data.len()
                ),
            ));
        }
        Ok(Dense {
            data,
            rows,
            cols,
            stride,
        })
    }

    /// A contiguous matrix of `cols` columns.
    pub fn contiguous(data: &'a [T], cols: usize, name: &str) -> Result<Self> {
        let rows = data.len().checked_div(cols).unwrap_or(0);
        Dense::new(data, rows, cols, cols, name)
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Row `i`, borrowed.
    #[inline]
    pub fn row(&self, i: usize) -> &'a [T] {
        &self.data[i * self.stride..i * self.stride + self.cols]
    }

    /// The rows `indices` as one contiguous float32 buffer (`indices.len() x cols`).
    pub fn gather_f32(&self, indices: &[usize]) -> Vec<f32> {
        let mut out = vec![0f32; indices.len() * self.cols];
        out.par_chunks_mut(self.cols)
            .zip(indices.par_iter())
            .for_each(|(dst, &i)| {
                for (o, &v) in dst.iter_mut().zip(self.row(i)) {
                    *o = v.to_f32();
                }
            });
        out
    }

    /// All rows as one contiguous float32 buffer: borrowed when the matrix already is
    /// contiguous float32, converted otherwise.
    pub fn to_f32(&self) -> std::borrow::Cow<'a, [f32]> {
        if self.stride == self.cols {
            if let Some(s) = T::as_f32(self.data) {
                return std::borrow::Cow::Borrowed(&s[..self.rows * self.cols]);
            }
        }
        let all: Vec<usize> = (0..self.rows).collect();
        std::borrow::Cow::Owned(self.gather_f32(&all))
    }

    /// An error naming the first row (and its first column) holding a NaN or an
    /// infinity, scanning rows in order.
    pub fn check_finite(&self, name: &str) -> Result<()> {
        const BLOCK: usize = 4096;
        let bad = (0..self.rows.div_ceil(BLOCK))
            .into_par_iter()
            .find_map_first(|b| {
                (b * BLOCK..((b + 1) * BLOCK).min(self.rows)).find_map(|r| {
                    self.row(r)
                        .iter()
                        .position(|v| !v.to_f64().is_finite())
                        .map(|c| (r, c))
                })
            });
        match bad {
            Some((row, col)) => Err(Error::invalid(
                name,
                format!(
                    "row {row}, column {col} holds {} (features must be finite)",
                    self.row(row)[col].to_f64()
                ),
            )),
            None => Ok(()),
        }
    }
}

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
    fn strided_rows_and_finite_check() {
        let mut data: Vec<f64> = (0..12).map(|v| v as f64).collect();
        let m = Dense::new(&data, 3, 2, 4, "x").unwrap();
        assert_eq!(m.row(2), &[8.0, 9.0]);
        assert_eq!(m.gather_f32(&[1, 0]), vec![4.0, 5.0, 0.0, 1.0]);
        assert!(m.check_finite("x").is_ok());
        data[5] = f64::NAN;
        let m = Dense::new(&data, 3, 2, 4, "x").unwrap();
        let e = m.check_finite("x").unwrap_err().to_string();
        assert!(e.contains("row 1, column 1"), "{e}");
        assert!(Dense::new(&data, 4, 2, 4, "x").is_err());
    }

    #[test]
    fn contiguous_f32_is_borrowed() {
        let data = vec![1f32; 6];
        let m = Dense::contiguous(&data, 3, "x").unwrap();
        assert!(matches!(m.to_f32(), std::borrow::Cow::Borrowed(_)));
    }
}
