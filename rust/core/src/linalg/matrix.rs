//! A [`Dense`] view whose element type (float16, float32 or float64) is chosen at run
//! time, read as float32: the input of the kernels that compute in float32 whatever
//! they are given (k-means, k-center, SemDeDup).

use half::f16;

use super::dense::Dense;
use crate::Result;

/// The element storage of a [`Matrix`].
#[derive(Clone, Copy, Debug)]
pub enum Elements<'a> {
    /// float16 elements, converted to float32 block by block.
    F16(&'a [f16]),
    /// float32 elements, borrowed.
    F32(&'a [f32]),
    /// float64 elements, rounded to float32 block by block.
    F64(&'a [f64]),
}

/// A borrowed `rows x cols` matrix of any [`Elements`] type.
#[derive(Clone, Copy, Debug)]
pub enum Matrix<'a> {
    /// float16 rows.
    F16(Dense<'a, f16>),
    /// float32 rows.
    F32(Dense<'a, f32>),
    /// float64 rows.
    F64(Dense<'a, f64>),
}

/// `$body` with `$m` bound to the typed view inside `$matrix`.
macro_rules! each {
    ($matrix:expr, $m:ident => $body:expr) => {
        match $matrix {
            Matrix::F16($m) => $body,
            Matrix::F32($m) => $body,
            Matrix::F64($m) => $body,
        }
    };
}

impl<'a> Matrix<'a> {
    /// A view of `data` as `rows x cols` with row stride `stride` (errors name `x`).
    pub fn new(data: Elements<'a>, rows: usize, cols: usize, stride: usize) -> Result<Self> {
        Matrix::named(data, rows, cols, stride, "x")
    }

    /// [`Matrix::new`] with errors naming the parameter `name`.
    pub fn named(
        data: Elements<'a>,
        rows: usize,
        cols: usize,
        stride: usize,
        name: &str,
    ) -> Result<Self> {
        Ok(match data {
            Elements::F16(s) => Matrix::F16(Dense::new(s, rows, cols, stride, name)?),
            Elements::F32(s) => Matrix::F32(Dense::new(s, rows, cols, stride, name)?),
            Elements::F64(s) => Matrix::F64(Dense::new(s, rows, cols, stride, name)?),
        })
    }

    /// A contiguous float32 matrix.
    pub fn from_f32(data: &'a [f32], cols: usize) -> Result<Self> {
        Ok(Matrix::F32(Dense::contiguous(data, cols, "x")?))
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        each!(self, m => m.rows())
    }

    /// Number of columns (the dimension).
    pub fn cols(&self) -> usize {
        each!(self, m => m.cols())
    }

    /// Rows `start..end` as a view (no copy).
    pub fn slice_rows(&self, start: usize, end: usize) -> Matrix<'a> {
        match self {
            Matrix::F16(m) => Matrix::F16(m.slice_rows(start, end)),
            Matrix::F32(m) => Matrix::F32(m.slice_rows(start, end)),
            Matrix::F64(m) => Matrix::F64(m.slice_rows(start, end)),
        }
    }

    /// [`Dense::block`] of the typed view: rows `start..end` as float32.
    pub fn block<'b>(
        &'b self,
        start: usize,
        end: usize,
        buf: &'b mut Vec<f32>,
    ) -> (&'b [f32], usize) {
        each!(self, m => m.block(start, end, buf))
    }

    /// Row `i` as float32 into `out` (length `cols`).
    pub fn row_into(&self, i: usize, out: &mut [f32]) {
        each!(self, m => m.row_into(i, out))
    }

    /// Row `i` borrowed when float32, else converted into `buf`.
    pub fn row<'b>(&'b self, i: usize, buf: &'b mut [f32]) -> &'b [f32] {
        match self {
            Matrix::F32(m) => m.row(i),
            _ => {
                self.row_into(i, buf);
                buf
            }
        }
    }

    /// The rows `indices` copied into one contiguous float32 buffer.
    pub fn gather(&self, indices: &[usize]) -> Vec<f32> {
        each!(self, m => m.gather_f32(indices))
    }

    /// All rows as one contiguous float32 buffer: borrowed when the matrix already is
    /// contiguous float32, converted otherwise.
    pub fn to_f32(&self) -> std::borrow::Cow<'a, [f32]> {
        each!(self, m => m.to_f32())
    }

    /// Squared L2 norm of every row.
    pub fn squared_norms(&self) -> Vec<f32> {
        each!(self, m => m.squared_norms())
    }

    /// An error naming the first row (smallest index) holding a value that is not
    /// finite in float32 (a NaN, an infinity, or a float64 beyond float32's range).
    pub fn check_finite(&self, name: &str) -> Result<()> {
        let bad = each!(self, m => m.find_first(|v| !crate::linalg::Real::to_f32(v).is_finite()));
        match bad {
            Some((row, _)) => Err(crate::Error::invalid(
                name,
                format!("row {row} holds a NaN or infinite value"),
            )),
            None => Ok(()),
        }
    }
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
        let doubles: Vec<f64> = wide.iter().map(|&v| v as f64).collect();
        let g = Matrix::new(Elements::F64(&doubles), 3, 4, 10).unwrap();
        assert_eq!(g.gather(&[2, 0]), h.gather(&[2, 0]));
        assert_eq!(m.squared_norms(), g.squared_norms());
        let mut row = [0f32; 4];
        assert_eq!(g.row(1, &mut row), &[10.0, 11.0, 12.0, 13.0]);
        assert_eq!(
            g.slice_rows(2, 3).gather(&[0]),
            m.slice_rows(2, 3).gather(&[0])
        );
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
        // Finite in float64 but not in float32: the float32 kernels could not use it.
        let wide = [1.0f64, 1e300];
        let m = Matrix::new(Elements::F64(&wide), 2, 1, 1).unwrap();
        assert!(m
            .check_finite("x")
            .unwrap_err()
            .to_string()
            .contains("row 1"));
    }
}
