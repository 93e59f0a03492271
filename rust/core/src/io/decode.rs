//! Decoding batches of lines into record batches: the fast path shared by the
//! serial and the parallel JSONL readers.

use arrow_array::{Array, RecordBatch};
use arrow_json::reader::Decoder;

use super::diagnose::{arrow_text_error, LineChecker};
use super::lines::Lines;
use crate::text::TextColumn;
use crate::{Error, Result};

/// What every decoder of one file shares: how to explain a bad line, where the
/// text column is, and how many rows a batch holds.
pub(super) struct DecodeContext {
    pub(super) checker: LineChecker,
    /// Index of the text column in the schema.
    pub(super) text_index: Option<usize>,
    pub(super) batch_size: usize,
}

impl DecodeContext {
    /// A fresh arrow decoder for this file's schema.
    pub(super) fn decoder(&self) -> Result<Decoder> {
        self.checker.decoder(self.batch_size)
    }

    /// Decodes `lines` (at most `batch_size` of them) with `decoder` into one batch.
    pub(super) fn decode(&self, decoder: &mut Decoder, lines: &Lines) -> Result<RecordBatch> {
        // Feed lines one at a time so that a line holding more or less than one
        // value (which arrow would silently merge or split) is caught on the spot.
        for i in 0..lines.len() {
            let line = lines.get(i);
            let before = decoder.len();
            let consumed = decoder.decode(line);
            let one_record = matches!(consumed, Ok(n) if n == line.len())
                && decoder.len() == before + 1
                && !decoder.has_partial_record();
            if !one_record {
                return Err(self.checker.line_error(line, lines.number(i)));
            }
        }
        let batch = match decoder.flush() {
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
