//! Signatures of a whole stream: one `u32` row of `num_perm` slots per document,
//! computed batch by batch, documents in parallel (each is independent, so the result
//! does not depend on the thread count or on batching).

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::RecordBatch;
use arrow_schema::DataType;
use rayon::prelude::*;

use super::collect::{Budget, Collected, Collector};
use super::lsh::LshParams;
use super::minhash::{MinHasher, SignatureScratch};
use crate::stream::{for_each_text_batch, BatchStream, Progress};
use crate::text::{column_by_name, reject_nulls};
use crate::{Error, Location, Result};

/// The signatures of a corpus and what the keep policies need.
#[derive(Default)]
pub struct CorpusSignatures {
    /// Row-major `documents x num_perm` signatures.
    pub signatures: Vec<u32>,
    /// Bytes of text of each document.
    pub lengths: Vec<u64>,
    /// Whether each document has at least one shingle.
    pub non_empty: Vec<bool>,
    /// Values of the score column, if one was asked for.
    pub scores: Vec<f64>,
}

impl CorpusSignatures {
    /// Number of documents.
    pub fn documents(&self) -> usize {
        self.lengths.len()
    }
}

/// Read the numeric column `name` of `batch` as f64 (nulls are an error naming the row).
pub fn score_values(batch: &RecordBatch, name: &str, first_row: u64) -> Result<Vec<f64>> {
    let array = column_by_name(batch, name, first_row)?;
    reject_nulls(array.as_ref(), name, first_row)?;
    if !array.data_type().is_numeric() {
        return Err(Error::FieldType {
            location: Location::Row { row: first_row },
            field: name.to_string(),
            expected: "a numeric column (float or integer)".into(),
            found: array.data_type().to_string(),
        });
    }
    let values = arrow_cast::cast(array, &DataType::Float64)?;
    let values = values.as_primitive::<Float64Type>().values().to_vec();
    if let Some(i) = values.iter().position(|v| v.is_nan()) {
        return Err(Error::invalid(
            "score",
            format!("row {}: score is NaN", first_row + i as u64),
        ));
    }
    Ok(values)
}

/// [`score_values`] of column `name` over every batch of `stream`, whose first row is
/// row `first_row` of the corpus (so that a part of a corpus names its rows as the
/// whole does).
pub fn score_values_of_stream(stream: BatchStream, name: &str, first_row: u64) -> Result<Vec<f64>> {
    let mut out = Vec::new();
    let mut row = first_row;
    for batch in stream {
        let batch = batch?;
        out.extend(score_values(&batch, name, row)?);
        row += batch.num_rows() as u64;
    }
    Ok(out)
}

/// Signatures of every document of `stream` (column `column`); with `score_column`,
/// also that column's values.
pub fn signatures_of_stream(
    hasher: &MinHasher,
    stream: BatchStream,
    column: &str,
    score_column: Option<&str>,
    progress: &dyn Progress,
) -> Result<CorpusSignatures> {
    // Without a budget the collector never spills (the banding is then unused).
    let lsh = LshParams { bands: 1, rows: 1 };
    let unbounded = Budget::default();
    match collect_stream(
        hasher,
        lsh,
        &unbounded,
        stream,
        column,
        score_column,
        progress,
    )? {
        Collected::Memory(corpus) => Ok(corpus),
        Collected::Spilled(_) => Err(Error::Internal("spilled without a budget".into())),
    }
}

/// [`signatures_of_stream`] under a memory budget: the signatures stay in memory
/// while they and their band keys (`lsh`) fit `budget`, and go to disk past it.
pub fn collect_stream(
    hasher: &MinHasher,
    lsh: LshParams,
    budget: &Budget,
    stream: BatchStream,
    column: &str,
    score_column: Option<&str>,
    progress: &dyn Progress,
) -> Result<Collected> {
    let mut out = Collector::new(hasher.num_perm(), lsh, budget);
    for_each_text_batch(stream, column, progress, |batch, text, first_row| {
        let rows = text.len();
        if let Some(name) = score_column {
            let values = score_values(batch, name, first_row)?;
            out.corpus_mut().scores.extend(values);
        }
        let texts: Vec<&str> = (0..rows).map(|i| text.value(i)).collect();
        out.add(rows, |signatures, non_empty| {
            sign_into(hasher, &texts, signatures, non_empty)
        })?;
        let lengths = &mut out.corpus_mut().lengths;
        lengths.extend(texts.iter().map(|t| t.len() as u64));
        Ok(true)
    })?;
    out.finish()
}

/// Sign `texts` into `signatures` (`texts.len() * num_perm` slots), in parallel, and
/// append whether each has a shingle to `non_empty`.
fn sign_into(
    hasher: &MinHasher,
    texts: &[&str],
    signatures: &mut [u32],
    non_empty: &mut Vec<bool>,
) {
    let mut shingles = vec![0usize; texts.len()];
    signatures
        .par_chunks_mut(hasher.num_perm())
        .zip(shingles.par_iter_mut())
        .zip(texts.par_iter())
        .for_each_init(
            SignatureScratch::default,
            |scratch, ((sig, count), text)| {
                *count = hasher.signature_into(text, scratch, sig);
            },
        );
    non_empty.extend(shingles.iter().map(|&c| c > 0));
}

/// Signatures of documents held in memory.
pub fn signatures_of_texts(hasher: &MinHasher, texts: &[&str]) -> CorpusSignatures {
    let mut out = CorpusSignatures {
        signatures: vec![0; texts.len() * hasher.num_perm()],
        ..Default::default()
    };
    sign_into(hasher, texts, &mut out.signatures, &mut out.non_empty);
    out.lengths = texts.iter().map(|t| t.len() as u64).collect();
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Float64Array, Int32Array, StringArray};
    use arrow_schema::{Field, Schema};

    use super::*;

    fn batch(values: Vec<Option<f64>>) -> RecordBatch {
        let schema = Schema::new(vec![Field::new("s", DataType::Float64, true)]);
        RecordBatch::try_new(Arc::new(schema), vec![Arc::new(Float64Array::from(values))]).unwrap()
    }

    #[test]
    fn scores_of_a_stream_name_bad_rows_from_its_first_row() {
        let good = || Ok(batch(vec![Some(1.0), Some(2.5)]));
        let stream: BatchStream = Box::new(vec![good(), good()].into_iter());
        assert_eq!(
            score_values_of_stream(stream, "s", 100).unwrap(),
            [1.0, 2.5, 1.0, 2.5]
        );
        // The NaN is row 1 of the second batch: row 100 + 2 + 1 of the corpus.
        let bad = Ok(batch(vec![Some(1.0), Some(f64::NAN)]));
        let stream: BatchStream = Box::new(vec![good(), bad].into_iter());
        let err = score_values_of_stream(stream, "s", 100)
            .unwrap_err()
            .to_string();
        assert!(err.contains("row 103"), "{err}");
        let nulls: BatchStream = Box::new(vec![Ok(batch(vec![Some(1.0), None]))].into_iter());
        assert!(score_values_of_stream(nulls, "s", 0).is_err());
        let schema = Schema::new(vec![Field::new("t", DataType::Utf8, false)]);
        let text = RecordBatch::try_new(
            Arc::new(schema),
            vec![Arc::new(StringArray::from(vec!["a"]))],
        )
        .unwrap();
        let missing: BatchStream = Box::new(vec![Ok(text)].into_iter());
        assert!(score_values_of_stream(missing, "s", 0).is_err());
        let schema = Schema::new(vec![Field::new("s", DataType::Int32, false)]);
        let ints =
            RecordBatch::try_new(Arc::new(schema), vec![Arc::new(Int32Array::from(vec![3]))])
                .unwrap();
        let ints: BatchStream = Box::new(vec![Ok(ints)].into_iter());
        assert_eq!(score_values_of_stream(ints, "s", 0).unwrap(), [3.0]);
    }
}
