//! Field values.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// An exact decimal number (money, quantities), kept as its canonical decimal text so that no
/// binary rounding ever changes an amount.
///
/// ```
/// use pdpo_core::Decimal;
/// let d: Decimal = "0012.500".parse()?;
/// assert_eq!(d.as_str(), "12.5");
/// assert_eq!(d, "12.50".parse()?);
/// # Ok::<(), pdpo_core::value::InvalidDecimal>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Decimal(Box<str>);

/// Text that is not a decimal number (`-?digits[.digits]`). The text itself is not kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a decimal number ({len} bytes): expected an optional `-`, digits, and an optional `.` with digits"
)]
pub struct InvalidDecimal {
    /// Length of the rejected text in bytes.
    pub len: usize,
}

impl Decimal {
    /// The canonical text: no leading zeros, no trailing fractional zeros, no `-0`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The nearest `f64` (for generalising into bands; never for storage).
    pub fn to_f64(&self) -> f64 {
        self.0.parse().unwrap_or(f64::NAN)
    }
}

impl FromStr for Decimal {
    type Err = InvalidDecimal;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = InvalidDecimal { len: s.len() };
        let (neg, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int, frac) = match body.split_once('.') {
            Some((i, f)) => (i, f),
            None => (body, ""),
        };
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        let no_digits = int.is_empty() && frac.is_empty();
        let dangling_point = body.contains('.') && frac.is_empty();
        if no_digits || dangling_point || !digits(int) || !digits(frac) {
            return Err(err);
        }
        let int = int.trim_start_matches('0');
        let frac = frac.trim_end_matches('0');
        let int = if int.is_empty() { "0" } else { int };
        let mut out = String::with_capacity(s.len() + 1);
        if neg && !(int == "0" && frac.is_empty()) {
            out.push('-');
        }
        out.push_str(int);
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
        Ok(Self(out.into()))
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({})", self.0)
    }
}

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    /// From a string (`"12.50"`); numbers are refused, since a float may already have rounded.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The value of one field of a [`Record`](crate::Record).
///
/// `Debug` never shows the content (only the variant and its size), so a value can be logged by
/// accident without leaking personal data. Use [`Value::render`] when the content must be shown,
/// for example in a subject access export.
///
/// ```
/// use pdpo_core::Value;
/// let v = Value::from("A123456(3)");
/// assert_eq!(format!("{v:?}"), "Text(<10 bytes>)");
/// assert_eq!(v.render(), "A123456(3)");
/// ```
#[derive(Clone, PartialEq, Default)]
#[non_exhaustive]
pub enum Value {
    /// SQL `NULL` or an absent value.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed 64-bit integer.
    Int(i64),
    /// An exact decimal.
    Decimal(Decimal),
    /// A 64-bit float.
    Float(f64),
    /// UTF-8 text.
    Text(String),
    /// Raw bytes (including ciphertext envelopes).
    Bytes(Vec<u8>),
    /// A UUID.
    Uuid(Uuid),
    /// An instant, in UTC.
    Timestamp(DateTime<Utc>),
    /// A calendar date.
    Date(NaiveDate),
    /// A JSON document.
    Json(serde_json::Value),
    /// An encrypted value whose data key has been destroyed (crypto-shredded): it can never be read.
    Shredded,
}

impl Value {
    /// The variant's name, for messages: `text`, `int`, ...
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "bool",
            Self::Int(_) => "int",
            Self::Decimal(_) => "decimal",
            Self::Float(_) => "float",
            Self::Text(_) => "text",
            Self::Bytes(_) => "bytes",
            Self::Uuid(_) => "uuid",
            Self::Timestamp(_) => "timestamp",
            Self::Date(_) => "date",
            Self::Json(_) => "json",
            Self::Shredded => "shredded",
        }
    }

    /// Whether the value is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// The text, if this is [`Value::Text`].
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is [`Value::Int`].
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Self::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The instant, if this is a [`Value::Timestamp`] (or a [`Value::Date`], taken at midnight UTC).
    pub fn as_timestamp(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::Timestamp(t) => Some(*t),
            Self::Date(d) => d.and_hms_opt(0, 0, 0).map(|n| n.and_utc()),
            _ => None,
        }
    }

    /// The JSON document, if this is [`Value::Json`].
    pub fn as_json(&self) -> Option<&serde_json::Value> {
        match self {
            Self::Json(j) => Some(j),
            _ => None,
        }
    }

    /// The content as display text. **This exposes the value**: use it only where showing the
    /// personal data is the point (an export for the data subject, a masked view).
    pub fn render(&self) -> String {
        match self {
            Self::Null => String::new(),
            Self::Bool(b) => b.to_string(),
            Self::Int(i) => i.to_string(),
            Self::Decimal(d) => d.to_string(),
            Self::Float(x) => x.to_string(),
            Self::Text(s) => s.clone(),
            Self::Bytes(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
            Self::Uuid(u) => u.to_string(),
            Self::Timestamp(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            Self::Date(d) => d.to_string(),
            Self::Json(j) => j.to_string(),
            Self::Shredded => "[shredded]".to_owned(),
        }
    }

    /// The value as JSON (text stays text, decimals become strings, bytes become lowercase hex,
    /// timestamps RFC 3339, shredded becomes `null`). **This exposes the value.**
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Self::Null | Self::Shredded => J::Null,
            Self::Bool(b) => J::Bool(*b),
            Self::Int(i) => J::from(*i),
            Self::Float(x) => serde_json::Number::from_f64(*x).map_or(J::Null, J::Number),
            Self::Json(j) => j.clone(),
            other => J::String(other.render()),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("Null"),
            Self::Shredded => f.write_str("Shredded"),
            Self::Text(s) => write!(f, "Text(<{} bytes>)", s.len()),
            Self::Bytes(b) => write!(f, "Bytes(<{} bytes>)", b.len()),
            Self::Json(_) => f.write_str("Json(<redacted>)"),
            Self::Bool(_) => f.write_str("Bool(<redacted>)"),
            Self::Int(_) => f.write_str("Int(<redacted>)"),
            Self::Decimal(_) => f.write_str("Decimal(<redacted>)"),
            Self::Float(_) => f.write_str("Float(<redacted>)"),
            Self::Uuid(_) => f.write_str("Uuid(<redacted>)"),
            Self::Timestamp(_) => f.write_str("Timestamp(<redacted>)"),
            Self::Date(_) => f.write_str("Date(<redacted>)"),
        }
    }
}

impl Serialize for Value {
    /// Serialises as natural JSON (see [`Value::to_json`]). Serialising exposes the value.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Self::Int(i)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}
impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Self::Float(x)
    }
}
impl From<Uuid> for Value {
    fn from(u: Uuid) -> Self {
        Self::Uuid(u)
    }
}
impl From<DateTime<Utc>> for Value {
    fn from(t: DateTime<Utc>) -> Self {
        Self::Timestamp(t)
    }
}
impl From<NaiveDate> for Value {
    fn from(d: NaiveDate) -> Self {
        Self::Date(d)
    }
}
impl From<Decimal> for Value {
    fn from(d: Decimal) -> Self {
        Self::Decimal(d)
    }
}
impl From<serde_json::Value> for Value {
    fn from(j: serde_json::Value) -> Self {
        Self::Json(j)
    }
}
impl From<Vec<u8>> for Value {
    fn from(b: Vec<u8>) -> Self {
        Self::Bytes(b)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Self {
        o.map_or(Self::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_canonical_forms() {
        for (input, canon) in
            [("0", "0"), ("-0.00", "0"), ("+1.50", "1.5"), ("007", "7"), (".5", "0.5"), ("-12.340", "-12.34")]
        {
            assert_eq!(input.parse::<Decimal>().unwrap().as_str(), canon, "{input}");
        }
        for bad in ["", "-", ".", "1.", "1e5", "12a", "1.2.3", "--1"] {
            assert!(bad.parse::<Decimal>().is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_never_shows_content() {
        let secret = "CHAN Tai Man 91234567";
        let values = [
            Value::from(secret),
            Value::Json(serde_json::json!({ "n": secret })),
            Value::Bytes(secret.as_bytes().to_vec()),
            Value::Int(91234567),
        ];
        for v in values {
            let d = format!("{v:?}");
            assert!(!d.contains("CHAN") && !d.contains("9123"), "{d}");
        }
    }

    #[test]
    fn json_forms() {
        assert_eq!(Value::Int(3).to_json(), serde_json::json!(3));
        assert_eq!(Value::Decimal("1.10".parse().unwrap()).to_json(), serde_json::json!("1.1"));
        assert_eq!(Value::Shredded.to_json(), serde_json::Value::Null);
        assert_eq!(Value::Bytes(vec![0xab, 1]).render(), "ab01");
    }
}
