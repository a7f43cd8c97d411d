//! Integration tests of pdpo-audit (one binary).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod checkpoints;
mod concurrency;
mod fixture;
mod golden;
mod paged;
mod props;
mod queries;
mod retention;
mod tamper;
