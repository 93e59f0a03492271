//! Shingles: word or character n-grams of the normalised text.
//!
//! Words are the space-separated tokens of the normalised text (see
//! [`super::normalize`]); a word n-gram's bytes are its tokens joined by single
//! spaces, which is a slice of the normalised text. Character n-grams are `n`
//! consecutive Unicode scalar values of it (spaces included). A document with fewer
//! than `n` units gives one shingle of all of them; an empty one gives none.
//!
//! Two ways to see a shingle:
//! * its bytes ([`Shingling::for_each_shingle`]), for the datasketch-compatible schemes
//!   (their users call `m.update(shingle.encode("utf8"))` on the same strings);
//! * its 64-bit hash ([`Shingling::for_each_hash`]), thresher's fast path: each token
//!   is hashed once with XXH3-64 and a word n-gram's hash combines its tokens' hashes
//!   (no string is built or rehashed); a character n-gram is hashed with XXH3-64.

use xxhash_rust::xxh3::xxh3_64;

use super::normalize::{NormScratch, Normalization};
use crate::features::tokenize::{for_each_token, is_word_char, lowercase_into};
use crate::rng::mix64;
use crate::{Error, Result};

/// The unit of an n-gram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Whitespace-separated tokens of the normalised text.
    Word,
    /// Unicode scalar values of the normalised text.
    Char,
}

/// How a document becomes a set of shingles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shingling {
    /// Words or characters.
    pub unit: Unit,
    /// Units per shingle (default 5).
    pub n: usize,
    /// Normalisation applied first.
    pub normalization: Normalization,
}

impl Default for Shingling {
    fn default() -> Self {
        Shingling {
            unit: Unit::Word,
            n: 5,
            normalization: Normalization::default(),
        }
    }
}

/// Buffers reused across documents (one per thread).
#[derive(Default)]
pub struct ShingleScratch {
    norm: NormScratch,
    lowered: String,
    text: String,
    bounds: Vec<(u32, u32)>,
    hashes: Vec<u64>,
}

/// The multiplier of the word n-gram hash (odd; the 64-bit golden ratio).
const STEP: u64 = 0x9e37_79b9_7f4a_7c15;

/// thresher's hash of a word n-gram from its tokens' XXH3-64 hashes: a polynomial in
/// `STEP` seeded by the n-gram's length, then SplitMix64's finaliser. Fixed forever.
#[inline]
pub fn combine_token_hashes(hashes: &[u64]) -> u64 {
    let h = hashes.iter().fold(hashes.len() as u64, |h, &t| {
        h.wrapping_mul(STEP).wrapping_add(t)
    });
    mix64(h)
}

/// XXH3-64 of the ASCII lowercase of `token`, without allocating for tokens of up to
/// 64 bytes.
#[inline]
fn ascii_lower_hash(token: &[u8], buffer: &mut [u8; 64]) -> u64 {
    if !token.iter().any(u8::is_ascii_uppercase) {
        return xxh3_64(token);
    }
    if token.len() <= buffer.len() {
        let lowered = &mut buffer[..token.len()];
        lowered.copy_from_slice(token);
        lowered.make_ascii_lowercase();
        return xxh3_64(lowered);
    }
    xxh3_64(&token.to_ascii_lowercase())
}

/// Whether a token of [`for_each_token`] is a word (not a punctuation run).
#[inline]
fn is_word_token(token: &str) -> bool {
    match token.as_bytes()[0] {
        b if b < 0x80 => b.is_ascii_alphanumeric() || b == b'_',
        _ => token.chars().next().is_some_and(is_word_char),
    }
}

impl Shingling {
    /// Check the parameters.
    pub fn validate(&self) -> Result<()> {
        if self.n == 0 || self.n > 64 {
            return Err(Error::invalid(
                "ngram",
                format!("must be between 1 and 64, got {}", self.n),
            ));
        }
        Ok(())
    }

    /// Normalise `text` and record the byte bounds of its units in `scratch`.
    fn prepare(&self, text: &str, scratch: &mut ShingleScratch) {
        self.normalization
            .apply(text, &mut scratch.norm, &mut scratch.text);
        let bounds = &mut scratch.bounds;
        bounds.clear();
        let normalized = scratch.text.as_str();
        match self.unit {
            Unit::Word => {
                let mut start = 0usize;
                for i in memchr::memchr_iter(b' ', normalized.as_bytes()) {
                    bounds.push((start as u32, i as u32));
                    start = i + 1;
                }
                if !normalized.is_empty() {
                    bounds.push((start as u32, normalized.len() as u32));
                }
            }
            Unit::Char => {
                for (i, c) in normalized.char_indices() {
                    bounds.push((i as u32, (i + c.len_utf8()) as u32));
                }
            }
        }
    }

    /// The windows of units that make the shingles: `(first unit, units)` ranges.
    fn windows(&self, units: usize) -> impl Iterator<Item = (usize, usize)> {
        let n = self.n;
        let (count, width) = match units {
            0 => (0, 0),
            u if u < n => (1, u),
            u => (u - n + 1, n),
        };
        (0..count).map(move |i| (i, width))
    }

    /// Call `emit` with the bytes of every shingle of `text`, in order (repeated
    /// shingles are emitted each time). Returns the number of shingles.
    pub fn for_each_shingle(
        &self,
        text: &str,
        scratch: &mut ShingleScratch,
        mut emit: impl FnMut(&[u8]),
    ) -> usize {
        self.prepare(text, scratch);
        let (bytes, bounds) = (scratch.text.as_bytes(), &scratch.bounds);
        let mut count = 0;
        for (first, width) in self.windows(bounds.len()) {
            let start = bounds[first].0 as usize;
            let end = bounds[first + width - 1].1 as usize;
            emit(&bytes[start..end]);
            count += 1;
        }
        count
    }

    /// Call `emit` with thresher's 64-bit hash of every shingle of `text`, in order.
    /// Returns the number of shingles.
    pub fn for_each_hash(
        &self,
        text: &str,
        scratch: &mut ShingleScratch,
        mut emit: impl FnMut(u64),
    ) -> usize {
        let n = self.normalization;
        if self.unit == Unit::Word && n.punctuation && !n.digits && !n.nfkc {
            // The default normalisation keeps exactly the word-class tokens of the
            // DSIR tokenizer (runs of Unicode `\w`), so its fast scanner finds them
            // without writing the normalised text.
            let hashes = &mut scratch.hashes;
            hashes.clear();
            if n.lowercase && text.is_ascii() {
                // ASCII: tokenize the text as it is (case does not change a byte's
                // class) and lowercase each word token on the stack while hashing.
                let mut buffer = [0u8; 64];
                for_each_token(text, |token| {
                    if is_word_token(token) {
                        hashes.push(ascii_lower_hash(token.as_bytes(), &mut buffer));
                    }
                });
                return self.emit_word_hashes(hashes, emit);
            }
            let source = if n.lowercase {
                lowercase_into(text, &mut scratch.lowered);
                scratch.lowered.as_str()
            } else {
                text
            };
            for_each_token(source, |token| {
                if is_word_token(token) {
                    hashes.push(xxh3_64(token.as_bytes()));
                }
            });
            return self.emit_word_hashes(hashes, emit);
        }
        self.prepare(text, scratch);
        let (bytes, bounds) = (scratch.text.as_bytes(), &scratch.bounds);
        match self.unit {
            Unit::Word => {
                let hashes = &mut scratch.hashes;
                hashes.clear();
                hashes.extend(
                    bounds
                        .iter()
                        .map(|&(s, e)| xxh3_64(&bytes[s as usize..e as usize])),
                );
                self.emit_word_hashes(hashes, emit)
            }
            Unit::Char => {
                let mut count = 0;
                for (first, width) in self.windows(bounds.len()) {
                    let start = bounds[first].0 as usize;
                    let end = bounds[first + width - 1].1 as usize;
                    emit(xxh3_64(&bytes[start..end]));
                    count += 1;
                }
                count
            }
        }
    }

    /// Emit the hash of every word n-gram given the tokens' hashes; returns the count.
    fn emit_word_hashes(&self, hashes: &[u64], mut emit: impl FnMut(u64)) -> usize {
        let mut count = 0;
        for (first, width) in self.windows(hashes.len()) {
            emit(combine_token_hashes(&hashes[first..first + width]));
            count += 1;
        }
        count
    }

    /// The shingles of `text` as strings (for explanations and compatibility tests).
    pub fn shingles(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.for_each_shingle(text, &mut ShingleScratch::default(), |b| {
            out.push(String::from_utf8_lossy(b).into_owned())
        });
        out
    }

    /// The sorted, deduplicated set of shingle hashes of `text` (exact Jaccard).
    pub fn hash_set(&self, text: &str, scratch: &mut ShingleScratch) -> Vec<u64> {
        let mut set = Vec::new();
        self.for_each_hash(text, scratch, |h| set.push(h));
        set.sort_unstable();
        set.dedup();
        set
    }
}

/// The Jaccard similarity of two sorted, deduplicated sets (1 for two empty sets).
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common as f64 / (a.len() + b.len() - common) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn words(n: usize) -> Shingling {
        Shingling {
            n,
            ..Default::default()
        }
    }

    #[test]
    fn word_shingles_are_space_joined_tokens() {
        let s = words(3);
        assert_eq!(
            s.shingles("The cat, the hat; the bat."),
            ["the cat the", "cat the hat", "the hat the", "hat the bat"]
        );
        assert_eq!(s.shingles("Short text"), ["short text"]);
        assert!(s.shingles(" ,. ").is_empty());
    }

    #[test]
    fn char_shingles() {
        let s = Shingling {
            unit: Unit::Char,
            n: 3,
            ..Default::default()
        };
        assert_eq!(s.shingles("Abé d"), ["abé", "bé ", "é d"]);
        assert_eq!(s.shingles("ab"), ["ab"]);
    }

    #[test]
    fn hashes_are_pinned() {
        // A change here changes every signature of the default scheme.
        let mut scratch = ShingleScratch::default();
        let mut hashes = Vec::new();
        words(2).for_each_hash("alice went", &mut scratch, |h| hashes.push(h));
        assert_eq!(hashes, [PINNED]);
    }

    const PINNED: u64 = 0x2b7b_bc41_3016_cf74;

    proptest! {
        #[test]
        fn fast_word_path_equals_the_general_path(
            text in prop_oneof!["\\PC{0,50}", "([A-Za-z0-9_]{1,80}[ ,.!-]{1,3}){0,6}"],
            lowercase in any::<bool>(),
            n in 1usize..4,
        ) {
            let s = Shingling { n, normalization: Normalization { lowercase, ..Default::default() }, ..Default::default() };
            let mut fast = Vec::new();
            s.for_each_hash(&text, &mut ShingleScratch::default(), |h| fast.push(h));
            // The general path: hash the tokens of the written normalised text.
            let mut scratch = ShingleScratch::default();
            s.prepare(&text, &mut scratch);
            let hashes: Vec<u64> = scratch.bounds.iter()
                .map(|&(a, b)| xxh3_64(&scratch.text.as_bytes()[a as usize..b as usize]))
                .collect();
            let mut general = Vec::new();
            s.emit_word_hashes(&hashes, |h| general.push(h));
            prop_assert_eq!(fast, general);
        }

        #[test]
        fn hashes_follow_the_shingle_strings(text in "[a-c ,.]{0,40}", n in 1usize..5, chars in any::<bool>()) {
            let s = Shingling { unit: if chars { Unit::Char } else { Unit::Word }, n, ..Default::default() };
            let strings = s.shingles(&text);
            let mut hashes = Vec::new();
            s.for_each_hash(&text, &mut ShingleScratch::default(), |h| hashes.push(h));
            prop_assert_eq!(strings.len(), hashes.len());
            // Equal strings have equal hashes, different strings different hashes.
            for i in 0..strings.len() {
                for j in 0..strings.len() {
                    prop_assert_eq!(strings[i] == strings[j], hashes[i] == hashes[j]);
                }
            }
        }
    }
}
