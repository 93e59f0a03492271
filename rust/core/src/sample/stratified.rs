//! Stratified sampling: a fixed number of items from each group.

use rayon::prelude::*;

use super::keyed::KeyedTopK;
use super::streams::STRATIFIED;
use super::uniform::uniform;
use super::weights::{check, Weight};
use crate::{Error, Result};

/// The seed of group `group`'s uniform positions in a stratified sample under `seed`:
/// one stream of the sample's seed per group, so a distributed run that counts the
/// groups itself draws the same positions.
pub fn group_seed(seed: u64, group: u64) -> u64 {
    crate::rng::word(seed, STRATIFIED, group)
}

/// A group label that maps to a dense code by subtracting the smallest label.
pub trait GroupCode: Copy + Send + Sync {
    /// `self - low` as an index, or `None` if `self < low`.
    fn code(self, low: i64) -> Option<usize>;
}

macro_rules! group_code {
    ($($t:ty),*) => {$(
        impl GroupCode for $t {
            #[inline]
            fn code(self, low: i64) -> Option<usize> {
                usize::try_from(self as i64 - low).ok()
            }
        }
    )*};
}
group_code!(u8, u16, u32, i8, i16, i32, i64);

/// The code of row `i`, checked against the number of groups.
#[inline]
fn code_of<C: GroupCode>(codes: &[C], i: usize, low: i64, groups: usize) -> Result<usize> {
    match codes[i].code(low) {
        Some(c) if c < groups => Ok(c),
        _ => Err(Error::invalid(
            "groups",
            format!("row {i} has a group outside the {groups} groups counted"),
        )),
    }
}

/// How many rows of each of `groups` groups there are (label minus `low` is the
/// group), counting only rows of positive weight when `weights` are given.
pub fn group_sizes<C: GroupCode, W: Weight>(
    codes: &[C],
    low: i64,
    groups: usize,
    weights: Option<&[W]>,
) -> Result<Vec<u64>> {
    check_lengths(codes.len(), weights)?;
    let counts = part_counts(codes, low, groups, weights, parts(codes.len()))?;
    Ok(column_sums(&counts, groups))
}

/// Element-wise sums of per-part counts.
fn column_sums(counts: &[Vec<u64>], groups: usize) -> Vec<u64> {
    let mut sums = vec![0u64; groups];
    for part in counts {
        for (total, c) in sums.iter_mut().zip(part) {
            *total += c;
        }
    }
    sums
}

/// Rows per parallel part: a few parts per thread, whatever the row count.
fn parts(rows: usize) -> usize {
    rows.div_ceil(4 * rayon::current_num_threads().max(1))
        .max(1 << 16)
}

/// Per part of `part` rows, the rows (of positive weight) of each group.
fn part_counts<C: GroupCode, W: Weight>(
    codes: &[C],
    low: i64,
    groups: usize,
    weights: Option<&[W]>,
    part: usize,
) -> Result<Vec<Vec<u64>>> {
    (0..codes.len().div_ceil(part))
        .into_par_iter()
        .map(|p| {
            let mut counts = vec![0u64; groups];
            for i in p * part..((p + 1) * part).min(codes.len()) {
                let c = code_of(codes, i, low, groups)?;
                counts[c] += weights.is_none_or(|w| w[i].get() > 0.0) as u64;
            }
            Ok(counts)
        })
        .collect()
}

fn check_lengths<W: Weight>(rows: usize, weights: Option<&[W]>) -> Result<()> {
    if let Some(w) = weights {
        if w.len() != rows {
            return Err(Error::invalid(
                "weights",
                format!("{} weights for {rows} rows of groups", w.len()),
            ));
        }
        check(w)?;
    }
    Ok(())
}

/// For each group h, `quotas[h]` rows drawn without replacement among the rows
/// whose label minus `low` is h: uniformly, or with `weights` by successive
/// sampling in proportion to the weights. Returns the chosen rows in increasing
/// order.
///
/// Uniform: Floyd's algorithm picks `quotas[h]` of the group's positions (draws
/// only as many random numbers as rows taken), and one pass over the labels maps
/// positions to rows. Weighted: one pass offering each row to its group's keyed
/// sample (the keys of [`crate::sample::weighted`], so a group's rows are chosen
/// as `weighted` would choose them among the group).
pub fn stratified<C: GroupCode, W: Weight>(
    codes: &[C],
    low: i64,
    quotas: &[u64],
    weights: Option<&[W]>,
    seed: u64,
) -> Result<Vec<u64>> {
    let groups = quotas.len();
    check_lengths(codes.len(), weights)?;
    let part = parts(codes.len());
    let counts = part_counts(codes, low, groups, weights, part)?;
    let sizes = column_sums(&counts, groups);
    if let Some(h) = (0..groups).find(|&h| quotas[h] > sizes[h]) {
        let what = if weights.is_some() {
            " with a positive weight"
        } else {
            ""
        };
        return Err(Error::invalid(
            "k",
            format!(
                "group {h} holds {} items{what} but {} were requested",
                sizes[h], quotas[h]
            ),
        ));
    }
    match weights {
        None => uniform_strata(codes, low, quotas, &sizes, &counts, part, seed),
        Some(w) => weighted_strata(codes, low, quotas, w, seed),
    }
}

fn uniform_strata<C: GroupCode>(
    codes: &[C],
    low: i64,
    quotas: &[u64],
    sizes: &[u64],
    counts: &[Vec<u64>],
    part: usize,
    seed: u64,
) -> Result<Vec<u64>> {
    let groups = quotas.len();
    // Sorted positions within each group (group h's rows numbered in row order).
    let positions: Vec<Vec<u64>> = (0..groups)
        .into_par_iter()
        .map(|h| uniform(sizes[h], quotas[h], group_seed(seed, h as u64)))
        .collect::<Result<_>>()?;
    // Parts map positions to rows in parallel, each starting from the counts of the
    // parts before it.
    let mut starts = Vec::with_capacity(counts.len());
    let mut running = vec![0u64; groups];
    for c in counts {
        starts.push(running.clone());
        for (r, x) in running.iter_mut().zip(c) {
            *r += x;
        }
    }
    let chosen: Vec<Vec<u64>> = starts
        .into_par_iter()
        .enumerate()
        .map(|(p, mut seen)| {
            let mut cursor: Vec<usize> = (0..groups)
                .map(|h| positions[h].partition_point(|&x| x < seen[h]))
                .collect();
            let mut wanted: Vec<u64> = (0..groups)
                .map(|h| positions[h].get(cursor[h]).copied().unwrap_or(u64::MAX))
                .collect();
            let mut out = Vec::new();
            for i in p * part..((p + 1) * part).min(codes.len()) {
                let h = code_of(codes, i, low, groups)?;
                if seen[h] == wanted[h] {
                    out.push(i as u64);
                    cursor[h] += 1;
                    wanted[h] = positions[h].get(cursor[h]).copied().unwrap_or(u64::MAX);
                }
                seen[h] += 1;
            }
            Ok(out)
        })
        .collect::<Result<_>>()?;
    Ok(chosen.concat())
}

fn weighted_strata<C: GroupCode, W: Weight>(
    codes: &[C],
    low: i64,
    quotas: &[u64],
    weights: &[W],
    seed: u64,
) -> Result<Vec<u64>> {
    let mut samples: Vec<KeyedTopK> = quotas
        .iter()
        .map(|&q| KeyedTopK::new(q as usize, seed))
        .collect();
    for (i, w) in weights.iter().enumerate() {
        let h = code_of(codes, i, low, quotas.len())?;
        samples[h].offer(i as u64, w.get());
    }
    let mut chosen: Vec<u64> = samples
        .into_iter()
        .flat_map(|s| s.items().into_iter().map(|item| item.index))
        .collect();
    chosen.sort_unstable();
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::testing::{assert_frequencies, successive_inclusion};

    #[test]
    fn quotas_are_met_exactly_and_uniformly() {
        // Group 0 = even rows (50), group 1 = odd rows (50); take 5 and 20.
        let codes: Vec<u32> = (0..100).map(|i| i % 2).collect();
        let trials = 4000u64;
        let mut hits = [0u32; 100];
        for seed in 0..trials {
            let s = stratified::<u32, f64>(&codes, 0, &[5, 20], None, seed).unwrap();
            assert_eq!(s.iter().filter(|&&i| i % 2 == 0).count(), 5);
            assert_eq!(s.len(), 25);
            for i in s {
                hits[i as usize] += 1;
            }
        }
        for (i, &h) in hits.iter().enumerate() {
            let p = if i % 2 == 0 { 0.1 } else { 0.4 };
            let sd = (p * (1.0 - p) / trials as f64).sqrt();
            let f = h as f64 / trials as f64;
            // z = 4.4: alpha 1e-5 per item, 1e-3 over the 100 items.
            assert!((f - p).abs() < 4.4 * sd, "row {i}: {f} vs {p}");
        }
    }

    #[test]
    fn rejects_bad_codes_and_quotas() {
        let none: Option<&[f64]> = None;
        assert!(stratified(&[0u32, 3], 0, &[1, 1], none, 0)
            .unwrap_err()
            .to_string()
            .contains("row 1 has a group outside"));
        assert!(stratified(&[0u32, 0], 0, &[3], none, 0)
            .unwrap_err()
            .to_string()
            .contains("group 0 holds 2"));
        let w = [1.0, 0.0, 2.0];
        let err = stratified(&[0u32, 0, 1], 0, &[2, 1], Some(&w[..]), 0)
            .unwrap_err()
            .to_string();
        assert!(err.contains("1 items with a positive weight"), "{err}");
        assert!(stratified(&[0u32, 0], 0, &[1], Some(&w[..]), 0)
            .unwrap_err()
            .to_string()
            .contains("3 weights for 2 rows"));
    }

    #[test]
    fn weighted_strata_follow_successive_sampling() {
        // One group of weights 1, 2, 3, 4 (k = 2) and one of a single item (k = 1).
        let codes = [0u32, 0, 1, 0, 0];
        let w = [1.0f64, 2.0, 5.0, 3.0, 4.0];
        let exact = successive_inclusion(&[1.0, 2.0, 3.0, 4.0], 2);
        let rows = [0usize, 1, 3, 4];
        let trials = 20_000u64;
        let mut hits = [0u32; 5];
        for seed in 0..trials {
            for i in stratified(&codes, 0, &[2, 1], Some(&w[..]), seed).unwrap() {
                hits[i as usize] += 1;
            }
        }
        assert_eq!(hits[2] as u64, trials);
        let group_hits: Vec<u32> = rows.iter().map(|&r| hits[r]).collect();
        assert_frequencies(&group_hits, &exact, trials, 3.9);
    }
}
