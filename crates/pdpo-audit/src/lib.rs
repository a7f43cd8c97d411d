//! # pdpo-audit
//!
//! A tamper-evident audit log of every access to and change of personal data, for data users
//! under Hong Kong's Personal Data (Privacy) Ordinance (Cap. 486): it records who viewed,
//! changed, exported or disclosed whose data and why, keeps it for a retention period in monthly
//! partitions, proves that what it kept was not edited, and answers the questions the Ordinance
//! raises:
//!
//! - **Access requests (s.18)**: [`query`] by subject lists what was done with a person's data.
//! - **Correction (s.23(1)(c))**: [`disclosure_log`] lists the third parties a person's data went
//!   to in the 12 months before the correction, so they can be sent the corrected data.
//! - **Security (DPP4) and breaches**: [`breach_report`] reconstructs which subjects and fields an
//!   actor viewed, exported or disclosed in a period; [`verify`] shows the record itself is intact.
//! - **Retention (DPP2(2))**: [`Retention`] drops whole months past the retention period
//!   (13 months by default), each drop itself logged.
//!
//! Events are `pdpo-core`'s [`AuditEvent`](pdpo_core::AuditEvent): they name fields and records
//! and carry counts, and old or new values only as bytes the caller sealed under the data
//! subject's key, so no personal value in clear can enter the log, and shredding a subject's key
//! erases their details while the chain still verifies.
//!
//! ```
//! use std::sync::Arc;
//! use chrono::{Duration, TimeZone, Utc};
//! use pdpo_core::{Actor, AuditAction, AuditEvent, FixedClock, Identifier, Key};
//! use pdpo_audit::{AuditStore, Checkpoint, CheckpointKey, MemoryAuditStore, Scope, verify, verify_against};
//!
//! let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 20, 2, 0, 0).unwrap()));
//! let log = MemoryAuditStore::with_clock(Identifier::from_static("acme"), clock.clone());
//! let staff = Actor::user("staff-17")?;
//! let view = |at| AuditEvent::new(AuditAction::View, staff.clone(), at).with_subject(Key::from(42));
//!
//! pollster::block_on(log.append(&[view(clock.now())]))?;
//! clock.advance(Duration::days(20)); // into February: the first append seals January
//! let head = pollster::block_on(log.append(&[view(clock.now())]))?;
//! assert_eq!((head.size, head.seals), (2, 1));
//!
//! // Sign the head with a key the database never sees, and keep the text elsewhere.
//! let key = CheckpointKey::new(Identifier::from_static("ops-2026"), &[42u8; 32])?;
//! let checkpoint = Checkpoint::sign(log.chain(), &head, clock.now(), &key).to_text();
//!
//! assert!(pollster::block_on(verify(&log, Scope::All))?.is_clean());
//! let checkpoint = Checkpoint::from_text(&checkpoint)?;
//! assert!(pollster::block_on(verify_against(&log, &checkpoint, &key))?.is_clean());
//! # use pdpo_core::Clock;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## What is claimed, exactly
//! The log is **tamper-evident up to the newest checkpoint held elsewhere**. [`verify`] detects and
//! locates (month, index, kind) any change, deletion, insertion, duplication or reordering of kept
//! entries and seals, a month dropped without its seal, and a month dropped without a logged drop.
//! [`verify_against`] a signed [`Checkpoint`] kept outside the database also detects truncation of
//! the newest entries, rollback to an older copy and rewriting, up to that checkpoint. Nothing
//! detects what happens after the newest checkpoint to someone who can write the database: they
//! can cut the tail off or restore an older copy and leave a valid chain. Nor is the log
//! tamper-*proof*: whoever controls the database can destroy it; that is detected, not prevented.
//! Sign checkpoints often (every few minutes, and at every seal) and store them where the
//! database administrator cannot rewrite them.
//!
//! ## Design
//! - **Canonical encoding** ([`encoding`]): versioned, length-prefixed binary, deterministic,
//!   golden bytes frozen in the tests; SHA-256 with a domain tag byte per kind of message.
//! - **A hash chain per log, partitioned by month** ([`chain`]). Each entry stores `prev` and
//!   `hash = SHA-256(0x00 ‖ prev ‖ month ‖ index ‖ recorded_at ‖ body)`. When a month ends, a
//!   [`Seal`] (month, count, last hash, previous seal's hash) closes it and is kept forever; the
//!   first entry of the next month chains on the seal. Dropping a month deletes its rows and keeps
//!   its seal, so verification starts from the seal before the oldest kept month.
//!
//!   *Why a chain and not a per-month RFC 9162 Merkle tree.* Both cost well under a microsecond
//!   per entry and both retire whole months the same way, with seals. The chain wins here because
//!   (1) every fault is located by one streaming pass, row against neighbour, where a Merkle root
//!   only says "something in this month differs" and locating needs the per-row hashes anyway;
//!   (2) a SQL store appends inside its own transaction with one locked head row holding one
//!   hash, not a frontier of up to 64; and (3) what a Merkle log adds, logarithmic inclusion and
//!   consistency proofs for parties who do not hold the log, has no user here: the verifier is the
//!   data user itself, which holds every row, and checking a checkpoint is a lookup of the entry
//!   at its position. The cost of the choice: proving one event to an outsider means handing over
//!   its month's rows (about 250 bytes an event). A Merkle root can be added to the seal in a later
//!   format version without changing the chain.
//! - **Months in Hong Kong time** ([`Month`]): retention periods, the s.23(1)(c) window and the
//!   reports people read are in Hong Kong dates; Hong Kong has had no daylight saving since 1979,
//!   so a month is a fixed UTC+8 interval.
//! - **Append inside the data transaction.** [`MemoryAuditStore`] is a
//!   [`pdpo_core::EventSink`]: a [`MemoryStore`](pdpo_core::MemoryStore) built with it commits a
//!   change set's data and events together or not at all. SQL stores do the same with [`Chain`].
//! - **Granularity** ([`granularity`]): bulk operations write one event with counts; reads scoped
//!   to people write one event per person.
//!
//! ## Features
//! None: the crate is synchronous maths plus an async [`AuditStore`] port with an in-memory
//! implementation; the SQL stores live in `pdpo-store`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod chain;
mod checkpoint;
mod digest;
pub mod encoding;
mod error;
pub mod granularity;
mod memory;
mod month;
mod query;
mod retention;
mod store;
mod verify;

pub use chain::{Appended, Chain, EntryRow, Head, Seal};
pub use checkpoint::{Checkpoint, CheckpointKey, MIN_KEY_LEN};
pub use digest::{Digest, InvalidDigest};
pub use encoding::{Body, DecodeError, FORMAT_VERSION, TooLarge, decode_event};
pub use error::{Error, Result};
pub use memory::{MemoryAuditStore, Snapshot};
pub use month::{InvalidMonth, Month};
pub use query::{
    BreachReport, Disclosure, DisclosureLog, LoggedEvent, Query, SubjectExposure, breach_report,
    disclosure_log, query,
};
pub use retention::{DEFAULT_MONTHS, PARTITION_ENTITY, Retention, RetentionRun, drop_event, dropped_month};
pub use store::{AuditStore, Partition};
pub use verify::{Fault, FaultKind, Location, Report, Scope, verify, verify_against};
