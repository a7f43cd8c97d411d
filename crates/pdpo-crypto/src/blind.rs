//! Blind indexes: equality lookups on encrypted values.
//!
//! A blind index is `HMAC-SHA-256(index_key, "pdpo-crypto/blind/v1" 0x00 kind 0x00 normalised)`
//! truncated to its first [`BLIND_INDEX_LEN`] = 16 bytes (128 bits): enough that two different
//! values collide with probability about n²/2^129 (below 2^-68 for a billion values), short enough
//! to index cheaply. The index key is the tenant's own [`KeyOwner::BlindIndex`](crate::KeyOwner)
//! key, never a field key, so equality lookups work across every subject's records (requester
//! resolution finds duplicate contacts by email, phone or HKID).
//!
//! The index reveals equality (two rows with the same email) to whoever reads the table, and
//! anyone holding the index key can test guesses (the HK phone space is only 10^8 numbers), so the
//! index key is protected like a data key: wrapped by the KEK. Shredding a subject deletes their
//! index rows.
//!
//! Normalisation, so that the same value written differently matches:
//!
//! | kind | rule | example |
//! |---|---|---|
//! | `email` | trim, lower-case | ` Chan.TaiMan@Example.HK ` → `chan.taiman@example.hk` |
//! | `hk_phone` | drop spaces, `-`, `.`, `(`, `)`; `+852`, `852` or `00852` prefix optional; 8 digits → E.164 | `9123 4567` → `+85291234567` |
//! | `hkid` | drop spaces and brackets, upper-case; 1–2 letters, 6 digits, check character | `a123456(3)` → `A1234563` |
//! | custom | trim | |

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::{Error, Result, SecretKey};

/// Bytes kept of the HMAC-SHA-256 output.
pub const BLIND_INDEX_LEN: usize = 16;

/// What a blind index is computed over, which fixes the normalisation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IndexKind {
    /// An email address.
    Email,
    /// A Hong Kong phone number.
    HkPhone,
    /// A Hong Kong Identity Card number.
    Hkid,
    /// Anything else, trimmed; the name keeps kinds apart (an identifier-like label).
    Custom(String),
}

impl IndexKind {
    /// The stable code stored in index rows.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Email => "email",
            Self::HkPhone => "hk_phone",
            Self::Hkid => "hkid",
            Self::Custom(name) => name,
        }
    }

    /// The kind matching a field's category, if it has a normalisation here.
    pub fn for_category(category: &pdpo_core::PiiCategory) -> Option<Self> {
        match category {
            pdpo_core::PiiCategory::Email => Some(Self::Email),
            pdpo_core::PiiCategory::Phone => Some(Self::HkPhone),
            pdpo_core::PiiCategory::Hkid => Some(Self::Hkid),
            _ => None,
        }
    }

    /// The canonical form of `value` for this kind. The error keeps only the length.
    pub fn normalise(&self, value: &str) -> Result<String> {
        let err = || Error::Normalise { kind: self.as_str().to_owned(), len: value.len() };
        match self {
            Self::Email => {
                let v = value.trim().to_lowercase();
                let ok = v
                    .split_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty() && !d.contains('@'));
                if ok { Ok(v) } else { Err(err()) }
            }
            Self::HkPhone => {
                let digits: String =
                    value.trim().chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
                let digits = digits.strip_prefix('+').unwrap_or(&digits);
                let local = match digits.len() {
                    8 => digits,
                    11 => digits.strip_prefix("852").ok_or_else(err)?,
                    13 => digits.strip_prefix("00852").ok_or_else(err)?,
                    _ => return Err(err()),
                };
                if local.len() == 8 && local.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(format!("+852{local}"))
                } else {
                    Err(err())
                }
            }
            Self::Hkid => {
                let v: String = value
                    .chars()
                    .filter(|c| !matches!(c, ' ' | '(' | ')' | '（' | '）'))
                    .map(|c| c.to_ascii_uppercase())
                    .collect();
                let b = v.as_bytes();
                let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
                let ok = matches!(letters, 1 | 2)
                    && b.len() == letters + 7
                    && b[letters..letters + 6].iter().all(u8::is_ascii_digit)
                    && b.last().is_some_and(|c| c.is_ascii_digit() || *c == b'A');
                if ok { Ok(v) } else { Err(err()) }
            }
            Self::Custom(_) => Ok(value.trim().to_owned()),
        }
    }
}

/// A truncated HMAC digest used for equality lookups. Compared in constant time.
#[derive(Clone, Copy, Eq)]
pub struct BlindIndex([u8; BLIND_INDEX_LEN]);

impl BlindIndex {
    /// A digest from stored bytes.
    pub const fn from_bytes(bytes: [u8; BLIND_INDEX_LEN]) -> Self {
        Self(bytes)
    }

    /// The digest's bytes.
    pub const fn as_bytes(&self) -> &[u8; BLIND_INDEX_LEN] {
        &self.0
    }
}

impl PartialEq for BlindIndex {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl std::hash::Hash for BlindIndex {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlindIndex(")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// Computes blind indexes under one index key (the HMAC key schedule is set up once).
pub struct BlindIndexer {
    mac: Hmac<Sha256>,
}

impl fmt::Debug for BlindIndexer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlindIndexer(<redacted>)")
    }
}

impl BlindIndexer {
    /// An indexer under `key`.
    pub fn new(key: &SecretKey) -> Self {
        let mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        Self { mac }
    }

    /// The blind index of `value` as `kind` (normalised first).
    pub fn index(&self, kind: &IndexKind, value: &str) -> Result<BlindIndex> {
        let normalised = zeroize::Zeroizing::new(kind.normalise(value)?);
        let mut mac = self.mac.clone();
        mac.update(b"pdpo-crypto/blind/v1\0");
        mac.update(kind.as_str().as_bytes());
        mac.update(b"\0");
        mac.update(normalised.as_bytes());
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; BLIND_INDEX_LEN];
        out.copy_from_slice(&full[..BLIND_INDEX_LEN]);
        Ok(BlindIndex(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_rules() {
        let n = |k: IndexKind, v: &str| k.normalise(v).ok();
        assert_eq!(
            n(IndexKind::Email, " Chan.TaiMan@Example.HK ").as_deref(),
            Some("chan.taiman@example.hk")
        );
        assert_eq!(n(IndexKind::Email, "no-at-sign"), None);
        for p in ["9123 4567", "+852 9123-4567", "852 91234567", "00852 9123 4567", "(852) 9123.4567"] {
            assert_eq!(n(IndexKind::HkPhone, p).as_deref(), Some("+85291234567"), "{p}");
        }
        for p in ["9123 456", "+86 13912345678", "+852 9123 456a", "+1 415 555 0100"] {
            assert_eq!(n(IndexKind::HkPhone, p), None, "{p}");
        }
        assert_eq!(n(IndexKind::Hkid, "a123456(3)").as_deref(), Some("A1234563"));
        assert_eq!(n(IndexKind::Hkid, "XA 123456 (A)").as_deref(), Some("XA123456A"));
        assert_eq!(n(IndexKind::Hkid, "A123456（3）").as_deref(), Some("A1234563"));
        assert_eq!(n(IndexKind::Hkid, "1234567"), None);
        assert_eq!(n(IndexKind::Hkid, "ABC1234567"), None);
    }

    #[test]
    fn same_value_same_index_other_key_or_kind_differs() {
        let key = SecretKey::from_bytes([3; 32]);
        let ix = BlindIndexer::new(&key);
        let a = ix.index(&IndexKind::HkPhone, "9123 4567").unwrap();
        let b = ix.index(&IndexKind::HkPhone, "+852-9123-4567").unwrap();
        assert_eq!(a, b);
        let other = BlindIndexer::new(&SecretKey::from_bytes([4; 32]));
        assert_ne!(a, other.index(&IndexKind::HkPhone, "91234567").unwrap());
        assert_ne!(
            ix.index(&IndexKind::Custom("member_no".into()), "x").unwrap(),
            ix.index(&IndexKind::Custom("staff_no".into()), "x").unwrap()
        );
        let err = ix.index(&IndexKind::Email, "CHAN TAI MAN").unwrap_err().to_string();
        assert!(!err.to_lowercase().contains("chan"), "{err}");
        assert_eq!(format!("{ix:?}"), "BlindIndexer(<redacted>)");
    }

    #[test]
    fn digest_is_truncated_hmac_sha256() {
        // Recompute with a fresh HMAC to pin the construction (domain, kind, separator, value).
        let key = SecretKey::from_bytes([5; 32]);
        let got = BlindIndexer::new(&key).index(&IndexKind::Email, "A@B.hk").unwrap();
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&[5; 32]).unwrap();
        mac.update(b"pdpo-crypto/blind/v1\0email\0a@b.hk");
        assert_eq!(got.as_bytes().as_slice(), &mac.finalize().into_bytes()[..16]);
    }
}
