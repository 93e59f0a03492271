//! Near-duplicate clustering of a [`Spilled`] corpus: the steps of the in-memory path
//! (see [`super::near`]) with the signatures read from disk by offset and the band
//! keys and candidate pairs sorted externally, so that memory stays within the budget
//! plus a few bytes per document (lengths, flags, union-find, the annotations).
//!
//! The results are identical to the in-memory path's:
//!
//! * band keys come out of the external sort by `(band, hash, doc)`, the order in which
//!   [`super::lsh::candidate_pairs`] scans each band, so every group of equal
//!   `(band, hash)` is the same and [`group_pairs`] (with its `max_group` cap) makes
//!   the same pairs;
//! * the pairs are sorted and deduplicated by a second external sort, which gives the
//!   in-memory path's sorted, distinct pairs;
//! * verification computes the same similarity of the same pairs, the union-find
//!   roots do not depend on the order of the unions, and the survivors and
//!   annotations are computed by the same code ([`annotate`]).

use std::collections::HashMap;
use std::io::{BufReader, BufWriter, Read, Write};

use rayon::prelude::*;

use super::collect::Spilled;
use super::lsh::group_pairs;
use super::minhash::agreement;
use super::near::{annotate, check_documents, exact_floor, keep_scores, Plan, SetsOf, Verify};
use super::shingle::jaccard;
use super::signature_file::SignatureFile;
use super::union_find::UnionFind;
use super::Summary;
use crate::external_sort::ExternalSorter;
use crate::{Error, Result};

/// Candidate pairs verified at once (in parallel).
const CHUNK: usize = 1 << 16;

/// A pair `i < j` as one sortable word.
fn pack(i: u32, j: u32) -> u64 {
    (i as u64) << 32 | j as u64
}

fn unpack(p: u64) -> (u32, u32) {
    ((p >> 32) as u32, p as u32)
}

/// The estimated Jaccard similarity of the pairs of `chunk`, rows read from `file`.
fn agreements(file: &SignatureFile, k: usize, chunk: &[u64]) -> Result<Vec<f64>> {
    chunk
        .par_iter()
        .map_init(
            || (vec![0u32; k], vec![0u32; k], Vec::new()),
            |(a, b, scratch), &p| {
                let (i, j) = unpack(p);
                file.read_row(i, a, scratch)?;
                file.read_row(j, b, scratch)?;
                Ok(agreement(a, b))
            },
        )
        .collect()
}

/// Clusters, survivors and annotations of a spilled corpus (see the module
/// documentation); `sets_of` gives the shingle sets of exact verification.
pub(crate) fn cluster_spilled(
    spilled: Spilled,
    plan: &Plan<'_>,
    sets_of: SetsOf<'_>,
) -> Result<Annotations> {
    let Spilled {
        corpus,
        signatures,
        keys,
        dir,
        memory,
    } = spilled;
    let (k, rows) = (plan.num_perm, plan.lsh.rows);
    let n = corpus.documents();
    check_documents(n)?;
    let scores = keep_scores(plan.keep, n, &corpus.scores)?;

    // Candidate pairs: groups of equal (band, hash), in document order.
    let mut pairs = ExternalSorter::<u64>::new(memory / 2, dir.clone());
    let mut group: Vec<u32> = Vec::new();
    let mut slots: Vec<u32> = Vec::new();
    let mut scratch = Vec::new();
    let mut current: Option<(u32, u64)> = None;
    let mut flush = |group: &mut Vec<u32>, band: u32| -> Result<()> {
        if group.len() >= 2 {
            slots.resize(group.len() * rows, 0);
            for (x, &d) in group.iter().enumerate() {
                let out = &mut slots[x * rows..(x + 1) * rows];
                signatures.read_slots(d, band as usize * rows, out, &mut scratch)?;
            }
            let mut failed = None;
            group_pairs(
                group.len(),
                plan.max_group,
                |x, y| slots[x * rows..(x + 1) * rows] == slots[y * rows..(y + 1) * rows],
                |x, y| {
                    if failed.is_none() {
                        failed = pairs.push(pack(group[x], group[y])).err();
                    }
                },
            );
            if let Some(e) = failed {
                return Err(e);
            }
        }
        group.clear();
        Ok(())
    };
    for key in keys.finish()? {
        let key = key?;
        if current != Some((key.band, key.hash)) {
            if let Some((band, _)) = current {
                flush(&mut group, band)?;
            }
            current = Some((key.band, key.hash));
        }
        group.push(key.doc);
    }
    if let Some((band, _)) = current {
        flush(&mut group, band)?;
    }

    // Distinct pairs, verified chunk by chunk (exact: first filtered by the signature
    // floor and kept in a file for the pass after the shingle sets are known).
    let mut clusters = UnionFind::new(n);
    let mut candidate_pairs = 0u64;
    let mut verified_pairs = 0u64;
    let mut needed = match plan.verify {
        Verify::Exact => vec![false; n],
        Verify::Signature => Vec::new(),
    };
    let floor = exact_floor(plan.threshold, k);
    let (kept_path, kept_file) = dir.create("pairs")?;
    let mut kept = BufWriter::with_capacity(1 << 20, kept_file);
    let mut kept_count = 0u64;
    let mut chunk: Vec<u64> = Vec::with_capacity(CHUNK);
    let mut last = None;
    let mut sorted = pairs.finish()?;
    loop {
        let next = sorted.next().transpose()?;
        if let Some(p) = next {
            if last == Some(p) {
                continue;
            }
            last = Some(p);
            candidate_pairs += 1;
            chunk.push(p);
            if chunk.len() < CHUNK {
                continue;
            }
        }
        let estimates = agreements(&signatures, k, &chunk)?;
        for (&p, &e) in chunk.iter().zip(&estimates) {
            let (i, j) = unpack(p);
            match plan.verify {
                Verify::Signature => {
                    if e >= plan.threshold {
                        verified_pairs += 1;
                        clusters.union(i, j);
                    }
                }
                Verify::Exact => {
                    if e >= floor {
                        needed[i as usize] = true;
                        needed[j as usize] = true;
                        kept.write_all(&p.to_le_bytes())
                            .map_err(|e| Error::io(&kept_path, e))?;
                        kept_count += 1;
                    }
                }
            }
        }
        chunk.clear();
        if next.is_none() {
            break;
        }
    }
    drop(sorted);
    let kept_file = kept
        .into_inner()
        .map_err(|e| Error::io(&kept_path, e.into_error()))?;

    let sets: Option<HashMap<u32, Vec<u64>>> = match plan.verify {
        Verify::Signature => None,
        Verify::Exact => {
            let sets = sets_of(&needed)?;
            drop(needed);
            verified_pairs = verify_exact(
                kept_file,
                &kept_path,
                kept_count,
                &sets,
                plan,
                &mut clusters,
            )?;
            Some(sets)
        }
    };
    let counts = Summary {
        candidate_pairs,
        verified_pairs,
        ..Default::default()
    };
    let (mut a, mut b, mut scratch) = (vec![0u32; k], vec![0u32; k], Vec::new());
    let out = annotate(clusters, &corpus.lengths, plan, scores, counts, |i, j| {
        Ok(match &sets {
            Some(sets) => jaccard(&sets[&i], &sets[&j]),
            None => {
                signatures.read_row(i, &mut a, &mut scratch)?;
                signatures.read_row(j, &mut b, &mut scratch)?;
                agreement(&a, &b)
            }
        })
    });
    // The spill directory goes with the last of its owners, here or on error above.
    drop(signatures);
    drop(dir);
    out
}

use super::Annotations;

/// Read back the `count` pairs that passed the floor and union those whose exact
/// Jaccard similarity reaches the threshold; returns how many did.
fn verify_exact(
    mut file: std::fs::File,
    path: &std::path::Path,
    count: u64,
    sets: &HashMap<u32, Vec<u64>>,
    plan: &Plan<'_>,
    clusters: &mut UnionFind,
) -> Result<u64> {
    use std::io::Seek;
    file.rewind().map_err(|e| Error::io(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut verified = 0u64;
    let mut left = count;
    let mut bytes = Vec::new();
    while left > 0 {
        let take = left.min(CHUNK as u64) as usize;
        bytes.resize(take * 8, 0);
        reader
            .read_exact(&mut bytes)
            .map_err(|e| Error::io(path, e))?;
        left -= take as u64;
        let chunk: Vec<(u32, u32)> = bytes
            .chunks_exact(8)
            .map(|b| unpack(u64::from_le_bytes(b.try_into().expect("8 bytes"))))
            .collect();
        let ok: Vec<bool> = chunk
            .par_iter()
            .map(|&(i, j)| jaccard(&sets[&i], &sets[&j]) >= plan.threshold)
            .collect();
        for (&(i, j), &ok) in chunk.iter().zip(&ok) {
            if ok {
                verified += 1;
                clusters.union(i, j);
            }
        }
    }
    Ok(verified)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Float64Array, RecordBatch, StringArray};
    use proptest::prelude::*;

    use super::super::collect::{in_memory_bytes, Budget};
    use super::super::lsh::LshParams;
    use super::super::minhash::{MinHasher, Scheme};
    use super::super::near::{
        near_duplicates, near_duplicates_of_signatures, Keep, NearOptions, SignatureOptions, Verify,
    };
    use super::super::shingle::Shingling;
    use super::super::signatures::signatures_of_texts;
    use super::*;
    use crate::stream::{BatchStream, NoProgress};

    /// Documents of words from a small vocabulary, with planted copies (some edited,
    /// some exact, one large group of identical texts) and empty documents.
    fn corpus(seed: u64, n: usize) -> Vec<String> {
        let word = |i: u64| format!("w{}", crate::rng::word(seed, 7, i) % 300);
        let mut docs: Vec<String> = Vec::with_capacity(n);
        for d in 0..n as u64 {
            let r = crate::rng::word(seed, 8, d);
            let text = match (r % 10, docs.len()) {
                (0..=2, len) if len > 0 => {
                    // An edited copy of an earlier document.
                    let source = &docs[(r >> 8) as usize % len];
                    let mut words: Vec<&str> = source.split(' ').collect();
                    if !words.is_empty() && r % 3 != 0 {
                        let at = (r >> 20) as usize % words.len();
                        words.remove(at);
                    }
                    words.join(" ")
                }
                (3, _) => "the same text of every copy in one big group".to_string(),
                (4, _) if r % 7 == 0 => String::new(),
                _ => {
                    let len = 5 + (r >> 32) % 30;
                    (0..len)
                        .map(|i| word(d * 64 + i))
                        .collect::<Vec<_>>()
                        .join(" ")
                }
            };
            docs.push(text);
        }
        docs
    }

    fn stream(docs: &[String], batch: usize) -> BatchStream {
        let batches: Vec<Result<RecordBatch>> = docs
            .chunks(batch)
            .enumerate()
            .map(|(b, chunk)| {
                let text = StringArray::from_iter_values(chunk.iter());
                let score = Float64Array::from_iter_values(
                    (0..chunk.len()).map(|i| ((b * batch + i) % 5) as f64),
                );
                Ok(RecordBatch::try_from_iter([
                    ("text", Arc::new(text) as _),
                    ("s", Arc::new(score) as _),
                ])
                .unwrap())
            })
            .collect();
        Box::new(batches.into_iter())
    }

    fn options(
        verify: Verify,
        keep: Keep,
        max_group: usize,
        memory: Option<u64>,
        dir: &std::path::Path,
    ) -> NearOptions {
        let shingling = Shingling {
            n: 2,
            ..Shingling::default()
        };
        NearOptions {
            hasher: MinHasher::new(Scheme::Thresher, 32, 3, shingling).unwrap(),
            threshold: 0.6,
            lsh: LshParams { bands: 8, rows: 4 },
            verify,
            keep,
            max_group,
            budget: Budget {
                memory,
                spill_dir: Some(dir.to_path_buf()),
            },
        }
    }

    fn same(a: &Annotations, b: &Annotations) -> bool {
        let sim =
            |x: &Annotations| -> Vec<u32> { x.similarity.iter().map(|v| v.to_bits()).collect() };
        a.cluster_id == b.cluster_id
            && a.is_duplicate == b.is_duplicate
            && sim(a) == sim(b)
            && a.summary == b.summary
    }

    fn keep_of(k: u8) -> Keep {
        match k {
            0 => Keep::First,
            1 => Keep::Longest,
            _ => Keep::ScoreColumn("s".into()),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn every_budget_gives_the_in_memory_results(
            seed in 0u64..1_000_000,
            n in 1usize..400,
            batch in 1usize..90,
            exact in any::<bool>(),
            keep in 0u8..3,
            max_group in prop_oneof![Just(2usize), Just(5), Just(64)],
        ) {
            let docs = corpus(seed, n);
            let verify = if exact { Verify::Exact } else { Verify::Signature };
            let parent = tempfile::tempdir().unwrap();
            let run = |memory: Option<u64>| {
                let o = options(verify, keep_of(keep), max_group, memory, parent.path());
                near_duplicates(stream(&docs, batch), Some(stream(&docs, batch)), "text", &o, &NoProgress)
                    .unwrap()
            };
            let reference = run(None);
            prop_assert!(reference.summary.duplicates > 0 || n < 20);
            // Tiny (many runs, multi-level merges), spilling at the first batch or
            // midway, and large enough to stay in memory.
            let budgets = [1, 300, in_memory_bytes(n as u64 / 2, 32), in_memory_bytes(n as u64, 32) + 1];
            for memory in budgets {
                let got = run(Some(memory));
                prop_assert!(same(&got, &reference), "budget {}", memory);
            }
            prop_assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 0);
        }

        #[test]
        fn signature_blocks_give_the_results_of_the_corpus(
            seed in 0u64..1_000_000,
            n in 1usize..300,
            block in 1usize..70,
            keep in 0u8..2,
            memory in prop_oneof![Just(None), Just(Some(1u64)), Just(Some(2_000u64))],
        ) {
            let docs = corpus(seed, n);
            let parent = tempfile::tempdir().unwrap();
            let o = options(Verify::Signature, keep_of(keep), 64, None, parent.path());
            let reference =
                near_duplicates(stream(&docs, 50), None, "text", &o, &NoProgress).unwrap();
            let texts: Vec<&str> = docs.iter().map(String::as_str).collect();
            let sigs = signatures_of_texts(&o.hasher, &texts);
            let lengths: Vec<u64> = docs.iter().map(|d| d.len() as u64).collect();
            let so = SignatureOptions {
                threshold: o.threshold,
                lsh: o.lsh,
                keep: o.keep.clone(),
                max_group: 64,
                budget: Budget { memory, spill_dir: Some(parent.path().to_path_buf()) },
            };
            let got = near_duplicates_of_signatures(
                sigs.signatures.chunks(block * 32).map(Ok),
                32,
                Some(&lengths),
                &so,
            )
            .unwrap();
            prop_assert!(same(&got, &reference));
            prop_assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 0);
        }
    }

    #[test]
    fn bad_signature_input_is_rejected() {
        let so = SignatureOptions {
            threshold: 0.5,
            lsh: LshParams { bands: 2, rows: 2 },
            keep: Keep::Longest,
            max_group: 64,
            budget: Budget::default(),
        };
        let rows = [[1u32, 2, 3, 4]; 2].concat();
        let err = near_duplicates_of_signatures([Ok(&rows[..])], 4, None, &so).unwrap_err();
        assert!(err.to_string().contains("lengths"), "{err}");
        let first = SignatureOptions {
            keep: Keep::First,
            ..so
        };
        let err = near_duplicates_of_signatures([Ok(&rows[..3])], 4, None, &first).unwrap_err();
        assert!(err.to_string().contains("whole number of rows"), "{err}");
        let err =
            near_duplicates_of_signatures([Ok(&rows[..])], 4, Some(&[1]), &first).unwrap_err();
        assert!(err.to_string().contains("2 signatures"), "{err}");
        let out = near_duplicates_of_signatures([Ok(&rows[..])], 4, None, &first).unwrap();
        assert_eq!(out.is_duplicate, [false, true]);
        assert_eq!(out.similarity[1], 1.0);
    }

    #[test]
    fn a_failed_spill_reports_the_directory() {
        let docs = corpus(1, 50);
        let o = options(
            Verify::Signature,
            Keep::First,
            64,
            Some(1),
            std::path::Path::new("/nonexistent-thresher"),
        );
        let err = near_duplicates(stream(&docs, 10), None, "text", &o, &NoProgress).unwrap_err();
        assert!(err.to_string().contains("/nonexistent-thresher"), "{err}");
    }
}
