//! fastText's dictionary: the words and labels of a model, and the ids of a line's
//! features (words, character n-grams, word n-grams) as the C++ library computes them.
//!
//! - Hashing is 32-bit FNV-1a over the bytes, each byte *sign-extended* first (the C++
//!   code XORs an `int8_t` cast to `uint32_t`), so bytes >= 0x80 hash as `0xFFFFFFxx`.
//! - Character n-grams are taken over `<` + word + `>`, stepping over UTF-8 code points,
//!   of `minn..=maxn` code points, skipping the lone `<` and `>`; each is
//!   `hash % bucket`, an input row after the words.
//! - Word n-grams (`wordNgrams > 1`) chain the words' hashes, sign-extended to 64 bits,
//!   as `h = h * 116049371 + next`, and take `h % bucket`.
//! - A quantized model may be pruned: only the buckets of `pruneidx` survive, renumbered.
//! - The end of a line is the word `</s>`.

use std::collections::HashMap;

/// The word fastText appends at the end of every line.
pub const EOS: &[u8] = b"</s>";
/// The prefix that makes a token a label (fastText's default `-label`).
pub const LABEL_PREFIX: &[u8] = b"__label__";
const BOW: u8 = b'<';
const EOW: u8 = b'>';
const WORD_NGRAM_PRIME: u64 = 116_049_371;
/// Buckets up to this count are remapped through a dense table (4 bytes each).
const DENSE_PRUNE_LIMIT: usize = 1 << 25;

/// Whether an entry of the dictionary is a word or a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryType {
    /// A word of the input (an input row).
    Word,
    /// A label (an output).
    Label,
}

/// A word or label and its count in the training data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The bytes of the word or label (labels keep their `__label__` prefix).
    pub word: Vec<u8>,
    /// Occurrences in the training data (label counts shape the hierarchical softmax).
    pub count: i64,
    /// Word or label.
    pub kind: EntryType,
}

/// 32-bit FNV-1a with fastText's sign extension of each byte.
#[inline]
pub fn hash(bytes: &[u8]) -> u32 {
    let mut h: u32 = 2_166_136_261;
    for &b in bytes {
        h = fnv_step(h, b);
    }
    h
}

#[inline(always)]
fn fnv_step(h: u32, b: u8) -> u32 {
    (h ^ (b as i8 as i32 as u32)).wrapping_mul(16_777_619)
}

/// How the surviving buckets of a pruned model are renumbered.
#[derive(Debug, Clone)]
enum Prune {
    /// Not pruned: every bucket is a row.
    None,
    /// `table[bucket]` is the new id, or -1.
    Dense(Vec<i32>),
    /// For very many buckets.
    Map(HashMap<i32, i32>),
}

/// The dictionary of a supervised model: words first, then labels.
#[derive(Debug, Clone)]
pub struct Dictionary {
    entries: Vec<Entry>,
    nwords: usize,
    ntokens: i64,
    pruneidx: Option<Vec<(i32, i32)>>,
    minn: usize,
    maxn: usize,
    bucket: u32,
    word_ngrams: usize,
    word2int: Vec<i32>,
    prune: Prune,
}

/// Reusable buffers of [`Dictionary::line_features`].
#[derive(Debug, Default)]
pub struct Scratch {
    word_hashes: Vec<i32>,
    bracketed: Vec<u8>,
}

impl Dictionary {
    /// A dictionary of `entries` (words, then labels) for a model with the given
    /// n-gram settings. `pruneidx` is `None` for an unpruned model, else the pairs
    /// (bucket, new id) that survived quantization.
    pub fn new(
        entries: Vec<Entry>,
        ntokens: i64,
        pruneidx: Option<Vec<(i32, i32)>>,
        minn: usize,
        maxn: usize,
        bucket: u32,
        word_ngrams: usize,
    ) -> Result<Self, String> {
        let nwords = entries
            .iter()
            .take_while(|e| e.kind == EntryType::Word)
            .count();
        if entries[nwords..].iter().any(|e| e.kind != EntryType::Label) {
            return Err("the dictionary must list its words before its labels".into());
        }
        if entries.len() > i32::MAX as usize {
            return Err("too many dictionary entries".into());
        }
        let size = ((entries.len() as f64) / 0.7).ceil() as usize;
        let mut dict = Dictionary {
            entries,
            nwords,
            ntokens,
            pruneidx: None,
            minn,
            maxn,
            bucket,
            word_ngrams,
            word2int: vec![-1; size.max(1)],
            prune: Prune::None,
        };
        for i in 0..dict.entries.len() {
            let slot = dict.slot(&dict.entries[i].word, hash(&dict.entries[i].word));
            dict.word2int[slot] = i as i32;
        }
        if let Some(pairs) = pruneidx {
            dict.prune = if (bucket as usize) <= DENSE_PRUNE_LIMIT {
                let mut table = vec![-1i32; bucket as usize];
                for &(from, to) in &pairs {
                    if from >= 0 && (from as usize) < table.len() {
                        table[from as usize] = to;
                    }
                }
                Prune::Dense(table)
            } else {
                Prune::Map(pairs.iter().copied().collect())
            };
            dict.pruneidx = Some(pairs);
        }
        Ok(dict)
    }

    /// The open-addressing slot of `word` (its own, or the empty one it would take).
    fn slot(&self, word: &[u8], h: u32) -> usize {
        let n = self.word2int.len();
        let mut id = (h as usize) % n;
        loop {
            let at = self.word2int[id];
            if at == -1 || self.entries[at as usize].word == word {
                return id;
            }
            id = (id + 1) % n;
        }
    }

    /// The id of `word` (hash `h`), if it is in the dictionary.
    #[inline]
    pub fn id(&self, word: &[u8], h: u32) -> Option<usize> {
        let at = self.word2int[self.slot(word, h)];
        (at >= 0).then_some(at as usize)
    }

    /// All entries, words then labels.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Number of words.
    pub fn nwords(&self) -> usize {
        self.nwords
    }

    /// Number of labels.
    pub fn nlabels(&self) -> usize {
        self.entries.len() - self.nwords
    }

    /// Tokens seen in training.
    pub fn ntokens(&self) -> i64 {
        self.ntokens
    }

    /// The pruned buckets (bucket, new id), `None` if the model is not pruned.
    pub fn pruneidx(&self) -> Option<&[(i32, i32)]> {
        self.pruneidx.as_deref()
    }

    /// The label entries.
    pub fn labels(&self) -> &[Entry] {
        &self.entries[self.nwords..]
    }

    /// The counts of the labels, in label order.
    pub fn label_counts(&self) -> Vec<i64> {
        self.labels().iter().map(|e| e.count).collect()
    }

    /// The largest input row a feature can address, plus one.
    pub fn input_rows_needed(&self) -> usize {
        match &self.pruneidx {
            None => self.nwords + self.bucket as usize,
            Some(pairs) => {
                self.nwords
                    + pairs
                        .iter()
                        .map(|&(_, to)| to.max(-1) + 1)
                        .max()
                        .unwrap_or(0) as usize
            }
        }
    }

    /// Push the input row of bucket `id`, renumbered if the model is pruned.
    #[inline]
    fn push_bucket(&self, out: &mut Vec<i32>, id: i32) {
        let id = match &self.prune {
            Prune::None => id,
            Prune::Dense(table) => table[id as usize],
            Prune::Map(map) => *map.get(&id).unwrap_or(&-1),
        };
        if id >= 0 {
            out.push(self.nwords as i32 + id);
        }
    }

    /// Push the character n-grams of `token` (without the brackets).
    fn push_subwords(&self, out: &mut Vec<i32>, token: &[u8], bracketed: &mut Vec<u8>) {
        if self.maxn == 0 || self.bucket == 0 {
            return;
        }
        if matches!(&self.pruneidx, Some(p) if p.is_empty()) {
            return;
        }
        bracketed.clear();
        bracketed.push(BOW);
        bracketed.extend_from_slice(token);
        bracketed.push(EOW);
        let word = &bracketed[..];
        let len = word.len();
        for i in 0..len {
            if word[i] & 0xC0 == 0x80 {
                continue;
            }
            let mut h: u32 = 2_166_136_261;
            let mut j = i;
            let mut n = 1;
            while j < len && n <= self.maxn {
                h = fnv_step(h, word[j]);
                j += 1;
                while j < len && word[j] & 0xC0 == 0x80 {
                    h = fnv_step(h, word[j]);
                    j += 1;
                }
                if n >= self.minn && !(n == 1 && (i == 0 || j == len)) {
                    self.push_bucket(out, (h % self.bucket) as i32);
                }
                n += 1;
            }
        }
    }

    /// The input rows of one line given as its tokens (the caller appends `</s>`):
    /// each word's id and character n-grams (or its n-grams alone if unknown), then
    /// the word n-grams. Labels and unknown `__label__` tokens add nothing.
    pub fn line_features<'t>(
        &self,
        tokens: impl Iterator<Item = &'t [u8]>,
        out: &mut Vec<i32>,
        scratch: &mut Scratch,
    ) {
        out.clear();
        let hashes = &mut scratch.word_hashes;
        hashes.clear();
        for token in tokens {
            let h = hash(token);
            let id = self.id(token, h);
            let is_word = match id {
                Some(i) => self.entries[i].kind == EntryType::Word,
                None => !token.starts_with(LABEL_PREFIX),
            };
            if is_word {
                match id {
                    None => {
                        if token != EOS {
                            self.push_subwords(out, token, &mut scratch.bracketed);
                        }
                    }
                    Some(i) => {
                        out.push(i as i32);
                        if self.maxn > 0 && token != EOS {
                            self.push_subwords(out, token, &mut scratch.bracketed);
                        }
                    }
                }
                hashes.push(h as i32);
            }
            if token == EOS {
                break;
            }
        }
        if self.bucket == 0 {
            return;
        }
        for i in 0..hashes.len() {
            let mut h = hashes[i] as i64 as u64;
            for &next in hashes.iter().take(i + self.word_ngrams).skip(i + 1) {
                h = h
                    .wrapping_mul(WORD_NGRAM_PRIME)
                    .wrapping_add(next as i64 as u64);
                self.push_bucket(out, (h % self.bucket as u64) as i32);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(word: &str, kind: EntryType) -> Entry {
        Entry {
            word: word.as_bytes().to_vec(),
            count: 1,
            kind,
        }
    }

    fn dict(minn: usize, maxn: usize, word_ngrams: usize) -> Dictionary {
        let entries = vec![
            entry("</s>", EntryType::Word),
            entry("the", EntryType::Word),
            entry("cat", EntryType::Word),
            entry("__label__a", EntryType::Label),
        ];
        Dictionary::new(entries, 10, None, minn, maxn, 1000, word_ngrams).unwrap()
    }

    #[test]
    fn fnv_sign_extends_high_bytes() {
        assert_eq!(hash(b""), 2_166_136_261);
        // "a": (2166136261 ^ 97) * 16777619 mod 2^32.
        assert_eq!(hash(b"a"), 0xE40C_292C);
        let high = (2_166_136_261u32 ^ 0xFFFF_FFC3).wrapping_mul(16_777_619);
        assert_eq!(hash(&[0xC3]), high);
    }

    #[test]
    fn words_are_found_and_labels_skipped() {
        let d = dict(0, 0, 1);
        let mut out = Vec::new();
        let mut s = Scratch::default();
        let tokens: [&[u8]; 4] = [b"cat", b"__label__a", b"dog", EOS];
        d.line_features(tokens.into_iter(), &mut out, &mut s);
        assert_eq!(out, vec![2, 0]);
        assert_eq!(d.nwords(), 3);
        assert_eq!(d.nlabels(), 1);
    }

    #[test]
    fn char_ngrams_step_over_code_points() {
        let d = dict(1, 2, 1);
        let mut out = Vec::new();
        let mut s = Scratch::default();
        // "<é>" has 3 code points: n-grams "é", "<é", "é>" (the lone brackets skipped).
        d.line_features(["é".as_bytes()].into_iter(), &mut out, &mut s);
        let want: Vec<i32> = ["<é", "é", "é>"]
            .iter()
            .map(|g| 3 + (hash(g.as_bytes()) % 1000) as i32)
            .collect();
        let mut got = out.clone();
        got.sort();
        let mut want_sorted = want.clone();
        want_sorted.sort();
        assert_eq!(got, want_sorted);
    }

    #[test]
    fn word_bigrams_chain_sign_extended_hashes() {
        let d = dict(0, 0, 2);
        let mut out = Vec::new();
        let mut s = Scratch::default();
        let tokens: [&[u8]; 2] = [b"the", b"cat"];
        d.line_features(tokens.into_iter(), &mut out, &mut s);
        let (a, b) = (
            hash(b"the") as i32 as i64 as u64,
            hash(b"cat") as i32 as i64 as u64,
        );
        let h = a.wrapping_mul(116_049_371).wrapping_add(b) % 1000;
        assert_eq!(out, vec![1, 2, 3 + h as i32]);
    }

    #[test]
    fn pruned_buckets_are_renumbered_or_dropped() {
        let entries = vec![
            entry("x", EntryType::Word),
            entry("__label__a", EntryType::Label),
        ];
        let keep = (hash(b"<y") % 100) as i32;
        let d = Dictionary::new(entries, 1, Some(vec![(keep, 0)]), 2, 2, 100, 1).unwrap();
        let mut out = Vec::new();
        let mut s = Scratch::default();
        d.line_features([&b"y"[..]].into_iter(), &mut out, &mut s);
        let other = (hash(b"y>") % 100) as i32;
        assert_eq!(out, if other == keep { vec![1, 1] } else { vec![1] });
    }
}
