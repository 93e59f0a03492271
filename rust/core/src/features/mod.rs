//! Hashed n-gram features of text: the feature space of DSIR.
//!
//! A document's features are its tokens (see [`tokenize`]) and every run of 2..=n
//! consecutive tokens, each hashed into one of `buckets` buckets (see [`hashing`]).
//! Kernels never build a dense vector per document: they receive the bucket of each
//! n-gram through a callback, so a weight is a sum over n-grams and a fit is a count.

pub mod hashing;
pub mod tokenize;

pub use hashing::HashScheme;

use crate::{Error, Result};
use hashing::{combine_hashes, combine_pair, fast_range, sha256_bucket, token_hash, MAX_NGRAM};

/// How text becomes hashed n-gram features.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeatureConfig {
    /// Longest n-gram (1 = unigrams only; 2 = unigrams and bigrams, the default).
    pub ngrams: usize,
    /// Number of hash buckets.
    pub buckets: u32,
    /// Hash scheme.
    pub hash: HashScheme,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            ngrams: 2,
            buckets: 10_000,
            hash: HashScheme::Xxh3,
        }
    }
}

/// Per-thread scratch space, reused across documents to avoid allocation.
#[derive(Default)]
pub struct Scratch {
    lowered: String,
    hashes: Vec<u64>,
    spans: Vec<(u32, u32)>,
}

impl FeatureConfig {
    /// Check the parameters.
    pub fn validate(&self) -> Result<()> {
        if self.ngrams == 0 || self.ngrams > MAX_NGRAM {
            return Err(Error::invalid(
                "ngrams",
                format!("must be between 1 and {MAX_NGRAM}, got {}", self.ngrams),
            ));
        }
        if self.buckets == 0 {
            return Err(Error::invalid("num_buckets", "must be at least 1"));
        }
        Ok(())
    }

    /// Number of n-gram features of a document of `tokens` tokens.
    pub fn feature_count(&self, tokens: usize) -> usize {
        (1..=self.ngrams)
            .map(|n| tokens.saturating_sub(n - 1))
            .sum()
    }

    /// Call `emit(bucket)` once for every n-gram feature of `text`; return the number
    /// of tokens. The order is fixed (so float sums are reproducible) but is not part of
    /// the contract: with `ngrams <= 2` and XXH3 each bigram follows its second token;
    /// otherwise unigrams come first, then bigrams, and so on.
    pub fn for_each_bucket(
        &self,
        text: &str,
        scratch: &mut Scratch,
        mut emit: impl FnMut(u32),
    ) -> usize {
        tokenize::lowercase_into(text, &mut scratch.lowered);
        let lowered = scratch.lowered.as_str();
        match self.hash {
            HashScheme::Xxh3 if self.ngrams <= 2 => {
                // The common case in one pass: each token's bigram with its predecessor
                // is emitted right after it (same multiset of buckets as below).
                let mut previous: Option<u64> = None;
                let mut tokens = 0usize;
                let bigrams = self.ngrams == 2;
                tokenize::for_each_token(lowered, |t| {
                    let h = token_hash(t);
                    tokens += 1;
                    emit(fast_range(h, self.buckets));
                    if let (true, Some(p)) = (bigrams, previous) {
                        emit(fast_range(combine_pair(p, h), self.buckets));
                    }
                    previous = Some(h);
                });
                tokens
            }
            HashScheme::Xxh3 => {
                let hashes = &mut scratch.hashes;
                hashes.clear();
                tokenize::for_each_token(lowered, |t| {
                    let h = token_hash(t);
                    hashes.push(h);
                    emit(fast_range(h, self.buckets));
                });
                for n in 2..=self.ngrams {
                    for window in hashes.windows(n) {
                        emit(fast_range(combine_hashes(window), self.buckets));
                    }
                }
                hashes.len()
            }
            HashScheme::Sha256 => {
                let spans = &mut scratch.spans;
                spans.clear();
                let base = lowered.as_ptr() as usize;
                tokenize::for_each_token(lowered, |t| {
                    let start = t.as_ptr() as usize - base;
                    spans.push((start as u32, (start + t.len()) as u32));
                    emit(sha256_bucket(&[t], self.buckets));
                });
                let mut words: Vec<&str> = Vec::with_capacity(self.ngrams);
                for n in 2..=self.ngrams {
                    for window in spans.windows(n) {
                        words.clear();
                        words.extend(
                            window
                                .iter()
                                .map(|&(s, e)| &lowered[s as usize..e as usize]),
                        );
                        emit(sha256_bucket(&words, self.buckets));
                    }
                }
                spans.len()
            }
        }
    }

    /// Add the features of `text` to `counts` (length `buckets`); return its tokens.
    pub fn count_into(&self, text: &str, scratch: &mut Scratch, counts: &mut [u64]) -> usize {
        self.for_each_bucket(text, scratch, |b| counts[b as usize] += 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive_counts(config: &FeatureConfig, text: &str) -> Vec<u64> {
        let re_tokens: Vec<String> = {
            let mut lowered = String::new();
            tokenize::lowercase_into(text, &mut lowered);
            let mut v = Vec::new();
            tokenize::for_each_token(&lowered, |t| v.push(t.to_string()));
            v
        };
        let mut counts = vec![0u64; config.buckets as usize];
        for n in 1..=config.ngrams {
            for w in re_tokens.windows(n) {
                let b = match config.hash {
                    HashScheme::Sha256 => {
                        let refs: Vec<&str> = w.iter().map(String::as_str).collect();
                        sha256_bucket(&refs, config.buckets)
                    }
                    HashScheme::Xxh3 => {
                        let hs: Vec<u64> = w.iter().map(|t| token_hash(t)).collect();
                        let h = if n == 1 { hs[0] } else { combine_hashes(&hs) };
                        fast_range(h, config.buckets)
                    }
                };
                counts[b as usize] += 1;
            }
        }
        counts
    }

    #[test]
    fn counts_alice_like_data_selection() {
        let config = FeatureConfig {
            ngrams: 2,
            buckets: 10_000,
            hash: HashScheme::Sha256,
        };
        let mut counts = vec![0u64; 10_000];
        let tokens = config.count_into("Alice went", &mut Scratch::default(), &mut counts);
        assert_eq!(tokens, 2);
        assert_eq!(counts[6720], 1);
        assert_eq!(counts[114], 1);
        assert_eq!(counts.iter().sum::<u64>(), 3);
    }

    #[test]
    fn rejects_bad_parameters() {
        let bad = FeatureConfig {
            ngrams: 0,
            ..Default::default()
        };
        assert!(matches!(
            bad.validate(),
            Err(Error::InvalidParameter { .. })
        ));
        let bad = FeatureConfig {
            buckets: 0,
            ..Default::default()
        };
        assert!(bad.validate().is_err());
    }

    proptest! {
        #[test]
        fn counts_equal_a_naive_count(
            text in "[a-zA-Z .,!é\n]{0,200}",
            ngrams in 1usize..4,
            buckets in 1u32..50,
            sha in any::<bool>(),
        ) {
            let config = FeatureConfig {
                ngrams,
                buckets,
                hash: if sha { HashScheme::Sha256 } else { HashScheme::Xxh3 },
            };
            let mut counts = vec![0u64; buckets as usize];
            let tokens = config.count_into(&text, &mut Scratch::default(), &mut counts);
            prop_assert_eq!(&counts, &naive_counts(&config, &text));
            prop_assert_eq!(counts.iter().sum::<u64>() as usize, config.feature_count(tokens));
        }
    }
}

impl FeatureConfig {
    /// Every n-gram of `text` as (the n-gram's tokens joined by spaces, its bucket):
    /// unigrams, then bigrams, and so on. For explaining weights, not for speed.
    pub fn ngrams_with_buckets(&self, text: &str) -> Vec<(String, u32)> {
        let mut lowered = String::new();
        tokenize::lowercase_into(text, &mut lowered);
        let mut tokens = Vec::new();
        tokenize::for_each_token(&lowered, |t| tokens.push(t));
        let hashes: Vec<u64> = tokens.iter().map(|t| token_hash(t)).collect();
        let mut out = Vec::new();
        for n in 1..=self.ngrams {
            for (words, hs) in tokens.windows(n).zip(hashes.windows(n)) {
                let bucket = match (self.hash, n) {
                    (HashScheme::Sha256, _) => sha256_bucket(words, self.buckets),
                    (HashScheme::Xxh3, 1) => fast_range(hs[0], self.buckets),
                    (HashScheme::Xxh3, _) => fast_range(combine_hashes(hs), self.buckets),
                };
                out.push((words.join(" "), bucket));
            }
        }
        out
    }
}

#[cfg(test)]
mod explain_tests {
    use super::*;

    #[test]
    fn names_match_buckets() {
        let config = FeatureConfig {
            hash: HashScheme::Sha256,
            ..Default::default()
        };
        let pairs = config.ngrams_with_buckets("Alice went");
        assert_eq!(
            pairs,
            [
                ("alice".into(), 6720),
                ("went".into(), sha256_bucket(&["went"], 10_000)),
                ("alice went".into(), 114)
            ]
        );
    }
}

#[cfg(test)]
mod throughput {
    use super::*;
    use crate::io::{open_jsonl, JsonlOptions};
    use crate::text::TextColumn;

    /// `cargo test --release -p thresher-core featurize_throughput -- --ignored --nocapture`
    #[test]
    #[ignore = "a measurement, not a test"]
    fn featurize_throughput() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../python/thresher/data/demo_raw.jsonl.zst");
        let options = JsonlOptions {
            text_column: Some("text".into()),
            ..Default::default()
        };
        let batches: Vec<_> = open_jsonl(&path, &options)
            .unwrap()
            .map(|b| b.unwrap())
            .collect();
        for ngrams in [1, 2] {
            let config = FeatureConfig {
                ngrams,
                ..Default::default()
            };
            let mut counts = vec![0u64; 10_000];
            let mut scratch = Scratch::default();
            let (mut bytes, start) = (0usize, std::time::Instant::now());
            for _ in 0..5 {
                for batch in &batches {
                    let text = TextColumn::from_batch(batch, "text", 0).unwrap();
                    for i in 0..text.len() {
                        bytes += text.value(i).len();
                        config.count_into(text.value(i), &mut scratch, &mut counts);
                    }
                }
            }
            let rate = bytes as f64 / start.elapsed().as_secs_f64() / 1e6;
            println!("ngrams {ngrams}: {rate:.0} MB/s on one thread");
        }
    }
}
