//! SqlAuditStore figures: batched append (500 events a transaction) on SQLite and PostgreSQL,
//! `verify` reading from SQLite, single-row update latency with and without the audit log, and
//! how long `drop_partition` stalls a concurrent writer.
//!
//! `cargo bench -p pdpo-bench --bench store_audit` (medians in
//! `target/criterion/store_audit*/*/new/estimates.json`; the drop stall is printed). PostgreSQL
//! at `PDPO_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`); its benches
//! are skipped with a notice when it is unreachable.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, clippy::print_stderr)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput};
use pdpo_audit::{AuditStore, Month, Scope, verify};
use pdpo_core::{Actor, AuditAction, AuditEvent, DataStore, FixedClock, Identifier, Key, Purpose, RecordRef};
use pdpo_store::{Pool, SqlAuditStore, sqlite_options, sqlx};

const BATCH: usize = 500;
use pdpo_bench::update::{self, ORIGIN};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// A view of one contact's email and phone for customer service: a ~110-byte body.
fn event(n: u64) -> AuditEvent {
    AuditEvent::new(AuditAction::View, Actor::user(format!("staff-{}", n % 50)).unwrap(), Utc::now())
        .with_subject(Key::from(n as i64))
        .with_record(RecordRef::new(Identifier::from_static("contacts"), Key::from(n as i64)))
        .with_fields(["email", "phone"])
        .unwrap()
        .with_purpose(Purpose::new("customer_service").unwrap())
}

fn batch(from: u64) -> Vec<AuditEvent> {
    (from..from + BATCH as u64).map(event).collect()
}

/// 15 January 2026, Hong Kong.
fn january() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 2, 0, 0).unwrap()
}

async fn sqlite_pool(dir: &tempfile::TempDir, name: &str) -> sqlx::SqlitePool {
    let url = format!("sqlite://{}", dir.path().join(name).display());
    sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(sqlite_options(&url).unwrap())
        .await
        .unwrap()
}

/// A pool on a fresh schema of the PostgreSQL test server, or `None` with a notice.
async fn pg_pool(schema: &str) -> Option<sqlx::PgPool> {
    let url = std::env::var("PDPO_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let admin = match sqlx::PgPool::connect(&url).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("PostgreSQL benches skipped: {e}");
            return None;
        }
    };
    let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&admin).await.unwrap();
    let opts: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect_with(opts.options([("search_path", schema)]))
        .await
        .unwrap();
    Some(pool)
}

async fn drop_pg_schema(pool: &sqlx::PgPool, schema: &str) {
    let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(pool).await.unwrap();
}

fn schema_name(what: &str) -> String {
    format!("pdpo_bench_{what}_{}", std::process::id())
}

fn append(c: &mut Criterion) {
    let rt = rt();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(january()));
    let mut g = c.benchmark_group("store_audit_append");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(8));
    let events = batch(0);
    let sqlite = rt.block_on(async {
        SqlAuditStore::open(sqlite_pool(&dir, "append.db").await, ORIGIN, clock.clone()).await.unwrap()
    });
    g.bench_function("sqlite_500_per_txn", |b| b.iter(|| rt.block_on(sqlite.append(&events)).unwrap()));
    let schema = schema_name("append");
    if let Some(pool) = rt.block_on(pg_pool(&schema)) {
        let pg = rt.block_on(SqlAuditStore::open(pool.clone(), ORIGIN, clock)).unwrap();
        g.bench_function("postgres_500_per_txn", |b| b.iter(|| rt.block_on(pg.append(&events)).unwrap()));
        rt.block_on(drop_pg_schema(&pool, &schema));
    }
    g.finish();
}

fn verify_sqlite(c: &mut Criterion) {
    const EVENTS: u64 = 100_000;
    let rt = rt();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(january()));
    let log = rt.block_on(async {
        let log =
            SqlAuditStore::open(sqlite_pool(&dir, "verify.db").await, ORIGIN, clock.clone()).await.unwrap();
        for from in (0..EVENTS).step_by(BATCH) {
            log.append(&batch(from)).await.unwrap();
        }
        log
    });
    let mut g = c.benchmark_group("store_audit_verify");
    g.throughput(Throughput::Elements(EVENTS));
    g.sample_size(10);
    g.bench_function("sqlite_100k_events", |b| {
        b.iter(|| {
            let report = rt.block_on(verify(&log, Scope::All)).unwrap();
            assert!(report.is_clean() && report.entries == EVENTS);
        })
    });
    // The same rows in memory: the verifier alone, under the same machine load.
    let rows = rt.block_on(log.read(Month::of(january()), 0, usize::MAX)).unwrap();
    let snapshot = pdpo_audit::Snapshot {
        origin: ORIGIN,
        head: rt.block_on(log.head()).unwrap(),
        seals: Vec::new(),
        partitions: [(Month::of(january()), rows)].into_iter().collect(),
    };
    let memory = pdpo_audit::MemoryAuditStore::from_snapshot(snapshot, clock);
    g.bench_function("memory_100k_events", |b| {
        b.iter(|| {
            let report = pollster::block_on(verify(&memory, Scope::All)).unwrap();
            assert!(report.is_clean() && report.entries == EVENTS);
        })
    });
    g.finish();
}

fn update_latency(c: &mut Criterion) {
    let rt = rt();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(january()));
    let mut g = c.benchmark_group("store_audit_update");
    g.sample_size(30);
    g.measurement_time(Duration::from_secs(6));
    let sqlite = rt.block_on(async {
        update::stores(sqlite_pool(&dir, "update.db").await.into(), clock.clone()).await.unwrap()
    });
    let schema = schema_name("update");
    let pg = rt.block_on(pg_pool(&schema));
    let pg_stores =
        pg.as_ref().map(|p| rt.block_on(update::stores(p.clone().into(), clock.clone())).unwrap());
    for (backend, stores) in [("sqlite", Some(sqlite)), ("postgres", pg_stores)] {
        let Some(stores) = stores else { continue };
        for (variant, store) in stores {
            let mut n = 0;
            g.bench_function(format!("{backend}_{}", variant.name()), |b| {
                b.iter(|| {
                    n += 1;
                    rt.block_on(store.apply(update::one_update(n, variant).unwrap())).unwrap()
                })
            });
        }
    }
    if let Some(p) = &pg {
        rt.block_on(drop_pg_schema(p, &schema));
    }
    g.finish();
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

/// Fills January with `rows` events, seals it with one February append, then drops January
/// while a writer appends single events; returns (drop time, writer's longest append during
/// the drop, writer's longest append before it).
async fn drop_stall(pool: Pool, rows: u64) -> (Duration, Duration, Duration) {
    let clock = Arc::new(FixedClock::new(january()));
    let log = SqlAuditStore::open(pool, ORIGIN, clock.clone()).await.unwrap();
    for from in (0..rows).step_by(BATCH) {
        log.append(&batch(from)).await.unwrap();
    }
    clock.set(Month::new(2026, 2).unwrap().start() + chrono::Duration::days(1));
    log.append(&[event(0)]).await.unwrap();
    let writer = |log: SqlAuditStore, stop: Arc<AtomicBool>| async move {
        let mut worst = Duration::ZERO;
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            let t = Instant::now();
            log.append(&[event(n)]).await.unwrap();
            worst = worst.max(t.elapsed());
            n += 1;
        }
        worst
    };
    // The writer's own latency with nothing else running.
    let stop = Arc::new(AtomicBool::new(false));
    let baseline = tokio::spawn(writer(log.clone(), stop.clone()));
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let baseline = baseline.await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let during = tokio::spawn(writer(log.clone(), stop.clone()));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let t = Instant::now();
    assert!(log.drop_partition(Month::new(2026, 1).unwrap()).await.unwrap());
    let took = t.elapsed();
    stop.store(true, Ordering::Relaxed);
    (took, during.await.unwrap(), baseline)
}

fn drop_partition_stall() {
    const ROWS: u64 = 100_000;
    const RUNS: usize = 3;
    let rt = rt();
    for backend in ["sqlite", "postgres"] {
        let (mut took, mut stall, mut base) = (Vec::new(), Vec::new(), Vec::new());
        for run in 0..RUNS {
            let dir = tempfile::tempdir().unwrap();
            let schema = schema_name(&format!("drop{run}"));
            let result = rt.block_on(async {
                let pool: Pool = match backend {
                    "sqlite" => sqlite_pool(&dir, "drop.db").await.into(),
                    _ => pg_pool(&schema).await?.into(),
                };
                let r = drop_stall(pool.clone(), ROWS).await;
                if let Pool::Postgres(p) = &pool {
                    drop_pg_schema(p, &schema).await;
                }
                Some(r)
            });
            let Some((t, s, b)) = result else { break };
            took.push(t);
            stall.push(s);
            base.push(b);
        }
        if took.is_empty() {
            continue;
        }
        println!(
            "store_audit_drop/{backend}: drop_partition of a {ROWS}-row month, {} runs: median {} ms to drop; \
             concurrent single-event writer's longest append during the drop: median {} ms (max {} ms); \
             without the drop: median {} ms",
            took.len(),
            median(&mut took).as_millis(),
            median(&mut stall).as_millis(),
            stall.iter().max().unwrap().as_millis(),
            median(&mut base).as_millis(),
        );
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    append(&mut c);
    verify_sqlite(&mut c);
    update_latency(&mut c);
    // Criterion's filter (the first argument not starting with `-`), if any, selects the stall
    // measurement too.
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let listing = std::env::args().any(|a| a == "--list" || a == "--test");
    if !listing && (filters.is_empty() || filters.iter().any(|f| "store_audit_drop".contains(f.as_str()))) {
        drop_partition_stall();
    }
    c.final_summary();
}
