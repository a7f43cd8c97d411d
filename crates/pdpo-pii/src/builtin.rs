//! The built-in Hong Kong detectors.
//!
//! Shapes and checks follow FACTS.md §9 and table B4. Confidence levels: a checksum or a distinctive
//! written form (`A123456(3)`, `+852`) reaches 0.9 on its own; a bare shape that passes a checksum
//! by chance (1 in 11 for an 8-character HKID-like code, 1 in 10 for a 16-digit Luhn run) stays
//! around 0.55–0.7 unless a context word supports it; a contradicting word (invoice, SKU, 訂單)
//! drops it below the default reporting threshold of 0.5.

use pdpo_core::PiiCategory;

use crate::context::{self, Topic};
use crate::detector::{Assessment, Candidate, Detector, Kind};
use crate::validate::{self, PhoneClass};

/// Word start and word end (ASCII word characters only, so Chinese text next to digits is a boundary).
const SB: &str = r"(?-u:\b{start-half})";
const EB: &str = r"(?-u:\b{end-half})";

/// What a pattern can start with; used to skip impossible alternatives at a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lead {
    Digit,
    Letter,
    Any,
}

/// Pattern families whose members can match at the same position with different meanings, so each
/// accepted match is compared with its rivals (`KJ1234567`: HKID or passport; `51234567`: phone or
/// Macau ID). Patterns outside a family are compared with others only when they are rejected.
pub(crate) type Family = u8;
pub(crate) const SOLO: Family = 0;
const LETTER_DOCS: Family = 1;
const EIGHT_DIGITS: Family = 2;
/// Users' patterns are compared with every other pattern.
pub(crate) const ANY_FAMILY: Family = u8::MAX;

/// A built-in detector with its context topics and, per pattern, its lead and family.
pub(crate) struct Builtin {
    pub(crate) detector: Box<dyn Detector>,
    pub(crate) topics: &'static [Topic],
    pub(crate) shapes: Vec<(Lead, Family)>,
}

/// Every built-in detector, in priority order.
pub(crate) fn hong_kong() -> Vec<Builtin> {
    use Lead::{Any, Digit, Letter};
    let b = |detector: Box<dyn Detector>, topics: &'static [Topic], shapes: Vec<(Lead, Family)>| Builtin {
        detector,
        topics,
        shapes,
    };
    vec![
        b(Box::new(Email), &[Topic::Email], vec![(Any, SOLO)]),
        b(Box::new(MainlandId), &[Topic::Mainland, Topic::Id], vec![(Digit, SOLO)]),
        b(Box::new(Card), &[Topic::Card], vec![(Digit, SOLO)]),
        b(Box::new(Hkid), &[Topic::Hkid, Topic::Id], vec![(Letter, LETTER_DOCS)]),
        b(Box::new(Passport), &[Topic::Passport], vec![(Letter, LETTER_DOCS)]),
        b(Box::new(HomeReturnPermit), &[Topic::Hrp], vec![(Letter, LETTER_DOCS)]),
        b(Box::new(MacauId), &[Topic::Macau, Topic::Id], vec![(Digit, EIGHT_DIGITS), (Digit, SOLO)]),
        b(Box::new(Phone), &[Topic::Phone], vec![(Any, SOLO), (Digit, EIGHT_DIGITS)]),
        b(Box::new(Ip), &[Topic::Ip], vec![(Digit, SOLO), (Any, SOLO)]),
        b(
            Box::new(DateOfBirth),
            &[Topic::Dob],
            vec![(Digit, SOLO); 4].into_iter().chain([(Letter, SOLO)]).collect(),
        ),
        b(
            Box::new(Name),
            &[Topic::Name],
            vec![(Letter, SOLO), (Letter, SOLO), (Letter, SOLO), (Any, SOLO), (Any, SOLO)],
        ),
        b(Box::new(AddressZh), &[], vec![(Any, SOLO), (Any, SOLO)]),
    ]
}

/// Address patterns: (topic, pattern) for unit and floor markers, streets, districts and regions.
pub(crate) fn address_patterns() -> Vec<(Topic, String)> {
    let mut out = Vec::new();
    let (units, streets) = (UNIT_WORDS.join("|"), STREET_WORDS.join("|"));
    out.push((
        Topic::AddrUnit,
        format!(
            r"(?:(?i-u:{SB}(?:{units})\.?) ?[A-Za-z0-9]{{1,5}}(?:-[0-9]{{1,4}})?{EB}|{SB}(?i-u:(?:[0-9]{{1,2}}|g|ug|lg|m)/f\.?)|{SB}[0-9]{{1,2}}(?:st|nd|rd|th) (?i:floor))"
        ),
    ));
    out.push((
        Topic::AddrStreet,
        format!(
            r"{SB}[0-9]{{1,4}}[A-Z]?(?:-[0-9]{{1,4}})? (?:[A-Z][A-Za-z'’]{{1,15}} ){{1,3}}(?:{streets})\.?{EB}"
        ),
    ));
    let mut districts: Vec<&str> = context::DISTRICTS_EN.to_vec();
    districts.sort_by_key(|d| std::cmp::Reverse(d.len()));
    let alts: Vec<String> = districts.iter().map(|d| context::escape(d)).collect();
    out.push((Topic::AddrDistrict, format!("{SB}(?:{}){EB}", alts.join("|"))));
    out.push((
        Topic::AddrRegion,
        format!(r"{SB}(?:Hong Kong|HONG KONG|Kowloon|KOWLOON|New Territories|N\.T\.|NT|HK){EB}"),
    ));
    out
}

/// Unit words of the first address pattern (matched at a word start, any case).
const UNIT_WORDS: [&str; 10] =
    ["flat", "room", "rm", "unit", "shop", "suite", "block", "blk", "tower", "house"];
/// Street words of the second address pattern (after a space, as written).
const STREET_WORDS: [&str; 16] = [
    "Road",
    "Rd",
    "Street",
    "St",
    "Avenue",
    "Ave",
    "Lane",
    "Path",
    "Terrace",
    "Drive",
    "Boulevard",
    "Square",
    "Circuit",
    "Crescent",
    "Highway",
    "Praya",
];

/// Bytes that can begin what [`may_end_unit_or_street`] looks for: `/`, the first letters of the
/// unit words and `floor` in either case, and the first letters of the street words.
const MARKER_LEADS: [bool; 256] = {
    let mut t = [false; 256];
    t[b'/' as usize] = true;
    let leads = b"frusbthFRUSBTHALPDC";
    let mut i = 0;
    while i < leads.len() {
        t[leads[i] as usize] = true;
        i += 1;
    }
    t
};

/// Whether a unit or street marker (the first two [`address_patterns`]) could end within `gap`
/// bytes before `at` with no line break, `;` or `.` after it: a necessary condition for an English
/// address to end at a district name starting at `at`, checked on the few dozen bytes before it.
///
/// Such a marker ends with, or at most 17 bytes after, one of: a unit word or `floor` at a word
/// start (any case), a street word after a space, or `/f`; so the 20 bytes before the earliest
/// allowed end and what follows up to `at` hold one. Must stay in step with [`address_patterns`].
pub(crate) fn may_end_unit_or_street(hay: &str, at: usize, gap: usize) -> bool {
    let Some(before) = hay.as_bytes().get(..at) else { return false };
    let mut lo = at.saturating_sub(gap);
    if let Some(p) = before.get(lo..).and_then(|w| memchr::memrchr3(b'\n', b';', b'.', w)) {
        lo += p + 1;
    }
    let from = lo.saturating_sub(20);
    let Some(window) = before.get(from..) else { return false };
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    for (k, &b) in window.iter().enumerate() {
        if !MARKER_LEADS[usize::from(b)] {
            continue;
        }
        let rest = window.get(k..).unwrap_or_default();
        if b == b'/' {
            if matches!(rest.get(1), Some(b'f' | b'F')) {
                return true;
            }
            continue;
        }
        let prev = (from + k).checked_sub(1).and_then(|p| before.get(p)).copied();
        if !prev.is_some_and(is_word) && unit_or_street_word(rest, prev == Some(b' ')) {
            return true;
        }
    }
    false
}

/// Whether `rest` starts with a unit word (any case) or `floor`, or, after a space, with a street
/// word (as written).
fn unit_or_street_word(rest: &[u8], after_space: bool) -> bool {
    let Some(&b) = rest.first() else { return false };
    let starts = |w: &str| rest.get(..w.len()).is_some_and(|r| r.eq_ignore_ascii_case(w.as_bytes()));
    // By first letter, for speed; `unit_and_street_words_are_checked` keeps this in step with
    // UNIT_WORDS and MARKER_LEADS.
    let unit = match b.to_ascii_lowercase() {
        b'f' => starts("flat") || starts("floor"),
        b'r' => starts("room") || starts("rm"),
        b'u' => starts("unit"),
        b's' => starts("shop") || starts("suite"),
        b'b' => starts("block") || starts("blk"),
        b't' => starts("tower"),
        b'h' => starts("house"),
        _ => false,
    };
    unit || (after_space
        && b.is_ascii_uppercase()
        && STREET_WORDS.iter().any(|w| w.as_bytes().first() == Some(&b) && rest.starts_with(w.as_bytes())))
}

/// Whether the text just before or after a numeric match continues the number (`1234 5678 9012`):
/// a digit group separated by one space or hyphen, or a digit directly.
fn continues_number(c: &Candidate<'_>) -> bool {
    let after = c.after().as_bytes();
    let before = c.before().as_bytes();
    let sep = |b: u8| matches!(b, b' ' | b'-' | b'.');
    let after_cont = matches!(after, [s, d, ..] if sep(*s) && d.is_ascii_digit());
    let before_cont = matches!(before, [.., d, s] if sep(*s) && d.is_ascii_digit());
    after_cont || before_cont
}

/// HKID: one or two letters, six digits, check digit (FACTS.md §9.1).
pub(crate) struct Hkid;
impl Detector for Hkid {
    fn kind(&self) -> Kind {
        Kind::Hkid
    }
    fn category(&self) -> PiiCategory {
        PiiCategory::Hkid
    }
    fn patterns(&self) -> Vec<String> {
        vec![format!(r"{SB}[A-Za-z]{{1,2}}[0-9]{{6}}(?: ?\([0-9Aa]\)| ?[0-9Aa]){EB}")]
    }
    fn assess(&self, c: &Candidate<'_>) -> Option<Assessment> {
        let s = c.as_str();
        if !validate::hkid(s) {
            return None;
        }
        if s.ends_with(')') {
            Some(Assessment::new(true, 0.9, 0.99, 0.35))
        } else {
            Some(Assessment::new(true, 0.55, 0.97, 0.08))
        }
    }
}

/// Hong Kong phone numbers: `+852` / `852` / `00852` prefixes, brackets, spaces, hyphens, and the
/// number-plan leading digits 2–9 (FACTS.md §9.2).
pub(crate) struct Phone;
impl Detector for Phone {
    fn kind(&self) -> Kind {
        Kind::HkPhone
    }
    fn category(&self) -> PiiCategory {
        PiiCategory::Phone
    }
    fn patterns(&self) -> Vec<String> {
        vec![
            format!(
                r"(?:\( ?(?:\+|00)? ?852 ?\)|\+ ?852|{SB}00 ?852|{SB}852)[ .-]{{0,2}}[2-9][0-9]{{3}}[ .-]?[0-9]{{4}}{EB}"
            ),
            format!(r"{SB}[2-9][0-9]{{3}}[ -]?[0-9]{{4}}{EB}"),
        ]
    }
    fn assess(&self, c: &Candidate<'_>) -> Option<Assessment> {
        let s = c.as_str();
        let (class, digits) = validate::hk_phone_digits(s)?;
        if c.pattern() == 0 {
            return Some(Assessment::new(false, 0.95, 0.99, 0.6));
        }
        let separated = s.len() > 8;
        let mut a = match (class, separated) {
            (PhoneClass::Mobile, true) => Assessment::new(false, 0.7, 0.97, 0.15),
            (PhoneClass::Fixed, true) => Assessment::new(false, 0.6, 0.97, 0.15),
            (_, true) => Assessment::new(false, 0.55, 0.95, 0.12),
            (PhoneClass::Mobile, false) => Assessment::new(false, 0.6, 0.97, 0.12),
            (PhoneClass::Fixed, false) => Assessment::new(false, 0.55, 0.95, 0.1),
            (_, false) => Assessment::new(false, 0.5, 0.95, 0.1),
        };
        // Only digits: each run of them is its number.
        let d = digits.as_bytes();
        let number = |run: &[u8]| run.iter().fold(0u32, |n, b| n * 10 + u32::from(b - b'0'));
        if !separated && d.len() == 8 {
            // YYYYMMDD dates and timestamps look like fixed-line numbers.
            let (y, m, dd) = (number(&d[..4]), number(&d[4..6]), number(&d[6..]));
            if (1900..=2099).contains(&y) && validate::is_real_date(y, m, dd) {
                a.plain = 0.3;
            }
        }
        if d.iter().all(|b| Some(b) == d.first()) {
            a = a.scaled(0.6);
        }
        if continues_number(c) {
            a = a.scaled(0.3);
        }
        Some(a)
    }
}

/// Email addresses.
pub(crate) struct Email;
impl Detector for Email {
    fn kind(&self) -> Kind {
        Kind::Email
    }
    fn category(&self) -> PiiCategory {
        PiiCategory::Email
    }
    fn patterns(&self) -> Vec<String> {
        // Searched from its `@` by the scanner rather than in its automaton (see `email`).
        vec![crate::email::PATTERN.to_owned()]
    }
    fn assess(&self, c: &Candidate<'_>) -> Option<Assessment> {
        validate::email(c.as_str()).then(|| Assessment::new(false, 0.95, 0.99, 0.85))
    }
}

/// HKSAR passport: `K` + 8 digits, `KJ` + 7, `H` + 8 (format only, FACTS.md §9.3).
pub(crate) struct Passport;
impl Detector for Passport {
    fn kind(&self) -> Kind {
        Kind::HksarPassport
    }
    fn category(&self) -> PiiCategory {
        PiiCategory::Passport
    }
    fn patterns(&self) -> Vec<String> {
        vec![format!(r"{SB}(?:[Kk][Jj]?[0-9]{{7,8}}|[Hh][0-9]{{8}}){EB}")]
    }
    fn assess(&self, c: &Candidate<'_>) -> Option<Assessment> {
        let s = c.as_str();
        if !validate::hksar_passport(s) {
            return None;
        }
        let plain = if s.starts_with(['H', 'h']) { 0.5 } else { 0.6 };
        Some(Assessment::new(false, plain, 0.97, 0.1))
    }
}

/// Home Return Permit (回鄉證): `H`/`M` + 8 digits (+ 2-digit issue count) (FACTS.md §9.6).
pub(crate) struct HomeReturnPermit;
impl Detector for HomeReturnPermit {
    fn kind(&self) -> Kind {
        Kind::HomeReturnPermit
    }
    fn category(&self) -> PiiCategory {
        PiiCategory::NationalId
    }
    fn patterns(&self) -> Vec<String> {
        vec![format!(r"{SB}[HhMm][0-9]{{8}}(?:[0-9]{{2}})?{EB}")]
    }
    fn assess(&self, c: &Candidate<'_>) -> Option<Assessment> {
        let s = c.as_str();
        if !validate::home_return_permit(s) {
            return None;
        }
        Some(match (s.len(), s.starts_with(['H', 'h'])) {
            (11, _) => Assessment::new(false, 0.7, 0.97, 0.1),
            (_, true) => Assessment::new(false, 0.45, 0.97, 0.1),
            _ => Assessment::new(false, 0.55, 0.97, 0.1),
        })
    }
}

/// Macau resident ID: `1234567(8)`, `1/234567/8`, or 8 bare digits (format only, FACTS.md §9.4).
pub(crate) struct MacauId;
impl Detector for MacauId {
    fn kind(&self) -> Kind {
        Kind::MacauId
    }
    fn category(&self) -> PiiCategory {
        PiiCategory::NationalId
    }
    fn patterns(&self) -> Vec<String> {
        vec![
            format!(r"{SB}[157][0-9]{{6}}(?: ?\([0-9]\)|[0-9]){EB}"),
            format!(r"{SB}[157]/[0-9]{{6}}/[0-9]{EB}"),
        ]
    }
    fn assess(&self, c: &Candidate<'_>) -> Option<Assessment> {
        let s = c.as_str();
        let no_space = if s.contains(' ') {
            std::borrow::Cow::Owned(s.replace(' ', ""))
        } else {
            std::borrow::Cow::Borrowed(s)
        };
        if !validate::macau_id(&no_space) {
            return None;
        }
        if no_space.len() == 8 {
            Some(Assessment::new(false, 0.2, 0.9, 0.05))
        } else {
            Some(Assessment::new(false, 0.6, 0.95, 0.1))
        }
    }
}

/// Mainland resident ID: 18 characters, real birth date, MOD 11-2 (FACTS.md §9.5).
pub(crate) struct MainlandId;
impl Detector for MainlandId {
    fn kind(&self) -> Kind {
        Kind::MainlandId
    }
    fn category(&self) -> PiiCategory {
        PiiCategory::NationalId
    }
    fn patterns(&self) -> Vec<String> {
        vec![format!(
            r"{SB}[1-9][0-9]{{5}}(?:18|19|20)[0-9]{{2}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{{3}}[0-9Xx]{EB}"
        )]
    }
    fn assess(&self, c: &Candidate<'_>) -> Option<Assessment> {
        (validate::mainland_id(c.as_str()) && !continues_number(c))
            .then(|| Assessment::new(true, 0.85, 0.99, 0.3))
    }
}

/// Payment cards: 13–19 digits, consistent separators, scheme prefix, Luhn (FACTS.md §9.8).
pub(crate) struct Card;
impl Detector for Card {
    fn kind(&self) -> Kind {
        Kind::CardNumber
    }
    fn category(&self) -> PiiCategory {
        PiiCategory::CardNumber
    }
    fn patterns(&self) -> Vec<String> {
        vec![format!(r"{SB}[2-6][0-9]{{3}}(?:[ -]?[0-9]){{9,15}}{EB}")]
    }
    fn assess(&self, c: &Candidate<'_>) -> Option<Assessment> {
        let s = c.as_str();
        if !validate::card_number(s) || continues_number(c) {
            return None;
        }
        let Some(sep) = s.chars().find(|c| !c.is_ascii_digit()) else {
            return Some(Assessment::new(true, 0.6, 0.99, 0.1));
        };
        if s.chars().any(|c| !c.is_ascii_digit() && c != sep) {
            return None;
        }
        let mut groups = [0usize; 20];
        let mut n = 0;
        for g in s.split(sep) {
            *groups.get_mut(n)? = g.len();
            n += 1;
        }
        let groups = &groups[..n];
        let (last, init) = groups.split_last()?;
        let fours = init.iter().all(|g| *g == 4) && (1..=4).contains(last);
        let amex = matches!(groups, [4, 6, 5] | [4, 6, 4]);
        (fours || amex).then(|| Assessment::new(true, 0.7, 0.99, 0.12))
    }
}

/// IPv4 and IPv6 addresses.
pub(crate) struct Ip;
impl Detector for Ip {
    fn kind(&self) -> Kind {
        Kind::IpAddress
    }
    fn category(&self) -> PiiCategory {
        PiiCategory::IpAddress
    }
    fn patterns(&self) -> Vec<String> {
        vec![
            format!(r"{SB}(?:[0-9]{{1,3}}\.){{3}}[0-9]{{1,3}}{EB}"),
            format!(r"{SB}[0-9A-Fa-f]{{0,4}}(?::[0-9A-Fa-f]{{0,4}}){{2,7}}{EB}"),
        ]
    }
    fn assess(&self, c: &Candidate<'_>) -> Option<Assessment> {
        let s = c.as_str();
        if !validate::ip_address(s) || continues_number(c) {
            return None;
        }
        Some(Assessment::new(false, 0.8, 0.97, 0.2))
    }
}

/// Dates of birth: any real date, reported only next to a birth-date context word.
pub(crate) struct DateOfBirth;
const MONTHS: &str = "(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}";
impl Detector for DateOfBirth {
    fn kind(&self) -> Kind {
        Kind::DateOfBirth
    }
    fn category(&self) -> PiiCategory {
        PiiCategory::DateOfBirth
    }
    fn patterns(&self) -> Vec<String> {
        vec![
            format!(r"{SB}[0-9]{{1,2}}[/.\-][0-9]{{1,2}}[/.\-](?:19|20)[0-9]{{2}}{EB}"),
            format!(r"{SB}(?:19|20)[0-9]{{2}}[/.\-][0-9]{{1,2}}[/.\-][0-9]{{1,2}}{EB}"),
            format!(r"{SB}(?:19|20)[0-9]{{2}} ?年 ?[0-9]{{1,2}} ?月 ?[0-9]{{1,2}} ?[日號号]"),
            format!(r"{SB}[0-9]{{1,2}}(?:st|nd|rd|th)? {MONTHS}\.?,? (?:19|20)[0-9]{{2}}{EB}"),
            format!(r"{SB}{MONTHS}\.? [0-9]{{1,2}}(?:st|nd|rd|th)?,? (?:19|20)[0-9]{{2}}{EB}"),
        ]
    }
    fn assess(&self, c: &Candidate<'_>) -> Option<Assessment> {
        validate::parse_date(c.as_str()).map(|_| Assessment::new(false, 0.1, 0.92, 0.05))
    }
}

/// Personal names: English with a title, the legal `CHAN Tai Man` form, `Chan Tai Man` and `Peter
/// Chan` (romanised surname list), Chinese with a title (`陳大文先生`) or after a name word
/// (`客戶：陳大文`). Precision over recall: bare names need a context word (FACTS.md §9.9).
pub(crate) struct Name;

const NAME_STOP: &[&str] = &[
    "HKID", "HKIC", "ID", "Tel", "Phone", "Email", "Mobile", "Re", "Date", "Order", "Invoice", "Flat",
    "Room", "Unit", "Block", "Ltd", "Limited", "Co", "Company", "Hong", "Kong", "The", "And", "From", "Of",
    "On", "At", "In", "To", "DOB", "Passport", "Card", "Account", "Customer", "Client", "Dear", "Please",
    "Thanks", "Thank", "Regards", "Mr", "Mrs", "Ms", "Miss", "Dr", "Prof", "Madam", "Mdm", "Sir",
];
/// Words that make a capitalised run a place or a building, not a person (`Sha Tin Centre Street`).
const PLACE_WORDS: &[&str] = &[
    "Street", "St", "Road", "Rd", "Avenue", "Lane", "Path", "Centre", "Center", "Temple", "Building", "Bldg",
    "Tower", "Plaza", "Station", "Garden", "Gardens", "Estate", "Court", "House", "Mall", "Park", "Square",
    "Terrace", "Village", "Market", "Hospital", "School", "College", "Church", "Pier", "Bay", "Hill",
    "Mansion", "Centre,",
];
const TITLES_ZH: &[&str] = &["先生", "小姐", "女士", "太太", "醫生", "博士", "教授", "律師", "老師"];
const NAME_WORDS_ZH: &[&str] = &[
    "客戶姓名",
    "姓名",
    "客戶",
    "客户",
    "聯絡人",
    "聯繫人",
    "联系人",
    "顧客",
    "會員",
    "申請人",
    "收件人",
    "持卡人",
    "負責人",
    "投保人",
    "受保人",
];
/// Characters that end a Chinese phrase rather than a given name (`客戶陳文要求` is 陳文, not 陳文要).
const NOT_NAME_END_ZH: &str = "的在已於于要說说表致來来今明電电手查和與与及是有會会將将先小女太對对向把被稱称為为之曾也都就又再已於等稱";

fn surname_alt_zh() -> String {
    let doubles: Vec<&str> = context::SURNAMES_ZH_DOUBLE.to_vec();
    format!("(?:{}|[{}])", doubles.join("|"), context::SURNAMES_ZH_SINGLE)
}

impl Detector for Name {
    fn kind(&self) -> Kind {
        Kind::PersonName
    }
    fn category(&self) -> PiiCategory {
        PiiCategory::Name
    }
    fn patterns(&self) -> Vec<String> {
        let mut up: Vec<String> = context::SURNAMES_EN.iter().map(|s| s.to_ascii_uppercase()).collect();
        up.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let mut cap: Vec<&str> = context::SURNAMES_EN.to_vec();
        cap.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let up = up.iter().map(|s| context::escape(s)).collect::<Vec<_>>().join("|");
        let cap = cap.iter().map(|s| context::escape(s)).collect::<Vec<_>>().join("|");
        let sur_zh = surname_alt_zh();
        let titles = TITLES_ZH.join("|");
        let words = NAME_WORDS_ZH.join("|");
        vec![
            // 0: Mr Chan Tai Man, Dr. WONG
            format!(
                r"{SB}(?:Mr|Mrs|Ms|Miss|Mdm|Madam|Dr|Prof)\.? {{1,2}}[A-Z][A-Za-z'\-]{{1,20}}(?: [A-Z][A-Za-z'\-]{{1,20}}){{0,3}}{EB}"
            ),
            // 1: CHAN Tai Man, WONG Siu-ming
            format!(r"{SB}(?:{up})(?: [A-Z][a-z]{{1,8}}(?:-[a-z]{{1,8}})?){{1,2}}{EB}"),
            // 2: Chan Tai Man, Chan Tai-man; Peter Chan
            format!(
                r"{SB}(?:{cap})(?: [A-Z][a-z]{{1,8}}(?:-[a-z]{{1,8}})?){{1,2}}{EB}|{SB}[A-Z][a-z]{{2,12}} (?:{cap}){EB}"
            ),
            // 3: 陳大文先生, 陳小姐
            format!(r"{sur_zh}\p{{Han}}{{0,2}}?(?:{titles})"),
            // 4: 客戶：陳大文
            format!(r"(?:{words})[:： ]{{0,2}}{sur_zh}\p{{Han}}{{1,2}}"),
        ]
    }
    fn assess(&self, c: &Candidate<'_>) -> Option<Assessment> {
        let s = c.as_str();
        match c.pattern() {
            0 => {
                let (title, rest) = s.split_once(' ')?;
                let lead = title.len() + 1 + (rest.len() - rest.trim_start().len());
                // The kept words joined by one space: their lengths plus the spaces between them.
                let (mut keep, mut kept_len) = (0, 0);
                for w in rest.split_whitespace().take_while(|w| !NAME_STOP.contains(w)) {
                    kept_len += w.len() + usize::from(keep > 0);
                    keep += 1;
                }
                if keep == 0 {
                    return None;
                }
                let name_end = lead + kept_len;
                Some(Assessment::new(false, 0.85, 0.92, 0.4).trimmed(lead, s.len() - name_end))
            }
            1 => {
                let words: Vec<&str> = s.split(' ').collect();
                if context::is_place_prefix(&words) || words.iter().any(|w| PLACE_WORDS.contains(w)) {
                    return None;
                }
                Some(Assessment::new(false, 0.75, 0.9, 0.7))
            }
            2 => {
                let words: Vec<&str> = s.split([' ', '-']).collect();
                if context::is_place_prefix(&words)
                    || NAME_STOP.contains(&words[0])
                    || words.iter().any(|w| PLACE_WORDS.contains(w))
                    || c.after().starts_with(' ')
                        && c.after()[1..]
                            .split([' ', ',', '.'])
                            .next()
                            .is_some_and(|w| PLACE_WORDS.contains(&w))
                {
                    return None;
                }
                let surname_first = context::SURNAMES_EN.contains(&words[0]);
                let plain =
                    if surname_first && s.split(' ').count() == 3 || s.contains('-') { 0.6 } else { 0.35 };
                Some(Assessment::new(false, plain, 0.88, plain * 0.8))
            }
            3 => {
                let title = TITLES_ZH.iter().find(|t| s.ends_with(**t))?;
                let name = &s[..s.len() - title.len()];
                if name.chars().count() == 1 {
                    Some(Assessment::new(false, 0.6, 0.8, 0.2))
                } else {
                    Some(Assessment::new(false, 0.85, 0.92, 0.3).trimmed(0, title.len()))
                }
            }
            _ => {
                let word = NAME_WORDS_ZH.iter().find(|w| s.starts_with(**w))?;
                let rest = &s[word.len()..];
                let lead = word.len() + (rest.len() - rest.trim_start_matches([':', '：', ' ']).len());
                let name = &s[lead..];
                let mut trim_end = 0;
                if name.chars().count() >= 3
                    && let Some(last) = name.chars().last()
                    && NOT_NAME_END_ZH.contains(last)
                {
                    trim_end = last.len_utf8();
                }
                Some(Assessment::new(false, 0.85, 0.92, 0.3).trimmed(lead, trim_end))
            }
        }
    }
}

/// Chinese Hong Kong addresses: district, street and number (號), then block, floor and flat
/// (座/樓/室), or an estate (邨/苑/花園) with block, floor and flat.
pub(crate) struct AddressZh;
impl Detector for AddressZh {
    fn kind(&self) -> Kind {
        Kind::HkAddress
    }
    fn category(&self) -> PiiCategory {
        PiiCategory::Address
    }
    fn patterns(&self) -> Vec<String> {
        let mut d: Vec<&str> = context::DISTRICTS_ZH.to_vec();
        d.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let districts = d.join("|");
        let unit = r"(?:[0-9]{1,3}樓|[A-Za-z0-9]{1,4}室|[A-Za-z0-9]{1,3}座)";
        vec![
            format!(
                r"(?:香港|九龍|新界)?(?:{districts})[\p{{Han}}A-Za-z0-9]{{0,16}}?(?:道|街|路|里|徑|坊|圍|巷)[0-9]{{1,4}}(?:-[0-9]{{1,4}})?號(?:[\p{{Han}}A-Za-z0-9 ]{{0,14}}?{unit}){{0,3}}"
            ),
            format!(
                r"(?:香港|九龍|新界)?(?:{districts})[\p{{Han}}]{{1,8}}?(?:邨|苑|花園|城|中心|大廈|閣)(?:[\p{{Han}}A-Za-z0-9 ]{{0,10}}?{unit}){{1,3}}"
            ),
        ]
    }
    fn assess(&self, c: &Candidate<'_>) -> Option<Assessment> {
        let s = c.as_str();
        let has_unit = s.ends_with(['樓', '室', '座']);
        Some(if has_unit {
            Assessment::new(false, 0.85, 0.9, 0.5)
        } else {
            Assessment::new(false, 0.7, 0.8, 0.4)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_and_street_words_are_checked() {
        for w in UNIT_WORDS.iter().chain(&["floor"]) {
            for w in [w.to_string(), w.to_ascii_uppercase()] {
                assert!(unit_or_street_word(w.as_bytes(), false), "{w}");
                assert!(MARKER_LEADS[usize::from(w.as_bytes()[0])], "{w}");
            }
        }
        for w in STREET_WORDS {
            assert!(unit_or_street_word(w.as_bytes(), true), "{w}");
            assert!(MARKER_LEADS[usize::from(w.as_bytes()[0])], "{w}");
            assert!(!unit_or_street_word(w.to_ascii_lowercase().as_bytes(), true), "{w}");
        }
        assert!(!unit_or_street_word(b"the", true) && !unit_or_street_word(b"Road", false));
    }
}
