//! # pdpo
//!
//! Hong Kong Personal Data (Privacy) Ordinance (Cap. 486) compliance for any CRM. This facade
//! re-exports the `pdpo-*` crates as modules, so an application depends on `pdpo` alone and picks
//! the parts it needs with features.
//!
//! - [`core`]: the schema that annotates a CRM's own tables (personal-data categories, purposes
//!   under DPP1/DPP3, links to the data subject), records and values with redacting `Debug`, audit
//!   events, legal holds and the `DisposalGuard` (DPP2(2), s.26), the `DataStore`/`BlobStore` ports,
//!   `SubjectGraph` (everything about one person, for s.18/s.22/s.26 work) and `MemoryStore`.
//!
//! ```
//! use pdpo::core::{Key, MemoryStore, Schema, SubjectGraph};
//!
//! let schema = Schema::from_toml_str(r#"
//!     subject = "contacts"
//!     [entities.contacts]
//!     key = "id"
//!     fields.phone = { category = "phone" }
//! "#, None)?;
//! let store = MemoryStore::new(schema);
//! let missing = pollster::block_on(SubjectGraph::collect(&store, &Key::from(1)));
//! assert!(missing.is_err()); // no such contact yet
//! # Ok::<(), pdpo::core::SchemaError>(())
//! ```
//!
//! - [`pii`] (feature `pii`): Hong Kong identifiers and other personal data found in text, with
//!   check digits; masking by role.
//! - [`crypto`] (feature `crypto`): AES-256-GCM field encryption with per-person keys, so
//!   shredding one key erases every encrypted copy (DPP4, s.26); blind indexes; signed links.
//! - [`retention`] (feature `retention`): retention policies and legal holds, evaluated into
//!   explainable plans (DPP2(2), s.26).
//! - [`requests`] (feature `requests`): the ledger of access and correction requests with the
//!   40-day statutory clock (s.19, s.23, IGCO s.71), the s.27 log book and notices.
//! - [`audit`] (feature `audit`): the tamper-evident audit log — monthly partitions, seals,
//!   signed checkpoints, verification that locates any change, and breach queries.
//! - [`anonymise`] (feature `anonymise`): erasure that keeps relational links, retention
//!   execution, correction, and erasure certificates (s.26, s.22–23).
//! - [`export`] (feature `export`): the subject access copy as a ZIP with a bilingual report
//!   (s.18–20), and the workspace export behind a signed link.
//! - [`store`] (features `sqlite`, `postgres`): the `DataStore` over a CRM's own SQL tables.
//! - [`Workspace`] (feature `workspace`): all of the above wired over one CRM, so every
//!   operation (access request, export, erasure, correction, retention, inventory, audit
//!   verification) leaves its audit events.
//!
//! ## Features
//! `core` is always present; every other module has a feature of its name (`sqlite` and
//! `postgres` for [`store`]); `full` enables them all. No feature is on by default.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "anonymise")]
pub use pdpo_anonymise as anonymise;
#[cfg(feature = "audit")]
pub use pdpo_audit as audit;
pub use pdpo_core as core;
#[cfg(feature = "crypto")]
pub use pdpo_crypto as crypto;
#[cfg(feature = "export")]
pub use pdpo_export as export;
#[cfg(feature = "pii")]
pub use pdpo_pii as pii;
#[cfg(feature = "requests")]
pub use pdpo_requests as requests;
#[cfg(feature = "retention")]
pub use pdpo_retention as retention;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use pdpo_store as store;

#[cfg(feature = "workspace")]
mod workspace;
#[cfg(feature = "workspace")]
pub use workspace::{Backend, Error, Memory, Parts, Result, Workspace};
#[cfg(all(feature = "workspace", any(feature = "sqlite", feature = "postgres")))]
mod sql;
#[cfg(all(feature = "workspace", any(feature = "sqlite", feature = "postgres")))]
pub use sql::Sql;

/// The README's code blocks, compiled as doctests so they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
