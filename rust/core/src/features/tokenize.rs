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

/// Whether `c` belongs to the Unicode `\w` class (the characters of word tokens).
#[inline]
pub fn is_word_char(c: char) -> bool {
    classify(c) == Class::Word
}

/// Lowercase `text` into `out` (cleared first), as Python's `str.lower()` does.
///
/// Runs of ASCII are lowered in place after one copy; other characters map one by
/// one, which is exact because the only context-dependent lowercase mapping applied
/// by Python and Rust alike is the final sigma: text containing 'Σ' takes Rust's full
/// `to_lowercase`.
pub fn lowercase_into(text: &str, out: &mut String) {
    out.clear();
    if text.contains('Σ') {
        out.push_str(&text.to_lowercase());
        return;
    }
    out.reserve(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let ascii = rest.bytes().position(|b| b >= 0x80).unwrap_or(rest.len());
        let start = out.len();
        out.push_str(&rest[..ascii]);
        out[start..].make_ascii_lowercase();
        rest = &rest[ascii..];
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_lowercase());
            rest = chars.as_str();
        }
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
    let mut i = 0usize;
    // A class change at `at` ends the current token (if any) and starts another run.
    let mut boundary = |at: usize, class: Class, start: &mut usize, current: &mut Class| {
        if *current != Class::Space {
            emit(&text[*start..at]);
        }
        *start = at;
        *current = class;
    };
    while i < bytes.len() {
        // Eight ASCII bytes at a time: classify them without branching, then visit only
        // the positions where the class changes (one mispredicted branch per token
        // instead of one comparison chain per byte).
        if let Some(chunk) = bytes.get(i..i + 8) {
            let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            if word & 0x8080_8080_8080_8080 == 0 {
                let mut changes = 0u32;
                let mut previous = current;
                for (j, &b) in chunk.iter().enumerate() {
                    let class = ASCII[b as usize];
                    changes |= u32::from(class != previous) << j;
                    previous = class;
                }
                while changes != 0 {
                    let at = i + changes.trailing_zeros() as usize;
                    changes &= changes - 1;
                    boundary(at, ASCII[bytes[at] as usize], &mut start, &mut current);
                }
                i += 8;
                continue;
            }
        }
        // Otherwise one character: ASCII by table, others decoded where they stand.
        let b = bytes[i];
        let (class, width) = if b < 0x80 {
            (ASCII[b as usize], 1)
        } else {
            let c = text[i..].chars().next().expect("i is on a char boundary");
            (classify(c), c.len_utf8())
        };
        if class != current {
            boundary(i, class, &mut start, &mut current);
        }
        i += width;
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
        assert_eq!(tokens("ΣΑΣ Σ"), ["σας", "σ"]);
        assert_eq!(tokens("İSTANBUL → Ünïcode"), ["i̇stanbul", "→", "ünïcode"]);
    }

    proptest! {
        #[test]
        fn equals_the_regex_engine(text in "\\PC{0,60}") {
            prop_assert_eq!(tokens(&text), reference(&text));
        }

        #[test]
        fn equals_the_regex_engine_on_mixed_ascii(text in "[a-zA-Z0-9_ .,;:!?$()\\-\n\té€ßΣİ→\u{00a0}\u{0301}]{0,80}") {
            prop_assert_eq!(tokens(&text), reference(&text));
        }
    }
}
