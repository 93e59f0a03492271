//! Counting hashed n-gram features over a corpus: the "fit" of DSIR.

use rayon::prelude::*;

use crate::features::{FeatureConfig, Scratch};
use crate::stream::{for_each_text_batch, BatchStream, Progress};
use crate::text::TextColumn;
use crate::Result;

/// Feature counts of a corpus, with what was seen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Count of each bucket.
    pub counts: Vec<u64>,
    /// Documents counted.
    pub documents: u64,
    /// Tokens counted.
    pub tokens: u64,
    /// N-gram features counted (the sum of `counts`).
    pub features: u64,
}

/// Count the features of every text of `text` in parallel (order-independent sums).
pub fn count_column(config: &FeatureConfig, text: TextColumn<'_>) -> Counts {
    let buckets = config.buckets as usize;
    let identity = || (vec![0u64; buckets], 0u64, Scratch::default());
    let (counts, tokens) = (0..text.len())
        .into_par_iter()
        .fold(identity, |(mut counts, tokens, mut scratch), i| {
            let t = config.count_into(text.value(i), &mut scratch, &mut counts);
            (counts, tokens + t as u64, scratch)
        })
        .map(|(c, t, _)| (c, t))
        .reduce(
            || (vec![0u64; buckets], 0u64),
            |(mut a, ta), (b, tb)| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                (a, ta + tb)
            },
        );
    let features = counts.iter().sum();
    Counts {
        counts,
        documents: text.len() as u64,
        tokens,
        features,
    }
}

/// Count features over a whole stream.
///
/// With `limit`, stop after the first document that takes the number of counted
/// features past `limit` (data-selection's `num_tokens_to_fit`, which counts n-gram
/// features, for one process). The documents before it are always counted whole.
pub fn count_stream(
    config: &FeatureConfig,
    stream: BatchStream,
    column: &str,
    limit: Option<u64>,
    progress: &dyn Progress,
) -> Result<Counts> {
    config.validate()?;
    let mut total = Counts {
        counts: vec![0; config.buckets as usize],
        ..Default::default()
    };
    for_each_text_batch(stream, column, progress, |_, text, _| {
        let batch = count_column(config, text);
        if limit.is_some_and(|l| total.features + batch.features > l) {
            count_prefix(config, text, limit.unwrap_or(u64::MAX), &mut total);
            return Ok(false);
        }
        add(&mut total, &batch);
        Ok(true)
    })?;
    Ok(total)
}

fn add(total: &mut Counts, batch: &Counts) {
    total
        .counts
        .iter_mut()
        .zip(&batch.counts)
        .for_each(|(x, y)| *x += y);
    total.documents += batch.documents;
    total.tokens += batch.tokens;
    total.features += batch.features;
}

/// Count documents one by one until the total passes `limit` (the crossing one included).
fn count_prefix(config: &FeatureConfig, text: TextColumn<'_>, limit: u64, total: &mut Counts) {
    let mut scratch = Scratch::default();
    for i in 0..text.len() {
        let tokens = config.count_into(text.value(i), &mut scratch, &mut total.counts);
        total.documents += 1;
        total.tokens += tokens as u64;
        total.features += config.feature_count(tokens) as u64;
        if total.features > limit {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::NoProgress;
    use arrow_array::{RecordBatch, StringArray};
    use std::sync::Arc;

    pub(crate) fn stream_of(batches: &[&[&str]]) -> BatchStream {
        let batches: Vec<Result<RecordBatch>> = batches
            .iter()
            .map(|texts| {
                let array = Arc::new(StringArray::from(texts.to_vec()));
                Ok(RecordBatch::try_from_iter([("text", array as _)]).unwrap())
            })
            .collect();
        Box::new(batches.into_iter())
    }

    #[test]
    fn counts_every_batch() {
        let config = FeatureConfig {
            buckets: 64,
            ..Default::default()
        };
        let counts = count_stream(
            &config,
            stream_of(&[&["a b c", "d"], &["e f"]]),
            "text",
            None,
            &NoProgress,
        )
        .unwrap();
        assert_eq!(counts.documents, 3);
        assert_eq!(counts.tokens, 6);
        assert_eq!(counts.features, 6 + 2 + 1);
        assert_eq!(counts.counts.iter().sum::<u64>(), 9);
    }

    #[test]
    fn limit_stops_after_the_crossing_document() {
        let config = FeatureConfig {
            buckets: 64,
            ..Default::default()
        };
        // Features per document: "a b" -> 3, "c d" -> 3, "e f" -> 3.
        let counts = count_stream(
            &config,
            stream_of(&[&["a b"], &["c d", "e f", "g h"]]),
            "text",
            Some(4),
            &NoProgress,
        )
        .unwrap();
        assert_eq!(counts.documents, 2);
        assert_eq!(counts.features, 6);
    }
}
