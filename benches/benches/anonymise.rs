//! pdpo-anonymise benches, on MemoryStore and on SQLite (pdpo-store's `SqlStore`, a temp file
//! with `sqlite_options`): erase one subject with ~50 records, a subject with 10,000 records,
//! and a batch of 100 subjects with `Eraser::erase_many` (one transaction; subjects/s = 100 /
//! median), and on SQLite the same 100 subjects erased one by one for comparison.
//!
//! Every iteration erases from a fresh copy of the data (untimed setup: a MemoryStore load, or
//! a copy of a prepared SQLite file opened as a new `SqlStore`).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use pdpo_anonymise::{Anonymiser, Eraser, NoKeys};
use pdpo_core::{
    Actor, ChangeSet, DataStore, FixedClock, Identifier, Key, MemoryBlobStore, MemoryStore, Record,
    SubjectGraph,
};
use pdpo_retention::{HoldSet, Policy, RetentionGuard};
use pdpo_store::{SqlStore, sqlite_options, sqlx};
use pdpo_testkit::{Generator, load, load_memory};

fn eraser(schema: &pdpo_core::Schema, anonymiser: &Anonymiser) -> Eraser<RetentionGuard> {
    let policy = Policy::testkit_default(schema).unwrap();
    let guard = RetentionGuard::new(Arc::new(policy), HoldSet::new());
    let clock = Arc::new(FixedClock::new(pdpo_testkit::reference_now()));
    Eraser::new(anonymiser.clone(), guard, clock, Actor::user("bench").unwrap())
}

/// One contact with `n` activities and `n` messages, each mentioning a phone.
fn big_subject_changes(n: i64) -> ChangeSet {
    let mut cs = ChangeSet::new();
    let id = |s: &str| Identifier::new(s).unwrap();
    cs.insert(
        Record::new(id("contacts"), Key::from(1))
            .with("name_en", "CHAN Tai Man")
            .with("email", "chan.taiman@example.com")
            .with("phone", "+852 9123 4567")
            .with("status", "customer")
            .with("notes", "Prefers WhatsApp on 9123 4567"),
    );
    for i in 0..n {
        cs.insert(
            Record::new(id("activities"), Key::from(1_000_000 + i))
                .with("contact_id", 1)
                .with("body", format!("Call {i}: CHAN Tai Man asked to use 6123 4567 instead")),
        );
        cs.insert(
            Record::new(id("messages"), Key::from(2_000_000 + i))
                .with("sender_id", 1)
                .with("sender_name", "CHAN Tai Man")
                .with("body", format!("Hi, this is Tai Man, my email is chan.taiman@example.com ({i})")),
        );
    }
    cs
}

fn big_subject(n: i64) -> MemoryStore {
    let store = MemoryStore::new(pdpo_testkit::schema());
    pollster::block_on(store.apply(big_subject_changes(n))).unwrap();
    store
}

/// The subject among the first `n` whose graph size is closest to `want`.
fn subject_near(store: &MemoryStore, n: i64, want: usize) -> (i64, usize) {
    (1..=n)
        .map(|i| (i, pollster::block_on(SubjectGraph::collect(store, &Key::from(i))).unwrap().len()))
        .min_by_key(|(_, len)| len.abs_diff(want))
        .unwrap()
}

fn memory(c: &mut Criterion) {
    let anonymiser = Anonymiser::hong_kong().unwrap();
    let generator = Generator::new(120, 11);
    let probe = load_memory(&generator).unwrap();
    let (subject, size) = subject_near(&probe.store, 120, 50);
    let eraser50 = eraser(probe.store.schema(), &anonymiser);

    let mut g = c.benchmark_group("anonymise");
    g.sample_size(20);
    g.bench_function(format!("erase_one_subject_{size}_records_memory"), |b| {
        b.iter_batched(
            || load_memory(&generator).unwrap(),
            |loaded| pollster::block_on(eraser50.erase(&loaded.store, &Key::from(subject), &NoKeys)).unwrap(),
            BatchSize::PerIteration,
        );
    });

    g.sample_size(10);
    let big = eraser(&pdpo_testkit::schema(), &anonymiser);
    g.bench_function("erase_subject_10k_records_memory", |b| {
        b.iter_batched(
            || big_subject(5_000),
            |store| pollster::block_on(big.erase(&store, &Key::from(1), &NoKeys)).unwrap(),
            BatchSize::PerIteration,
        );
    });

    let batch = Generator::new(200, 13);
    let eraser_batch = eraser(probe.store.schema(), &anonymiser);
    g.bench_function("erase_batch_100_subjects_memory", |b| {
        b.iter_batched(
            || load_memory(&batch).unwrap(),
            |loaded| {
                let subjects: Vec<Key> = (1..=100).map(Key::from).collect();
                pollster::block_on(eraser_batch.erase_many(&loaded.store, &subjects, &NoKeys)).unwrap();
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

/// A prepared SQLite file, copied for each iteration.
struct Template {
    dir: tempfile::TempDir,
    path: PathBuf,
    copies: AtomicUsize,
}

impl Template {
    /// The testkit DDL, then `fill`'s data; checkpointed so the one file holds everything.
    fn new(rt: &tokio::runtime::Runtime, fill: impl AsyncFnOnce(&SqlStore)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("template.db");
        rt.block_on(async {
            let pool = connect(&path).await;
            sqlx::raw_sql(pdpo_testkit::SQLITE_DDL).execute(&pool).await.unwrap();
            let store = SqlStore::open(pool.clone(), pdpo_testkit::schema()).await.unwrap();
            fill(&store).await;
            sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)").execute(&pool).await.unwrap();
            pool.close().await;
        });
        Self { dir, path, copies: AtomicUsize::new(0) }
    }

    /// A fresh copy, opened (untimed setup).
    fn open(&self, rt: &tokio::runtime::Runtime) -> (SqlStore, PathBuf) {
        let n = self.copies.fetch_add(1, Ordering::Relaxed);
        let copy = self.dir.path().join(format!("copy-{n}.db"));
        std::fs::copy(&self.path, &copy).unwrap();
        let store = rt
            .block_on(async { SqlStore::open(connect(&copy).await, pdpo_testkit::schema()).await.unwrap() });
        (store, copy)
    }
}

async fn connect(path: &Path) -> sqlx::SqlitePool {
    let url = format!("sqlite://{}", path.display());
    sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(sqlite_options(&url).unwrap())
        .await
        .unwrap()
}

fn sqlite(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let anonymiser = Anonymiser::hong_kong().unwrap();
    let schema = pdpo_testkit::schema();

    let generator = Generator::new(120, 11);
    let probe = load_memory(&generator).unwrap();
    let (subject, size) = subject_near(&probe.store, 120, 50);
    let crm = Template::new(&rt, async |s| {
        load(&generator, s, &MemoryBlobStore::new(), 5_000).await.unwrap();
    });
    let e = eraser(&schema, &anonymiser);

    let mut g = c.benchmark_group("anonymise");
    g.sample_size(20);
    g.bench_function(format!("erase_one_subject_{size}_records_sqlite"), |b| {
        b.iter_batched(
            || crm.open(&rt),
            |db| {
                rt.block_on(e.erase(&db.0, &Key::from(subject), &NoKeys)).unwrap();
                db
            },
            BatchSize::PerIteration,
        );
    });

    // What one commit costs on this disk (WAL, synchronous = FULL: one fsync per commit): a
    // change set of one audit event, the smallest write an erasure makes.
    let db = crm.open(&rt);
    g.bench_function("sqlite_commit_one_event", |b| {
        b.iter(|| {
            let mut cs = ChangeSet::new();
            cs.event(pdpo_core::AuditEvent::new(
                pdpo_core::AuditAction::Anonymise,
                Actor::user("bench").unwrap(),
                pdpo_testkit::reference_now(),
            ));
            rt.block_on(db.0.apply(cs)).unwrap()
        });
    });
    drop(db);

    g.sample_size(10);
    // A testkit contact with an activity and a message they sent, each copied `n` times.
    let small = Generator::new(20, 11);
    let (big_id, copies) = (1..=20)
        .find_map(|c| {
            let group = small.group(c)?;
            let act = group.records_of("activities").next()?.clone();
            let msg = group
                .records_of("messages")
                .find(|m| m.get("sender_id") == Some(&pdpo_core::Value::Int(c)))?
                .clone();
            let mut cs = ChangeSet::new();
            for i in 0..5_000 {
                let mut a = act.clone();
                a.key = Key::from(50_000_000 + i);
                a.values.insert("id".into(), pdpo_core::Value::Int(50_000_000 + i));
                cs.insert(a);
                let mut m = msg.clone();
                m.key = Key::from(60_000_000 + i);
                m.values.insert("id".into(), pdpo_core::Value::Int(60_000_000 + i));
                cs.insert(m);
            }
            Some((c, cs))
        })
        .expect("a contact with an activity and a sent message");
    let big = Template::new(&rt, async |s| {
        load(&small, s, &MemoryBlobStore::new(), 5_000).await.unwrap();
        s.apply(copies).await.unwrap();
    });
    g.bench_function("erase_subject_10k_records_sqlite", |b| {
        b.iter_batched(
            || big.open(&rt),
            |db| {
                rt.block_on(e.erase(&db.0, &Key::from(big_id), &NoKeys)).unwrap();
                db
            },
            BatchSize::PerIteration,
        );
    });

    let batch_gen = Generator::new(200, 13);
    let batch = Template::new(&rt, async |s| {
        load(&batch_gen, s, &MemoryBlobStore::new(), 5_000).await.unwrap();
    });
    let subjects: Vec<Key> = (1..=100).map(Key::from).collect();
    g.bench_function("erase_batch_100_subjects_sqlite", |b| {
        b.iter_batched(
            || batch.open(&rt),
            |db| {
                let report = rt.block_on(e.erase_many(&db.0, &subjects, &NoKeys)).unwrap();
                assert_eq!(report.certificates.len(), 100);
                db
            },
            BatchSize::PerIteration,
        );
    });
    g.bench_function("erase_100_subjects_one_by_one_sqlite", |b| {
        b.iter_batched(
            || batch.open(&rt),
            |db| {
                for s in &subjects {
                    rt.block_on(e.erase(&db.0, s, &NoKeys)).unwrap();
                }
                db
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

criterion_group!(benches, memory, sqlite);
criterion_main!(benches);
