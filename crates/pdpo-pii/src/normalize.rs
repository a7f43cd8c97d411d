//! Full-width folding with an offset map back to the caller's text.
//!
//! Hong Kong text mixes full-width forms (`９１２３４５６７`, `（３）`, `：`) with ASCII. Patterns are
//! written for ASCII; the scanner searches a folded copy and maps spans back, so every reported span
//! is a range of the original text on its char boundaries.

use std::borrow::Cow;

use crate::validate::fold_char;

/// A haystack ready for ASCII patterns.
pub(crate) struct Folded<'a> {
    /// The folded text (borrowed when nothing needed folding).
    pub(crate) text: Cow<'a, str>,
    /// `(folded offset just after a folded char, bytes removed so far)`, in order; empty when `text`
    /// is the original.
    shifts: Vec<(usize, usize)>,
}

/// Whether a UTF-8 lead byte can start a char that folds (U+00A0, U+3000, U+FF01..=U+FF5E).
fn may_fold(b: u8) -> bool {
    matches!(b, 0xC2 | 0xE3 | 0xEF)
}

impl<'a> Folded<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let Some(first) = bytes.iter().position(|b| may_fold(*b)) else {
            return Self { text: Cow::Borrowed(text), shifts: Vec::new() };
        };
        let mut out = String::new();
        let mut shifts = Vec::new();
        let mut copied = 0;
        let mut i = first;
        while i < bytes.len() {
            if may_fold(bytes[i])
                && text.is_char_boundary(i)
                && let Some(c) = text[i..].chars().next()
            {
                let f = fold_char(c);
                if f != c {
                    if out.is_empty() {
                        out.reserve(text.len());
                    }
                    out.push_str(&text[copied..i]);
                    out.push(f);
                    copied = i + c.len_utf8();
                    shifts.push((out.len(), copied - out.len()));
                }
                i += c.len_utf8();
                continue;
            }
            i += 1;
        }
        if shifts.is_empty() {
            return Self { text: Cow::Borrowed(text), shifts };
        }
        out.push_str(&text[copied..]);
        Self { text: Cow::Owned(out), shifts }
    }

    /// The original offset of folded offset `i` (a char boundary of the folded text).
    pub(crate) fn original(&self, i: usize) -> usize {
        let k = self.shifts.partition_point(|(at, _)| *at <= i);
        match k.checked_sub(1).and_then(|k| self.shifts.get(k)) {
            Some((_, shift)) => i + shift,
            None => i,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_and_maps_back() {
        let t = "電話：９１２３ 4567";
        let f = Folded::new(t);
        assert_eq!(f.text, "電話:9123 4567");
        let s = f.text.find('9').unwrap();
        assert_eq!(&t[f.original(s)..f.original(f.text.len())], "９１２３ 4567");
        assert!(matches!(Folded::new("plain").text, Cow::Borrowed(_)));
        assert!(matches!(Folded::new("中文¢").text, Cow::Borrowed(_)));
        let t = "（３）ab\u{3000}９";
        let f = Folded::new(t);
        assert_eq!(f.text, "(3)ab 9");
        for (i, c) in f.text.char_indices() {
            let o = f.original(i);
            assert_eq!(super::fold_char(t[o..].chars().next().unwrap()), c);
        }
        assert_eq!(f.original(f.text.len()), t.len());
    }
}
