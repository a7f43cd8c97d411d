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
//! ## Features
//! None yet: `core` is always present. Each capability crate (`pii`, `crypto`, `audit`,
//! `retention`, ...) will be added behind a feature of the same name as it lands.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use pdpo_core as core;

/// The README's code blocks, compiled as doctests so they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
