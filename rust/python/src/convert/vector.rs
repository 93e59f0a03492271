//! 1-D numpy arrays read in place.

use numpy::{Element, PyReadonlyArray1};
use pyo3::prelude::*;

use crate::errors::invalid;

/// The elements of a C-contiguous 1-D array (no copy); an error naming `name` for any
/// other layout.
pub fn slice<'a, T: Element>(array: &'a PyReadonlyArray1<'_, T>, name: &str) -> PyResult<&'a [T]> {
    array
        .as_slice()
        .map_err(|_| invalid(name, "must be a C-contiguous 1-D array"))
}

/// [`slice`] of an optional array.
pub fn slice_opt<'a, T: Element>(
    array: &'a Option<PyReadonlyArray1<'_, T>>,
    name: &str,
) -> PyResult<Option<&'a [T]>> {
    array.as_ref().map(|a| slice(a, name)).transpose()
}

/// A 1-D float32 or float64 numpy array, read in place.
#[derive(FromPyObject)]
pub enum Weights<'py> {
    /// float64.
    F64(PyReadonlyArray1<'py, f64>),
    /// float32.
    F32(PyReadonlyArray1<'py, f32>),
}

/// Run `$body` with `$w` bound to the weights as a slice of f64 or f32 (no copy).
macro_rules! with_weights {
    ($weights:expr, |$w:ident| $body:expr) => {
        match &$weights {
            $crate::convert::vector::Weights::F64(array) => {
                let $w = $crate::convert::vector::slice(array, "weights")?;
                $body
            }
            $crate::convert::vector::Weights::F32(array) => {
                let $w = $crate::convert::vector::slice(array, "weights")?;
                $body
            }
        }
    };
}
pub(crate) use with_weights;

/// Integer group labels (one per row) from numpy, read in place.
#[derive(FromPyObject)]
pub enum Labels<'py> {
    /// int64.
    I64(PyReadonlyArray1<'py, i64>),
    /// int32.
    I32(PyReadonlyArray1<'py, i32>),
    /// int16.
    I16(PyReadonlyArray1<'py, i16>),
    /// int8.
    I8(PyReadonlyArray1<'py, i8>),
    /// uint32.
    U32(PyReadonlyArray1<'py, u32>),
    /// uint16.
    U16(PyReadonlyArray1<'py, u16>),
    /// uint8.
    U8(PyReadonlyArray1<'py, u8>),
}

/// Run `$body` with `$c` bound to the labels as a slice of their integer type.
macro_rules! with_labels {
    ($labels:expr, |$c:ident| $body:expr) => {{
        use $crate::convert::vector::{slice, Labels};
        match &$labels {
            Labels::I64(a) => {
                let $c = slice(a, "groups")?;
                $body
            }
            Labels::I32(a) => {
                let $c = slice(a, "groups")?;
                $body
            }
            Labels::I16(a) => {
                let $c = slice(a, "groups")?;
                $body
            }
            Labels::I8(a) => {
                let $c = slice(a, "groups")?;
                $body
            }
            Labels::U32(a) => {
                let $c = slice(a, "groups")?;
                $body
            }
            Labels::U16(a) => {
                let $c = slice(a, "groups")?;
                $body
            }
            Labels::U8(a) => {
                let $c = slice(a, "groups")?;
                $body
            }
        }
    }};
}
pub(crate) use with_labels;
