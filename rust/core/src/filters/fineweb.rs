//! FineWeb's quality rules (Penedo et al. 2024), as datatrove's `FineWebQualityFilter`
//! applies them.

use super::gopher_repetition::find_duplicates;
use super::pystr::{len, strip};
use super::Verdict;

/// Thresholds of the FineWeb rules (datatrove's names and defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct FineWebParams {
    /// Smallest fraction of lines ending in a stop character.
    pub line_punct_thr: f64,
    /// Keep documents where no line ends in a stop character.
    pub line_punct_exclude_zero: bool,
    /// The characters that end a line properly (datatrove's TERMINAL_PUNCTUATION).
    pub stop_chars: Vec<String>,
    /// Largest fraction of short lines.
    pub short_line_thr: f64,
    /// A line of at most this many characters is short.
    pub short_line_length: usize,
    /// Largest fraction of characters in duplicated lines.
    pub char_duplicates_ratio: f64,
    /// Largest ratio of newlines to words.
    pub new_line_ratio: f64,
}

impl Default for FineWebParams {
    fn default() -> Self {
        FineWebParams {
            line_punct_thr: 0.12,
            line_punct_exclude_zero: false,
            stop_chars: super::pystr::terminal_punctuation(),
            short_line_thr: 0.67,
            short_line_length: 30,
            char_duplicates_ratio: 0.01,
            new_line_ratio: 0.3,
        }
    }
}

/// Names of the statistics columns, in the order [`evaluate`] returns them.
pub const STATS: &[&str] = &[
    "fineweb_line_punct_ratio",
    "fineweb_short_line_ratio",
    "fineweb_char_dup_ratio",
    "fineweb_list_ratio",
];

/// The verdict and statistics of `text` split into `words`.
pub fn evaluate(p: &FineWebParams, text: &str, words: &[&str]) -> (Verdict, Vec<f64>) {
    let lines: Vec<&str> = text.split('\n').filter(|l| !strip(l).is_empty()).collect();
    if lines.is_empty() {
        return (Verdict::drop("empty"), vec![f64::NAN; STATS.len()]);
    }
    let n = lines.len() as f64;
    let punct = lines
        .iter()
        .filter(|l| p.stop_chars.iter().any(|s| l.ends_with(s.as_str())))
        .count() as f64
        / n;
    let short = lines
        .iter()
        .filter(|l| len(l) <= p.short_line_length)
        .count() as f64
        / n;
    let newlines = text.matches('\n').count();
    let dup = find_duplicates(lines.iter().copied()).1 as f64 / (len(text) - newlines) as f64;
    let list = if words.is_empty() {
        f64::NAN
    } else {
        newlines as f64 / words.len() as f64
    };
    let stats = vec![punct, short, dup, list];
    let verdict = if punct < p.line_punct_thr && !(punct == 0.0 && p.line_punct_exclude_zero) {
        Verdict::drop("line_punct_ratio")
    } else if short > p.short_line_thr {
        Verdict::drop("short_line_ratio")
    } else if dup > p.char_duplicates_ratio {
        Verdict::drop("char_dup_ratio")
    } else if words.is_empty() {
        Verdict::error("ZeroDivisionError")
    } else if list > p.new_line_ratio {
        Verdict::drop("list_ratio")
    } else {
        Verdict::keep()
    };
    (verdict, stats)
}
