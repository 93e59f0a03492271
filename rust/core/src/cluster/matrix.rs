//! A read-only view of an `n x d` matrix of float32 or float16 rows, without a copy.
//!
//! Rows must be contiguous (unit column stride) but may be spaced by any row stride
//! `>= d`, so a column slice of a wider array (`x[:, :128]`) is viewed in place.
//! Kernels read rows in blocks: float32 blocks are borrowed, float16 blocks are
//! converted into a per-block buffer (never the whole matrix).

use half::f16;
use rayon::prelude::*;

use crate::{Error, Result};

/// The element storage of a [`Matrix`].
#[derive(Clone, Copy, Debug)]
pub enum Elements<'a> {
    /// float32 elements.
    F32(&'a [f32]),
    /// float16 elements, converted to float32 block by block.
    F16(&'a [f16]),
}

/// A borrowed `rows x cols` matrix with row stride `stride` (in elements).
#[derive(Clone, Copy, Debug)]
pub struct Matrix<'a> {
    data: Elements<'a>,
    rows: usize,
    cols: usize,
    stride: usize,
}

/// Rows per block when a kernel only streams rows (validation, norms).
const SCAN_ROWS: usize = 4096;

impl<'a> Matrix<'a> {
    /// A view of `data` as `rows x cols` with row stride `stride`.
    pub fn new(data: Elements<'a>, rows: usize, cols: usize, stride: usize) -> Result<Self> {
        let len = match data {
            Elements::F32(s) => s.len(),
            Elements::F16(s) => s.len(),
        };
        if cols == 0 {
            return Err(Error::invalid("x", "rows have 0 columns"));
        }
        if stride < cols {
            return Err(Error::invalid(
                "x",
                format!("row stride {stride} is smaller than the row length {cols}"),
            ));
        }
        if rows > 0 && len < (rows - 1) * stride + cols {
            return Err(Error::invalid(
                "x",
                format!("{len} elements cannot hold {rows} rows of {cols} with stride {stride}"),
            ));
        }
        Ok(Matrix {
            data,
            rows,
            cols,
            stride,
        })
    }

    /// A contiguous float32 matrix.
    pub fn from_f32(data: &'a [f32], cols: usize) -> Result<Self> {
        let rows = data.len().checked_div(cols).unwrap_or(0);
        Matrix::new(Elements::F32(data), rows, cols, cols)
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns (the dimension).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Rows `start..end` as a view (no copy).
    pub fn slice_rows(&self, start: usize, end: usize) -> Matrix<'a> {
        assert!(start <= end && end <= self.rows);
        let from = start * self.stride;
        let data = match self.data {
            Elements::F32(s) => Elements::F32(&s[from.min(s.len())..]),
            Elements::F16(s) => Elements::F16(&s[from.min(s.len())..]),
        };
        Matrix {
            data,
            rows: end - start,
            cols: self.cols,
            stride: self.stride,
        }
    }

    /// Rows `start..end` as float32 with their row stride: borrowed for float32,
    /// converted into `buf` (stride = cols) for float16.
    pub fn block<'b>(
        &'b self,
        start: usize,
        end: usize,
        buf: &'b mut Vec<f32>,
    ) -> (&'b [f32], usize) {
        if start >= end {
            return (&[], self.cols);
        }
        let from = start * self.stride;
        let to = (end - 1) * self.stride + self.cols;
        match self.data {
            Elements::F32(s) => (&s[from..to], self.stride),
            Elements::F16(s) => {
                buf.clear();
                buf.resize((end - start) * self.cols, 0.0);
                for (r, out) in buf.chunks_exact_mut(self.cols).enumerate() {
                    let at = (start + r) * self.stride;
                    half::slice::HalfFloatSliceExt::convert_to_f32_slice(
                        &s[at..at + self.cols],
                        out,
                    );
                }
                (&buf[..], self.cols)
            }
        }
    }

    /// Row `i` as float32 into `out` (length `cols`).
    pub fn row_into(&self, i: usize, out: &mut [f32]) {
        let at = i * self.stride;
        match self.data {
            Elements::F32(s) => out.copy_from_slice(&s[at..at + self.cols]),
            Elements::F16(s) => {
                half::slice::HalfFloatSliceExt::convert_to_f32_slice(&s[at..at + self.cols], out)
            }
        }
    }

    /// Row `i` borrowed when float32, else converted into `buf`.
    pub fn row<'b>(&'b self, i: usize, buf: &'b mut [f32]) -> &'b [f32] {
        match self.data {
            Elements::F32(s) => &s[i * self.stride..i * self.stride + self.cols],
            Elements::F16(_) => {
                self.row_into(i, buf);
                buf
            }
        }
    }

    /// The rows `indices` copied into one contiguous float32 buffer.
    pub fn gather(&self, indices: &[usize]) -> Vec<f32> {
        let mut out = vec![0.0f32; indices.len() * self.cols];
        out.par_chunks_mut(self.cols)
            .zip(indices.par_iter())
            .for_each(|(dst, &i)| self.row_into(i, dst));
        out
    }

    /// Squared L2 norm of every row.
    pub fn squared_norms(&self) -> Vec<f32> {
        let mut norms = vec![0.0f32; self.rows];
        norms
            .par_chunks_mut(SCAN_ROWS)
            .enumerate()
            .for_each_init(Vec::new, |buf, (b, out)| {
                let start = b * SCAN_ROWS;
                let (block, stride) = self.block(start, start + out.len(), buf);
                for (r, norm) in out.iter_mut().enumerate() {
                    *norm = dot(
                        &block[r * stride..r * stride + self.cols],
                        &block[r * stride..r * stride + self.cols],
                    );
                }
            });
        norms
    }

    /// An error naming the first row (smallest index) holding a NaN or an infinity.
    pub fn check_finite(&self, name: &str) -> Result<()> {
        let blocks = self.rows.div_ceil(SCAN_ROWS);
        let bad = (0..blocks)
            .into_par_iter()
            .map_init(Vec::new, |buf, b| {
                let start = b * SCAN_ROWS;
                let end = (start + SCAN_ROWS).min(self.rows);
                let (block, stride) = self.block(start, end, buf);
                (0..end - start)
                    .find(|&r| {
                        !block[r * stride..r * stride + self.cols]
                            .iter()
                            .all(|v| v.is_finite())
                    })
                    .map(|r| start + r)
            })
            .flatten()
            .min();
        match bad {
            Some(row) => Err(Error::invalid(
                name,
                format!("row {row} holds a NaN or infinite value"),
            )),
            None => Ok(()),
        }
    }
}

/// Dot product of two equal-length float32 slices, summed in 8 lanes (vectorises;
/// the summation order is fixed, so the result is reproducible).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut tail = 0.0f32;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    acc.iter().sum::<f32>() + tail
}

/// Squared Euclidean distance of two equal-length slices, computed from differences
/// (no cancellation), in 8 lanes.
#[inline]
pub fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            let t = x[l] - y[l];
            acc[l] += t * t;
        }
    }
    let mut tail = 0.0f32;
    for (x, y) in ra.iter().zip(rb) {
        tail += (x - y) * (x - y);
    }
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strided_and_half_views_read_the_same_rows() {
        let wide: Vec<f32> = (0..30).map(|v| v as f32).collect();
        let m = Matrix::new(Elements::F32(&wide), 3, 4, 10).unwrap();
        let mut buf = Vec::new();
        let (block, stride) = m.block(1, 3, &mut buf);
        assert_eq!(stride, 10);
        assert_eq!(&block[..4], &[10.0, 11.0, 12.0, 13.0]);
        assert_eq!(&block[10..14], &[20.0, 21.0, 22.0, 23.0]);
        let halves: Vec<f16> = wide.iter().map(|&v| f16::from_f32(v)).collect();
        let h = Matrix::new(Elements::F16(&halves), 3, 4, 10).unwrap();
        assert_eq!(
            h.gather(&[2, 0]),
            vec![20.0, 21.0, 22.0, 23.0, 0.0, 1.0, 2.0, 3.0]
        );
        assert_eq!(m.squared_norms(), h.squared_norms());
    }

    #[test]
    fn bad_shapes_and_values_are_named() {
        let data = vec![1.0f32; 8];
        assert!(Matrix::new(Elements::F32(&data), 3, 4, 4).is_err());
        assert!(Matrix::new(Elements::F32(&data), 2, 4, 3).is_err());
        let mut bad = data.clone();
        bad[5] = f32::NAN;
        let m = Matrix::from_f32(&bad, 4).unwrap();
        let e = m.check_finite("x").unwrap_err().to_string();
        assert!(e.contains("row 1"), "{e}");
    }
}
