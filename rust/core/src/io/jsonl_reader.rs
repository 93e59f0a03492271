//! Streaming reader of JSON Lines files (plain, gzip or zstd) into record batches.
//!
//! The fast path copies each batch's lines into one reusable buffer and feeds them
//! line by line to arrow-json's [`Decoder`]; only when arrow rejects a batch is it
//! re-examined line by line ([`LineChecker`]) to name the line at fault and say
//! what is wrong with it, so valid input pays nothing for good error messages.
//!
//! Behaviour worth knowing:
//! - Blank and whitespace-only lines are skipped, but counted: every error names
//!   the true 1-based line number of the file.
//! - Each non-blank line must hold exactly one JSON object.
//! - Fields absent from the schema are ignored (arrow-json's non-strict mode), so a
//!   field first seen after the inference window is dropped; pass a schema to keep it.
//! - Numbers and booleans are accepted, as text, in string fields other than the
//!   text column (arrow's inference types a field seen both as number and string as
//!   a string). The text column is strict: it must be a JSON string on every line.
//! - A field that is null on every inferred line is read as a nullable string
//!   rather than arrow's `Null` type, which would reject any later value.
//! - arrow-json's tokenizer is more lenient than the JSON grammar: it tolerates raw
//!   control characters inside strings and missing or repeated commas. Such lines
//!   are read as arrow reads them, wherever they are (schema inference, which needs
//!   strict JSON, skips them); validating every line strictly would cost about as
//!   much again as decoding it.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{Array, RecordBatch};
use arrow_json::reader::{infer_json_schema_from_iterator, Decoder, ReaderBuilder};
use arrow_schema::{ArrowError, DataType, Field, Fields, Schema, SchemaRef};
use serde_json::Value;

use super::compression::open_decoded;
use super::lines::{LineInput, Lines, Prefetch};
use crate::text::TextColumn;
use crate::{Error, Location, Result};

/// How to read a JSONL file.
#[derive(Debug, Clone)]
pub struct JsonlOptions {
    /// Rows per record batch (the last batch may be shorter). Default 8192.
    pub batch_size: usize,
    /// The schema to decode with; `None` infers it from the first lines.
    pub schema: Option<SchemaRef>,
    /// How many non-blank lines schema inference looks at. Default 1000.
    pub infer_rows: usize,
    /// A field every line must have as a JSON string (for example `"text"`).
    pub text_column: Option<String>,
}

impl Default for JsonlOptions {
    fn default() -> Self {
        JsonlOptions {
            batch_size: 8192,
            schema: None,
            infer_rows: 1000,
            text_column: None,
        }
    }
}

/// Opens a JSONL file (plain, gzip or zstd, see [`open_decoded`]) for reading in
/// record batches.
///
/// Fails if the file cannot be opened, if a line of the inference window is bad
/// (including one without the text column), or if a given schema lacks the text
/// column. Later bad lines are reported by the iterator.
pub fn open_jsonl(path: &Path, options: &JsonlOptions) -> Result<JsonlReader> {
    JsonlReader::open(path, options)
}

/// An iterator over the record batches of a JSONL file.
///
/// It stops after the first error, which names the file and line at fault.
///
/// A background thread decompresses and splits the next batch of lines while the
/// caller's thread decodes the current one.
pub struct JsonlReader {
    prefetch: Prefetch,
    decoder: Decoder,
    checker: LineChecker,
    /// Index of the text column in the schema.
    text_index: Option<usize>,
    done: bool,
}

impl JsonlReader {
    fn open(path: &Path, options: &JsonlOptions) -> Result<Self> {
        if options.batch_size == 0 {
            return Err(Error::invalid("batch_size", "must be at least 1"));
        }
        if options.schema.is_none() && options.infer_rows == 0 {
            return Err(Error::invalid(
                "infer_rows",
                "must be at least 1 when no schema is given",
            ));
        }
        let mut input = LineInput::new(open_decoded(path)?, path);
        let text = options.text_column.as_deref();
        let schema = match &options.schema {
            Some(schema) => with_text_field(schema, text)?,
            None => input.infer_schema(options.infer_rows, text)?,
        };
        let checker = LineChecker {
            path: path.to_path_buf(),
            schema: schema.clone(),
            text: options.text_column.clone(),
        };
        let text_index = text.and_then(|name| schema.index_of(name).ok());
        Ok(JsonlReader {
            decoder: checker.decoder(options.batch_size)?,
            prefetch: Prefetch::spawn(input, options.batch_size)?,
            checker,
            text_index,
            done: false,
        })
    }

    /// The schema of every batch.
    pub fn schema(&self) -> SchemaRef {
        self.checker.schema.clone()
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.checker.path
    }

    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        let Some(lines) = self.prefetch.next()? else {
            return Ok(None);
        };
        let batch = self.decode(&lines);
        self.prefetch.recycle(lines);
        batch.map(Some)
    }

    fn decode(&mut self, lines: &Lines) -> Result<RecordBatch> {
        // Feed lines one at a time so that a line holding more or less than one
        // value (which arrow would silently merge or split) is caught on the spot.
        for i in 0..lines.len() {
            let line = lines.get(i);
            let before = self.decoder.len();
            let consumed = self.decoder.decode(line);
            let one_record = matches!(consumed, Ok(n) if n == line.len())
                && self.decoder.len() == before + 1
                && !self.decoder.has_partial_record();
            if !one_record {
                return Err(self.checker.line_error(line, lines.number(i)));
            }
        }
        let batch = match self.decoder.flush() {
            Ok(Some(batch)) => batch,
            Ok(None) => unreachable!("decoded at least one record"),
            Err(e) => return Err(self.checker.find_bad_line(lines, e)),
        };
        if let Some(index) = self.text_index {
            self.check_text(&batch, index, lines)?;
        }
        Ok(batch)
    }

    /// The text column must hold a JSON string on every line: arrow gives null for
    /// a missing or null field, and (with `coerce_primitive`, needed for the other
    /// string fields) the literal text of a number or boolean. Only values that look
    /// like such a literal are checked against their line, which real text rarely is.
    fn check_text(&self, batch: &RecordBatch, index: usize, lines: &Lines) -> Result<()> {
        let array = batch.column(index);
        let name = self.checker.text.as_deref().unwrap_or_default();
        if array.null_count() > 0 {
            let row = (0..array.len()).find(|&i| array.is_null(i)).unwrap_or(0);
            return Err(Error::MissingField {
                location: self.checker.location(lines.number(row)),
                field: name.to_string(),
            });
        }
        let column = TextColumn::try_new(array.as_ref(), name)?;
        for row in 0..column.len() {
            if may_be_coerced(column.value(row)) {
                let location = self.checker.location(lines.number(row));
                if let Some(e) = arrow_text_error(lines.get(row), name, location) {
                    return Err(e);
                }
            }
        }
        Ok(())
    }
}

impl Iterator for JsonlReader {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.next_batch();
        if !matches!(next, Ok(Some(_))) {
            self.done = true;
        }
        next.transpose()
    }
}

/// Whether a string could be arrow's coercion of a JSON number or boolean.
fn may_be_coerced(value: &str) -> bool {
    match value.as_bytes().first() {
        Some(b'-' | b'0'..=b'9') => value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')),
        Some(b't') => value == "true",
        Some(b'f') => value == "false",
        _ => false,
    }
}

/// `schema` with the text field (if any) made a nullable string: nullable, so
/// that a missing value reaches [`JsonlReader::check_text`] and is reported as such.
fn with_text_field(schema: &SchemaRef, text: Option<&str>) -> Result<SchemaRef> {
    let Some(name) = text else {
        return Ok(schema.clone());
    };
    let Ok(index) = schema.index_of(name) else {
        return Err(Error::invalid(
            "schema",
            format!("has no field {name:?} (the text column)"),
        ));
    };
    let field = schema.field(index);
    let data_type = match field.data_type() {
        // Keep a string layout the caller chose.
        t @ (DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) => t.clone(),
        _ => DataType::Utf8,
    };
    let mut fields: Vec<_> = schema.fields().iter().cloned().collect();
    fields[index] = Arc::new(
        field
            .as_ref()
            .clone()
            .with_data_type(data_type)
            .with_nullable(true),
    );
    Ok(Arc::new(Schema::new_with_metadata(
        fields,
        schema.metadata().clone(),
    )))
}

/// `Null` (all values null in the inference window) becomes `Utf8`, at any depth.
fn widen_null(data_type: &DataType) -> DataType {
    match data_type {
        DataType::Null => DataType::Utf8,
        DataType::List(item) => DataType::List(Arc::new(
            item.as_ref()
                .clone()
                .with_data_type(widen_null(item.data_type())),
        )),
        DataType::Struct(fields) => DataType::Struct(widen_fields(fields)),
        other => other.clone(),
    }
}

fn widen_fields(fields: &Fields) -> Fields {
    fields
        .iter()
        .map(|f| f.as_ref().clone().with_data_type(widen_null(f.data_type())))
        .collect()
}

/// Schema inference, on the lines it will replay.
impl LineInput {
    /// Reads up to `rows` non-blank lines into the replay buffer and infers a
    /// schema from them. Their errors are reported in line order, as the batch
    /// decoder would: each line must be an object with a string `text` field.
    fn infer_schema(&mut self, rows: usize, text: Option<&str>) -> Result<SchemaRef> {
        let mut lines = Lines::default();
        while lines.len() < rows && self.next_into(&mut lines)? {}
        let location = |i: usize| Location::Line {
            path: self.path.clone(),
            line: lines.number(i),
        };
        let mut values = Vec::with_capacity(lines.len());
        // Index in `lines` of each value.
        let mut value_lines = Vec::with_capacity(lines.len());
        for i in 0..lines.len() {
            let line = lines.get(i);
            match parse_object(line) {
                Ok(value) => {
                    if let Some(e) = text.and_then(|name| text_error(&value, name, || location(i)))
                    {
                        return Err(e);
                    }
                    values.push(value);
                    value_lines.push(i);
                }
                // Not JSON, yet arrow reads it (see the module docs): it will be
                // decoded like any line, but inference cannot look at it.
                Err(_) if arrow_reads_object(line) => {
                    if let Some(e) = text.and_then(|name| arrow_text_error(line, name, location(i)))
                    {
                        return Err(e);
                    }
                }
                Err(message) => {
                    return Err(Error::Parse {
                        location: location(i),
                        message,
                    });
                }
            }
        }
        let infer = |values: &[Value]| {
            infer_json_schema_from_iterator(values.iter().map(Ok))
                .map(|schema| finish_inferred(&schema, text))
        };
        let schema = match infer(&values) {
            Ok(schema) => schema,
            Err(e) => {
                // Inference fails from the first conflicting line on: find it, and
                // say what is wrong with it against the schema of the lines before.
                let (mut good, mut bad) = (0, values.len());
                while bad - good > 1 {
                    let mid = (good + bad) / 2;
                    if infer(&values[..mid]).is_ok() {
                        good = mid;
                    } else {
                        bad = mid;
                    }
                }
                let culprit = bad - 1;
                let line = value_lines[culprit];
                if let Ok(schema) = infer(&values[..culprit]) {
                    let checker = LineChecker {
                        path: self.path.clone(),
                        schema,
                        text: text.map(str::to_string),
                    };
                    if let Some(e) = checker.diagnose(lines.get(line), lines.number(line)) {
                        return Err(e);
                    }
                }
                return Err(Error::Parse {
                    location: location(line),
                    message: format!(
                        "cannot infer a schema, types conflict with earlier lines \
                         (pass a schema): {}",
                        arrow_message(&e)
                    ),
                });
            }
        };
        self.replay(lines);
        Ok(schema)
    }
}

/// An inferred schema made fit to decode with: `Null` types widened, and the text
/// field a nullable string (alone, when there was no line to infer from).
fn finish_inferred(schema: &Schema, text: Option<&str>) -> SchemaRef {
    let mut fields: Vec<_> = widen_fields(schema.fields()).iter().cloned().collect();
    if let Some(name) = text {
        let field = Arc::new(Field::new(name, DataType::Utf8, true));
        match fields.iter().position(|f| f.name() == name) {
            Some(i) => fields[i] = field,
            None => fields.push(field),
        }
    }
    Arc::new(Schema::new(fields))
}

/// What is wrong with the text field `name` of a JSON object, if anything.
fn text_error(object: &Value, name: &str, location: impl Fn() -> Location) -> Option<Error> {
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
fn parse_object(line: &[u8]) -> std::result::Result<Value, String> {
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
fn json_kind(value: &Value) -> Cow<'static, str> {
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
fn describe(data_type: &DataType) -> String {
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
fn arrow_message(e: &ArrowError) -> String {
    match e {
        ArrowError::JsonError(m) => m.clone(),
        other => other.to_string(),
    }
}

/// The slow path: works out which line arrow rejected, and why.
struct LineChecker {
    path: PathBuf,
    schema: SchemaRef,
    text: Option<String>,
}

impl LineChecker {
    fn location(&self, line: u64) -> Location {
        Location::Line {
            path: self.path.clone(),
            line,
        }
    }

    fn decoder(&self, batch_size: usize) -> Result<Decoder> {
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
    fn line_error(&self, line: &[u8], number: u64) -> Error {
        self.diagnose(line, number).unwrap_or_else(|| Error::Parse {
            location: self.location(number),
            message: "the line does not hold exactly one JSON value".into(),
        })
    }

    /// Given that arrow failed on the batch `lines` with `error`, the error of its
    /// first line that arrow rejects on its own.
    fn find_bad_line(&self, lines: &Lines, error: ArrowError) -> Error {
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
    fn diagnose(&self, line: &[u8], number: u64) -> Option<Error> {
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
fn arrow_reads_object(line: &[u8]) -> bool {
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
fn arrow_text_error(line: &[u8], name: &str, location: Location) -> Option<Error> {
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
fn decoder_for(schema: SchemaRef, batch_size: usize) -> std::result::Result<Decoder, ArrowError> {
    ReaderBuilder::new(schema)
        .with_batch_size(batch_size)
        .with_coerce_primitive(true)
        .with_strict_mode(false)
        .build_decoder()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int64Type;
    use std::io::Write;

    fn options(text: Option<&str>) -> JsonlOptions {
        JsonlOptions {
            text_column: text.map(str::to_string),
            ..Default::default()
        }
    }

    /// Opens and reads the whole file: errors of opening and of reading alike.
    fn read_all(path: &Path, options: &JsonlOptions) -> Result<Vec<RecordBatch>> {
        open_jsonl(path, options)?.collect()
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn texts(batches: &[RecordBatch], name: &str) -> Vec<String> {
        batches
            .iter()
            .flat_map(|b| {
                let column = TextColumn::from_batch(b, name, 0).unwrap();
                (0..column.len()).map(move |i| column.value(i).to_string())
            })
            .collect()
    }

    /// Reads `content` with the text column "text" in three ways (errors found by
    /// schema inference, by the batch decoder with the schema inferred from line 1
    /// only, and with a given schema) and checks that all give the same error.
    fn error_of(content: &[u8]) -> Error {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "bad.jsonl", content);
        let schema = Arc::new(Schema::new(vec![Field::new("text", DataType::Utf8, true)]));
        let modes = [
            options(Some("text")),
            JsonlOptions {
                infer_rows: 1,
                batch_size: 2,
                ..options(Some("text"))
            },
            JsonlOptions {
                schema: Some(schema),
                ..options(Some("text"))
            },
        ];
        let errors: Vec<Error> = modes
            .iter()
            .map(|o| read_all(&path, o).expect_err("bad input must fail"))
            .collect();
        for e in &errors {
            assert_eq!(e.to_string(), errors[0].to_string());
            assert!(e.to_string().contains("bad.jsonl"), "{e}");
        }
        errors.into_iter().next().unwrap()
    }

    fn line_of(e: &Error) -> u64 {
        match e {
            Error::Parse { location, .. }
            | Error::MissingField { location, .. }
            | Error::FieldType { location, .. } => match location {
                Location::Line { line, .. } => *line,
                Location::Row { .. } => panic!("no line in {e:?}"),
            },
            other => panic!("no location in {other:?}"),
        }
    }

    const GOOD: &str = "{\"text\": \"a\", \"id\": 1}\n";

    #[test]
    fn reads_and_infers_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a.jsonl",
            b"{\"text\": \"h\xc3\xa9llo\", \"id\": 1, \"tags\": [\"x\"]}\n{\"text\": \"world\", \"id\": 2}\n",
        );
        let reader = open_jsonl(&path, &options(Some("text"))).unwrap();
        assert_eq!(reader.path(), path);
        let schema = reader.schema();
        assert_eq!(
            schema.field_with_name("text").unwrap().data_type(),
            &DataType::Utf8
        );
        assert_eq!(
            schema.field_with_name("id").unwrap().data_type(),
            &DataType::Int64
        );
        let batches: Vec<_> = reader.collect::<Result<_>>().unwrap();
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].schema(), schema);
        assert_eq!(texts(&batches, "text"), ["héllo", "world"]);
        let ids = batches[0]
            .column_by_name("id")
            .unwrap()
            .as_primitive::<Int64Type>();
        assert_eq!(ids.values(), &[1, 2]);
    }

    #[test]
    fn batch_size_is_respected() {
        let dir = tempfile::tempdir().unwrap();
        let content: String = (0..10)
            .map(|i| format!("{{\"text\": \"{i}x\"}}\n\n"))
            .collect();
        let path = write(dir.path(), "a.jsonl", content.as_bytes());
        for infer_rows in [1, 4, 1000] {
            let o = JsonlOptions {
                batch_size: 3,
                infer_rows,
                ..options(Some("text"))
            };
            let batches = read_all(&path, &o).unwrap();
            let sizes: Vec<_> = batches.iter().map(|b| b.num_rows()).collect();
            assert_eq!(sizes, [3, 3, 3, 1]);
            let expected: Vec<String> = (0..10).map(|i| format!("{i}x")).collect();
            assert_eq!(texts(&batches, "text"), expected);
        }
    }

    #[test]
    fn blank_lines_crlf_and_missing_final_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a.jsonl",
            b"\n  \n{\"text\": \"a\"}\r\n\t\r\n{\"text\": \"b\"}",
        );
        let batches = read_all(&path, &options(Some("text"))).unwrap();
        assert_eq!(texts(&batches, "text"), ["a", "b"]);
    }

    #[test]
    fn empty_files_have_a_schema_and_no_batch() {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in [("e.jsonl", &b""[..]), ("blank.jsonl", b"\n \n\r\n")] {
            let path = write(dir.path(), name, content);
            let reader = open_jsonl(&path, &options(Some("text"))).unwrap();
            let schema = reader.schema();
            assert_eq!(schema.fields().len(), 1);
            assert_eq!(schema.field(0).name(), "text");
            assert_eq!(schema.field(0).data_type(), &DataType::Utf8);
            assert_eq!(reader.count(), 0);
            let reader = open_jsonl(&path, &options(None)).unwrap();
            assert!(reader.schema().fields().is_empty());
            assert_eq!(reader.count(), 0);
        }
        let path = write(
            dir.path(),
            "e.jsonl.zst",
            &zstd::encode_all(&b""[..], 1).unwrap(),
        );
        assert_eq!(
            open_jsonl(&path, &options(Some("text"))).unwrap().count(),
            0
        );
    }

    #[test]
    fn compressed_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let content: String = (0..5000)
            .map(|i| format!("{{\"text\": \"doc {i}\"}}\n"))
            .collect();
        let zst = write(
            dir.path(),
            "a.jsonl.zst",
            &zstd::encode_all(content.as_bytes(), 3).unwrap(),
        );
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(content.as_bytes()).unwrap();
        let gz = write(dir.path(), "a.jsonl.gz", &gz.finish().unwrap());
        for path in [zst, gz] {
            let batches = read_all(&path, &options(Some("text"))).unwrap();
            let all = texts(&batches, "text");
            assert_eq!(all.len(), 5000);
            assert_eq!(all[4999], "doc 4999");
        }
    }

    #[test]
    fn malformed_json_names_file_and_line() {
        let e = error_of(format!("{GOOD}\n{GOOD}{{\"text\": \"b\",\n{GOOD}").as_bytes());
        assert!(matches!(e, Error::Parse { .. }), "{e:?}");
        assert_eq!(line_of(&e), 4);
        let message = e.to_string();
        assert!(message.contains("bad.jsonl:4:"), "{message}");
        assert!(message.contains("malformed JSON"), "{message}");
        assert!(!message.contains("line 1 column"), "{message}");
    }

    #[test]
    fn one_object_per_line() {
        // Two objects on a line, and one object split over two lines.
        let e =
            error_of(format!("{GOOD}{{\"text\": \"a\"}} {{\"text\": \"b\"}}\n{GOOD}").as_bytes());
        assert!(matches!(e, Error::Parse { .. }), "{e:?}");
        assert_eq!(line_of(&e), 2);
        let e = error_of(format!("{GOOD}{GOOD}{{\"text\":\n\"b\"}}\n").as_bytes());
        assert!(matches!(e, Error::Parse { .. }), "{e:?}");
        assert_eq!(line_of(&e), 3);
        // The two joined ones would even make the right number of rows.
        let e = error_of(format!("{GOOD}{{\"text\": \"a\"}}{{\"text\":\n\"b\"}}\n").as_bytes());
        assert_eq!(line_of(&e), 2);
    }

    #[test]
    fn not_an_object() {
        for (bad, found) in [
            ("[1, 2]", "an array"),
            ("\"text\"", "a string"),
            ("42", "a number"),
            ("null", "null"),
            ("true", "a boolean"),
        ] {
            let e = error_of(format!("{GOOD}\n{bad}\n{GOOD}").as_bytes());
            assert!(matches!(e, Error::Parse { .. }), "{bad}: {e:?}");
            assert_eq!(line_of(&e), 3, "{bad}");
            let message = e.to_string();
            assert!(
                message.contains(&format!("expected a JSON object, found {found}")),
                "{message}"
            );
        }
    }

    #[test]
    fn missing_and_null_text() {
        for bad in ["{\"id\": 3}", "{\"text\": null, \"id\": 3}"] {
            let e = error_of(format!("{GOOD}{GOOD}{bad}\n{GOOD}").as_bytes());
            match &e {
                Error::MissingField { field, .. } => assert_eq!(field, "text"),
                other => panic!("{bad}: {other:?}"),
            }
            assert_eq!(line_of(&e), 3, "{bad}");
        }
    }

    #[test]
    fn non_string_text_is_a_type_error() {
        for (bad, found) in [
            ("42", "a number"),
            ("-1.5e3", "a number"),
            ("true", "a boolean"),
            ("false", "a boolean"),
            ("{\"a\": \"b\"}", "an object"),
            ("[\"a\"]", "an array"),
        ] {
            let e = error_of(format!("{GOOD}{GOOD}\n{{\"text\": {bad}}}\n{GOOD}").as_bytes());
            match &e {
                Error::FieldType {
                    field,
                    expected,
                    found: f,
                    ..
                } => {
                    assert_eq!(field, "text");
                    assert_eq!(expected, "a string");
                    assert_eq!(f, found);
                }
                other => panic!("{bad}: {other:?}"),
            }
            assert_eq!(line_of(&e), 4, "{bad}");
        }
    }

    #[test]
    fn given_string_view_text_column_is_kept_and_strict() {
        let dir = tempfile::tempdir().unwrap();
        let schema = Arc::new(Schema::new(vec![Field::new(
            "text",
            DataType::Utf8View,
            false,
        )]));
        let o = JsonlOptions {
            schema: Some(schema),
            ..options(Some("text"))
        };
        let path = write(
            dir.path(),
            "a.jsonl",
            b"{\"text\": \"a\"}\n{\"text\": \"7\"}\n",
        );
        let batches = read_all(&path, &o).unwrap();
        assert_eq!(
            batches[0].schema().field(0).data_type(),
            &DataType::Utf8View
        );
        assert_eq!(texts(&batches, "text"), ["a", "7"]);
        let path = write(dir.path(), "b.jsonl", b"{\"text\": \"a\"}\n{\"text\": 7}\n");
        let e = read_all(&path, &o).unwrap_err();
        assert!(
            matches!(&e, Error::FieldType { field, .. } if field == "text"),
            "{e:?}"
        );
        assert_eq!(line_of(&e), 2);
    }

    #[test]
    fn arrow_leniency_is_documented() {
        // Not JSON, but read by arrow's tokenizer (see the module docs), both in the
        // inference window and after it.
        let lenient = [
            &b"{\"text\": \"raw\ttab\"}"[..],
            b"{\"text\": \"b\" \"id\": 1}",
            b"{,\"text\": \"c\",, \"id\": 2,}",
        ];
        let dir = tempfile::tempdir().unwrap();
        let mut content = b"{\"text\": \"first\", \"id\": 0}\n".to_vec();
        for line in lenient {
            content.extend_from_slice(line);
            content.push(b'\n');
        }
        let path = write(dir.path(), "a.jsonl", &content);
        for infer_rows in [1, 1000] {
            let o = JsonlOptions {
                infer_rows,
                ..options(Some("text"))
            };
            let batches = read_all(&path, &o).unwrap();
            assert_eq!(texts(&batches, "text"), ["first", "raw\ttab", "b", "c"]);
        }
        // Their text column is still checked, in and after the inference window.
        for bad in [
            &b"{\"text\": 5,,}"[..],
            b"{\"id\": 5,,}",
            b"{\"text\": \"7\",, \"x\": 1 \"text\": 7}",
            // a duplicate key: the last one counts, for serde as for arrow
            b"{\"text\": \"a\", \"text\": 5}",
        ] {
            let mut content = format!("{GOOD}{GOOD}").into_bytes();
            content.extend_from_slice(bad);
            content.push(b'\n');
            let e = error_of(&content);
            assert!(
                matches!(e, Error::FieldType { .. } | Error::MissingField { .. }),
                "{e:?}"
            );
            assert_eq!(line_of(&e), 3);
        }
    }

    #[test]
    fn number_like_strings_are_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a.jsonl",
            b"{\"text\": \"42\"}\n{\"text\": \"true\"}\n{\"text\": \"-1e5\"}\n",
        );
        let batches = read_all(&path, &options(Some("text"))).unwrap();
        assert_eq!(texts(&batches, "text"), ["42", "true", "-1e5"]);
    }

    #[test]
    fn text_column_absent_from_inferred_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "a.jsonl", b"{\"body\": \"a\"}\n{}\n");
        let e = read_all(&path, &options(Some("text"))).unwrap_err();
        assert!(
            matches!(&e, Error::MissingField { field, .. } if field == "text"),
            "{e:?}"
        );
        assert_eq!(line_of(&e), 1);
        assert!(e.to_string().contains("a.jsonl:1"), "{e}");
        // A given schema without the column is the caller's mistake.
        let o = JsonlOptions {
            schema: Some(Arc::new(Schema::new(vec![Field::new(
                "body",
                DataType::Utf8,
                true,
            )]))),
            ..options(Some("text"))
        };
        assert!(matches!(
            open_jsonl(&path, &o),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn invalid_utf8() {
        // Inside the text, inside another field, and outside any string.
        for bad in [
            &b"{\"text\": \"ab\xff\"}"[..],
            b"{\"text\": \"ab\", \"other\": \"\xc3\"}",
            b"{\"text\": \"ab\"}\xe9",
        ] {
            let mut content = format!("{GOOD}{GOOD}").into_bytes();
            content.extend_from_slice(bad);
            content.extend_from_slice(format!("\n{GOOD}").as_bytes());
            let e = error_of(&content);
            assert!(matches!(e, Error::Parse { .. }), "{e:?}");
            assert_eq!(line_of(&e), 3);
            assert!(e.to_string().contains("invalid UTF-8 at byte"), "{e}");
        }
    }

    #[test]
    fn lone_surrogate_escape_is_rejected() {
        let e = error_of(format!("{GOOD}{{\"text\": \"a\\ud800b\"}}\n").as_bytes());
        assert!(matches!(e, Error::Parse { .. }), "{e:?}");
        assert_eq!(line_of(&e), 2);
    }

    #[test]
    fn other_field_type_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a.jsonl",
            b"{\"text\": \"a\", \"n\": 1}\n{\"text\": \"b\", \"n\": 2}\n\n{\"text\": \"c\", \"n\": {\"x\": 1}}\n",
        );
        for infer_rows in [1, 1000] {
            let o = JsonlOptions {
                infer_rows,
                ..options(Some("text"))
            };
            let e = read_all(&path, &o).unwrap_err();
            match &e {
                Error::FieldType {
                    field,
                    expected,
                    found,
                    ..
                } => {
                    assert_eq!(field, "n");
                    assert_eq!(expected, "an integer (Int64)");
                    assert_eq!(found, "an object");
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(line_of(&e), 4);
        }
    }

    #[test]
    fn given_schema_type_mismatch_mid_batch() {
        let dir = tempfile::tempdir().unwrap();
        let mut content = String::new();
        for i in 0..100 {
            if i == 57 {
                content.push_str("{\"text\": \"t\", \"n\": \"seven\"}\n");
            } else {
                content.push_str(&format!("{{\"text\": \"t\", \"n\": {i}}}\n"));
            }
        }
        let path = write(dir.path(), "a.jsonl", content.as_bytes());
        let schema = Schema::new(vec![
            Field::new("text", DataType::Utf8, false),
            Field::new("n", DataType::Int64, true),
        ]);
        let o = JsonlOptions {
            schema: Some(Arc::new(schema)),
            ..options(Some("text"))
        };
        let e = read_all(&path, &o).unwrap_err();
        assert!(
            matches!(&e, Error::FieldType { field, found, .. } if field == "n" && found == "a string"),
            "{e:?}"
        );
        assert_eq!(line_of(&e), 58);
    }

    #[test]
    fn inference_conflict_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a.jsonl",
            b"{\"text\": \"a\", \"m\": {\"x\": 1}}\n{\"text\": \"a\", \"m\": {\"x\": 1}}\n{\"text\": \"b\", \"m\": 3}\n",
        );
        let e = read_all(&path, &options(Some("text"))).unwrap_err();
        assert!(
            matches!(&e, Error::FieldType { field, found, .. } if field == "m" && found == "a number"),
            "{e:?}"
        );
        assert_eq!(line_of(&e), 3);
        // A conflict within one line, which no earlier line explains.
        let path = write(
            dir.path(),
            "b.jsonl",
            b"{\"text\": \"a\"}\n\n{\"text\": \"a\", \"l\": [1, {\"x\": 1}]}\n",
        );
        let e = read_all(&path, &options(Some("text"))).unwrap_err();
        assert!(matches!(e, Error::Parse { .. }), "{e:?}");
        assert_eq!(line_of(&e), 3);
        assert!(e.to_string().contains("cannot infer a schema"), "{e}");
    }

    #[test]
    fn lenient_fields() {
        // A field seen as number and string is inferred as a string and read as
        // text; a field null in the inference window becomes a string; fields
        // unknown to the schema are ignored.
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a.jsonl",
            b"{\"text\": \"a\", \"id\": 1, \"z\": null}\n{\"text\": \"b\", \"id\": \"x\", \"z\": null}\n\
              {\"text\": \"c\", \"id\": 2.5, \"z\": \"q\", \"new\": [1]}\n",
        );
        let o = JsonlOptions {
            infer_rows: 2,
            ..options(Some("text"))
        };
        let reader = open_jsonl(&path, &o).unwrap();
        let schema = reader.schema();
        assert_eq!(schema.fields().len(), 3);
        assert_eq!(
            schema.field_with_name("id").unwrap().data_type(),
            &DataType::Utf8
        );
        assert_eq!(
            schema.field_with_name("z").unwrap().data_type(),
            &DataType::Utf8
        );
        let batches: Vec<_> = reader.collect::<Result<_>>().unwrap();
        assert_eq!(texts(&batches, "id"), ["1", "x", "2.5"]);
        let z = batches[0].column_by_name("z").unwrap().as_string::<i32>();
        assert_eq!(z.null_count(), 2);
        assert_eq!(z.value(2), "q");
    }

    #[test]
    fn truncated_compressed_files() {
        let dir = tempfile::tempdir().unwrap();
        let content: String = (0..50_000)
            .map(|i| format!("{{\"text\": \"document number {i}\"}}\n"))
            .collect();
        let zst = zstd::encode_all(content.as_bytes(), 3).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(content.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        for (name, bytes, codec) in [("t.jsonl.zst", zst, "zstd"), ("t.jsonl.gz", gz, "gzip")] {
            let path = write(dir.path(), name, &bytes[..bytes.len() * 3 / 4]);
            let e = read_all(&path, &options(Some("text"))).unwrap_err();
            assert!(
                matches!(&e, Error::Decompress { path: p, codec: c, .. } if *p == path && *c == codec),
                "{e:?}"
            );
            assert!(e.to_string().contains(name), "{e}");
        }
    }

    #[test]
    fn missing_file() {
        let path = Path::new("/no/such/dir/corpus.jsonl");
        let e = read_all(path, &options(Some("text"))).unwrap_err();
        assert!(
            matches!(&e, Error::Io { path: p, .. } if p == path),
            "{e:?}"
        );
        assert!(e.to_string().contains("/no/such/dir/corpus.jsonl"), "{e}");
    }

    #[test]
    fn bad_options() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "a.jsonl", GOOD.as_bytes());
        let o = JsonlOptions {
            batch_size: 0,
            ..Default::default()
        };
        assert!(matches!(
            open_jsonl(&path, &o),
            Err(Error::InvalidParameter { .. })
        ));
        let o = JsonlOptions {
            infer_rows: 0,
            ..Default::default()
        };
        assert!(matches!(
            open_jsonl(&path, &o),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn iteration_stops_after_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a.jsonl",
            format!("{GOOD}{GOOD}oops\n{GOOD}{GOOD}").as_bytes(),
        );
        let o = JsonlOptions {
            infer_rows: 1,
            batch_size: 1,
            ..options(Some("text"))
        };
        let results: Vec<_> = open_jsonl(&path, &o).unwrap().collect();
        assert_eq!(results.len(), 3);
        assert!(results[0].is_ok() && results[1].is_ok());
        assert_eq!(line_of(results[2].as_ref().unwrap_err()), 3);
    }

    #[test]
    fn reader_is_send() {
        fn assert_send<T: Send>() {}
        assert_send::<JsonlReader>();
    }

    /// Throughput on a real corpus: `cargo test --release -p thresher-core
    /// jsonl_throughput -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn jsonl_throughput() {
        use std::time::Instant;
        let path = Path::new("/work/shared/corpora/docs/raw.jsonl.zst");
        if !path.exists() {
            eprintln!("skipped: {} is absent", path.display());
            return;
        }
        // Decompression alone, into a plain copy.
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("raw.jsonl");
        let start = Instant::now();
        let mut stream = super::super::open_decoded(path).unwrap();
        let raw = std::io::copy(&mut stream, &mut std::io::sink()).unwrap() as f64 / 1e6;
        let decompress = start.elapsed().as_secs_f64();
        std::io::copy(
            &mut super::super::open_decoded(path).unwrap(),
            &mut std::fs::File::create(&plain).unwrap(),
        )
        .unwrap();
        // More files to time, e.g. the corpus recompressed at another level.
        let extra: Vec<PathBuf> = std::env::var_os("THRESHER_BENCH_FILES")
            .map(|v| std::env::split_paths(&v).collect())
            .unwrap_or_default();
        let mut files = vec![("zstd", path), ("plain", plain.as_path())];
        files.extend(extra.iter().map(|p| ("extra", p.as_path())));
        for (what, file) in files {
            for _ in 0..2 {
                let start = Instant::now();
                let (mut rows, mut text_bytes) = (0, 0);
                for batch in open_jsonl(file, &options(Some("text"))).unwrap() {
                    let batch = batch.unwrap();
                    rows += batch.num_rows();
                    text_bytes += TextColumn::from_batch(&batch, "text", 0)
                        .unwrap()
                        .total_bytes();
                }
                let total = start.elapsed().as_secs_f64();
                eprintln!(
                    "{what} {}: {rows} rows, {raw:.0} MB raw, {:.0} MB text: {:.0} MB/s ({total:.2} s)",
                    file.display(),
                    text_bytes as f64 / 1e6,
                    raw / total
                );
            }
        }
        eprintln!("decompression alone: {:.0} MB/s", raw / decompress);
    }
}
