//! Integration tests for pdpo-requests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod clock;
mod ledger;
mod notices;
mod resolve;
