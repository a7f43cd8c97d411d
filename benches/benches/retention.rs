//! pdpo-retention benches: guard check per record, evaluation throughput, and a plan over
//! ~100k records in MemoryStore (the SQLite figure needs pdpo-store).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pdpo_core::{
    ChangeSet, DataStore, DisposalGuard, DisposalQuery, Hold, HoldScope, Identifier, Key, MemoryStore,
    Record, Schema,
};
use pdpo_retention::{HoldSet, Policy, RetentionGuard, RetentionPlan};

const SCHEMA: &str = r#"
subject = "contacts"
[entities.contacts]
key = "id"
lifecycle = { created = "created_at", last_activity = "last_activity_at" }
fields.status = { type = "text" }
[entities.invoices]
key = "id"
links = [{ to = "contacts", foreign_key = "contact_id" }]
fields.issued_at = { type = "timestamp" }
[entities.marketing_consents]
key = "id"
links = [{ to = "contacts", foreign_key = "contact_id" }]
fields.given_at = { type = "timestamp" }
[entities.request_log_book]
key = "id"
links = [{ to = "contacts", foreign_key = "contact_id" }]
fields.entered_at = { type = "timestamp" }
"#;

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2014, 1, 1, 0, 0, 0).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn id(s: &str) -> Identifier {
    Identifier::new(s).unwrap()
}

/// Records for `contacts` contacts: two invoices each, a consent for one in two, a log-book entry
/// for one in ten. Dates spread over 12 years.
fn records(contacts: i64) -> Vec<Record> {
    let mut out = Vec::new();
    let day = |i: i64, k: i64| base() + Duration::days((i * 7919 + k * 104_729) % 4400);
    for i in 1..=contacts {
        let status = if i % 3 == 0 { "customer" } else { "lead" };
        out.push(
            Record::new(id("contacts"), Key::from(i))
                .with("status", status)
                .with("last_activity_at", day(i, 1)),
        );
    }
    for i in 1..=contacts {
        for k in 0..2 {
            out.push(
                Record::new(id("invoices"), Key::from(i * 2 + k))
                    .with("contact_id", i)
                    .with("issued_at", day(i, 2 + k)),
            );
        }
        if i % 2 == 0 {
            out.push(
                Record::new(id("marketing_consents"), Key::from(i))
                    .with("contact_id", i)
                    .with("given_at", day(i, 5)),
            );
        }
        if i % 10 == 0 {
            out.push(
                Record::new(id("request_log_book"), Key::from(i))
                    .with("contact_id", i)
                    .with("entered_at", day(i, 6)),
            );
        }
    }
    out
}

fn holds() -> HoldSet {
    (0..100)
        .map(|i| match i % 3 {
            0 => Hold::new(HoldScope::Subject(Key::from(i * 37)), "Litigation", base()),
            1 => Hold::new(
                HoldScope::Record(pdpo_core::RecordRef::new(id("invoices"), Key::from(i * 11))),
                "Audit",
                base(),
            ),
            _ => Hold::new(HoldScope::Entity(id("deals")), "Inquiry", base()).until(now()),
        })
        .collect()
}

fn guard(c: &mut Criterion) {
    let schema = Schema::from_toml_str(SCHEMA, None).unwrap();
    let policy = Arc::new(Policy::testkit_default(&schema).unwrap());
    let g = RetentionGuard::new(Arc::clone(&policy), holds());
    let invoice_kept = Record::new(id("invoices"), Key::from(5))
        .with("contact_id", 2)
        .with("issued_at", Utc.with_ymd_and_hms(2022, 1, 1, 0, 0, 0).unwrap());
    let lead =
        Record::new(id("contacts"), Key::from(4)).with("status", "lead").with("last_activity_at", base());
    let now = now();
    let mut group = c.benchmark_group("retention/guard_check");
    group.throughput(Throughput::Elements(1));
    group.bench_function("retained_by_keep_rule", |b| {
        b.iter(|| black_box(g.check(&DisposalQuery::new(black_box(&invoice_kept), now))));
    });
    group.bench_function("allowed", |b| {
        b.iter(|| black_box(g.check(&DisposalQuery::new(black_box(&lead), now))))
    });
    group.finish();
}

fn evaluate(c: &mut Criterion) {
    let schema = Schema::from_toml_str(SCHEMA, None).unwrap();
    let policy = Policy::testkit_default(&schema).unwrap();
    let h = holds();
    let recs = records(2_000);
    let now = now();
    let mut group = c.benchmark_group("retention/evaluate");
    group.throughput(Throughput::Elements(recs.len() as u64));
    group.bench_function(BenchmarkId::new("records", recs.len()), |b| {
        b.iter(|| {
            for r in &recs {
                black_box(policy.evaluate(r, &h, now));
            }
        });
    });
    group.finish();
}

fn plan(c: &mut Criterion) {
    let schema = Schema::from_toml_str(SCHEMA, None).unwrap();
    let policy = Policy::testkit_default(&schema).unwrap();
    let store = MemoryStore::new(schema);
    let recs = records(28_600);
    let n = recs.len();
    let mut cs = ChangeSet::new();
    for r in recs {
        cs.insert(r);
    }
    pollster::block_on(store.apply(cs)).unwrap();
    let h = holds();
    let mut group = c.benchmark_group("retention/plan_memory");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function(BenchmarkId::new("records", n), |b| {
        b.iter(|| {
            let mut plan = RetentionPlan::new(&policy, now(), 20);
            pollster::block_on(plan.run_to_end(&policy, &h, &store, 1000)).unwrap();
            assert_eq!(plan.summary().records, n as u64);
            black_box(plan.summary().executable)
        });
    });
    group.finish();
}

criterion_group!(benches, guard, evaluate, plan);
criterion_main!(benches);
