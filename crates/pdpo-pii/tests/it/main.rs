//! Integration tests of pdpo-pii.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod accuracy;
mod inventory;
mod props;
