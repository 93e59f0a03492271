//! Reservoirs over streams of record batches, keeping the sampled rows.
//!
//! One pass, O(k) rows in memory: Algorithm L without weights, A-ExpJ with a weight
//! column. The rows of the current reservoir are kept in a buffer compacted as it
//! grows, and come out in stream order with their global row numbers.

use std::collections::HashSet;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;

use super::expj::ExpJReservoir;
use super::reservoir::UniformReservoir;
use super::weights::{problem, too_few};
use crate::rows::RowBuffer;
use crate::stream::{for_each_batch, BatchStream, Progress};
use crate::{Error, Location, Result};

/// What to sample.
#[derive(Clone, Debug, Default)]
pub struct ReservoirOptions {
    /// Rows to keep.
    pub k: usize,
    /// Seed of the draws.
    pub seed: u64,
    /// A numeric column of sampling weights (uniform sampling when `None`).
    pub weight_column: Option<String>,
}

/// The sampled rows.
#[derive(Debug)]
pub struct ReservoirSample {
    /// The rows, in stream order.
    pub rows: RecordBatch,
    /// Global row number of each sampled row.
    pub row_numbers: Vec<u64>,
    /// Rows seen in the stream.
    pub seen: u64,
}

/// The weights of column `name` of `batch` as f64; nulls and bad values are errors
/// naming the row.
pub(super) fn weight_values(batch: &RecordBatch, name: &str, first_row: u64) -> Result<Vec<f64>> {
    let array = batch
        .column_by_name(name)
        .ok_or_else(|| Error::MissingField {
            location: Location::Row { row: first_row },
            field: name.to_string(),
        })?;
    if let Some(i) = (0..array.len()).find(|&i| array.is_null(i)) {
        return Err(Error::MissingField {
            location: Location::Row {
                row: first_row + i as u64,
            },
            field: name.to_string(),
        });
    }
    macro_rules! values {
        ($t:ty) => {
            array
                .as_primitive::<$t>()
                .values()
                .iter()
                .map(|&v| v as f64)
                .collect()
        };
    }
    let values: Vec<f64> = match array.data_type() {
        DataType::Float64 => values!(Float64Type),
        DataType::Float32 => values!(Float32Type),
        DataType::Int8 => values!(Int8Type),
        DataType::Int16 => values!(Int16Type),
        DataType::Int32 => values!(Int32Type),
        DataType::Int64 => values!(Int64Type),
        DataType::UInt8 => values!(UInt8Type),
        DataType::UInt16 => values!(UInt16Type),
        DataType::UInt32 => values!(UInt32Type),
        DataType::UInt64 => values!(UInt64Type),
        other => {
            return Err(Error::FieldType {
                location: Location::Row { row: first_row },
                field: name.to_string(),
                expected: "a numeric column".into(),
                found: other.to_string(),
            })
        }
    };
    if let Some((i, &w)) = values
        .iter()
        .enumerate()
        .find(|(_, &w)| problem(w).is_some())
    {
        return Err(Error::Parse {
            location: Location::Row {
                row: first_row + i as u64,
            },
            message: format!(
                "weight {name:?} is {} ({w}); weights must be finite and >= 0",
                problem(w).unwrap_or("bad")
            ),
        });
    }
    Ok(values)
}

enum Sampler {
    Uniform(UniformReservoir),
    Weighted(ExpJReservoir, String),
}

impl Sampler {
    /// Offer the batch; sets `keep[i]` for the rows that entered.
    fn offer(&mut self, batch: &RecordBatch, first_row: u64, keep: &mut [bool]) -> Result<()> {
        match self {
            Sampler::Uniform(r) => r.offer_range(first_row, keep.len() as u64, |row, _| {
                keep[(row - first_row) as usize] = true;
            }),
            Sampler::Weighted(r, column) => {
                for (i, w) in weight_values(batch, column, first_row)?
                    .into_iter()
                    .enumerate()
                {
                    keep[i] = r.offer(first_row + i as u64, w)?.is_some();
                }
            }
        }
        Ok(())
    }

    fn live(&self) -> HashSet<u64> {
        match self {
            Sampler::Uniform(r) => r.indices().iter().copied().collect(),
            Sampler::Weighted(r, _) => r.indices().collect(),
        }
    }
}

/// Sample `options.k` rows of `stream` in one pass (Algorithm L, or A-ExpJ when a
/// weight column is given). Fewer rows (or positive weights) than k is an error,
/// as is an empty stream.
pub fn reservoir_stream(
    stream: BatchStream,
    options: &ReservoirOptions,
    progress: &dyn Progress,
) -> Result<ReservoirSample> {
    let mut sampler = match &options.weight_column {
        None => Sampler::Uniform(UniformReservoir::new(options.k, options.seed)),
        Some(column) => Sampler::Weighted(
            ExpJReservoir::new(options.k, options.seed, 0),
            column.clone(),
        ),
    };
    let mut buffer = RowBuffer::default();
    let mut schema = None;
    let seen = for_each_batch(stream, progress, |batch, first_row| {
        schema.get_or_insert_with(|| batch.schema());
        let mut keep = vec![false; batch.num_rows()];
        sampler.offer(batch, first_row, &mut keep)?;
        buffer.push(batch, first_row, &keep)?;
        if buffer.len() > 2 * options.k + 1024 {
            buffer.compact(&sampler.live())?;
        }
        Ok(true)
    })?;
    let Some(schema) = schema else {
        return Err(Error::EmptyInput {
            what: "corpus".into(),
            detail: "it has no row".into(),
        });
    };
    let available = match &sampler {
        Sampler::Uniform(_) => seen,
        Sampler::Weighted(r, _) => r.positive(),
    };
    if (available as usize) < options.k {
        let what = match sampler {
            Sampler::Uniform(_) => "rows exist",
            Sampler::Weighted(..) => "rows have a positive weight",
        };
        return Err(too_few(options.k as u64, available, what));
    }
    let live = sampler.live();
    let rows = buffer.finish(&live, schema)?;
    let mut row_numbers: Vec<u64> = live.into_iter().collect();
    row_numbers.sort_unstable();
    Ok(ReservoirSample {
        rows,
        row_numbers,
        seen,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Float64Array, Int64Array};
    use arrow_schema::{Field, Schema};

    use super::*;
    use crate::stream::NoProgress;

    fn batches(n: i64, per: i64) -> Vec<RecordBatch> {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("w", DataType::Float64, true),
        ]));
        (0..n)
            .step_by(per as usize)
            .map(|s| {
                let ids: Vec<i64> = (s..(s + per).min(n)).collect();
                let w: Vec<f64> = ids.iter().map(|i| 1.0 + (i % 5) as f64).collect();
                RecordBatch::try_new(
                    schema.clone(),
                    vec![
                        Arc::new(Int64Array::from(ids)),
                        Arc::new(Float64Array::from(w)),
                    ],
                )
                .unwrap()
            })
            .collect()
    }

    fn run(n: i64, per: i64, options: &ReservoirOptions) -> Result<ReservoirSample> {
        let stream: BatchStream = Box::new(batches(n, per).into_iter().map(Ok));
        reservoir_stream(stream, options, &NoProgress)
    }

    #[test]
    fn rows_match_row_numbers_whatever_the_batching() {
        for weight_column in [None, Some("w".to_string())] {
            let options = ReservoirOptions {
                k: 30,
                seed: 5,
                weight_column,
            };
            let a = run(10_000, 10_000, &options).unwrap();
            let b = run(10_000, 37, &options).unwrap();
            assert_eq!(a.row_numbers, b.row_numbers);
            assert_eq!(a.rows, b.rows);
            let ids = a.rows.column(0).as_primitive::<Int64Type>();
            let ids: Vec<u64> = ids.values().iter().map(|&i| i as u64).collect();
            assert_eq!(ids, a.row_numbers);
            assert_eq!(a.seen, 10_000);
        }
    }

    #[test]
    fn errors_name_the_row() {
        let options = ReservoirOptions {
            k: 30,
            seed: 5,
            weight_column: None,
        };
        assert!(run(10, 3, &options)
            .unwrap_err()
            .to_string()
            .contains("only 10 rows exist"));
        assert!(matches!(run(0, 3, &options), Err(Error::EmptyInput { .. })));
        let options = ReservoirOptions {
            k: 3,
            seed: 5,
            weight_column: Some("missing".into()),
        };
        assert!(matches!(
            run(10, 3, &options),
            Err(Error::MissingField { .. })
        ));
        let options = ReservoirOptions {
            k: 3,
            seed: 5,
            weight_column: Some("id".into()),
        };
        let schema = Arc::new(Schema::new(vec![Field::new(
            "id",
            DataType::Float64,
            false,
        )]));
        let bad = RecordBatch::try_new(schema, vec![Arc::new(Float64Array::from(vec![1.0, -3.0]))])
            .unwrap();
        let stream: BatchStream = Box::new(vec![Ok(bad)].into_iter());
        let err = reservoir_stream(stream, &options, &NoProgress)
            .unwrap_err()
            .to_string();
        assert!(err.contains("row 1") && err.contains("negative"), "{err}");
    }
}
