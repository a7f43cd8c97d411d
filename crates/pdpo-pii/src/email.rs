//! The built-in email pattern, searched from its `@` instead of in the scanner's automaton.
//!
//! [`PATTERN`] may start at any ASCII word start (any English word could begin a local part), so
//! inside the multi-pattern automaton it kept the lazy DFA busy on every word. Its matches are
//! found here instead, exactly as a leftmost-first regex search for [`PATTERN`] finds them: an `@`
//! (found with `memchr`), the local part just before it and the domain just after it.
//!
//! Linear time on any input: each `@` is looked at once by [`EmailCursor::find`], its domain read
//! once (at most 6 × 64 + 63 bytes), and each search looks at most 64 bytes back from it.

/// The email pattern (written with ASCII word boundaries, `\b{start-half}`): what
/// [`match_at`] and [`EmailCursor`] match, leftmost-first.
pub(crate) const PATTERN: &str =
    r"(?-u:\b{start-half})[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){1,6}";

/// The longest local part.
const LOCAL_MAX: usize = 64;
/// The longest domain label.
const LABEL_MAX: usize = 63;
/// The most dotted labels after the first.
const DOTTED_MAX: usize = 6;

/// `[A-Za-z0-9._%+\-]`.
fn is_local(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

/// `[A-Za-z0-9\-]`.
fn is_label(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// An ASCII word byte (`(?-u:\w)`).
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether an ASCII word starts at `p` (`(?-u:\b{start-half})`): no word byte just before.
fn word_start(hay: &[u8], p: usize) -> bool {
    p == 0 || hay.get(p - 1).is_none_or(|&b| !is_word(b))
}

/// How many label bytes start at `i`, at most `max`.
fn label_len(hay: &[u8], i: usize, max: usize) -> usize {
    let mut n = 0;
    while n < max && hay.get(i + n).is_some_and(|&b| is_label(b)) {
        n += 1;
    }
    n
}

/// The end of the domain part of [`PATTERN`] after an `@` at `at`, if it matches there:
/// `[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){1,6}`, greedy. The first label must be followed by
/// a dot (a longer run cannot be shortened to reach one); each dotted label takes up to 63 bytes of
/// its run and then the repetition stops at anything but a dot.
fn domain_end(hay: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 1;
    let first = label_len(hay, i, LABEL_MAX + 1);
    if first == 0 || first > LABEL_MAX {
        return None;
    }
    i += first;
    let mut dotted = 0;
    while dotted < DOTTED_MAX && hay.get(i) == Some(&b'.') {
        let n = label_len(hay, i + 1, LABEL_MAX);
        if n == 0 {
            break;
        }
        i += 1 + n;
        dotted += 1;
    }
    (dotted > 0).then_some(i)
}

/// The end of [`PATTERN`]'s match starting at `start` (an anchored search), if any.
pub(crate) fn match_at(hay: &[u8], start: usize) -> Option<usize> {
    if !word_start(hay, start) {
        return None;
    }
    let local = hay.get(start..)?.iter().take(LOCAL_MAX + 1).take_while(|&&b| is_local(b)).count();
    let at = start + local;
    if local == 0 || local > LOCAL_MAX || hay.get(at) != Some(&b'@') {
        return None;
    }
    domain_end(hay, at)
}

/// Leftmost-first matches of [`PATTERN`] in one text, searched from positions that never decrease
/// (as a scan's candidate search moves on).
#[derive(Debug, Default)]
pub(crate) struct EmailCursor {
    /// Every `@` before this offset has been looked at.
    next_at: usize,
    /// The `@` looked at last and its domain's end, while its local parts may still begin a match.
    current: Option<(usize, usize)>,
    /// The last match returned, `(start, end)`: still the answer for a search from up to `start`.
    last: Option<(usize, usize)>,
    /// No `@` is left.
    done: bool,
}

impl EmailCursor {
    /// The leftmost match of [`PATTERN`] starting at or after `from`, as `(start, end)`.
    ///
    /// `from` must not be less than in the previous call on this cursor (the answer is then
    /// unspecified, though still a match or `None`).
    #[inline]
    pub(crate) fn find(&mut self, hay: &[u8], from: usize) -> Option<(usize, usize)> {
        match self.last {
            Some((s, e)) if from <= s => Some((s, e)),
            None if self.done && self.current.is_none() => None,
            _ => self.find_after(hay, from),
        }
    }

    /// [`Self::find`] once the last match is passed.
    fn find_after(&mut self, hay: &[u8], from: usize) -> Option<(usize, usize)> {
        self.last = None;
        loop {
            if let Some((at, end)) = self.current {
                // Starts lie in the run of local bytes that ends at the `@`, at most 64 bytes long.
                let lo = from.max(at.saturating_sub(LOCAL_MAX));
                if lo < at {
                    let run = hay.get(lo..at).unwrap_or_default();
                    let first = run.len() - run.iter().rev().take_while(|&&b| is_local(b)).count();
                    if let Some(p) = (lo + first..at).find(|&p| word_start(hay, p)) {
                        self.last = Some((p, end));
                        return self.last;
                    }
                }
                self.current = None;
            }
            if self.done {
                return None;
            }
            // A match from `from` has its `@` after `from`.
            let after = self.next_at.max(from.saturating_add(1));
            let Some(at) = hay.get(after..).and_then(|rest| memchr::memchr(b'@', rest)).map(|i| after + i)
            else {
                self.done = true;
                return None;
            };
            self.next_at = at + 1;
            self.current = domain_end(hay, at).map(|end| (at, end));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex_automata::meta::Regex;
    use regex_automata::{Anchored, Input};

    fn regex() -> &'static Regex {
        static R: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
        R.get_or_init(|| Regex::new(PATTERN).unwrap())
    }

    /// Every search of the cursor and every anchored match against the regex, from every char
    /// boundary: one cursor for increasing positions, a fresh one for each.
    fn check(hay: &str) -> Result<(), TestCaseError> {
        let bytes = hay.as_bytes();
        let mut cursor = EmailCursor::default();
        for from in (0..=hay.len()).filter(|&i| hay.is_char_boundary(i)) {
            let want = regex().search(&Input::new(hay).range(from..)).map(|m| (m.start(), m.end()));
            prop_assert_eq!(cursor.find(bytes, from), want, "{:?} from {}", hay, from);
            prop_assert_eq!(EmailCursor::default().find(bytes, from), want, "fresh, {:?} from {}", hay, from);
            let anchored = Input::new(hay).range(from..).anchored(Anchored::Yes);
            let want = regex().search(&anchored).map(|m| m.end());
            prop_assert_eq!(match_at(bytes, from), want, "anchored, {:?} at {}", hay, from);
        }
        Ok(())
    }

    /// Texts made of what addresses are made of and what borders them, with runs past the limits.
    fn emailish() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            4 => "[a-zA-Z0-9]{1,4}",
            3 => "[@.]",
            2 => "[._%+\\-@ ]{1,3}",
            1 => "[_'!#/,;:()<>\\n]",
            1 => "[é中＠．ａ\u{a0}\u{3000}\u{1F600}]",
            1 => "\\PC{1,3}",
            1 => (proptest::sample::select(vec!["a", "b.", "-", "x1", "@", "."]), 55usize..70)
                .prop_map(|(s, n)| s.repeat(n)),
            1 => (1usize..10).prop_map(|n| ".ab".repeat(n)),
            1 => proptest::sample::select(vec!["chan.tm@example.com.hk", "a@b.c", "x@y.z", "a..b@c.d", "@hk.", "com"])
                .prop_map(str::to_owned),
        ];
        proptest::collection::vec(piece, 0..30).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn same_matches_as_the_regex(hay in emailish()) {
            check(&hay)?;
        }

        #[test]
        fn same_matches_as_the_regex_on_any_text(hay in "\\PC{0,80}") {
            check(&hay)?;
        }
    }

    #[test]
    fn edges() {
        for hay in [
            "",
            "@",
            "a@b.cc",
            "_a@b.cc",
            "é.a@b.cc",
            "a_b@x.com",
            ".b@x.com and x@y",
            "a@b.c.d.e.f.g.h.i.j",
            &format!("{}@b.cc", "a".repeat(64)),
            &format!("{}@b.cc", "a".repeat(65)),
            &format!("{}@b.cc", "a.".repeat(40)),
            &format!("a@{}.cc", "b".repeat(63)),
            &format!("a@{}.cc", "b".repeat(64)),
            &format!("a@b.{}x", "c".repeat(63)),
            "a@b.-c",
            "a@@b.cc",
            "a@b.cc@d.ee",
        ] {
            check(hay).unwrap();
        }
    }
}
