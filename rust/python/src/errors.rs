//! The one conversion from core errors to the Python exceptions of `thresher.exceptions`.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use thresher_core::{Error, Location};

/// A core error on its way to Python (orphan rules forbid `From<Error> for PyErr`).
pub struct CoreError(pub Error);

impl From<Error> for CoreError {
    fn from(e: Error) -> Self {
        CoreError(e)
    }
}

impl From<CoreError> for PyErr {
    fn from(CoreError(error): CoreError) -> PyErr {
        Python::attach(|py| to_python(py, &error).unwrap_or_else(|e| e))
    }
}

/// Result of binding functions that call core.
pub type CoreResult<T> = Result<T, CoreError>;

fn class_name(error: &Error) -> &'static str {
    match error {
        Error::Io { .. } => "ReadError",
        Error::Decompress { .. } => "DecompressionError",
        Error::Parse { .. } => "ParseError",
        Error::MissingField { .. } => "MissingFieldError",
        Error::FieldType { .. } => "FieldTypeError",
        Error::EmptyInput { .. } => "EmptyInputError",
        Error::InvalidParameter { .. } => "InvalidParameterError",
        Error::BadModelFile { .. } => "ModelFileError",
        Error::BadFastText { .. } => "ModelFileError",
        Error::BadTokenizer { .. } => "TokenizerError",
        Error::Arrow(_) => "InputError",
        Error::Interrupted => "ThresherError",
        Error::Internal(_) => "InternalError",
    }
}

fn to_python(py: Python<'_>, error: &Error) -> PyResult<PyErr> {
    let module = py.import("thresher.exceptions")?;
    let class = module.getattr(class_name(error))?;
    let instance = class.call1((error.to_string(),))?;
    let attrs = PyDict::new(py);
    let location = match error {
        Error::Parse { location, .. }
        | Error::MissingField { location, .. }
        | Error::FieldType { location, .. } => Some(location),
        _ => None,
    };
    match location {
        Some(Location::Line { path, line }) => {
            attrs.set_item("path", path.display().to_string())?;
            attrs.set_item("line", line)?;
        }
        Some(Location::Row { row }) => attrs.set_item("row", row)?,
        None => {}
    }
    match error {
        Error::Io { path, source } => {
            attrs.set_item("path", path.display().to_string())?;
            if let Some(code) = source.raw_os_error() {
                attrs.set_item("errno", code)?;
            }
        }
        Error::Decompress { path, .. }
        | Error::BadModelFile { path, .. }
        | Error::BadFastText { path, .. }
        | Error::BadTokenizer { path, .. } => {
            attrs.set_item("path", path.display().to_string())?;
        }
        Error::MissingField { field, .. } | Error::FieldType { field, .. } => {
            attrs.set_item("field", field)?;
        }
        Error::InvalidParameter { name, .. } => attrs.set_item("parameter", name)?,
        _ => {}
    }
    for (key, value) in attrs.iter() {
        instance.setattr(key.cast::<pyo3::types::PyString>()?, value)?;
    }
    Ok(PyErr::from_value(instance))
}

/// An error for a bad argument detected in the binding, raised as core would raise it.
pub fn invalid(name: &str, message: impl Into<String>) -> PyErr {
    CoreError(Error::invalid(name, message)).into()
}
