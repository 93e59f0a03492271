//! A borrowed `rows x cols` matrix of float16, float32 or float64 rows (row stride
//! `>= cols`), read in place.
//!
//! Rows must be contiguous (unit column stride) but may be spaced by any row stride, so
//! a column slice of a wider array (`x[:, :128]`) is viewed without a copy. Kernels that
//! compute in float32 read rows in blocks: float32 blocks are borrowed, other types are
//! converted into a per-block buffer (never the whole matrix).

use half::f16;
use rayon::prelude::*;

use super::distance::dot;
use crate::{Error, Result};

/// Rows per block when a kernel only streams rows (validation, norms).
pub(super) const SCAN_ROWS: usize = 4096;

/// The element types a [`Dense`] matrix may hold.
pub trait Real: Copy + Send + Sync + PartialEq + 'static {
    /// The value as float32 (neighbour searches and k-means run in float32).
    fn to_f32(self) -> f32;
    /// The value as float64.
    fn to_f64(self) -> f64;
    /// A float64 rounded to this type.
    fn from_f64(v: f64) -> Self;
    /// The slice itself when the type is float32.
    fn as_f32(s: &[Self]) -> Option<&[f32]>;
    /// `src` converted into `out` (same length).
    fn convert(src: &[Self], out: &mut [f32]) {
        for (o, &v) in out.iter_mut().zip(src) {
            *o = v.to_f32();
        }
    }
}

impl Real for f16 {
    #[inline]
    fn to_f32(self) -> f32 {
        f16::to_f32(self)
    }
    #[inline]
    fn to_f64(self) -> f64 {
        f16::to_f64(self)
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        f16::from_f64(v)
    }
    fn as_f32(_: &[Self]) -> Option<&[f32]> {
        None
    }
    fn convert(src: &[Self], out: &mut [f32]) {
        // The vectorised (F16C) conversion.
        half::slice::HalfFloatSliceExt::convert_to_f32_slice(src, out);
    }
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
    fn convert(src: &[Self], out: &mut [f32]) {
        out.copy_from_slice(src);
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
        if stride < cols {
            return Err(Error::invalid(
                name,
                format!("row stride {stride} is smaller than the row length {cols}"),
            ));
        }
        if rows > 0 && data.len() < (rows - 1) * stride + cols {
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

    /// Rows `start..end` as a view (no copy).
    pub fn slice_rows(&self, start: usize, end: usize) -> Dense<'a, T> {
        assert!(start <= end && end <= self.rows);
        let from = (start * self.stride).min(self.data.len());
        Dense {
            data: &self.data[from..],
            rows: end - start,
            cols: self.cols,
            stride: self.stride,
        }
    }

    /// Rows `start..end` as float32 with their row stride: borrowed for float32,
    /// converted into `buf` (stride = cols) otherwise.
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
        if let Some(s) = T::as_f32(self.data) {
            return (&s[from..to], self.stride);
        }
        buf.clear();
        buf.resize((end - start) * self.cols, 0.0);
        for (r, out) in buf.chunks_exact_mut(self.cols).enumerate() {
            T::convert(self.row(start + r), out);
        }
        (&buf[..], self.cols)
    }

    /// Row `i` as float32 into `out` (length `cols`).
    #[inline]
    pub fn row_into(&self, i: usize, out: &mut [f32]) {
        T::convert(self.row(i), out);
    }

    /// The rows `indices` as one contiguous float32 buffer (`indices.len() x cols`).
    pub fn gather_f32(&self, indices: &[usize]) -> Vec<f32> {
        let mut out = vec![0f32; indices.len() * self.cols];
        out.par_chunks_mut(self.cols)
            .zip(indices.par_iter())
            .for_each(|(dst, &i)| self.row_into(i, dst));
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

    /// Squared L2 norm of every row, in float32.
    pub fn squared_norms(&self) -> Vec<f32> {
        let mut norms = vec![0.0f32; self.rows];
        norms
            .par_chunks_mut(SCAN_ROWS)
            .enumerate()
            .for_each_init(Vec::new, |buf, (b, out)| {
                let start = b * SCAN_ROWS;
                let (block, stride) = self.block(start, start + out.len(), buf);
                for (r, norm) in out.iter_mut().enumerate() {
                    let row = &block[r * stride..r * stride + self.cols];
                    *norm = dot(row, row);
                }
            });
        norms
    }

    /// `(row, column)` of the first element (smallest row, then column) for which
    /// `bad` holds, scanning blocks of rows in parallel.
    pub fn find_first(&self, bad: impl Fn(T) -> bool + Sync) -> Option<(usize, usize)> {
        (0..self.rows.div_ceil(SCAN_ROWS))
            .into_par_iter()
            .find_map_first(|b| {
                (b * SCAN_ROWS..((b + 1) * SCAN_ROWS).min(self.rows))
                    .find_map(|r| self.row(r).iter().position(|&v| bad(v)).map(|c| (r, c)))
            })
    }

    /// An error naming the first row (and its first column) holding a NaN or an
    /// infinity, scanning rows in order.
    pub fn check_finite(&self, name: &str) -> Result<()> {
        match self.find_first(|v| !v.to_f64().is_finite()) {
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
        let halves = vec![f16::ONE; 6];
        let h = Dense::contiguous(&halves, 3, "x").unwrap();
        assert!(matches!(h.to_f32(), std::borrow::Cow::Owned(_)));
        assert_eq!(h.to_f32(), m.to_f32());
    }

    #[test]
    fn every_type_reads_the_same_blocks() {
        // Small integers are exact in all three types.
        let wide: Vec<f32> = (0..30).map(|v| v as f32).collect();
        let halves: Vec<f16> = wide.iter().map(|&v| f16::from_f32(v)).collect();
        let doubles: Vec<f64> = wide.iter().map(|&v| v as f64).collect();
        let a = Dense::new(&wide, 3, 4, 10, "x").unwrap();
        let b = Dense::new(&halves, 3, 4, 10, "x").unwrap();
        let c = Dense::new(&doubles, 3, 4, 10, "x").unwrap();
        let (mut ba, mut bb, mut bc) = (Vec::new(), Vec::new(), Vec::new());
        let (ra, sa) = a.block(1, 3, &mut ba);
        assert_eq!(sa, 10);
        let rows_a: Vec<f32> = [&ra[..4], &ra[10..14]].concat();
        for (block, stride) in [b.block(1, 3, &mut bb), c.block(1, 3, &mut bc)] {
            assert_eq!(stride, 4);
            assert_eq!(block, &rows_a[..]);
        }
        assert_eq!(a.squared_norms(), b.squared_norms());
        assert_eq!(a.squared_norms(), c.squared_norms());
        assert_eq!(a.gather_f32(&[2, 0]), c.gather_f32(&[2, 0]));
        assert_eq!(a.slice_rows(1, 3).row(0), &[10.0, 11.0, 12.0, 13.0]);
    }

    #[test]
    fn bad_strides_are_named() {
        let data = vec![1.0f32; 8];
        let e = Dense::new(&data, 2, 4, 3, "emb").unwrap_err().to_string();
        assert!(e.contains("emb") && e.contains("row stride 3"), "{e}");
        assert!(Dense::new(&data, 1, 0, 0, "x").is_err());
    }
}
