//! Rows of a stream: kept while a one-pass selection runs, taken by position, or one
//! column gathered.
//!
//! Selections that read a stream once (DSIR, reservoirs) must keep the rows of their
//! current candidates, but candidates are evicted as better ones arrive. The buffer
//! appends the candidate rows of each batch and is compacted to the live ones when
//! it grows past a bound, so memory stays O(k) rows, never O(corpus).

use std::collections::HashSet;

use arrow_array::{ArrayRef, BooleanArray, RecordBatch, UInt32Array};
use arrow_schema::{FieldRef, SchemaRef};
use arrow_select::{concat::concat_batches, filter::filter_record_batch, take::take_record_batch};

use crate::stream::{for_each_batch, BatchStream, Progress};
use crate::{Error, Location, Result};

/// Candidate rows in stream order, with their global row numbers.
#[derive(Default)]
pub(crate) struct RowBuffer {
    rows: Vec<u64>,
    batches: Vec<RecordBatch>,
}

impl RowBuffer {
    /// Rows held (live or not yet compacted away).
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// Append the rows of `batch` whose `keep` flag is set; `first_row` numbers them.
    pub(crate) fn push(
        &mut self,
        batch: &RecordBatch,
        first_row: u64,
        keep: &[bool],
    ) -> Result<()> {
        if !keep.iter().any(|&k| k) {
            return Ok(());
        }
        let mask = BooleanArray::from(keep.to_vec());
        self.batches.push(filter_record_batch(batch, &mask)?);
        self.rows.extend(
            keep.iter()
                .enumerate()
                .filter(|(_, &k)| k)
                .map(|(i, _)| first_row + i as u64),
        );
        Ok(())
    }

    /// Keep only the rows in `live`, as one batch.
    pub(crate) fn compact(&mut self, live: &HashSet<u64>) -> Result<()> {
        let Some(schema) = self.batches.first().map(|b| b.schema()) else {
            return Ok(());
        };
        let merged = concat_batches(&schema, &self.batches)?;
        let keep: Vec<bool> = self.rows.iter().map(|r| live.contains(r)).collect();
        let filtered = filter_record_batch(&merged, &BooleanArray::from(keep.clone()))?;
        self.rows = self
            .rows
            .iter()
            .zip(&keep)
            .filter(|(_, &k)| k)
            .map(|(&r, _)| r)
            .collect();
        self.batches = vec![filtered];
        Ok(())
    }

    /// Only the rows in `live`, as one batch of `schema` (empty if none were kept).
    pub(crate) fn finish(mut self, live: &HashSet<u64>, schema: SchemaRef) -> Result<RecordBatch> {
        self.compact(live)?;
        Ok(self
            .batches
            .pop()
            .unwrap_or_else(|| RecordBatch::new_empty(schema)))
    }
}

/// The rows of `stream` at the global positions `rows` (sorted, distinct), as one
/// batch in stream order. Reads the stream once, holding only the rows taken.
pub fn take_rows(
    stream: BatchStream,
    rows: &[u64],
    progress: &dyn Progress,
) -> Result<RecordBatch> {
    if rows.windows(2).any(|w| w[0] >= w[1]) {
        return Err(Error::invalid("rows", "must be sorted and distinct"));
    }
    let mut taken = Vec::new();
    let mut schema = None;
    let mut next = 0usize;
    let seen = for_each_batch(stream, progress, |batch, first_row| {
        schema.get_or_insert_with(|| batch.schema());
        let end = first_row + batch.num_rows() as u64;
        let start = next;
        while next < rows.len() && rows[next] < end {
            next += 1;
        }
        if next > start {
            let local: UInt32Array = rows[start..next]
                .iter()
                .map(|&r| (r - first_row) as u32)
                .collect();
            taken.push(take_record_batch(batch, &local)?);
        }
        Ok(next < rows.len())
    })?;
    if next < rows.len() {
        return Err(Error::invalid(
            "rows",
            format!(
                "row {} requested but the stream has only {seen} rows",
                rows[next]
            ),
        ));
    }
    let schema = schema.ok_or_else(|| Error::EmptyInput {
        what: "corpus".into(),
        detail: "it has no row".into(),
    })?;
    Ok(concat_batches(&schema, &taken)?)
}

/// Every chunk of the columns `names` of `stream`, with their fields (a first pass
/// that reads a few columns, e.g. the groups and weights of a stratified sample).
pub fn collect_columns(
    stream: BatchStream,
    names: &[String],
    progress: &dyn Progress,
) -> Result<Vec<(Vec<ArrayRef>, FieldRef)>> {
    let mut chunks: Vec<Vec<ArrayRef>> = vec![Vec::new(); names.len()];
    let mut fields: Option<Vec<FieldRef>> = None;
    for_each_batch(stream, progress, |batch, first_row| {
        let schema = batch.schema();
        let mut found = Vec::with_capacity(names.len());
        for name in names {
            let index = schema.index_of(name).map_err(|_| Error::MissingField {
                location: Location::Row { row: first_row },
                field: name.clone(),
            })?;
            found.push(index);
        }
        fields.get_or_insert_with(|| {
            found
                .iter()
                .map(|&i| schema.field(i).clone().into())
                .collect()
        });
        for (column, &i) in chunks.iter_mut().zip(&found) {
            column.push(batch.column(i).clone());
        }
        Ok(true)
    })?;
    let fields = fields.ok_or_else(|| Error::EmptyInput {
        what: "corpus".into(),
        detail: "it has no row".into(),
    })?;
    Ok(chunks.into_iter().zip(fields).collect())
}
