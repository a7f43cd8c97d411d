//! The chaining logic as pure types and functions: [`Chain`], [`Head`], [`EntryRow`], [`Seal`].
//!
//! A store (the in-memory one here, the SQL ones in `pdpo-store`) persists three things:
//!
//! - **entry rows**, one partition (table) per [`Month`]: [`EntryRow`] is the row shape, with the
//!   primary key `index` (0-based, contiguous within the month);
//! - **seals**, one per closed month, kept forever: [`Seal`];
//! - **the head**, one row that every append reads and rewrites under a lock (`SELECT … FOR
//!   UPDATE` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite): [`Head`]. It is the single point where
//!   appends are serialised, which is what keeps the log linear.
//!
//! To append inside its own transaction a store locks the head, calls [`Chain::append`] for each
//! event (which may hand back a [`Seal`] to insert first, when the append closes a month), inserts
//! the rows, writes the head back and commits. Nothing in this module does I/O.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use pdpo_core::{Actor, AuditAction, AuditEvent, Identifier};
//! use pdpo_audit::{Body, Chain};
//!
//! let chain = Chain::new(Identifier::from_static("acme"));
//! let mut head = chain.head();
//! let jan = Utc.with_ymd_and_hms(2026, 1, 10, 1, 0, 0).unwrap();
//! let feb = Utc.with_ymd_and_hms(2026, 2, 10, 1, 0, 0).unwrap();
//! let event = |at| AuditEvent::new(AuditAction::Login, Actor::user("staff-17").unwrap(), at);
//!
//! let a = chain.append(&mut head, Body::encode(&event(jan))?, jan);
//! assert_eq!((a.month.to_string(), a.row.index, a.row.prev), ("2026-01".into(), 0, chain.genesis()));
//! let b = chain.append(&mut head, Body::encode(&event(feb))?, feb);
//! let seal = b.seal.expect("the first February append closes January");
//! assert_eq!((seal.count, seal.last), (1, a.row.hash));
//! assert_eq!(b.row.prev, seal.hash); // the first entry of a month commits to the previous seal
//! assert_eq!(head.size, 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::{DateTime, SubsecRound, Utc};
use pdpo_core::{AuditEvent, Identifier};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::Month;
use crate::digest::Digest;
use crate::encoding::{Body, FORMAT_VERSION, TooLarge, Writer, tag};

/// One entry as a store persists it: one row of its month's partition.
///
/// The month is the partition's, not a column: every field here, and the month, is covered by
/// `hash`. `body` is the canonical event ([`Body`]); a SQL store may add query columns derived
/// from it (actor, subject, action, time) but must treat the body as the source of truth.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryRow {
    /// Position in the month, from 0; the primary key of the partition.
    pub index: u64,
    /// When the log recorded the entry (microsecond precision, never earlier than the entry
    /// before it). It decides the month; the event's own `at` may be earlier.
    pub recorded_at: DateTime<Utc>,
    /// The hash this entry chains on: the previous entry's, or for index 0 the previous seal's
    /// (the genesis value for the first entry of a log).
    pub prev: Digest,
    /// `SHA-256(0x00 ‖ prev ‖ month ‖ index ‖ recorded_at ‖ body)`.
    pub hash: Digest,
    /// The canonical event bytes.
    #[serde(with = "crate::digest::hex_bytes")]
    pub body: Vec<u8>,
}

impl std::fmt::Debug for EntryRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntryRow")
            .field("index", &self.index)
            .field("recorded_at", &self.recorded_at)
            .field("prev", &self.prev)
            .field("hash", &self.hash)
            .field("body", &format_args!("{} bytes", self.body.len()))
            .finish()
    }
}

impl EntryRow {
    /// The hash this row's fields give when it sits in `month`: equal to `hash` unless the row
    /// was changed.
    pub fn compute_hash(&self, month: Month) -> Digest {
        entry_hash(&self.prev, month, self.index, self.recorded_at.timestamp_micros(), &self.body)
    }

    /// Whether the row is intact on its own: its hash matches its fields, its time has the
    /// microsecond precision the log writes and falls in `month`.
    pub fn is_intact(&self, month: Month) -> bool {
        self.recorded_at.timestamp_subsec_nanos().is_multiple_of(1000)
            && month.contains(self.recorded_at)
            && self.compute_hash(month) == self.hash
    }

    /// The event (decoding the body).
    pub fn event(&self) -> Result<pdpo_core::AuditEvent, crate::DecodeError> {
        crate::encoding::decode_event(&self.body)
    }
}

/// The closing record of a month, written when the month ends and kept forever, also after the
/// month's entries are dropped. Seals form their own chain (`prev`), and the first entry of the
/// next month chains on the seal's hash, so the log is one unbroken chain through its seals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    /// The month closed.
    pub month: Month,
    /// How many entries it holds.
    pub count: u64,
    /// The hash of its last entry.
    pub last: Digest,
    /// The previous seal's hash (the genesis value for the first seal).
    pub prev: Digest,
    /// When it was sealed (microsecond precision).
    pub sealed_at: DateTime<Utc>,
    /// `SHA-256(0x01 ‖ version ‖ month ‖ count ‖ last ‖ prev ‖ sealed_at)`.
    pub hash: Digest,
}

impl Seal {
    /// The hash of the seal's fields: equal to `hash` unless the seal was changed.
    pub fn compute_hash(&self) -> Digest {
        let mut w = Writer(Vec::with_capacity(96));
        w.u8(tag::SEAL);
        w.u8(FORMAT_VERSION);
        w.month(self.month);
        w.u64(self.count);
        w.raw(&self.last.0);
        w.raw(&self.prev.0);
        w.i64(self.sealed_at.timestamp_micros());
        Digest(Sha256::digest(&w.0).into())
    }

    /// Whether the seal's hash matches its fields (and its time has microsecond precision).
    pub fn is_intact(&self) -> bool {
        self.sealed_at.timestamp_subsec_nanos().is_multiple_of(1000) && self.compute_hash() == self.hash
    }
}

/// The state an append starts from: one row per log, read and rewritten under a lock by every
/// append. Everything in it can be recomputed from the seals and the newest partition, and
/// verification does so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// Entries ever appended (dropped months included).
    pub size: u64,
    /// The month of the newest entry (`None` before the first).
    pub month: Option<Month>,
    /// Entries in that month.
    pub count: u64,
    /// The newest entry's hash (the genesis value before the first).
    pub last: Digest,
    /// Seals written.
    pub seals: u64,
    /// The newest sealed month.
    pub sealed: Option<Month>,
    /// The newest seal's hash (the genesis value before the first).
    pub seal: Digest,
    /// The time of the newest entry or seal; appends never record an earlier time.
    pub at: DateTime<Utc>,
}

impl Head {
    /// Whether the newest entry's month is still open (not sealed).
    pub fn is_open(&self) -> bool {
        self.month.is_some() && self.month != self.sealed
    }

    /// The hash the next entry of an open month chains on, or the next month's first entry.
    fn link(&self) -> Digest {
        if self.is_open() { self.last } else { self.seal }
    }
}

/// What one append produced: the row to insert into `month`'s partition and, when the append
/// closed the previous month, the seal to insert with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The seal of the month this append closed.
    pub seal: Option<Seal>,
    /// The partition the row belongs to.
    pub month: Month,
    /// The row.
    pub row: EntryRow,
}

/// The chaining rules of one log, identified by its origin (a tenant or installation name; it
/// goes into the genesis value, so two logs never share a chain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    origin: Identifier,
    genesis: Digest,
}

impl Chain {
    /// The chain of the log named `origin`.
    pub fn new(origin: Identifier) -> Self {
        let mut w = Writer(Vec::with_capacity(8 + origin.len()));
        w.u8(tag::GENESIS);
        w.u8(FORMAT_VERSION);
        // An identifier is at most 128 bytes, so its length fits the u8 prefix.
        let _ = w.name(&origin, "origin");
        let genesis = Digest(Sha256::digest(&w.0).into());
        Self { origin, genesis }
    }

    /// The log's origin.
    pub fn origin(&self) -> &Identifier {
        &self.origin
    }

    /// The genesis value: what the first entry and the first seal chain on.
    pub fn genesis(&self) -> Digest {
        self.genesis
    }

    /// The head of an empty log.
    pub fn head(&self) -> Head {
        Head {
            size: 0,
            month: None,
            count: 0,
            last: self.genesis,
            seals: 0,
            sealed: None,
            seal: self.genesis,
            at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    /// Appends one event recorded at `now`, updating `head`.
    ///
    /// The recorded time is `now` truncated to microseconds, or the head's time if that is later
    /// (so the log's time never goes backwards, whatever the clock does). If it falls in a later
    /// month than an open head month, that month is sealed first and the seal returned.
    pub fn append(&self, head: &mut Head, body: Body, now: DateTime<Utc>) -> Appended {
        let at = now.trunc_subsecs(6).max(head.at);
        let month = Month::of(at);
        let seal = match head.month {
            Some(m) if head.is_open() && month > m => Some(self.close(head, at)),
            _ => None,
        };
        let index = if head.is_open() && head.month == Some(month) { head.count } else { 0 };
        let prev = head.link();
        let body = body.into_bytes();
        let hash = entry_hash(&prev, month, index, at.timestamp_micros(), &body);
        head.size += 1;
        head.month = Some(month);
        head.count = index + 1;
        head.last = hash;
        head.at = at;
        Appended { seal, month, row: EntryRow { index, recorded_at: at, prev, hash, body } }
    }

    /// [`append`](Self::append) of an event not yet encoded.
    pub fn append_event(
        &self,
        head: &mut Head,
        event: &AuditEvent,
        now: DateTime<Utc>,
    ) -> Result<Appended, TooLarge> {
        Ok(self.append(head, Body::encode(event)?, now))
    }

    /// Seals the head's month if it is open and has ended by `now` (a month is also sealed by the
    /// first append after it ends; call this from a periodic job so quiet months close too).
    pub fn seal_ended(&self, head: &mut Head, now: DateTime<Utc>) -> Option<Seal> {
        let at = now.trunc_subsecs(6).max(head.at);
        match head.month {
            Some(m) if head.is_open() && Month::of(at) > m => Some(self.close(head, at)),
            _ => None,
        }
    }

    fn close(&self, head: &mut Head, at: DateTime<Utc>) -> Seal {
        // Only called with an open head, whose month is set.
        let month = head.month.unwrap_or_else(|| Month::of(at));
        let mut seal = Seal {
            month,
            count: head.count,
            last: head.last,
            prev: head.seal,
            sealed_at: at,
            hash: Digest::ZERO,
        };
        seal.hash = seal.compute_hash();
        head.seals += 1;
        head.sealed = Some(month);
        head.seal = seal.hash;
        head.at = at;
        seal
    }
}

/// `SHA-256(0x00 ‖ prev ‖ month ‖ index ‖ recorded_at_µs ‖ body)`.
pub(crate) fn entry_hash(prev: &Digest, month: Month, index: u64, recorded_us: i64, body: &[u8]) -> Digest {
    let mut header = [0u8; 1 + 32 + 4 + 1 + 8 + 8];
    header[0] = tag::ENTRY;
    header[1..33].copy_from_slice(&prev.0);
    header[33..37].copy_from_slice(&month.year().to_be_bytes());
    // `Month::month` is 1..=12.
    header[37] = month.month() as u8;
    header[38..46].copy_from_slice(&index.to_be_bytes());
    header[46..54].copy_from_slice(&recorded_us.to_be_bytes());
    let mut h = Sha256::new();
    h.update(header);
    h.update(body);
    Digest(h.finalize().into())
}
