//! Gopher's quality rules (Rae et al. 2021, table A1), as datatrove's
//! `GopherQualityFilter` applies them.

use std::collections::HashSet;

use super::pystr::{in_punctuation_set, is_alpha, len, splitlines};
use super::{enabled, Verdict};

/// Thresholds of the Gopher quality rules (`None` or 0 disables a rule, as in datatrove).
#[derive(Debug, Clone, PartialEq)]
pub struct GopherQualityParams {
    /// Fewest non-symbol words.
    pub min_doc_words: Option<f64>,
    /// Most non-symbol words.
    pub max_doc_words: Option<f64>,
    /// Shortest mean non-symbol word length.
    pub min_avg_word_length: Option<f64>,
    /// Longest mean non-symbol word length.
    pub max_avg_word_length: Option<f64>,
    /// Largest ratio of `#` (and of ellipses) to words.
    pub max_symbol_word_ratio: Option<f64>,
    /// Largest fraction of lines starting with a bullet.
    pub max_bullet_lines_ratio: Option<f64>,
    /// Largest fraction of lines ending with an ellipsis.
    pub max_ellipsis_lines_ratio: Option<f64>,
    /// Smallest fraction of words with an alphabetic character (datatrove's name).
    pub max_non_alpha_words_ratio: Option<f64>,
    /// Fewest distinct stop words.
    pub min_stop_words: Option<f64>,
    /// The stop words.
    pub stop_words: Vec<String>,
}

impl Default for GopherQualityParams {
    fn default() -> Self {
        GopherQualityParams {
            min_doc_words: Some(50.0),
            max_doc_words: Some(100_000.0),
            min_avg_word_length: Some(3.0),
            max_avg_word_length: Some(10.0),
            max_symbol_word_ratio: Some(0.1),
            max_bullet_lines_ratio: Some(0.9),
            max_ellipsis_lines_ratio: Some(0.3),
            max_non_alpha_words_ratio: Some(0.8),
            min_stop_words: Some(2.0),
            stop_words: ["the", "be", "to", "of", "and", "that", "have", "with"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

/// Names of the statistics columns, in the order [`evaluate`] returns them.
pub const STATS: &[&str] = &[
    "gopher_n_words",
    "gopher_n_non_symbol_words",
    "gopher_mean_word_length",
    "gopher_hash_word_ratio",
    "gopher_ellipsis_word_ratio",
    "gopher_bullet_lines_ratio",
    "gopher_end_ellipsis_lines_ratio",
    "gopher_alpha_words_ratio",
    "gopher_n_stop_words",
];

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}

/// The verdict and the statistics ([`STATS`]) of `text` split into `words`.
pub fn evaluate(p: &GopherQualityParams, text: &str, words: &[&str]) -> (Verdict, Vec<f64>) {
    let n_words = words.len();
    let non_symbol: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| w.chars().any(|c| !in_punctuation_set(c)))
        .collect();
    let n_ns = non_symbol.len();
    let mean_len = if n_ns == 0 {
        f64::NAN
    } else {
        non_symbol.iter().map(|w| len(w)).sum::<usize>() as f64 / n_ns as f64
    };
    let hashes = text.matches('#').count();
    let ellipses = text.matches("...").count() + text.matches('…').count();
    let lines = splitlines(text);
    let bullets = lines
        .iter()
        .filter(|l| {
            let l = l.trim_start_matches(super::pystr::is_space);
            l.starts_with('•') || l.starts_with('-')
        })
        .count();
    let end_ellipsis = lines
        .iter()
        .filter(|l| {
            let l = l.trim_end_matches(super::pystr::is_space);
            l.ends_with("...") || l.ends_with('…')
        })
        .count();
    let alpha_words = words.iter().filter(|w| w.chars().any(is_alpha)).count();
    let stop: HashSet<&str> = p.stop_words.iter().map(|s| s.as_str()).collect();
    let found: HashSet<&str> = words.iter().copied().filter(|w| stop.contains(w)).collect();
    let stats = vec![
        n_words as f64,
        n_ns as f64,
        mean_len,
        ratio(hashes, n_words),
        ratio(ellipses, n_words),
        ratio(bullets, lines.len()),
        ratio(end_ellipsis, lines.len()),
        ratio(alpha_words, n_words),
        found.len() as f64,
    ];
    let verdict = (|| {
        if let Some(t) = enabled(p.min_doc_words) {
            if (n_ns as f64) < t {
                return Verdict::drop("gopher_short_doc");
            }
        }
        if let Some(t) = enabled(p.max_doc_words) {
            if (n_ns as f64) > t {
                return Verdict::drop("gopher_long_doc");
            }
        }
        if let Some(t) = enabled(p.min_avg_word_length) {
            if mean_len < t {
                return Verdict::drop("gopher_below_avg_threshold");
            }
        }
        if let Some(t) = enabled(p.max_avg_word_length) {
            if mean_len > t {
                return Verdict::drop("gopher_above_avg_threshold");
            }
        }
        if let Some(t) = enabled(p.max_symbol_word_ratio) {
            if n_words == 0 {
                return Verdict::error("ZeroDivisionError");
            }
            if stats[3] > t {
                return Verdict::drop("gopher_too_many_hashes");
            }
            if stats[4] > t {
                return Verdict::drop("gopher_too_many_ellipsis");
            }
        }
        if let Some(t) = enabled(p.max_bullet_lines_ratio) {
            if lines.is_empty() {
                return Verdict::error("ZeroDivisionError");
            }
            if stats[5] > t {
                return Verdict::drop("gopher_too_many_bullets");
            }
        }
        if let Some(t) = enabled(p.max_ellipsis_lines_ratio) {
            if lines.is_empty() {
                return Verdict::error("ZeroDivisionError");
            }
            if stats[6] > t {
                return Verdict::drop("gopher_too_many_end_ellipsis");
            }
        }
        if let Some(t) = enabled(p.max_non_alpha_words_ratio) {
            if n_words == 0 {
                return Verdict::error("ZeroDivisionError");
            }
            if stats[7] < t {
                return Verdict::drop("gopher_below_alpha_threshold");
            }
        }
        if let Some(t) = enabled(p.min_stop_words) {
            if (found.len() as f64) < t {
                return Verdict::drop("gopher_enough_stop_words");
            }
        }
        Verdict::keep()
    })();
    (verdict, stats)
}
