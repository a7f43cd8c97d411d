//! Integration tests for pdpo-export.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod browser;
mod fixture;
mod names;
mod subject;
mod workspace;
