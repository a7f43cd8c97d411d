#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Integration tests on the testkit CRM in a MemoryStore, SQLite and PostgreSQL.

mod batch;
mod correct;
mod erase;
mod fault;
mod props;
mod retention;
mod shred;
mod sql;
mod support;
