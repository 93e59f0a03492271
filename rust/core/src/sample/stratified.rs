//! Stratified sampling: a fixed number of items from each group.

use rayon::prelude::*;

use super::streams::STRATIFIED;
use super::weights::{check, Weight};
use crate::rng::Draws;
use crate::{Error, Result};

/// The `quota` best of `keyed` (largest key first, then smallest index).
fn best<K: PartialOrd + Copy>(mut keyed: Vec<(K, u64)>, quota: usize) -> Vec<u64> {
    if quota < keyed.len() && quota > 0 {
        keyed.select_nth_unstable_by(quota - 1, |a, b| {
            b.0.partial_cmp(&a.0)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.1.cmp(&b.1))
        });
    }
    keyed.truncate(quota);
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// For each group h, `quotas[h]` items drawn without replacement among the items
/// whose code is h, uniformly or, with `weights`, by successive sampling in
/// proportion to the weights; returns the chosen indices in increasing order.
///
/// Within a group the items with the best seeded keys are taken (the smallest
/// random words, or the largest `ln(U_i)/w_i` with weights), so an item's fate depends only on the seed, its
/// index, its weight and its group's quota: a streaming pass with one top-k per
/// group gives the same sample.
pub fn stratified<W: Weight>(
    codes: &[u32],
    quotas: &[u64],
    weights: Option<&[W]>,
    seed: u64,
) -> Result<Vec<u64>> {
    if let Some(w) = weights {
        if w.len() != codes.len() {
            return Err(Error::invalid(
                "weights",
                format!("{} weights for {} rows of groups", w.len(), codes.len()),
            ));
        }
        check(w)?;
    }
    let groups = quotas.len();
    let mut sizes = vec![0u64; groups];
    let mut drawable = vec![0u64; groups];
    for (i, &c) in codes.iter().enumerate() {
        let Some(size) = sizes.get_mut(c as usize) else {
            return Err(Error::invalid(
                "groups",
                format!("row {i} has group code {c} but there are only {groups} groups"),
            ));
        };
        *size += 1;
        drawable[c as usize] += weights.is_none_or(|w| w[i].get() > 0.0) as u64;
    }
    if let Some(h) = (0..groups).find(|&h| quotas[h] > drawable[h]) {
        let what = if weights.is_some() {
            " with a positive weight"
        } else {
            ""
        };
        return Err(Error::invalid(
            "k",
            format!(
                "group {h} holds {} items{what} but {} were requested",
                drawable[h], quotas[h]
            ),
        ));
    }
    // Counting sort of the indices by group.
    let mut starts = vec![0usize; groups + 1];
    for h in 0..groups {
        starts[h + 1] = starts[h] + sizes[h] as usize;
    }
    let mut next = starts.clone();
    let mut by_group = vec![0u64; codes.len()];
    for (i, &c) in codes.iter().enumerate() {
        by_group[next[c as usize]] = i as u64;
        next[c as usize] += 1;
    }
    let draws = Draws::new(seed, STRATIFIED);
    let mut chosen: Vec<u64> = (0..groups)
        .into_par_iter()
        .flat_map_iter(|h| {
            let members = &by_group[starts[h]..starts[h + 1]];
            let quota = quotas[h] as usize;
            match weights {
                None if quota == members.len() => members.to_vec(),
                // Smallest words first: the key is the negated word.
                None => best(
                    members.iter().map(|&i| (!draws.word(i), i)).collect(),
                    quota,
                ),
                Some(w) => best(
                    members
                        .iter()
                        .filter(|&&i| w[i as usize].get() > 0.0)
                        .map(|&i| (draws.open(i).ln() / w[i as usize].get(), i))
                        .collect(),
                    quota,
                ),
            }
        })
        .collect();
    chosen.par_sort_unstable();
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
            let s = stratified::<f64>(&codes, &[5, 20], None, seed).unwrap();
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
        assert!(stratified(&[0, 3], &[1, 1], none, 0)
            .unwrap_err()
            .to_string()
            .contains("row 1"));
        assert!(stratified(&[0, 0], &[3], none, 0)
            .unwrap_err()
            .to_string()
            .contains("group 0 holds 2"));
        let w = [1.0, 0.0, 2.0];
        let err = stratified(&[0, 0, 1], &[2, 1], Some(&w[..]), 0)
            .unwrap_err()
            .to_string();
        assert!(err.contains("1 items with a positive weight"), "{err}");
        assert!(stratified(&[0, 0], &[1], Some(&w[..]), 0)
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
            for i in stratified(&codes, &[2, 1], Some(&w[..]), seed).unwrap() {
                hits[i as usize] += 1;
            }
        }
        assert_eq!(hits[2] as u64, trials);
        let group_hits: Vec<u32> = rows.iter().map(|&r| hits[r]).collect();
        assert_frequencies(&group_hits, &exact, trials, 3.9);
    }
}
