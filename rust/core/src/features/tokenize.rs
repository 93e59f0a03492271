//! Word-punctuation tokenization: the tokens of `\w+|[^\w\s]+` on lowercased text.
//!
//! This is nltk's `WordPunctTokenizer` applied to `text.lower()`, as data-selection
//! does. `\w` is the Unicode word class of UTS #18 (Alphabetic, Mark, Decimal_Number,
//! Connector_Punctuation, Join_Control), the class that nltk >= 3.10.3 gets from the
//! `regex` module; `\s` is Unicode White_Space. ASCII text takes a table-driven path;
//! other characters are looked up in a range table built once from `regex-syntax`.

use std::sync::OnceLock;

/// The class of a character for tokenization.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    Word,
    Space,
    Punct,
}

const fn ascii_classes() -> [Class; 128] {
    let mut table = [Class::Punct; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = if c.is_ascii_alphanumeric() || c == b'_' {
            Class::Word
        } else if matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
            Class::Space
        } else {
            Class::Punct
        };
        b += 1;
    }
    table
}

static ASCII: [Class; 128] = ascii_classes();

/// Sorted, disjoint ranges of the Unicode `\w` class.
fn word_ranges() -> &'static [(u32, u32)] {
    static RANGES: OnceLock<Vec<(u32, u32)>> = OnceLock::new();
    RANGES.get_or_init(|| {
        let hir = regex_syntax::Parser::new()
            .parse(r"\w")
            .expect("\\w is a valid pattern");
        match hir.kind() {
            regex_syntax::hir::HirKind::Class(regex_syntax::hir::Class::Unicode(class)) => class
                .ranges()
                .iter()
                .map(|r| (r.start() as u32, r.end() as u32))
                .collect(),
            other => unreachable!("\\w parsed to {other:?}"),
        }
    })
}

#[inline]
fn classify(c: char) -> Class {
    let code = c as u32;
    if code < 128 {
        return ASCII[code as usize];
    }
    if c.is_whitespace() {
        return Class::Space;
    }
    let ranges = word_ranges();
    let pos = ranges.partition_point(|&(_, end)| end < code);
    if pos < ranges.len() && ranges[pos].0 <= code {
        Class::Word
    } else {
        Class::Punct
    }
}

/// Lowercase `text` into `out` (cleared first), as Python's `str.lower()` does.
///
/// ASCII text is lowered byte by byte; other text goes through Rust's full Unicode
/// lowercasing (which, like Python, handles the final sigma).
pub fn lowercase_into(text: &str, out: &mut String) {
    out.clear();
    if text.is_ascii() {
        out.push_str(text);
        out.make_ascii_lowercase();
    } else {
        out.push_str(&text.to_lowercase());
    }
}

/// Call `emit` with every token of `text` (already lowercased), in order.
///
/// Tokens are maximal runs of word characters, or maximal runs of characters that are
/// neither word nor space.
#[inline]
pub fn for_each_token<'a>(text: &'a str, mut emit: impl FnMut(&'a str)) {
    let bytes = text.as_bytes();
    let mut start = 0usize;
    let mut current = Class::Space;
    if text.is_ascii() {
        for (i, &b) in bytes.iter().enumerate() {
            let class = ASCII[b as usize];
            if class != current {
                if current != Class::Space {
                    emit(&text[start..i]);
                }
                start = i;
                current = class;
            }
        }
    } else {
        for (i, c) in text.char_indices() {
            let class = classify(c);
            if class != current {
                if current != Class::Space {
                    emit(&text[start..i]);
                }
                start = i;
                current = class;
            }
        }
    }
    if current != Class::Space {
        emit(&text[start..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tokens(text: &str) -> Vec<String> {
        let mut lowered = String::new();
        lowercase_into(text, &mut lowered);
        let mut out = Vec::new();
        for_each_token(&lowered, |t| out.push(t.to_string()));
        out
    }

    fn reference(text: &str) -> Vec<String> {
        let re = regex::Regex::new(r"\w+|[^\w\s]+").unwrap();
        let lowered = text.to_lowercase();
        re.find_iter(&lowered)
            .map(|m| m.as_str().to_string())
            .collect()
    }

    #[test]
    fn splits_words_and_punctuation_runs() {
        assert_eq!(
            tokens("Good muffins cost $3.88\nin New-York."),
            ["good", "muffins", "cost", "$", "3", ".", "88", "in", "new", "-", "york", "."]
        );
        assert_eq!(tokens("a_b ... ?!x"), ["a_b", "...", "?!", "x"]);
        assert!(tokens("  \t\n ").is_empty());
    }

    #[test]
    fn unicode_words_marks_and_sigma() {
        assert_eq!(tokens("Καλημέρα ΚΟΣΜΟΣ"), ["καλημέρα", "κοσμος"]);
        assert_eq!(tokens("naïve café—déjà"), ["naïve", "café", "—", "déjà"]);
        assert_eq!(tokens("日本語のテキスト。"), ["日本語のテキスト", "。"]);
        assert_eq!(tokens("x\u{00a0}y"), ["x", "y"]);
    }

    proptest! {
        #[test]
        fn equals_the_regex_engine(text in "\\PC{0,60}") {
            prop_assert_eq!(tokens(&text), reference(&text));
        }

        #[test]
        fn equals_the_regex_engine_on_mixed_ascii(text in "[a-zA-Z0-9_ .,;:!?$()\\-\n\té€ß]{0,80}") {
            prop_assert_eq!(tokens(&text), reference(&text));
        }
    }
}
