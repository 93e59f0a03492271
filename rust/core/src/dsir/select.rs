//! Streaming selection: the k documents with the largest seeded keys.
//!
//! With [`Method::Gumbel`] the key of document `i` for target `t` is
//! `log_weight / temperature + G(seed, t, i)` with `G` a standard Gumbel draw that
//! depends only on `(seed, t, i)`: the k largest keys are a sample without
//! replacement with probabilities proportional to `exp(log_weight / temperature)`
//! (the Gumbel top-k trick). [`Method::TopK`] uses the log weight itself.
//!
//! One pass, a heap of `K = sum(k)` candidates per target, and the candidates' rows
//! kept in a buffer compacted whenever it exceeds `2K` rows: memory is O(K), never
//! O(corpus). Several targets are resolved in order at the end, each taking its best
//! `k_t` candidates not taken by an earlier target (data-selection's rule); each heap
//! holds `K` candidates so that enough remain whatever earlier targets took.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashSet};

use arrow_array::RecordBatch;

use crate::dsir::weights::{score_column, WeightOptions};
use crate::dsir::DsirModel;
use crate::rng::gumbel;
use crate::rows::RowBuffer;
use crate::stream::{for_each_text_batch, BatchStream, Progress};
use crate::tokens::{BudgetTop, DocTokens, Ranked};
use crate::{Error, Result};

/// How keys are made from log weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Method {
    /// Sample without replacement in proportion to the importance weights.
    #[default]
    Gumbel,
    /// Take the documents with the largest log weights (deterministic).
    TopK,
}

/// What to select and how.
#[derive(Clone, Debug)]
pub struct SelectOptions {
    /// Documents to select for each target (one entry per target of the model).
    pub k: Vec<usize>,
    /// Seed of the Gumbel noise.
    pub seed: u64,
    /// Sampling or plain top-k.
    pub method: Method,
    /// Keys are `log_weight / temperature` (+ noise); 1 is the paper's choice.
    pub temperature: f64,
    /// Weighting and eligibility of documents.
    pub weights: WeightOptions,
    /// Keep every column of the selected rows (`true`) or only the text column.
    pub keep_all_columns: bool,
    /// Budgets in tokens instead of counts of documents (then `k` must be empty).
    pub tokens: Option<TokenBudget>,
}

/// A selection by tokens: each target takes documents best first until its budget
/// (the rule of [`crate::tokens`]).
#[derive(Clone, Debug)]
pub struct TokenBudget {
    /// Tokens to select for each target (one entry per target of the model).
    pub budgets: Vec<u64>,
    /// Where each document's count comes from.
    pub counts: DocTokens,
}

/// One selected document.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Selected {
    /// Global 0-based row index in the stream.
    pub row: u64,
    /// The target it was selected for.
    pub target: u32,
    /// Its log importance weight for that target.
    pub log_weight: f64,
    /// Its key (log weight plus noise).
    pub key: f64,
    /// Its tokens (0 when the selection counted none).
    pub tokens: u32,
}

/// The outcome of a selection.
#[derive(Debug)]
pub struct Selection {
    /// The selected documents in row order.
    pub selected: Vec<Selected>,
    /// Their rows (all columns, or only the text column), in the same order.
    pub rows: RecordBatch,
    /// Documents read.
    pub documents: u64,
    /// Documents eligible (at least `min_length` tokens).
    pub eligible: u64,
}

#[derive(Clone, Copy, Debug)]
struct Candidate {
    key: f64,
    row: u64,
    log_weight: f64,
}

impl Candidate {
    /// Greater is better: larger key, then smaller row (so ties resolve deterministically).
    fn rank(&self, other: &Self) -> Ordering {
        self.key
            .total_cmp(&other.key)
            .then(other.row.cmp(&self.row))
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.rank(other) == Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank(other)
    }
}

/// The best `capacity` candidates seen so far; the worst sits on top of the heap.
struct TopK {
    capacity: usize,
    heap: BinaryHeap<Reverse<Candidate>>,
}

impl TopK {
    fn offer(&mut self, candidate: Candidate) -> bool {
        if self.heap.len() < self.capacity {
            self.heap.push(Reverse(candidate));
            return true;
        }
        match self.heap.peek() {
            Some(Reverse(worst)) if candidate > *worst => {
                self.heap.pop();
                self.heap.push(Reverse(candidate));
                true
            }
            _ => false,
        }
    }
}

/// The candidates of one target: the best `K` documents, or the walk within the
/// total budget of tokens.
enum Heap {
    Count(TopK),
    Tokens(BudgetTop),
}

impl Heap {
    fn offer(&mut self, candidate: Candidate, tokens: u32) -> bool {
        match self {
            Heap::Count(top) => top.offer(candidate),
            Heap::Tokens(top) => top.offer(Ranked {
                key: candidate.key,
                row: candidate.row,
                tokens,
                value: candidate.log_weight,
            }),
        }
    }

    fn len(&self) -> usize {
        match self {
            Heap::Count(top) => top.heap.len(),
            Heap::Tokens(top) => top.len(),
        }
    }

    fn rows(&self) -> Vec<u64> {
        match self {
            Heap::Count(top) => top.heap.iter().map(|Reverse(c)| c.row).collect(),
            Heap::Tokens(top) => top.rows().collect(),
        }
    }

    /// The candidates of target `t`, any order (a `Count` heap counted no token).
    fn into_selected(self, t: u32) -> Vec<Selected> {
        match self {
            Heap::Count(top) => top
                .heap
                .into_iter()
                .map(|Reverse(c)| Selected {
                    row: c.row,
                    target: t,
                    log_weight: c.log_weight,
                    key: c.key,
                    tokens: 0,
                })
                .collect(),
            Heap::Tokens(top) => top
                .into_best_first()
                .into_iter()
                .map(|d| Selected {
                    row: d.row,
                    target: t,
                    log_weight: d.value,
                    key: d.key,
                    tokens: d.tokens,
                })
                .collect(),
        }
    }
}

/// Check `options` against `model`: one count of at least 1 per target, a finite
/// positive temperature and valid weight options (every selection, local or
/// distributed, checks them here).
pub fn check_options(model: &DsirModel, options: &SelectOptions) -> Result<()> {
    if let Some(tokens) = &options.tokens {
        if !options.k.is_empty() {
            return Err(Error::invalid("k", "give either k or tokens, not both"));
        }
        if tokens.budgets.len() != model.num_targets() {
            return Err(Error::invalid(
                "tokens",
                format!(
                    "one budget per target is needed: {} given for {} targets",
                    tokens.budgets.len(),
                    model.num_targets()
                ),
            ));
        }
        if tokens.budgets.contains(&0) {
            return Err(Error::invalid(
                "tokens",
                "must be at least 1 for every target",
            ));
        }
    } else if options.k.len() != model.num_targets() {
        return Err(Error::invalid(
            "k",
            format!(
                "one count per target is needed: {} given for {} targets",
                options.k.len(),
                model.num_targets()
            ),
        ));
    }
    if options.k.contains(&0) {
        return Err(Error::invalid("k", "must be at least 1 for every target"));
    }
    if !(options.temperature.is_finite() && options.temperature > 0.0) {
        return Err(Error::invalid(
            "temperature",
            format!("must be > 0, got {}", options.temperature),
        ));
    }
    options.weights.validate()
}

/// The selection key of document `row` (global 0-based index) for target `t`: the
/// log weight itself ([`Method::TopK`]) or `log_weight / temperature` plus the Gumbel
/// draw of `(seed, t, row)`. A selection is the `k` largest keys (ties: smaller row),
/// so partitions of a corpus can be keyed separately and their best keys merged.
pub fn key(
    method: Method,
    temperature: f64,
    seed: u64,
    t: usize,
    row: u64,
    log_weight: f64,
) -> f64 {
    match method {
        Method::TopK => log_weight,
        Method::Gumbel => log_weight / temperature + gumbel(seed, t as u64, row),
    }
}

/// The selection keys of documents `rows` with log weights `log_weights` for target
/// `t`: [`key`] of each, the per-block step of a distributed selection.
pub fn keys(
    method: Method,
    temperature: f64,
    seed: u64,
    t: usize,
    rows: &[u64],
    log_weights: &[f64],
) -> Result<Vec<f64>> {
    if rows.len() != log_weights.len() {
        return Err(Error::invalid(
            "rows",
            format!("{} rows for {} log weights", rows.len(), log_weights.len()),
        ));
    }
    Ok(rows
        .iter()
        .zip(log_weights)
        .map(|(&row, &w)| key(method, temperature, seed, t, row, w))
        .collect())
}

/// Select documents from `stream` (text in `column`) in one pass.
pub fn select(
    model: &DsirModel,
    stream: BatchStream,
    column: &str,
    options: &SelectOptions,
    progress: &dyn Progress,
) -> Result<Selection> {
    check_options(model, options)?;
    let total_k: usize = options.k.iter().sum();
    let total_budget: u64 = options.tokens.iter().flat_map(|t| &t.budgets).sum();
    let mut heaps: Vec<Heap> = (0..model.num_targets())
        .map(|_| match options.tokens {
            Some(_) => Heap::Tokens(BudgetTop::new(total_budget)),
            None => Heap::Count(TopK {
                capacity: total_k,
                heap: BinaryHeap::new(),
            }),
        })
        .collect();
    let mut buffer = RowBuffer::default();
    let mut eligible = 0u64;
    let mut eligible_tokens = 0u64;
    let mut schema = None;

    let documents = for_each_text_batch(stream, column, progress, |batch, text, first_row| {
        let counts = match &options.tokens {
            Some(budget) => budget.counts.counts(batch, first_row)?,
            None => Vec::new(),
        };
        let batch = if options.keep_all_columns {
            batch.clone()
        } else {
            batch.project(&[batch.schema().index_of(column)?])?
        };
        schema.get_or_insert_with(|| batch.schema());
        let scores = score_column(model, text, &options.weights);
        let mut keep = vec![false; text.len()];
        for (i, kept) in keep.iter_mut().enumerate() {
            if (scores.tokens[i] as usize) < options.weights.min_length {
                continue;
            }
            eligible += 1;
            let tokens = counts.get(i).copied().unwrap_or(0);
            eligible_tokens += tokens as u64;
            let row = first_row + i as u64;
            for (t, heap) in heaps.iter_mut().enumerate() {
                let log_weight = scores.get(i, t);
                let key = key(
                    options.method,
                    options.temperature,
                    options.seed,
                    t,
                    row,
                    log_weight,
                );
                let candidate = Candidate {
                    key,
                    row,
                    log_weight,
                };
                *kept |= heap.offer(candidate, tokens);
            }
        }
        buffer.push(&batch, first_row, &keep)?;
        let held = heaps.iter().map(Heap::len).max().unwrap_or(0);
        if buffer.len() > 2 * held.max(total_k) + 1024 {
            buffer.compact(&live_rows(&heaps))?;
        }
        Ok(true)
    })?;

    let selected = match &options.tokens {
        None => {
            check_eligible(total_k, eligible, documents, options.weights.min_length)?;
            let candidates = heaps
                .into_iter()
                .enumerate()
                .map(|(t, h)| h.into_selected(t as u32))
                .collect();
            resolve_targets(candidates, &options.k)
        }
        Some(budget) => {
            check_eligible(0, eligible, documents, options.weights.min_length)?;
            check_eligible_tokens(
                total_budget,
                eligible_tokens,
                eligible,
                options.weights.min_length,
            )?;
            let candidates = heaps
                .into_iter()
                .enumerate()
                .map(|(t, h)| h.into_selected(t as u32))
                .collect();
            resolve_targets_by_tokens(candidates, &budget.budgets)
        }
    };
    let chosen: HashSet<u64> = selected.iter().map(|s| s.row).collect();
    let rows = buffer.finish(&chosen, schema.expect("a non-empty stream has a schema"))?;
    Ok(Selection {
        selected,
        rows,
        documents,
        eligible,
    })
}

/// The error of a selection by tokens whose budgets add up to `total_budget` when the
/// eligible documents hold `eligible_tokens` tokens.
pub fn check_eligible_tokens(
    total_budget: u64,
    eligible_tokens: u64,
    eligible: u64,
    min_length: usize,
) -> Result<()> {
    if eligible_tokens < total_budget {
        return Err(Error::invalid(
            "tokens",
            format!(
                "a budget of {total_budget} tokens was requested but the {eligible} eligible \
                 documents (at least {min_length} words) hold only {eligible_tokens}"
            ),
        ));
    }
    Ok(())
}

/// Each target in order walks its candidates (`candidates[t]`, any order) best first,
/// skipping rows taken before, and takes them until its budget of tokens (stopping
/// at the first that would exceed it); row order out.
///
/// Each target's candidates are its walk within the *total* budget, so whatever
/// earlier targets took, a target falls short of its budget by less than one
/// document (the one that stopped its walk, or the first beyond its candidates).
pub fn resolve_targets_by_tokens(candidates: Vec<Vec<Selected>>, budgets: &[u64]) -> Vec<Selected> {
    let mut taken = HashSet::new();
    let mut selected = Vec::new();
    for (t, mut best_first) in candidates.into_iter().enumerate() {
        best_first.sort_unstable_by(better);
        let budget = budgets.get(t).copied().unwrap_or(0);
        let mut used = 0u64;
        for c in best_first {
            if taken.contains(&c.row) {
                continue;
            }
            if used + c.tokens as u64 > budget {
                break;
            }
            used += c.tokens as u64;
            taken.insert(c.row);
            selected.push(c);
        }
    }
    selected.sort_by_key(|s| s.row);
    selected
}

fn live_rows(heaps: &[Heap]) -> HashSet<u64> {
    heaps.iter().flat_map(Heap::rows).collect()
}

/// Better first: larger key, then smaller row (the order of every selection).
fn better(a: &Selected, b: &Selected) -> Ordering {
    b.key.total_cmp(&a.key).then(a.row.cmp(&b.row))
}

/// Positions of the best `k` of the candidates `(rows[i], keys[i])`, best first
/// (larger key, then smaller row): what a partition of a corpus keeps of its keys.
pub fn best_candidates(rows: &[u64], keys: &[f64], k: usize) -> Result<Vec<usize>> {
    if rows.len() != keys.len() {
        return Err(Error::invalid(
            "keys",
            format!("{} keys for {} rows", keys.len(), rows.len()),
        ));
    }
    let mut order: Vec<usize> = (0..rows.len()).collect();
    let rank = |&a: &usize, &b: &usize| keys[b].total_cmp(&keys[a]).then(rows[a].cmp(&rows[b]));
    if k < order.len() {
        order.select_nth_unstable_by(k, rank);
        order.truncate(k);
    }
    order.sort_unstable_by(rank);
    Ok(order)
}

/// The error of a selection over `documents` documents of which `eligible` have at
/// least `min_length` tokens, when `total_k` were requested: an empty corpus, or too
/// few eligible documents. Every selection, local or distributed, ends its scan here.
pub fn check_eligible(
    total_k: usize,
    eligible: u64,
    documents: u64,
    min_length: usize,
) -> Result<()> {
    if documents == 0 {
        return Err(Error::EmptyInput {
            what: "raw corpus".into(),
            detail: "it has no document".into(),
        });
    }
    if (eligible as usize) < total_k {
        return Err(Error::invalid(
            "k",
            format!(
                "{total_k} documents requested but only {eligible} of {documents} are eligible \
                 (at least {min_length} tokens)"
            ),
        ));
    }
    Ok(())
}

/// [`resolve_targets`] of candidates given as columns: candidate `i` is row `rows[i]`
/// for target `targets[i]`, with its key and log weight.
pub fn resolve_columns(
    rows: &[u64],
    targets: &[u32],
    keys: &[f64],
    log_weights: &[f64],
    k: &[usize],
) -> Result<Vec<Selected>> {
    let n = rows.len();
    if targets.len() != n || keys.len() != n || log_weights.len() != n {
        return Err(Error::invalid(
            "rows",
            "rows, targets, keys and log_weights must have one entry per candidate",
        ));
    }
    let mut candidates: Vec<Vec<Selected>> = vec![Vec::new(); k.len()];
    for i in 0..n {
        let t = targets[i] as usize;
        let Some(part) = candidates.get_mut(t) else {
            return Err(Error::invalid(
                "targets",
                format!("target {t} has no count ({} targets)", k.len()),
            ));
        };
        part.push(Selected {
            row: rows[i],
            target: targets[i],
            log_weight: log_weights[i],
            key: keys[i],
            tokens: 0,
        });
    }
    Ok(resolve_targets(candidates, k))
}

/// Each target in order takes its best `k[t]` candidates (`candidates[t]`, any
/// order) not taken before; row order out. Local and distributed selections both
/// end here, so several targets resolve the same way.
pub fn resolve_targets(candidates: Vec<Vec<Selected>>, k: &[usize]) -> Vec<Selected> {
    let mut taken = HashSet::new();
    let mut selected = Vec::with_capacity(k.iter().sum());
    for (t, mut best_first) in candidates.into_iter().enumerate() {
        best_first.sort_unstable_by(better);
        let quota = k.get(t).copied().unwrap_or(0);
        let picks = best_first
            .into_iter()
            .filter(|c| !taken.contains(&c.row))
            .take(quota)
            .collect::<Vec<_>>();
        for c in picks {
            taken.insert(c.row);
            selected.push(c);
        }
    }
    selected.sort_by_key(|s| s.row);
    selected
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_few_eligible_documents_name_k_and_an_empty_corpus_is_empty_input() {
        assert!(check_eligible(3, 3, 10, 100).is_ok());
        let err = check_eligible(4, 3, 10, 100).unwrap_err().to_string();
        assert!(err
            .contains("4 documents requested but only 3 of 10 are eligible (at least 100 tokens)"));
        assert!(matches!(
            check_eligible(1, 0, 0, 0),
            Err(Error::EmptyInput { .. })
        ));
    }

    #[test]
    fn resolve_columns_groups_candidates_by_target() {
        let rows = [5u64, 6, 5, 7];
        let targets = [0u32, 0, 1, 1];
        let keys = [2.0, 1.0, 3.0, 0.5];
        let weights = [-1.0, -2.0, -3.0, -4.0];
        let chosen = resolve_columns(&rows, &targets, &keys, &weights, &[1, 1]).unwrap();
        let got: Vec<(u64, u32)> = chosen.iter().map(|s| (s.row, s.target)).collect();
        // Target 0 takes row 5 first, so target 1 falls back to row 7.
        assert_eq!(got, vec![(5, 0), (7, 1)]);
        assert!(resolve_columns(&rows, &targets, &keys, &weights[..3], &[1, 1]).is_err());
        assert!(resolve_columns(&rows, &targets, &keys, &weights, &[1]).is_err());
    }

    #[test]
    fn keys_are_the_key_of_each_row_and_check_lengths() {
        let rows = [3u64, 9, 40];
        let weights = [-1.0, 0.5, 2.0];
        let got = keys(Method::Gumbel, 0.5, 7, 1, &rows, &weights).unwrap();
        for ((&row, &w), &k) in rows.iter().zip(&weights).zip(&got) {
            assert_eq!(k, key(Method::Gumbel, 0.5, 7, 1, row, w));
        }
        assert!(keys(Method::TopK, 1.0, 7, 0, &rows, &weights[..2]).is_err());
    }

    fn candidate(row: u64, target: u32, key: f64) -> Selected {
        Selected {
            row,
            target,
            log_weight: -key,
            key,
            tokens: 0,
        }
    }

    #[test]
    fn best_candidates_rank_by_key_then_row() {
        let rows = [5, 3, 9, 1];
        let keys = [1.0, 2.0, 2.0, 0.5];
        assert_eq!(best_candidates(&rows, &keys, 3).unwrap(), [1, 2, 0]);
        assert_eq!(best_candidates(&rows, &keys, 10).unwrap(), [1, 2, 0, 3]);
        assert!(best_candidates(&rows, &keys[..2], 1).is_err());
    }

    #[test]
    fn later_targets_skip_rows_taken_before() {
        // Row 7 is best for both targets: the first takes it, the second its next best.
        let first = vec![candidate(7, 0, 3.0), candidate(2, 0, 1.0)];
        let second = vec![
            candidate(4, 1, 0.5),
            candidate(7, 1, 9.0),
            candidate(1, 1, 2.0),
        ];
        let out = resolve_targets(vec![first, second], &[1, 2]);
        let got: Vec<(u64, u32)> = out.iter().map(|s| (s.row, s.target)).collect();
        assert_eq!(got, [(1, 1), (4, 1), (7, 0)]);
    }
}
