//! The one error type of the core crate.
//!
//! Every variant names what was at fault (file and line, column, parameter) so that
//! the Python layer can raise a typed exception with a message a user can act on.

use std::path::PathBuf;

/// Result alias used throughout the core crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where a record came from: a file and a 1-based line, or a row of an in-memory source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A line of a text file (1-based).
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
    },
    /// A row of a source that has no lines (0-based global row index).
    Row {
        /// 0-based row index in the source.
        row: u64,
    },
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Line { path, line } => write!(f, "{}:{}", path.display(), line),
            Location::Row { row } => write!(f, "row {row}"),
        }
    }
}

/// Errors raised by thresher's kernels and readers.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file at fault.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A compressed file is truncated or corrupt.
    #[error("{path}: corrupt or truncated {codec} stream: {message}")]
    Decompress {
        /// The file at fault.
        path: PathBuf,
        /// "zstd" or "gzip".
        codec: &'static str,
        /// What the decoder said.
        message: String,
    },
    /// A record is not valid JSON, or not valid UTF-8.
    #[error("{location}: {message}")]
    Parse {
        /// Where the record is.
        location: Location,
        /// What is wrong with it.
        message: String,
    },
    /// A required column or field is missing or null.
    #[error("{location}: missing field {field:?}")]
    MissingField {
        /// Where the record is.
        location: Location,
        /// The field's name.
        field: String,
    },
    /// A column or field has the wrong type.
    #[error("{location}: field {field:?} must be {expected}, found {found}")]
    FieldType {
        /// Where the record is.
        location: Location,
        /// The field's name.
        field: String,
        /// The type required.
        expected: String,
        /// The type found.
        found: String,
    },
    /// The input holds no usable record.
    #[error("{what} is empty: {detail}")]
    EmptyInput {
        /// Which input ("target corpus", "raw corpus", ...).
        what: String,
        /// Why nothing was usable.
        detail: String,
    },
    /// A parameter is out of its range or inconsistent with the input.
    #[error("invalid {name}: {message}")]
    InvalidParameter {
        /// The parameter's name as the user wrote it.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// A saved model could not be read back.
    #[error("{path}: not a valid thresher model file: {message}")]
    BadModelFile {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A fastText model file (`.bin` / `.ftz`) is truncated, corrupt, of an unsupported
    /// version or not a supervised classifier.
    #[error("{path}: not a valid fastText classifier: {message}")]
    BadFastText {
        /// The file at fault (`<memory>` for bytes).
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A tokenizer file (`tokenizer.json`) could not be loaded.
    #[error("{path}: not a valid tokenizer file: {message}")]
    BadTokenizer {
        /// The file at fault (`<memory>` for bytes).
        path: PathBuf,
        /// What the tokenizers library said.
        message: String,
    },
    /// Arrow reported an error that does not fit the categories above.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// The work was cancelled (for example by Ctrl-C in Python).
    #[error("interrupted")]
    Interrupted,
    /// A bug in thresher (a panic caught on a helper thread); please report it.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn invalid(name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name: name.into(),
            message: message.into(),
        }
    }

    /// Shorthand for [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
