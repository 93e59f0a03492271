//! Log importance weights of documents under a fitted model.

use rayon::prelude::*;

use crate::dsir::DsirModel;
use crate::features::Scratch;
use crate::stream::{for_each_text_batch, BatchStream, Progress};
use crate::text::TextColumn;
use crate::{Error, Result};

/// How a raw log weight (a sum over the document's n-grams) is rescaled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Normalization {
    /// The sum itself, as in the paper and data-selection. Long documents get weights
    /// of large magnitude (e^-120 to e^90 on real data).
    #[default]
    None,
    /// The sum divided by the number of tokens: a per-token log-likelihood ratio that
    /// does not grow with length. Pair it with a low temperature when sampling.
    PerToken,
}

/// Options applied when scoring documents.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeightOptions {
    /// Rescaling of the raw log weight.
    pub normalization: Normalization,
    /// Clamp the (rescaled) log weight into `[low, high]`.
    pub clip: Option<(f64, f64)>,
    /// Documents with fewer tokens are not eligible for selection.
    pub min_length: usize,
}

impl Default for WeightOptions {
    fn default() -> Self {
        WeightOptions {
            normalization: Normalization::None,
            clip: None,
            min_length: 0,
        }
    }
}

impl WeightOptions {
    /// Check the options.
    pub fn validate(&self) -> Result<()> {
        if let Some((low, high)) = self.clip {
            if low.is_nan() || high.is_nan() || low > high {
                return Err(Error::invalid(
                    "clip",
                    format!("needs low <= high, got ({low}, {high})"),
                ));
            }
        }
        Ok(())
    }

    fn finish(&self, sum: f64, tokens: usize) -> f64 {
        let value = match self.normalization {
            Normalization::None => sum,
            Normalization::PerToken => sum / tokens.max(1) as f64,
        };
        match self.clip {
            Some((low, high)) => value.clamp(low, high),
            None => value,
        }
    }
}

/// Log weights of a set of documents.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scores {
    /// Number of targets: `log_weights` holds `num_targets` values per document.
    pub num_targets: usize,
    /// Row-major `[document][target]` log weights.
    pub log_weights: Vec<f64>,
    /// Token count of each document.
    pub tokens: Vec<u32>,
}

impl Scores {
    /// Log weight of document `i` for target `t`.
    pub fn get(&self, i: usize, t: usize) -> f64 {
        self.log_weights[i * self.num_targets + t]
    }

    fn extend(&mut self, other: Scores) {
        self.log_weights.extend(other.log_weights);
        self.tokens.extend(other.tokens);
    }
}

/// Score every document of `text` in parallel; the result is in row order.
pub fn score_column(model: &DsirModel, text: TextColumn<'_>, options: &WeightOptions) -> Scores {
    let targets = model.num_targets();
    let per_doc: Vec<(Vec<f64>, u32)> = (0..text.len())
        .into_par_iter()
        .map_init(Scratch::default, |scratch, i| {
            let mut sums = vec![0.0f64; targets];
            let tokens = model.features.for_each_bucket(text.value(i), scratch, |b| {
                for (sum, diff) in sums.iter_mut().zip(&model.log_diff) {
                    *sum += diff[b as usize];
                }
            });
            for sum in &mut sums {
                *sum = options.finish(*sum, tokens);
            }
            (sums, tokens.min(u32::MAX as usize) as u32)
        })
        .collect();
    let mut scores = Scores {
        num_targets: targets,
        ..Default::default()
    };
    scores.log_weights.reserve(per_doc.len() * targets);
    scores.tokens.reserve(per_doc.len());
    for (sums, tokens) in per_doc {
        scores.log_weights.extend(sums);
        scores.tokens.push(tokens);
    }
    scores
}

/// Score every document of a stream (memory: one f64 per document and target).
pub fn score_stream(
    model: &DsirModel,
    stream: BatchStream,
    column: &str,
    options: &WeightOptions,
    progress: &dyn Progress,
) -> Result<Scores> {
    options.validate()?;
    let mut scores = Scores {
        num_targets: model.num_targets(),
        ..Default::default()
    };
    for_each_text_batch(stream, column, progress, |_, text, _| {
        scores.extend(score_column(model, text, options));
        Ok(true)
    })?;
    Ok(scores)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsir::Smoothing;
    use crate::features::{FeatureConfig, HashScheme};
    use arrow_array::StringArray;

    fn model() -> DsirModel {
        let features = FeatureConfig {
            ngrams: 2,
            buckets: 97,
            hash: HashScheme::Xxh3,
        };
        let mut target = vec![0u64; 97];
        let mut raw = vec![0u64; 97];
        let mut scratch = Scratch::default();
        features.count_into("the cat sat on the mat", &mut scratch, &mut target);
        features.count_into("stock prices fell on monday the", &mut scratch, &mut raw);
        features.count_into("the cat sat on the mat", &mut scratch, &mut raw);
        DsirModel::from_counts(features, Smoothing::DATA_SELECTION, vec![target], raw).unwrap()
    }

    #[test]
    fn weight_is_the_dot_product_with_counts() {
        let model = model();
        let docs = StringArray::from(vec!["the cat sat", "stock prices", ""]);
        let scores = score_column(&model, TextColumn::Utf8(&docs), &WeightOptions::default());
        for (i, doc) in ["the cat sat", "stock prices", ""].iter().enumerate() {
            let mut counts = vec![0u64; 97];
            model
                .features
                .count_into(doc, &mut Scratch::default(), &mut counts);
            let dot: f64 = counts
                .iter()
                .zip(&model.log_diff[0])
                .map(|(&c, d)| c as f64 * d)
                .sum();
            assert!((scores.get(i, 0) - dot).abs() < 1e-9);
        }
        assert_eq!(scores.tokens, [3, 2, 0]);
        assert!(scores.get(0, 0) > scores.get(1, 0));
    }

    #[test]
    fn per_token_normalisation_and_clipping() {
        let model = model();
        let docs = StringArray::from(vec!["the cat sat", "stock prices"]);
        let plain = score_column(&model, TextColumn::Utf8(&docs), &WeightOptions::default());
        let options = WeightOptions {
            normalization: Normalization::PerToken,
            ..Default::default()
        };
        let normalised = score_column(&model, TextColumn::Utf8(&docs), &options);
        assert!((normalised.get(0, 0) - plain.get(0, 0) / 3.0).abs() < 1e-12);
        let options = WeightOptions {
            clip: Some((-1.0, 1.0)),
            ..Default::default()
        };
        let clipped = score_column(&model, TextColumn::Utf8(&docs), &options);
        assert!(clipped.log_weights.iter().all(|w| (-1.0..=1.0).contains(w)));
        let bad = WeightOptions {
            clip: Some((1.0, -1.0)),
            ..Default::default()
        };
        assert!(bad.validate().is_err());
    }
}
