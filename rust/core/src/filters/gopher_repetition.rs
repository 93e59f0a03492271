//! Gopher's repetition rules (Rae et al. 2021, table A1), as datatrove's
//! `GopherRepetitionFilter` applies them.

use std::collections::{HashMap, HashSet};

use xxhash_rust::xxh3::Xxh3DefaultBuilder;

use super::pystr::{len, strip};
use super::{enabled, Verdict};

/// Thresholds of the repetition rules (`None` or 0 disables a rule, as in datatrove).
#[derive(Debug, Clone, PartialEq)]
pub struct GopherRepetitionParams {
    /// Largest fraction of duplicated lines.
    pub dup_line_frac: Option<f64>,
    /// Largest fraction of duplicated paragraphs.
    pub dup_para_frac: Option<f64>,
    /// Largest fraction of characters in duplicated lines.
    pub dup_line_char_frac: Option<f64>,
    /// Largest fraction of characters in duplicated paragraphs.
    pub dup_para_char_frac: Option<f64>,
    /// `(n, largest fraction of characters in the most frequent n-gram)`.
    pub top_n_grams: Vec<(usize, f64)>,
    /// `(n, largest fraction of characters in repeated n-grams)`.
    pub dup_n_grams: Vec<(usize, f64)>,
}

impl Default for GopherRepetitionParams {
    fn default() -> Self {
        GopherRepetitionParams {
            dup_line_frac: Some(0.3),
            dup_para_frac: Some(0.3),
            dup_line_char_frac: Some(0.2),
            dup_para_char_frac: Some(0.2),
            top_n_grams: vec![(2, 0.2), (3, 0.18), (4, 0.16)],
            dup_n_grams: vec![
                (5, 0.15),
                (6, 0.14),
                (7, 0.13),
                (8, 0.12),
                (9, 0.11),
                (10, 0.10),
            ],
        }
    }
}

impl GopherRepetitionParams {
    /// Names of the statistics columns, in the order [`evaluate`] returns them.
    pub fn stat_names(&self) -> Vec<String> {
        let mut names: Vec<String> = [
            "dup_para_frac",
            "dup_para_char_frac",
            "dup_line_frac",
            "dup_line_char_frac",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        names.extend(
            self.top_n_grams
                .iter()
                .map(|(n, _)| format!("top_{n}gram_char_frac")),
        );
        names.extend(
            self.dup_n_grams
                .iter()
                .map(|(n, _)| format!("dup_{n}gram_char_frac")),
        );
        names
    }
}

/// `(duplicate elements, characters in duplicates)` as datatrove's `find_duplicates`.
pub fn find_duplicates<'a>(items: impl IntoIterator<Item = &'a str>) -> (usize, usize) {
    let mut seen: HashSet<&str, Xxh3DefaultBuilder> = HashSet::default();
    let (mut elements, mut chars) = (0, 0);
    for x in items {
        if !seen.insert(x) {
            elements += 1;
            chars += len(x);
        }
    }
    (elements, chars)
}

/// `re.split(r"\n{2,}", s)` (`min_run` 2) or `re.split("\n+", s)` (`min_run` 1).
fn split_newline_runs(s: &str, min_run: usize) -> Vec<&str> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            let mut j = i;
            while j < bytes.len() && bytes[j] == b'\n' {
                j += 1;
            }
            if j - i >= min_run {
                out.push(&s[start..i]);
                start = j;
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out.push(&s[start..]);
    out
}

/// Words laid out with a separator so that any run of consecutive words is one slice.
struct Joined {
    buf: String,
    /// Byte offset of word i in `buf`; `starts[n]` is the end (plus separator).
    starts: Vec<usize>,
    /// Character offset of word i (same convention).
    chars: Vec<usize>,
    sep: usize,
}

impl Joined {
    fn new(words: &[&str], sep: &str) -> Joined {
        let mut buf = String::new();
        let mut starts = Vec::with_capacity(words.len() + 1);
        let mut chars = Vec::with_capacity(words.len() + 1);
        let mut c = 0;
        for w in words {
            starts.push(buf.len());
            chars.push(c);
            buf.push_str(w);
            buf.push_str(sep);
            c += len(w) + len(sep);
        }
        starts.push(buf.len());
        chars.push(c);
        Joined {
            buf,
            starts,
            chars,
            sep: sep.len(),
        }
    }
    fn gram(&self, i: usize, n: usize) -> &str {
        &self.buf[self.starts[i]..self.starts[i + n] - self.sep]
    }
    fn gram_chars(&self, i: usize, n: usize) -> usize {
        self.chars[i + n] - self.chars[i] - self.sep
    }
}

/// Characters of the most frequent n-gram times its count (first seen wins ties).
fn top_duplicate(j: &Joined, n_words: usize, n: usize) -> Option<usize> {
    if n == 0 || n_words < n {
        return None;
    }
    let mut counts: HashMap<&str, (usize, usize), Xxh3DefaultBuilder> = HashMap::default();
    for i in 0..=n_words - n {
        let e = counts.entry(j.gram(i, n)).or_insert((0, i));
        e.0 += 1;
    }
    let mut best: Option<(usize, usize)> = None; // (count, first index)
    for &(count, first) in counts.values() {
        best = match best {
            Some((bc, bf)) if bc > count || (bc == count && bf < first) => Some((bc, bf)),
            _ => Some((count, first)),
        };
    }
    best.map(|(count, first)| j.gram_chars(first, n) * count)
}

/// datatrove's `find_all_duplicate`: characters of repeated n-grams (words
/// concatenated without a separator), skipping past each repeat.
fn all_duplicate(j: &Joined, n_words: usize, n: usize) -> usize {
    let mut seen: HashSet<&str, Xxh3DefaultBuilder> = HashSet::default();
    let (mut repeated, mut i) = (0, 0);
    while n_words >= n && i < n_words + 1 - n {
        let g = j.gram(i, n);
        if seen.contains(g) {
            repeated += j.gram_chars(i, n);
            i += n;
        } else {
            seen.insert(g);
            i += 1;
        }
    }
    repeated
}

/// The verdict and statistics of `text` split into `words`.
pub fn evaluate(p: &GopherRepetitionParams, text: &str, words: &[&str]) -> (Verdict, Vec<f64>) {
    let n_stats = 4 + p.top_n_grams.len() + p.dup_n_grams.len();
    if text.is_empty() {
        return (Verdict::drop("empty"), vec![f64::NAN; n_stats]);
    }
    let text_len = len(text) as f64;
    let paragraphs = split_newline_runs(strip(text), 2);
    let (pd, pc) = find_duplicates(paragraphs.iter().copied());
    let lines = split_newline_runs(text, 1);
    let (ld, lc) = find_duplicates(lines.iter().copied());
    let mut stats = vec![
        pd as f64 / paragraphs.len() as f64,
        pc as f64 / text_len,
        ld as f64 / lines.len() as f64,
        lc as f64 / text_len,
    ];
    let spaced = Joined::new(words, " ");
    let mut verdict = None;
    let checks = [
        (p.dup_para_frac, stats[0], "dup_para_frac"),
        (p.dup_para_char_frac, stats[1], "dup_para_char_frac"),
        (p.dup_line_frac, stats[2], "dup_line_frac"),
        (p.dup_line_char_frac, stats[3], "dup_line_char_frac"),
    ];
    for (t, v, name) in checks {
        if verdict.is_none() && enabled(t).is_some_and(|t| v > t) {
            verdict = Some(Verdict::drop(name));
        }
    }
    for &(n, frac) in &p.top_n_grams {
        let v = top_duplicate(&spaced, words.len(), n).map(|c| c as f64 / text_len);
        stats.push(v.unwrap_or(0.0));
        if verdict.is_none() && v.is_some_and(|v| v > frac) {
            verdict = Some(Verdict::drop_owned(format!("top_{n}_gram")));
        }
    }
    let glued = Joined::new(words, "");
    for &(n, frac) in &p.dup_n_grams {
        let v = if n == 0 {
            0.0
        } else {
            all_duplicate(&glued, words.len(), n) as f64 / text_len
        };
        stats.push(v);
        if verdict.is_none() && v > frac {
            verdict = Some(Verdict::drop_owned(format!("duplicated_{n}_n_grams")));
        }
    }
    (verdict.unwrap_or_else(Verdict::keep), stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_re_split() {
        assert_eq!(
            split_newline_runs("a\n\nb\nc\n\n\n", 2),
            vec!["a", "b\nc", ""]
        );
        assert_eq!(split_newline_runs("\na\n\nb", 1), vec!["", "a", "b"]);
    }

    #[test]
    fn top_and_all_duplicates() {
        let words = ["a", "b", "a", "b", "a", "b"];
        let j = Joined::new(&words, " ");
        assert_eq!(top_duplicate(&j, 6, 2), Some(3 * 3));
        let g = Joined::new(&words, "");
        assert_eq!(all_duplicate(&g, 6, 2), 4);
        // Concatenation without separator: "ab"+"c" equals "a"+"bc".
        let words = ["ab", "c", "a", "bc"];
        let g = Joined::new(&words, "");
        assert_eq!(all_duplicate(&g, 4, 2), 3);
    }
}
