//! Stable n-gram hashing into buckets.
//!
//! Two schemes, both fixed forever for a given name (a saved model records its scheme):
//!
//! * [`HashScheme::Xxh3`] (default): each token is hashed once with XXH3-64 (seed 0);
//!   an n-gram of n >= 2 tokens hashes the little-endian bytes of its tokens' hashes
//!   with XXH3-64 seeded by n. The bucket is `(h * buckets) >> 64` (Lemire's fast
//!   range). No n-gram string is ever built.
//! * [`HashScheme::Sha256`] (data-selection compatibility): the n-gram's tokens joined
//!   by one space, UTF-8 encoded, SHA-256, read as a big-endian 256-bit integer, modulo
//!   the number of buckets: `int(sha256(s).hexdigest(), 16) % buckets`.

use sha2::{Digest, Sha256};
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

/// How n-grams are hashed into buckets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashScheme {
    /// XXH3-64 of tokens, combined for n-grams (fast; thresher's default).
    Xxh3,
    /// SHA-256 of the space-joined n-gram, modulo buckets (data-selection's scheme).
    Sha256,
}

impl HashScheme {
    /// The scheme's stable name, as saved in model files.
    pub fn name(self) -> &'static str {
        match self {
            HashScheme::Xxh3 => "xxh3",
            HashScheme::Sha256 => "sha256",
        }
    }

    /// Parse a name written by [`HashScheme::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "xxh3" => Some(HashScheme::Xxh3),
            "sha256" => Some(HashScheme::Sha256),
            _ => None,
        }
    }
}

/// XXH3 hash of one token (the first step of the default scheme).
#[inline]
pub fn token_hash(token: &str) -> u64 {
    xxh3_64(token.as_bytes())
}

/// XXH3 hash of an n-gram from its tokens' hashes (n = `hashes.len()` >= 2).
#[inline]
pub fn combine_hashes(hashes: &[u64]) -> u64 {
    if let [first, second] = hashes {
        return combine_pair(*first, *second);
    }
    let mut bytes = [0u8; 8 * MAX_NGRAM];
    for (chunk, h) in bytes.chunks_exact_mut(8).zip(hashes) {
        chunk.copy_from_slice(&h.to_le_bytes());
    }
    xxh3_64_with_seed(&bytes[..8 * hashes.len()], hashes.len() as u64)
}

/// [`combine_hashes`] of a bigram, without the general case's buffer.
#[inline]
pub fn combine_pair(first: u64, second: u64) -> u64 {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&first.to_le_bytes());
    bytes[8..].copy_from_slice(&second.to_le_bytes());
    xxh3_64_with_seed(&bytes, 2)
}

/// The longest n-gram either scheme supports.
pub const MAX_NGRAM: usize = 8;

/// Map a 64-bit hash to `[0, buckets)` by Lemire's multiply-shift.
#[inline]
pub fn fast_range(hash: u64, buckets: u32) -> u32 {
    ((hash as u128 * buckets as u128) >> 64) as u32
}

/// data-selection's bucket of the n-gram made of `tokens` joined by single spaces.
pub fn sha256_bucket(tokens: &[&str], buckets: u32) -> u32 {
    let mut hasher = Sha256::new();
    for (i, token) in tokens.iter().enumerate() {
        if i > 0 {
            hasher.update(b" ");
        }
        hasher.update(token.as_bytes());
    }
    let digest = hasher.finalize();
    let modulus = buckets as u64;
    let remainder = digest
        .iter()
        .fold(0u64, |r, &byte| ((r << 8) | byte as u64) % modulus);
    remainder as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_data_selection_test_vectors() {
        // int(hashlib.sha256(s.encode()).hexdigest(), 16) % 10000 in Python.
        assert_eq!(sha256_bucket(&["alice"], 10_000), 6720);
        assert_eq!(sha256_bucket(&["alice", "went"], 10_000), 114);
    }

    #[test]
    fn xxh3_scheme_is_stable() {
        // Pinned values: a change here breaks every saved model and must not happen.
        assert_eq!(token_hash(""), 0x2d06800538d394c2);
        assert_eq!(
            fast_range(token_hash("alice"), 10_000),
            fast_range(token_hash("alice"), 10_000)
        );
        let pinned = [
            fast_range(token_hash("alice"), 10_000),
            fast_range(
                combine_hashes(&[token_hash("alice"), token_hash("went")]),
                10_000,
            ),
        ];
        assert_eq!(pinned, PINNED);
    }

    const PINNED: [u32; 2] = [3032, 6715];

    #[test]
    fn fast_range_stays_in_range() {
        for h in [0, 1, u64::MAX, u64::MAX / 2, 0x9e3779b97f4a7c15] {
            for b in [1, 7, 10_000, u32::MAX] {
                assert!(fast_range(h, b) < b);
            }
        }
    }
}
