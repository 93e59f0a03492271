//! Training fastText-style supervised classifiers: a hashed n-gram linear model.
//!
//! The model is fastText's supervised model (Joulin et al., 2017, "Bag of Tricks for
//! Efficient Text Classification"): a document's features are its dictionary words
//! (words seen at least `min_count` times in training), optionally their character
//! n-grams, and its word n-grams hashed into `bucket` rows; its hidden vector is the
//! mean of those rows of the input matrix; the output matrix maps it to one score per
//! label (softmax, or one sigmoid per label for one-vs-all). Training is stochastic
//! gradient descent with fastText's learning rate, decayed linearly from `lr` to 0
//! over all the tokens of all epochs. The result is a [`Model`] that the fastText
//! writer saves as a `.bin` that `fasttext.load_model` reads.
//!
//! Determinism: documents are tokenised, counted and hashed in parallel (rayon, order
//! kept; counts are sums), the input matrix is initialised from counter-based draws
//! (`rng::word(seed, stream, index)`), and SGD runs over the documents in one fixed
//! order per epoch (a Fisher-Yates shuffle driven by counter-based draws). The trained
//! bytes therefore depend on the seed and the data only, never on the thread count.
//! SGD itself is sequential (fastText's Hogwild threads race on the weights, which is
//! exactly what would make results depend on the thread count).

use std::collections::HashMap;

use rayon::prelude::*;

use super::fasttext::dictionary::{Dictionary, Entry, EntryType, Scratch, EOS, LABEL_PREFIX};
use super::fasttext::matrix::{DenseMatrix, Matrix};
use super::fasttext::model::{Args, LossName, Model, ModelName, Work};
use super::fasttext::predict::tokens;
use crate::rng;
use crate::stream::Progress;
use crate::{Error, Result};

const STREAM_HOLDOUT: u64 = 0x7472_6169_6e00_0001;
const STREAM_INIT: u64 = 0x7472_6169_6e00_0002;
const STREAM_ORDER: u64 = 0x7472_6169_6e00_0100;
/// Documents per parallel task while counting and hashing.
const CHUNK: usize = 1024;

/// Hyperparameters of [`train`] (fastText's names and meanings).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// Dimension of the vectors.
    pub dim: usize,
    /// Passes over the training documents.
    pub epochs: usize,
    /// Initial learning rate (decayed linearly to 0).
    pub lr: f64,
    /// Length of the word n-grams (1: words alone).
    pub word_ngrams: usize,
    /// Words seen fewer times are left out of the dictionary.
    pub min_count: u64,
    /// Hash buckets of the n-grams (forced to 0 without word or character n-grams).
    pub bucket: usize,
    /// Shortest character n-gram (code points).
    pub minn: usize,
    /// Longest character n-gram (0: none).
    pub maxn: usize,
    /// `Softmax` or `OneVsAll`.
    pub loss: LossName,
    /// Share of documents held out of training to measure the model (0 <= h < 1).
    pub holdout: f64,
    /// Seed of the split, the initialisation and the order of the documents.
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            dim: 100,
            epochs: 5,
            lr: 0.1,
            word_ngrams: 2,
            min_count: 1,
            bucket: 2_000_000,
            minn: 0,
            maxn: 0,
            loss: LossName::Softmax,
            holdout: 0.1,
            seed: 0,
        }
    }
}

/// A trained model and what was measured on its held-out documents.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The model (labels `__label__<name>`, in fastText's order: by decreasing count).
    pub model: Model,
    /// For each model label, the index of its name in the caller's `names`.
    pub label_names: Vec<usize>,
    /// Indices of the held-out documents, increasing.
    pub holdout_rows: Vec<u64>,
    /// Probabilities of the held-out documents, row-major `holdout_rows.len() x
    /// names.len()`, columns in the caller's name order (as the saved model predicts
    /// them: `exp(ln(p + 1e-5))`; 0 for a document without any known feature).
    pub holdout_scores: Vec<f32>,
    /// Documents trained on, per caller label.
    pub train_counts: Vec<u64>,
    /// Held-out documents, per caller label.
    pub holdout_counts: Vec<u64>,
    /// Held-out one-vs-rest AUC of each caller label (`None` when the held-out part
    /// lacks that label or the others).
    pub auc: Vec<Option<f64>>,
    /// Mean training loss of each epoch (`-ln p(label)` for softmax, the sum of the
    /// binary log losses for one-vs-all).
    pub epoch_loss: Vec<f64>,
    /// Tokens of the training documents (with one `</s>` per document).
    pub ntokens: u64,
}

/// Count the tokens of `docs` (each followed by `</s>`) in parallel.
fn count_words<S: AsRef<str> + Sync>(texts: &[S], docs: &[u32]) -> (HashMap<Vec<u8>, u64>, u64) {
    docs.par_chunks(CHUNK)
        .map(|chunk| {
            let mut counts: HashMap<Vec<u8>, u64> = HashMap::new();
            let mut n = 0u64;
            for &d in chunk {
                for token in tokens(texts[d as usize].as_ref().as_bytes()) {
                    n += 1;
                    if let Some(c) = counts.get_mut(token) {
                        *c += 1;
                    } else {
                        counts.insert(token.to_vec(), 1);
                    }
                }
            }
            (counts, n)
        })
        .reduce(
            || (HashMap::new(), 0),
            |(mut a, na), (b, nb)| {
                let (big, small) = if a.len() >= b.len() {
                    (&mut a, b)
                } else {
                    let mut b = b;
                    std::mem::swap(&mut a, &mut b);
                    (&mut a, b)
                };
                for (k, v) in small {
                    *big.entry(k).or_insert(0) += v;
                }
                (a, na + nb)
            },
        )
}

/// Flattened feature lists: `ids[offsets[i]..offsets[i + 1]]` are document `i`'s.
struct Features {
    offsets: Vec<usize>,
    ids: Vec<i32>,
}

impl Features {
    fn of(&self, i: usize) -> &[i32] {
        &self.ids[self.offsets[i]..self.offsets[i + 1]]
    }
}

fn features<S: AsRef<str> + Sync>(dict: &Dictionary, texts: &[S]) -> Features {
    let parts: Vec<(Vec<usize>, Vec<i32>)> = texts
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut scratch = Scratch::default();
            let mut one = Vec::new();
            let mut lens = Vec::with_capacity(chunk.len());
            let mut ids = Vec::new();
            for t in chunk {
                dict.line_features(tokens(t.as_ref().as_bytes()), &mut one, &mut scratch);
                lens.push(one.len());
                ids.extend_from_slice(&one);
            }
            (lens, ids)
        })
        .collect();
    let total = parts.iter().map(|p| p.1.len()).sum();
    let mut offsets = Vec::with_capacity(texts.len() + 1);
    let mut ids = Vec::with_capacity(total);
    offsets.push(0);
    for (lens, part) in parts {
        for l in lens {
            offsets.push(offsets.last().unwrap() + l);
        }
        ids.extend_from_slice(&part);
    }
    Features { offsets, ids }
}

/// The input matrix: uniform in `[-1/dim, 1/dim]`, element `j` from draw `j`.
fn init_input(rows: usize, dim: usize, seed: u64) -> DenseMatrix {
    let mut data = vec![0f32; rows * dim];
    let scale = 1.0 / dim as f64;
    data.par_chunks_mut(dim.max(1) * 4096)
        .enumerate()
        .for_each(|(c, part)| {
            let base = (c * dim.max(1) * 4096) as u64;
            for (j, v) in part.iter_mut().enumerate() {
                let u = rng::uniform_open(seed, STREAM_INIT, base + j as u64);
                *v = ((2.0 * u - 1.0) * scale) as f32;
            }
        });
    DenseMatrix {
        rows,
        cols: dim,
        data,
    }
}

/// A fixed permutation of `0..n` for epoch `epoch`: Fisher-Yates from counter draws.
fn order(n: usize, seed: u64, epoch: usize) -> Vec<u32> {
    let mut p: Vec<u32> = (0..n as u32).collect();
    for i in (1..n).rev() {
        let j = (rng::word(seed, STREAM_ORDER + epoch as u64, i as u64) % (i as u64 + 1)) as usize;
        p.swap(i, j);
    }
    p
}

#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[inline]
fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

/// One SGD step on one document; returns its loss.
#[allow(clippy::too_many_arguments)]
fn step(
    input: &mut [f32],
    output: &mut [f32],
    dim: usize,
    nlabels: usize,
    feats: &[i32],
    target: usize,
    lr: f32,
    loss: LossName,
    hidden: &mut [f32],
    grad: &mut [f32],
    scores: &mut [f32],
) -> f64 {
    hidden.fill(0.0);
    for &f in feats {
        let f = f as usize;
        axpy(hidden, 1.0, &input[f * dim..(f + 1) * dim]);
    }
    let inv = (1.0f64 / feats.len() as f64) as f32;
    for h in hidden.iter_mut() {
        *h *= inv;
    }
    for (i, s) in scores.iter_mut().enumerate() {
        *s = dot(&output[i * dim..(i + 1) * dim], hidden);
    }
    grad.fill(0.0);
    let mut value = 0.0f64;
    match loss {
        LossName::OneVsAll => {
            for (i, s) in scores.iter_mut().enumerate() {
                let p = 1.0 / (1.0 + (-*s).exp());
                let y = if i == target { 1.0 } else { 0.0 };
                value -= if i == target {
                    (p as f64 + 1e-5).ln()
                } else {
                    (1.0 - p as f64 + 1e-5).ln()
                };
                let alpha = lr * (y - p);
                let row = &mut output[i * dim..(i + 1) * dim];
                axpy(grad, alpha, row);
                axpy(row, alpha, hidden);
            }
        }
        _ => {
            let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut z = 0.0f32;
            for s in scores.iter_mut() {
                *s = (*s - max).exp();
                z += *s;
            }
            for s in scores.iter_mut() {
                *s /= z;
            }
            value = -(scores[target] as f64 + 1e-5).ln();
            for i in 0..nlabels {
                let y = if i == target { 1.0 } else { 0.0 };
                let alpha = lr * (y - scores[i]);
                let row = &mut output[i * dim..(i + 1) * dim];
                axpy(grad, alpha, row);
                axpy(row, alpha, hidden);
            }
        }
    }
    for g in grad.iter_mut() {
        *g *= inv;
    }
    for &f in feats {
        let f = f as usize;
        axpy(&mut input[f * dim..(f + 1) * dim], 1.0, grad);
    }
    value
}

fn check(options: &TrainOptions, names: &[String]) -> Result<()> {
    if options.dim == 0 || options.dim > 100_000 {
        return Err(Error::invalid(
            "dim",
            format!("must be in 1..=100000, got {}", options.dim),
        ));
    }
    if options.epochs == 0 {
        return Err(Error::invalid("epochs", "must be at least 1"));
    }
    if !(options.lr.is_finite() && options.lr > 0.0) {
        return Err(Error::invalid(
            "lr",
            format!("must be positive, got {}", options.lr),
        ));
    }
    if options.word_ngrams == 0 {
        return Err(Error::invalid("word_ngrams", "must be at least 1"));
    }
    if options.maxn > 0 && (options.minn == 0 || options.minn > options.maxn) {
        return Err(Error::invalid(
            "minn",
            format!(
                "must be in 1..=maxn ({}), got {}",
                options.maxn, options.minn
            ),
        ));
    }
    if options.bucket > i32::MAX as usize {
        return Err(Error::invalid("bucket", "must fit in a 32-bit integer"));
    }
    if !(0.0..1.0).contains(&options.holdout) {
        return Err(Error::invalid(
            "holdout",
            format!("must be in [0, 1), got {}", options.holdout),
        ));
    }
    if !matches!(options.loss, LossName::Softmax | LossName::OneVsAll) {
        return Err(Error::invalid("loss", "must be softmax or ova"));
    }
    if names.len() < 2 {
        return Err(Error::invalid(
            "labels",
            format!("a classifier needs at least 2 labels, got {}", names.len()),
        ));
    }
    for (i, n) in names.iter().enumerate() {
        if n.is_empty()
            || n.bytes()
                .any(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t' | 0x0B | 0x0C | 0))
        {
            return Err(Error::invalid(
                "labels",
                format!("label {n:?} must be non-empty and hold no whitespace"),
            ));
        }
        if names[..i].contains(n) {
            return Err(Error::invalid(
                "labels",
                format!("label {n:?} is given twice"),
            ));
        }
    }
    Ok(())
}

/// Train a classifier of `texts` with labels `labels` (indices into `names`).
///
/// Newlines in a text are read as spaces (the document is one example). Documents
/// are held out with probability `options.holdout` by counter-based draws of the
/// seed; the held-out part is predicted by the trained model to measure its AUC.
///
/// # Errors
/// `InvalidParameter` for bad options, labels out of range or fewer than 2 names;
/// `EmptyInput` if a label has no training document or the training documents hold no
/// word seen `min_count` times; `Interrupted` through `progress`.
pub fn train<S: AsRef<str> + Sync>(
    texts: &[S],
    labels: &[u32],
    names: &[String],
    options: &TrainOptions,
    progress: &dyn Progress,
) -> Result<Trained> {
    check(options, names)?;
    if texts.len() != labels.len() {
        return Err(Error::invalid(
            "labels",
            format!("{} labels for {} texts", labels.len(), texts.len()),
        ));
    }
    if let Some(bad) = labels.iter().find(|&&l| l as usize >= names.len()) {
        return Err(Error::invalid(
            "labels",
            format!("label index {bad} for {} names", names.len()),
        ));
    }
    let nlabels = names.len();
    let held: Vec<bool> = (0..texts.len())
        .into_par_iter()
        .map(|i| {
            options.holdout > 0.0
                && rng::uniform_open(options.seed, STREAM_HOLDOUT, i as u64) < options.holdout
        })
        .collect();
    let train_docs: Vec<u32> = (0..texts.len() as u32)
        .filter(|&i| !held[i as usize])
        .collect();
    let holdout_rows: Vec<u64> = (0..texts.len() as u64)
        .filter(|&i| held[i as usize])
        .collect();
    let mut train_counts = vec![0u64; nlabels];
    let mut holdout_counts = vec![0u64; nlabels];
    for (i, &l) in labels.iter().enumerate() {
        if held[i] {
            holdout_counts[l as usize] += 1;
        } else {
            train_counts[l as usize] += 1;
        }
    }
    if let Some(empty) = train_counts.iter().position(|&c| c == 0) {
        return Err(Error::EmptyInput {
            what: format!("documents of label {:?}", names[empty]),
            detail: format!(
                "no training document has this label ({} held out); every label needs one",
                holdout_counts[empty]
            ),
        });
    }

    // Dictionary of the training documents: words by decreasing count, then labels.
    let (counts, ntokens) = count_words(texts, &train_docs);
    let mut words: Vec<(Vec<u8>, u64)> = counts
        .into_iter()
        .filter(|(w, c)| *c >= options.min_count.max(1) && !w.starts_with(LABEL_PREFIX))
        .collect();
    words.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if words.iter().all(|(w, _)| w == EOS) && options.bucket == 0 {
        return Err(Error::EmptyInput {
            what: "training documents".into(),
            detail: format!(
                "no word is seen at least min_count = {} times",
                options.min_count
            ),
        });
    }
    let mut label_order: Vec<usize> = (0..nlabels).collect();
    label_order.sort_by(|&a, &b| train_counts[b].cmp(&train_counts[a]).then(a.cmp(&b)));
    let mut model_label = vec![0usize; nlabels];
    for (m, &c) in label_order.iter().enumerate() {
        model_label[c] = m;
    }
    let mut entries: Vec<Entry> = words
        .into_iter()
        .map(|(word, count)| Entry {
            word,
            count: count as i64,
            kind: EntryType::Word,
        })
        .collect();
    let nwords = entries.len();
    entries.extend(label_order.iter().map(|&c| Entry {
        word: [LABEL_PREFIX, names[c].as_bytes()].concat(),
        count: train_counts[c] as i64,
        kind: EntryType::Label,
    }));
    let bucket = if options.word_ngrams <= 1 && options.maxn == 0 {
        0
    } else {
        options.bucket
    };
    let ntokens_with_labels = ntokens + train_docs.len() as u64;
    let dict = Dictionary::new(
        entries,
        ntokens_with_labels as i64,
        None,
        options.minn,
        options.maxn,
        bucket as u32,
        options.word_ngrams,
    )
    .map_err(Error::Internal)?;
    let feats = features(&dict, texts);
    progress.advance(0, 0)?;

    // SGD.
    let dim = options.dim;
    let mut input = init_input(nwords + bucket, dim, options.seed);
    let mut output = vec![0f32; nlabels * dim];
    let mut hidden = vec![0f32; dim];
    let mut grad = vec![0f32; dim];
    let mut scores = vec![0f32; nlabels];
    let doc_tokens: Vec<u64> = train_docs
        .par_iter()
        .map(|&d| tokens(texts[d as usize].as_ref().as_bytes()).count() as u64 + 1)
        .collect();
    let total = (options.epochs as f64) * ntokens_with_labels as f64;
    let mut seen = 0u64;
    let mut epoch_loss = Vec::with_capacity(options.epochs);
    for epoch in 0..options.epochs {
        let mut sum = 0.0f64;
        let mut n = 0u64;
        for (k, &j) in order(train_docs.len(), options.seed, epoch)
            .iter()
            .enumerate()
        {
            let d = train_docs[j as usize] as usize;
            let progress_share = (seen as f64 / total).min(1.0);
            let lr = (options.lr * (1.0 - progress_share)) as f32;
            seen += doc_tokens[j as usize];
            let f = feats.of(d);
            if f.is_empty() {
                continue;
            }
            sum += step(
                &mut input.data,
                &mut output,
                dim,
                nlabels,
                f,
                model_label[labels[d] as usize],
                lr,
                options.loss,
                &mut hidden,
                &mut grad,
                &mut scores,
            );
            n += 1;
            if k % 65_536 == 65_535 {
                progress.advance(0, 0)?;
            }
        }
        epoch_loss.push(if n > 0 { sum / n as f64 } else { 0.0 });
        progress.advance(0, 0)?;
    }

    let mut args = Args::supervised();
    args.dim = dim as i32;
    args.epoch = options.epochs as i32;
    args.min_count = options.min_count.min(i32::MAX as u64) as i32;
    args.word_ngrams = options.word_ngrams as i32;
    args.loss = options.loss;
    args.model = ModelName::Supervised;
    args.bucket = bucket as i32;
    args.minn = options.minn as i32;
    args.maxn = options.maxn as i32;
    let model = Model::new(
        args,
        dict,
        Matrix::Dense(input),
        Matrix::Dense(DenseMatrix {
            rows: nlabels,
            cols: dim,
            data: output,
        }),
    )
    .map_err(Error::Internal)?;

    // The held-out documents, as the saved model predicts them.
    let holdout_scores: Vec<f32> = holdout_rows
        .par_iter()
        .with_min_len(64)
        .map_init(
            || (Work::default(), Vec::new()),
            |(work, out), &r| {
                let mut row = vec![0f32; nlabels];
                model.predict(feats.of(r as usize), nlabels, 0.0, work, out);
                for &(score, label) in out.iter() {
                    row[label_order[label as usize]] = score.exp();
                }
                row
            },
        )
        .flatten_iter()
        .collect();
    let auc = (0..nlabels)
        .map(|c| {
            let s: Vec<f64> = (0..holdout_rows.len())
                .map(|i| holdout_scores[i * nlabels + c] as f64)
                .collect();
            let y: Vec<bool> = holdout_rows
                .iter()
                .map(|&r| labels[r as usize] as usize == c)
                .collect();
            roc_auc(&s, &y)
        })
        .collect();
    Ok(Trained {
        model,
        label_names: label_order,
        holdout_rows,
        holdout_scores,
        train_counts,
        holdout_counts,
        auc,
        epoch_loss,
        ntokens: ntokens_with_labels,
    })
}

/// The area under the ROC curve of `scores` for the `positive` items, computed exactly
/// as the Mann-Whitney statistic with mid-ranks (a tie between a positive and a
/// negative counts one half). `None` without positives or without negatives, or if a
/// score is NaN.
pub fn roc_auc(scores: &[f64], positive: &[bool]) -> Option<f64> {
    assert_eq!(scores.len(), positive.len(), "one label per score");
    if scores.iter().any(|s| s.is_nan()) {
        return None;
    }
    let npos = positive.iter().filter(|&&p| p).count();
    let nneg = positive.len() - npos;
    if npos == 0 || nneg == 0 {
        return None;
    }
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_unstable_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Count, over tie groups in increasing order, the pairs (negative below positive):
    // an exact integer count (ties doubled) so the result has a single rounding.
    let mut neg_below: u64 = 0;
    let mut twice: u128 = 0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j < idx.len() && scores[idx[j]] == scores[idx[i]] {
            j += 1;
        }
        let (mut p, mut n) = (0u64, 0u64);
        for &k in &idx[i..j] {
            if positive[k] {
                p += 1;
            } else {
                n += 1;
            }
        }
        twice += 2 * p as u128 * neg_below as u128 + p as u128 * n as u128;
        neg_below += n;
        i = j;
    }
    Some(twice as f64 / (2.0 * npos as f64 * nneg as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::fasttext::{format, predict_texts, Newlines, PredictOptions};
    use crate::stream::NoProgress;
    use proptest::prelude::*;

    fn corpus(n: usize) -> (Vec<String>, Vec<u32>) {
        let pos = [
            "select from table where index",
            "create table insert rows",
            "vacuum analyze query plan",
        ];
        let neg = [
            "the cat sat on the mat",
            "a dog ran in the park",
            "birds sing in the morning",
        ];
        let mut texts = Vec::new();
        let mut labels = Vec::new();
        for i in 0..n {
            let (pool, l) = if i % 2 == 0 { (&pos, 0) } else { (&neg, 1) };
            texts.push(format!("{} {} w{}", pool[i % 3], pool[(i / 3) % 3], i % 7));
            labels.push(l);
        }
        (texts, labels)
    }

    fn names() -> Vec<String> {
        vec!["positive".into(), "negative".into()]
    }

    fn small() -> TrainOptions {
        TrainOptions {
            dim: 8,
            epochs: 5,
            bucket: 1000,
            holdout: 0.25,
            ..TrainOptions::default()
        }
    }

    #[test]
    fn separable_task_is_learned() {
        let (t, l) = corpus(400);
        let out = train(&t, &l, &names(), &small(), &NoProgress).unwrap();
        assert_eq!(out.auc[0], Some(1.0));
        assert!(out.epoch_loss.last().unwrap() < &out.epoch_loss[0]);
        assert_eq!(
            out.holdout_counts.iter().sum::<u64>() as usize,
            out.holdout_rows.len()
        );
        let opts = PredictOptions {
            k: 1,
            threshold: 0.0,
            newlines: Newlines::Space,
        };
        let p = predict_texts(&out.model, &["vacuum analyze query plan"], &opts).unwrap();
        assert_eq!(
            out.model.labels()[p.labels[0] as usize],
            "__label__positive"
        );
    }

    #[test]
    fn ova_loss_trains_too() {
        let (t, l) = corpus(300);
        let o = TrainOptions {
            loss: LossName::OneVsAll,
            ..small()
        };
        let out = train(&t, &l, &names(), &o, &NoProgress).unwrap();
        assert!(out.auc[0].unwrap() > 0.95);
    }

    #[test]
    fn saved_model_reads_back_identically() {
        let (t, l) = corpus(200);
        let out = train(&t, &l, &names(), &small(), &NoProgress).unwrap();
        let bytes = format::to_bytes(&out.model);
        let back = format::from_bytes(&bytes, std::path::Path::new("<m>")).unwrap();
        assert_eq!(format::to_bytes(&back), bytes);
    }

    #[test]
    fn bad_input_is_refused() {
        let (t, _) = corpus(20);
        let ones = vec![0u32; 20];
        let e = train(&t, &ones, &names(), &small(), &NoProgress).unwrap_err();
        assert!(matches!(e, Error::EmptyInput { .. }), "{e}");
        let e = train(&t, &ones, &names()[..1], &small(), &NoProgress).unwrap_err();
        assert!(matches!(e, Error::InvalidParameter { .. }), "{e}");
        let bad = vec![5u32; 20];
        assert!(train(&t, &bad, &names(), &small(), &NoProgress).is_err());
        let o = TrainOptions {
            holdout: 1.0,
            ..small()
        };
        assert!(train(&t, &ones, &names(), &o, &NoProgress).is_err());
    }

    #[test]
    fn auc_handles_ties_exactly() {
        assert_eq!(
            roc_auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]),
            Some(0.75)
        );
        assert_eq!(roc_auc(&[0.5, 0.5], &[false, true]), Some(0.5));
        assert_eq!(roc_auc(&[0.5, 0.5, 0.7], &[true, false, true]), Some(0.75));
        assert_eq!(roc_auc(&[0.5], &[true]), None);
        assert_eq!(roc_auc(&[f64::NAN, 1.0], &[true, false]), None);
    }

    fn brute_auc(s: &[f64], y: &[bool]) -> f64 {
        let mut num = 0.0;
        let mut den = 0.0;
        for i in 0..s.len() {
            for j in 0..s.len() {
                if y[i] && !y[j] {
                    den += 1.0;
                    num += if s[i] > s[j] {
                        1.0
                    } else if s[i] == s[j] {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
        }
        num / den
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn auc_matches_pair_count(v in proptest::collection::vec((0u8..6, any::<bool>()), 2..60)) {
            let s: Vec<f64> = v.iter().map(|p| p.0 as f64).collect();
            let y: Vec<bool> = v.iter().map(|p| p.1).collect();
            match roc_auc(&s, &y) {
                None => prop_assert!(y.iter().all(|&b| b) || y.iter().all(|&b| !b)),
                Some(a) => prop_assert!((a - brute_auc(&s, &y)).abs() < 1e-12),
            }
        }

        #[test]
        fn same_bytes_at_one_and_four_threads(seed in 0u64..1000, n in 40usize..2600) {
            let (t, l) = corpus(n);
            let o = TrainOptions { seed, ..small() };
            let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
            let four = rayon::ThreadPoolBuilder::new().num_threads(4).build().unwrap();
            let a = one.install(|| train(&t, &l, &names(), &o, &NoProgress)).unwrap();
            let b = four.install(|| train(&t, &l, &names(), &o, &NoProgress)).unwrap();
            prop_assert_eq!(format::to_bytes(&a.model), format::to_bytes(&b.model));
            prop_assert_eq!(a.holdout_scores, b.holdout_scores);
        }
    }
}
