//! Identifiers: names of entities, fields, links, actors and purposes.
//!
//! Audit events and error messages carry identifiers, never values. An identifier is ASCII,
//! starts with a letter or `_`, and continues with letters, digits, `_`, `-`, `.` or `:`; at most
//! 128 bytes. An email address or a phone number with `+` cannot pass, which keeps personal data out
//! of places meant for names.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Maximum length of an [`Identifier`] in bytes.
pub const MAX_IDENTIFIER_LEN: usize = 128;

/// Whether `s` is a valid identifier (see the [module docs](self)).
pub const fn is_identifier(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > MAX_IDENTIFIER_LEN || !(b[0].is_ascii_alphabetic() || b[0] == b'_') {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b':')) {
            return false;
        }
        i += 1;
    }
    true
}

/// A validated name (entity, field, link, actor id, purpose, recipient class).
///
/// ```
/// use pdpo_core::Identifier;
/// assert!(Identifier::new("contacts.email").is_ok());
/// assert!(Identifier::new("chan@example.com").is_err());
/// ```
///
/// Cloning is cheap (a reference count or a static string), since identifiers are copied into every
/// audit event and graph record.
#[derive(Clone)]
pub struct Identifier(Repr);

#[derive(Clone)]
enum Repr {
    Static(&'static str),
    Shared(Arc<str>),
}

impl PartialEq for Identifier {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Identifier {}

impl PartialOrd for Identifier {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Identifier {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Identifier {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

/// A string that is not a valid [`Identifier`]. The rejected text is not kept, since it may be
/// personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a valid identifier ({len} bytes): use ASCII letters, digits, `_`, `-`, `.`, `:`, starting with a letter or `_`, at most 128 bytes"
)]
pub struct InvalidIdentifier {
    /// Length of the rejected text in bytes.
    pub len: usize,
}

impl Identifier {
    /// Validates `s` as an identifier.
    pub fn new(s: impl AsRef<str>) -> Result<Self, InvalidIdentifier> {
        let s = s.as_ref();
        if is_identifier(s) {
            Ok(Self(Repr::Shared(Arc::from(s))))
        } else {
            Err(InvalidIdentifier { len: s.len() })
        }
    }

    /// An identifier from a string literal, checked at compile time when used in a `const`.
    ///
    /// ```
    /// use pdpo_core::Identifier;
    /// const RECORDS: Identifier = Identifier::from_static("records");
    /// assert_eq!(RECORDS.as_str(), "records");
    /// ```
    ///
    /// # Panics
    /// If `s` is not a valid identifier: a programming error in a literal, caught at compile time
    /// in `const` items.
    pub const fn from_static(s: &'static str) -> Self {
        assert!(is_identifier(s), "not a valid identifier literal");
        Self(Repr::Static(s))
    }

    /// The identifier as a string slice.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(s) => s,
            Repr::Shared(s) => s,
        }
    }
}

impl Deref for Identifier {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Identifier {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Identifier {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Debug for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl TryFrom<&str> for Identifier {
    type Error = InvalidIdentifier;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl TryFrom<String> for Identifier {
    type Error = InvalidIdentifier;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl PartialEq<str> for Identifier {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Identifier {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for Identifier {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Identifier {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::new(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_names_rejects_values() {
        for ok in ["contacts", "_x", "a.b:c-d_1", "Contact_Notes", "custom:x"] {
            assert!(Identifier::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1abc", "a b", "chan@x.com", "+85291234567", "陳大文", &"a".repeat(129)] {
            assert!(Identifier::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn error_does_not_echo_the_input() {
        let err = Identifier::new("chan@example.com").unwrap_err();
        assert!(!err.to_string().contains("chan"));
        assert!(!format!("{err:?}").contains("chan"));
    }
}
