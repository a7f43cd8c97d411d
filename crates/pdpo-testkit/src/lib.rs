//! # pdpo-testkit
//!
//! A sample Hong Kong CRM that every `pdpo` test, example and bench shares, so they all measure
//! the same thing: its `pdpo.toml` ([`SCHEMA_TOML`], [`schema()`]), its DDL for SQLite and
//! PostgreSQL ([`SQLITE_DDL`], [`POSTGRES_DDL`]), and a deterministic seeded [`Generator`] of
//! realistic data for 100 to 1,000,000 contacts, with the ground truth tests need (which free text
//! mentions which personal data, which contacts are the same person).
//!
//! **Every generated value is synthetic.** Names are drawn from common Hong Kong surnames and
//! given-name syllables; HKIDs have correct check digits but are handed out by a permutation, not
//! issued; mobile and fixed-line numbers are random within the right prefix classes (they may
//! belong to real subscribers: never dial or text them); email domains are reserved for
//! documentation (`example.com`, `*.example`), IP addresses come from the RFC 5737 documentation
//! ranges, and card numbers are the public test numbers.
//!
//! ## The data model
//!
//! | table | key | reaches the contact by | personal data |
//! |---|---|---|---|
//! | `contacts` (subject) | `id` | — | names (EN, 中文), HKID\*, phone, email, address, date of birth\*, notes, JSON `custom_fields` and `extra_emails` |
//! | `companies` | `id` | `referenced_by` `contacts.company_id` | notes |
//! | `deals` | `id` | `array` `contact_ids` (JSON) | notes |
//! | `conversations` | `id` | `join` through `conversation_participants` | topic |
//! | `conversation_participants` | (`conversation_id`, `contact_id`) | (join rows) | — |
//! | `messages` | `id` | `foreign_key` `sender_id`, `recipient_id`; via `conversation_id` | body; `sender_name` about the sender, `recipient_address` about the recipient |
//! | `attachments` | `id` | `foreign_key` `contact_id` | `blob_id` (bytes in a `BlobStore`), file name |
//! | `invoices` (`erase = "keep"`, IRO s.51C) | `id` | `foreign_key` `contact_id` | bill-to name and address |
//! | `invoice_lines` | (`invoice_id`, `line_no`) | `foreign_key` `invoice_id` → invoices | — |
//! | `marketing_consents` | `id` | `foreign_key` `contact_id` | IP address |
//! | `activities` | `id` | `foreign_key` `contact_id` | body |
//! | `staff_users` | `id` | — (actors, not subjects) | untagged on purpose |
//!
//! \* `encrypt = true`; the generator emits plaintext, which `pdpo-crypto` encrypts.
//!
//! Keys of records owned by contact `c` are `c * 1_000_000 + n` ([`ID_STRIDE`]). A record shared
//! with earlier contacts (a message between two contacts, a deal or conversation with several)
//! belongs to the group of the latest contact involved, so groups load in key order with every
//! foreign key resolving. Each contact with an HKID on file has exactly one `hkid_scan` attachment:
//! a small greyscale PNG placeholder showing the card number.
//!
//! ## The distribution
//!
//! Each contact draws an [`Activity`] level that scales everything it owns:
//!
//! | activity | share | messages | invoices (customers) | activities | attachments (besides the HKID scan) |
//! |---|---|---|---|---|---|
//! | dormant | 35 % | 0–2 | 0–1 | 0–2 | 0 |
//! | regular | 50 % | 1–12 | 0–3 | 0–3 | 0–1 |
//! | active | 14 % | 12–150 (log-uniform) | 2–10 | 3–12 | 1–3 |
//! | heavy | 0.9 % | 150–900 (log-uniform) | 5–30 | 10–50 | 2–6 |
//! | extreme | 0.1 % | 1,000–5,000 (log-uniform) | 10–40 | 20–100 | 3–8 |
//!
//! Over 100,000 contacts (seed [`DEFAULT_SEED`]) that gives 3.42 million records:
//!
//! | per contact group | mean | p50 | p90 | p99 | max |
//! |---|---|---|---|---|---|
//! | records | 34.2 | 15 | 73 | 244 | 6,999 |
//! | messages | 17.0 | 4 | 29 | 149 | 4,781 |
//!
//! (`cargo run -p pdpo-testkit --example distribution --release -- 100000` prints these tables
//! and the totals per entity.) A group counts the records the contact owns; a contact's subject
//! graph is larger when later contacts share conversations or deals with it. 1 % of contacts are a
//! second row for an earlier contact's person ([`Generator::duplicates`], [`DuplicateKind`]).
//!
//! Generation runs on one thread at roughly 14,000 contacts (480,000 records) per second of CPU
//! time, release build: 1,000,000 contacts (34.9 million records) took 73 s of CPU with a 27 MB
//! peak resident set, measured on a shared 2-core machine, so treat the figures as rough.
//!
//! ## Example
//!
//! ```
//! use pdpo_core::{DataStore, Key, SubjectGraph};
//! use pdpo_testkit::{Generator, ids::hkid_is_valid, load_memory, load::block_on};
//!
//! let generator = Generator::new(200, 7);
//! // Same seed, same data; any contact's group can be generated on its own.
//! let group = generator.group(42).unwrap();
//! assert_eq!(group.contact_id, 42);
//! let hkid = group.contact().unwrap().get("hkid").and_then(|v| v.as_text().map(str::to_owned));
//! assert!(hkid.is_none_or(|h| hkid_is_valid(&h)));
//!
//! // Load everything into a MemoryStore and collect one person's records.
//! let loaded = load_memory(&generator)?;
//! let graph = block_on(SubjectGraph::collect(&loaded.store, &Key::from(42)))?;
//! assert!(graph.len() >= group.records_of("messages").count());
//! # Ok::<(), pdpo_core::StoreError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod generate;
mod hk;
pub mod ids;
pub mod load;
mod person;
mod png;
mod rng;
mod text;

use std::path::Path;
use std::sync::OnceLock;

use pdpo_core::Schema;

pub use generate::{
    Activity, Blob, COMPANY_EVERY, ContactGroup, DEFAULT_SEED, DUPLICATE_RATE, DuplicateKind, DuplicatePair,
    Generator, Groups, ID_STRIDE, REFERENCE_NOW_SECS, STAFF_COUNT, TextPii, entity, reference_now,
};
pub use load::{LoadStats, Loaded, load, load_memory, load_with_progress};
pub use text::PiiSpan;

/// The sample CRM's `pdpo.toml`.
pub const SCHEMA_TOML: &str = include_str!("../pdpo.toml");

/// The sample CRM's tables and indexes for SQLite (run with `PRAGMA foreign_keys = ON`):
/// [`SQLITE_TABLES`] then [`SQLITE_INDEXES`].
pub const SQLITE_DDL: &str =
    concat!(include_str!("../sql/sqlite-tables.sql"), include_str!("../sql/sqlite-indexes.sql"));

/// The sample CRM's tables for SQLite, with their keys and constraints but without the
/// secondary indexes of [`SQLITE_INDEXES`].
///
/// A bulk load into a new database runs this, loads, then runs [`SQLITE_INDEXES`]: building
/// each index once over the loaded rows is cheaper than keeping it up to date row by row.
pub const SQLITE_TABLES: &str = include_str!("../sql/sqlite-tables.sql");

/// The secondary indexes of the sample CRM on SQLite (see [`SQLITE_TABLES`]).
pub const SQLITE_INDEXES: &str = include_str!("../sql/sqlite-indexes.sql");

/// The sample CRM's tables and indexes for PostgreSQL: [`POSTGRES_TABLES`] then
/// [`POSTGRES_INDEXES`].
pub const POSTGRES_DDL: &str =
    concat!(include_str!("../sql/postgres-tables.sql"), include_str!("../sql/postgres-indexes.sql"));

/// The sample CRM's tables for PostgreSQL without the secondary indexes of
/// [`POSTGRES_INDEXES`] (see [`SQLITE_TABLES`] for why).
pub const POSTGRES_TABLES: &str = include_str!("../sql/postgres-tables.sql");

/// The secondary indexes of the sample CRM on PostgreSQL (see [`POSTGRES_TABLES`]).
pub const POSTGRES_INDEXES: &str = include_str!("../sql/postgres-indexes.sql");

/// One foreign key of the DDL: `(table, columns, referenced table)`; the referenced columns are
/// the referenced table's primary key. Includes the keys to `staff_users`, which the schema
/// does not declare as links (staff are actors, not subjects).
pub type ForeignKey = (&'static str, &'static [&'static str], &'static str);

/// Every foreign key of [`SQLITE_DDL`] and [`POSTGRES_DDL`].
pub const FOREIGN_KEYS: &[ForeignKey] = &[
    ("contacts", &["company_id"], "companies"),
    ("contacts", &["owner_staff_id"], "staff_users"),
    ("deals", &["company_id"], "companies"),
    ("deals", &["owner_staff_id"], "staff_users"),
    ("conversation_participants", &["conversation_id"], "conversations"),
    ("conversation_participants", &["contact_id"], "contacts"),
    ("messages", &["conversation_id"], "conversations"),
    ("messages", &["sender_id"], "contacts"),
    ("messages", &["recipient_id"], "contacts"),
    ("messages", &["staff_user_id"], "staff_users"),
    ("attachments", &["contact_id"], "contacts"),
    ("invoices", &["contact_id"], "contacts"),
    ("invoice_lines", &["invoice_id"], "invoices"),
    ("marketing_consents", &["contact_id"], "contacts"),
    ("activities", &["contact_id"], "contacts"),
    ("activities", &["staff_user_id"], "staff_users"),
];

/// The sample CRM's schema, parsed from [`SCHEMA_TOML`] once per process.
pub fn schema() -> Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            // Invariant: the embedded pdpo.toml is valid; the `schema_loads` test checks it on
            // every build, so this cannot fail at run time.
            #[allow(clippy::expect_used)]
            Schema::from_toml_str(SCHEMA_TOML, Some(Path::new("crates/pdpo-testkit/pdpo.toml")))
                .expect("the embedded pdpo.toml is valid")
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_loads() {
        let s = Schema::from_toml_str(SCHEMA_TOML, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.subject().as_str(), "contacts");
        assert_eq!(s.entities().len(), entity::ALL.len());
        for e in entity::ALL {
            assert!(s.entity(&e).is_some(), "{e}");
        }
    }

    #[test]
    fn foreign_keys_are_in_both_ddls() {
        for (table, cols, to) in FOREIGN_KEYS {
            let needle = format!("{} {}", cols[0], "");
            for ddl in [SQLITE_DDL, POSTGRES_DDL] {
                let body =
                    ddl.split(&format!("CREATE TABLE {table} (")).nth(1).unwrap().split(");").next().unwrap();
                let line = body.lines().find(|l| l.trim_start().starts_with(needle.trim_end())).unwrap();
                assert!(line.contains(&format!("REFERENCES {to} (id)")), "{table}.{}: {line}", cols[0]);
            }
        }
    }
}
