//! Hong Kong and Mainland identifiers, generated with correct check digits.
//!
//! Algorithms as in the project's facts sheet (`FACTS.md` §9 and B4). These are generators with
//! just enough validation to test themselves; the detectors and validators that production code
//! uses live in `pdpo-pii`. The two are written independently on purpose: the integration tests
//! check every identifier this crate generates against `pdpo-pii`'s validators (a differential
//! test, as FACTS.md B4's vectors were cross-checked).

/// The HKID check character for a prefix of one or two capital letters and six digits, or `None`
/// if the input does not have that shape.
///
/// Weights 9..2 over the 8-character body (a one-letter prefix is padded with a space worth 36;
/// A..Z are 10..35), check value `(11 - S mod 11) mod 11`, with 10 written `A`.
///
/// ```
/// use pdpo_testkit::ids::hkid_check_char;
/// assert_eq!(hkid_check_char("A", "123456"), Some('3'));
/// assert_eq!(hkid_check_char("CA", "182361"), Some('1'));
/// assert_eq!(hkid_check_char("G", "123456"), Some('A'));
/// ```
pub fn hkid_check_char(prefix: &str, digits: &str) -> Option<char> {
    let p = prefix.as_bytes();
    let d = digits.as_bytes();
    if !(1..=2).contains(&p.len()) || !p.iter().all(u8::is_ascii_uppercase) {
        return None;
    }
    if d.len() != 6 || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut values = [0u32; 8];
    if p.len() == 1 {
        values[0] = 36;
        values[1] = u32::from(p[0] - b'A') + 10;
    } else {
        values[0] = u32::from(p[0] - b'A') + 10;
        values[1] = u32::from(p[1] - b'A') + 10;
    }
    for (slot, b) in values[2..].iter_mut().zip(d) {
        *slot = u32::from(b - b'0');
    }
    let sum: u32 = values.iter().zip([9u32, 8, 7, 6, 5, 4, 3, 2]).map(|(v, w)| v * w).sum();
    let check = (11 - sum % 11) % 11;
    Some(if check == 10 { 'A' } else { char::from(b'0' + check as u8) })
}

/// Whether `s` is a well-formed HKID with a correct check character. Accepts `A123456(3)`,
/// `A1234563`, `A123456 (3)` and lower case.
///
/// ```
/// use pdpo_testkit::ids::hkid_is_valid;
/// assert!(hkid_is_valid("A123456(3)"));
/// assert!(hkid_is_valid("ab 987654 (3)"));
/// assert!(!hkid_is_valid("A123456(1)"));
/// ```
pub fn hkid_is_valid(s: &str) -> bool {
    let norm: String =
        s.chars().filter(|c| !matches!(c, ' ' | '(' | ')')).map(|c| c.to_ascii_uppercase()).collect();
    let n = norm.len();
    if !(8..=9).contains(&n) || !norm.is_ascii() {
        return false;
    }
    let (body, check) = norm.split_at(n - 1);
    let (prefix, digits) = body.split_at(n - 7);
    hkid_check_char(prefix, digits).is_some_and(|c| check.starts_with(c))
}

/// The ISO 7064 MOD 11-2 check character of the first 17 digits of a Mainland China Resident
/// Identity Card number (GB 11643-1999), or `None` if `body` is not 17 ASCII digits.
///
/// ```
/// use pdpo_testkit::ids::cn_ric_check_char;
/// assert_eq!(cn_ric_check_char("11010519491231002"), Some('X'));
/// ```
pub fn cn_ric_check_char(body: &str) -> Option<char> {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let b = body.as_bytes();
    if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let s: u32 = b.iter().zip(W).map(|(d, w)| u32::from(d - b'0') * w).sum();
    let c = (12 - s % 11) % 11;
    Some(if c == 10 { 'X' } else { char::from(b'0' + c as u8) })
}

/// Whether a digit string passes the Luhn check (ISO/IEC 7812-1); spaces and dashes are ignored.
///
/// ```
/// assert!(pdpo_testkit::ids::luhn_is_valid("4111 1111 1111 1111"));
/// ```
pub fn luhn_is_valid(s: &str) -> bool {
    let digits: Vec<u32> = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_digit(10))
        .collect::<Option<_>>()
        .unwrap_or_default();
    if digits.len() < 2 {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d })
        .sum();
    sum.is_multiple_of(10)
}

/// Coarse class of a Hong Kong subscriber number by its leading digit (FACTS.md B4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PhoneClass {
    /// Leading 5, 6 or 9 (the generator avoids the partly fixed 58xx block).
    Mobile,
    /// Leading 2 or 3 (the generator avoids 30xx service numbers).
    Fixed,
}

/// The class of an 8-digit Hong Kong number as the generator hands them out, or `None` for
/// anything else (other prefixes, wrong length). Accepts `+852`, spaces and dashes.
///
/// ```
/// use pdpo_testkit::ids::{hk_phone_class, PhoneClass};
/// assert_eq!(hk_phone_class("+852 9123 4567"), Some(PhoneClass::Mobile));
/// assert_eq!(hk_phone_class("2123-4567"), Some(PhoneClass::Fixed));
/// assert_eq!(hk_phone_class("1234 5678"), None);
/// ```
pub fn hk_phone_class(s: &str) -> Option<PhoneClass> {
    let digits = hk_phone_digits(s)?;
    match digits.as_bytes()[0] {
        b'5' | b'6' | b'9' => Some(PhoneClass::Mobile),
        b'2' | b'3' => Some(PhoneClass::Fixed),
        _ => None,
    }
}

/// The 8 subscriber digits of a Hong Kong number written in any of the generator's formats.
pub fn hk_phone_digits(s: &str) -> Option<String> {
    let mut digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let explicit_cc =
        s.trim_start().starts_with('+') || s.contains("(852)") || s.trim_start().starts_with("00852");
    if digits.len() == 11 && digits.starts_with("852") {
        digits.drain(..3);
    } else if digits.len() == 13 && digits.starts_with("00852") {
        digits.drain(..5);
    } else if explicit_cc {
        return None;
    }
    (digits.len() == 8).then_some(digits)
}

/// Ways a Hong Kong number is written in CRMs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PhoneFormat {
    /// `+852 9123 4567` (the canonical form the generator stores).
    International,
    /// `91234567`.
    Compact,
    /// `9123 4567`.
    Spaced,
    /// `9123-4567`.
    Dashed,
    /// `+85291234567` (E.164).
    E164,
    /// `(852) 9123 4567`.
    Bracketed,
}

/// All formats, for picking one.
pub(crate) const PHONE_FORMATS: [PhoneFormat; 6] = [
    PhoneFormat::International,
    PhoneFormat::Compact,
    PhoneFormat::Spaced,
    PhoneFormat::Dashed,
    PhoneFormat::E164,
    PhoneFormat::Bracketed,
];

/// Writes 8 subscriber digits in `format`.
pub fn format_hk_phone(digits: &str, format: PhoneFormat) -> String {
    let (a, b) = digits.split_at(digits.len().min(4));
    match format {
        PhoneFormat::International => format!("+852 {a} {b}"),
        PhoneFormat::Compact => digits.to_owned(),
        PhoneFormat::Spaced => format!("{a} {b}"),
        PhoneFormat::Dashed => format!("{a}-{b}"),
        PhoneFormat::E164 => format!("+852{digits}"),
        PhoneFormat::Bracketed => format!("(852) {a} {b}"),
    }
}

/// Ways an HKID is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum HkidFormat {
    /// `A123456(3)`.
    Brackets,
    /// `A123456 (3)`.
    SpacedBrackets,
    /// `A1234563`.
    Compact,
}

/// Writes an HKID whose canonical form is `A123456(3)` in another format.
pub(crate) fn format_hkid(canonical: &str, format: HkidFormat) -> String {
    let body = canonical.trim_end_matches(')');
    let Some((head, check)) = body.split_once('(') else { return canonical.to_owned() };
    match format {
        HkidFormat::Brackets => canonical.to_owned(),
        HkidFormat::SpacedBrackets => format!("{head} ({check})"),
        HkidFormat::Compact => format!("{head}{check}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FACTS.md B4, HKID vectors.
    #[test]
    fn hkid_vectors() {
        for ok in [
            "A123456(3)",
            "AB123456(9)",
            "CA182361(1)",
            "E364912(5)",
            "G123456(A)",
            "A555555(0)",
            "C567890(9)",
            "AB987654(3)",
            "WX123456(9)",
            "D288754(2)",
            "K123456(0)",
            "Y987654(3)",
            "XA000001(6)",
            "M000000(6)",
            "AZ999999(3)",
        ] {
            assert!(hkid_is_valid(ok), "{ok} should validate");
        }
        for bad in [
            "C567890(1)",
            "Z683365(5)",
            "Z683367(2)",
            "A123456(1)",
            "C668668(E)",
            "A12345(3)",
            "1234567(8)",
            "",
        ] {
            assert!(!hkid_is_valid(bad), "{bad} should fail");
        }
    }

    #[test]
    fn hkid_formats_keep_validity() {
        for f in [HkidFormat::Brackets, HkidFormat::SpacedBrackets, HkidFormat::Compact] {
            let s = format_hkid("CA182361(1)", f);
            assert!(hkid_is_valid(&s), "{s}");
        }
        assert_eq!(format_hkid("A123456(3)", HkidFormat::Compact), "A1234563");
    }

    /// FACTS.md B4, Mainland RIC vectors.
    #[test]
    fn cn_ric_vectors() {
        for ok in [
            "11010519491231002X",
            "11010120170210193X",
            "120103198806018241",
            "310101200001013948",
            "810000199408230021",
            "830000199201300022",
            "110101188606248882",
        ] {
            assert_eq!(cn_ric_check_char(&ok[..17]), ok.chars().last(), "{ok}");
        }
        assert_ne!(cn_ric_check_char("11010219781027232"), Some('1'));
        assert_eq!(cn_ric_check_char("1234"), None);
    }

    /// FACTS.md B4, Luhn vectors.
    #[test]
    fn luhn_vectors() {
        for ok in ["4539 3195 0343 6467", "6123451234567893", "79927398713", "4111111111111111"] {
            assert!(luhn_is_valid(ok), "{ok}");
        }
        for bad in ["8273 1232 7352 0569", "4111111111111112", "1", "12a4"] {
            assert!(!luhn_is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn phone_classes_and_formats() {
        assert_eq!(hk_phone_class("+852 2123 4567"), Some(PhoneClass::Fixed));
        assert_eq!(hk_phone_class("5123 4567"), Some(PhoneClass::Mobile));
        assert_eq!(hk_phone_class("6123-4567"), Some(PhoneClass::Mobile));
        assert_eq!(hk_phone_class("1234 5678"), None);
        assert_eq!(hk_phone_class("+852 212 3456"), None);
        assert_eq!(hk_phone_class("+1 415 555 0100"), None);
        for f in PHONE_FORMATS {
            let s = format_hk_phone("91234567", f);
            assert_eq!(hk_phone_digits(&s).as_deref(), Some("91234567"), "{s}");
        }
    }
}
