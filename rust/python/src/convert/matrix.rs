//! A 2-D numpy array of float16, float32 or float64, read in place as a
//! [`thresher_core::linalg::Matrix`].

use half::f16;
use numpy::{PyArrayMethods, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;

use thresher_core::linalg::{Elements, Matrix};

use crate::errors::{invalid, CoreError};

/// A 2-D float16, float32 or float64 numpy array, borrowed read-only.
pub enum PyMatrix<'py> {
    /// float16.
    F16(PyReadonlyArray2<'py, f16>),
    /// float32.
    F32(PyReadonlyArray2<'py, f32>),
    /// float64.
    F64(PyReadonlyArray2<'py, f64>),
}

impl<'a, 'py> FromPyObject<'a, 'py> for PyMatrix<'py> {
    type Error = PyErr;

    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(a) = ob.extract::<PyReadonlyArray2<'py, f32>>() {
            return Ok(PyMatrix::F32(a));
        }
        if let Ok(a) = ob.extract::<PyReadonlyArray2<'py, f64>>() {
            return Ok(PyMatrix::F64(a));
        }
        if let Ok(a) = ob.extract::<PyReadonlyArray2<'py, f16>>() {
            return Ok(PyMatrix::F16(a));
        }
        Err(invalid(
            "x",
            "must be a 2-D numpy array of float16, float32 or float64",
        ))
    }
}

/// Row count, column count and row stride (in elements) of a view whose rows are
/// contiguous; an error naming `name` for any other layout.
fn layout(
    shape: &[usize],
    strides: &[isize],
    item: usize,
    name: &str,
) -> PyResult<(usize, usize, usize)> {
    let (rows, cols) = (shape[0], shape[1]);
    if rows == 0 {
        return Ok((0, cols, cols));
    }
    let col_ok = cols <= 1 || strides[1] == item as isize;
    let row_stride = if rows <= 1 {
        cols
    } else if strides[0] > 0 && strides[0] as usize % item == 0 {
        strides[0] as usize / item
    } else {
        0
    };
    if !col_ok || row_stride < cols {
        return Err(invalid(
            name,
            "rows must be contiguous in memory (C order, or a column slice of one); \
             pass numpy.ascontiguousarray(x)",
        ));
    }
    Ok((rows, cols, row_stride))
}

/// The elements of `a` from its first to its last, as a slice (no copy).
fn elements<'b, T: numpy::Element>(
    a: &'b PyReadonlyArray2<'_, T>,
    name: &str,
) -> PyResult<(&'b [T], usize, usize, usize)> {
    let (rows, cols, stride) = layout(a.shape(), a.strides(), std::mem::size_of::<T>(), name)?;
    let len = if rows == 0 {
        0
    } else {
        (rows - 1) * stride + cols
    };
    // SAFETY: the readonly borrow keeps the buffer alive and unmodified; `layout`
    // checked that `len` elements from the data pointer are inside it.
    let data = unsafe { std::slice::from_raw_parts(a.data() as *const T, len) };
    Ok((data, rows, cols, stride))
}

impl PyMatrix<'_> {
    /// A core view of the array (no copy); errors name the parameter `name`.
    pub fn view(&self, name: &str) -> PyResult<Matrix<'_>> {
        let matrix = match self {
            PyMatrix::F16(a) => {
                let (data, rows, cols, stride) = elements(a, name)?;
                Matrix::named(Elements::F16(data), rows, cols, stride, name)
            }
            PyMatrix::F32(a) => {
                let (data, rows, cols, stride) = elements(a, name)?;
                Matrix::named(Elements::F32(data), rows, cols, stride, name)
            }
            PyMatrix::F64(a) => {
                let (data, rows, cols, stride) = elements(a, name)?;
                Matrix::named(Elements::F64(data), rows, cols, stride, name)
            }
        };
        Ok(matrix.map_err(CoreError::from)?)
    }
}
