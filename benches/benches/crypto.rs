//! pdpo-crypto benches: field encryption and decryption (16/64/256 bytes), data-key unwrap and
//! set-up, and the cost of `EncryptingStore` on `SubjectGraph::collect` for ~100 records.
//!
//! The async APIs are driven by polling once with a no-op waker: every store here is in memory and
//! never returns `Pending`, so no executor overhead is measured.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::hint::black_box;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use aes_gcm::aead::{AeadInOut, KeyInit};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pdpo_core::{
    ChangeSet, DataStore, Identifier, Key, MemoryStore, Record, Schema, SubjectGraph, SystemClock,
};
use pdpo_crypto::{
    DataKey, EncryptingStore, FieldCipher, FieldContext, IndexKind, KeyEncryptionKey, KeyFileKek, KeyRing,
    MemoryKeyStore, SecretKey,
};

fn now<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

type Ring = KeyRing<MemoryKeyStore, KeyFileKek>;

fn ring() -> Ring {
    KeyRing::new(MemoryKeyStore::new(), KeyFileKek::generate().unwrap(), Arc::new(SystemClock))
}

fn field_crypto(c: &mut Criterion) {
    let ring = ring();
    let subject = Key::from(42);
    let ctx = FieldContext::new("contacts", "hkid").tenant("acme").subject(&subject).record(&subject);
    let mut g = c.benchmark_group("crypto/field");
    g.throughput(Throughput::Elements(1));
    for size in [16usize, 64, 256] {
        let pt = vec![0x42u8; size];
        // Warm: key created, unwrapped and cached, first nonce block reserved.
        let env = now(ring.encrypt(&ctx, &pt)).unwrap();
        g.bench_with_input(BenchmarkId::new("encrypt", size), &pt, |b, pt| {
            b.iter(|| now(ring.encrypt(black_box(&ctx), black_box(pt))).unwrap());
        });
        g.bench_with_input(BenchmarkId::new("decrypt", size), &env, |b, env| {
            b.iter(|| now(ring.decrypt(black_box(&ctx), black_box(env))).unwrap());
        });
        // Baseline on the same (shared, noisy) machine: bare aes-gcm with a fixed key schedule,
        // fixed nonce and 80 bytes of associated data, no envelope, no key lookup.
        let raw = aes_gcm::Aes256Gcm::new(&[7u8; 32].into());
        let nonce = aes_gcm::Nonce::from([1u8; 12]);
        let aad = [9u8; 80];
        g.bench_with_input(BenchmarkId::new("raw_aes_gcm_encrypt", size), &pt, |b, pt| {
            b.iter(|| {
                let mut buf = pt.clone();
                let tag =
                    raw.encrypt_inout_detached(&nonce, black_box(&aad), buf.as_mut_slice().into()).unwrap();
                (buf, tag)
            });
        });
    }
    g.finish();
}

fn key_setup(c: &mut Criterion) {
    let ring = ring();
    let subject = Key::from(7);
    let ctx = FieldContext::new("contacts", "hkid").subject(&subject);
    now(ring.encrypt(&ctx, b"x")).unwrap();
    let row = ring.store().rows().remove(0);
    let mut g = c.benchmark_group("crypto/key");
    g.bench_function("unwrap_and_setup", |b| {
        b.iter(|| {
            let secret = now(ring.kek().unwrap(black_box(&row))).unwrap();
            DataKey::new(row.id, &secret)
        });
    });
    let secret = SecretKey::generate().unwrap();
    g.bench_function("setup_only", |b| b.iter(|| DataKey::new(row.id, black_box(&secret))));
    g.bench_function("blind_index_email", |b| {
        b.iter(|| {
            now(ring.blind_index(Some("acme"), &IndexKind::Email, black_box(" Chan.TaiMan@Example.HK ")))
                .unwrap()
        });
    });
    g.finish();
}

const SCHEMA: &str = r#"
    subject = "contacts"
    [entities.contacts]
    key = "id"
    fields.name = { category = "name" }
    fields.email = { category = "email", encrypt = true }
    fields.hkid = { category = "hkid", encrypt = true }
    [entities.invoices]
    key = "id"
    links = [{ to = "contacts", foreign_key = "contact_id" }]
    fields.billing_address = { category = "address", encrypt = true }
    fields.total = {}
"#;

fn seed<D: DataStore>(store: &D) {
    let contacts = Identifier::new("contacts").unwrap();
    let invoices = Identifier::new("invoices").unwrap();
    let mut cs = ChangeSet::new();
    for cid in 1..=3i64 {
        cs.insert(
            Record::new(contacts.clone(), Key::from(cid))
                .with("name", format!("Contact {cid}"))
                .with("email", format!("c{cid}@example.hk"))
                .with("hkid", "A123456(3)"),
        );
        // Subject 1 has 99 invoices: 100 records in its graph.
        let n = if cid == 1 { 99 } else { 10 };
        for i in 0..n {
            cs.insert(
                Record::new(invoices.clone(), Key::from(cid * 1000 + i))
                    .with("contact_id", cid)
                    .with("billing_address", format!("Flat {i}, 1 Queen's Road Central, Hong Kong"))
                    .with("total", "880.00"),
            );
        }
    }
    now(store.apply(cs)).unwrap();
}

fn collect(c: &mut Criterion) {
    let schema = Schema::from_toml_str(SCHEMA, None).unwrap();
    let plain = MemoryStore::new(schema.clone());
    seed(&plain);
    let enc = EncryptingStore::new(MemoryStore::new(schema), ring()).unwrap().with_tenant("acme");
    seed(&enc);
    let subject = Key::from(1);
    assert_eq!(now(SubjectGraph::collect(&plain, &subject)).unwrap().len(), 100);
    assert_eq!(now(SubjectGraph::collect(&enc, &subject)).unwrap().len(), 100);
    let mut g = c.benchmark_group("crypto/collect_100");
    g.bench_function("memory_store", |b| {
        b.iter(|| now(SubjectGraph::collect(&plain, black_box(&subject))).unwrap())
    });
    g.bench_function("encrypting_store", |b| {
        b.iter(|| now(SubjectGraph::collect(&enc, black_box(&subject))).unwrap())
    });
    g.finish();
}

criterion_group!(benches, field_crypto, key_setup, collect);
criterion_main!(benches);
