//! A small JSONPath subset for tagging personal data inside JSON columns.
//!
//! Grammar: `$` followed by segments `.name`, `['name']`, `[n]`, `[*]` or `.*`. Examples:
//! `$.emails[*].address`, `$.phones.*`, `$['home address']`. No filters or recursion: a path names
//! places, and selecting them is linear in the document's size.

use std::fmt;
use std::str::FromStr;

use serde_json::Value as Json;

/// One step of a [`JsonPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// An object member.
    Member(String),
    /// An array element.
    Index(usize),
    /// Every member of an object or element of an array.
    Wildcard,
}

/// A parsed path such as `$.emails[*].address`.
///
/// ```
/// use pdpo_core::JsonPath;
/// let path: JsonPath = "$.emails[*].address".parse()?;
/// let doc = serde_json::json!({"emails": [{"address": "a@x.hk"}, {"address": "b@x.hk"}]});
/// assert_eq!(path.select(&doc).len(), 2);
/// # Ok::<(), pdpo_core::jsonpath::InvalidJsonPath>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JsonPath {
    text: String,
    segments: Vec<Segment>,
}

/// A path that does not follow the supported grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON path at byte {at}: {reason} (supported: $, .name, ['name'], [n], [*], .*)")]
pub struct InvalidJsonPath {
    /// Byte offset of the problem.
    pub at: usize,
    /// What is wrong.
    pub reason: &'static str,
}

impl JsonPath {
    /// The segments after `$`.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Every value the path names in `doc`.
    pub fn select<'a>(&self, doc: &'a Json) -> Vec<&'a Json> {
        let mut current = vec![doc];
        for seg in &self.segments {
            let mut next = Vec::new();
            for v in current {
                match (seg, v) {
                    (Segment::Member(m), Json::Object(o)) => next.extend(o.get(m)),
                    (Segment::Index(i), Json::Array(a)) => next.extend(a.get(*i)),
                    (Segment::Wildcard, Json::Object(o)) => next.extend(o.values()),
                    (Segment::Wildcard, Json::Array(a)) => next.extend(a.iter()),
                    _ => {}
                }
            }
            current = next;
        }
        current
    }

    /// Calls `f` on every value the path names in `doc`, mutably (for masking and erasure that
    /// keep the document's shape).
    pub fn for_each_mut(&self, doc: &mut Json, f: &mut dyn FnMut(&mut Json)) {
        fn walk(segs: &[Segment], v: &mut Json, f: &mut dyn FnMut(&mut Json)) {
            let Some((seg, rest)) = segs.split_first() else {
                f(v);
                return;
            };
            match (seg, v) {
                (Segment::Member(m), Json::Object(o)) => {
                    if let Some(x) = o.get_mut(m) {
                        walk(rest, x, f);
                    }
                }
                (Segment::Index(i), Json::Array(a)) => {
                    if let Some(x) = a.get_mut(*i) {
                        walk(rest, x, f);
                    }
                }
                (Segment::Wildcard, Json::Object(o)) => o.values_mut().for_each(|x| walk(rest, x, f)),
                (Segment::Wildcard, Json::Array(a)) => a.iter_mut().for_each(|x| walk(rest, x, f)),
                _ => {}
            }
        }
        walk(&self.segments, doc, f);
    }
}

impl FromStr for JsonPath {
    type Err = InvalidJsonPath;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let b = text.as_bytes();
        if b.first() != Some(&b'$') {
            return Err(InvalidJsonPath { at: 0, reason: "a path starts with `$`" });
        }
        let mut i = 1;
        let mut segments = Vec::new();
        let is_name = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
        while i < b.len() {
            match b[i] {
                b'.' => {
                    i += 1;
                    if b.get(i) == Some(&b'*') {
                        segments.push(Segment::Wildcard);
                        i += 1;
                        continue;
                    }
                    let start = i;
                    while i < b.len() && is_name(b[i]) {
                        i += 1;
                    }
                    if start == i {
                        return Err(InvalidJsonPath {
                            at: start,
                            reason: "expected a member name after `.`",
                        });
                    }
                    segments.push(Segment::Member(text[start..i].to_owned()));
                }
                b'[' => {
                    i += 1;
                    match b.get(i) {
                        Some(b'*') => {
                            i += 1;
                            segments.push(Segment::Wildcard);
                        }
                        Some(b'\'') => {
                            let start = i + 1;
                            let Some(len) = text[start..].find('\'') else {
                                return Err(InvalidJsonPath { at: i, reason: "unterminated quoted name" });
                            };
                            segments.push(Segment::Member(text[start..start + len].to_owned()));
                            i = start + len + 1;
                        }
                        Some(c) if c.is_ascii_digit() => {
                            let start = i;
                            while i < b.len() && b[i].is_ascii_digit() {
                                i += 1;
                            }
                            let n = text[start..i]
                                .parse()
                                .map_err(|_| InvalidJsonPath { at: start, reason: "index too large" })?;
                            segments.push(Segment::Index(n));
                        }
                        _ => {
                            return Err(InvalidJsonPath {
                                at: i,
                                reason: "expected `*`, a quoted name or an index after `[`",
                            });
                        }
                    }
                    if b.get(i) != Some(&b']') {
                        return Err(InvalidJsonPath { at: i, reason: "expected `]`" });
                    }
                    i += 1;
                }
                _ => return Err(InvalidJsonPath { at: i, reason: "expected `.` or `[`" }),
            }
        }
        Ok(Self { text: text.to_owned(), segments })
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn parses_and_selects() {
        let doc =
            json!({"phones": {"home": "1", "work": "2"}, "emails": [{"address": "a"}, {"x": 1}], "a b": 3});
        let sel = |p: &str| p.parse::<JsonPath>().unwrap().select(&doc).len();
        assert_eq!(sel("$.phones.*"), 2);
        assert_eq!(sel("$.emails[*].address"), 1);
        assert_eq!(sel("$.emails[1].x"), 1);
        assert_eq!(sel("$['a b']"), 1);
        assert_eq!(sel("$"), 1);
        assert_eq!(sel("$.missing[*]"), 0);
    }

    #[test]
    fn rejects_bad_paths() {
        for bad in ["", "emails", "$.", "$[", "$[x]", "$['a", "$.a..b", "$[1", "$..a"] {
            assert!(bad.parse::<JsonPath>().is_err(), "{bad}");
        }
    }

    #[test]
    fn mutates_in_place_keeping_shape() {
        let mut doc = json!({"emails": [{"address": "a"}, {"address": "b"}]});
        let p: JsonPath = "$.emails[*].address".parse().unwrap();
        p.for_each_mut(&mut doc, &mut |v| *v = json!("x"));
        assert_eq!(doc, json!({"emails": [{"address": "x"}, {"address": "x"}]}));
    }
}
