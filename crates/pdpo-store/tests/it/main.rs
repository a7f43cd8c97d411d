//! Integration tests of pdpo-store: the DataStore conformance suite on SQLite and PostgreSQL,
//! schema checks at open, migrations, fault injection, database-per-workspace tenancy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;
mod audit;
mod conformance;
mod faults;
mod keys;
mod open;
mod pg_bulk;
mod requests;
mod resolve;
mod shred_disk;
mod tenancy;
mod testkit;
mod updates;
