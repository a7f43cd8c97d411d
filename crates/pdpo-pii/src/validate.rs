//! Validators for Hong Kong and regional identifiers: pure functions, no allocation beyond a
//! small normalisation buffer, no panics on any input.
//!
//! Every function accepts the forms people write: upper or lower case, full-width digits and letters
//! (`Ａ１２３４５６（３）`), spaces, hyphens and brackets where the format has them. Algorithms and
//! test vectors follow `FACTS.md` §9 and table B4 of the project's research notes; each function
//! names its section.

/// Maps one full-width ASCII variant (U+FF01..=U+FF5E) to ASCII; other characters are returned as is.
pub(crate) fn fold_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' | '\u{00A0}' => ' ',
        _ => c,
    }
}

/// A short upper-case ASCII buffer on the stack (identifiers are at most a few dozen characters).
pub(crate) struct Compact {
    buf: [u8; 32],
    len: usize,
}

impl Compact {
    /// The bytes (ASCII letters and digits), without the UTF-8 check of [`Self::as_str`].
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII letters and digits are ever pushed, so the bytes are valid UTF-8.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// Upper-cased ASCII letters and digits of `s` with full-width forms folded; `None` if `s` holds
/// anything but letters, digits and the given separators, or more than 32 of them.
pub(crate) fn compact(s: &str, separators: &[char]) -> Option<Compact> {
    let mut out = Compact { buf: [0; 32], len: 0 };
    if s.is_ascii() {
        // Nothing to fold: byte by byte (candidates from the scanner are already folded).
        for &b in s.as_bytes() {
            let up = b.to_ascii_uppercase();
            if up.is_ascii_uppercase() || b.is_ascii_digit() {
                *out.buf.get_mut(out.len)? = up;
                out.len += 1;
            } else if !separators.contains(&char::from(b)) {
                return None;
            }
        }
        return Some(out);
    }
    for c in s.chars().map(fold_char) {
        if c.is_ascii_alphanumeric() {
            *out.buf.get_mut(out.len)? = c.to_ascii_uppercase() as u8;
            out.len += 1;
        } else if !separators.contains(&c) {
            return None;
        }
    }
    Some(out)
}

fn hkid_value(c: u8) -> Option<u32> {
    match c {
        b' ' => Some(36),
        b'A'..=b'Z' => Some(u32::from(c - b'A') + 10),
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        _ => None,
    }
}

/// The HKID check character (`0`–`9` or `A`) for a body of one or two letters and six digits
/// (`A123456`, `CA182361`), or `None` if the body has another shape.
///
/// Algorithm (FACTS.md §9.1, B4): pad a one-letter prefix with a space (value 36), map A–Z to
/// 10–35, weights 9..2, check = (11 − S mod 11) mod 11, 10 written `A`.
///
/// ```
/// use pdpo_pii::validate::hkid_check_digit;
/// assert_eq!(hkid_check_digit("A123456"), Some('3'));
/// assert_eq!(hkid_check_digit("G123456"), Some('A'));
/// assert_eq!(hkid_check_digit("CA182361"), Some('1'));
/// ```
pub fn hkid_check_digit(body: &str) -> Option<char> {
    hkid_check_of(compact(body, &[])?.as_bytes())
}

/// [`hkid_check_digit`] of an already compacted body (upper-case ASCII letters and digits).
fn hkid_check_of(b: &[u8]) -> Option<char> {
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    if !(1..=2).contains(&letters) || b.len() != letters + 6 || !b[letters..].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut padded = [b' '; 8];
    padded[8 - b.len()..].copy_from_slice(b);
    let mut sum = 0u32;
    for (c, w) in padded.iter().zip([9u32, 8, 7, 6, 5, 4, 3, 2]) {
        sum += hkid_value(*c)? * w;
    }
    match (11 - sum % 11) % 11 {
        10 => Some('A'),
        v => char::from_digit(v, 10),
    }
}

/// Whether `s` is an HKID number with a correct check digit, in any written form: `A123456(3)`,
/// `A1234563`, `A123456 3`, `AB123456(9)`, lower case, full-width (FACTS.md §9.1, B4).
///
/// ```
/// use pdpo_pii::validate::hkid;
/// assert!(hkid("A123456(3)") && hkid("a123456 3") && hkid("AB123456(9)") && hkid("G123456(A)"));
/// assert!(!hkid("A123456(1)") && !hkid("C668668(E)"));
/// ```
pub fn hkid(s: &str) -> bool {
    let Some(c) = compact(s, &['(', ')', ' ']) else { return false };
    let c = c.as_bytes();
    if c.len() < 8 || !brackets_ok(s) {
        return false;
    }
    let (body, check) = c.split_at(c.len() - 1);
    hkid_check_of(body).is_some_and(|d| check.first().is_some_and(|&k| char::from(k) == d))
}

/// Brackets, if any, are one `(` and one `)` around the last character.
fn brackets_ok(s: &str) -> bool {
    if s.is_ascii() {
        let b = s.as_bytes();
        let count = |x: u8| b.iter().filter(|c| **c == x).count();
        let mut rev = b.iter().copied().filter(|c| *c != b' ').rev();
        return match (count(b'('), count(b')')) {
            (0, 0) => true,
            (1, 1) => rev.next() == Some(b')') && rev.next().is_some() && rev.next() == Some(b'('),
            _ => false,
        };
    }
    let mut rev = s.chars().map(fold_char).filter(|c| *c != ' ').rev();
    let opens = s.chars().map(fold_char).filter(|c| *c == '(').count();
    let closes = s.chars().map(fold_char).filter(|c| *c == ')').count();
    match (opens, closes) {
        (0, 0) => true,
        (1, 1) => rev.next() == Some(')') && rev.next().is_some() && rev.next() == Some('('),
        _ => false,
    }
}

const CN_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// The ISO 7064 MOD 11-2 check character of a Mainland resident ID (`0`–`9` or `X`) from its first 17
/// digits (FACTS.md §9.5, B4).
///
/// ```
/// use pdpo_pii::validate::mainland_id_check_char;
/// assert_eq!(mainland_id_check_char("11010519491231002"), Some('X'));
/// ```
pub fn mainland_id_check_char(first17: &str) -> Option<char> {
    mainland_check_of(compact(first17, &[])?.as_str())
}

/// [`mainland_id_check_char`] of already compacted characters.
fn mainland_check_of(d: &str) -> Option<char> {
    if d.len() != 17 || !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = d.bytes().zip(CN_WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    "10X98765432".as_bytes().get((sum % 11) as usize).map(|b| char::from(*b))
}

/// Whether `s` is a Mainland China resident identity card number (GB 11643-1999): 18 characters,
/// a real birth date in characters 7–14 (years 1800–2099) and a correct MOD 11-2 check character
/// (FACTS.md §9.5, B4). Address codes 81/82/83 (residence permits for Hong Kong, Macau and Taiwan
/// residents) are accepted.
///
/// ```
/// use pdpo_pii::validate::mainland_id;
/// assert!(mainland_id("11010519491231002X") && mainland_id("810000199408230021"));
/// assert!(!mainland_id("110102197810272321"));
/// ```
pub fn mainland_id(s: &str) -> bool {
    let Some(d) = compact(s, &[' ']) else { return false };
    let d = d.as_str();
    if d.len() != 18 || !d[..17].bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (Ok(y), Ok(m), Ok(dd)) =
        (d[6..10].parse::<u32>(), d[10..12].parse::<u32>(), d[12..14].parse::<u32>())
    else {
        return false;
    };
    (1800..=2099).contains(&y)
        && is_real_date(y, m, dd)
        && mainland_check_of(&d[..17]).is_some_and(|c| d.ends_with(c))
}

/// Whether `y-m-d` is a real Gregorian calendar date.
///
/// ```
/// use pdpo_pii::validate::is_real_date;
/// assert!(is_real_date(2000, 2, 29) && !is_real_date(1900, 2, 29) && !is_real_date(2023, 4, 31));
/// ```
pub fn is_real_date(y: u32, m: u32, d: u32) -> bool {
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// The Luhn check (ISO/IEC 7812-1 Annex B) over the digits of `s`; spaces and hyphens are ignored,
/// anything else fails (FACTS.md §9.8, B4).
///
/// ```
/// use pdpo_pii::validate::luhn;
/// assert!(luhn("4539 3195 0343 6467") && luhn("79927398713"));
/// assert!(!luhn("8273 1232 7352 0569") && !luhn(""));
/// ```
pub fn luhn(s: &str) -> bool {
    compact(s, &[' ', '-']).is_some_and(|d| luhn_of(d.as_str()))
}

/// [`luhn`] of already compacted characters.
fn luhn_of(d: &str) -> bool {
    if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = d
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let v = u32::from(b - b'0');
            if i % 2 == 1 { if v * 2 > 9 { v * 2 - 9 } else { v * 2 } } else { v }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Whether `s` is a plausible payment card number: 13–19 digits (spaces or hyphens allowed), an
/// issuer prefix of a card scheme (major industry identifier 2–6: Visa, Mastercard, Amex, JCB,
/// UnionPay, Diners, Discover) and a passing Luhn check (FACTS.md §9.8).
///
/// ```
/// use pdpo_pii::validate::card_number;
/// assert!(card_number("4111 1111 1111 1111") && card_number("6123451234567893"));
/// assert!(!card_number("4111111111111112") && !card_number("79927398713"));
/// ```
pub fn card_number(s: &str) -> bool {
    let Some(d) = compact(s, &[' ', '-']) else { return false };
    let d = d.as_str();
    (13..=19).contains(&d.len()) && matches!(d.as_bytes()[0], b'2'..=b'6') && luhn_of(d)
}

/// The coarse class of a Hong Kong telephone number (FACTS.md §9.2, B4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PhoneClass {
    /// Leading 2 or 3: fixed line (30xx includes service numbers).
    Fixed,
    /// Leading 5, 6 or 9: mobile (some 58xx are fixed lines).
    Mobile,
    /// Leading 4, 7 or 8: blocks released for mobile from 2017, historically pagers and personal numbers.
    MobileNewBlock,
}

/// The class of a Hong Kong subscriber number, after an optional `+852`, `852` or `00852` prefix
/// (brackets, spaces, dots and hyphens allowed), or `None` if it is not an 8-digit subscriber number
/// with a leading digit 2–9 (FACTS.md §9.2, B4).
///
/// ```
/// use pdpo_pii::validate::{hk_phone, PhoneClass};
/// assert_eq!(hk_phone("+852 2123 4567"), Some(PhoneClass::Fixed));
/// assert_eq!(hk_phone("6123-4567"), Some(PhoneClass::Mobile));
/// assert_eq!(hk_phone("(852) 91234567"), Some(PhoneClass::Mobile));
/// assert_eq!(hk_phone("1234 5678"), None);
/// assert_eq!(hk_phone("+852 212 3456"), None);
/// ```
pub fn hk_phone(s: &str) -> Option<PhoneClass> {
    hk_phone_digits(s).map(|(class, _)| class)
}

/// The digits of a phone candidate and whether it holds a `+`; `None` if it holds anything but
/// digits, spaces, `-`, `.`, brackets and `+` (full-width forms folded), or more than 32 digits.
fn phone_chars(s: &str) -> Option<(Compact, bool)> {
    let allowed = |c: char| matches!(c, '0'..='9' | ' ' | '-' | '.' | '(' | ')' | '+');
    if !s.chars().map(fold_char).all(allowed) {
        return None;
    }
    let has_plus = s.chars().any(|c| fold_char(c) == '+');
    Some((compact(s, &[' ', '-', '.', '(', ')', '+'])?, has_plus))
}

/// [`phone_chars`] of an ASCII text in one pass over its bytes (the scanner's candidates are
/// folded, so ASCII).
fn phone_chars_ascii(s: &str) -> Option<(Compact, bool)> {
    let mut out = Compact { buf: [0; 32], len: 0 };
    let mut has_plus = false;
    for &b in s.as_bytes() {
        match b {
            b'0'..=b'9' => {
                *out.buf.get_mut(out.len)? = b;
                out.len += 1;
            }
            b' ' | b'-' | b'.' | b'(' | b')' => {}
            b'+' => has_plus = true,
            _ => return None,
        }
    }
    Some((out, has_plus))
}

/// [`hk_phone`], with the digits of `s` (prefix included).
pub(crate) fn hk_phone_digits(s: &str) -> Option<(PhoneClass, Compact)> {
    let (compacted, has_plus) = if s.is_ascii() { phone_chars_ascii(s)? } else { phone_chars(s)? };
    let digits = compacted.as_bytes();
    let local = if let Some(rest) = digits.strip_prefix(b"00852") {
        rest
    } else if digits.len() == 11 {
        digits.strip_prefix(b"852")?
    } else if has_plus {
        return None;
    } else {
        digits
    };
    if local.len() != 8 {
        return None;
    }
    let class = match local[0] {
        b'2' | b'3' => PhoneClass::Fixed,
        b'5' | b'6' | b'9' => PhoneClass::Mobile,
        b'4' | b'7' | b'8' => PhoneClass::MobileNewBlock,
        _ => return None,
    };
    Some((class, compacted))
}

/// Whether `s` has the shape of an HKSAR passport number: `K` + 8 digits, `KJ` + 7 digits or `H` + 8
/// digits. Format only: no public check digit exists, and the format itself is unverified against
/// an Immigration Department source (FACTS.md §9.3).
///
/// ```
/// use pdpo_pii::validate::hksar_passport;
/// assert!(hksar_passport("K12345678") && hksar_passport("KJ1234567") && hksar_passport("h12345678"));
/// assert!(!hksar_passport("E12345678"));
/// ```
pub fn hksar_passport(s: &str) -> bool {
    let Some(c) = compact(s, &[]) else { return false };
    let c = c.as_str();
    let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = c.strip_prefix("KJ")
        && digits(rest, 7)
    {
        return true;
    }
    c.strip_prefix('K').or_else(|| c.strip_prefix('H')).is_some_and(|rest| digits(rest, 8))
}

/// Whether `s` has the shape of a Mainland Travel Permit for Hong Kong and Macao Residents (Home
/// Return Permit, 回鄉證) number: `H` or `M`, 8 digits, and optionally the 2-digit issue count.
/// Format only; no check digit is documented (FACTS.md §9.6).
///
/// ```
/// use pdpo_pii::validate::home_return_permit;
/// assert!(home_return_permit("H1234567800") && home_return_permit("M12345678"));
/// assert!(!home_return_permit("H123456789") && !home_return_permit("X1234567800"));
/// ```
pub fn home_return_permit(s: &str) -> bool {
    let Some(c) = compact(s, &[]) else { return false };
    let c = c.as_str();
    let Some(rest) = c.strip_prefix('H').or_else(|| c.strip_prefix('M')) else { return false };
    (rest.len() == 8 || rest.len() == 10) && rest.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `s` has the shape of a Macau resident identity card (BIR) number: 8 digits starting with
/// 1, 5 or 7, written `1234567(8)`, `12345678` or `1/234567/8`. Format only: the check-digit
/// algorithm is unverified (FACTS.md §9.4, B4).
///
/// ```
/// use pdpo_pii::validate::macau_id;
/// assert!(macau_id("1234567(8)") && macau_id("5123456(0)") && macau_id("7/123456/3"));
/// assert!(!macau_id("2123456(0)"));
/// ```
pub fn macau_id(s: &str) -> bool {
    let mut b = [0u8; 10];
    let mut n = 0;
    for c in s.chars().map(fold_char) {
        if !(c.is_ascii_digit() || c == '/' || c == '(' || c == ')') || n == b.len() {
            return false;
        }
        b[n] = c as u8;
        n += 1;
    }
    let b = &b[..n];
    let slashed = n == 10 && b[1] == b'/' && b[8] == b'/';
    let bracketed = n == 10 && b[7] == b'(' && b[9] == b')';
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    (slashed || bracketed || n == 8) && digits == 8 && matches!(b[0], b'1' | b'5' | b'7')
}

/// File extensions that look like top-level domains in `icon@2x.png` and similar asset names.
const NOT_TLDS: [&str; 12] =
    ["png", "jpg", "jpeg", "gif", "svg", "webp", "pdf", "js", "css", "ts", "bmp", "ico"];

/// Whether `s` is a plausible email address: a dot-atom local part of at most 64 bytes, a domain of
/// letters, digits and hyphens in dot-separated labels, and an alphabetic top-level domain of at
/// least two letters (not an image or script extension).
///
/// ```
/// use pdpo_pii::validate::email;
/// assert!(email("chan.tai-man+crm@example.com.hk"));
/// assert!(!email("a..b@example.com") && !email("icon@2x.png") && !email("x@localhost"));
/// ```
pub fn email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else { return false };
    let atom = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    if local.is_empty()
        || local.len() > 64
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
        || !local.chars().all(|c| c == '.' || atom(c))
    {
        return false;
    }
    if !domain.contains('.') || domain.len() > 253 {
        return false;
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let tld = domain.rsplit('.').next().unwrap_or("");
    domain.split('.').all(label_ok)
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
        && !NOT_TLDS.iter().any(|t| tld.eq_ignore_ascii_case(t))
}

/// Whether `s` is an IPv4 address in dotted-quad form without leading zeros, or an IPv6 address
/// (as `std` parses it) with at least one `::` or six groups.
///
/// ```
/// use pdpo_pii::validate::ip_address;
/// assert!(ip_address("203.0.113.7") && ip_address("2001:db8::1"));
/// assert!(!ip_address("256.1.1.1") && !ip_address("01.2.3.4") && !ip_address("10:30:45"));
/// ```
pub fn ip_address(s: &str) -> bool {
    if s.contains(':') {
        let groups = s.split(':').count();
        return (s.contains("::") || groups >= 6) && s.parse::<std::net::Ipv6Addr>().is_ok();
    }
    s.split('.').count() == 4
        && s.split('.').all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && !(p.len() > 1 && p.starts_with('0'))
                && p.parse::<u16>().is_ok_and(|v| v <= 255)
        })
}

/// Reads a written date: `DD/MM/YYYY` (also `-` or `.`; `MM/DD/YYYY` is accepted when the day
/// reading fails), `YYYY-MM-DD`, `YYYY年M月D日`, `15 March 1985`, `March 15, 1985`. Returns
/// `(year, month, day)` for a real date with a year from 1900 to 2099.
///
/// ```
/// use pdpo_pii::validate::parse_date;
/// assert_eq!(parse_date("15/03/1985"), Some((1985, 3, 15)));
/// assert_eq!(parse_date("1985年3月15日"), Some((1985, 3, 15)));
/// assert_eq!(parse_date("March 15, 1985"), Some((1985, 3, 15)));
/// assert_eq!(parse_date("31/02/1985"), None);
/// ```
pub fn parse_date(s: &str) -> Option<(u32, u32, u32)> {
    // Folding changes no ASCII char: an ASCII text (every candidate of the scanner) is read byte
    // by byte, without decoding.
    if s.is_ascii() {
        parse_date_chars(s.bytes().map(char::from))
    } else {
        parse_date_chars(s.chars().map(fold_char))
    }
}

/// [`parse_date`] of the folded chars of a text.
fn parse_date_chars(chars: impl Iterator<Item = char>) -> Option<(u32, u32, u32)> {
    let mut nums = [0u32; 3];
    let mut n = 0;
    let mut month_word = None;
    let (mut cur, mut cur_len) = (0u32, 0usize);
    let mut word = [0u8; 12];
    let mut word_len = 0;
    for c in chars.chain(std::iter::once(' ')) {
        if let Some(d) = c.to_digit(10).filter(|_| c.is_ascii_digit()) {
            cur = cur * 10 + d;
            cur_len += 1;
            if cur_len > 4 {
                return None;
            }
            continue;
        }
        if cur_len > 0 {
            *nums.get_mut(n)? = cur;
            n += 1;
            (cur, cur_len) = (0, 0);
        }
        if c.is_ascii_alphabetic() {
            *word.get_mut(word_len)? = c.to_ascii_lowercase() as u8;
            word_len += 1;
            continue;
        }
        if word_len > 0 {
            let w = std::str::from_utf8(&word[..word_len]).unwrap_or("");
            if let Some(m) = month_number(w) {
                month_word = Some(m);
            } else if !matches!(w, "st" | "nd" | "rd" | "th") {
                return None;
            }
            word_len = 0;
        }
    }
    let (y, m, d) = match (month_word, &nums[..n]) {
        (Some(m), [a, b]) if *b >= 1000 => (*b, m, *a),
        (Some(m), [a, b]) if *a >= 1000 => (*a, m, *b),
        (None, [a, b, c]) if *a >= 1000 => (*a, *b, *c),
        (None, [a, b, c]) if *c >= 1000 => {
            if is_real_date(*c, *b, *a) {
                (*c, *b, *a)
            } else {
                (*c, *a, *b)
            }
        }
        _ => return None,
    };
    ((1900..=2099).contains(&y) && is_real_date(y, m, d)).then_some((y, m, d))
}

fn month_number(w: &str) -> Option<u32> {
    const MONTHS: [&str; 12] =
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    if w.len() < 3 {
        return None;
    }
    let i = MONTHS.iter().position(|m| w.starts_with(m))?;
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ][i];
    (full.starts_with(w) || w == "sept").then_some(i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // FACTS.md B4, HKID table.
    #[test]
    fn hkid_known_answers() {
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
            assert!(hkid(ok), "{ok}");
        }
        for bad in ["C567890(1)", "Z683365(5)", "Z683367(2)", "A123456(1)", "C668668(E)"] {
            assert!(!hkid(bad), "{bad}");
        }
        assert_eq!(hkid_check_digit("A123456"), Some('3'));
        assert_eq!(hkid_check_digit("CA182361"), Some('1'));
        assert_eq!(hkid_check_digit("G123456"), Some('A'));
    }

    #[test]
    fn hkid_written_forms() {
        for form in
            ["A123456(3)", "A1234563", "A123456 3", "a123456(3)", "A123456 (3)", "Ａ１２３４５６（３）"]
        {
            assert!(hkid(form), "{form}");
        }
        for bad in ["A123456((3)", "A12345(6)3", "(A123456)3", "A123456(3", "A1234567(3)", "ABC123456(3)", ""]
        {
            assert!(!hkid(bad), "{bad}");
        }
    }

    // FACTS.md B4, Mainland table.
    #[test]
    fn mainland_known_answers() {
        for ok in [
            "11010519491231002X",
            "11010120170210193X",
            "120103198806018241",
            "310101200001013948",
            "810000199408230021",
            "830000199201300022",
            "110101188606248882",
            "11010519491231002x",
        ] {
            assert!(mainland_id(ok), "{ok}");
        }
        assert!(!mainland_id("110102197810272321"));
        // Right checksum shape but 31 February.
        assert!(!mainland_id("110105194902310000"));
        assert_eq!(mainland_id_check_char("11010519491231002"), Some('X'));
    }

    #[test]
    fn luhn_known_answers() {
        for ok in ["4539 3195 0343 6467", "6123451234567893", "79927398713", "4111111111111111"] {
            assert!(luhn(ok), "{ok}");
        }
        for bad in ["8273 1232 7352 0569", "4111111111111112", "", "41a1"] {
            assert!(!luhn(bad), "{bad}");
        }
    }

    #[test]
    fn phone_known_answers() {
        assert_eq!(hk_phone("+852 2123 4567"), Some(PhoneClass::Fixed));
        assert_eq!(hk_phone("5123 4567"), Some(PhoneClass::Mobile));
        assert_eq!(hk_phone("9123 4567"), Some(PhoneClass::Mobile));
        assert_eq!(hk_phone("6123-4567"), Some(PhoneClass::Mobile));
        assert_eq!(hk_phone("3016 1234"), Some(PhoneClass::Fixed));
        assert_eq!(hk_phone("7123 4567"), Some(PhoneClass::MobileNewBlock));
        assert_eq!(hk_phone("00852-9123-4567"), Some(PhoneClass::Mobile));
        assert_eq!(hk_phone("1234 5678"), None);
        assert_eq!(hk_phone("+852 212 3456"), None);
        assert_eq!(hk_phone("+1 415 555 0101"), None);
    }

    #[test]
    fn format_only_known_answers() {
        assert!(hksar_passport("K12345678") && hksar_passport("KJ1234567") && hksar_passport("H12345678"));
        assert!(!hksar_passport("E12345678") && !hksar_passport("K1234567"));
        assert!(home_return_permit("H1234567800") && home_return_permit("M12345678"));
        assert!(!home_return_permit("H123456789") && !home_return_permit("X1234567800"));
        assert!(macau_id("1234567(8)") && macau_id("5123456(0)") && macau_id("51234560"));
        assert!(!macau_id("2123456(0)") && !macau_id("1234567(89)"));
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1985-03-15"), Some((1985, 3, 15)));
        assert_eq!(parse_date("03/25/1985"), Some((1985, 3, 25)));
        assert_eq!(parse_date("5th Jan 1990"), Some((1990, 1, 5)));
        assert_eq!(parse_date("2000年2月29日"), Some((2000, 2, 29)));
        assert_eq!(parse_date("1900年2月29日"), None);
        assert_eq!(parse_date("15 Marchx 1985"), None);
        assert_eq!(parse_date("99999999/1/1"), None);
    }

    fn hkid_body() -> impl Strategy<Value = String> {
        ("[A-Z]{1,2}", "[0-9]{6}").prop_map(|(l, d)| format!("{l}{d}"))
    }

    proptest! {
        /// The one-pass reading of an ASCII phone candidate gives what the general one gives.
        #[test]
        fn phone_chars_ascii_is_phone_chars(s in "[0-9 .()+a:-]{0,40}") {
            let view = |r: Option<(Compact, bool)>| r.map(|(c, plus)| (c.as_bytes().to_vec(), plus));
            prop_assert_eq!(view(phone_chars_ascii(&s)), view(phone_chars(&s)));
        }

        /// Dates read byte by byte from ASCII text are the dates read char by char with folding.
        #[test]
        fn ascii_dates_read_as_chars(s in "[0-9/ .,a-zA-Z-]{0,16}|[0-9]{1,4}[/ -][0-9]{1,2}[/ -][0-9]{1,4}|[0-9]{1,2} (?:Mar|march|Sept|Feb)[a-z]{0,3},? [0-9]{4}") {
            prop_assert_eq!(parse_date(&s), parse_date_chars(s.chars().map(fold_char)));
        }

        #[test]
        fn generated_hkid_passes_in_every_form(body in hkid_body()) {
            let c = hkid_check_digit(&body).unwrap();
            for form in [format!("{body}({c})"), format!("{body}{c}"), format!("{body} {c}"),
                         format!("{body}({c})").to_lowercase()] {
                prop_assert!(hkid(&form), "{}", form);
            }
        }

        #[test]
        fn hkid_with_changed_check_digit_fails(body in hkid_body(), other in "[0-9A]") {
            let c = hkid_check_digit(&body).unwrap();
            prop_assume!(!other.starts_with(c));
            let (bracketed, bare) = (format!("{body}({other})"), format!("{body}{other}"));
            prop_assert!(!hkid(&bracketed));
            prop_assert!(!hkid(&bare));
        }

        #[test]
        fn mainland_with_changed_check_char_fails(region in "[1-8][0-9]{5}", y in 1900u32..2026, m in 1u32..13,
                                                   d in 1u32..29, seq in "[0-9]{3}", other in "[0-9X]") {
            let first = format!("{region}{y:04}{m:02}{d:02}{seq}");
            let c = mainland_id_check_char(&first).unwrap();
            let (good, changed) = (format!("{first}{c}"), format!("{first}{other}"));
            prop_assert!(mainland_id(&good));
            prop_assume!(!other.starts_with(c));
            prop_assert!(!mainland_id(&changed));
        }

        #[test]
        fn luhn_detects_every_single_digit_change(s in "[0-9]{12,18}", pos in 0usize..19, delta in 1u8..10) {
            let check = (0..10u8).map(|c| format!("{s}{c}")).find(|n| luhn(n)).unwrap();
            prop_assert!(luhn(&check));
            let mut bytes = check.into_bytes();
            let i = pos % bytes.len();
            bytes[i] = b'0' + (bytes[i] - b'0' + delta) % 10;
            prop_assert!(!luhn(std::str::from_utf8(&bytes).unwrap()));
        }

        #[test]
        fn validators_never_panic(s in "\\PC{0,40}") {
            let _ = (hkid(&s), mainland_id(&s), luhn(&s), card_number(&s), hk_phone(&s), hksar_passport(&s),
                     home_return_permit(&s), macau_id(&s), email(&s), ip_address(&s), parse_date(&s));
        }
    }
}
