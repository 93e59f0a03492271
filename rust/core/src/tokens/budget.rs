//! Taking documents in a priority order until a budget of tokens (the rule is in the
//! module documentation of [`crate::tokens`]).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use crate::{Error, Result};

/// The walk over `order` (indices into `tokens`, best first): the indices taken, in
/// walk order. The walk takes positions while the total stays at most `budget` and
/// stops at the first position that would exceed it, so the result is a prefix of
/// `order` whose total `T` has `T <= budget` and, unless the whole order fits,
/// `T + tokens[next] > budget` for the position `next` that stopped it.
pub fn take_until_budget(order: &[usize], tokens: &[u32], budget: u64) -> Result<Vec<usize>> {
    let mut total = 0u64;
    let mut taken = Vec::new();
    for &i in order {
        let t = *tokens.get(i).ok_or_else(|| out_of_range(i, tokens.len()))? as u64;
        if total + t > budget {
            break;
        }
        total += t;
        taken.push(i);
    }
    Ok(taken)
}

/// [`take_until_budget`] within groups: position `i` belongs to group `groups[i]`,
/// whose budget is `budgets[groups[i]]`. Each group's walk follows `order` restricted
/// to the group and stops as [`take_until_budget`] does, independently of the other
/// groups (a mixture: each component gets its share of tokens). Returns the indices
/// taken, in walk order.
pub fn take_until_budgets(
    order: &[usize],
    tokens: &[u32],
    groups: &[u32],
    budgets: &[u64],
) -> Result<Vec<usize>> {
    if groups.len() != tokens.len() {
        return Err(Error::invalid(
            "groups",
            format!("{} groups for {} token counts", groups.len(), tokens.len()),
        ));
    }
    let mut used = vec![0u64; budgets.len()];
    let mut open = vec![true; budgets.len()];
    let mut left = budgets.len();
    let mut taken = Vec::new();
    for &i in order {
        if left == 0 {
            break;
        }
        let t = *tokens.get(i).ok_or_else(|| out_of_range(i, tokens.len()))? as u64;
        let g = groups[i] as usize;
        let Some(&budget) = budgets.get(g) else {
            return Err(Error::invalid(
                "groups",
                format!("group {g} has no budget ({} budgets)", budgets.len()),
            ));
        };
        if !open[g] {
            continue;
        }
        if used[g] + t > budget {
            open[g] = false;
            left -= 1;
            continue;
        }
        used[g] += t;
        taken.push(i);
    }
    Ok(taken)
}

fn out_of_range(i: usize, n: usize) -> Error {
    Error::invalid(
        "order",
        format!("position {i} is out of range for {n} token counts"),
    )
}

/// A document with its priority key: a larger key ranks first, equal keys go to the
/// smaller row (so every order is total and independent of arrival order).
#[derive(Clone, Copy, Debug)]
pub struct Ranked {
    /// The priority key (a DSIR key, a sampling key).
    pub key: f64,
    /// Global 0-based row.
    pub row: u64,
    /// The document's tokens.
    pub tokens: u32,
    /// A value carried along, not compared (DSIR's log weight; 0 elsewhere).
    pub value: f64,
}

impl Ranked {
    /// `Greater` when `self` ranks before `other`.
    fn rank(&self, other: &Self) -> Ordering {
        self.key
            .total_cmp(&other.key)
            .then(other.row.cmp(&self.row))
    }

    /// `Less` when `a` ranks before `b`: the comparator that sorts best first.
    pub fn best_first(a: &Ranked, b: &Ranked) -> Ordering {
        b.rank(a)
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.rank(other) == Ordering::Equal
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank(other)
    }
}

/// The walk of [`take_until_budget`] over a stream: holds exactly the documents the
/// walk over every document offered so far, best first, would take.
///
/// The held documents are a prefix of the ranking of those offered; `stopper` is the
/// best document offered but not held, which stopped the walk. A new document ranked
/// below the stopper can never be taken; one ranked above it enters, and the worst
/// held documents leave (each becoming the stopper) until the total fits again. So
/// memory is the documents within the budget, never the corpus, and the result does
/// not depend on the order documents are offered in.
#[derive(Debug)]
pub struct BudgetTop {
    budget: u64,
    total: u64,
    heap: BinaryHeap<Reverse<Ranked>>,
    stopper: Option<Ranked>,
    offered_tokens: u64,
}

impl BudgetTop {
    /// An empty walk with a budget of `budget` tokens.
    pub fn new(budget: u64) -> Self {
        BudgetTop {
            budget,
            total: 0,
            heap: BinaryHeap::new(),
            stopper: None,
            offered_tokens: 0,
        }
    }

    /// Offer a document; returns whether it is held now (it may leave later).
    pub fn offer(&mut self, doc: Ranked) -> bool {
        self.offered_tokens += doc.tokens as u64;
        if matches!(self.stopper, Some(s) if doc < s) {
            return false;
        }
        self.heap.push(Reverse(doc));
        self.total += doc.tokens as u64;
        let mut held = true;
        while self.total > self.budget {
            let Reverse(worst) = self.heap.pop().expect("a total above 0 has a document");
            self.total -= worst.tokens as u64;
            held &= worst.row != doc.row;
            self.stopper = Some(worst);
        }
        held
    }

    /// Rows held now (those a buffer of rows must keep).
    pub fn rows(&self) -> impl Iterator<Item = u64> + '_ {
        self.heap.iter().map(|Reverse(d)| d.row)
    }

    /// Documents held.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no document is held.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Tokens of the documents held.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Tokens of every document offered (held or not).
    pub fn offered_tokens(&self) -> u64 {
        self.offered_tokens
    }

    /// The documents held, best first.
    pub fn into_best_first(self) -> Vec<Ranked> {
        let mut out: Vec<Ranked> = self.heap.into_iter().map(|Reverse(d)| d).collect();
        out.sort_unstable_by(Ranked::best_first);
        out
    }
}

/// The error of a budget larger than the tokens available: `name` is the argument.
pub(crate) fn check_available(name: &str, budget: u64, available: u64, what: &str) -> Result<()> {
    if budget > available {
        return Err(Error::invalid(
            name,
            format!("a budget of {budget} tokens was requested but {what} hold only {available}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_walk_stops_before_the_document_that_would_exceed() {
        let tokens = [5, 3, 4, 0, 2];
        // 5 + 3 = 8 fits in 10, + 4 would not: stop there (the later 0 and 2 are out).
        assert_eq!(
            take_until_budget(&[0, 1, 2, 3, 4], &tokens, 10).unwrap(),
            [0, 1]
        );
        assert_eq!(
            take_until_budget(&[0, 1, 2, 3, 4], &tokens, 12).unwrap(),
            [0, 1, 2, 3]
        );
        assert_eq!(
            take_until_budget(&[0, 1, 2, 3, 4], &tokens, 14).unwrap(),
            [0, 1, 2, 3, 4]
        );
        assert!(take_until_budget(&[4, 0], &tokens, 1).unwrap().is_empty());
        assert!(take_until_budget(&[7], &tokens, 100).is_err());
    }

    #[test]
    fn each_group_stops_on_its_own() {
        let tokens = [4, 4, 1, 4, 1];
        let groups = [0, 1, 0, 1, 0];
        // Group 0 (budget 5): 4, 1 then 1 would exceed; group 1 (budget 8): 4, 4.
        let got = take_until_budgets(&[0, 1, 2, 3, 4], &tokens, &groups, &[5, 8]).unwrap();
        assert_eq!(got, [0, 1, 2, 3]);
        assert!(take_until_budgets(&[1], &tokens, &groups, &[5]).is_err());
        assert!(take_until_budgets(&[0], &tokens, &groups[..2], &[5, 8]).is_err());
    }

    #[test]
    fn a_zero_token_document_below_the_stopper_stays_out() {
        let mut top = BudgetTop::new(10);
        assert!(top.offer(Ranked {
            key: 3.0,
            row: 0,
            tokens: 8,
            value: 0.0
        }));
        assert!(!top.offer(Ranked {
            key: 2.0,
            row: 1,
            tokens: 5,
            value: 0.0
        }));
        assert!(!top.offer(Ranked {
            key: 1.0,
            row: 2,
            tokens: 0,
            value: 0.0
        }));
        let rows: Vec<u64> = top.into_best_first().iter().map(|d| d.row).collect();
        assert_eq!(rows, [0]);
    }

    fn walk(docs: &[Ranked], budget: u64) -> Vec<u64> {
        let mut sorted = docs.to_vec();
        sorted.sort_unstable_by(Ranked::best_first);
        let tokens: Vec<u32> = sorted.iter().map(|d| d.tokens).collect();
        let order: Vec<usize> = (0..sorted.len()).collect();
        take_until_budget(&order, &tokens, budget)
            .unwrap()
            .into_iter()
            .map(|i| sorted[i].row)
            .collect()
    }

    proptest! {
        #[test]
        fn the_stream_walk_equals_the_sorted_walk_in_any_arrival_order(
            docs in prop::collection::vec((0u8..20, 0u32..50), 0..200),
            budget in 0u64..2_000,
            rotate in 0usize..200,
        ) {
            // Small keys force ties, broken by row.
            let docs: Vec<Ranked> = docs
                .iter()
                .enumerate()
                .map(|(row, &(key, tokens))| Ranked { key: key as f64, row: row as u64, tokens, value: 0.0 })
                .collect();
            let expected = walk(&docs, budget);
            let mut arrival = docs.clone();
            if !arrival.is_empty() {
                let r = rotate % arrival.len();
                arrival.rotate_left(r);
                arrival.reverse();
            }
            let mut top = BudgetTop::new(budget);
            for d in &arrival {
                top.offer(*d);
            }
            let got: Vec<u64> = top.into_best_first().iter().map(|d| d.row).collect();
            prop_assert_eq!(&got, &expected);
            // Within one document of the budget: the total fits, and the next
            // document of the ranking (if any) would not.
            let by_row = |r: u64| docs[r as usize].tokens as u64;
            let total: u64 = got.iter().map(|&r| by_row(r)).sum();
            prop_assert!(total <= budget);
            let mut sorted = docs.clone();
            sorted.sort_unstable_by(Ranked::best_first);
            if let Some(next) = sorted.get(got.len()) {
                prop_assert!(total + next.tokens as u64 > budget);
            }
        }
    }
}
