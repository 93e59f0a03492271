//! Word and sentence splitting compatible with spaCy's `spacy.blank("en")` tokenizer
//! and its rule-based sentencizer, which datatrove's filters use for English.
//!
//! The algorithm (re-implemented here from spaCy's documented tokenizer algorithm;
//! only its data tables are generated, see `tables_en.rs`):
//!
//! 1. the text is cut into runs of whitespace and of non-whitespace (Python's
//!    `isspace`); one `' '` after a word belongs to that word, any other whitespace
//!    run is a token of its own;
//! 2. a non-whitespace run that is a special case (`"don't"` -> `do`, `n't`) becomes
//!    its tokens; otherwise prefixes and suffixes are peeled off repeatedly (stopping
//!    when what is left is a special case), the middle is kept whole when it is a URL,
//!    else cut at the infix matches;
//! 3. datatrove's words are the non-whitespace tokens; the sentencizer starts a new
//!    sentence at the first token after a sentence-ending punctuation token that is
//!    not itself punctuation.
//!
//! 4. spaCy's second pass: special cases whose string holds an affix (`):`, `u.`,
//!    `<3`) are found again as runs of tokens (a phrase match over token texts,
//!    longest first, then leftmost; a run that overlaps a longer or earlier one is
//!    skipped); a run is replaced by the special case's tokens when its text is
//!    exactly the special string (its tokens touch).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use fancy_regex::Regex;

use super::pystr::{is_punct_category, is_space};
use super::tables_en;
use crate::{Error, Result};

/// A token: byte range in the text and whether it is whitespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset past the last byte.
    pub end: usize,
    /// A whitespace token (dropped from words, seen by the sentencizer).
    pub space: bool,
}

/// The languages whose word splitting is implemented.
pub const LANGUAGES: &[&str] = &["en"];

/// One of spaCy's patterns (with look-around, so run by fancy-regex) and a fast
/// superset of it (the look-arounds removed, run by the `regex` crate's automata):
/// no true match starts before the superset's leftmost match, so the slow search
/// starts there, and is skipped when the superset finds nothing.
struct Pattern {
    exact: Regex,
    superset: Option<regex::Regex>,
}

impl Pattern {
    fn new(name: &str, pattern: &str) -> Pattern {
        Pattern {
            exact: compile(name, pattern),
            superset: regex::Regex::new(&strip_lookaround(pattern)).ok(),
        }
    }

    /// The leftmost-first match starting at or after byte `pos`.
    fn find_at(&self, s: &str, pos: usize) -> Option<(usize, usize)> {
        let from = match &self.superset {
            Some(fast) => fast.find_at(s, pos)?.start(),
            None => pos,
        };
        match self.exact.find_from_pos(s, from) {
            Ok(Some(m)) => Some((m.start(), m.end())),
            _ => None,
        }
    }
}

/// `pattern` without its look-around groups (`(?=..)`, `(?!..)`, `(?<=..)`, `(?<!..)`):
/// it matches wherever `pattern` does, and more.
fn strip_lookaround(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len());
    let mut i = 0;
    // Skip one group or class starting at `i` (an opening parenthesis); returns the
    // index after its closing parenthesis.
    fn skip_group(chars: &[char], mut i: usize) -> usize {
        let mut depth = 0usize;
        let mut in_class = false;
        while i < chars.len() {
            match chars[i] {
                '\\' => i += 1,
                '[' if !in_class => in_class = true,
                ']' if in_class => in_class = false,
                '(' if !in_class => depth += 1,
                ')' if !in_class => {
                    depth -= 1;
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        i
    }
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            out.push(c);
            if i + 1 < chars.len() {
                out.push(chars[i + 1]);
            }
            i += 2;
            continue;
        }
        if in_class {
            if c == ']' {
                in_class = false;
            }
            out.push(c);
            i += 1;
            continue;
        }
        if c == '[' {
            in_class = true;
            out.push(c);
            // A `]` right after `[` or `[^` is a literal.
            if i + 1 < chars.len() && chars[i + 1] == '^' {
                out.push('^');
                i += 1;
            }
            if i + 1 < chars.len() && chars[i + 1] == ']' {
                out.push_str("\\]");
                i += 1;
            }
            i += 1;
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 4)].iter().collect();
        if rest.starts_with("(?=")
            || rest.starts_with("(?!")
            || rest.starts_with("(?<=")
            || rest.starts_with("(?<!")
        {
            i = skip_group(&chars, i);
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// A spaCy-compatible tokenizer for one language.
pub struct Splitter {
    prefix: Pattern,
    suffix: Pattern,
    infix: Pattern,
    url: Regex,
    specials: HashMap<&'static str, &'static [&'static str]>,
    /// Affix-token patterns of the specials to re-merge, by their first token.
    merges: HashMap<&'static str, Vec<&'static [&'static str]>>,
    sent_punct: HashSet<&'static str>,
}

fn compile(name: &str, pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("spaCy {name} pattern: {e}"))
}

/// Cached affix splits, per thread: (relative start, relative end) of each token.
type Cache = HashMap<Box<str>, Box<[(u32, u32)]>>;
const CACHE_LIMIT: usize = 1 << 18;

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(HashMap::new());
}

impl Splitter {
    /// The splitter of `language` (an ISO 639-1 code); only `"en"` is implemented.
    pub fn for_language(language: &str) -> Result<&'static Splitter> {
        static EN: OnceLock<Splitter> = OnceLock::new();
        match language {
            "en" | "eng" | "english" => Ok(EN.get_or_init(Splitter::english)),
            other => Err(Error::InvalidParameter {
                name: "language".into(),
                message: format!(
                    "word splitting is implemented for {LANGUAGES:?} (spaCy's blank English tokenizer), got {other:?}"
                ),
            }),
        }
    }

    fn english() -> Splitter {
        Splitter {
            prefix: Pattern::new("prefix", tables_en::PREFIX),
            suffix: Pattern::new("suffix", tables_en::SUFFIX),
            infix: Pattern::new("infix", tables_en::INFIX),
            url: compile("url", tables_en::URL),
            specials: tables_en::SPECIALS.iter().copied().collect(),
            merges: {
                let mut m: HashMap<&'static str, Vec<&'static [&'static str]>> = HashMap::new();
                for &(_, pattern) in tables_en::MERGES {
                    if let Some(first) = pattern.first() {
                        m.entry(*first).or_default().push(pattern);
                    }
                }
                m
            },
            sent_punct: tables_en::SENT_PUNCT.iter().copied().collect(),
        }
    }

    /// All tokens of `text`, whitespace tokens included, in order.
    pub fn tokens(&self, text: &str, out: &mut Vec<Token>) {
        out.clear();
        let Some(first) = text.chars().next() else {
            return;
        };
        let mut in_ws = is_space(first);
        let mut start = 0;
        for (i, c) in text.char_indices() {
            if is_space(c) != in_ws {
                if start < i {
                    self.span(text, start, i, in_ws, out);
                }
                start = if c == ' ' { i + 1 } else { i };
                in_ws = !in_ws;
            }
        }
        if start < text.len() {
            self.span(text, start, text.len(), in_ws, out);
        }
        self.merge_specials(text, out);
    }

    /// spaCy's second pass over the whole token list (step 4 of the module doc).
    fn merge_specials(&self, text: &str, tokens: &mut Vec<Token>) {
        // (start token, end token) of every match.
        let mut matches: Vec<(usize, usize)> = Vec::new();
        for i in 0..tokens.len() {
            let Some(patterns) = self.merges.get(&text[tokens[i].start..tokens[i].end]) else {
                continue;
            };
            let from = matches.len();
            for pattern in patterns {
                let n = pattern.len();
                if i + n <= tokens.len()
                    && pattern
                        .iter()
                        .zip(&tokens[i..i + n])
                        .all(|(p, t)| *p == &text[t.start..t.end])
                    && !matches[from..].contains(&(i, i + n))
                {
                    matches.push((i, i + n));
                }
            }
        }
        if matches.is_empty() {
            return;
        }
        // Longest first, then leftmost; skip a match whose first or last token is taken.
        matches.sort_by(|a, b| (b.1 - b.0).cmp(&(a.1 - a.0)).then(a.0.cmp(&b.0)));
        let mut seen = vec![false; tokens.len()];
        let mut kept: Vec<(usize, usize)> = Vec::new();
        for &(a, b) in &matches {
            if !seen[a] && !seen[b - 1] {
                kept.push((a, b));
            }
            for s in &mut seen[a..b] {
                *s = true;
            }
        }
        kept.sort_unstable();
        let old = std::mem::take(tokens);
        let mut i = 0;
        for (a, b) in kept {
            tokens.extend_from_slice(&old[i..a]);
            let (lo, hi) = (old[a].start, old[b - 1].end);
            if !self.special(&text[lo..hi], lo, tokens) {
                tokens.extend_from_slice(&old[a..b]);
            }
            i = b;
        }
        tokens.extend_from_slice(&old[i..]);
    }

    /// The words of `text` as datatrove's `split_into_words` gives them.
    pub fn words<'t>(&self, text: &'t str, scratch: &mut Vec<Token>) -> Vec<&'t str> {
        self.tokens(text, scratch);
        scratch
            .iter()
            .filter(|t| !t.space)
            .map(|t| &text[t.start..t.end])
            .collect()
    }

    /// The number of sentences spaCy's sentencizer finds in `text`, as
    /// `len(split_into_sentences(text))` counts them (1 for a text without tokens).
    pub fn count_sentences(&self, text: &str, scratch: &mut Vec<Token>) -> usize {
        self.tokens(text, scratch);
        let mut sentences = 1;
        let mut seen_period = false;
        for t in scratch.iter() {
            let s = &text[t.start..t.end];
            let in_punct = self.sent_punct.contains(s);
            if seen_period && !in_punct && !s.chars().all(is_punct_category) {
                sentences += 1;
                seen_period = false;
            } else if in_punct {
                seen_period = true;
            }
        }
        sentences
    }

    fn span(&self, text: &str, lo: usize, hi: usize, space: bool, out: &mut Vec<Token>) {
        if space {
            out.push(Token {
                start: lo,
                end: hi,
                space: true,
            });
            return;
        }
        let s = &text[lo..hi];
        if s.bytes().all(|b| b.is_ascii_alphabetic()) && !self.specials.contains_key(s) {
            out.push(Token {
                start: lo,
                end: hi,
                space: false,
            });
            return;
        }
        let cached = CACHE.with(|c| {
            c.borrow().get(s).map(|parts| {
                for &(a, b) in parts.iter() {
                    out.push(Token {
                        start: lo + a as usize,
                        end: lo + b as usize,
                        space: false,
                    });
                }
            })
        });
        if cached.is_some() {
            return;
        }
        let first = out.len();
        self.split(s, lo, out);
        if s.len() < u32::MAX as usize {
            let parts: Box<[(u32, u32)]> = out[first..]
                .iter()
                .map(|t| ((t.start - lo) as u32, (t.end - lo) as u32))
                .collect();
            CACHE.with(|c| {
                let mut c = c.borrow_mut();
                if c.len() >= CACHE_LIMIT {
                    c.clear();
                }
                c.insert(s.into(), parts);
            });
        }
    }

    fn special(&self, s: &str, base: usize, out: &mut Vec<Token>) -> bool {
        match self.specials.get(s) {
            Some(parts) => {
                let mut at = base;
                for p in parts.iter() {
                    out.push(Token {
                        start: at,
                        end: at + p.len(),
                        space: p.chars().all(is_space),
                    });
                    at += p.len();
                }
                true
            }
            None => false,
        }
    }

    fn find_prefix(&self, s: &str) -> usize {
        self.prefix.find_at(s, 0).map_or(0, |(a, b)| b - a)
    }

    fn find_suffix(&self, s: &str) -> usize {
        self.suffix.find_at(s, 0).map_or(0, |(a, b)| b - a)
    }

    /// Python's `finditer` of the infix pattern.
    fn infixes(&self, s: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos <= s.len() {
            let Some((a, b)) = self.infix.find_at(s, pos) else {
                break;
            };
            out.push((a, b));
            pos = if b > a {
                b
            } else {
                b + s[b..].chars().next().map_or(1, char::len_utf8)
            };
        }
        out
    }

    /// Tokens of the non-whitespace run `s` starting at byte `base`.
    fn split(&self, s: &str, base: usize, out: &mut Vec<Token>) {
        if self.special(s, base, out) {
            return;
        }
        // Peel prefixes and suffixes (byte ranges into `s`).
        let (mut lo, mut hi) = (0usize, s.len());
        let mut prefixes: Vec<(usize, usize)> = Vec::new();
        let mut suffixes: Vec<(usize, usize)> = Vec::new();
        let mut last_size = usize::MAX;
        while lo < hi && hi - lo != last_size {
            let string = &s[lo..hi];
            if self.specials.contains_key(string) {
                break;
            }
            last_size = hi - lo;
            let pre_len = self.find_prefix(string);
            if pre_len != 0 {
                let minus_pre = &string[pre_len..];
                if !minus_pre.is_empty() && self.specials.contains_key(minus_pre) {
                    prefixes.push((lo, lo + pre_len));
                    lo += pre_len;
                    break;
                }
            }
            let suf_len = self.find_suffix(&string[pre_len..]);
            if suf_len != 0 {
                let minus_suf = &string[..string.len() - suf_len];
                if !minus_suf.is_empty() && self.specials.contains_key(minus_suf) {
                    suffixes.push((hi - suf_len, hi));
                    hi -= suf_len;
                    break;
                }
            }
            if pre_len != 0 && suf_len != 0 && pre_len + suf_len <= string.len() {
                prefixes.push((lo, lo + pre_len));
                suffixes.push((hi - suf_len, hi));
                lo += pre_len;
                hi -= suf_len;
            } else if pre_len != 0 {
                prefixes.push((lo, lo + pre_len));
                lo += pre_len;
            } else if suf_len != 0 {
                suffixes.push((hi - suf_len, hi));
                hi -= suf_len;
            }
        }
        let push = |out: &mut Vec<Token>, a: usize, b: usize| {
            out.push(Token {
                start: base + a,
                end: base + b,
                space: false,
            })
        };
        for &(a, b) in &prefixes {
            push(out, a, b);
        }
        if lo < hi {
            let string = &s[lo..hi];
            if self.special(string, base + lo, out) {
            } else if matches!(self.url.is_match(string), Ok(true)) {
                push(out, lo, hi);
            } else {
                let mut start = 0;
                let mut any = false;
                for (is, ie) in self.infixes(string) {
                    any = true;
                    if is == 0 {
                        continue;
                    }
                    if is != start {
                        push(out, lo + start, lo + is);
                    }
                    if is != ie {
                        push(out, lo + is, lo + ie);
                    }
                    start = ie;
                }
                if !any {
                    push(out, lo, hi);
                } else if start < string.len() {
                    push(out, lo + start, hi);
                }
            }
        }
        for &(a, b) in suffixes.iter().rev() {
            push(out, a, b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        Splitter::for_language("en")
            .unwrap()
            .words(text, &mut Vec::new())
    }

    #[test]
    fn splits_like_spacy() {
        assert_eq!(words("Hello, world!"), vec!["Hello", ",", "world", "!"]);
        assert_eq!(words("I don't know."), vec!["I", "do", "n't", "know", "."]);
        assert_eq!(
            words("(see e.g. 10km)"),
            vec!["(", "see", "e.g.", "10", "km", ")"]
        );
        assert_eq!(words("  a\n\nb "), vec!["a", "b"]);
        assert_eq!(
            words("https://example.com/x?y=1"),
            vec!["https://example.com/x?y=1"]
        );
    }

    #[test]
    fn strips_lookaround() {
        assert_eq!(strip_lookaround(r"(?<=[0-9])\+(?![a-z(])|x"), r"\+|x");
        assert_eq!(strip_lookaround(r"[(?=]a(?=(b|c))"), r"[(?=]a");
        let en = Splitter::for_language("en").unwrap();
        assert!(
            en.prefix.superset.is_some()
                && en.suffix.superset.is_some()
                && en.infix.superset.is_some()
        );
    }

    #[test]
    fn refuses_unknown_language() {
        assert!(Splitter::for_language("xx").is_err());
    }

    #[test]
    fn counts_sentences() {
        let s = Splitter::for_language("en").unwrap();
        let mut scratch = Vec::new();
        assert_eq!(s.count_sentences("One. Two! Three?", &mut scratch), 3);
        assert_eq!(s.count_sentences("Wait... what?! Yes.", &mut scratch), 2);
        assert_eq!(s.count_sentences("", &mut scratch), 1);
    }
}
