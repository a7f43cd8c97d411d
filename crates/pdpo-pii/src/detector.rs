//! The [`Detector`] trait: how the scanner learns an identifier's shape and how to check it.

use std::fmt;
use std::sync::Arc;

use pdpo_core::PiiCategory;
use serde::{Serialize, Serializer};

/// The finer kind of a finding, beside its [`PiiCategory`].
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// Hong Kong Identity Card number (category `hkid`).
    Hkid,
    /// Hong Kong telephone number (category `phone`).
    HkPhone,
    /// Email address (category `email`).
    Email,
    /// HKSAR passport number (category `passport`).
    HksarPassport,
    /// Mainland China resident identity card number (category `national_id`).
    MainlandId,
    /// Mainland Travel Permit for Hong Kong and Macao Residents, 回鄉證 (category `national_id`).
    HomeReturnPermit,
    /// Macau resident identity card number (category `national_id`).
    MacauId,
    /// Payment card number (category `card_number`).
    CardNumber,
    /// Date of birth (category `date_of_birth`).
    DateOfBirth,
    /// IPv4 or IPv6 address (category `ip_address`).
    IpAddress,
    /// A person's name, romanised or in Chinese (category `name`).
    PersonName,
    /// A Hong Kong postal address (category `address`).
    HkAddress,
    /// A kind defined by a user's [`Detector`].
    Custom(Arc<str>),
}

impl Kind {
    /// A custom kind named `name`.
    pub fn custom(name: &str) -> Self {
        Self::Custom(name.into())
    }

    /// The snake-case name: `hkid`, `hk_phone`, `mainland_id`, ..., or the custom name.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Hkid => "hkid",
            Self::HkPhone => "hk_phone",
            Self::Email => "email",
            Self::HksarPassport => "hksar_passport",
            Self::MainlandId => "mainland_id",
            Self::HomeReturnPermit => "home_return_permit",
            Self::MacauId => "macau_id",
            Self::CardNumber => "card_number",
            Self::DateOfBirth => "date_of_birth",
            Self::IpAddress => "ip_address",
            Self::PersonName => "person_name",
            Self::HkAddress => "hk_address",
            Self::Custom(name) => name,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A match of one of a detector's patterns, handed to [`Detector::assess`].
///
/// The haystack is the scanned text with full-width ASCII forms folded to ASCII (`９` → `9`,
/// `（` → `(`), so patterns and checks only deal with ASCII digits and letters.
#[derive(Clone, Copy)]
pub struct Candidate<'h> {
    haystack: &'h str,
    start: usize,
    end: usize,
    pattern: usize,
}

impl<'h> Candidate<'h> {
    pub(crate) fn new(haystack: &'h str, start: usize, end: usize, pattern: usize) -> Self {
        Self { haystack, start, end, pattern }
    }

    /// The matched text.
    pub fn as_str(&self) -> &'h str {
        self.haystack.get(self.start..self.end).unwrap_or("")
    }

    /// Which of the detector's patterns matched (its index in [`Detector::patterns`]).
    pub fn pattern(&self) -> usize {
        self.pattern
    }

    /// Byte offset of the match in the (folded) haystack.
    pub fn start(&self) -> usize {
        self.start
    }

    /// Byte offset just past the match.
    pub fn end(&self) -> usize {
        self.end
    }

    /// The text before the match (for checks such as "not part of a longer number").
    pub fn before(&self) -> &'h str {
        self.haystack.get(..self.start).unwrap_or("")
    }

    /// The text after the match.
    pub fn after(&self) -> &'h str {
        self.haystack.get(self.end..).unwrap_or("")
    }
}

impl fmt::Debug for Candidate<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Candidate({}..{}, pattern {})", self.start, self.end, self.pattern)
    }
}

/// A detector's verdict on a [`Candidate`] it accepts.
///
/// Confidence is given three times, and the scanner picks one from the context words around the
/// match: `plain` with no context word near, `supported` next to one of this detector's context
/// words (`HKID`, `電話`, ...), `contradicted` next to a word that names something else
/// (`invoice`, `order`, `SKU`, `訂單`, ...).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assessment {
    /// Whether a checksum or check digit validated (HKID, Luhn, MOD 11-2), as opposed to a shape.
    pub validated: bool,
    /// Confidence with no context word near.
    pub plain: f32,
    /// Confidence next to a supporting context word.
    pub supported: f32,
    /// Confidence next to a contradicting context word.
    pub contradicted: f32,
    /// Bytes to trim from the start of the match (a title such as `Mr` that only anchored it).
    pub trim_start: usize,
    /// Bytes to trim from the end of the match.
    pub trim_end: usize,
}

impl Assessment {
    /// An assessment with the three confidences and no trimming.
    pub fn new(validated: bool, plain: f32, supported: f32, contradicted: f32) -> Self {
        Self { validated, plain, supported, contradicted, trim_start: 0, trim_end: 0 }
    }

    /// Trims the reported span (builder style).
    #[must_use]
    pub fn trimmed(mut self, start: usize, end: usize) -> Self {
        self.trim_start = start;
        self.trim_end = end;
        self
    }

    /// Multiplies every confidence by `f` (builder style).
    #[must_use]
    pub fn scaled(mut self, f: f32) -> Self {
        self.plain *= f;
        self.supported *= f;
        self.contradicted *= f;
        self
    }
}

/// A recogniser of one kind of personal data: candidate shapes as regular expressions, and a check
/// that accepts or rejects each match.
///
/// The [`Scanner`](crate::Scanner) compiles the patterns of every detector into one automaton and
/// runs them in one pass. Patterns use the syntax of the `regex` crate and are matched against text
/// in which full-width forms are folded to ASCII. Each pattern must have a bounded length (no `+`
/// or `*` without an upper bound: write `{1,64}`) and must not match the empty string; this keeps
/// every scan linear in the length of the text. Use `(?-u:\b{start-half})` rather than `\b`: a
/// Unicode `\b` finds no boundary between `電話` and `91234567`.
///
/// The trait is dyn-compatible; it may gain provided methods in minor releases.
///
/// ```
/// use pdpo_core::PiiCategory;
/// use pdpo_pii::{Assessment, Candidate, Detector, Kind, Scanner};
///
/// struct MemberNo;
/// impl Detector for MemberNo {
///     fn kind(&self) -> Kind { Kind::custom("member_no") }
///     fn category(&self) -> PiiCategory { PiiCategory::Custom("member_no".into()) }
///     fn patterns(&self) -> Vec<String> { vec![r"(?-u:\b{start-half})MB-[0-9]{6}(?-u:\b{end-half})".into()] }
///     fn context_words(&self) -> Vec<String> { vec!["member".into(), "會員".into()] }
///     fn assess(&self, _c: &Candidate<'_>) -> Option<Assessment> {
///         Some(Assessment::new(false, 0.6, 0.95, 0.2))
///     }
/// }
///
/// let scanner = Scanner::builder().hong_kong().detector(MemberNo).build()?;
/// let hits = scanner.scan("會員 MB-123456");
/// assert_eq!(hits[0].category, PiiCategory::Custom("member_no".into()));
/// assert!(hits[0].confidence > 0.9);
/// # Ok::<(), pdpo_pii::Error>(())
/// ```
pub trait Detector: Send + Sync {
    /// The finer kind reported on findings.
    fn kind(&self) -> Kind;
    /// The category reported on findings.
    fn category(&self) -> PiiCategory;
    /// Candidate shapes (bounded-length regular expressions, see the trait docs).
    fn patterns(&self) -> Vec<String>;
    /// Words near a match that make it more likely (ASCII words match case-insensitively).
    fn context_words(&self) -> Vec<String> {
        Vec::new()
    }
    /// Accepts (with confidences) or rejects a candidate. A rejected candidate is rescanned inside,
    /// so it cannot hide a real match of another detector.
    fn assess(&self, candidate: &Candidate<'_>) -> Option<Assessment>;
}

impl<D: Detector + ?Sized> Detector for Box<D> {
    fn kind(&self) -> Kind {
        (**self).kind()
    }
    fn category(&self) -> PiiCategory {
        (**self).category()
    }
    fn patterns(&self) -> Vec<String> {
        (**self).patterns()
    }
    fn context_words(&self) -> Vec<String> {
        (**self).context_words()
    }
    fn assess(&self, candidate: &Candidate<'_>) -> Option<Assessment> {
        (**self).assess(candidate)
    }
}

impl<D: Detector + ?Sized> Detector for Arc<D> {
    fn kind(&self) -> Kind {
        (**self).kind()
    }
    fn category(&self) -> PiiCategory {
        (**self).category()
    }
    fn patterns(&self) -> Vec<String> {
        (**self).patterns()
    }
    fn context_words(&self) -> Vec<String> {
        (**self).context_words()
    }
    fn assess(&self, candidate: &Candidate<'_>) -> Option<Assessment> {
        (**self).assess(candidate)
    }
}
