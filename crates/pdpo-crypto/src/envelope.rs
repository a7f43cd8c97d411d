//! The ciphertext envelope, the associated data that binds it to its place, and [`DataKey`].
//!
//! # Envelope format (version 1)
//!
//! | offset | bytes | content |
//! |---|---|---|
//! | 0 | 1 | version, `0x01` |
//! | 1 | 1 | flags: bit 0 set when the record key is bound; other bits zero |
//! | 2 | 16 | [`KeyId`] of the data key |
//! | 18 | 12 | nonce (4-byte per-block salt, 8-byte big-endian counter) |
//! | 30 | n | AES-256-GCM ciphertext, as long as the plaintext |
//! | 30 + n | 16 | GCM tag |
//!
//! The overhead is a fixed [`ENVELOPE_OVERHEAD`] = 46 bytes whatever the plaintext.
//!
//! # Associated data
//!
//! The GCM associated data is `"pdpo-crypto/field/v1" 0x00`, then the envelope's first 18 bytes
//! (version, flags, key id), then the [`FieldContext`] in a length-prefixed encoding: tenant,
//! entity, field, subject key, and the record key when flag bit 0 is set. A ciphertext copied to
//! another tenant, entity, column, person or (when bound) record therefore fails to decrypt, and so
//! does any envelope whose header, nonce, ciphertext or tag was altered.

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use pdpo_core::{Key, KeyScope, KeyValue};
use zeroize::Zeroizing;

use crate::{Error, KeyId, Result, SecretKey};

/// The envelope version this crate writes.
pub const ENVELOPE_VERSION: u8 = 1;
/// Bytes an envelope adds to the plaintext: version 1, flags 1, key id 16, nonce 12, tag 16.
pub const ENVELOPE_OVERHEAD: usize = HEADER_LEN + NONCE_LEN + TAG_LEN;

pub(crate) const HEADER_LEN: usize = 2 + KeyId::LEN;
pub(crate) const NONCE_LEN: usize = 12;
pub(crate) const TAG_LEN: usize = 16;
pub(crate) const FLAG_RECORD: u8 = 0x01;
const AAD_DOMAIN: &[u8] = b"pdpo-crypto/field/v1\0";

/// Where an encrypted value lives: the associated data every envelope is bound to.
///
/// ```
/// use pdpo_core::Key;
/// use pdpo_crypto::FieldContext;
/// let subject = Key::from(42);
/// let ctx = FieldContext::new("contacts", "hkid").tenant("acme").subject(&subject).record(&subject);
/// assert_eq!(ctx.field, "hkid");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldContext<'a> {
    /// The tenant (workspace), for multi-tenant CRMs.
    pub tenant: Option<&'a str>,
    /// Entity name.
    pub entity: &'a str,
    /// Field (column) name.
    pub field: &'a str,
    /// Which key encrypts the field: the subject's own key (the default) or the workspace key.
    pub scope: KeyScope,
    /// The data subject (key of their subject record). Required for [`KeyScope::Subject`].
    pub subject: Option<&'a Key>,
    /// The record's own key, when the writer has it (bound in the envelope's flags).
    pub record: Option<&'a Key>,
}

impl<'a> FieldContext<'a> {
    /// A subject-scoped context for `entity.field`, with no tenant, subject or record yet.
    pub fn new(entity: &'a str, field: &'a str) -> Self {
        Self { tenant: None, entity, field, scope: KeyScope::Subject, subject: None, record: None }
    }

    /// Sets the tenant.
    #[must_use]
    pub fn tenant(mut self, tenant: &'a str) -> Self {
        self.tenant = Some(tenant);
        self
    }

    /// Sets the tenant, if any.
    #[must_use]
    pub fn tenant_opt(mut self, tenant: Option<&'a str>) -> Self {
        self.tenant = tenant;
        self
    }

    /// Sets the data subject.
    #[must_use]
    pub fn subject(mut self, subject: &'a Key) -> Self {
        self.subject = Some(subject);
        self
    }

    /// Sets the record key.
    #[must_use]
    pub fn record(mut self, record: &'a Key) -> Self {
        self.record = Some(record);
        self
    }

    /// Sets the key scope.
    #[must_use]
    pub fn scope(mut self, scope: KeyScope) -> Self {
        self.scope = scope;
        self
    }

    pub(crate) fn flags(&self) -> u8 {
        if self.record.is_some() { FLAG_RECORD } else { 0 }
    }

    /// The associated data for an envelope with this `header`.
    pub(crate) fn aad(&self, header: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(AAD_DOMAIN.len() + header.len() + 64);
        out.extend_from_slice(AAD_DOMAIN);
        out.extend_from_slice(header);
        put_opt_str(&mut out, self.tenant);
        put_str(&mut out, self.entity);
        put_str(&mut out, self.field);
        put_opt_key(&mut out, self.subject);
        let bind_record = header.get(1).is_some_and(|f| f & FLAG_RECORD != 0);
        put_opt_key(&mut out, if bind_record { self.record } else { None });
        out
    }

    pub(crate) fn record_text(&self) -> Option<String> {
        self.record.map(ToString::to_string)
    }
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    // Names and keys are far below 4 GiB; saturate rather than wrap if one ever is not.
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
}

pub(crate) fn put_str(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

pub(crate) fn put_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
    }
}

/// A canonical, unambiguous encoding of a key (count, then typed parts).
pub(crate) fn put_key(out: &mut Vec<u8>, key: &Key) {
    put_len(out, key.len());
    for part in key.parts() {
        match part {
            KeyValue::Int(i) => {
                out.push(b'i');
                out.extend_from_slice(&i.to_be_bytes());
            }
            KeyValue::Uuid(u) => {
                out.push(b'u');
                out.extend_from_slice(u.as_bytes());
            }
            KeyValue::Text(t) => {
                out.push(b't');
                put_str(out, t);
            } // `KeyValue` is exhaustive today; a future variant must get its own tag here.
        }
    }
}

pub(crate) fn put_opt_key(out: &mut Vec<u8>, key: Option<&Key>) {
    match key {
        None => out.push(0),
        Some(k) => {
            out.push(1);
            put_key(out, k);
        }
    }
}

/// A parsed view of an envelope.
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a> {
    bytes: &'a [u8],
}

impl<'a> Envelope<'a> {
    /// Parses an envelope's framing (never panics; authenticity is checked on decryption).
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        if bytes.len() < ENVELOPE_OVERHEAD {
            return Err(Error::Truncated { len: bytes.len(), min: ENVELOPE_OVERHEAD });
        }
        match (bytes.first(), bytes.get(1)) {
            (Some(&ENVELOPE_VERSION), Some(&flags)) if flags & !FLAG_RECORD == 0 => Ok(Self { bytes }),
            (Some(&ENVELOPE_VERSION), Some(&flags)) => Err(Error::UnsupportedFlags { flags }),
            (Some(&version), _) => Err(Error::UnsupportedVersion { version }),
            // Unreachable: the length check above guarantees both bytes.
            _ => Err(Error::Truncated { len: bytes.len(), min: ENVELOPE_OVERHEAD }),
        }
    }

    /// The data key's id.
    pub fn key_id(&self) -> KeyId {
        let mut id = [0u8; KeyId::LEN];
        id.copy_from_slice(&self.bytes[2..HEADER_LEN]);
        KeyId::from_bytes(id)
    }

    /// Whether the record key is bound.
    pub fn binds_record(&self) -> bool {
        self.bytes[1] & FLAG_RECORD != 0
    }

    /// The nonce.
    pub fn nonce(&self) -> [u8; NONCE_LEN] {
        let mut n = [0u8; NONCE_LEN];
        n.copy_from_slice(&self.bytes[HEADER_LEN..HEADER_LEN + NONCE_LEN]);
        n
    }

    /// Length of the plaintext inside.
    pub fn plaintext_len(&self) -> usize {
        self.bytes.len() - ENVELOPE_OVERHEAD
    }

    pub(crate) fn header(&self) -> &'a [u8] {
        &self.bytes[..HEADER_LEN]
    }

    fn ciphertext(&self) -> &'a [u8] {
        &self.bytes[HEADER_LEN + NONCE_LEN..self.bytes.len() - TAG_LEN]
    }

    fn tag(&self) -> &'a [u8] {
        &self.bytes[self.bytes.len() - TAG_LEN..]
    }
}

/// One AES-256-GCM data key with its key schedule set up: build once, encrypt many times.
///
/// No `Clone`, redacted `Debug`; the key schedule is zeroized on drop (aes-gcm's `zeroize`
/// feature). [`KeyRing`](crate::KeyRing) caches these and hands out nonces; use `DataKey` directly
/// only to measure key set-up.
pub struct DataKey {
    id: KeyId,
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DataKey({}, <redacted>)", self.id)
    }
}

impl DataKey {
    /// Sets up the AES-256 key schedule and GHASH key for `key`.
    pub fn new(id: KeyId, key: &SecretKey) -> Self {
        let cipher = Aes256Gcm::new(key.expose_secret().into());
        Self { id, cipher }
    }

    /// The key's id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    pub(crate) fn header(&self, flags: u8) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[0] = ENVELOPE_VERSION;
        h[1] = flags;
        h[2..].copy_from_slice(self.id.as_bytes());
        h
    }

    /// Seals `plaintext` under `nonce` with raw associated data `aad`, into an envelope.
    /// `None` only past GCM's limits (2^36 bytes of plaintext, 2^61 of associated data).
    pub(crate) fn seal_raw(
        &self,
        flags: u8,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(ENVELOPE_OVERHEAD + plaintext.len());
        out.extend_from_slice(&self.header(flags));
        out.extend_from_slice(nonce);
        out.extend_from_slice(plaintext);
        let nonce = Nonce::from(*nonce);
        let body = &mut out[HEADER_LEN + NONCE_LEN..];
        let tag = self.cipher.encrypt_inout_detached(&nonce, aad, body.into()).ok()?;
        out.extend_from_slice(tag.as_slice());
        Some(out)
    }

    /// Seals `plaintext` for `ctx` under `nonce`.
    pub(crate) fn seal(
        &self,
        ctx: &FieldContext<'_>,
        nonce: &[u8; NONCE_LEN],
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        let flags = ctx.flags();
        let aad = ctx.aad(&self.header(flags));
        self.seal_raw(flags, nonce, &aad, plaintext).ok_or_else(|| Error::Unsupported {
            entity: ctx.entity.to_owned(),
            field: ctx.field.to_owned(),
            reason: "value longer than AES-GCM allows (64 GiB)",
        })
    }

    /// Opens an envelope with raw associated data; `None` when authentication fails.
    pub(crate) fn open_raw(&self, env: &Envelope<'_>, aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if env.key_id() != self.id {
            return None;
        }
        let mut buf = Zeroizing::new(env.ciphertext().to_vec());
        let nonce = Nonce::from(env.nonce());
        let tag = Tag::try_from(env.tag()).ok()?;
        self.cipher.decrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into(), &tag).ok()?;
        Some(buf)
    }

    /// Opens an envelope sealed for `ctx`.
    pub(crate) fn open(&self, ctx: &FieldContext<'_>, env: &Envelope<'_>) -> Result<Zeroizing<Vec<u8>>> {
        let aad = ctx.aad(env.header());
        self.open_raw(env, &aad).ok_or_else(|| Error::Decrypt {
            entity: ctx.entity.to_owned(),
            field: ctx.field.to_owned(),
            record: ctx.record_text(),
            key_id: env.key_id(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known-answer vectors typed into `tests/data/aes256gcm_kat.txt` (sources cited there).
    const KAT: &str = include_str!("../tests/data/aes256gcm_kat.txt");

    struct Vector {
        name: String,
        key: Vec<u8>,
        nonce: Vec<u8>,
        aad: Vec<u8>,
        pt: Vec<u8>,
        ct: Vec<u8>,
        tag: Vec<u8>,
    }

    fn vectors() -> Vec<Vector> {
        let mut out = Vec::new();
        let mut cur: Vec<(String, String)> = Vec::new();
        let flush = |cur: &mut Vec<(String, String)>, out: &mut Vec<Vector>| {
            if cur.is_empty() {
                return;
            }
            let get = |k: &str| cur.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
            let hx = |k: &str| hex::decode(get(k)).unwrap();
            out.push(Vector {
                name: get("name"),
                key: hx("key"),
                nonce: hx("nonce"),
                aad: hx("aad"),
                pt: hx("pt"),
                ct: hx("ct"),
                tag: hx("tag"),
            });
            cur.clear();
        };
        for line in KAT.lines() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            if line.is_empty() {
                flush(&mut cur, &mut out);
                continue;
            }
            let (k, v) = line.split_once('=').unwrap();
            cur.push((k.trim().to_owned(), v.trim().to_owned()));
        }
        flush(&mut cur, &mut out);
        out
    }

    #[test]
    fn known_answer_vectors_through_the_envelope() {
        let vs = vectors();
        assert!(vs.len() >= 6, "expected at least 6 vectors, got {}", vs.len());
        for v in vs {
            let key = DataKey::new(KeyId::from_bytes([9; 16]), &SecretKey::from_slice(&v.key).unwrap());
            let nonce: [u8; 12] = v.nonce.as_slice().try_into().unwrap();
            let env = key.seal_raw(0, &nonce, &v.aad, &v.pt).unwrap();
            assert_eq!(env.len(), v.pt.len() + ENVELOPE_OVERHEAD, "{}", v.name);
            assert_eq!(&env[30..30 + v.pt.len()], v.ct.as_slice(), "{}: ciphertext", v.name);
            assert_eq!(&env[30 + v.pt.len()..], v.tag.as_slice(), "{}: tag", v.name);
            let parsed = Envelope::parse(&env).unwrap();
            assert_eq!(parsed.nonce(), nonce);
            assert_eq!(key.open_raw(&parsed, &v.aad).unwrap().as_slice(), v.pt.as_slice(), "{}", v.name);
            // A flipped tag bit, a flipped AAD bit and a flipped nonce bit all fail.
            let mut bad = env.clone();
            *bad.last_mut().unwrap() ^= 1;
            assert!(key.open_raw(&Envelope::parse(&bad).unwrap(), &v.aad).is_none(), "{}", v.name);
            let mut aad = v.aad.clone();
            aad.push(0);
            assert!(key.open_raw(&parsed, &aad).is_none(), "{}", v.name);
            let mut bad = env.clone();
            bad[HEADER_LEN] ^= 0x80;
            assert!(key.open_raw(&Envelope::parse(&bad).unwrap(), &v.aad).is_none(), "{}", v.name);
        }
    }

    #[test]
    fn parse_rejects_short_and_unknown_envelopes_without_panicking() {
        for len in 0..ENVELOPE_OVERHEAD {
            assert!(matches!(Envelope::parse(&vec![1; len]), Err(Error::Truncated { .. })));
        }
        let mut e = vec![0u8; ENVELOPE_OVERHEAD];
        e[0] = 2;
        assert!(matches!(Envelope::parse(&e), Err(Error::UnsupportedVersion { version: 2 })));
        e[0] = 1;
        e[1] = 0x80;
        assert!(matches!(Envelope::parse(&e), Err(Error::UnsupportedFlags { flags: 0x80 })));
        e[1] = 0;
        assert_eq!(Envelope::parse(&e).unwrap().plaintext_len(), 0);
    }

    #[test]
    fn key_encoding_is_unambiguous() {
        let enc = |k: &Key| {
            let mut v = Vec::new();
            put_key(&mut v, k);
            v
        };
        assert_ne!(enc(&Key::from(1)), enc(&Key::from("1")));
        assert_ne!(enc(&Key::composite(["a".into(), "b".into()])), enc(&Key::from("ab")));
        let a = FieldContext::new("contacts", "email");
        let b = FieldContext::new("contactse", "mail");
        assert_ne!(a.aad(&[1; HEADER_LEN]), b.aad(&[1; HEADER_LEN]));
    }
}
