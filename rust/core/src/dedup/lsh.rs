//! Locality-sensitive hashing by banding, and candidate pairs.
//!
//! A signature of `num_perm` slots is cut into `bands` bands of `rows` slots; two
//! documents are candidates when all rows of at least one band agree, which happens
//! with probability `1 - (1 - s^rows)^bands` for Jaccard similarity `s` (the S-curve).
//! [`optimal_param`] picks `(bands, rows)` for a threshold as datasketch does.
//!
//! Candidates are found band by band by sorting `(band hash, document)` pairs: no hash
//! map, so the result never depends on iteration order or thread count.

use crate::rng::mix64;
use rayon::prelude::*;

use crate::{Error, Result};

/// Bands and rows of the banding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LshParams {
    /// Number of bands.
    pub bands: usize,
    /// Slots per band.
    pub rows: usize,
}

impl LshParams {
    /// Check `bands * rows <= num_perm`.
    pub fn validate(&self, num_perm: usize) -> Result<()> {
        if self.bands == 0 || self.rows == 0 {
            return Err(Error::invalid("bands", "bands and rows must be at least 1"));
        }
        if self.bands * self.rows > num_perm {
            return Err(Error::invalid(
                "bands",
                format!(
                    "bands x rows = {} x {} exceeds num_perm = {num_perm}",
                    self.bands, self.rows
                ),
            ));
        }
        Ok(())
    }

    /// `bands` bands of `num_perm / bands` rows; `num_perm` must be divisible.
    pub fn from_bands(bands: usize, num_perm: usize) -> Result<Self> {
        if bands == 0 || bands > num_perm || num_perm % bands != 0 {
            return Err(Error::invalid(
                "bands",
                format!("num_perm = {num_perm} must be a multiple of bands = {bands}"),
            ));
        }
        Ok(LshParams {
            bands,
            rows: num_perm / bands,
        })
    }

    /// The probability that two documents of Jaccard similarity `s` are candidates.
    pub fn candidate_probability(&self, s: f64) -> f64 {
        1.0 - (1.0 - s.powi(self.rows as i32)).powi(self.bands as i32)
    }
}

/// Check a Jaccard threshold: strictly between 0 and 1.
pub fn check_threshold(threshold: f64) -> Result<()> {
    if !(threshold > 0.0 && threshold < 1.0) {
        return Err(Error::invalid(
            "threshold",
            format!("must be strictly between 0 and 1, got {threshold}"),
        ));
    }
    Ok(())
}

/// `integral of f over [lo, hi]` by composite 8-point Gauss-Legendre on 64 panels.
/// The integrands are polynomials of degree `bands * rows <= num_perm`; this is exact
/// to ~1e-13, tighter than scipy's `quad` that datasketch uses (1.5e-8 relative).
fn integrate(f: impl Fn(f64) -> f64, lo: f64, hi: f64) -> f64 {
    const NODES: [(f64, f64); 4] = [
        (0.183_434_642_495_649_8, 0.362_683_783_378_362),
        (0.525_532_409_916_329, 0.313_706_645_877_887_3),
        (0.796_666_477_413_626_7, 0.222_381_034_453_374_5),
        (0.960_289_856_497_536_3, 0.101_228_536_290_376_26),
    ];
    const PANELS: usize = 64;
    let width = (hi - lo) / PANELS as f64;
    let mut total = 0.0;
    for p in 0..PANELS {
        let mid = lo + (p as f64 + 0.5) * width;
        let half = width / 2.0;
        for &(x, w) in &NODES {
            total += w * half * (f(mid - half * x) + f(mid + half * x));
        }
    }
    total
}

/// The `(bands, rows)` minimising `fp_weight * FP + fn_weight * FN`, where FP is the
/// area under the S-curve below the threshold and FN the area above it, over all
/// `bands * rows <= num_perm` (datasketch's `_optimal_param`, same search order).
pub fn optimal_param(
    threshold: f64,
    num_perm: usize,
    fp_weight: f64,
    fn_weight: f64,
) -> Result<LshParams> {
    check_threshold(threshold)?;
    if num_perm == 0 {
        return Err(Error::invalid("num_perm", "must be at least 1"));
    }
    for (name, w) in [("fp_weight", fp_weight), ("fn_weight", fn_weight)] {
        if !(w.is_finite() && w >= 0.0) {
            return Err(Error::invalid(name, format!("must be >= 0, got {w}")));
        }
    }
    let mut best = (f64::INFINITY, LshParams { bands: 0, rows: 0 });
    for bands in 1..=num_perm {
        for rows in 1..=num_perm / bands {
            let (b, r) = (bands as f64, rows as f64);
            let fp = integrate(|s| 1.0 - (1.0 - s.powf(r)).powf(b), 0.0, threshold);
            let fneg = integrate(|s| (1.0 - s.powf(r)).powf(b), threshold, 1.0);
            let error = fp * fp_weight + fneg * fn_weight;
            if error < best.0 {
                best = (error, LshParams { bands, rows });
            }
        }
    }
    Ok(best.1)
}

/// Band groups larger than this are not expanded into all their pairs (see
/// [`group_pairs`]): the default of every near-duplicate run, local or distributed.
pub const MAX_GROUP: usize = 64;

/// A 64-bit hash of a band's slots. Only used to sort: bands of equal hash are
/// compared slot by slot before they make a pair, so a collision costs nothing.
#[inline]
pub fn band_hash(slots: &[u32], band: u64) -> u64 {
    mix64(slots.iter().fold(mix64(band), |h, &v| {
        (h.rotate_left(23) ^ v as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }))
}

/// The candidate rule inside one group of `len` documents sharing a band hash, in
/// document order: `pair(x, y)` (`x < y` positions in the group) for each pair whose
/// band agrees (`same(x, y)`).
///
/// A group of more than `max_group` documents (many copies of one text) is not
/// expanded into all its pairs: each member is paired with the group's first member
/// and with its predecessor, which keeps the work linear and still connects the group
/// when the copies are similar.
pub fn group_pairs(
    len: usize,
    max_group: usize,
    same: impl Fn(usize, usize) -> bool,
    mut pair: impl FnMut(usize, usize),
) {
    if len <= max_group {
        for x in 0..len {
            for y in x + 1..len {
                if same(x, y) {
                    pair(x, y);
                }
            }
        }
    } else {
        for w in 1..len {
            if same(0, w) {
                pair(0, w);
            }
            if w - 1 != 0 && same(w - 1, w) {
                pair(w - 1, w);
            }
        }
    }
}

/// [`band_hash`] of each of the `slots.len() / rows` bands of `rows` slots in `slots`
/// (one band per document), all of band number `band`.
pub fn band_hashes(slots: &[u32], rows: usize, band: u64) -> Vec<u64> {
    slots
        .chunks_exact(rows.max(1))
        .map(|s| band_hash(s, band))
        .collect()
}

/// The candidate pairs `(ids[x], ids[y])` of band entries given in any order: entry
/// `x` is document `ids[x]`'s band `bands[x]` of hash `keys[x]` and slots
/// `slots[x * rows..(x + 1) * rows]`. Entries are sorted by `(band, key, id)` and each
/// group of equal `(band, key)` makes its pairs by [`group_pairs`], as
/// [`candidate_pairs`] does band by band, so a partition of the entries by key makes
/// exactly the pairs of its keys. Pairs may repeat across bands.
pub fn band_pairs(
    bands: &[u32],
    keys: &[u64],
    ids: &[u64],
    slots: &[u32],
    rows: usize,
    max_group: usize,
) -> Result<Vec<(u64, u64)>> {
    let n = ids.len();
    if bands.len() != n || keys.len() != n || slots.len() != n * rows {
        return Err(Error::invalid(
            "slots",
            format!(
                "{} bands, {} keys, {n} ids and {} slots of {rows} rows do not match",
                bands.len(),
                keys.len(),
                slots.len()
            ),
        ));
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by_key(|&x| (bands[x], keys[x], ids[x]));
    let band_of = |x: usize| &slots[x * rows..(x + 1) * rows];
    let mut pairs = Vec::new();
    let mut g = 0;
    while g < n {
        let head = order[g];
        let mut e = g + 1;
        while e < n && (bands[order[e]], keys[order[e]]) == (bands[head], keys[head]) {
            e += 1;
        }
        let group = &order[g..e];
        group_pairs(
            group.len(),
            max_group,
            |x, y| band_of(group[x]) == band_of(group[y]),
            |x, y| pairs.push((ids[group[x]], ids[group[y]])),
        );
        g = e;
    }
    Ok(pairs)
}

/// The candidate pairs `(i, j)`, `i < j`, of the documents whose signatures are the
/// rows of `signatures` (`num_perm` slots each) and whose `eligible` flag is set;
/// sorted and without repeats; groups sharing a band follow [`group_pairs`].
pub fn candidate_pairs(
    signatures: &[u32],
    num_perm: usize,
    eligible: &[bool],
    params: LshParams,
    max_group: usize,
) -> Vec<(u32, u32)> {
    let docs = eligible.len();
    debug_assert_eq!(signatures.len(), docs * num_perm);
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut keys: Vec<(u64, u32)> = Vec::with_capacity(docs);
    for band in 0..params.bands {
        let (start, end) = (band * params.rows, (band + 1) * params.rows);
        keys.clear();
        keys.resize(docs, (0, 0));
        keys.par_iter_mut().enumerate().for_each(|(d, key)| {
            let slots = &signatures[d * num_perm + start..d * num_perm + end];
            *key = (band_hash(slots, band as u64), d as u32);
        });
        keys.retain(|&(_, d)| eligible[d as usize]);
        keys.par_sort_unstable();
        let band_of =
            |d: u32| &signatures[d as usize * num_perm + start..d as usize * num_perm + end];
        let mut g = 0;
        while g < keys.len() {
            let mut e = g + 1;
            while e < keys.len() && keys[e].0 == keys[g].0 {
                e += 1;
            }
            let group = &keys[g..e];
            group_pairs(
                group.len(),
                max_group,
                |x, y| band_of(group[x].1) == band_of(group[y].1),
                |x, y| pairs.push((group[x].1, group[y].1)),
            );
            g = e;
        }
        pairs.par_sort_unstable();
        pairs.dedup();
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimal_param_matches_datasketch() {
        // datasketch.lsh._optimal_param(t, 128, 0.5, 0.5)
        assert_eq!(
            optimal_param(0.8, 128, 0.5, 0.5).unwrap(),
            LshParams { bands: 9, rows: 13 }
        );
        assert_eq!(
            optimal_param(0.5, 128, 0.5, 0.5).unwrap(),
            LshParams { bands: 25, rows: 5 }
        );
    }

    #[test]
    fn rejects_bad_parameters() {
        for t in [0.0, 1.0, -0.1, 1.5, f64::NAN] {
            assert!(optimal_param(t, 128, 0.5, 0.5).is_err());
        }
        assert!(LshParams::from_bands(7, 128).is_err());
        assert_eq!(
            LshParams::from_bands(16, 128).unwrap(),
            LshParams { bands: 16, rows: 8 }
        );
        assert!(LshParams { bands: 20, rows: 7 }.validate(128).is_err());
    }

    #[test]
    fn large_groups_pair_with_first_and_predecessor() {
        let mut all = Vec::new();
        group_pairs(3, 3, |_, _| true, |x, y| all.push((x, y)));
        assert_eq!(all, [(0, 1), (0, 2), (1, 2)]);
        let mut linear = Vec::new();
        group_pairs(4, 3, |_, _| true, |x, y| linear.push((x, y)));
        assert_eq!(linear, [(0, 1), (0, 2), (1, 2), (0, 3), (2, 3)]);
    }

    #[test]
    fn band_entries_make_the_pairs_of_candidate_pairs() {
        // Six documents of 4 slots in 2 bands, with a group of three in band 0.
        let sigs: [u32; 24] = [
            1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 9, 9, 0, 0, 7, 8, 1, 2, 5, 5, 3, 3, 3, 3,
        ];
        let params = LshParams { bands: 2, rows: 2 };
        for max_group in [2, MAX_GROUP] {
            let local = candidate_pairs(&sigs, 4, &[true; 6], params, max_group);
            let (mut bands, mut keys, mut ids, mut slots) = (vec![], vec![], vec![], vec![]);
            // Entries in reverse order: the result must not depend on it.
            for d in (0..6u64).rev() {
                for b in 0..2 {
                    let s = &sigs[d as usize * 4 + b * 2..d as usize * 4 + b * 2 + 2];
                    bands.push(b as u32);
                    keys.push(band_hashes(s, 2, b as u64)[0]);
                    ids.push(d);
                    slots.extend_from_slice(s);
                }
            }
            let mut pairs = band_pairs(&bands, &keys, &ids, &slots, 2, max_group).unwrap();
            pairs.sort_unstable();
            pairs.dedup();
            let local: Vec<(u64, u64)> = local.iter().map(|&(i, j)| (i as u64, j as u64)).collect();
            assert_eq!(pairs, local, "max_group {max_group}");
        }
        assert!(band_pairs(&[0], &[1], &[0, 1], &[0, 0], 2, 2).is_err());
    }

    #[test]
    fn identical_bands_make_candidates() {
        // Four documents of 4 slots in 2 bands: 0 and 2 share band 0, 1 and 3 band 1.
        let sigs = [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 9, 9, 0, 0, 7, 8];
        let all = [true; 4];
        let params = LshParams { bands: 2, rows: 2 };
        assert_eq!(
            candidate_pairs(&sigs, 4, &all, params, 100),
            [(0, 2), (1, 3)]
        );
        assert_eq!(
            candidate_pairs(&sigs, 4, &[true, true, false, true], params, 100),
            [(1, 3)]
        );
    }
}
