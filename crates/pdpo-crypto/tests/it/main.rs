//! Integration tests of pdpo-crypto.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod envelope;
mod kek;
mod nonce;
mod shred;
mod store;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use pdpo_core::FixedClock;
use pdpo_crypto::{KeyFileKek, KeyRing, MemoryKeyStore};

pub(crate) type Ring = KeyRing<MemoryKeyStore, Arc<KeyFileKek>>;

pub(crate) fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()))
}

/// A ring over a fresh in-memory store and KEK; returns the store and KEK handles too.
pub(crate) fn ring() -> (Ring, MemoryKeyStore, Arc<KeyFileKek>) {
    let store = MemoryKeyStore::new();
    let kek = Arc::new(KeyFileKek::generate().unwrap());
    (KeyRing::new(store.clone(), Arc::clone(&kek), clock()), store, kek)
}

pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}
