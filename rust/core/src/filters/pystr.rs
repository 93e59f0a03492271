//! Python's `str` semantics the filters depend on: what `isspace`, `isalpha`,
//! `strip`, `split()`, `splitlines()` and `len` mean, so that counts and ratios
//! equal datatrove's to the character.

use super::tables_en::{ALPHA, PUNCTUATION, PUNCT_CATEGORY, TERMINAL};

fn in_ranges(table: &[(u32, u32)], c: char) -> bool {
    let cp = c as u32;
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Python's `str.isspace` for one character (Unicode White_Space plus the
/// information separators U+001C..U+001F).
#[inline]
pub fn is_space(c: char) -> bool {
    if c.is_ascii() {
        matches!(
            c,
            ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r' | '\x1c'..='\x1f'
        )
    } else {
        c.is_whitespace()
    }
}

/// Python's `str.isalpha` for one character (categories Lu, Ll, Lt, Lm, Lo).
#[inline]
pub fn is_alpha(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        in_ranges(ALPHA, c)
    }
}

/// Whether `c` is of Unicode category P* (spaCy's `is_punct`).
#[inline]
pub fn is_punct_category(c: char) -> bool {
    in_ranges(PUNCT_CATEGORY, c)
}

/// Whether `c` is in datatrove's `PUNCTUATION_SET`.
#[inline]
pub fn in_punctuation_set(c: char) -> bool {
    PUNCTUATION.binary_search(&c).is_ok()
}

/// Whether `c` is in datatrove's `TERMINAL_PUNCTUATION`.
#[inline]
pub fn is_terminal(c: char) -> bool {
    TERMINAL.binary_search(&c).is_ok()
}

/// datatrove's `TERMINAL_PUNCTUATION`, sorted.
pub fn terminal_punctuation() -> Vec<String> {
    TERMINAL.iter().map(|c| c.to_string()).collect()
}

/// Python's `len(s)`: code points.
#[inline]
pub fn len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// Python's `s.strip()`.
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// Python's `s.split()` (no argument): the runs of non-whitespace.
pub fn split_whitespace(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_space).filter(|w| !w.is_empty())
}

fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\x0b'
            | '\x0c'
            | '\x1c'
            | '\x1d'
            | '\x1e'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Python's `s.splitlines()`: lines without their ends (`\r\n` is one end).
pub fn splitlines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if is_line_break(c) {
            out.push(&s[start..i]);
            let mut end = i + c.len_utf8();
            if c == '\r' {
                if let Some(&(_, '\n')) = chars.peek() {
                    chars.next();
                    end += 1;
                }
            }
            start = end;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitlines_like_python() {
        assert_eq!(splitlines(""), Vec::<&str>::new());
        assert_eq!(splitlines("a\n"), vec!["a"]);
        assert_eq!(splitlines("a\r\nb\rc\n\nd"), vec!["a", "b", "c", "", "d"]);
        assert_eq!(splitlines("a\u{2028}b\x0c"), vec!["a", "b"]);
    }

    #[test]
    fn classes_like_python() {
        assert!(is_space('\x1c') && is_space('\u{a0}') && is_space('\u{3000}'));
        assert!(!is_space('\u{200b}'));
        assert!(is_alpha('é') && is_alpha('中') && !is_alpha('1') && !is_alpha('\u{93f}'));
        assert_eq!(strip(" \t a b \x1f"), "a b");
        assert_eq!(
            split_whitespace(" a  b\u{a0}c ").collect::<Vec<_>>(),
            vec!["a", "b", "c"]
        );
        assert_eq!(len("héllo"), 5);
        assert!(is_punct_category('.') && !is_punct_category('$'));
        assert!(in_punctuation_set('$') && is_terminal('。'));
    }
}
