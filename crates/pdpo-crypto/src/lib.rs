//! # pdpo-crypto
//!
//! Field-level encryption at rest for a CRM's personal data, with erasure by crypto-shredding,
//! for the Hong Kong Personal Data (Privacy) Ordinance (Cap. 486):
//!
//! - **DPP4(1) (security).** "All practicable steps" to protect personal data against
//!   unauthorised or accidental access, having regard to the kind of data and the harm that could
//!   result (Schedule 1, DPP4(1)(a)); encrypting HKID numbers, bank accounts and the like under
//!   per-person keys limits what a leaked database or backup exposes.
//! - **s.26 (erasure) and DPP2(2) (retention).** A data user "must take all practicable steps to
//!   erase personal data ... no longer required for the purpose" (s.26(1)). Destroying one
//!   person's data key erases every encrypted copy of their fields at once, replicas and
//!   (after KEK rotation) backups included. What this does and does not reach is spelt out under
//!   [What shredding reaches](KeyRing#what-shredding-reaches).
//!
//! The parts:
//!
//! - [`FieldCipher`], implemented by [`KeyRing`]: AES-256-GCM with a versioned envelope
//!   ([`ENVELOPE_OVERHEAD`] = 46 bytes: version, flags, key id, nonce, tag) whose associated data
//!   binds tenant, entity, field, subject and record key ([`FieldContext`]), so a ciphertext moved
//!   to another person, column or tenant does not decrypt.
//! - Key hierarchy: per-subject or per-workspace data keys ([`KeyScope`](pdpo_core::KeyScope)),
//!   wrapped by a versioned [`KeyEncryptionKey`] ([`KeyFileKek`] for demos; a KMS can implement the
//!   trait), stored in a [`KeyStore`] ([`MemoryKeyStore`]; the SQL store lives in `pdpo-store`),
//!   cached unwrapped with their key schedules.
//! - [`KeyRing::shred`], [`KeyRing::rewrap`], [`KeyRing::destroy_kek_version`]: crypto-shredding and
//!   KEK rotation, each producing its [`AuditEvent`](pdpo_core::AuditEvent).
//! - Nonces from per-key counters reserved in persisted blocks ([`nonce`]): never repeated across a
//!   crash; keys rotate at 2^28 encryptions and never exceed 2^32 (NIST SP 800-38D).
//! - [`EncryptingStore`]: any [`DataStore`](pdpo_core::DataStore), with `encrypt = true` fields
//!   encrypted on write and decrypted on read ([`Value::Shredded`](pdpo_core::Value::Shredded) once
//!   shredded); [`encrypt_value`] for the CRM's own write path.
//! - [`BlindIndexer`]: HMAC-SHA-256 blind indexes of normalised emails, HK phone numbers and HKIDs.
//! - [`TokenSigner`]: signed, expiring download-link tokens.
//!
//! Keys ([`SecretKey`], [`DataKey`], [`BlindIndexer`], [`TokenSigner`], [`KeyFileKek`]) are zeroized
//! on drop, print as `<redacted>`, have no `Clone`, and never appear in errors.
//!
//! ```
//! use std::sync::Arc;
//! use pdpo_core::{Actor, Key, SystemClock};
//! use pdpo_crypto::{Decrypted, FieldCipher, FieldContext, KeyFileKek, KeyRing, MemoryKeyStore};
//!
//! let ring = KeyRing::new(MemoryKeyStore::new(), KeyFileKek::generate()?, Arc::new(SystemClock));
//! let chan = Key::from(42);
//! let ctx = FieldContext::new("contacts", "hkid").tenant("acme").subject(&chan).record(&chan);
//!
//! let envelope = pollster::block_on(ring.encrypt(&ctx, b"A123456(3)"))?;
//! assert_eq!(envelope.len(), 10 + pdpo_crypto::ENVELOPE_OVERHEAD);
//! let Decrypted::Plaintext(p) = pollster::block_on(ring.decrypt(&ctx, &envelope))? else { panic!() };
//! assert_eq!(p.as_slice(), b"A123456(3)");
//!
//! // Moved to another person: refused.
//! let wong = Key::from(43);
//! assert!(pollster::block_on(ring.decrypt(&ctx.subject(&wong), &envelope)).is_err());
//!
//! // Shredded: gone for good, in O(1) key operations.
//! let report = pollster::block_on(ring.shred(Some("acme"), &chan, Actor::system("erasure")?))?;
//! assert_eq!(report.keys, 1);
//! assert!(matches!(pollster::block_on(ring.decrypt(&ctx, &envelope))?, Decrypted::Shredded));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Features
//! None: everything is always available. The SQL [`KeyStore`] is `pdpo-store`'s.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod blind;
mod codec;
mod envelope;
mod error;
mod kek;
mod keystore;
pub mod nonce;
mod ring;
mod secret;
mod store;
mod token;

pub use blind::{BLIND_INDEX_LEN, BlindIndex, BlindIndexer, IndexKind};
pub use codec::{decode_value, encode_value};
pub use envelope::{DataKey, ENVELOPE_OVERHEAD, ENVELOPE_VERSION, Envelope, FieldContext};
pub use error::{Error, Result};
pub use kek::{KekVersionState, KeyEncryptionKey, KeyFileKek};
pub use keystore::{BlindIndexRow, KeyLookup, KeyOwner, KeyStore, MemoryKeyStore, ShredCount, WrappedKey};
pub use nonce::{NONCE_LIMIT, NoncePolicy, ROTATE_AT};
pub use ring::{Decrypted, FieldCipher, KeyRing, RewrapReport, ShredReport};
pub use secret::{InvalidKeyId, KeyId, SecretKey};
pub use store::{EncryptingStore, decrypt_value, encrypt_value};
pub use token::{TokenSigner, VerifiedToken};
