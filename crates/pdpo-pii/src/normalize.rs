//! Full-width folding with an offset map back to the caller's text.
//!
//! Hong Kong text mixes full-width forms (`９１２３４５６７`, `（３）`, `：`) with ASCII. Patterns are
//! written for ASCII; the scanner searches a folded copy and maps spans back, so every reported span
//! is a range of the original text on its char boundaries.

use std::borrow::Cow;

/// A haystack ready for ASCII patterns.
pub(crate) struct Folded<'a> {
    /// The folded text (borrowed when nothing needed folding).
    pub(crate) text: Cow<'a, str>,
    /// `(folded offset just after a folded char, bytes removed so far)`, in order; empty when `text`
    /// is the original.
    shifts: Vec<(usize, usize)>,
}

/// The ASCII replacement and encoded length of a folding char starting at `b[0]` (only lead
/// bytes 0xC2, 0xE3 and 0xEF can start one: U+00A0, U+3000, U+FF01..=U+FF5E), read from its
/// bytes: U+00A0 = C2 A0, U+3000 = E3 80 80, U+FF01..=U+FF3F = EF BC 81..BF, U+FF40..=U+FF5E =
/// EF BD 80..9E.
fn folds_to(b: &[u8]) -> Option<(u8, usize)> {
    match b {
        [0xC2, 0xA0, ..] => Some((b' ', 2)),
        [0xE3, 0x80, 0x80, ..] => Some((b' ', 3)),
        [0xEF, 0xBC, c @ 0x81..=0xBF, ..] => Some((c - 0x81 + 0x21, 3)),
        [0xEF, 0xBD, c @ 0x80..=0x9E, ..] => Some((c - 0x80 + 0x60, 3)),
        _ => None,
    }
}

/// A search for the lead bytes of folding chars (0xC2, 0xE3, 0xEF). In Chinese text most hits
/// are other chars (`。`, `、`, `「`), so the search restarts every few dozen bytes: the vector
/// searcher is set up once per text rather than once per restart.
struct Leads {
    #[cfg(target_arch = "x86_64")]
    avx2: Option<memchr::arch::x86_64::avx2::memchr::Three>,
}

impl Leads {
    fn new() -> Self {
        Self {
            #[cfg(target_arch = "x86_64")]
            avx2: memchr::arch::x86_64::avx2::memchr::Three::new(0xC2, 0xE3, 0xEF),
        }
    }

    #[inline]
    fn find(&self, hay: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(avx2) = &self.avx2 {
            return avx2.find(hay);
        }
        memchr::memchr3(0xC2, 0xE3, 0xEF, hay)
    }
}

impl<'a> Folded<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let mut out = String::new();
        let mut shifts = Vec::new();
        let mut copied = 0;
        let mut i = 0;
        let leads = Leads::new();
        while let Some(p) = bytes.get(i..).and_then(|rest| leads.find(rest)) {
            i += p;
            let Some((ascii, len)) = bytes.get(i..).and_then(folds_to) else {
                i += 1;
                continue;
            };
            if out.is_empty() {
                out.reserve(text.len());
            }
            // `i` and `i + len` are char boundaries: `folds_to` matched a whole encoded char.
            out.push_str(text.get(copied..i).unwrap_or(""));
            out.push(char::from(ascii));
            copied = i + len;
            shifts.push((out.len(), copied - out.len()));
            i = copied;
        }
        if shifts.is_empty() {
            return Self { text: Cow::Borrowed(text), shifts };
        }
        out.push_str(text.get(copied..).unwrap_or(""));
        Self { text: Cow::Owned(out), shifts }
    }

    /// [`Self::original`] for offsets given in increasing order: `cursor` (start at 0) remembers how
    /// far the shifts have been passed, so each shift is looked at once.
    pub(crate) fn original_in_order(&self, i: usize, cursor: &mut usize) -> usize {
        while self.shifts.get(*cursor).is_some_and(|(at, _)| *at <= i) {
            *cursor += 1;
        }
        match cursor.checked_sub(1).map(|k| self.shifts.get(k)) {
            // No shift at or before `i` (the loop stopped at the first one).
            None => i,
            Some(Some((at, shift))) if *at <= i => i + shift,
            // Offsets out of order: search.
            Some(_) => self.original(i),
        }
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
    use crate::validate::fold_char;

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
            assert_eq!(fold_char(t[o..].chars().next().unwrap()), c);
        }
        assert_eq!(f.original(f.text.len()), t.len());
        let mut cursor = 0;
        for i in (0..=f.text.len()).filter(|i| f.text.is_char_boundary(*i)) {
            assert_eq!(f.original_in_order(i, &mut cursor), f.original(i), "{i}");
        }
        // Every full-width ASCII form folds exactly as `fold_char` does.
        for c in ('\u{FF00}'..='\u{FF60}').chain(['\u{3000}', '\u{00A0}', '\u{3001}', '\u{00A1}']) {
            let s = c.to_string();
            assert_eq!(Folded::new(&s).text, fold_char(c).to_string(), "{c:?}");
        }
    }
}
