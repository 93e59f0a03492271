//! Samples by token budget: uniform or weighted orders walked until a budget of
//! tokens (the rule of [`crate::tokens`]), of indices or of a corpus's rows.
//!
//! Item `i` gets the key `ln(U_i) / w_i` of the weighted sampler ([`super::weighted`],
//! same seed, same draws), with `w_i = 1` for a uniform sample: the keys in decreasing
//! order are a random order of the items (successive sampling with weights), and the
//! sample is the walk of that order until the budget. A key depends only on the seed
//! and the item's index, so the sample does not depend on threads or batches.

use std::collections::HashSet;

use arrow_array::RecordBatch;
use rayon::prelude::*;

use super::lanes::LaneHash;
use super::streams::KEYED;
use super::weights::{bad_weight, problem, Weight};
use crate::rows::RowBuffer;
use crate::stream::{for_each_batch, BatchStream, Progress};
use crate::tokens::{check_available, take_until_budgets, BudgetTop, DocTokens, Ranked};
use crate::{Error, Result};

/// The ranked items of a keyed order: every item of positive weight, best first.
fn ranked<W: Weight>(weights: Option<&[W]>, tokens: &[u32], seed: u64) -> Result<Vec<Ranked>> {
    if let Some(w) = weights {
        if w.len() != tokens.len() {
            return Err(Error::invalid(
                "token_counts",
                format!("{} token counts for {} weights", tokens.len(), w.len()),
            ));
        }
        if let Some((i, v)) = w
            .iter()
            .enumerate()
            .find(|(_, v)| problem(v.get()).is_some())
        {
            let v = v.get();
            return Err(bad_weight(
                "weights",
                i as u64,
                v,
                problem(v).unwrap_or("bad"),
            ));
        }
    }
    let hash = LaneHash::new(seed, KEYED);
    let mut items: Vec<Ranked> = (0..tokens.len())
        .into_par_iter()
        .with_min_len(4096)
        .filter_map(|i| {
            let w = weights.map_or(1.0, |w| w[i].get());
            (w > 0.0).then(|| Ranked {
                key: hash.uniform(i as u64).ln() / w,
                row: i as u64,
                tokens: tokens[i],
                value: 0.0,
            })
        })
        .collect();
    items.par_sort_unstable_by(Ranked::best_first);
    Ok(items)
}

/// A sample of indices by token budget: items of `tokens` (one count per item) in the
/// keyed order of `weights` (uniform when `None`; items of weight 0 are never drawn),
/// walked until `budget` tokens. With `groups`, item `i` is in group `groups[i]` and
/// each group walks the same order until its own budget `budgets[g]` (a mixture);
/// without, `budgets` holds the one budget. Returns the indices, sorted.
///
/// Errors: lengths differing, bad weights, or a budget larger than the tokens its
/// items hold (the argument named `tokens`).
pub fn keyed_budget<W: Weight>(
    weights: Option<&[W]>,
    tokens: &[u32],
    groups: Option<&[u32]>,
    budgets: &[u64],
    seed: u64,
) -> Result<Vec<u64>> {
    let items = ranked(weights, tokens, seed)?;
    let zeros;
    let groups = match groups {
        Some(g) => g,
        None => {
            if budgets.len() != 1 {
                return Err(Error::invalid(
                    "tokens",
                    "one budget is needed without groups",
                ));
            }
            zeros = vec![0u32; tokens.len()];
            &zeros
        }
    };
    if groups.len() != tokens.len() {
        return Err(Error::invalid(
            "groups",
            format!("{} groups for {} token counts", groups.len(), tokens.len()),
        ));
    }
    let mut available = vec![0u64; budgets.len()];
    for d in &items {
        let g = groups[d.row as usize] as usize;
        let slot = available.get_mut(g).ok_or_else(|| {
            Error::invalid(
                "groups",
                format!("group {g} has no budget ({} budgets)", budgets.len()),
            )
        })?;
        *slot += d.tokens as u64;
    }
    for (g, (&budget, &have)) in budgets.iter().zip(&available).enumerate() {
        let what = if budgets.len() == 1 {
            "the items".to_string()
        } else {
            format!("the items of group {g}")
        };
        check_available("tokens", budget, have, &what)?;
    }
    let order_tokens: Vec<u32> = items.iter().map(|d| d.tokens).collect();
    let order_groups: Vec<u32> = items.iter().map(|d| groups[d.row as usize]).collect();
    let order: Vec<usize> = (0..items.len()).collect();
    let taken = take_until_budgets(&order, &order_tokens, &order_groups, budgets)?;
    let mut out: Vec<u64> = taken.into_iter().map(|p| items[p].row).collect();
    out.sort_unstable();
    Ok(out)
}

/// What a one-pass sample by token budget takes.
#[derive(Clone, Debug)]
pub struct BudgetOptions {
    /// The budget of tokens.
    pub budget: u64,
    /// Seed of the keys.
    pub seed: u64,
    /// A numeric column of sampling weights (uniform when `None`).
    pub weight_column: Option<String>,
    /// Where each row's token count comes from.
    pub tokens: DocTokens,
}

/// The rows of a sample by token budget.
#[derive(Debug)]
pub struct BudgetSample {
    /// The rows, in stream order.
    pub rows: RecordBatch,
    /// Global row number of each row.
    pub row_numbers: Vec<u64>,
    /// Tokens of each row.
    pub tokens: Vec<u32>,
    /// Rows seen in the stream.
    pub seen: u64,
}

/// A sample of the rows of `stream` by token budget in one pass: the rows of
/// [`keyed_budget`] over the stream's rows (the same keys, so the same rows as
/// `keyed_budget` on the column of counts and of weights), holding only the rows
/// within the budget in memory.
pub fn budget_stream(
    stream: BatchStream,
    options: &BudgetOptions,
    progress: &dyn Progress,
) -> Result<BudgetSample> {
    let hash = LaneHash::new(options.seed, KEYED);
    let mut top = BudgetTop::new(options.budget);
    let mut buffer = RowBuffer::default();
    let mut schema = None;
    let seen = for_each_batch(stream, progress, |batch, first_row| {
        schema.get_or_insert_with(|| batch.schema());
        let tokens = options.tokens.counts(batch, first_row)?;
        let weights = match &options.weight_column {
            Some(name) => Some(super::stream::weight_values(batch, name, first_row)?),
            None => None,
        };
        let mut keep = vec![false; tokens.len()];
        for (i, kept) in keep.iter_mut().enumerate() {
            let w = weights.as_ref().map_or(1.0, |w| w[i]);
            if w <= 0.0 {
                continue;
            }
            let row = first_row + i as u64;
            *kept = top.offer(Ranked {
                key: hash.uniform(row).ln() / w,
                row,
                tokens: tokens[i],
                value: 0.0,
            });
        }
        buffer.push(batch, first_row, &keep)?;
        if buffer.len() > 2 * top.len() + 4096 {
            buffer.compact(&top.rows().collect())?;
        }
        Ok(true)
    })?;
    let schema = schema.ok_or_else(|| Error::EmptyInput {
        what: "corpus".into(),
        detail: "it has no row".into(),
    })?;
    check_available("tokens", options.budget, top.offered_tokens(), "the rows")?;
    let mut chosen = top.into_best_first();
    chosen.sort_unstable_by_key(|d| d.row);
    let live: HashSet<u64> = chosen.iter().map(|d| d.row).collect();
    let rows = buffer.finish(&live, schema)?;
    Ok(BudgetSample {
        rows,
        row_numbers: chosen.iter().map(|d| d.row).collect(),
        tokens: chosen.iter().map(|d| d.tokens).collect(),
        seen,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow_array::{Float64Array, UInt32Array};
    use proptest::prelude::*;

    fn batches(tokens: &[u32], weights: &[f64], size: usize) -> BatchStream {
        let out: Vec<Result<RecordBatch>> = tokens
            .chunks(size)
            .zip(weights.chunks(size))
            .map(|(t, w)| {
                Ok(RecordBatch::try_from_iter([
                    ("n", Arc::new(UInt32Array::from(t.to_vec())) as _),
                    ("w", Arc::new(Float64Array::from(w.to_vec())) as _),
                ])
                .unwrap())
            })
            .collect();
        Box::new(out.into_iter())
    }

    #[test]
    fn uniform_is_weighted_with_equal_weights_and_errors_name_tokens() {
        let tokens: Vec<u32> = (0..300).map(|i| i % 13).collect();
        let ones = vec![1.0f64; 300];
        let a = keyed_budget::<f64>(None, &tokens, None, &[500], 9).unwrap();
        let b = keyed_budget(Some(&ones[..]), &tokens, None, &[500], 9).unwrap();
        assert_eq!(a, b);
        let total: u64 = a.iter().map(|&i| tokens[i as usize] as u64).sum();
        assert!(total <= 500 && total > 500 - 13, "{total}");
        let err = keyed_budget::<f64>(None, &tokens, None, &[1_000_000], 9).unwrap_err();
        assert!(err.to_string().contains("invalid tokens"), "{err}");
        let bad = vec![-1.0f64; 300];
        assert!(keyed_budget(Some(&bad[..]), &tokens, None, &[5], 9).is_err());
    }

    #[test]
    fn the_stream_sample_equals_the_index_sample() {
        let tokens: Vec<u32> = (0..2_000u32).map(|i| (i * 7919) % 97).collect();
        let weights: Vec<f64> = (0..2_000).map(|i| (i % 5) as f64).collect();
        let expected = keyed_budget(Some(&weights[..]), &tokens, None, &[20_000], 3).unwrap();
        for size in [1, 77, 2_000] {
            let options = BudgetOptions {
                budget: 20_000,
                seed: 3,
                weight_column: Some("w".into()),
                tokens: DocTokens::Column("n".into()),
            };
            let got = budget_stream(
                batches(&tokens, &weights, size),
                &options,
                &crate::stream::NoProgress,
            )
            .unwrap();
            assert_eq!(got.row_numbers, expected);
            assert_eq!(got.rows.num_rows(), expected.len());
            let t: Vec<u32> = expected.iter().map(|&i| tokens[i as usize]).collect();
            assert_eq!(got.tokens, t);
        }
    }

    #[test]
    fn uniform_budget_samples_include_equal_length_documents_equally() {
        // 40 documents of 10 tokens, budget 100: every sample holds exactly 10, and each
        // document's inclusion frequency over seeds is 1/4.
        let tokens = vec![10u32; 40];
        let trials = 4_000u64;
        let mut hits = vec![0u32; 40];
        for seed in 0..trials {
            let rows = keyed_budget::<f64>(None, &tokens, None, &[100], seed).unwrap();
            assert_eq!(rows.len(), 10);
            for r in rows {
                hits[r as usize] += 1;
            }
        }
        super::super::testing::assert_frequencies(&hits, &[0.25; 40], trials, 3.9);
    }

    proptest! {
        #[test]
        fn group_budgets_hold_within_one_document_and_do_not_depend_on_threads(
            tokens in prop::collection::vec(0u32..40, 1..300),
            budget0 in 0u64..400,
            budget1 in 0u64..400,
            seed in 0u64..1000,
        ) {
            let groups: Vec<u32> = (0..tokens.len() as u32).map(|i| i % 2).collect();
            let have = |g: u32| -> u64 {
                tokens.iter().zip(&groups).filter(|(_, &h)| h == g).map(|(&t, _)| t as u64).sum()
            };
            let budgets = [budget0.min(have(0)), budget1.min(have(1))];
            let run = |threads| {
                rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| {
                    keyed_budget::<f64>(None, &tokens, Some(&groups), &budgets, seed).unwrap()
                })
            };
            let one = run(1);
            prop_assert_eq!(&one, &run(3));
            for g in 0..2u32 {
                let taken: u64 = one.iter().filter(|&&i| groups[i as usize] == g)
                    .map(|&i| tokens[i as usize] as u64).sum();
                let biggest = tokens.iter().zip(&groups).filter(|(_, &h)| h == g)
                    .map(|(&t, _)| t as u64).max().unwrap_or(0);
                prop_assert!(taken <= budgets[g as usize]);
                prop_assert!(taken + biggest >= budgets[g as usize]);
            }
        }
    }
}
