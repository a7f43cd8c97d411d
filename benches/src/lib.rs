//! Shared helpers for the pdpo benches.
#![forbid(unsafe_code)]
