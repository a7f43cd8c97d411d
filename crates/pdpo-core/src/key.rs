//! Record keys, single-column or composite.

use std::fmt;

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::Value;

/// One column of a key.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyValue {
    /// An integer key (`id INTEGER PRIMARY KEY`, `BIGSERIAL`).
    Int(i64),
    /// A UUID key.
    Uuid(Uuid),
    /// A text key.
    Text(Box<str>),
}

impl KeyValue {
    /// The key column as a [`Value`].
    pub fn to_value(&self) -> Value {
        match self {
            Self::Int(i) => Value::Int(*i),
            Self::Uuid(u) => Value::Uuid(*u),
            Self::Text(s) => Value::Text(s.to_string()),
        }
    }

    /// The key column from a [`Value`]; `None` for values that cannot be keys (null, floats, JSON, ...).
    /// JSON numbers and strings are accepted, for keys held in JSON arrays.
    pub fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => Some(Self::Int(*i)),
            Value::Uuid(u) => Some(Self::Uuid(*u)),
            Value::Text(s) => Some(Self::Text(s.as_str().into())),
            Value::Json(j) => Self::from_json(j),
            _ => None,
        }
    }

    /// The key column from a JSON scalar (an element of an array-of-keys column).
    pub fn from_json(j: &serde_json::Value) -> Option<Self> {
        match j {
            serde_json::Value::Number(n) => n.as_i64().map(Self::Int),
            serde_json::Value::String(s) => Some(Self::Text(s.as_str().into())),
            _ => None,
        }
    }
}

impl fmt::Display for KeyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Int(i) => write!(f, "{i}"),
            Self::Uuid(u) => write!(f, "{u}"),
            Self::Text(s) => f.write_str(s),
        }
    }
}

impl fmt::Debug for KeyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(s) => write!(f, "{s:?}"),
            other => write!(f, "{other}"),
        }
    }
}

/// The primary key of a record: one value, or a tuple for composite keys.
///
/// Keys identify records in errors and audit events, so the schema refuses to tag a key column
/// as personal data.
///
/// ```
/// use pdpo_core::Key;
/// assert_eq!(Key::from(42).to_string(), "42");
/// assert_eq!(Key::composite([7.into(), 42.into()]).to_string(), "(7, 42)");
/// ```
///
/// Cloning is a reference-count increment: keys are copied into indexes, graphs and audit events.
/// Serialised as an array of its columns.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(Arc<[KeyValue]>);

impl Serialize for Key {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<KeyValue>::deserialize(d).map(|v| Self(v.into()))
    }
}

impl Key {
    /// A composite key from its columns, in the order the schema lists them.
    pub fn composite(parts: impl IntoIterator<Item = KeyValue>) -> Self {
        Self(parts.into_iter().collect::<Vec<_>>().into())
    }

    /// The key's columns.
    pub fn parts(&self) -> &[KeyValue] {
        &self.0
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the key has no columns (never true for a stored record).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The key from column values; `None` if any value cannot be part of a key.
    pub fn from_values<'a>(values: impl IntoIterator<Item = &'a Value>) -> Option<Self> {
        values.into_iter().map(KeyValue::from_value).collect::<Option<Vec<_>>>().map(|v| Self(v.into()))
    }
}

impl From<KeyValue> for Key {
    fn from(v: KeyValue) -> Self {
        Self(Arc::new([v]))
    }
}
impl From<i64> for Key {
    fn from(i: i64) -> Self {
        KeyValue::Int(i).into()
    }
}
impl From<Uuid> for Key {
    fn from(u: Uuid) -> Self {
        KeyValue::Uuid(u).into()
    }
}
impl From<&str> for Key {
    fn from(s: &str) -> Self {
        KeyValue::Text(s.into()).into()
    }
}
impl From<i64> for KeyValue {
    fn from(i: i64) -> Self {
        Self::Int(i)
    }
}
impl From<&str> for KeyValue {
    fn from(s: &str) -> Self {
        Self::Text(s.into())
    }
}
impl From<Uuid> for KeyValue {
    fn from(u: Uuid) -> Self {
        Self::Uuid(u)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            [one] => write!(f, "{one}"),
            parts => {
                f.write_str("(")?;
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{p}")?;
                }
                f.write_str(")")
            }
        }
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({self})")
    }
}
