//! `SqlKeyStore` on SQLite (a WAL file with pdpo's `sqlite_options`): the cost of opening a field
//! with its data key cached vs. loaded (SQL read + KEK unwrap + AES key set-up), and the rate of
//! nonce-block reservations (one auto-committed `UPDATE ... RETURNING` each).
//!
//! `cargo bench -p pdpo-bench --bench keystore` (medians in
//! `target/criterion/keystore_sqlite/*/new/estimates.json`).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::hint::black_box;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pdpo_core::{Key, SystemClock};
use pdpo_crypto::{
    DataKey, Decrypted, FieldCipher, FieldContext, KeyEncryptionKey, KeyFileKek, KeyLookup, KeyOwner,
    KeyRing, KeyStore,
};
use pdpo_store::{SqlKeyStore, sqlite_options, sqlx};

/// Polls a future that never waits (every key it needs is cached) without an executor.
fn now<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn keystore(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("keys.db").display());
    let keys = rt.block_on(async {
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(sqlite_options(&url).unwrap())
            .await
            .unwrap();
        SqlKeyStore::open(pool).await.unwrap()
    });
    let ring = KeyRing::new(keys.clone(), KeyFileKek::generate().unwrap(), Arc::new(SystemClock));
    let subject = Key::from(7);
    let ctx = FieldContext::new("contacts", "hkid").subject(&subject).record(&subject);
    let envelope = rt.block_on(ring.encrypt(&ctx, b"A123456(3)")).unwrap();
    let row = rt.block_on(keys.active(None, &KeyOwner::Subject(subject.clone()))).unwrap().unwrap();

    let mut g = c.benchmark_group("keystore_sqlite");
    g.bench_function("decrypt_hkid_cached_key", |b| {
        rt.block_on(ring.decrypt(&ctx, &envelope)).unwrap();
        b.iter(|| {
            let out = now(ring.decrypt(black_box(&ctx), black_box(&envelope))).unwrap();
            assert!(matches!(out, Decrypted::Plaintext(_)));
        });
    });
    g.bench_function("decrypt_hkid_uncached_key", |b| {
        b.iter(|| {
            ring.clear_cache();
            rt.block_on(ring.decrypt(black_box(&ctx), black_box(&envelope))).unwrap()
        });
    });
    g.bench_function("get_unwrap_setup", |b| {
        b.iter(|| {
            let KeyLookup::Found(row) = rt.block_on(keys.get(black_box(row.id))).unwrap() else { panic!() };
            let secret = now(ring.kek().unwrap(&row)).unwrap();
            DataKey::new(row.id, &secret)
        });
    });
    g.bench_function("unwrap_setup_only", |b| {
        b.iter(|| {
            let secret = now(ring.kek().unwrap(black_box(&row))).unwrap();
            DataKey::new(row.id, &secret)
        });
    });
    g.throughput(Throughput::Elements(1));
    g.bench_function("reserve_nonces", |b| {
        b.iter(|| rt.block_on(keys.reserve_nonces(black_box(row.id), 1024)).unwrap());
    });
    g.throughput(Throughput::Elements(1));
    g.bench_function("encrypt_hkid_cached_key", |b| {
        b.iter(|| rt.block_on(ring.encrypt(black_box(&ctx), black_box(b"A123456(3)"))).unwrap());
    });
    g.finish();
}

criterion_group!(benches, keystore);
criterion_main!(benches);
