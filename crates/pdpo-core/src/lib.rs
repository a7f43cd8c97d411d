//! # pdpo-core
//!
//! The vocabulary and ports shared by every `pdpo` crate: how a CRM's data model is annotated
//! for the Hong Kong Personal Data (Privacy) Ordinance (Cap. 486), and the traits through which the
//! capability crates read and change that data.
//!
//! - [`PiiCategory`]: the kinds of personal data.
//! - [`Value`], [`Key`], [`Record`]: rows, with a `Debug` that never prints a value.
//! - [`AuditEvent`]: what was done to whose data (the log itself is `pdpo-audit`).
//! - [`Hold`] and [`DisposalGuard`]: may this be erased now (DPP2(2), s.26)?
//! - [`Clock`], [`Actor`], [`Purpose`] (DPP1, DPP3).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod actor;
mod audit;
mod category;
mod clock;
mod hold;
pub mod ident;
mod key;
mod record;
pub mod value;

pub use actor::{Actor, ActorKind, Purpose};
pub use audit::{AuditAction, AuditEvent, SealedDetail};
pub use category::{BUILTIN_CATEGORIES, PiiCategory, UnknownCategory};
pub use clock::{Clock, FixedClock, HONG_KONG, SystemClock, hong_kong_offset};
pub use hold::{AllowAll, Disposal, DisposalGuard, DisposalQuery, Hold, HoldScope, Retainer, RetainerKind};
pub use ident::{Identifier, InvalidIdentifier};
pub use key::{Key, KeyValue};
pub use record::{Record, RecordRef};
pub use value::{Decimal, Value};
