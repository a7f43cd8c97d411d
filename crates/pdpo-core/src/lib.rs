//! # pdpo-core
//!
//! The vocabulary and ports shared by every `pdpo` crate: how a CRM's data model is annotated
//! for the Hong Kong Personal Data (Privacy) Ordinance (Cap. 486), and the traits through which the
//! capability crates read and change that data.
//!
//! - [`Schema`]: entities, the subject entity, links (paths to the data subject), fields with
//!   their [`PiiCategory`] and purposes (DPP1, DPP3), lifecycle columns and erase modes. Loaded from
//!   `pdpo.toml` or built in code.
//! - [`Value`], [`Key`], [`Record`]: rows, with a `Debug` that never prints a value.
//! - [`ChangeSet`]: writes plus the [`AuditEvent`]s describing them, applied all-or-nothing.
//! - [`DataStore`] and [`BlobStore`]: the ports; [`MemoryStore`] and [`MemoryBlobStore`] implement them.
//! - [`SubjectGraph::collect`]: everything about one person (access, correction and erasure start here).
//! - [`Hold`] and [`DisposalGuard`]: may this be disposed of now (DPP2(2), s.26)?
//! - [`Clock`], [`Actor`], [`Purpose`].
//!
//! ```
//! use pdpo_core::{ChangeSet, Identifier, Key, MemoryStore, Record, Schema, SubjectGraph, DataStore};
//!
//! let schema = Schema::from_toml_str(r#"
//!     subject = "contacts"
//!     [purposes]
//!     billing = "Invoicing and collecting payment"
//!     [entities.contacts]
//!     key = "id"
//!     fields.email = { category = "email", purposes = ["billing"] }
//!     [entities.invoices]
//!     key = "id"
//!     links = [{ to = "contacts", foreign_key = "contact_id" }]
//! "#, None)?;
//! let store = MemoryStore::new(schema);
//! let contacts = Identifier::new("contacts")?;
//! let invoices = Identifier::new("invoices")?;
//! let mut cs = ChangeSet::new();
//! cs.insert(Record::new(contacts, Key::from(1)).with("email", "chan.taiman@example.hk"));
//! cs.insert(Record::new(invoices, Key::from(100)).with("contact_id", 1).with("total", "880.00"));
//! pollster::block_on(store.apply(cs))?;
//!
//! let graph = pollster::block_on(SubjectGraph::collect(&store, &Key::from(1)))?;
//! assert_eq!(graph.records.len(), 2);
//! assert_eq!(graph.records[0].fields[0].as_str(), "email");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Features
//! - `conformance`: the [`conformance`] suite that every `DataStore` implementation should pass.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod actor;
mod audit;
mod blobdir;
mod category;
mod change;
mod clock;
#[cfg(feature = "conformance")]
pub mod conformance;
mod error;
mod graph;
mod hold;
pub mod ident;
pub mod jsonpath;
mod key;
mod memory;
mod record;
pub mod schema;
mod store;
pub mod value;

pub use actor::{Actor, ActorKind, Purpose};
pub use audit::{AuditAction, AuditEvent, SealedDetail};
pub use blobdir::DirBlobStore;
pub use category::{BUILTIN_CATEGORIES, PiiCategory, UnknownCategory};
pub use change::{Applied, Change, ChangeSet};
pub use clock::{Clock, FixedClock, HONG_KONG, SystemClock, hong_kong_date, hong_kong_offset};
pub use error::{StoreError, StoreErrorKind};
pub use graph::{SubjectGraph, SubjectRecord};
pub use hold::{AllowAll, Disposal, DisposalGuard, DisposalQuery, Hold, HoldScope, Retainer, RetainerKind};
pub use ident::{Identifier, InvalidIdentifier};
pub use jsonpath::JsonPath;
pub use key::{Key, KeyValue};
pub use memory::{MemoryBlobStore, MemoryStore};
pub use record::{Record, RecordRef};
pub use schema::{
    Entity, EraseMode, Field, FieldOperator, JsonTag, KeyScope, Lifecycle, Link, LinkKind, Problem,
    Reference, ReferenceBy, Schema, SchemaBuilder, SchemaError,
};
pub use store::{BlobStore, ColumnInfo, ColumnType, DataStore, EventSink, Lookup, Page, flush_blob_outbox};
pub use value::{Decimal, Value};

// Crates whose types appear in this crate's API, re-exported so users match versions.
pub use {chrono, serde_json, uuid};
