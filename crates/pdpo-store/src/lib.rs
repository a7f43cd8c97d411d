//! # pdpo-store
//!
//! SQLite and PostgreSQL adapters that let `pdpo` work on a CRM's **own** tables: point
//! [`SqlStore`] at the existing database and a `pdpo.toml` schema, and every capability (subject
//! access, correction, erasure, retention, inventory) reads and changes the real records.
//!
//! PDPO duties served: finding everything about one person for a data access request (s.18,
//! s.19) and correcting it (s.22); erasing personal data no longer needed (s.26, DPP2(2)) through
//! atomic change sets that never cascade into records the plan did not name; and keeping those
//! changes and their audit events together (DPP4 security), with tenant isolation for CRMs that
//! host many customers' workspaces in shared tables.
//!
//! - [`SqlStore`] implements [`DataStore`](pdpo_core::DataStore): batched `IN` lookups, keyset
//!   [`scan_page`](pdpo_core::DataStore::scan_page) over single or composite keys, JSON columns
//!   (TEXT on SQLite, JSON/JSONB on PostgreSQL), array-of-keys links (JSON arrays via `json_each`
//!   on SQLite; PostgreSQL arrays or JSONB arrays), mixed-case tables such as `"contactNotes"`.
//! - Opening checks the schema against the live catalog: a missing table or column is refused
//!   with an [`Error`] naming the entity, table and column.
//! - [`SqlAuditStore`] keeps pdpo-audit's tamper-evident log in the same database (a table per
//!   month on SQLite, monthly partitions on PostgreSQL, seals, one locked head row);
//!   [`SqlStore::with_audit`] chains each change set's events into it inside the change set's
//!   transaction, and [`SqlAuditStore::append_in`] does so inside a CRM's own sqlx transaction.
//! - [`SqlKeyStore`] implements pdpo-crypto's [`KeyStore`](pdpo_crypto::KeyStore): wrapped data
//!   keys, nonce counters, tombstones and blind-index rows in pdpo's own tables; shredding on
//!   SQLite checkpoints the WAL so the destroyed keys leave the files.
//! - [`SqlRequestStore`] implements pdpo-requests' [`RequestStore`](pdpo_requests::RequestStore):
//!   the request ledger and the s.27 log book, each write one transaction with its audit events.
//! - [`migrate`] keeps pdpo's own tables (blob outbox, events, audit log, keys, requests) in
//!   `_pdpo_migrations`, apart from the CRM's migration history.
//! - [`tenancy`]: a database per workspace ([`Tenancy`]: create, open, list, close, restore
//!   within a grace period, purge after it), next to the shared-table `tenant_column` way.
//! - [`draft_schema`] writes a first `pdpo.toml` from a live database (tables, keys, foreign keys
//!   as links, column types, PII categories suggested from column names).
//!
//! ```
//! use pdpo_core::{ChangeSet, DataStore, Identifier, Key, Record, Schema, SubjectGraph};
//! use pdpo_store::{SqlStore, sqlite_options};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pool = pdpo_store::sqlx::SqlitePool::connect_with(sqlite_options("sqlite::memory:")?).await?;
//! pdpo_store::sqlx::raw_sql(
//!     "CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT);
//!      CREATE TABLE invoices (id INTEGER PRIMARY KEY, contact_id INTEGER REFERENCES contacts (id), total NUMERIC);",
//! )
//! .execute(&pool)
//! .await?;
//! let schema = Schema::from_toml_str(r#"
//!     subject = "contacts"
//!     [purposes]
//!     billing = "Invoicing"
//!     [entities.contacts]
//!     key = "id"
//!     fields.email = { category = "email", purposes = ["billing"] }
//!     [entities.invoices]
//!     key = "id"
//!     links = [{ to = "contacts", foreign_key = "contact_id" }]
//! "#, None)?;
//! let store = SqlStore::open(pool, schema).await?;
//! let mut cs = ChangeSet::new();
//! cs.insert(Record::new(Identifier::new("contacts")?, Key::from(1)).with("email", "chan.taiman@example.hk"));
//! cs.insert(Record::new(Identifier::new("invoices")?, Key::from(10)).with("contact_id", 1));
//! store.apply(cs).await?;
//! let graph = SubjectGraph::collect(&store, &Key::from(1)).await?;
//! assert_eq!(graph.records.len(), 2);
//! # Ok(())
//! # }
//! ```
//!
//! ## Features
//! - `sqlite` (default): SQLite through sqlx, with the bundled C library.
//! - `postgres`: PostgreSQL through sqlx.
//!
//! sqlx 0.9 is part of the API (pools are passed in): it is re-exported as [`sqlx`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("pdpo-store needs a backend: enable the `sqlite` or `postgres` feature");

mod audit;
mod backend;
mod column;
mod draft;
mod error;
mod events;
mod introspect;
mod keys;
mod migrate;
mod requests;
mod sql;
mod store;
pub mod tenancy;

pub use audit::{AuditConnection, SqlAuditStore};
pub use backend::Pool;
pub use draft::{draft_schema, suggest_category};
pub use error::{Error, Result};
pub use keys::SqlKeyStore;
pub use migrate::{MIGRATIONS, Migration, migrate};
pub use requests::SqlRequestStore;
pub use store::SqlStore;
pub use tenancy::{Tenancy, TenancyError, WorkspaceChange, WorkspaceInfo, WorkspaceOp, WorkspaceState};

pub use sqlx;

/// SQLite connection options for pdpo: foreign keys enforced, WAL journal, `secure_delete=ON`
/// (deleted personal data is overwritten, not left in free pages), a 5 s busy timeout, up to
/// 1024 rows handed over from the connection's worker thread at a time (sqlx's default of 50
/// makes long scans, such as audit verification, pay a thread hand-off every 50 rows), and the
/// file created if missing.
#[cfg(feature = "sqlite")]
pub fn sqlite_options(url: &str) -> Result<sqlx::sqlite::SqliteConnectOptions> {
    use std::str::FromStr;
    let opts =
        sqlx::sqlite::SqliteConnectOptions::from_str(url).map_err(Error::db("parsing the SQLite URL"))?;
    Ok(configure_sqlite(opts))
}

/// The settings of [`sqlite_options`], applied to `opts`.
#[cfg(feature = "sqlite")]
pub(crate) fn configure_sqlite(
    opts: sqlx::sqlite::SqliteConnectOptions,
) -> sqlx::sqlite::SqliteConnectOptions {
    opts.foreign_keys(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .pragma("secure_delete", "ON")
        .busy_timeout(std::time::Duration::from_secs(5))
        .row_buffer_size(1024)
        .create_if_missing(true)
}
