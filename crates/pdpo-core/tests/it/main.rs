//! Integration tests for pdpo-core.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod conformance;
mod graph;
mod memory_props;
mod schema_errors;
mod schema_mutations;
