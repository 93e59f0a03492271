//! The in-memory fastText supervised model and its losses.
//!
//! A document's hidden vector is the mean of the input rows of its features (summed in
//! order, then multiplied by `1 / count` as an `f32`). The output depends on the loss:
//!
//! - softmax: `exp(o - max) / z` over the output rows' dot products;
//! - one-vs-all and negative sampling: each label's sigmoid, read from fastText's
//!   512-entry table over `[-8, 8]`;
//! - hierarchical softmax: a Huffman tree built from the label counts, searched depth
//!   first for the `k` best leaves, pruned by the threshold and the current k-th score.
//!
//! Scores are kept as `ln(p + 1e-5)` (fastText's `std_log`, in `f64` then rounded to
//! `f32`) and reported as `exp` of that, so a probability `p` comes out as about
//! `p + 1e-5`, as the `fasttext` package returns it.

use super::dictionary::Dictionary;
use super::matrix::Matrix;

const SIGMOID_TABLE_SIZE: usize = 512;
const MAX_SIGMOID: f32 = 8.0;

/// fastText's loss functions (the numbers are those of the file format).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossName {
    /// Hierarchical softmax (1).
    HierarchicalSoftmax,
    /// Negative sampling (2).
    NegativeSampling,
    /// Softmax (3).
    Softmax,
    /// One-vs-all, independent sigmoids (4).
    OneVsAll,
}

impl LossName {
    /// The number the file stores.
    pub fn code(self) -> i32 {
        match self {
            LossName::HierarchicalSoftmax => 1,
            LossName::NegativeSampling => 2,
            LossName::Softmax => 3,
            LossName::OneVsAll => 4,
        }
    }

    /// The loss of a stored number.
    pub fn from_code(code: i32) -> Option<Self> {
        Some(match code {
            1 => LossName::HierarchicalSoftmax,
            2 => LossName::NegativeSampling,
            3 => LossName::Softmax,
            4 => LossName::OneVsAll,
            _ => return None,
        })
    }

    /// fastText's name: `hs`, `ns`, `softmax` or `ova`.
    pub fn name(self) -> &'static str {
        match self {
            LossName::HierarchicalSoftmax => "hs",
            LossName::NegativeSampling => "ns",
            LossName::Softmax => "softmax",
            LossName::OneVsAll => "ova",
        }
    }
}

/// fastText's model kinds (only supervised models classify).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelName {
    /// Continuous bag of words (1): word vectors, no labels.
    Cbow,
    /// Skip-gram (2): word vectors, no labels.
    Skipgram,
    /// Supervised classifier (3).
    Supervised,
}

impl ModelName {
    /// The number the file stores.
    pub fn code(self) -> i32 {
        match self {
            ModelName::Cbow => 1,
            ModelName::Skipgram => 2,
            ModelName::Supervised => 3,
        }
    }

    /// The model kind of a stored number.
    pub fn from_code(code: i32) -> Option<Self> {
        Some(match code {
            1 => ModelName::Cbow,
            2 => ModelName::Skipgram,
            3 => ModelName::Supervised,
            _ => return None,
        })
    }

    /// fastText's name: `cbow`, `skipgram` or `supervised`.
    pub fn name(self) -> &'static str {
        match self {
            ModelName::Cbow => "cbow",
            ModelName::Skipgram => "skipgram",
            ModelName::Supervised => "supervised",
        }
    }
}

/// The training arguments a model file stores (fastText's `Args::save`, in order).
#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    /// Dimension of the vectors.
    pub dim: i32,
    /// Context window (unsupervised models).
    pub ws: i32,
    /// Training epochs.
    pub epoch: i32,
    /// Minimal count of a word.
    pub min_count: i32,
    /// Negatives sampled (`ns`).
    pub neg: i32,
    /// Length of word n-grams (1: words alone).
    pub word_ngrams: i32,
    /// The loss.
    pub loss: LossName,
    /// The model kind.
    pub model: ModelName,
    /// Number of hash buckets of the n-grams.
    pub bucket: i32,
    /// Shortest character n-gram (code points).
    pub minn: i32,
    /// Longest character n-gram (0: none).
    pub maxn: i32,
    /// Learning rate update interval.
    pub lr_update_rate: i32,
    /// Sampling threshold.
    pub t: f64,
}

impl Args {
    /// fastText's defaults for `train_supervised` (dim 100, softmax, words only).
    pub fn supervised() -> Self {
        Args {
            dim: 100,
            ws: 5,
            epoch: 5,
            min_count: 1,
            neg: 5,
            word_ngrams: 1,
            loss: LossName::Softmax,
            model: ModelName::Supervised,
            bucket: 0,
            minn: 0,
            maxn: 0,
            lr_update_rate: 100,
            t: 1e-4,
        }
    }
}

/// A node of the hierarchical softmax's Huffman tree.
#[derive(Debug, Clone, Copy)]
struct Node {
    left: i32,
    right: i32,
    count: i64,
}

/// What a loss needs beyond the output matrix.
#[derive(Debug, Clone)]
enum LossState {
    Softmax,
    Sigmoid(Vec<f32>),
    Tree(Vec<Node>),
}

/// A fastText supervised classifier in memory: what a `.bin` / `.ftz` file holds.
#[derive(Debug, Clone)]
pub struct Model {
    args: Args,
    dict: Dictionary,
    input: Matrix,
    output: Matrix,
    loss: LossState,
}

/// fastText's `std_log`: `ln(x + 1e-5)` computed in `f64`, rounded to `f32`.
#[inline]
pub fn std_log(x: f32) -> f32 {
    (x as f64 + 1e-5).ln() as f32
}

/// Reusable buffers of [`Model::predict`].
#[derive(Debug, Default)]
pub struct Work {
    hidden: Vec<f32>,
    output: Vec<f32>,
}

impl Model {
    /// A model from its parts, checked for consistency: a supervised model, matrices of
    /// `args.dim` columns, an input row for every feature and an output row per label.
    pub fn new(
        args: Args,
        dict: Dictionary,
        input: Matrix,
        output: Matrix,
    ) -> Result<Self, String> {
        if args.model != ModelName::Supervised {
            return Err(format!(
                "a {} model (word vectors) is not a classifier; only supervised models predict labels",
                args.model.name()
            ));
        }
        if args.dim <= 0 || input.cols() != args.dim as usize || output.cols() != args.dim as usize
        {
            return Err(format!(
                "matrices of {} and {} columns for dimension {}",
                input.cols(),
                output.cols(),
                args.dim
            ));
        }
        if dict.nlabels() == 0 {
            return Err("the model has no label".into());
        }
        if output.rows() != dict.nlabels() {
            return Err(format!(
                "{} output rows for {} labels",
                output.rows(),
                dict.nlabels()
            ));
        }
        if input.rows() < dict.input_rows_needed() {
            return Err(format!(
                "{} input rows, but the dictionary addresses {}",
                input.rows(),
                dict.input_rows_needed()
            ));
        }
        if output.is_quantized() && !input.is_quantized() {
            return Err("a quantized output matrix with a dense input matrix".into());
        }
        if dict.pruneidx().is_some() && !input.is_quantized() {
            return Err("a pruned dictionary with a dense input matrix".into());
        }
        let loss = match args.loss {
            LossName::Softmax => LossState::Softmax,
            LossName::OneVsAll | LossName::NegativeSampling => LossState::Sigmoid(sigmoid_table()),
            LossName::HierarchicalSoftmax => LossState::Tree(huffman(&dict.label_counts())),
        };
        Ok(Model {
            args,
            dict,
            input,
            output,
            loss,
        })
    }

    /// The stored arguments.
    pub fn args(&self) -> &Args {
        &self.args
    }

    /// The dictionary.
    pub fn dictionary(&self) -> &Dictionary {
        &self.dict
    }

    /// The input matrix (words, then n-gram buckets).
    pub fn input(&self) -> &Matrix {
        &self.input
    }

    /// The output matrix (one row per label).
    pub fn output(&self) -> &Matrix {
        &self.output
    }

    /// The labels, with their prefix, lossily decoded as UTF-8.
    pub fn labels(&self) -> Vec<String> {
        self.dict
            .labels()
            .iter()
            .map(|e| String::from_utf8_lossy(&e.word).into_owned())
            .collect()
    }

    /// Whether the input matrix is product-quantized (an `.ftz` file).
    pub fn is_quantized(&self) -> bool {
        self.input.is_quantized()
    }

    /// The hidden vector of `features` into `work.hidden` (false if there is none).
    fn hidden(&self, features: &[i32], work: &mut Work) -> bool {
        let dim = self.args.dim as usize;
        work.hidden.clear();
        work.hidden.resize(dim, 0.0);
        if features.is_empty() {
            return false;
        }
        for &f in features {
            self.input.add_row(&mut work.hidden, f as usize);
        }
        let scale = (1.0f64 / features.len() as f64) as f32;
        for v in work.hidden.iter_mut() {
            *v *= scale;
        }
        true
    }

    /// The `k` best labels of a document's `features`, best first, as (log-score,
    /// label index) with log-score `std_log(p)`; labels with `p < threshold` are left
    /// out. No features: no labels.
    pub fn predict(
        &self,
        features: &[i32],
        k: usize,
        threshold: f32,
        work: &mut Work,
        out: &mut Vec<(f32, u32)>,
    ) {
        out.clear();
        if k == 0 || !self.hidden(features, work) {
            return;
        }
        let nlabels = self.dict.nlabels();
        match &self.loss {
            LossState::Tree(tree) => {
                let root = 2 * nlabels - 2;
                self.dfs(tree, k, threshold, root, 0.0, &work.hidden, out);
            }
            other => {
                work.output.clear();
                work.output
                    .extend((0..nlabels).map(|i| self.output.dot_row(&work.hidden, i)));
                match other {
                    LossState::Softmax => softmax(&mut work.output),
                    LossState::Sigmoid(table) => {
                        for v in work.output.iter_mut() {
                            *v = sigmoid(table, *v);
                        }
                    }
                    LossState::Tree(_) => unreachable!("handled above"),
                }
                for (i, &p) in work.output.iter().enumerate() {
                    if p < threshold {
                        continue;
                    }
                    let score = std_log(p);
                    if out.len() == k && score < worst(out) {
                        continue;
                    }
                    push_best(out, k, score, i as u32);
                }
            }
        }
        sort_heap(out);
    }

    #[allow(clippy::too_many_arguments)]
    fn dfs(
        &self,
        tree: &[Node],
        k: usize,
        threshold: f32,
        node: usize,
        score: f32,
        hidden: &[f32],
        out: &mut Vec<(f32, u32)>,
    ) {
        if score < std_log(threshold) {
            return;
        }
        if out.len() == k && score < worst(out) {
            return;
        }
        let n = tree[node];
        if n.left == -1 && n.right == -1 {
            push_best(out, k, score, node as u32);
            return;
        }
        let osz = self.dict.nlabels();
        let f = self.output.dot_row(hidden, node - osz);
        let f = (1.0f64 / (1.0f32 + (-f).exp()) as f64) as f32;
        let left = std_log((1.0f64 - f as f64) as f32);
        let right = std_log(f);
        self.dfs(
            tree,
            k,
            threshold,
            n.left as usize,
            score + left,
            hidden,
            out,
        );
        self.dfs(
            tree,
            k,
            threshold,
            n.right as usize,
            score + right,
            hidden,
            out,
        );
    }
}

// The top-k heap, as fastText keeps it: a binary heap under `a.0 > b.0` (its front is
// the lowest score) managed with the algorithms of libstdc++'s `push_heap`, `pop_heap`
// and `sort_heap`, so that labels of equal scores come out in fastText's order.

#[inline]
fn before(a: (f32, u32), b: (f32, u32)) -> bool {
    a.0 > b.0
}

/// The lowest score kept (the heap's front).
#[inline]
fn worst(out: &[(f32, u32)]) -> f32 {
    out[0].0
}

fn sift_up(heap: &mut [(f32, u32)], mut hole: usize, top: usize, value: (f32, u32)) {
    while hole > top {
        let parent = (hole - 1) / 2;
        if !before(heap[parent], value) {
            break;
        }
        heap[hole] = heap[parent];
        hole = parent;
    }
    heap[hole] = value;
}

fn adjust(heap: &mut [(f32, u32)], mut hole: usize, len: usize, value: (f32, u32)) {
    let top = hole;
    let mut child = hole;
    while len >= 2 && child < (len - 1) / 2 {
        child = 2 * (child + 1);
        if before(heap[child], heap[child - 1]) {
            child -= 1;
        }
        heap[hole] = heap[child];
        hole = child;
    }
    if len >= 2 && len % 2 == 0 && child == (len - 2) / 2 {
        child = 2 * (child + 1);
        heap[hole] = heap[child - 1];
        hole = child - 1;
    }
    sift_up(heap, hole, top, value);
}

/// `std::pop_heap` over `heap[..len]`: its front moves to `len - 1`.
fn pop(heap: &mut [(f32, u32)], len: usize) {
    if len > 1 {
        let last = len - 1;
        let value = heap[last];
        heap[last] = heap[0];
        adjust(heap, 0, last, value);
    }
}

/// Add a candidate (`push_heap`), dropping the front once there are more than `k`.
#[inline]
fn push_best(out: &mut Vec<(f32, u32)>, k: usize, score: f32, label: u32) {
    out.push((score, label));
    let n = out.len();
    sift_up(out, n - 1, 0, (score, label));
    if n > k {
        pop(out, n);
        out.pop();
    }
}

/// `std::sort_heap`: best first.
fn sort_heap(out: &mut [(f32, u32)]) {
    let mut len = out.len();
    while len > 1 {
        pop(out, len);
        len -= 1;
    }
}

fn softmax(output: &mut [f32]) {
    let max = output.iter().copied().fold(output[0], f32::max);
    let mut z = 0.0f32;
    for v in output.iter_mut() {
        *v = (*v - max).exp();
        z += *v;
    }
    for v in output.iter_mut() {
        *v /= z;
    }
}

fn sigmoid_table() -> Vec<f32> {
    (0..=SIGMOID_TABLE_SIZE)
        .map(|i| {
            let x = (i as f32 * 2.0 * MAX_SIGMOID) / SIGMOID_TABLE_SIZE as f32 - MAX_SIGMOID;
            (1.0f64 / (1.0f64 + (-x).exp() as f64)) as f32
        })
        .collect()
}

#[inline]
fn sigmoid(table: &[f32], x: f32) -> f32 {
    if x < -MAX_SIGMOID {
        0.0
    } else if x > MAX_SIGMOID {
        1.0
    } else {
        let i = ((x + MAX_SIGMOID) * SIGMOID_TABLE_SIZE as f32 / MAX_SIGMOID / 2.0) as i64;
        table[i as usize]
    }
}

/// fastText's Huffman tree over `counts` (labels sorted by decreasing count): leaves
/// `0..n`, internal nodes `n..2n-1`, the root last.
fn huffman(counts: &[i64]) -> Vec<Node> {
    let osz = counts.len();
    let mut tree = vec![
        Node {
            left: -1,
            right: -1,
            count: 1_000_000_000_000_000,
        };
        2 * osz - 1
    ];
    for (node, &c) in tree.iter_mut().zip(counts) {
        node.count = c;
    }
    let mut leaf = osz as i64 - 1;
    let mut node = osz;
    for i in osz..2 * osz - 1 {
        let mut mini = [0usize; 2];
        for m in mini.iter_mut() {
            if leaf >= 0 && tree[leaf as usize].count < tree[node].count {
                *m = leaf as usize;
                leaf -= 1;
            } else {
                *m = node;
                node += 1;
            }
        }
        tree[i].left = mini[0] as i32;
        tree[i].right = mini[1] as i32;
        tree[i].count = tree[mini[0]].count + tree[mini[1]].count;
    }
    tree
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_table_matches_the_function() {
        let t = sigmoid_table();
        assert_eq!(t.len(), 513);
        assert!((t[256] - 0.5).abs() < 1e-6);
        assert_eq!(sigmoid(&t, -9.0), 0.0);
        assert_eq!(sigmoid(&t, 9.0), 1.0);
        assert!((sigmoid(&t, 2.0) - 1.0 / (1.0 + (-2.0f32).exp())).abs() < 0.01);
    }

    #[test]
    fn huffman_tree_joins_the_rarest_first() {
        let tree = huffman(&[10, 5, 1]);
        assert_eq!(tree.len(), 5);
        // First internal node joins leaves 2 (count 1) and 1 (count 5).
        assert_eq!((tree[3].left, tree[3].right, tree[3].count), (2, 1, 6));
        assert_eq!((tree[4].left, tree[4].right, tree[4].count), (3, 0, 16));
    }

    #[test]
    fn one_label_tree_is_a_leaf() {
        let tree = huffman(&[3]);
        assert_eq!(tree.len(), 1);
        assert_eq!((tree[0].left, tree[0].right), (-1, -1));
    }

    #[test]
    fn the_heap_keeps_the_k_best_sorted() {
        let scores = [0.3f32, -1.0, 2.0, 0.3, 5.0, -2.0, 0.3, 1.0];
        for k in 1..=scores.len() {
            let mut out = Vec::new();
            for (i, &s) in scores.iter().enumerate() {
                if out.len() == k && s < worst(&out) {
                    continue;
                }
                push_best(&mut out, k, s, i as u32);
            }
            sort_heap(&mut out);
            let mut want: Vec<f32> = scores.to_vec();
            want.sort_by(|a, b| b.total_cmp(a));
            let got: Vec<f32> = out.iter().map(|p| p.0).collect();
            assert_eq!(got, want[..k].to_vec());
        }
    }

    #[test]
    fn softmax_sums_to_one() {
        let mut v = vec![1.0, 2.0, 3.0];
        softmax(&mut v);
        assert!((v.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(v[2] > v[1] && v[1] > v[0]);
    }
}
