//! Chunking long documents into pieces of equal word length (the DSIR paper's setup).
//!
//! A document of `W` whitespace-separated words becomes `c = ceil(W / max_words)`
//! chunks whose lengths differ by at most one word, so no tiny tail chunk is left.
//! Chunks keep the original text between their words (spacing and newlines inside a
//! chunk are untouched). Each output row repeats the document's other columns and adds
//! `chunk_doc` (the document's global row) and `chunk_index`.

use std::sync::Arc;

use arrow_array::{RecordBatch, StringArray, UInt32Array, UInt64Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use arrow_select::take::take;

use crate::stream::BatchStream;
use crate::text::TextColumn;
use crate::{Error, Result};

/// Byte ranges of the chunks of `text` (none for a text without words).
pub fn chunk_ranges(text: &str, max_words: usize) -> Vec<(usize, usize)> {
    let words: Vec<(usize, usize)> = word_spans(text);
    if words.is_empty() {
        return Vec::new();
    }
    let chunks = words.len().div_ceil(max_words);
    let (base, extra) = (words.len() / chunks, words.len() % chunks);
    let mut ranges = Vec::with_capacity(chunks);
    let mut first = 0;
    for c in 0..chunks {
        let len = base + usize::from(c < extra);
        let last = first + len - 1;
        ranges.push((words[first].0, words[last].1));
        first += len;
    }
    ranges
}

fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, text.len()));
    }
    spans
}

/// Split the text column `column` of every batch of `stream` into chunks.
pub fn chunk_stream(stream: BatchStream, column: String, max_words: usize) -> Result<BatchStream> {
    if max_words == 0 {
        return Err(Error::invalid("chunk_words", "must be at least 1"));
    }
    let mut first_row = 0u64;
    Ok(Box::new(stream.map(move |batch| {
        let batch = batch?;
        let out = chunk_batch(&batch, &column, max_words, first_row)?;
        first_row += batch.num_rows() as u64;
        Ok(out)
    })))
}

fn chunk_batch(
    batch: &RecordBatch,
    column: &str,
    max_words: usize,
    first_row: u64,
) -> Result<RecordBatch> {
    let text = TextColumn::from_batch(batch, column, first_row)?;
    let mut parents = Vec::new();
    let mut indices = Vec::new();
    let mut pieces: Vec<&str> = Vec::new();
    for row in 0..text.len() {
        let value = text.value(row);
        for (i, (start, end)) in chunk_ranges(value, max_words).into_iter().enumerate() {
            parents.push(row as u64);
            indices.push(i as u32);
            pieces.push(&value[start..end]);
        }
    }
    let take_rows = UInt64Array::from(parents.clone());
    let schema = batch.schema();
    let text_index = schema.index_of(column)?;
    let mut columns = Vec::with_capacity(batch.num_columns() + 2);
    let mut fields: Vec<Field> = Vec::with_capacity(batch.num_columns() + 2);
    for (i, field) in schema.fields().iter().enumerate() {
        if i == text_index {
            columns.push(Arc::new(StringArray::from(pieces.clone())) as _);
            fields.push(Field::new(column, DataType::Utf8, false));
        } else {
            columns.push(take(batch.column(i), &take_rows, None)?);
            fields.push(field.as_ref().clone());
        }
    }
    columns.push(Arc::new(UInt64Array::from_iter_values(
        parents.iter().map(|p| first_row + p),
    )) as _);
    fields.push(Field::new("chunk_doc", DataType::UInt64, false));
    columns.push(Arc::new(UInt32Array::from(indices)) as _);
    fields.push(Field::new("chunk_index", DataType::UInt32, false));
    let schema: SchemaRef = Arc::new(Schema::new(fields));
    Ok(RecordBatch::try_new(schema, columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(text: &str, m: usize) -> Vec<&str> {
        chunk_ranges(text, m)
            .into_iter()
            .map(|(s, e)| &text[s..e])
            .collect()
    }

    #[test]
    fn equal_lengths_without_tiny_tail() {
        assert_eq!(chunks("a b c d e f g", 3), ["a b c", "d e", "f g"]);
        assert_eq!(chunks("a b c d e f", 3), ["a b c", "d e f"]);
        assert_eq!(chunks("  one  ", 5), ["one"]);
        assert!(chunks(" \n ", 5).is_empty());
        assert_eq!(chunks("x\ny  z", 2), ["x\ny", "z"]);
    }

    #[test]
    fn batches_repeat_other_columns_and_number_chunks() {
        let text = Arc::new(StringArray::from(vec!["a b c d", "", "e"]));
        let id = Arc::new(UInt32Array::from(vec![10, 11, 12]));
        let batch = RecordBatch::try_from_iter([("text", text as _), ("id", id as _)]).unwrap();
        let out = chunk_batch(&batch, "text", 2, 100).unwrap();
        assert_eq!(out.num_rows(), 3);
        let ids = out
            .column(1)
            .as_any()
            .downcast_ref::<UInt32Array>()
            .unwrap();
        assert_eq!(ids.values(), &[10, 10, 12]);
        let docs = out
            .column(2)
            .as_any()
            .downcast_ref::<UInt64Array>()
            .unwrap();
        assert_eq!(docs.values(), &[100, 100, 102]);
        let index = out
            .column(3)
            .as_any()
            .downcast_ref::<UInt32Array>()
            .unwrap();
        assert_eq!(index.values(), &[0, 1, 0]);
    }

    #[test]
    fn zero_words_is_rejected() {
        let stream: BatchStream = Box::new(std::iter::empty());
        assert!(chunk_stream(stream, "text".into(), 0).is_err());
    }
}
