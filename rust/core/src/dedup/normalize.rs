//! Text normalisation before shingling: NFKC, lowercase, punctuation and digits.
//!
//! The output is the document's tokens separated by single spaces (no leading or
//! trailing space): whitespace is always collapsed, so every word n-gram is a
//! contiguous slice of the normalised text and no shingle string is ever built.
//! Whitespace is what Python's `str.split()` splits on (Unicode White_Space plus
//! U+001C..U+001F), so `normalized.split()` in Python gives the same tokens.

use unicode_normalization::UnicodeNormalization;

use crate::features::tokenize::{is_word_char, lowercase_into};

/// Which normalisations to apply (whitespace collapse is always on).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Normalization {
    /// Lowercase as Python's `str.lower()` does.
    pub lowercase: bool,
    /// Characters that are neither word characters (Unicode `\w`) nor whitespace
    /// become spaces.
    pub punctuation: bool,
    /// Every numeric character (Unicode categories Nd, Nl, No) becomes `0`.
    pub digits: bool,
    /// Unicode NFKC first (compatibility forms: ligatures, full-width letters...).
    /// Off by default: it costs more than everything else together.
    pub nfkc: bool,
}

impl Default for Normalization {
    fn default() -> Self {
        Normalization {
            lowercase: true,
            punctuation: true,
            digits: false,
            nfkc: false,
        }
    }
}

/// Buffers reused across documents.
#[derive(Default)]
pub struct NormScratch {
    composed: String,
    lowered: String,
}

/// Python's `str.isspace()` characters: Rust's White_Space plus U+001C..U+001F.
#[inline]
pub fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ascii {
    Keep,
    Space,
    Punct,
    Digit,
}

const fn ascii_table() -> [Ascii; 128] {
    let mut table = [Ascii::Keep; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = if c.is_ascii_digit() {
            Ascii::Digit
        } else if c.is_ascii_alphabetic() || c == b'_' {
            Ascii::Keep
        } else if matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0x1c..=0x1f) {
            Ascii::Space
        } else {
            Ascii::Punct
        };
        b += 1;
    }
    table
}

static ASCII: [Ascii; 128] = ascii_table();

/// For each combination of (lowercase, punctuation, digits), what each ASCII byte
/// becomes: 0 for a separator, otherwise the byte written.
const fn ascii_maps() -> [[u8; 128]; 8] {
    let mut maps = [[0u8; 128]; 8];
    let mut m = 0;
    while m < 8 {
        let (lowercase, punctuation, digits) = (m & 1 != 0, m & 2 != 0, m & 4 != 0);
        let mut b = 0;
        while b < 128 {
            let c = b as u8;
            maps[m][b] = match ascii_table()[b] {
                Ascii::Space => 0,
                Ascii::Punct if punctuation => 0,
                Ascii::Digit if digits => b'0',
                _ if lowercase => c.to_ascii_lowercase(),
                _ => c,
            };
            b += 1;
        }
        m += 1;
    }
    maps
}

static ASCII_MAPS: [[u8; 128]; 8] = ascii_maps();

impl Normalization {
    /// Normalise `text` into `out` (cleared first).
    pub fn apply(&self, text: &str, scratch: &mut NormScratch, out: &mut String) {
        if text.is_ascii() {
            // One pass, one table lookup a byte (NFKC is the identity on ASCII).
            let index = self.lowercase as usize
                | (self.punctuation as usize) << 1
                | (self.digits as usize) << 2;
            let map = &ASCII_MAPS[index];
            // Branch-free: a space is written at the end and kept only when a separator
            // run ends after some output; then the byte is written and kept unless it
            // is a separator. The output is never longer than the input.
            let mut bytes = std::mem::take(out).into_bytes();
            bytes.clear();
            bytes.resize(text.len() + 1, 0);
            let (mut len, mut pending) = (0usize, false);
            for &b in text.as_bytes() {
                let mapped = map[b as usize];
                let keep = mapped != 0;
                bytes[len] = b' ';
                len += (pending & keep & (len > 0)) as usize;
                bytes[len] = mapped;
                len += keep as usize;
                pending = !keep;
            }
            bytes.truncate(len);
            *out = String::from_utf8(bytes).expect("ASCII in, ASCII out");
        } else {
            self.apply_general(text, scratch, out);
        }
    }

    /// [`Normalization::apply`] for any text, character by character.
    fn apply_general(&self, text: &str, scratch: &mut NormScratch, out: &mut String) {
        let mut source = text;
        if self.nfkc && !text.is_ascii() {
            scratch.composed.clear();
            scratch.composed.extend(text.nfkc());
            source = &scratch.composed;
        }
        if self.lowercase {
            lowercase_into(source, &mut scratch.lowered);
            source = &scratch.lowered;
        }
        out.clear();
        out.reserve(source.len());
        let mut pending_space = false;
        let push = |out: &mut String, c: char, pending: &mut bool| {
            if *pending {
                if !out.is_empty() {
                    out.push(' ');
                }
                *pending = false;
            }
            out.push(c);
        };
        for c in source.chars() {
            if (c as u32) < 128 {
                match ASCII[c as usize] {
                    Ascii::Keep => push(out, c, &mut pending_space),
                    Ascii::Space => pending_space = true,
                    Ascii::Punct if self.punctuation => pending_space = true,
                    Ascii::Punct => push(out, c, &mut pending_space),
                    Ascii::Digit if self.digits => push(out, '0', &mut pending_space),
                    Ascii::Digit => push(out, c, &mut pending_space),
                }
            } else if is_python_space(c) || (self.punctuation && !is_word_char(c)) {
                pending_space = true;
            } else if self.digits && c.is_numeric() {
                push(out, '0', &mut pending_space);
            } else {
                push(out, c, &mut pending_space);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn ascii_fast_path_equals_the_general_path(text in "[ -~\t\n\x1c]{0,80}", options in 0u8..16) {
            let n = Normalization {
                lowercase: options & 1 != 0,
                punctuation: options & 2 != 0,
                digits: options & 4 != 0,
                nfkc: options & 8 != 0,
            };
            let (mut fast, mut general) = (String::new(), String::new());
            n.apply(&text, &mut NormScratch::default(), &mut fast);
            n.apply_general(&text, &mut NormScratch::default(), &mut general);
            prop_assert_eq!(fast, general);
        }
    }

    fn norm(n: Normalization, text: &str) -> String {
        let mut out = String::new();
        n.apply(text, &mut NormScratch::default(), &mut out);
        out
    }

    #[test]
    fn defaults_lowercase_and_drop_punctuation() {
        let n = Normalization::default();
        assert_eq!(
            norm(n, "  Hello, World!\n\tIt's 42.  "),
            "hello world it s 42"
        );
        assert_eq!(norm(n, "naïve—café"), "naïve café");
        assert_eq!(norm(n, ""), "");
        assert_eq!(norm(n, " ... "), "");
    }

    #[test]
    fn options() {
        let all = Normalization {
            lowercase: false,
            punctuation: false,
            digits: true,
            nfkc: true,
        };
        assert_eq!(norm(all, "ﬁle Ａ1  x\u{1c}y"), "file A0 x y");
        assert_eq!(norm(all, "a-b 12.5٣"), "a-b 00.00");
    }
}
