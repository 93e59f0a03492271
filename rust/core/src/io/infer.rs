//! Schema inference from the first lines of a JSONL file.
//!
//! The lines read are handed back to the [`LineInput`] to be decoded again, so
//! inference costs one extra JSON parse of the inference window only.

use std::sync::Arc;

use arrow_json::reader::infer_json_schema_from_iterator;
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use serde_json::Value;

use super::diagnose::{
    arrow_message, arrow_reads_object, arrow_text_error, parse_object, text_error, LineChecker,
};
use super::lines::{LineInput, Lines};
use crate::{Error, Location, Result};

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

/// Reads up to `rows` non-blank lines of `input`, to be replayed, and infers a
/// schema from them. Their errors are reported in line order, as the batch decoder
/// would: each line must be an object with a string `text` field.
pub(super) fn infer_schema(
    input: &mut LineInput,
    rows: usize,
    text: Option<&str>,
) -> Result<SchemaRef> {
    let mut lines = Lines::default();
    while lines.len() < rows && input.next_into(&mut lines)? {}
    let location = |i: usize| Location::Line {
        path: input.path.clone(),
        line: lines.number(i),
    };
    let mut values = Vec::with_capacity(lines.len());
    // Index in `lines` of each value.
    let mut value_lines = Vec::with_capacity(lines.len());
    for i in 0..lines.len() {
        let line = lines.get(i);
        match parse_object(line) {
            Ok(value) => {
                if let Some(e) = text.and_then(|name| text_error(&value, name, || location(i))) {
                    return Err(e);
                }
                values.push(value);
                value_lines.push(i);
            }
            // Not JSON, yet arrow reads it (see the `jsonl_reader` docs): it will be
            // decoded like any line, but inference cannot look at it.
            Err(_) if arrow_reads_object(line) => {
                if let Some(e) = text.and_then(|name| arrow_text_error(line, name, location(i))) {
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
                    path: input.path.clone(),
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
    input.replay(lines);
    Ok(schema)
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
