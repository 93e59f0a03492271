//! C4's quality rules (Raffel et al. 2020), as datatrove's `C4QualityFilter` applies
//! them: line removal (no terminal punctuation, too few words, a too long word,
//! "javascript", cookie/terms policies, citation markers removed) and document
//! removal (lorem ipsum, a curly bracket, too few sentences); the cleaned text is an
//! output.

use std::sync::OnceLock;

use regex::Regex;

use super::pystr::{len, split_whitespace, splitlines, strip};
use super::words::{Splitter, Token};
use super::Verdict;

/// Parameters of the C4 rules (datatrove's names and defaults; -1 disables a count).
#[derive(Debug, Clone, PartialEq)]
pub struct C4Params {
    /// Remove citation markers (`[1]`, `[edit]`, `[citation needed]`).
    pub remove_citations: bool,
    /// Drop lines that do not end in terminal punctuation (or end in "...").
    pub filter_no_terminal_punct: bool,
    /// Fewest sentences in the kept lines (-1 disables).
    pub min_num_sentences: i64,
    /// Fewest words in a line (-1 disables).
    pub min_words_per_line: i64,
    /// Longest word of a kept line (-1 disables).
    pub max_word_length: i64,
    /// Drop documents containing "lorem ipsum".
    pub filter_lorem_ipsum: bool,
    /// Drop lines mentioning "javascript".
    pub filter_javascript: bool,
    /// Drop documents containing a curly bracket.
    pub filter_curly_bracket: bool,
    /// Drop lines mentioning cookie and terms-of-use policies.
    pub filter_policy: bool,
}

impl Default for C4Params {
    fn default() -> Self {
        C4Params {
            remove_citations: true,
            filter_no_terminal_punct: true,
            min_num_sentences: 5,
            min_words_per_line: 3,
            max_word_length: 1000,
            filter_lorem_ipsum: true,
            filter_javascript: true,
            filter_curly_bracket: true,
            filter_policy: true,
        }
    }
}

/// Names of the statistics columns, in the order [`evaluate`] returns them.
pub const STATS: &[&str] = &[
    "c4_n_lines",
    "c4_lines_removed",
    "c4_n_sentences",
    "c4_too_long_word_lines",
    "c4_no_terminal_punct_lines",
    "c4_too_few_words_lines",
    "c4_javascript_lines",
    "c4_policy_lines",
];

const POLICY: &[&str] = &[
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
];

fn citation() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\[\d*\]|\[edit\]|\[citation needed\]").expect("citation regex"))
}

/// The verdict, the statistics and the text after line removal (`None` when the
/// document is dropped, as datatrove leaves it unchanged then).
pub fn evaluate(
    p: &C4Params,
    splitter: &Splitter,
    text: &str,
    scratch: &mut Vec<Token>,
) -> (Verdict, Vec<f64>, Option<String>) {
    let lines = splitlines(text);
    let mut counts = [0usize; 5];
    let mut sentences = 0usize;
    let mut kept: Vec<std::borrow::Cow<'_, str>> = Vec::new();
    let mut doc_reason: Option<&'static str> = None;
    for raw in &lines {
        let line = strip(raw);
        let words: Vec<&str> = split_whitespace(line).collect();
        if p.max_word_length != -1 && words.iter().any(|w| len(w) as i64 > p.max_word_length) {
            counts[0] += 1;
            continue;
        }
        let line: std::borrow::Cow<'_, str> = if p.remove_citations {
            citation().replace_all(line, "")
        } else {
            line.into()
        };
        if p.filter_no_terminal_punct
            && (!line.ends_with(['.', '?', '!', '"', '\'']) || line.ends_with("..."))
        {
            counts[1] += 1;
            continue;
        }
        if (words.len() as i64) < p.min_words_per_line {
            counts[2] += 1;
            continue;
        }
        let lower = line.to_lowercase();
        if p.filter_lorem_ipsum && lower.contains("lorem ipsum") {
            doc_reason.get_or_insert("lorem_ipsum");
        }
        if p.filter_javascript && lower.contains("javascript") {
            counts[3] += 1;
            continue;
        }
        if p.filter_curly_bracket && line.contains('{') {
            doc_reason.get_or_insert("curly_bracket");
        }
        if p.filter_policy && POLICY.iter().any(|s| lower.contains(s)) {
            counts[4] += 1;
            continue;
        }
        if p.min_num_sentences != -1 {
            sentences += splitter.count_sentences(&line, scratch);
        }
        kept.push(line);
    }
    let removed = lines.len() - kept.len();
    let stats = vec![
        lines.len() as f64,
        removed as f64,
        sentences as f64,
        counts[0] as f64,
        counts[1] as f64,
        counts[2] as f64,
        counts[3] as f64,
        counts[4] as f64,
    ];
    if let Some(reason) = doc_reason {
        return (Verdict::drop(reason), stats, None);
    }
    if (sentences as i64) < p.min_num_sentences {
        return (Verdict::drop("too_few_sentences"), stats, None);
    }
    let joined = kept.join("\n");
    (Verdict::keep(), stats, Some(strip(&joined).to_string()))
}
