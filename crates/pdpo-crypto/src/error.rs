//! The crate's error type.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use pdpo_core::{StoreError, StoreErrorKind};

use crate::KeyId;

/// Why a cryptographic operation failed.
///
/// Messages name where (entity, field, record key, key id, KEK version, file), never a personal
/// value, a plaintext or key bytes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The envelope is shorter than the fixed overhead.
    #[error("envelope of {len} bytes is truncated: an envelope has at least {min} bytes")]
    Truncated {
        /// Length received.
        len: usize,
        /// Minimum length ([`ENVELOPE_OVERHEAD`](crate::ENVELOPE_OVERHEAD)).
        min: usize,
    },
    /// The envelope's version byte is not one this crate reads.
    #[error("unsupported envelope version {version}")]
    UnsupportedVersion {
        /// The version byte found.
        version: u8,
    },
    /// The envelope's flags byte has bits this crate does not know.
    #[error("unsupported envelope flags {flags:#04x}")]
    UnsupportedFlags {
        /// The flags byte found.
        flags: u8,
    },
    /// Authentication failed: wrong key, or the ciphertext, envelope or associated data (tenant,
    /// entity, field, subject, record) differ from those it was sealed with.
    #[error("cannot decrypt `{entity}.{field}`{}: wrong key, or moved or altered ciphertext (key {key_id})", at(record.as_deref()))]
    Decrypt {
        /// Entity of the context.
        entity: String,
        /// Field of the context.
        field: String,
        /// Record key, when the context had one.
        record: Option<String>,
        /// Key id named by the envelope.
        key_id: KeyId,
    },
    /// The envelope names a data key the key store has never held.
    #[error("unknown data key {key_id} for `{entity}.{field}`: is this the right key store?")]
    UnknownKey {
        /// The key id.
        key_id: KeyId,
        /// Entity of the context.
        entity: String,
        /// Field of the context.
        field: String,
    },
    /// A data key reached the hard limit of encryptions (NIST SP 800-38D §8.3).
    #[error("data key {key_id} has reached its limit of {limit} encryptions and must not be used again")]
    NonceLimit {
        /// The key id.
        key_id: KeyId,
        /// The limit.
        limit: u64,
    },
    /// A subject-scoped field was encrypted or read without knowing whose data it is.
    #[error("`{entity}.{field}`{} is encrypted under the data subject's key, but no subject is known", at(record.as_deref()))]
    NoSubject {
        /// Entity.
        entity: String,
        /// Field.
        field: String,
        /// Record key, when known.
        record: Option<String>,
    },
    /// The schema asks for something the encrypting store cannot do.
    #[error("`{entity}.{field}`: {reason}")]
    Unsupported {
        /// Entity.
        entity: String,
        /// Field.
        field: String,
        /// What is not supported.
        reason: &'static str,
    },
    /// A decrypted value does not decode as a [`Value`](pdpo_core::Value).
    #[error("`{entity}.{field}`{}: decrypted value is malformed", at(record.as_deref()))]
    Malformed {
        /// Entity.
        entity: String,
        /// Field.
        field: String,
        /// Record key, when known.
        record: Option<String>,
    },
    /// A value cannot be encrypted (for example [`Value::Shredded`](pdpo_core::Value::Shredded)).
    #[error("`{entity}.{field}`{}: a {kind} value cannot be encrypted", at(record.as_deref()))]
    NotEncryptable {
        /// Entity.
        entity: String,
        /// Field.
        field: String,
        /// Record key, when known.
        record: Option<String>,
        /// The value's kind.
        kind: &'static str,
    },
    /// The KEK has no such version.
    #[error("key-encryption key version {version} is unknown")]
    UnknownKekVersion {
        /// The version.
        version: u32,
    },
    /// The KEK version was destroyed: what it wrapped can no longer be unwrapped.
    #[error("key-encryption key version {version} has been destroyed")]
    KekDestroyed {
        /// The version.
        version: u32,
    },
    /// A wrapped key failed authentication under its KEK version.
    #[error("cannot unwrap data key {key_id} with key-encryption key version {version}")]
    Unwrap {
        /// The data key.
        key_id: KeyId,
        /// The KEK version tried.
        version: u32,
    },
    /// Refused to destroy a KEK version that still wraps data keys.
    #[error("key-encryption key version {version} still wraps {count} data key(s): rewrap them first")]
    KekInUse {
        /// The version.
        version: u32,
        /// Keys still wrapped under it.
        count: u64,
    },
    /// Refused to destroy the KEK version used for new wraps.
    #[error("key-encryption key version {version} is current: rotate before destroying it")]
    KekCurrent {
        /// The version.
        version: u32,
    },
    /// A KEK backend (a KMS) failed.
    #[error("key-encryption key backend failed (version {version})")]
    Kek {
        /// The KEK version involved.
        version: u32,
        /// The backend's error.
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// A key file is malformed.
    #[error("key file {}: {message}", path.display())]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// What is wrong (never key material).
        message: String,
    },
    /// A key file could not be read or written.
    #[error("key file {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key store failed.
    #[error("key store: {operation} failed")]
    KeyStore {
        /// What was attempted (`reserve nonces`, `shred`, ...).
        operation: &'static str,
        /// The store's error.
        source: StoreError,
    },
    /// The data store under an [`EncryptingStore`](crate::EncryptingStore) failed.
    #[error("data store failed")]
    Store(#[source] StoreError),
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed")]
    Random,
    /// A value could not be normalised for a blind index (the value itself is not kept).
    #[error("not a valid {kind} ({len} bytes) for a blind index")]
    Normalise {
        /// The index kind (`email`, `hk_phone`, `hkid`, ...).
        kind: String,
        /// Length of the rejected text in bytes.
        len: usize,
    },
    /// A signed token is malformed, for another purpose, or its signature does not verify.
    #[error("invalid token")]
    InvalidToken,
    /// A signed token verified but has expired.
    #[error("token expired at {expired_at}")]
    TokenExpired {
        /// When it expired.
        expired_at: DateTime<Utc>,
    },
}

fn at(record: Option<&str>) -> String {
    record.map(|r| format!(" of record {r}")).unwrap_or_default()
}

/// `Result` with this crate's [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn key_store(operation: &'static str) -> impl FnOnce(StoreError) -> Self {
        move |source| Self::KeyStore { operation, source }
    }

    /// This error as a [`StoreError`], for the [`DataStore`](pdpo_core::DataStore) methods of
    /// [`EncryptingStore`](crate::EncryptingStore).
    pub fn into_store_error(self) -> StoreError {
        let kind = match &self {
            Self::Store(_) => {
                if let Self::Store(e) = self {
                    return e;
                }
                StoreErrorKind::Backend
            }
            Self::KeyStore { source, .. } => source.kind(),
            Self::NoSubject { .. }
            | Self::Unsupported { .. }
            | Self::NotEncryptable { .. }
            | Self::Normalise { .. }
            | Self::Truncated { .. }
            | Self::UnsupportedVersion { .. }
            | Self::UnsupportedFlags { .. } => StoreErrorKind::Invalid,
            _ => StoreErrorKind::Backend,
        };
        StoreError::new(kind, self.to_string()).with_source(self)
    }
}
