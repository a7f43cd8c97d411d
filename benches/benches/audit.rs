//! pdpo-audit benches: in-memory append and verify (targets: ≥ 1M events/s each), plus the
//! pieces they are made of (canonical encoding, entry hash), a subject query, and raw SHA-256 of
//! the same length as calibration (on a shared machine, compare the figures with it).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use pdpo_audit::{Body, MemoryAuditStore, Month, Query, Scope, query, verify};
use pdpo_core::{Actor, AuditAction, AuditEvent, FixedClock, Identifier, Key, Purpose, RecordRef};

const ORIGIN: Identifier = Identifier::from_static("bench");

/// A typical event: a member of staff viewing two fields of one contact (about 150 bytes encoded).
fn event(n: u64) -> AuditEvent {
    let at = Utc.with_ymd_and_hms(2026, 1, 10, 2, 0, 0).unwrap() + Duration::seconds(n as i64);
    let subject = Key::from((n % 50_000) as i64);
    AuditEvent::new(AuditAction::View, Actor::user(format!("staff-{}", n % 40)).unwrap(), at)
        .with_subject(subject.clone())
        .with_record(RecordRef::new(Identifier::from_static("contacts"), subject))
        .with_fields(["email", "phone"])
        .unwrap()
        .with_purpose(Purpose::new("customer_service").unwrap())
}

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 10, 2, 0, 0).unwrap()))
}

/// A log of `n` events spread over two months (one seal).
fn filled(n: u64) -> MemoryAuditStore {
    let clock = clock();
    let log = MemoryAuditStore::with_clock(ORIGIN, clock.clone());
    let events: Vec<_> = (0..n).map(event).collect();
    for (i, chunk) in events.chunks(1000).enumerate() {
        if i as u64 == n / 2000 {
            clock.set(Month::new(2026, 2).unwrap().start() + Duration::hours(1));
        }
        log.append_now(chunk).unwrap();
    }
    log
}

fn append(c: &mut Criterion) {
    let mut g = c.benchmark_group("audit/append");
    for batch in [1_000u64, 10_000] {
        let events: Vec<_> = (0..batch).map(event).collect();
        g.throughput(Throughput::Elements(batch));
        g.bench_function(format!("memory/batch-{batch}"), |b| {
            b.iter_batched(
                || MemoryAuditStore::with_clock(ORIGIN, clock()),
                |log| {
                    log.append_now(black_box(&events)).unwrap();
                    log
                },
                BatchSize::LargeInput,
            );
        });
    }
    let one = [event(1)];
    g.throughput(Throughput::Elements(1));
    let log = MemoryAuditStore::with_clock(ORIGIN, clock());
    g.bench_function("memory/single", |b| b.iter(|| log.append_now(black_box(&one)).unwrap()));
    g.finish();
}

fn verify_log(c: &mut Criterion) {
    let mut g = c.benchmark_group("audit/verify");
    g.sample_size(20);
    let n = 200_000;
    let log = filled(n);
    g.throughput(Throughput::Elements(n));
    g.bench_function("memory/all-200k", |b| {
        b.iter(|| {
            let report = pollster::block_on(verify(&log, Scope::All)).unwrap();
            assert!(report.is_clean());
            report
        });
    });
    g.finish();
}

fn parts(c: &mut Criterion) {
    let mut g = c.benchmark_group("audit/parts");
    let e = event(7);
    g.throughput(Throughput::Elements(1));
    g.bench_function("encode", |b| b.iter(|| Body::encode(black_box(&e)).unwrap()));
    let log = filled(2);
    let snap = log.snapshot();
    let (&month, rows) = snap.partitions.iter().next().unwrap();
    let row = &rows[0];
    g.bench_function("entry-hash", |b| b.iter(|| black_box(row).compute_hash(month)));
    // What the entry hash costs at the least: SHA-256 of the same number of bytes.
    let same_len = vec![7u8; 54 + row.body.len()];
    g.bench_function(format!("sha256-{}B", same_len.len()), |b| {
        b.iter(|| <sha2::Sha256 as sha2::Digest>::digest(black_box(&same_len)))
    });
    g.finish();

    let mut g = c.benchmark_group("audit/query");
    g.sample_size(20);
    let n = 100_000;
    let log = filled(n);
    g.throughput(Throughput::Elements(n));
    let q = Query::new().subject(Key::from(123));
    g.bench_function("memory/subject-100k", |b| b.iter(|| pollster::block_on(query(&log, &q)).unwrap()));
    g.finish();
}

criterion_group!(benches, append, verify_log, parts);
criterion_main!(benches);
