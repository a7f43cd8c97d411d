//! Key material ([`SecretKey`]) and key ids ([`KeyId`]).

use std::fmt;
use std::str::FromStr;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::{Error, Result};

/// Fills `buf` from the operating system's CSPRNG.
pub(crate) fn random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|_| Error::Random)
}

/// 256 bits of key material: a data key, an index key, a token key or a KEK version.
///
/// The bytes live on the heap and are zeroized on drop. `Debug` prints `SecretKey(<redacted>)`;
/// there is no `Clone`, no `Display`, no serialisation, and equality is constant-time
/// ([`ct_eq`](Self::ct_eq)). Moving a key between stack frames may leave copies the compiler made,
/// so zeroization is best effort, as with any Rust code.
pub struct SecretKey(Box<Zeroizing<[u8; 32]>>);

impl SecretKey {
    /// Length in bytes.
    pub const LEN: usize = 32;

    /// A fresh random key from the operating system's CSPRNG.
    pub fn generate() -> Result<Self> {
        let mut key = Self(Box::new(Zeroizing::new([0u8; 32])));
        random(key.0.as_mut_slice())?;
        Ok(key)
    }

    /// A key from bytes (for KMS adapters and known-answer tests). The caller should zeroize its
    /// copy.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Box::new(Zeroizing::new(bytes)))
    }

    /// A key from a slice of exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        let mut key = Self(Box::new(Zeroizing::new([0u8; 32])));
        if bytes.len() != Self::LEN {
            return None;
        }
        key.0.copy_from_slice(bytes);
        Some(key)
    }

    /// The raw bytes. **This exposes the key**: only KEK adapters (wrapping for a KMS) need it.
    pub fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }

    /// Constant-time equality.
    pub fn ct_eq(&self, other: &Self) -> bool {
        self.0.as_slice().ct_eq(other.0.as_slice()).into()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// The id of a data key: 16 random bytes, written in every envelope sealed with the key.
///
/// Ids are not secret: they name keys in envelopes, key-store rows, errors and audit events.
/// `Display` is 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId([u8; 16]);

impl KeyId {
    /// Length in bytes.
    pub const LEN: usize = 16;

    /// A fresh random id.
    pub fn generate() -> Result<Self> {
        let mut id = [0u8; 16];
        random(&mut id)?;
        Ok(Self(id))
    }

    /// An id from its bytes.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The id's bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Text that is not 32 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a key id is 32 hex digits")]
pub struct InvalidKeyId;

impl FromStr for KeyId {
    type Err = InvalidKeyId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut id = [0u8; 16];
        hex::decode_to_slice(s, &mut id).map_err(|_| InvalidKeyId)?;
        Ok(Self(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_key_is_redacted_and_compared_in_constant_time() {
        let a = SecretKey::from_bytes([7; 32]);
        let b = SecretKey::from_bytes([7; 32]);
        let c = SecretKey::generate().unwrap();
        assert_eq!(format!("{a:?}"), "SecretKey(<redacted>)");
        assert!(a.ct_eq(&b));
        assert!(!a.ct_eq(&c));
        assert!(SecretKey::from_slice(&[1; 31]).is_none());
    }

    #[test]
    fn key_id_round_trips_through_hex() {
        let id = KeyId::generate().unwrap();
        assert_eq!(id.to_string().parse::<KeyId>().unwrap(), id);
        assert!("xyz".parse::<KeyId>().is_err());
    }
}
