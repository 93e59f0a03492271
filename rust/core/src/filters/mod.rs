//! Heuristic quality filters: the Gopher quality and repetition rules, the C4 rules
//! (line and document removal) and the FineWeb rules, with datatrove's defaults and
//! reason strings, over a text column, in parallel and deterministic.
//!
//! Each document gets, per rule set, a keep flag, the first failing rule's name and
//! statistics (the quantities the thresholds compare), so thresholds can be tuned
//! without recomputing. English words are split as `spacy.blank("en")` splits them
//! ([`words`]).

pub mod c4;
pub mod fineweb;
pub mod gopher_quality;
pub mod gopher_repetition;
pub mod pystr;
mod tables_en;
pub mod words;

use rayon::prelude::*;

use crate::stream::{BatchStream, Progress};
use crate::text::TextColumn;
use crate::{Error, Result};

pub use c4::C4Params;
pub use fineweb::FineWebParams;
pub use gopher_quality::GopherQualityParams;
pub use gopher_repetition::GopherRepetitionParams;
use words::Splitter;

/// The outcome of one rule set on one document.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Whether the document passes.
    pub keep: bool,
    /// The first failing rule (datatrove's reason string), `None` when kept.
    pub reason: Option<String>,
}

impl Verdict {
    fn keep() -> Verdict {
        Verdict {
            keep: true,
            reason: None,
        }
    }
    fn drop(reason: &str) -> Verdict {
        Verdict {
            keep: false,
            reason: Some(reason.to_string()),
        }
    }
    fn drop_owned(reason: String) -> Verdict {
        Verdict {
            keep: false,
            reason: Some(reason),
        }
    }
    /// datatrove raises here (e.g. a ratio over zero words); recorded as
    /// `error:<Python exception>` and not kept.
    fn error(kind: &str) -> Verdict {
        Verdict {
            keep: false,
            reason: Some(format!("error:{kind}")),
        }
    }
}

/// A threshold that datatrove applies (`if self.x and ...`: `None` and 0 disable it).
fn enabled(t: Option<f64>) -> Option<f64> {
    t.filter(|&t| t != 0.0)
}

/// The rule sets to run, each with its parameters.
#[derive(Debug, Clone, Default)]
pub struct FilterConfig {
    /// Gopher quality rules.
    pub gopher_quality: Option<GopherQualityParams>,
    /// Gopher repetition rules.
    pub gopher_repetition: Option<GopherRepetitionParams>,
    /// C4 rules.
    pub c4: Option<C4Params>,
    /// FineWeb rules.
    pub fineweb: Option<FineWebParams>,
    /// Language of the word splitter (`"en"`).
    pub language: String,
}

/// The names of the rule sets, in output order.
pub const RULE_SETS: &[&str] = &["gopher_quality", "gopher_repetition", "c4", "fineweb"];

impl FilterConfig {
    /// The names of the configured rule sets, in [`RULE_SETS`] order.
    pub fn rule_sets(&self) -> Vec<&'static str> {
        let on = [
            self.gopher_quality.is_some(),
            self.gopher_repetition.is_some(),
            self.c4.is_some(),
            self.fineweb.is_some(),
        ];
        RULE_SETS
            .iter()
            .zip(on)
            .filter_map(|(n, o)| o.then_some(*n))
            .collect()
    }

    /// The statistics columns, in output order.
    pub fn stat_names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if self.gopher_quality.is_some() {
            out.extend(gopher_quality::STATS.iter().map(|s| s.to_string()));
        }
        if let Some(p) = &self.gopher_repetition {
            out.extend(p.stat_names());
        }
        if self.c4.is_some() {
            out.extend(c4::STATS.iter().map(|s| s.to_string()));
        }
        if self.fineweb.is_some() {
            out.extend(fineweb::STATS.iter().map(|s| s.to_string()));
        }
        out
    }

    fn check(&self) -> Result<&'static Splitter> {
        if self.rule_sets().is_empty() {
            return Err(Error::InvalidParameter {
                name: "rules".into(),
                message: format!("must name at least one of {RULE_SETS:?}"),
            });
        }
        if let Some(p) = &self.gopher_repetition {
            if let Some((n, _)) = p
                .top_n_grams
                .iter()
                .chain(&p.dup_n_grams)
                .find(|(n, _)| *n == 0)
            {
                return Err(Error::InvalidParameter {
                    name: "gopher_repetition n-gram size".into(),
                    message: format!("must be at least 1, got {n}"),
                });
            }
        }
        Splitter::for_language(&self.language)
    }
}

/// The results of the filters over a corpus, column by column (one row per document).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FilterOutput {
    /// Rule set names, in the order of `keep` and `reason`.
    pub rule_sets: Vec<&'static str>,
    /// `keep[r][i]`: document `i` passes rule set `r`.
    pub keep: Vec<Vec<bool>>,
    /// `reason[r][i]`: the first failing rule of rule set `r` on document `i`.
    pub reason: Vec<Vec<Option<String>>>,
    /// Statistics column names.
    pub stat_names: Vec<String>,
    /// `stats[s][i]`: statistic `s` of document `i` (NaN where undefined).
    pub stats: Vec<Vec<f64>>,
    /// C4's text after line removal (`None` for a dropped document), when C4 ran.
    pub c4_text: Option<Vec<Option<String>>>,
}

struct DocResult {
    verdicts: Vec<Verdict>,
    stats: Vec<f64>,
    c4_text: Option<String>,
}

fn one(cfg: &FilterConfig, splitter: &Splitter, text: &str) -> DocResult {
    let mut scratch = Vec::new();
    let needs_words =
        cfg.gopher_quality.is_some() || cfg.gopher_repetition.is_some() || cfg.fineweb.is_some();
    let words = if needs_words {
        splitter.words(text, &mut scratch)
    } else {
        Vec::new()
    };
    let mut verdicts = Vec::with_capacity(4);
    let mut stats = Vec::new();
    let mut c4_text = None;
    if let Some(p) = &cfg.gopher_quality {
        let (v, s) = gopher_quality::evaluate(p, text, &words);
        verdicts.push(v);
        stats.extend(s);
    }
    if let Some(p) = &cfg.gopher_repetition {
        let (v, s) = gopher_repetition::evaluate(p, text, &words);
        verdicts.push(v);
        stats.extend(s);
    }
    if let Some(p) = &cfg.c4 {
        let (v, s, t) = c4::evaluate(p, splitter, text, &mut scratch);
        verdicts.push(v);
        stats.extend(s);
        c4_text = t;
    }
    if let Some(p) = &cfg.fineweb {
        let (v, s) = fineweb::evaluate(p, text, &words);
        verdicts.push(v);
        stats.extend(s);
    }
    DocResult {
        verdicts,
        stats,
        c4_text,
    }
}

impl FilterOutput {
    fn new(cfg: &FilterConfig) -> FilterOutput {
        let rule_sets = cfg.rule_sets();
        let stat_names = cfg.stat_names();
        FilterOutput {
            keep: vec![Vec::new(); rule_sets.len()],
            reason: vec![Vec::new(); rule_sets.len()],
            stats: vec![Vec::new(); stat_names.len()],
            c4_text: cfg.c4.as_ref().map(|_| Vec::new()),
            rule_sets,
            stat_names,
        }
    }

    fn push(&mut self, docs: Vec<DocResult>) {
        for d in docs {
            for (r, v) in d.verdicts.into_iter().enumerate() {
                self.keep[r].push(v.keep);
                self.reason[r].push(v.reason);
            }
            for (s, x) in d.stats.into_iter().enumerate() {
                self.stats[s].push(x);
            }
            if let Some(t) = self.c4_text.as_mut() {
                t.push(d.c4_text);
            }
        }
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.keep.first().map_or(0, Vec::len)
    }

    /// Whether there are no documents.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Run the configured rule sets over `texts` (in parallel on the current rayon pool;
/// the output does not depend on the thread count).
pub fn filter_texts(texts: &[&str], cfg: &FilterConfig) -> Result<FilterOutput> {
    let splitter = cfg.check()?;
    let mut out = FilterOutput::new(cfg);
    let docs: Vec<DocResult> = texts
        .par_iter()
        .with_min_len(8)
        .map(|t| one(cfg, splitter, t))
        .collect();
    out.push(docs);
    Ok(out)
}

/// Run the configured rule sets over column `column` of every batch of `stream`.
pub fn filter_stream(
    stream: BatchStream,
    column: &str,
    cfg: &FilterConfig,
    progress: &dyn Progress,
) -> Result<FilterOutput> {
    let splitter = cfg.check()?;
    let mut out = FilterOutput::new(cfg);
    let mut first_row = 0u64;
    for batch in stream {
        let batch = batch?;
        let col = TextColumn::from_batch(&batch, column, first_row)?;
        let docs: Vec<DocResult> = (0..col.len())
            .into_par_iter()
            .with_min_len(8)
            .map(|i| one(cfg, splitter, col.value(i)))
            .collect();
        out.push(docs);
        first_row += batch.num_rows() as u64;
        progress.advance(batch.num_rows() as u64, col.total_bytes() as u64)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests;

fn unknown(rule_set: &str, name: &str, known: &[&str]) -> Error {
    Error::InvalidParameter {
        name: format!("{rule_set}.{name}"),
        message: format!("unknown parameter; {rule_set} has {known:?}"),
    }
}

fn as_count(rule_set: &str, name: &str, v: f64) -> Result<i64> {
    if v.fract() != 0.0 || !v.is_finite() {
        return Err(Error::InvalidParameter {
            name: format!("{rule_set}.{name}"),
            message: format!("must be an integer, got {v}"),
        });
    }
    Ok(v as i64)
}

impl GopherQualityParams {
    /// Set the numeric threshold `name` (`None` disables it).
    pub fn set(&mut self, name: &str, value: Option<f64>) -> Result<()> {
        let slot = match name {
            "min_doc_words" => &mut self.min_doc_words,
            "max_doc_words" => &mut self.max_doc_words,
            "min_avg_word_length" => &mut self.min_avg_word_length,
            "max_avg_word_length" => &mut self.max_avg_word_length,
            "max_symbol_word_ratio" => &mut self.max_symbol_word_ratio,
            "max_bullet_lines_ratio" => &mut self.max_bullet_lines_ratio,
            "max_ellipsis_lines_ratio" => &mut self.max_ellipsis_lines_ratio,
            "max_non_alpha_words_ratio" => &mut self.max_non_alpha_words_ratio,
            "min_stop_words" => &mut self.min_stop_words,
            _ => {
                return Err(unknown(
                    "gopher_quality",
                    name,
                    &[
                        "min_doc_words",
                        "max_doc_words",
                        "min_avg_word_length",
                        "max_avg_word_length",
                        "max_symbol_word_ratio",
                        "max_bullet_lines_ratio",
                        "max_ellipsis_lines_ratio",
                        "max_non_alpha_words_ratio",
                        "min_stop_words",
                    ],
                ))
            }
        };
        *slot = value;
        Ok(())
    }
}

impl GopherRepetitionParams {
    /// Set the fraction `name` (`None` disables it).
    pub fn set(&mut self, name: &str, value: Option<f64>) -> Result<()> {
        let slot = match name {
            "dup_line_frac" => &mut self.dup_line_frac,
            "dup_para_frac" => &mut self.dup_para_frac,
            "dup_line_char_frac" => &mut self.dup_line_char_frac,
            "dup_para_char_frac" => &mut self.dup_para_char_frac,
            _ => {
                return Err(unknown(
                    "gopher_repetition",
                    name,
                    &[
                        "dup_line_frac",
                        "dup_para_frac",
                        "dup_line_char_frac",
                        "dup_para_char_frac",
                    ],
                ))
            }
        };
        *slot = value;
        Ok(())
    }
}

impl C4Params {
    /// Set `name` (booleans as 0/1, counts as integers, -1 disables a count).
    pub fn set(&mut self, name: &str, value: f64) -> Result<()> {
        let flag = value != 0.0;
        match name {
            "remove_citations" => self.remove_citations = flag,
            "filter_no_terminal_punct" => self.filter_no_terminal_punct = flag,
            "filter_lorem_ipsum" => self.filter_lorem_ipsum = flag,
            "filter_javascript" => self.filter_javascript = flag,
            "filter_curly_bracket" => self.filter_curly_bracket = flag,
            "filter_policy" => self.filter_policy = flag,
            "min_num_sentences" => self.min_num_sentences = as_count("c4", name, value)?,
            "min_words_per_line" => self.min_words_per_line = as_count("c4", name, value)?,
            "max_word_length" => self.max_word_length = as_count("c4", name, value)?,
            _ => {
                return Err(unknown(
                    "c4",
                    name,
                    &[
                        "remove_citations",
                        "filter_no_terminal_punct",
                        "min_num_sentences",
                        "min_words_per_line",
                        "max_word_length",
                        "filter_lorem_ipsum",
                        "filter_javascript",
                        "filter_curly_bracket",
                        "filter_policy",
                    ],
                ))
            }
        }
        Ok(())
    }
}

impl FineWebParams {
    /// Set `name` (`line_punct_exclude_zero` as 0/1).
    pub fn set(&mut self, name: &str, value: f64) -> Result<()> {
        match name {
            "line_punct_thr" => self.line_punct_thr = value,
            "line_punct_exclude_zero" => self.line_punct_exclude_zero = value != 0.0,
            "short_line_thr" => self.short_line_thr = value,
            "short_line_length" => {
                let n = as_count("fineweb", name, value)?;
                if n < 0 {
                    return Err(Error::InvalidParameter {
                        name: "fineweb.short_line_length".into(),
                        message: format!("must be >= 0, got {n}"),
                    });
                }
                self.short_line_length = n as usize
            }
            "char_duplicates_ratio" => self.char_duplicates_ratio = value,
            "new_line_ratio" => self.new_line_ratio = value,
            _ => {
                return Err(unknown(
                    "fineweb",
                    name,
                    &[
                        "line_punct_thr",
                        "line_punct_exclude_zero",
                        "short_line_thr",
                        "short_line_length",
                        "char_duplicates_ratio",
                        "new_line_ratio",
                    ],
                ))
            }
        }
        Ok(())
    }
}
