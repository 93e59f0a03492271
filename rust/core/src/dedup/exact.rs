//! Exact duplicates: documents whose normalised texts are equal, by a 128-bit XXH3
//! hash of the normalised text, in one streaming pass; the first copy is kept.
//!
//! Memory is one hash table entry per distinct text (~40 bytes), never the texts.
//!
//! A document that normalisation empties (punctuation, digits or emoji only, once
//! those are stripped) is keyed by its raw text without surrounding whitespace instead:
//! otherwise every such document would equal every other ("!!!" and "???").

use std::collections::HashMap;

use rayon::prelude::*;
use xxhash_rust::xxh3::{xxh3_128, xxh3_128_with_seed};

use super::normalize::{NormScratch, Normalization};
use super::{Annotations, Summary};
use crate::stream::{for_each_text_batch, BatchStream, Progress};
use crate::{Error, Result};

/// The 128-bit key of a document: the hash of its normalised text, or, when that is
/// empty, the hash under another seed of its trimmed raw text (so the two kinds of key
/// do not meet).
fn exact_key(
    raw: &str,
    normalization: &Normalization,
    scratch: &mut NormScratch,
    normalized: &mut String,
) -> u128 {
    normalization.apply(raw, scratch, normalized);
    if !normalized.is_empty() {
        return xxh3_128(normalized.as_bytes());
    }
    let raw = raw.trim();
    if raw.is_empty() {
        return xxh3_128(b"");
    }
    xxh3_128_with_seed(raw.as_bytes(), RAW_KEY_SEED)
}

/// The seed of the keys of documents that normalisation empties.
const RAW_KEY_SEED: u64 = 0x7468_7265_7368_6572;

/// Mark every document whose normalised text equals an earlier one's.
pub fn exact_duplicates(
    stream: BatchStream,
    column: &str,
    normalization: &Normalization,
    progress: &dyn Progress,
) -> Result<Annotations> {
    let mut first_of: HashMap<u128, (u64, u32)> = HashMap::new();
    let mut out = Annotations::default();
    let mut summary = Summary::default();
    for_each_text_batch(stream, column, progress, |_, text, first_row| {
        let hashes: Vec<u128> = (0..text.len())
            .into_par_iter()
            .map_init(
                || (NormScratch::default(), String::new()),
                |(scratch, normalized), i| {
                    exact_key(text.value(i), normalization, scratch, normalized)
                },
            )
            .collect();
        for (i, hash) in hashes.into_iter().enumerate() {
            let row = first_row + i as u64;
            let bytes = text.value(i).len() as u64;
            let entry = first_of.entry(hash).or_insert((row, 0));
            entry.1 = entry.1.saturating_add(1);
            let duplicate = entry.0 != row;
            summary.bytes += bytes;
            if duplicate {
                summary.duplicates += 1;
                summary.bytes_removed += bytes;
            }
            out.cluster_id.push(entry.0);
            out.is_duplicate.push(duplicate);
            out.similarity.push(if duplicate { 1.0 } else { f32::NAN });
        }
        Ok(true)
    })?;
    summary.documents = out.cluster_id.len() as u64;
    if summary.documents == 0 {
        return Err(Error::EmptyInput {
            what: "corpus".into(),
            detail: "no document to deduplicate".into(),
        });
    }
    summary.clusters = first_of.values().filter(|&&(_, count)| count >= 2).count() as u64;
    out.summary = summary;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> u128 {
        let (mut scratch, mut normalized) = (NormScratch::default(), String::new());
        exact_key(
            text,
            &Normalization::default(),
            &mut scratch,
            &mut normalized,
        )
    }

    #[test]
    fn documents_normalisation_empties_are_compared_raw() {
        assert_ne!(key("!!!"), key("???"));
        assert_ne!(key("😀😀"), key("🎉"));
        assert_eq!(key("!!!"), key("  !!!\n"));
        assert_eq!(key(""), key("   "));
    }

    #[test]
    fn other_documents_are_compared_normalised() {
        assert_eq!(key("Hello, World!"), key("hello world"));
        assert_ne!(key("hello world"), key("hello there"));
        assert_ne!(key("!!!"), key("hello"));
    }
}
