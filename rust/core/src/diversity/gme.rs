//! Greedy Maximum Entropy (GME) sampling of items described by categorical columns.
//!
//! Input: rows `(item, v_1, ..., v_N)`. For a selected set `S`, `P_S(e)` in column `j`
//! is the share of the rows of `S` whose `v_j` is `e` (with `binarised`, each distinct
//! `(item, e)` counts once) and `H_S(V_j) = -sum_e P ln P`. Each step adds the item `d`
//! that minimises the Euclidean distance from `(H_{S+d}(V_1), ..., H_{S+d}(V_N))` to the
//! utopian point `(ln|V_1|, ..., ln|V_N|)` (`|V_j|`: distinct values of column `j` in
//! the whole input), or that maximises `sum_j H_{S+d}(V_j)`. Scores are compared after
//! rounding to 5 decimals (as Python's `round(x, 5)`); ties go to the smallest item
//! code (items are coded in their sort order).
//!
//! Incremental: with counts `c_e`, total `T` and `A = sum_e c_e ln c_e`, the entropy
//! is `ln T - A / T`, and adding `d` changes only the terms of `d`'s values, so a
//! candidate costs O(its rows) with table lookups for `c ln c` and `ln T`. Candidates
//! are scored in parallel; the arg-min is a minimum of `(key, item)`, the same for
//! any thread count.

use std::collections::HashSet;

use rayon::prelude::*;

use crate::stream::Progress;
use crate::{rng, Error, Result};

/// What a GME step optimises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selector {
    /// Minimise the distance to the utopian point `(ln|V_1|, ..., ln|V_N|)`.
    Dutopia,
    /// Maximise the sum of the entropies.
    Sum,
}

/// Options of [`rank`].
#[derive(Clone, Debug)]
pub struct GmeOptions {
    /// The objective.
    pub selector: Selector,
    /// Count each distinct `(item, value)` once.
    pub binarised: bool,
    /// Number of items to rank (capped at the number of items).
    pub n: usize,
    /// Score only a random sample of this many candidates per step.
    pub approx: Option<usize>,
    /// Seed of `approx`'s samples.
    pub seed: u64,
}

/// Rows coded as integers: `items[r] < n_items`, `columns[j][r] < n_values[j]`.
#[derive(Clone, Debug)]
pub struct GmeInput<'a> {
    /// Item code of each row (codes follow the items' sort order).
    pub items: &'a [u32],
    /// Number of distinct items.
    pub n_items: usize,
    /// Value code of each row, per column.
    pub columns: Vec<&'a [u32]>,
    /// Number of distinct values of each column.
    pub n_values: Vec<usize>,
}

/// The ranking.
#[derive(Clone, Debug)]
pub struct GmeRanking {
    /// Item codes in the order chosen.
    pub order: Vec<u32>,
    /// Entropy of each column after each step, `steps x columns` row-major.
    pub entropies: Vec<f64>,
    /// The objective after each step (distance to utopia, or the sum of entropies).
    pub scores: Vec<f64>,
}

/// One column's values of every item, compressed: item `i`'s distinct values are
/// `values[offsets[i]..offsets[i + 1]]` with their multiplicities.
struct ItemValues {
    offsets: Vec<usize>,
    values: Vec<u32>,
    mults: Vec<u32>,
}

impl ItemValues {
    fn build(items: &[u32], n_items: usize, column: &[u32], binarised: bool) -> ItemValues {
        let mut pairs: Vec<(u32, u32)> =
            items.iter().copied().zip(column.iter().copied()).collect();
        pairs.par_sort_unstable();
        let mut offsets = vec![0usize; n_items + 1];
        let (mut values, mut mults) = (Vec::new(), Vec::<u32>::new());
        let mut last: Option<(u32, u32)> = None;
        for &p in &pairs {
            if last == Some(p) {
                if !binarised {
                    *mults.last_mut().expect("a previous pair") += 1;
                }
            } else {
                values.push(p.1);
                mults.push(1);
                offsets[p.0 as usize + 1] += 1;
                last = Some(p);
            }
        }
        for i in 0..n_items {
            offsets[i + 1] += offsets[i];
        }
        ItemValues {
            offsets,
            values,
            mults,
        }
    }
}

/// `c ln c` and `ln c` for small integers, computed once.
struct Tables {
    c_ln_c: Vec<f64>,
    ln: Vec<f64>,
}

impl Tables {
    fn new(max: usize) -> Tables {
        let ln: Vec<f64> = (0..=max).map(|c| (c as f64).ln()).collect();
        let c_ln_c = (0..=max)
            .map(|c| if c == 0 { 0.0 } else { c as f64 * ln[c] })
            .collect();
        Tables { c_ln_c, ln }
    }

    #[inline]
    fn c_ln_c(&self, c: u64) -> f64 {
        match self.c_ln_c.get(c as usize) {
            Some(&v) => v,
            None => c as f64 * (c as f64).ln(),
        }
    }

    #[inline]
    fn ln(&self, c: u64) -> f64 {
        match self.ln.get(c as usize) {
            Some(&v) => v,
            None => (c as f64).ln(),
        }
    }
}

/// Running counts of one column over the selected items.
struct ColumnState {
    counts: Vec<u64>,
    total: u64,
    sum_c_ln_c: f64,
}

impl ColumnState {
    fn entropy(total: u64, sum_c_ln_c: f64, tables: &Tables) -> f64 {
        if total == 0 {
            0.0
        } else {
            (tables.ln(total) - sum_c_ln_c / total as f64).max(0.0)
        }
    }

    /// `(total, sum c ln c)` after adding item `i`'s values, without changing state.
    #[inline]
    fn with_item(&self, iv: &ItemValues, i: usize, tables: &Tables) -> (u64, f64) {
        let (mut total, mut a) = (self.total, self.sum_c_ln_c);
        for p in iv.offsets[i]..iv.offsets[i + 1] {
            let c = self.counts[iv.values[p] as usize];
            let m = iv.mults[p] as u64;
            a += tables.c_ln_c(c + m) - tables.c_ln_c(c);
            total += m;
        }
        (total, a)
    }

    fn add(&mut self, iv: &ItemValues, i: usize, tables: &Tables) {
        let (total, a) = self.with_item(iv, i, tables);
        for p in iv.offsets[i]..iv.offsets[i + 1] {
            self.counts[iv.values[p] as usize] += iv.mults[p] as u64;
        }
        self.total = total;
        self.sum_c_ln_c = a;
    }
}

/// `round(x, 5)` as Python computes it (exact decimal value, ties to even), as an
/// integer number of 1e-5 units.
pub fn round5_key(x: f64) -> i64 {
    let q = x * 1e5;
    let near_half = ((q - q.floor()) - 0.5).abs() < 1e-6;
    if q.abs() < 1e9 && !near_half {
        return q.round() as i64;
    }
    // Rust formats the exact binary value, rounding ties to even, as Python does.
    let text = format!("{x:.5}").replace('.', "");
    text.parse().unwrap_or(q.round() as i64)
}

/// Rank up to `options.n` items greedily.
pub fn rank(input: &GmeInput, options: &GmeOptions, progress: &dyn Progress) -> Result<GmeRanking> {
    let rows = input.items.len();
    if rows == 0 || input.n_items == 0 {
        return Err(Error::EmptyInput {
            what: "table".into(),
            detail: "no rows to rank".into(),
        });
    }
    let ncols = input.columns.len();
    if ncols == 0 {
        return Err(Error::invalid("on", "give at least one column"));
    }
    if input.columns.iter().any(|c| c.len() != rows) || input.n_values.len() != ncols {
        return Err(Error::invalid(
            "on",
            "every column must have one value per row",
        ));
    }
    if input.items.iter().any(|&i| i as usize >= input.n_items) {
        return Err(Error::invalid("item", "item code out of range"));
    }
    for (j, c) in input.columns.iter().enumerate() {
        if c.iter().any(|&v| v as usize >= input.n_values[j]) {
            return Err(Error::invalid(
                "on",
                format!("value code out of range in column {j}"),
            ));
        }
    }
    if options.n == 0 {
        return Err(Error::invalid("n", "must be at least 1"));
    }
    if options.approx == Some(0) {
        return Err(Error::invalid("approx", "must be at least 1"));
    }
    let per_column: Vec<ItemValues> = input
        .columns
        .par_iter()
        .map(|c| ItemValues::build(input.items, input.n_items, c, options.binarised))
        .collect();
    let tables = Tables::new(rows.min(1 << 22));
    let utopia: Vec<f64> = input.n_values.iter().map(|&v| (v as f64).ln()).collect();
    let mut state: Vec<ColumnState> = input
        .n_values
        .iter()
        .map(|&v| ColumnState {
            counts: vec![0; v],
            total: 0,
            sum_c_ln_c: 0.0,
        })
        .collect();

    // The objective of adding item i, as a key to minimise.
    let score = |state: &[ColumnState], i: usize| -> (f64, i64) {
        let mut acc = 0f64;
        for (j, col) in state.iter().enumerate() {
            let (t, a) = col.with_item(&per_column[j], i, &tables);
            let h = ColumnState::entropy(t, a, &tables);
            acc += match options.selector {
                Selector::Dutopia => (h - utopia[j]) * (h - utopia[j]),
                Selector::Sum => h,
            };
        }
        match options.selector {
            Selector::Dutopia => {
                let dist = acc.sqrt();
                (dist, round5_key(dist))
            }
            Selector::Sum => (acc, -round5_key(acc)),
        }
    };

    let steps = options.n.min(input.n_items);
    let mut remaining: Vec<u32> = (0..input.n_items as u32).collect();
    let mut order = Vec::with_capacity(steps);
    let mut entropies = Vec::with_capacity(steps * ncols);
    let mut scores = Vec::with_capacity(steps);
    for step in 0..steps {
        let candidates: Vec<usize> = match options.approx {
            Some(m) if m < remaining.len() => {
                sample_positions(remaining.len(), m, options.seed, step as u64)
            }
            _ => (0..remaining.len()).collect(),
        };
        let (key, item, value) = candidates
            .par_iter()
            .map(|&pos| {
                let i = remaining[pos];
                let (value, key) = score(&state, i as usize);
                (key, i, value)
            })
            .reduce(
                || (i64::MAX, u32::MAX, f64::NAN),
                |a, b| if (b.0, b.1) < (a.0, a.1) { b } else { a },
            );
        let _ = key;
        let pos = remaining
            .iter()
            .position(|&r| r == item)
            .expect("a remaining item");
        remaining.swap_remove(pos);
        for (j, col) in state.iter_mut().enumerate() {
            col.add(&per_column[j], item as usize, &tables);
            entropies.push(ColumnState::entropy(col.total, col.sum_c_ln_c, &tables));
        }
        order.push(item);
        scores.push(value);
        progress.advance(1, 0)?;
    }
    Ok(GmeRanking {
        order,
        entropies,
        scores,
    })
}

/// `m` distinct positions of `0..len` for step `step` (Floyd's algorithm on
/// counter-based draws), in ascending order.
fn sample_positions(len: usize, m: usize, seed: u64, step: u64) -> Vec<usize> {
    let mut chosen = HashSet::with_capacity(m);
    for (t, j) in (len - m..len).enumerate() {
        let r = (rng::word(seed, step, t as u64) % (j as u64 + 1)) as usize;
        if !chosen.insert(r) {
            chosen.insert(j);
        }
    }
    let mut out: Vec<usize> = chosen.into_iter().collect();
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::NoProgress;

    fn entropy(counts: &[u64]) -> f64 {
        let t: u64 = counts.iter().sum();
        counts
            .iter()
            .filter(|&&c| c > 0)
            .map(|&c| {
                let p = c as f64 / t as f64;
                -p * p.ln()
            })
            .sum()
    }

    #[test]
    fn rounding_matches_python() {
        assert_eq!(round5_key(0.123456), 12346);
        assert_eq!(round5_key(0.015625), 1562); // exact tie: to even
        assert_eq!(round5_key(0.015635), 1563); // binary value is just below the tie
        assert_eq!(round5_key(-0.0000049), 0);
        assert_eq!(round5_key(2.5e-6), 0);
    }

    #[test]
    fn incremental_entropy_equals_direct() {
        // items 0..3; column values; item 2 has two rows of value 1.
        let items = [0, 0, 1, 2, 2, 3];
        let col = [0, 1, 1, 1, 1, 2];
        let input = GmeInput {
            items: &items,
            n_items: 4,
            columns: vec![&col],
            n_values: vec![3],
        };
        let options = GmeOptions {
            selector: Selector::Sum,
            binarised: false,
            n: 4,
            approx: None,
            seed: 0,
        };
        let r = rank(&input, &options, &NoProgress).unwrap();
        // Step 1: item 0 (values {0, 1}: H = ln 2) beats the others (H = 0).
        assert_eq!(r.order[0], 0);
        assert!((r.entropies[0] - 2f64.ln()).abs() < 1e-12);
        let mut counts = [0u64; 3];
        for (s, &it) in r.order.iter().enumerate() {
            for (row, &i) in items.iter().enumerate() {
                if i == it {
                    counts[col[row] as usize] += 1;
                }
            }
            assert!((r.entropies[s] - entropy(&counts)).abs() < 1e-12);
        }
        let mut b = options.clone();
        b.binarised = true;
        b.approx = Some(2);
        let r = rank(&input, &b, &NoProgress).unwrap();
        assert_eq!(r.order.len(), 4);
    }

    #[test]
    fn sample_positions_are_distinct() {
        let s = sample_positions(10, 4, 1, 2);
        assert_eq!(s.len(), 4);
        assert!(s.windows(2).all(|w| w[0] < w[1]) && s[3] < 10);
    }
}
