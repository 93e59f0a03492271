//! The slow path of the JSONL reader: which line is bad, and what is wrong with it.
//!
//! Only run once arrow has rejected a batch (or a text value looks like a coerced
//! number), so it can afford to parse lines again, one at a time, with serde_json
//! for clear messages and with arrow for its own verdict.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use arrow_json::reader::{Decoder, ReaderBuilder};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use serde_json::Value;

use super::lines::Lines;
use crate::{Error, Location, Result};

/// What is wrong with the text field `name` of a JSON object, if anything.
pub(super) fn text_error(
    object: &Value,
    name: &str,
    location: impl Fn() -> Location,
) -> Option<Error> {
    match object.get(name) {
        Some(Value::String(_)) => None,
        None | Some(Value::Null) => Some(Error::MissingField {
            location: location(),
            field: name.to_string(),
        }),
        Some(v) => Some(Error::FieldType {
            location: location(),
            field: name.to_string(),
            expected: describe(&DataType::Utf8),
            found: json_kind(v).into_owned(),
        }),
    }
}

/// Parses a line that must be one JSON object; the error says what is wrong.
pub(super) fn parse_object(line: &[u8]) -> std::result::Result<Value, String> {
    if let Err(e) = std::str::from_utf8(line) {
        return Err(format!("invalid UTF-8 at byte {}", e.valid_up_to() + 1));
    }
    let value: Value = serde_json::from_slice(line).map_err(|e| {
        // serde's "at line 1 column N" would clash with the file's line number.
        let message = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = message.strip_suffix(&suffix).unwrap_or(&message);
        format!("malformed JSON at column {}: {message}", e.column())
    })?;
    if !value.is_object() {
        return Err(format!(
            "expected a JSON object, found {}",
            json_kind(&value)
        ));
    }
    Ok(value)
}

/// "a string", "a number", "an object", ...: how a JSON value is described.
pub(super) fn json_kind(value: &Value) -> Cow<'static, str> {
    match value {
        Value::Null => "null".into(),
        Value::Bool(_) => "a boolean".into(),
        Value::Number(_) => "a number".into(),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// How an Arrow type is described to a user reading JSON.
pub(super) fn describe(data_type: &DataType) -> String {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "a string".into(),
        DataType::Boolean => "a boolean".into(),
        t if t.is_integer() => format!("an integer ({t})"),
        t if t.is_floating() => format!("a number ({t})"),
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) => {
            format!("an array ({data_type})")
        }
        DataType::Struct(_) | DataType::Map(..) => format!("an object ({data_type})"),
        t => t.to_string(),
    }
}

/// The message of an arrow error without its "Json error: " prefix.
pub(super) fn arrow_message(e: &ArrowError) -> String {
    match e {
        ArrowError::JsonError(m) => m.clone(),
        other => other.to_string(),
    }
}

/// The slow path: works out which line arrow rejected, and why.
pub(super) struct LineChecker {
    /// The file read.
    pub(super) path: PathBuf,
    /// The schema decoded with.
    pub(super) schema: SchemaRef,
    /// The text column, if any.
    pub(super) text: Option<String>,
}

impl LineChecker {
    pub(super) fn location(&self, line: u64) -> Location {
        Location::Line {
            path: self.path.clone(),
            line,
        }
    }

    pub(super) fn decoder(&self, batch_size: usize) -> Result<Decoder> {
        Ok(decoder_for(self.schema.clone(), batch_size)?)
    }

    /// Arrow's verdict on `line` decoded on its own.
    fn decode_alone(&self, line: &[u8]) -> std::result::Result<(), ArrowError> {
        let mut decoder = decoder_for(self.schema.clone(), 1)?;
        let n = decoder.decode(line)?;
        if n != line.len() || decoder.len() != 1 || decoder.has_partial_record() {
            return Err(ArrowError::JsonError(
                "the line does not hold exactly one JSON value".into(),
            ));
        }
        decoder.flush().map(|_| ())
    }

    /// The error for a line arrow rejected in the fast path.
    pub(super) fn line_error(&self, line: &[u8], number: u64) -> Error {
        self.diagnose(line, number).unwrap_or_else(|| Error::Parse {
            location: self.location(number),
            message: "the line does not hold exactly one JSON value".into(),
        })
    }

    /// Given that arrow failed on the batch `lines` with `error`, the error of its
    /// first line that arrow rejects on its own.
    pub(super) fn find_bad_line(&self, lines: &Lines, error: ArrowError) -> Error {
        for i in 0..lines.len() {
            let line = lines.get(i);
            if self.decode_alone(line).is_err() {
                return self.line_error(line, lines.number(i));
            }
        }
        // Every line passes alone: the batch as a whole is too big for arrow.
        Error::Parse {
            location: self.location(lines.number(0)),
            message: format!(
                "cannot decode the batch of {} lines starting here: {}",
                lines.len(),
                arrow_message(&error)
            ),
        }
    }

    /// What is wrong with `line` (numbered `number`), or `None` if nothing is.
    pub(super) fn diagnose(&self, line: &[u8], number: u64) -> Option<Error> {
        let value = match parse_object(line) {
            Ok(value) => value,
            Err(message) => {
                return Some(Error::Parse {
                    location: self.location(number),
                    message,
                });
            }
        };
        let object = value.as_object()?;
        for field in self.schema.fields() {
            let name = field.name();
            let is_text = self.text.as_deref() == Some(name.as_str());
            let missing = || Error::MissingField {
                location: self.location(number),
                field: name.clone(),
            };
            let wrong_type = |found: Cow<'_, str>| Error::FieldType {
                location: self.location(number),
                field: name.clone(),
                expected: describe(field.data_type()),
                found: found.into_owned(),
            };
            match object.get(name) {
                _ if is_text => {
                    if let Some(e) = text_error(&value, name, || self.location(number)) {
                        return Some(e);
                    }
                }
                None | Some(Value::Null) if !field.is_nullable() => return Some(missing()),
                None | Some(Value::Null) => {}
                Some(v) => {
                    if let Err(e) = self.decode_field(field, v) {
                        let found = match (field.data_type(), v) {
                            // Nested values: arrow says where inside it failed.
                            (
                                DataType::List(_) | DataType::Struct(_),
                                Value::Array(_) | Value::Object(_),
                            ) => format!("{} ({})", json_kind(v), arrow_message(&e)).into(),
                            _ => json_kind(v),
                        };
                        return Some(wrong_type(found));
                    }
                }
            }
        }
        // Fields are fine, yet arrow may still reject the line (its own limits).
        self.decode_alone(line).err().map(|e| Error::Parse {
            location: self.location(number),
            message: arrow_message(&e),
        })
    }

    /// Arrow's verdict on `value` as a value of `field`.
    fn decode_field(&self, field: &Field, value: &Value) -> std::result::Result<(), ArrowError> {
        let schema = Arc::new(Schema::new(vec![field.clone().with_nullable(true)]));
        let mut decoder = decoder_for(schema, 1)?;
        let mut object = serde_json::Map::new();
        object.insert(field.name().clone(), value.clone());
        let json = serde_json::to_vec(&Value::Object(object))
            .map_err(|e| ArrowError::JsonError(e.to_string()))?;
        decoder.decode(&json)?;
        decoder.flush().map(|_| ())
    }
}

/// Whether arrow reads `line` as one JSON object.
pub(super) fn arrow_reads_object(line: &[u8]) -> bool {
    let Ok(mut decoder) = decoder_for(Arc::new(Schema::empty()), 1) else {
        return false;
    };
    matches!(decoder.decode(line), Ok(n) if n == line.len())
        && decoder.len() == 1
        && !decoder.has_partial_record()
        && decoder.flush().is_ok()
}

/// What is wrong with the text field `name` of `line`, a record arrow reads, as
/// arrow sees it: decoded without coercion, a number or boolean is an error.
pub(super) fn arrow_text_error(line: &[u8], name: &str, location: Location) -> Option<Error> {
    let schema = Arc::new(Schema::new(vec![Field::new(name, DataType::Utf8, true)]));
    let mut decoder = ReaderBuilder::new(schema)
        .with_batch_size(1)
        .build_decoder()
        .ok()?;
    match decoder.decode(line).and_then(|_| decoder.flush()) {
        Ok(Some(batch)) if batch.column(0).is_null(0) => Some(Error::MissingField {
            location,
            field: name.to_string(),
        }),
        Ok(_) => None,
        Err(e) => {
            // "expected string got <the value as JSON>"
            let message = arrow_message(&e);
            let value = message
                .split_once(" got ")
                .map_or("", |(_, v)| v.trim_start());
            let found = match value.bytes().next() {
                Some(b'{') => "an object",
                Some(b'[') => "an array",
                Some(b't' | b'f') => "a boolean",
                Some(b'-' | b'0'..=b'9') => "a number",
                _ => "not a string",
            };
            Some(Error::FieldType {
                location,
                field: name.to_string(),
                expected: describe(&DataType::Utf8),
                found: found.to_string(),
            })
        }
    }
}

/// The decoder of every batch: non-strict (unknown fields are ignored) and
/// coercing numbers and booleans in string fields to their literal text.
pub(super) fn decoder_for(
    schema: SchemaRef,
    batch_size: usize,
) -> std::result::Result<Decoder, ArrowError> {
    ReaderBuilder::new(schema)
        .with_batch_size(batch_size)
        .with_coerce_primitive(true)
        .with_strict_mode(false)
        .build_decoder()
}
