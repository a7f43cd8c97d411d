//! The canonical encoding of audit events, entries, seals and checkpoints (format version 1).
//!
//! Everything the log hashes is a deterministic, length-prefixed binary encoding defined here,
//! never JSON: the same event always gives the same bytes, on every platform and in every
//! version of this crate that writes format 1. Golden bytes are frozen in
//! `tests/data/golden_v1.txt`; a change to any byte below is a new format version.
//!
//! # Primitives
//! All integers are big-endian.
//!
//! | Name | Bytes |
//! |---|---|
//! | `u8`, `u32`, `u64`, `i32`, `i64` | fixed width, big-endian |
//! | `name` | `u8` byte length, then the bytes: an [`Identifier`] (at most 128 ASCII bytes) or a code |
//! | `str` | `u32` byte length, then UTF-8 |
//! | `bytes` | `u32` length, then the bytes |
//! | `opt<T>` | `0x00` (absent) or `0x01` followed by `T` |
//! | `list<T>` | `u32` count, then each `T` |
//! | `time` | `i64` seconds since 1970-01-01T00:00Z, `u32` nanoseconds (0..2×10⁹, leap seconds as chrono keeps them) |
//! | `uuid` | the 16 bytes |
//! | `month` | `i32` year, `u8` month (1..=12), in Hong Kong time |
//! | `key` | `list<part>`; a part is `0x01 i64` (integer), `0x02 uuid`, or `0x03 str` (text) |
//!
//! # Event body (what a store persists per entry)
//! ```text
//! u8             version = 0x01
//! uuid           id
//! time           at
//! name           actor kind        "user" | "system" | "service"
//! name           actor id
//! name           action            AuditAction::as_str(): "view", "disclose", "partition_dropped", ...
//! opt<name>      tenant
//! opt<key>       subject
//! opt<name key>  record            entity, then key
//! list<name>     fields            in the event's order
//! opt<name>      purpose
//! opt<name>      origin
//! opt<name>      recipient
//! opt<uuid>      request
//! list<name u64> counts            strictly ascending by name (the event keeps them in a BTreeMap)
//! opt<name bytes> sealed           key id, then the caller's sealed bytes
//! ```
//! Every `name` except the actor kind and action must be a valid [`Identifier`]; decoding
//! refuses anything else, unknown tags, unsorted counts and trailing bytes, so a body decodes
//! only if re-encoding it gives back the same bytes. (Names take a one-byte length because
//! identifiers are short: a typical event then fits three SHA-256 blocks instead of four.)
//!
//! # Hashes (SHA-256, domain-separated by a leading tag byte)
//! ```text
//! entry   = SHA-256(0x00 ‖ prev(32) ‖ month ‖ u64 index ‖ i64 recorded_at_µs ‖ body)
//! seal    = SHA-256(0x01 ‖ u8 version ‖ month ‖ u64 count ‖ last(32) ‖ prev(32) ‖ i64 sealed_at_µs)
//! genesis = SHA-256(0x02 ‖ u8 version ‖ name origin)
//! mac     = HMAC-SHA-256(key, 0x03 ‖ u8 version ‖ checkpoint fields, see Checkpoint)
//! ```
//! The tags keep an entry from ever being read as a seal, a genesis value or a checkpoint. The
//! entry hash binds its month, its index and the hash before it, so a valid row cannot be replayed
//! at another position or in another log.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pdpo_core::{
    Actor, AuditAction, AuditEvent, Identifier, Key, KeyValue, Purpose, RecordRef, SealedDetail,
};
use uuid::Uuid;

use crate::Month;

/// The format version written by this crate.
pub const FORMAT_VERSION: u8 = 1;

/// Domain-separation tags: the first byte of every hashed message.
pub(crate) mod tag {
    /// An entry (event body chained on the previous hash).
    pub(crate) const ENTRY: u8 = 0x00;
    /// A monthly seal.
    pub(crate) const SEAL: u8 = 0x01;
    /// The genesis value of a log.
    pub(crate) const GENESIS: u8 = 0x02;
    /// A checkpoint (under HMAC).
    pub(crate) const CHECKPOINT: u8 = 0x03;
}

const KEY_INT: u8 = 0x01;
const KEY_UUID: u8 = 0x02;
const KEY_TEXT: u8 = 0x03;

/// Why bytes are not a canonical event body. Carries positions and reasons, never content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid event body at byte {offset}: {reason}")]
pub struct DecodeError {
    /// Byte offset where decoding failed.
    pub offset: usize,
    /// What was wrong.
    pub reason: &'static str,
}

/// A length or count too large for the encoding's `u32` prefixes (4 GiB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{what} is {len} bytes or items; the audit encoding allows at most 4294967295")]
pub struct TooLarge {
    /// Which part of the event.
    pub what: &'static str,
    /// Its length.
    pub len: usize,
}

/// The canonical bytes of one event: what a store persists per entry and what the entry hash
/// covers. Built by [`Body::encode`], or checked by [`Body::from_bytes`] when read back.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use pdpo_core::{Actor, AuditAction, AuditEvent, Key};
/// use pdpo_audit::Body;
/// let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap();
/// let event = AuditEvent::new(AuditAction::View, Actor::user("staff-17")?, at).with_subject(Key::from(42));
/// let body = Body::encode(&event)?;
/// assert_eq!(body.decode()?, event);
/// assert_eq!(Body::encode(&body.decode()?)?, body); // deterministic
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Body(Vec<u8>);

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Body({} bytes)", self.0.len())
    }
}

impl Body {
    /// Encodes an event.
    pub fn encode(event: &AuditEvent) -> Result<Self, TooLarge> {
        let mut w = Writer(Vec::with_capacity(160 + event.sealed.as_ref().map_or(0, |s| s.bytes.len())));
        w.u8(FORMAT_VERSION);
        w.raw(event.id.as_bytes());
        w.time(event.at);
        w.name(event.actor.kind.as_str(), "actor kind")?;
        w.name(&event.actor.id, "actor id")?;
        w.name(event.action.as_str(), "action")?;
        w.opt_name(event.tenant.as_deref(), "tenant")?;
        match &event.subject {
            None => w.u8(0),
            Some(k) => {
                w.u8(1);
                w.key(k)?;
            }
        }
        match &event.record {
            None => w.u8(0),
            Some(r) => {
                w.u8(1);
                w.name(&r.entity, "record entity")?;
                w.key(&r.key)?;
            }
        }
        w.len(event.fields.len(), "fields")?;
        for f in &event.fields {
            w.name(f, "field")?;
        }
        w.opt_name(event.purpose.as_ref().map(Purpose::as_str), "purpose")?;
        w.opt_name(event.origin.as_deref(), "origin")?;
        w.opt_name(event.recipient.as_deref(), "recipient")?;
        match &event.request {
            None => w.u8(0),
            Some(r) => {
                w.u8(1);
                w.raw(r.as_bytes());
            }
        }
        w.len(event.counts.len(), "counts")?;
        for (name, n) in &event.counts {
            w.name(name, "count name")?;
            w.u64(*n);
        }
        match &event.sealed {
            None => w.u8(0),
            Some(s) => {
                w.u8(1);
                w.name(&s.key_id, "sealed key id")?;
                w.bytes(&s.bytes, "sealed bytes")?;
            }
        }
        Ok(Self(w.0))
    }

    /// Checks that `bytes` are a canonical event body and wraps them.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, DecodeError> {
        EventView::parse(&bytes)?.to_event()?;
        Ok(Self(bytes))
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// The event.
    pub fn decode(&self) -> Result<AuditEvent, DecodeError> {
        decode_event(&self.0)
    }
}

/// Decodes a canonical event body (see the [module docs](self)).
pub fn decode_event(bytes: &[u8]) -> Result<AuditEvent, DecodeError> {
    EventView::parse(bytes)?.to_event()
}

// ---------------------------------------------------------------------------------------------
// Writing

pub(crate) struct Writer(pub(crate) Vec<u8>);

impl Writer {
    pub(crate) fn u8(&mut self, b: u8) {
        self.0.push(b);
    }
    pub(crate) fn raw(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    fn u32(&mut self, n: u32) {
        self.raw(&n.to_be_bytes());
    }
    pub(crate) fn u64(&mut self, n: u64) {
        self.raw(&n.to_be_bytes());
    }
    pub(crate) fn i64(&mut self, n: i64) {
        self.raw(&n.to_be_bytes());
    }
    pub(crate) fn month(&mut self, m: Month) {
        self.raw(&m.year().to_be_bytes());
        // `Month::month` is 1..=12.
        self.u8(m.month() as u8);
    }
    fn time(&mut self, t: DateTime<Utc>) {
        self.i64(t.timestamp());
        self.u32(t.timestamp_subsec_nanos());
    }
    fn len(&mut self, n: usize, what: &'static str) -> Result<(), TooLarge> {
        self.u32(u32::try_from(n).map_err(|_| TooLarge { what, len: n })?);
        Ok(())
    }
    pub(crate) fn str(&mut self, s: &str, what: &'static str) -> Result<(), TooLarge> {
        self.bytes(s.as_bytes(), what)
    }
    fn bytes(&mut self, b: &[u8], what: &'static str) -> Result<(), TooLarge> {
        self.len(b.len(), what)?;
        self.raw(b);
        Ok(())
    }
    /// A short name: `u8` length, then the bytes (identifiers are at most 128 bytes).
    pub(crate) fn name(&mut self, s: &str, what: &'static str) -> Result<(), TooLarge> {
        let n = u8::try_from(s.len()).map_err(|_| TooLarge { what, len: s.len() })?;
        self.u8(n);
        self.raw(s.as_bytes());
        Ok(())
    }
    fn opt_name(&mut self, s: Option<&str>, what: &'static str) -> Result<(), TooLarge> {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.name(s, what)?;
            }
        }
        Ok(())
    }
    pub(crate) fn key(&mut self, k: &Key) -> Result<(), TooLarge> {
        self.len(k.len(), "key")?;
        for part in k.parts() {
            match part {
                KeyValue::Int(i) => {
                    self.u8(KEY_INT);
                    self.i64(*i);
                }
                KeyValue::Uuid(u) => {
                    self.u8(KEY_UUID);
                    self.raw(u.as_bytes());
                }
                KeyValue::Text(t) => {
                    self.u8(KEY_TEXT);
                    self.str(t, "key text")?;
                } // `KeyValue` is exhaustive today; a new kind needs a new tag and format version.
            }
        }
        Ok(())
    }
}

/// The encoding of a key alone, for comparing against [`EventView`] slices.
pub(crate) fn key_bytes(k: &Key) -> Result<Vec<u8>, TooLarge> {
    let mut w = Writer(Vec::with_capacity(16));
    w.key(k)?;
    Ok(w.0)
}

// ---------------------------------------------------------------------------------------------
// Reading

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn err(&self, reason: &'static str) -> DecodeError {
        DecodeError { offset: self.pos, reason }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end =
            self.pos.checked_add(n).filter(|&e| e <= self.b.len()).ok_or_else(|| self.err("truncated"))?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }
    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    fn i64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.array()?))
    }
    fn flag(&mut self) -> Result<bool, DecodeError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError { offset: self.pos - 1, reason: "option tag is neither 0 nor 1" }),
        }
    }
    fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn str(&mut self) -> Result<&'a str, DecodeError> {
        let at = self.pos;
        let b = self.bytes()?;
        std::str::from_utf8(b).map_err(|_| DecodeError { offset: at, reason: "string is not UTF-8" })
    }
    fn name(&mut self) -> Result<&'a str, DecodeError> {
        let at = self.pos;
        let n = usize::from(self.u8()?);
        let b = self.take(n)?;
        std::str::from_utf8(b).map_err(|_| DecodeError { offset: at, reason: "name is not UTF-8" })
    }
    fn opt_name(&mut self) -> Result<Option<&'a str>, DecodeError> {
        if self.flag()? { self.name().map(Some) } else { Ok(None) }
    }
    /// Skips over a key, returning its encoded bytes.
    fn key(&mut self) -> Result<&'a [u8], DecodeError> {
        let start = self.pos;
        let n = self.u32()?;
        for _ in 0..n {
            match self.u8()? {
                KEY_INT => {
                    self.take(8)?;
                }
                KEY_UUID => {
                    self.take(16)?;
                }
                KEY_TEXT => {
                    self.str()?;
                }
                _ => return Err(DecodeError { offset: self.pos - 1, reason: "unknown key part tag" }),
            }
        }
        Ok(&self.b[start..self.pos])
    }
}

/// The action code of a body, read without decoding the rest (for spotting drop events while
/// verifying). `None` if the body is malformed there.
pub(crate) fn peek_action(b: &[u8]) -> Option<&str> {
    if b.first() != Some(&FORMAT_VERSION) {
        return None;
    }
    let mut r = Reader { b, pos: 1 + 16 + 12 };
    r.name().ok()?;
    r.name().ok()?;
    r.name().ok()
}

/// Decodes a key from the bytes [`Reader::key`] returned (already known to be well formed).
fn decode_key(b: &[u8]) -> Result<Key, DecodeError> {
    let mut r = Reader { b, pos: 0 };
    let n = r.u32()?;
    let mut parts = Vec::with_capacity(n.min(16) as usize);
    for _ in 0..n {
        parts.push(match r.u8()? {
            KEY_INT => KeyValue::Int(r.i64()?),
            KEY_UUID => KeyValue::Uuid(Uuid::from_bytes(r.array()?)),
            KEY_TEXT => KeyValue::Text(r.str()?.into()),
            _ => return Err(r.err("unknown key part tag")),
        });
    }
    Ok(Key::composite(parts))
}

/// A borrowed, allocation-free view of an event body: enough to filter queries and spot drop
/// events without decoding every row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EventView<'a> {
    pub(crate) id: [u8; 16],
    pub(crate) at_secs: i64,
    pub(crate) at_nanos: u32,
    pub(crate) actor_kind: &'a str,
    pub(crate) actor_id: &'a str,
    pub(crate) action: &'a str,
    pub(crate) tenant: Option<&'a str>,
    /// Encoded subject key.
    pub(crate) subject: Option<&'a [u8]>,
    /// Entity and encoded key.
    pub(crate) record: Option<(&'a str, &'a [u8])>,
    fields: (u32, &'a [u8]),
    purpose: Option<&'a str>,
    origin: Option<&'a str>,
    recipient: Option<&'a str>,
    request: Option<[u8; 16]>,
    counts: (u32, &'a [u8]),
    sealed: Option<(&'a str, &'a [u8])>,
}

impl<'a> EventView<'a> {
    /// Walks the whole body, checking its structure (not yet identifiers or codes).
    pub(crate) fn parse(b: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader { b, pos: 0 };
        if r.u8()? != FORMAT_VERSION {
            return Err(DecodeError { offset: 0, reason: "unknown format version" });
        }
        let id = r.array()?;
        let at_secs = r.i64()?;
        let at_nanos = r.u32()?;
        let actor_kind = r.name()?;
        let actor_id = r.name()?;
        let action = r.name()?;
        let tenant = r.opt_name()?;
        let subject = if r.flag()? { Some(r.key()?) } else { None };
        let record = if r.flag()? { Some((r.name()?, r.key()?)) } else { None };
        let fields = {
            let n = r.u32()?;
            let start = r.pos;
            for _ in 0..n {
                r.name()?;
            }
            (n, &b[start..r.pos])
        };
        let purpose = r.opt_name()?;
        let origin = r.opt_name()?;
        let recipient = r.opt_name()?;
        let request = if r.flag()? { Some(r.array()?) } else { None };
        let counts = {
            let n = r.u32()?;
            let start = r.pos;
            for _ in 0..n {
                r.name()?;
                r.u64()?;
            }
            (n, &b[start..r.pos])
        };
        let sealed = if r.flag()? { Some((r.name()?, r.bytes()?)) } else { None };
        if r.pos != b.len() {
            return Err(r.err("trailing bytes after the event"));
        }
        Ok(Self {
            id,
            at_secs,
            at_nanos,
            actor_kind,
            actor_id,
            action,
            tenant,
            subject,
            record,
            fields,
            purpose,
            origin,
            recipient,
            request,
            counts,
            sealed,
        })
    }

    /// When the event happened, if the stored time is valid.
    pub(crate) fn at(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(self.at_secs, self.at_nanos)
    }

    /// The action, if the code is known.
    pub(crate) fn action(&self) -> Option<AuditAction> {
        AuditAction::from_code(self.action)
    }

    /// Builds the owned event, validating every identifier and code.
    pub(crate) fn to_event(self) -> Result<AuditEvent, DecodeError> {
        let bad = |reason| DecodeError { offset: 0, reason };
        let ident = |s: &str| Identifier::new(s).map_err(|_| bad("a name is not a valid identifier"));
        let at = self.at().ok_or(bad("invalid timestamp"))?;
        let actor = match self.actor_kind {
            "user" => Actor::user(self.actor_id),
            "system" => Actor::system(self.actor_id),
            "service" => Actor::service(self.actor_id),
            _ => return Err(bad("unknown actor kind")),
        }
        .map_err(|_| bad("actor id is not a valid identifier"))?;
        let action = self.action().ok_or(bad("unknown action code"))?;
        let mut e = AuditEvent::new(action, actor, at).with_id(Uuid::from_bytes(self.id));
        if let Some(t) = self.tenant {
            e = e.with_tenant(ident(t)?);
        }
        if let Some(k) = self.subject {
            e = e.with_subject(decode_key(k)?);
        }
        if let Some((entity, k)) = self.record {
            e = e.with_record(RecordRef::new(ident(entity)?, decode_key(k)?));
        }
        let mut r = Reader { b: self.fields.1, pos: 0 };
        let mut fields = Vec::with_capacity(self.fields.0.min(64) as usize);
        for _ in 0..self.fields.0 {
            fields.push(ident(r.name()?)?);
        }
        e.fields = fields;
        if let Some(p) = self.purpose {
            e = e.with_purpose(Purpose(ident(p)?));
        }
        if let Some(o) = self.origin {
            e = e.with_origin(ident(o)?);
        }
        if let Some(rc) = self.recipient {
            e = e.with_recipient(ident(rc)?);
        }
        if let Some(q) = self.request {
            e = e.with_request(Uuid::from_bytes(q));
        }
        let mut r = Reader { b: self.counts.1, pos: 0 };
        let mut counts = BTreeMap::new();
        let mut last: Option<&str> = None;
        for _ in 0..self.counts.0 {
            let name = r.name()?;
            if last.is_some_and(|l| l >= name) {
                return Err(bad("count names are not strictly ascending"));
            }
            last = Some(name);
            counts.insert(ident(name)?, r.u64()?);
        }
        e.counts = counts;
        if let Some((key_id, bytes)) = self.sealed {
            e = e.with_sealed(SealedDetail { key_id: ident(key_id)?, bytes: bytes.to_vec() });
        }
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn sample() -> AuditEvent {
        let at = Utc.with_ymd_and_hms(2026, 1, 15, 2, 3, 4).unwrap();
        AuditEvent::new(AuditAction::Disclose, Actor::user("staff-17").unwrap(), at)
            .with_tenant(Identifier::from_static("acme"))
            .with_subject(Key::from(42))
            .with_record(RecordRef::new(
                Identifier::from_static("deals"),
                Key::composite([7.into(), "x".into(), Uuid::nil().into()]),
            ))
            .with_fields(["email", "phone"])
            .unwrap()
            .with_recipient(Identifier::from_static("insurer"))
            .with_count(Identifier::from_static("records"), 3)
            .with_count(Identifier::from_static("bytes"), 9)
            .with_sealed(SealedDetail { key_id: Identifier::from_static("dek-1"), bytes: vec![1, 2, 3] })
    }

    #[test]
    fn round_trips() {
        let e = sample();
        let b = Body::encode(&e).unwrap();
        assert_eq!(b.decode().unwrap(), e);
        assert_eq!(Body::from_bytes(b.as_bytes().to_vec()).unwrap(), b);
    }

    #[test]
    fn every_truncation_is_rejected() {
        let b = Body::encode(&sample()).unwrap().into_bytes();
        for n in 0..b.len() {
            assert!(decode_event(&b[..n]).is_err(), "prefix of {n} bytes decoded");
        }
        let mut longer = b;
        longer.push(0);
        assert!(decode_event(&longer).is_err());
    }

    #[test]
    fn unsorted_counts_are_not_canonical() {
        let mut w = Writer(Vec::new());
        w.u8(FORMAT_VERSION);
        w.raw(&[0; 16]);
        w.time(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
        w.name("user", "").unwrap();
        w.name("a", "").unwrap();
        w.name("view", "").unwrap();
        for _ in 0..3 {
            w.u8(0); // tenant, subject, record
        }
        w.u32(0); // fields
        for _ in 0..4 {
            w.u8(0); // purpose, origin, recipient, request
        }
        w.u32(2);
        w.name("z", "").unwrap();
        w.u64(1);
        w.name("a", "").unwrap();
        w.u64(2);
        w.u8(0); // sealed
        let err = decode_event(&w.0).unwrap_err();
        assert_eq!(err.reason, "count names are not strictly ascending");
    }
}
