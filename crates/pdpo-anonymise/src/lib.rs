//! # pdpo-anonymise
//!
//! Erases a data subject's personal data while keeping every relational link, executes retention
//! plans, applies corrections, and proves what it did, for the Hong Kong Personal Data (Privacy)
//! Ordinance (Cap. 486).
//!
//! ## The law it serves (FACTS.md §2, §3.2)
//! - **s.26(1)** and **DPP2(2)**: erase personal data no longer required for its purpose unless
//!   erasure is prohibited by law or not erasing is in the public interest. The PCPD's *Guidance
//!   on Personal Data Erasure and Anonymisation* accepts anonymisation (re-identification no
//!   longer practicable) as an alternative to deletion: rows stay, so invoices, deals and the
//!   audit trail keep their links, while the person's fields are overwritten.
//! - **s.22–23** (data correction): correct the data, and where it was disclosed to a third
//!   party in the **12 months** before the correction, send them the corrected data
//!   (s.23(1)(c)). [`correct`] applies corrections with an audit trail and lists those
//!   recipients.
//! - Statutory keeps (e.g. IRO s.51C, 7 years) and legal holds beat erasure: the
//!   [`DisposalGuard`](pdpo_core::DisposalGuard) is asked for every record, and what it keeps is
//!   listed with the reason and the date it becomes erasable.
//!
//! ## What is here
//! - Operators ([`Anonymiser`]): redact with a placeholder that fits the column (an email column
//!   gets `erased-<tag>@invalid`, `NOT NULL` columns never get `NULL`, `max_len` respected, JSON
//!   shape kept), null, partial mask, keyed pseudonym ([`PseudonymKey`], HMAC-SHA-256:
//!   **pseudonymisation, not erasure**), generalise (date to year or month, number to band),
//!   scrub free text ([`TextScrubber`], the `pdpo-pii` scanner: `[HKID]`, `[PHONE]`, ...), shred
//!   (ciphertext left, data key destroyed through a [`KeyShredder`]). Defaults per category are
//!   irreversible ([`default_operator`]); [`OperatorPolicy`] and the schema override per field.
//! - [`ErasurePlan`]: from the subject graph, after the guard; keys and links kept; rows deleted
//!   only where the entity's erase mode says so and nothing else refers to them; in shared
//!   records only the subject's fields; attachments deleted through the blob outbox.
//! - [`Eraser`]: one atomic change set with its audit events (field names only), idempotent,
//!   verified, returning an [`ErasureCertificate`] (JSON).
//! - Batch erasure ([`Eraser::erase_many`], resumable [`ErasureBatch`] with
//!   [`Eraser::run_batch_chunk`]): the records about a chunk of subjects read with one batched
//!   lookup per link, each subject planned in turn with the earlier plans applied, one atomic
//!   change set per chunk; the end state and certificates equal erasing them one by one, and
//!   a subject under a hold or a keep is certified with what was retained, not failing the chunk.
//! - [`RetentionExecutor`]: runs a `pdpo-retention` [`RetentionPlan`](pdpo_retention::RetentionPlan)
//!   in chunks, each one atomic change set; a crash resumes where it stopped.
//! - [`correct`] and [`recipients_to_notify`]: s.22–23.
//!
//! ```
//! use std::sync::Arc;
//! use pdpo_core::{Actor, AllowAll, DataStore, FixedClock, Key, Value};
//! use pdpo_anonymise::{Anonymiser, Eraser, NoKeys};
//! use pdpo_testkit::{Generator, load_memory};
//!
//! let loaded = load_memory(&Generator::new(20, 7))?;
//! let clock = Arc::new(FixedClock::new(pdpo_testkit::reference_now()));
//! let eraser = Eraser::new(Anonymiser::hong_kong()?, AllowAll, clock, Actor::user("dpo-1")?);
//! let cert = pollster::block_on(eraser.erase(&loaded.store, &Key::from(3), &NoKeys))?;
//! assert!(cert.verified && !cert.records_changed.is_empty());
//! // Invoices are kept by the schema (IRO s.51C) and listed with the reason.
//! assert!(cert.retained.iter().all(|r| r.record.entity == "invoices"));
//! let contact = pollster::block_on(loaded.store.fetch("contacts", &[Key::from(3)]))?;
//! assert!(contact[0].get("email").and_then(Value::as_text).is_none_or(|e| e.ends_with("@invalid")));
//! println!("{}", cert.to_json());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Features
//! None. Store-touching functions are `async` and generic over
//! [`DataStore`](pdpo_core::DataStore); operators and planning are synchronous.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod batch;
mod correct;
mod erase;
mod error;
mod operator;
mod plan;
mod retention;

pub use batch::{BatchReport, ErasureBatch};
pub use correct::{Correction, CorrectionReport, Recipient, correct, recipients_to_notify};
pub use erase::{CertifiedRecord, Eraser, ErasureCertificate, KeyShredder, NoKeys};
pub use error::{Error, Result};
pub use operator::{
    Anonymiser, ColumnSpec, DatePrecision, Effect, Needle, NoScrubber, OperatorPolicy, PseudonymKey,
    REDACTED, ScrubSpan, Site, TextScrubber, default_operator, is_pseudonym, redact,
};
pub use plan::{EffectName, ErasurePlan, FieldChange, RecordAction, RecordChange, RetainedRecord};
pub use retention::{ChunkReport, RetentionExecutor};
