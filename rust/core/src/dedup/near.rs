//! Near-duplicate detection: signatures, LSH candidates, verification, union-find
//! clusters and a keep policy.
//!
//! 1. [`signatures_of_stream`] (one pass over the corpus).
//! 2. [`candidate_pairs`] by banding.
//! 3. Each candidate pair is verified: its estimated Jaccard similarity (share of equal
//!    signature slots) or, with [`Verify::Exact`], the exact Jaccard similarity of the
//!    two documents' shingle-hash sets (collected in a second pass over the corpus,
//!    for candidate documents only) must reach the threshold. Exact verification
//!    skips the pairs whose estimate is more than 5 standard deviations below the
//!    threshold (a true duplicate is lost so with probability < 1e-6).
//! 4. Verified pairs are merged by union-find: clusters are the connected components,
//!    identified by their smallest document index.
//! 5. In each cluster of two or more documents the keep policy chooses the survivor;
//!    the others are duplicates, annotated with their similarity to the survivor.
//!
//! Every step is deterministic: the output depends only on the corpus and options.

use std::collections::HashMap;

use rayon::prelude::*;

use super::collect::{Budget, Collected, Collector};
use super::lsh::{candidate_pairs, check_threshold, LshParams};
use super::minhash::{agreement, MinHasher};
use super::shingle::{jaccard, ShingleScratch};
use super::signatures::{collect_stream, signatures_of_texts, CorpusSignatures};
use super::spilled::cluster_spilled;
use super::union_find::UnionFind;
use super::{Annotations, Summary};
use crate::stream::{for_each_text_batch, BatchStream, NoProgress, Progress};
use crate::{Error, Result};

/// Which document of a cluster is kept.
#[derive(Clone, Debug, PartialEq)]
pub enum Keep {
    /// The first (smallest index).
    First,
    /// The longest text in bytes (ties: the first).
    Longest,
    /// The largest value of this numeric column (ties: the first).
    ScoreColumn(String),
    /// The largest of these values, one per document (ties: the first).
    Scores(Vec<f64>),
}

/// How candidate pairs are verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verify {
    /// Estimated Jaccard similarity (share of equal signature slots).
    Signature,
    /// Exact Jaccard similarity of the shingle-hash sets (a second pass).
    Exact,
}

/// Options of a near-duplicate run.
#[derive(Clone, Debug)]
pub struct NearOptions {
    /// The MinHash scheme, permutations and shingling.
    pub hasher: MinHasher,
    /// Jaccard similarity threshold, in (0, 1).
    pub threshold: f64,
    /// Banding.
    pub lsh: LshParams,
    /// Verification of candidates.
    pub verify: Verify,
    /// Keep policy.
    pub keep: Keep,
    /// Largest band group expanded into all its pairs (see [`candidate_pairs`]).
    pub max_group: usize,
    /// Memory budget of the signatures and band keys, and where to spill past it
    /// (the results are the same for every budget). Texts held in memory
    /// ([`near_duplicates_of_texts`]) are always clustered in memory.
    pub budget: Budget,
}

/// What clustering needs besides the signatures.
pub(crate) struct Plan<'a> {
    pub num_perm: usize,
    pub threshold: f64,
    pub lsh: LshParams,
    pub verify: Verify,
    pub keep: &'a Keep,
    pub max_group: usize,
}

impl<'a> Plan<'a> {
    fn of(options: &'a NearOptions) -> Self {
        Plan {
            num_perm: options.hasher.num_perm(),
            threshold: options.threshold,
            lsh: options.lsh,
            verify: options.verify,
            keep: &options.keep,
            max_group: options.max_group,
        }
    }
}

/// Sets of shingle hashes of the documents flagged in `needed` (exact verification).
pub(crate) type SetsOf<'a> = Box<dyn FnOnce(&[bool]) -> Result<HashMap<u32, Vec<u64>>> + 'a>;

/// The signature agreement below which a candidate pair is not checked exactly: 5
/// standard deviations (of a pair exactly at `threshold`, `num_perm` slots) below the
/// threshold, so a pair of Jaccard >= threshold is dropped with probability < 1e-6.
pub fn exact_floor(threshold: f64, num_perm: usize) -> f64 {
    threshold - 5.0 * (threshold * (1.0 - threshold) / num_perm as f64).sqrt()
}

fn check(options: &NearOptions) -> Result<()> {
    check_threshold(options.threshold)?;
    options.lsh.validate(options.hasher.num_perm())
}

/// Find near-duplicates in `stream`. `second_pass` must read the same corpus again;
/// it is needed (and read) only with [`Verify::Exact`].
pub fn near_duplicates(
    stream: BatchStream,
    second_pass: Option<BatchStream>,
    column: &str,
    options: &NearOptions,
    progress: &dyn Progress,
) -> Result<Annotations> {
    check(options)?;
    let score_column = match &options.keep {
        Keep::ScoreColumn(name) => Some(name.as_str()),
        _ => None,
    };
    let collected = collect_stream(
        &options.hasher,
        options.lsh,
        &options.budget,
        stream,
        column,
        score_column,
        progress,
    )?;
    let hasher = &options.hasher;
    let sets: SetsOf<'_> = Box::new(move |needed| {
        let stream = second_pass.ok_or_else(|| {
            Error::invalid(
                "verify",
                "exact verification reads the corpus twice: pass a source that can be read again",
            )
        })?;
        shingle_sets(hasher, stream, column, needed)
    });
    match collected {
        Collected::Memory(corpus) => cluster(corpus, &Plan::of(options), sets),
        Collected::Spilled(spilled) => cluster_spilled(spilled, &Plan::of(options), sets),
    }
}

/// Find near-duplicates among `texts` (documents held in memory, e.g. borrowed from
/// Python strings without a copy).
pub fn near_duplicates_of_texts(texts: &[&str], options: &NearOptions) -> Result<Annotations> {
    check(options)?;
    if let Keep::ScoreColumn(name) = &options.keep {
        return Err(Error::invalid(
            "score",
            format!("texts have no column {name:?}: pass one score value per text"),
        ));
    }
    let corpus = signatures_of_texts(&options.hasher, texts);
    let shingling = *options.hasher.shingling();
    let sets: SetsOf<'_> = Box::new(move |needed| {
        let docs: Vec<u32> = (0..texts.len() as u32)
            .filter(|&d| needed[d as usize])
            .collect();
        Ok(docs
            .par_iter()
            .map_init(ShingleScratch::default, |scratch, &d| {
                (d, shingling.hash_set(texts[d as usize], scratch))
            })
            .collect())
    });
    cluster(corpus, &Plan::of(options), sets)
}

/// Options of [`near_duplicates_of_signatures`].
#[derive(Clone, Debug)]
pub struct SignatureOptions {
    /// Jaccard similarity threshold, in (0, 1).
    pub threshold: f64,
    /// Banding.
    pub lsh: LshParams,
    /// Keep policy ([`Keep::Longest`] needs the lengths; no score column here).
    pub keep: Keep,
    /// Largest band group expanded into all its pairs (see [`candidate_pairs`]).
    pub max_group: usize,
    /// Memory budget and spill directory.
    pub budget: Budget,
}

/// Near-duplicates from signatures computed earlier (e.g. in one pass of a pipeline):
/// `blocks` are consecutive row-major blocks of `num_perm`-slot rows (one block may
/// hold the whole matrix), `lengths` the text bytes of each document (needed by
/// [`Keep::Longest`]; the summary's byte counts are 0 without them). Candidates are
/// verified by signature agreement ([`Verify::Signature`]), with the same results as
/// [`near_duplicates`] with that verification. A row whose every slot is `u32::MAX`
/// is an empty document (no shingle), as [`MinHasher`] makes it.
pub fn near_duplicates_of_signatures<B: AsRef<[u32]>>(
    blocks: impl IntoIterator<Item = Result<B>>,
    num_perm: usize,
    lengths: Option<&[u64]>,
    options: &SignatureOptions,
) -> Result<Annotations> {
    if num_perm == 0 {
        return Err(Error::invalid(
            "signatures",
            "rows must have at least one slot",
        ));
    }
    check_threshold(options.threshold)?;
    options.lsh.validate(num_perm)?;
    match &options.keep {
        Keep::ScoreColumn(name) => {
            return Err(Error::invalid(
                "score",
                format!("signatures have no column {name:?}: pass one score value per row"),
            ))
        }
        Keep::Longest if lengths.is_none() => {
            return Err(Error::invalid(
                "lengths",
                "keep='longest' needs the length of each document",
            ))
        }
        _ => {}
    }
    let mut collector = Collector::new(num_perm, options.lsh, &options.budget);
    for block in blocks {
        let block = block?;
        let block = block.as_ref();
        if block.len() % num_perm != 0 {
            return Err(Error::invalid(
                "signatures",
                format!(
                    "a block of {} slots is not a whole number of rows of {num_perm}",
                    block.len()
                ),
            ));
        }
        collector.add(block.len() / num_perm, |slots, non_empty| {
            slots.copy_from_slice(block);
            non_empty.extend(
                block
                    .chunks_exact(num_perm)
                    .map(|row| row.iter().any(|&v| v != u32::MAX)),
            );
        })?;
    }
    let documents = collector.corpus_mut().non_empty.len();
    collector.corpus_mut().lengths = match lengths {
        Some(values) if values.len() != documents => {
            return Err(Error::invalid(
                "lengths",
                format!(
                    "has {} values but there are {documents} signatures",
                    values.len()
                ),
            ))
        }
        Some(values) => values.to_vec(),
        None => vec![0; documents],
    };
    let plan = Plan {
        num_perm,
        threshold: options.threshold,
        lsh: options.lsh,
        verify: Verify::Signature,
        keep: &options.keep,
        max_group: options.max_group.max(2),
    };
    let no_sets: SetsOf<'_> = Box::new(|_| {
        Err(Error::Internal(
            "signature verification reads no text".into(),
        ))
    });
    match collector.finish()? {
        Collected::Memory(corpus) => cluster(corpus, &plan, no_sets),
        Collected::Spilled(spilled) => cluster_spilled(spilled, &plan, no_sets),
    }
}

/// The exact Jaccard similarity of the shingle-hash sets of each pair `(a[i], b[i])`,
/// as [`Verify::Exact`] computes it: for candidates found elsewhere (e.g. by a
/// distributed engine) to be verified exactly as a local run verifies them.
pub fn exact_similarities(hasher: &MinHasher, a: &[&str], b: &[&str]) -> Result<Vec<f64>> {
    if a.len() != b.len() {
        return Err(Error::invalid(
            "texts",
            format!("{} first texts for {} second texts", a.len(), b.len()),
        ));
    }
    let shingling = *hasher.shingling();
    Ok(a.par_iter()
        .zip(b.par_iter())
        .map_init(ShingleScratch::default, |scratch, (x, y)| {
            let left = shingling.hash_set(x, scratch);
            jaccard(&left, &shingling.hash_set(y, scratch))
        })
        .collect())
}

/// Candidates, verification, clusters and survivors from the signatures of a corpus.
fn cluster(corpus: CorpusSignatures, plan: &Plan<'_>, sets_of: SetsOf<'_>) -> Result<Annotations> {
    let k = plan.num_perm;
    let n = corpus.documents();
    check_documents(n)?;
    let scores = keep_scores(plan.keep, n, &corpus.scores)?;
    let pairs = candidate_pairs(
        &corpus.signatures,
        k,
        &corpus.non_empty,
        plan.lsh,
        plan.max_group,
    );
    let candidate_count = pairs.len();
    let signature = |d: u32| &corpus.signatures[d as usize * k..(d as usize + 1) * k];
    let mut pairs = pairs;
    if plan.verify == Verify::Exact {
        // Skip the exact check of pairs whose estimate lies more than 5 standard
        // deviations (of a pair exactly at the threshold) below it: a pair of Jaccard
        // >= threshold is dropped this way with probability < 1e-6, and the second
        // read then hashes far fewer documents.
        let floor = exact_floor(plan.threshold, k);
        let keep: Vec<bool> = pairs
            .par_iter()
            .map(|&(i, j)| agreement(signature(i), signature(j)) >= floor)
            .collect();
        let mut flags = keep.into_iter();
        pairs.retain(|_| flags.next().unwrap_or(false));
    }
    let sets = match plan.verify {
        Verify::Signature => None,
        Verify::Exact => {
            let mut needed = vec![false; n];
            for &(i, j) in &pairs {
                needed[i as usize] = true;
                needed[j as usize] = true;
            }
            Some(sets_of(&needed)?)
        }
    };
    let similarity = |i: u32, j: u32| -> f64 {
        match &sets {
            None => agreement(signature(i), signature(j)),
            Some(sets) => jaccard(&sets[&i], &sets[&j]),
        }
    };
    let verified: Vec<bool> = pairs
        .par_iter()
        .map(|&(i, j)| similarity(i, j) >= plan.threshold)
        .collect();
    let mut clusters = UnionFind::new(n);
    let mut verified_pairs = 0u64;
    for (&(i, j), &ok) in pairs.iter().zip(&verified) {
        if ok {
            verified_pairs += 1;
            clusters.union(i, j);
        }
    }
    let counts = Summary {
        candidate_pairs: candidate_count as u64,
        verified_pairs,
        ..Default::default()
    };
    annotate(clusters, &corpus.lengths, plan, scores, counts, |i, j| {
        Ok(similarity(i, j))
    })
}

/// Reject an empty corpus and one too large for `u32` document indices.
pub(crate) fn check_documents(n: usize) -> Result<()> {
    if n == 0 {
        return Err(Error::EmptyInput {
            what: "corpus".into(),
            detail: "no document to deduplicate".into(),
        });
    }
    if n > u32::MAX as usize {
        return Err(Error::invalid("source", "more than 2^32 - 1 documents"));
    }
    Ok(())
}

/// The score of each document under `keep` (values given, or read from a column into
/// `column`), checked against the corpus size `n`.
pub(crate) fn keep_scores<'a>(
    keep: &'a Keep,
    n: usize,
    column: &'a [f64],
) -> Result<Option<&'a [f64]>> {
    Ok(match keep {
        Keep::Scores(values) => {
            if values.len() != n {
                return Err(Error::invalid(
                    "score",
                    format!(
                        "has {} values but the corpus has {n} documents",
                        values.len()
                    ),
                ));
            }
            if let Some(i) = values.iter().position(|v| v.is_nan()) {
                return Err(Error::invalid("score", format!("value {i} is NaN")));
            }
            Some(values)
        }
        Keep::ScoreColumn(_) => Some(column),
        _ => None,
    })
}

/// Survivors and per-document annotations from the clusters of the verified pairs;
/// `counts` carries the candidate and verified pair counts, `similarity` gives the
/// verified similarity of a duplicate to its survivor.
pub(crate) fn annotate(
    mut clusters: UnionFind,
    lengths: &[u64],
    plan: &Plan<'_>,
    scores: Option<&[f64]>,
    counts: Summary,
    mut similarity: impl FnMut(u32, u32) -> Result<f64>,
) -> Result<Annotations> {
    let n = lengths.len();
    let roots = clusters.roots();
    drop(clusters);
    let kept = survivors(&roots, lengths, plan.keep, scores);
    let mut out = Annotations::with_capacity(n);
    let mut members = vec![0u32; n];
    for &r in &roots {
        members[r as usize] += 1;
    }
    let mut summary = Summary {
        documents: n as u64,
        bands: plan.lsh.bands as u64,
        rows: plan.lsh.rows as u64,
        ..counts
    };
    for d in 0..n {
        let root = roots[d];
        let keeper = kept[root as usize];
        let duplicate = keeper != d as u32;
        summary.bytes += lengths[d];
        if duplicate {
            summary.duplicates += 1;
            summary.bytes_removed += lengths[d];
        }
        if members[d] >= 2 {
            summary.clusters += 1;
        }
        out.cluster_id.push(root as u64);
        out.is_duplicate.push(duplicate);
        out.similarity.push(if duplicate {
            similarity(d as u32, keeper)? as f32
        } else {
            f32::NAN
        });
    }
    out.summary = summary;
    Ok(out)
}

/// For each cluster root, the document kept (entries of non-roots are unused).
fn survivors(roots: &[u32], lengths: &[u64], keep: &Keep, scores: Option<&[f64]>) -> Vec<u32> {
    let mut kept: Vec<u32> = (0..roots.len() as u32).collect();
    if matches!(keep, Keep::First) {
        return kept;
    }
    // Documents come in increasing order, so "strictly better" keeps the first on ties.
    let better = |a: usize, b: usize| -> bool {
        match scores {
            Some(s) => s[a] > s[b],
            None => lengths[a] > lengths[b],
        }
    };
    for (d, &r) in roots.iter().enumerate() {
        let current = kept[r as usize] as usize;
        if d != r as usize && better(d, current) {
            kept[r as usize] = d as u32;
        }
    }
    kept
}

/// The shingle-hash sets of the documents that appear in `pairs`.
fn shingle_sets(
    hasher: &MinHasher,
    stream: BatchStream,
    column: &str,
    needed: &[bool],
) -> Result<HashMap<u32, Vec<u64>>> {
    let n = needed.len();
    let shingling = *hasher.shingling();
    let mut sets = HashMap::new();
    let seen = for_each_text_batch(stream, column, &NoProgress, |_, text, first_row| {
        let rows: Vec<usize> = (0..text.len())
            .filter(|&i| needed.get(first_row as usize + i).copied().unwrap_or(false))
            .collect();
        let computed: Vec<(u32, Vec<u64>)> = rows
            .par_iter()
            .map_init(ShingleScratch::default, |scratch, &i| {
                let set = shingling.hash_set(text.value(i), scratch);
                ((first_row as usize + i) as u32, set)
            })
            .collect();
        sets.extend(computed);
        Ok(true)
    })?;
    if seen as usize != n {
        return Err(Error::invalid(
            "source",
            format!("the second read of the corpus gave {seen} documents instead of {n}"),
        ));
    }
    Ok(sets)
}
