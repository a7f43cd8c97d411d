//! # pdpo
//!
//! Hong Kong Personal Data (Privacy) Ordinance (Cap. 486) compliance for any CRM. This facade
//! re-exports the `pdpo-*` crates as modules; enable the parts you need with features.
//!
//! - [`core`]: schema, records, audit events, holds, the `DataStore` port and `MemoryStore`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use pdpo_core as core;
