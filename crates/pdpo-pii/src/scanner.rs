//! The one-pass [`Scanner`] and its [`Finding`]s.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use pdpo_core::PiiCategory;
use regex_automata::meta::{self, Cache, Regex};
use regex_automata::util::pool::Pool;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind, PatternID};
use serde::Serialize;

use crate::builtin::{self, ANY_FAMILY, Family, Lead, SOLO};
use crate::context::{self, Topic};
use crate::detector::{Assessment, Candidate, Detector, Kind};
use crate::email::{self, EmailCursor};
use crate::normalize::Folded;
use crate::{Error, Result};

/// Longest pattern match a user detector may declare, in bytes.
const MAX_PATTERN_LEN: usize = 512;
/// How far before a candidate a context word counts, in bytes of (folded) text.
const WINDOW_BEFORE: usize = 40;
/// How far after a candidate a context word counts.
const WINDOW_AFTER: usize = 20;
/// The longest gap between parts of an English address.
const ADDRESS_GAP: usize = 40;

/// One piece of personal data found in a text.
///
/// The span is a range of UTF-8 byte offsets into the scanned text, always on char boundaries. A
/// finding holds no text, so `Debug` and logs never show the personal data; call
/// [`Finding::text`] with the scanned text when the value is needed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset just past the last byte.
    pub end: usize,
    /// The category of personal data.
    pub category: PiiCategory,
    /// The finer kind (which detector).
    pub kind: Kind,
    /// Confidence from 0 to 1.
    pub confidence: f32,
    /// Whether a checksum or check digit validated (HKID, Mainland ID, Luhn).
    pub validated: bool,
}

impl Finding {
    /// The span as a range.
    pub fn span(&self) -> Range<usize> {
        self.start..self.end
    }

    /// The matched text, given the text that was scanned (empty if `haystack` is another text too short
    /// for the span).
    pub fn text<'h>(&self, haystack: &'h str) -> &'h str {
        haystack.get(self.start..self.end).unwrap_or("")
    }
}

#[derive(Clone, Copy)]
enum Role {
    Candidate {
        detector: u16,
        local: u16,
        lead: Lead,
        family: Family,
    },
    /// A district name that ends an English address.
    District,
}

struct Entry {
    detector: Box<dyn Detector>,
    kind: Kind,
    category: PiiCategory,
    topics: Vec<Topic>,
}

struct Inner {
    /// Candidate shapes (and district names), leftmost-first, except the built-in email pattern.
    regex: Regex,
    /// Every pattern in priority order: the candidate shapes, then the district names. Rivals and
    /// priorities are in this numbering; `regex` numbers its patterns without the email pattern.
    roles: Vec<Role>,
    /// The role of each of `regex`'s patterns.
    role_of_pid: Vec<usize>,
    /// Each role's pattern in `regex` (`None` for the email pattern).
    pid_of_role: Vec<Option<PatternID>>,
    /// The role of the built-in email pattern, searched by [`EmailCursor`] instead of `regex`.
    email_role: Option<usize>,
    /// Context words, searched only in the windows around candidates.
    words: context::Words,
    /// Flat / floor / street / region markers, searched only before a district name.
    markers: Regex,
    marker_topics: Vec<Topic>,
    entries: Vec<Entry>,
    min_confidence: f32,
    /// Per pattern, the later patterns tried at the start of its match ([`rivals`]).
    rivals: Vec<[Vec<u32>; 6]>,
    /// Search caches of `regex` and `markers` (the lazy DFAs' states), one taken per scan rather
    /// than one per search.
    caches: Pool<(Cache, Cache), CacheFn>,
}

type CacheFn =
    Box<dyn Fn() -> (Cache, Cache) + Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>;

/// Finds personal data in text: every detector in one pass over the text.
///
/// Built once (construction compiles one automaton, a few milliseconds) and shared: `Scanner` is
/// `Send + Sync` and cheap to clone. Scanning is linear in the length of the text for any input.
///
/// ```
/// use pdpo_core::PiiCategory;
/// let scanner = pdpo_pii::Scanner::hong_kong()?;
/// let text = "陳大文先生 HKID A123456(3)，電話91234567";
/// let found = scanner.scan(text);
/// let cats: Vec<_> = found.iter().map(|f| f.category.clone()).collect();
/// assert_eq!(cats, [PiiCategory::Name, PiiCategory::Hkid, PiiCategory::Phone]);
/// assert_eq!(found[1].text(text), "A123456(3)");
/// assert!(found[1].validated);
/// # Ok::<(), pdpo_pii::Error>(())
/// ```
#[derive(Clone)]
pub struct Scanner {
    inner: Arc<Inner>,
}

impl fmt::Debug for Scanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kinds: Vec<&str> = self.inner.entries.iter().map(|e| e.kind.as_str()).collect();
        f.debug_struct("Scanner")
            .field("detectors", &kinds)
            .field("patterns", &self.inner.roles.len())
            .field("min_confidence", &self.inner.min_confidence)
            .finish()
    }
}

/// Builds a [`Scanner`]: the built-in Hong Kong detectors, users' own detectors, a threshold.
#[derive(Default)]
pub struct ScannerBuilder {
    builtins: Vec<builtin::Builtin>,
    custom: Vec<Box<dyn Detector>>,
    min_confidence: Option<f32>,
}

impl fmt::Debug for ScannerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScannerBuilder")
            .field("builtins", &self.builtins.len())
            .field("custom", &self.custom.len())
            .field("min_confidence", &self.min_confidence)
            .finish()
    }
}

impl ScannerBuilder {
    /// Adds every built-in Hong Kong detector (HKID, phone, email, HKSAR passport, Mainland ID,
    /// Home Return Permit, Macau ID, payment card, date of birth, IP address, names, addresses).
    #[must_use]
    pub fn hong_kong(mut self) -> Self {
        self.builtins = builtin::hong_kong();
        self
    }

    /// Removes the built-in detector of `kind` (for example [`Kind::PersonName`]).
    #[must_use]
    pub fn without(mut self, kind: &Kind) -> Self {
        self.builtins.retain(|b| b.detector.kind() != *kind);
        self
    }

    /// Adds a detector of the user's own.
    #[must_use]
    pub fn detector(mut self, detector: impl Detector + 'static) -> Self {
        self.custom.push(Box::new(detector));
        self
    }

    /// Reports only findings with at least this confidence (default 0.5).
    #[must_use]
    pub fn min_confidence(mut self, min: f32) -> Self {
        self.min_confidence = Some(min);
        self
    }

    /// Compiles every pattern into one automaton.
    pub fn build(self) -> Result<Scanner> {
        let mut entries = Vec::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut roles = Vec::new();
        let mut role_of_pid = Vec::new();
        let mut pid_of_role = Vec::new();
        let mut email_role = None;
        let mut extra_words = Vec::new();
        let customs = self.custom.into_iter().map(|d| (d, None));
        let builtins = self.builtins.into_iter().map(|b| (b.detector, Some((b.topics, b.shapes))));
        for (det, builtin) in customs.chain(builtins) {
            let index = u16::try_from(entries.len())
                .map_err(|_| Error::Build { message: "too many detectors".into() })?;
            let kind = det.kind();
            let pats = det.patterns();
            let is_builtin = builtin.is_some();
            let (topics, shapes) = match builtin {
                Some((topics, shapes)) => (topics.to_vec(), shapes),
                None => {
                    check_bounded(kind.as_str(), &pats)?;
                    extra_words.push((Topic::Custom(index), det.context_words()));
                    (vec![Topic::Custom(index)], vec![(Lead::Any, ANY_FAMILY); pats.len()])
                }
            };
            for (local, p) in pats.into_iter().enumerate() {
                let (lead, family) = shapes.get(local).copied().unwrap_or((Lead::Any, ANY_FAMILY));
                let local =
                    u16::try_from(local).map_err(|_| Error::Build { message: "too many patterns".into() })?;
                // The built-in email pattern is searched from its `@` (see `email`), not in `regex`.
                if is_builtin && kind == Kind::Email && p == email::PATTERN && email_role.is_none() {
                    email_role = Some(roles.len());
                    pid_of_role.push(None);
                } else {
                    pid_of_role.push(Some(PatternID::new(patterns.len()).map_err(|_| too_many())?));
                    role_of_pid.push(roles.len());
                    patterns.push(p);
                }
                roles.push(Role::Candidate { detector: index, local, lead, family });
            }
            entries.push(Entry { category: det.category(), kind, detector: det, topics });
        }
        let has_address = entries.iter().any(|e| e.kind == Kind::HkAddress);
        let (mut marker_topics, mut markers) = (Vec::new(), Vec::new());
        for (topic, p) in builtin::address_patterns() {
            if topic == Topic::AddrDistrict {
                if has_address {
                    pid_of_role.push(Some(PatternID::new(patterns.len()).map_err(|_| too_many())?));
                    role_of_pid.push(roles.len());
                    roles.push(Role::District);
                    patterns.push(p);
                }
            } else {
                marker_topics.push(topic);
                markers.push(p);
            }
        }
        let regex = compile(&patterns).map_err(|e| pattern_error(&e, &role_of_pid, &roles, &entries))?;
        let markers = compile(&markers).map_err(|e| Error::Build { message: e.to_string() })?;
        let words = context::Words::new(&extra_words).map_err(|message| Error::Build { message })?;
        let min_confidence = self.min_confidence.unwrap_or(0.5);
        let (r, m) = (regex.clone(), markers.clone());
        let caches: CacheFn = Box::new(move || (r.create_cache(), m.create_cache()));
        let caches = Pool::new(caches);
        let rivals = rivals(&roles)?;
        Ok(Scanner {
            inner: Arc::new(Inner {
                regex,
                roles,
                role_of_pid,
                pid_of_role,
                email_role,
                words,
                markers,
                marker_topics,
                entries,
                min_confidence,
                rivals,
                caches,
            }),
        })
    }
}

fn compile<P: AsRef<str>>(patterns: &[P]) -> Result<Regex, Box<meta::BuildError>> {
    Regex::builder()
        .configure(
            Regex::config()
                .match_kind(MatchKind::LeftmostFirst)
                .which_captures(regex_automata::nfa::thompson::WhichCaptures::Implicit)
                .nfa_size_limit(Some(64 << 20))
                // The lazy DFA of this many Unicode patterns needs more than the default 2 MiB of
                // states on varied text; a smaller cache is cleared and rebuilt over and over.
                .hybrid_cache_capacity(16 << 20),
        )
        .syntax(syntax::Config::new().unicode(true).utf8(true))
        .build_many(patterns)
        .map_err(Box::new)
}

fn too_many() -> Error {
    Error::Build { message: "too many patterns".into() }
}

fn pattern_error(e: &meta::BuildError, role_of_pid: &[usize], roles: &[Role], entries: &[Entry]) -> Error {
    if let Some(pid) = e.pattern()
        && let Some(role) = role_of_pid.get(pid.as_usize())
        && let Some(Role::Candidate { detector, local, .. }) = roles.get(*role)
        && let Some(entry) = entries.get(usize::from(*detector))
    {
        return Error::Pattern {
            detector: entry.kind.to_string(),
            index: usize::from(*local),
            message: e.to_string(),
        };
    }
    Error::Build { message: e.to_string() }
}

fn check_bounded(kind: &str, patterns: &[String]) -> Result<()> {
    for (index, p) in patterns.iter().enumerate() {
        let hir = syntax::parse(p).map_err(|e| Error::Pattern {
            detector: kind.to_owned(),
            index,
            message: e.to_string(),
        })?;
        let props = hir.properties();
        let problem = match (props.minimum_len(), props.maximum_len()) {
            (_, None) => Some("has no maximum length (use {m,n} instead of + or *)"),
            (_, Some(n)) if n > MAX_PATTERN_LEN => Some("may match more than 512 bytes"),
            (Some(0) | None, _) => Some("can match the empty string"),
            _ => None,
        };
        if let Some(problem) = problem {
            return Err(Error::UnboundedPattern { detector: kind.to_owned(), index, problem });
        }
    }
    Ok(())
}

use context::Hit as Keyword;

/// How far before (after) a window context words are searched, so that a word ending (starting)
/// inside the window is found; longer words at the very edge of a window may be missed.
const KEYWORD_MAX: usize = 16;

/// Context words found so far in one scan, in order, and how far the text has been searched.
#[derive(Default)]
struct KeywordCursor {
    found: Vec<Keyword>,
    searched_to: usize,
}

/// What [`Scanner::next_match`] remembers between calls in one scan.
#[derive(Default)]
struct NextMatch {
    /// `regex`'s last answer, `(start, end, role)` (`None` inside: no match left), valid for
    /// searches from up to its start.
    regex: Option<Option<(usize, usize, usize)>>,
    email: EmailCursor,
}

/// An accepted alternative at one position.
struct Alt {
    detector: u16,
    start: usize,
    end: usize,
    raw_end: usize,
    assessment: Assessment,
}

enum Context {
    None,
    Supported,
    Contradicted,
    Other,
}

impl Scanner {
    /// The default Hong Kong scanner: every built-in detector, threshold 0.5.
    pub fn hong_kong() -> Result<Self> {
        Self::builder().hong_kong().build()
    }

    /// A builder with no detectors yet.
    pub fn builder() -> ScannerBuilder {
        ScannerBuilder::default()
    }

    /// The reporting threshold.
    pub fn min_confidence(&self) -> f32 {
        self.inner.min_confidence
    }

    /// Finds personal data in `text`: non-overlapping findings in order of position, each at least
    /// as confident as the threshold.
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        let folded = Folded::new(text);
        let hay: &str = &folded.text;
        let mut caches = self.inner.caches.get();
        let (regex_cache, markers_cache) = &mut *caches;
        // All candidates first, then all context words: each search's tables stay in the caches.
        let (alts, groups, districts) = self.first_pass(hay, regex_cache);
        let mut found = Vec::with_capacity(groups.len());
        let mut keywords = KeywordCursor::default();
        for g in groups {
            found.extend(alts.get(g).and_then(|alts| self.best(hay, alts, &mut keywords)));
        }
        let in_order = found.len();
        for d in districts {
            if let Some(f) = self.address_ending_at(hay, d, markers_cache)
                && f.confidence >= self.inner.min_confidence
            {
                found.push(f);
            }
        }
        let mut found = resolve_overlaps(sort_by_span(found, in_order));
        let mut shifts_passed = 0;
        for f in &mut found {
            // Non-overlapping and sorted: starts and ends come in increasing order.
            f.start = folded.original_in_order(f.start, &mut shifts_passed);
            f.end = folded.original_in_order(f.end, &mut shifts_passed);
        }
        found
    }

    /// One leftmost-first pass over the candidate shapes. At each candidate position, every pattern
    /// that matches there is assessed, and the longest accepted alternatives are kept; a position
    /// where nothing is accepted is rescanned from its next char, so a rejected candidate cannot hide
    /// a real match inside it.
    fn first_pass(&self, hay: &str, cache: &mut Cache) -> (Vec<Alt>, Vec<Range<usize>>, Vec<Range<usize>>) {
        let inner = &*self.inner;
        // About one candidate per 150 bytes of CRM text: room for most texts without regrowing.
        let mut alts = Vec::with_capacity(hay.len() / 128);
        let mut groups = Vec::with_capacity(hay.len() / 128);
        let mut districts = Vec::new();
        let mut next = NextMatch::default();
        let mut at = 0;
        while at < hay.len() {
            let Some((s, end, pid)) = self.next_match(hay, at, cache, &mut next) else { break };
            if let Some(Role::District) = inner.roles.get(pid) {
                districts.push(s..end);
                at = end.max(next_char(hay, s));
                continue;
            }
            let lead = match hay.as_bytes().get(s) {
                Some(b) if b.is_ascii_digit() => Lead::Digit,
                Some(b) if b.is_ascii_alphabetic() => Lead::Letter,
                _ => Lead::Any,
            };
            let first = alts.len();
            self.assess(hay, pid, s, end, &mut alts);
            let accepted = alts.len() > first;
            let family = match inner.roles.get(pid) {
                Some(Role::Candidate { family, .. }) => *family,
                _ => SOLO,
            };
            // Patterns of higher priority cannot match here (leftmost-first chose `pid`), so only later
            // ones are tried: all of them when the match was rejected, its rivals when it was accepted.
            if !accepted || family != SOLO {
                let rivals = inner.rivals.get(pid).and_then(|r| r.get(rival_list(accepted, lead)));
                for &q in rivals.map_or(&[][..], Vec::as_slice) {
                    let q = q as usize;
                    let Some(role) = inner.roles.get(q) else { continue };
                    if !accepted && matches!(role, Role::District) {
                        if let Some(e2) = self.anchored(hay, s, q, cache) {
                            districts.push(s..e2);
                        }
                        continue;
                    }
                    if let Some(e2) = self.anchored(hay, s, q, cache) {
                        self.assess(hay, q, s, e2, &mut alts);
                    }
                }
            }
            match alts[first..].iter().map(|a| a.raw_end).max() {
                Some(end) => {
                    let mut i = first;
                    while i < alts.len() {
                        if alts[i].raw_end == end {
                            i += 1;
                        } else {
                            alts.swap_remove(i);
                        }
                    }
                    groups.push(first..alts.len());
                    at = end.max(next_char(hay, s));
                }
                None => at = next_char(hay, s),
            }
        }
        (alts, groups, districts)
    }

    /// The leftmost-first match of every pattern at or after `at` (`at` never decreasing in one
    /// scan), as `(start, end, role)`: the earlier of `regex`'s match and the email pattern's, the
    /// pattern first in priority order when both start at the same place.
    fn next_match(
        &self,
        hay: &str,
        at: usize,
        cache: &mut Cache,
        next: &mut NextMatch,
    ) -> Option<(usize, usize, usize)> {
        let inner = &*self.inner;
        // `regex`'s match from an earlier position is still the leftmost from `at` up to its start.
        let from_regex = match next.regex {
            Some(Some((s, _, _))) if s < at => None,
            Some(m) => Some(m),
            None => None,
        };
        let from_regex = from_regex.unwrap_or_else(|| {
            inner.regex.search_with(cache, &Input::new(hay).range(at..)).and_then(|m| {
                let role = inner.role_of_pid.get(m.pattern().as_usize())?;
                Some((m.start(), m.end(), *role))
            })
        });
        next.regex = Some(from_regex);
        let from_email = match inner.email_role {
            Some(role) => next.email.find(hay.as_bytes(), at).map(|(s, e)| (s, e, role)),
            None => None,
        };
        match (from_regex, from_email) {
            (Some(r), Some(e)) if e.0 < r.0 || e.0 == r.0 && e.2 < r.2 => Some(e),
            (Some(r), _) => Some(r),
            (None, e) => e,
        }
    }

    /// The end of pattern `role`'s match starting at `s`, if any.
    #[inline]
    fn anchored(&self, hay: &str, s: usize, role: usize, cache: &mut Cache) -> Option<usize> {
        let inner = &*self.inner;
        if inner.email_role == Some(role) {
            return email::match_at(hay.as_bytes(), s);
        }
        let pid = (*inner.pid_of_role.get(role)?)?;
        let input = Input::new(hay).range(s..).anchored(Anchored::Pattern(pid));
        inner.regex.search_with(cache, &input).map(|m| m.end())
    }

    /// The finding of one candidate position: the most confident of its longest accepted
    /// alternatives in their context, if confident enough.
    fn best(&self, hay: &str, alts: &[Alt], keywords: &mut KeywordCursor) -> Option<Finding> {
        let s = alts.iter().map(|a| a.start).min()?;
        let e = alts.iter().map(|a| a.end).max()?;
        self.keywords_near(hay, s, e, keywords);
        let keywords = &keywords.found;
        let best = alts.iter().map(|a| (a, self.confidence(hay, a, keywords))).max_by(|(a, x), (b, y)| {
            x.total_cmp(y).then(a.assessment.validated.cmp(&b.assessment.validated))
        });
        let (alt, confidence) = best?;
        if confidence < self.inner.min_confidence || alt.start >= alt.end {
            return None;
        }
        let entry = self.inner.entries.get(usize::from(alt.detector))?;
        Some(Finding {
            start: alt.start,
            end: alt.end,
            category: entry.category.clone(),
            kind: entry.kind.clone(),
            confidence,
            validated: alt.assessment.validated,
        })
    }

    fn assess(&self, hay: &str, pid: usize, s: usize, e: usize, alts: &mut Vec<Alt>) {
        let Some(Role::Candidate { detector, local, .. }) = self.inner.roles.get(pid).copied() else {
            return;
        };
        let Some(entry) = self.inner.entries.get(usize::from(detector)) else { return };
        let candidate = Candidate::new(hay, s, e, usize::from(local));
        if let Some(a) = entry.detector.assess(&candidate) {
            let start = s.saturating_add(a.trim_start).min(e);
            let end = e.saturating_sub(a.trim_end).max(start);
            // Trims that do not land on char boundaries are ignored rather than trusted.
            let (start, end) =
                if hay.is_char_boundary(start) && hay.is_char_boundary(end) { (start, end) } else { (s, e) };
            alts.push(Alt { detector, start, end, raw_end: e, assessment: a });
        }
    }

    /// Extends the cursor's context words to cover the window around `s..e`. Candidates come in
    /// order, so each part of the text is searched for context words about once.
    fn keywords_near(&self, hay: &str, s: usize, e: usize, cursor: &mut KeywordCursor) {
        // Words ending more than WINDOW_BEFORE before `s` count for no later candidate (they start
        // at `s` or after): drop them now and then, keeping the last for where to search from.
        if cursor.found.len() >= 64 {
            let stale = cursor.found.partition_point(|k| k.end + WINDOW_BEFORE < s);
            cursor.found.drain(..stale.min(cursor.found.len() - 1));
        }
        let want_from = s.saturating_sub(WINDOW_BEFORE + KEYWORD_MAX);
        let from = floor_char(hay, want_from.max(cursor.searched_to.saturating_sub(KEYWORD_MAX)));
        let to = ceil_char(hay, e.saturating_add(WINDOW_AFTER + KEYWORD_MAX).min(hay.len()));
        let last_end = cursor.found.last().map_or(0, |k| k.end);
        let at = ceil_char(hay, from.max(last_end));
        if at < to {
            self.inner.words.find(hay, at, to, &mut cursor.found);
        }
        cursor.searched_to = cursor.searched_to.max(to);
    }

    fn confidence(&self, hay: &str, alt: &Alt, keywords: &[Keyword]) -> f32 {
        let Some(entry) = self.inner.entries.get(usize::from(alt.detector)) else { return 0.0 };
        let a = &alt.assessment;
        let c = match context_of(hay, keywords, alt.start, alt.end, &entry.topics) {
            Context::None => a.plain,
            Context::Supported => a.supported,
            Context::Contradicted => a.contradicted,
            Context::Other => a.plain * 0.85,
        };
        c.clamp(0.0, 1.0)
    }

    /// An English address ending at district `d`: a run of flat, floor, block and street markers
    /// before it, each within a short gap of the next (no line or sentence break), optionally
    /// followed by `, Kowloon` or `, Hong Kong`.
    fn address_ending_at(&self, hay: &str, d: Range<usize>, cache: &mut Cache) -> Option<Finding> {
        // Most district names in notes end no address: skip the marker search when no unit or
        // street marker can end close enough before it.
        if !builtin::may_end_unit_or_street(hay, d.start, ADDRESS_GAP) {
            return None;
        }
        self.address_from_markers(hay, d, cache)
    }

    /// [`Self::address_ending_at`] without the quick check.
    fn address_from_markers(&self, hay: &str, d: Range<usize>, cache: &mut Cache) -> Option<Finding> {
        let from = floor_char(hay, d.start.saturating_sub(160));
        let mut marks = Vec::new();
        let mut at = from;
        while at < d.start {
            let Some(m) = self.inner.markers.search_with(cache, &Input::new(hay).range(at..d.start)) else {
                break;
            };
            if let Some(t) = self.inner.marker_topics.get(m.pattern().as_usize()) {
                marks.push((m.start(), m.end(), *t));
            }
            at = m.end().max(next_char(hay, m.start()));
        }
        let gap_ok = |from: usize, to: usize| {
            to >= from
                && to - from <= ADDRESS_GAP
                && hay.get(from..to).is_some_and(|g| !g.contains(['\n', ';', '.']))
        };
        // Walk back from the district while each marker is close to the next.
        let mut start = None;
        let mut street = false;
        let mut next_start = d.start;
        for (s, e, t) in marks.iter().rev() {
            if *t == Topic::AddrRegion || !gap_ok(*e, next_start) {
                break;
            }
            start = Some(*s);
            street |= *t == Topic::AddrStreet;
            next_start = *s;
        }
        let start = start?;
        let mut end = d.end;
        let tail_to = ceil_char(hay, (d.end + 24).min(hay.len()));
        if let Some(m) = self.inner.markers.search_with(cache, &Input::new(hay).range(d.end..tail_to)) {
            let is_region = self.inner.marker_topics.get(m.pattern().as_usize()) == Some(&Topic::AddrRegion);
            if is_region && m.start() - d.end <= 3 && gap_ok(d.end, m.start()) {
                end = m.end();
            }
        }
        Some(Finding {
            start,
            end,
            category: PiiCategory::Address,
            kind: Kind::HkAddress,
            confidence: if street { 0.85 } else { 0.7 },
            validated: false,
        })
    }
}

/// Which of a pattern's rival lists (see [`rivals`]) applies to a match that was accepted or not,
/// starting with a byte of this lead.
fn rival_list(accepted: bool, lead: Lead) -> usize {
    usize::from(accepted) * 3
        + match lead {
            Lead::Digit => 0,
            Lead::Letter => 1,
            Lead::Any => 2,
        }
}

/// For each pattern, the later patterns to try at the start of its match, in order, by
/// [`rival_list`]: when the match was rejected, every later candidate pattern that can start with
/// the lead and every district; when it was accepted, the later candidates of its family (all of them
/// for a user's pattern) that can start with the lead.
fn rivals(roles: &[Role]) -> Result<Vec<[Vec<u32>; 6]>> {
    let mut out = Vec::with_capacity(roles.len());
    for (pid, role) in roles.iter().enumerate() {
        let family = match role {
            Role::Candidate { family, .. } => *family,
            Role::District => SOLO,
        };
        let mut lists: [Vec<u32>; 6] = Default::default();
        for accepted in [false, true] {
            for lead in [Lead::Digit, Lead::Letter, Lead::Any] {
                let Some(list) = lists.get_mut(rival_list(accepted, lead)) else { continue };
                for (q, role) in roles.iter().enumerate().skip(pid + 1) {
                    let keep = match role {
                        Role::District => !accepted,
                        Role::Candidate { lead: ql, family: qf, .. } => {
                            let rival =
                                !accepted || family == ANY_FAMILY || *qf == ANY_FAMILY || *qf == family;
                            rival && (*ql == Lead::Any || *ql == lead)
                        }
                    };
                    if keep {
                        list.push(
                            u32::try_from(q)
                                .map_err(|_| Error::Build { message: "too many patterns".into() })?,
                        );
                    }
                }
            }
        }
        out.push(lists);
    }
    Ok(out)
}

fn floor_char(hay: &str, mut i: usize) -> usize {
    while i > 0 && !hay.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(hay: &str, mut i: usize) -> usize {
    while i < hay.len() && !hay.is_char_boundary(i) {
        i += 1;
    }
    i.min(hay.len())
}

fn next_char(hay: &str, i: usize) -> usize {
    let mut j = i + 1;
    while j < hay.len() && !hay.is_char_boundary(j) {
        j += 1;
    }
    j
}

/// The context of a span: the nearest context word before it (within [`WINDOW_BEFORE`]), else just
/// after it; words of other topics are skipped over (up to three) in search of a deciding one. A
/// contradicting word in an earlier clause (a comma, semicolon, 。 or line break between
/// it and the span) does not count: `報價去…，或者打 9021 7788` is about a quote, then a phone.
fn context_of(hay: &str, keywords: &[Keyword], start: usize, end: usize, topics: &[Topic]) -> Context {
    // `,`, `;`, a line break or `。` (E3 80 82, which no other char contains) in between.
    let clause_break = |from: usize| {
        hay.as_bytes().get(from..start).is_some_and(|g| {
            g.iter().enumerate().any(|(i, b)| {
                matches!(b, b',' | b';' | b'\n')
                    || *b == 0xE3 && g.get(i + 1..i + 3) == Some(&[0x80, 0x82][..])
            })
        })
    };
    let classify = |t: Topic| {
        if t == Topic::NotBirth {
            topics.contains(&Topic::Dob).then_some(Context::Contradicted)
        } else if t.is_address() {
            None
        } else if topics.contains(&t) {
            Some(Context::Supported)
        } else if t == Topic::Negative {
            Some(Context::Contradicted)
        } else {
            Some(Context::Other)
        }
    };
    // Keywords are in order (non-overlapping, left to right) and searched only a little past the
    // candidate, so the split is found from the end.
    let split = keywords.len() - keywords.iter().rev().take_while(|k| k.end > start).count();
    let mut other = false;
    for k in keywords[..split].iter().rev().take(4) {
        if start - k.end > WINDOW_BEFORE {
            break;
        }
        match classify(k.topic) {
            Some(Context::Other) => other = true,
            Some(Context::Contradicted) if clause_break(k.end) => {}
            Some(c) => return c,
            None => {}
        }
    }
    for k in keywords[split..].iter().filter(|k| k.start >= end).take(2) {
        if k.start - end > WINDOW_AFTER {
            break;
        }
        match classify(k.topic) {
            Some(Context::Other) => other = true,
            Some(c) => return c,
            None => {}
        }
    }
    if other { Context::Other } else { Context::None }
}

/// `found` sorted by `(start, end)`, exactly as `sort_unstable_by_key` sorts it, given that the
/// first `in_order` findings (one per candidate group) are usually in order already: only the rest
/// (English addresses) is sorted, then merged in. Equal keys, where an unstable sort's order of the
/// equals is its own, take the plain sort.
fn sort_by_span(mut found: Vec<Finding>, in_order: usize) -> Vec<Finding> {
    let key = |f: &Finding| (f.start, f.end);
    let Some(head) = found.get(..in_order) else { return found };
    if !head.windows(2).all(|w| key(&w[0]) < key(&w[1])) {
        found.sort_unstable_by_key(key);
        return found;
    }
    let mut tail = found.split_off(in_order);
    if tail.is_empty() {
        return found;
    }
    let mut sorted = tail.clone();
    sorted.sort_unstable_by_key(key);
    let distinct = sorted.windows(2).all(|w| key(&w[0]) < key(&w[1]))
        && sorted.iter().all(|t| found.binary_search_by_key(&key(t), key).is_err());
    if !distinct {
        found.append(&mut tail);
        found.sort_unstable_by_key(key);
        return found;
    }
    let mut merged = Vec::with_capacity(found.len() + sorted.len());
    let (mut a, mut b) = (found.into_iter().peekable(), sorted.into_iter().peekable());
    loop {
        let take_a = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => key(x) < key(y),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        merged.extend(if take_a { a.next() } else { b.next() });
    }
    merged
}

/// Keeps the best of overlapping findings: validated first, then the more confident, then the longer.
/// `found` is sorted by span.
fn resolve_overlaps(mut found: Vec<Finding>) -> Vec<Finding> {
    if found.windows(2).all(|w| w[0].end <= w[1].start) {
        return found;
    }
    found.sort_unstable_by(|a, b| {
        b.validated
            .cmp(&a.validated)
            .then(b.confidence.total_cmp(&a.confidence))
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(a.start.cmp(&b.start))
    });
    let mut kept: Vec<Finding> = Vec::with_capacity(found.len());
    let mut taken: std::collections::BTreeMap<usize, usize> = std::collections::BTreeMap::new();
    for f in found {
        let before = taken.range(..f.end).next_back().is_some_and(|(_, e)| *e > f.start);
        if !before {
            taken.insert(f.start, f.end);
            kept.push(f);
        }
    }
    kept.sort_unstable_by_key(|f| f.start);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> Vec<(String, String)> {
        let s = Scanner::hong_kong().unwrap();
        s.scan(text).iter().map(|f| (f.category.to_string(), f.text(text).to_owned())).collect()
    }

    proptest::proptest! {
        /// Sorting the in-order findings and merging the others gives what one sort gives.
        #[test]
        fn sort_by_span_is_a_sort(
            head in proptest::collection::vec((0usize..6, 1usize..4), 0..12),
            tail in proptest::collection::vec((0usize..60, 1usize..8, 0u8..3), 0..6),
        ) {
            let finding = |start: usize, end: usize, kind: Kind| Finding {
                start,
                end,
                category: PiiCategory::Address,
                kind,
                confidence: 0.5,
                validated: false,
            };
            let mut found = Vec::new();
            let mut at = 0;
            for (gap, len) in head {
                found.push(finding(at + gap, at + gap + len, Kind::PersonName));
                at += gap + len;
            }
            let in_order = found.len();
            for (start, len, k) in tail {
                let kind = [Kind::HkAddress, Kind::Email, Kind::Hkid][usize::from(k)].clone();
                found.push(finding(start, start + len, kind));
            }
            let mut want = found.clone();
            want.sort_unstable_by_key(|f| (f.start, f.end));
            proptest::prop_assert_eq!(sort_by_span(found, in_order), want);
        }
    }

    proptest::proptest! {
        /// The quick check before the marker search never skips an address.
        #[test]
        fn address_check_is_necessary(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "Flat B", "flat 3", "Rm 12-3", "RMB", "Tower 2", "12/F", "G/F", "g/f.", "3rd floor", "3rd Floor",
                    "88 Nathan Road", "1 Queen’s Road.", "12A-14 Sai Yeung Choi St", "9 Po Tat Path", "Road",
                    "Hong Kong", "Kowloon", "N.T.", ", ", " ", ".", ";", "\n", "x", "3pm", "at the ", "中", "_",
                    "Mong Kok", "Kowloon Bay", "abcdefghij", "HOUSE", "suite", "2 Tai Po Rd. ", "(", "/",
                ]),
                0..14,
            ),
        ) {
            let s = Scanner::hong_kong().unwrap();
            let hay: String = parts.concat();
            let mut caches = s.inner.caches.get();
            let cache = &mut caches.1;
            for x in (0..=hay.len()).filter(|x| hay.is_char_boundary(*x)) {
                if s.address_from_markers(&hay, x..x, cache).is_some() {
                    proptest::prop_assert!(builtin::may_end_unit_or_street(&hay, x, ADDRESS_GAP), "{hay:?} at {x}");
                }
            }
        }
    }

    #[test]
    fn send_sync() {
        fn assert<T: Send + Sync + 'static>() {}
        assert::<Scanner>();
        assert::<Finding>();
        assert::<Error>();
    }

    #[test]
    fn hkid_forms() {
        for t in
            ["HKID A123456(3)", "HKID: A1234563", "身份證A123456 3", "id a123456(3).", "HKID: AB123456(9)"]
        {
            let got = scan(t);
            assert_eq!(got.len(), 1, "{t}: {got:?}");
            assert_eq!(got[0].0, "hkid", "{t}");
        }
        assert!(scan("HKID A123456(1)").is_empty());
    }

    #[test]
    fn chinese_and_full_width() {
        assert_eq!(scan("電話91234567"), [("phone".into(), "91234567".into())]);
        assert_eq!(scan("電話：９１２３ ４５６７。"), [("phone".into(), "９１２３ ４５６７".into())]);
        assert_eq!(
            scan("身份證號碼：Ａ１２３４５６（３）"),
            [("hkid".into(), "Ａ１２３４５６（３）".into())]
        );
    }

    #[test]
    fn phone_prefixes() {
        for t in ["+852 9123 4567", "(852) 9123-4567", "00852 21234567", "+85261234567", "(+852) 6123 4567"] {
            let got = scan(t);
            assert_eq!(got, [("phone".to_owned(), t.to_owned())], "{t}");
        }
        assert!(scan("Order 61234567").is_empty());
    }

    #[test]
    fn failed_candidate_is_rescanned_inside() {
        // A 16-digit run that fails Luhn must not hide the phone number starting with it.
        let got = scan("tel 9123 4567");
        assert_eq!(got.len(), 1);
        let got = scan("HKID A123456(3)Z"); // trailing letter breaks the word end
        assert!(got.is_empty(), "{got:?}");
        let got = scan("x@y A123456(3)");
        assert_eq!(got[0].0, "hkid");
    }

    #[test]
    fn invoice_number_is_not_a_phone() {
        assert!(scan("發票號碼63378490").is_empty(), "{:?}", scan("發票號碼63378490"));
    }

    #[test]
    fn context_decides_ambiguous_shapes() {
        assert_eq!(scan("Passport KJ1234567")[0].0, "passport");
        assert_eq!(scan("回鄉證 H12345678")[0].0, "national_id");
        assert_eq!(scan("護照 H12345678")[0].0, "passport");
        assert!(scan("SKU A1234563").is_empty());
        assert_eq!(scan("HKID A1234563")[0].0, "hkid");
    }

    #[test]
    fn custom_pattern_must_be_bounded() {
        struct Loose;
        impl Detector for Loose {
            fn kind(&self) -> Kind {
                Kind::custom("loose")
            }
            fn category(&self) -> PiiCategory {
                PiiCategory::Custom("loose".into())
            }
            fn patterns(&self) -> Vec<String> {
                vec!["EMP[0-9]+".into()]
            }
            fn assess(&self, _: &Candidate<'_>) -> Option<Assessment> {
                None
            }
        }
        let err = Scanner::builder().detector(Loose).build().unwrap_err();
        assert!(matches!(err, Error::UnboundedPattern { index: 0, .. }), "{err}");
        assert!(err.to_string().contains("`loose`"));
    }
}
