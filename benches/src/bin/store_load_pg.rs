//! Bench binary: loads the testkit CRM into `SqlStore` on PostgreSQL with `pdpo_testkit::load`
//! (change sets of 5,000 records, each one transaction of multi-row inserts), then collects a
//! few subjects.
//!
//! `cargo run --release -p pdpo-bench --bin store_load_pg -- 10000 100000` prints, per size:
//! records loaded, seconds, records/s and the client's CPU time. The server is
//! `PDPO_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`); each size loads
//! into a fresh database `pdpo_load_<pid>`, dropped afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::Instant;

use pdpo_bench::{NullBlobs, PgDatabase, cpu_secs};
use pdpo_core::{Key, StoreErrorKind, SubjectGraph};
use pdpo_store::{SqlStore, sqlx};
use pdpo_testkit::{Generator, load};

/// Records per change set (pdpo-testkit's `DEFAULT_BATCH`).
const BATCH: usize = 5_000;

async fn run(contacts: u64) {
    let db = PgDatabase::create("pdpo_load").await.expect("PostgreSQL at PDPO_TEST_POSTGRES_URL");
    let pool = db.pool.clone();
    sqlx::raw_sql(pdpo_testkit::POSTGRES_DDL).execute(&pool).await.unwrap();
    let store = SqlStore::open(pool.clone(), pdpo_testkit::schema()).await.unwrap();
    let generator = Generator::with_default_seed(contacts);
    let cpu = cpu_secs();
    let start = Instant::now();
    let stats = load(&generator, &store, &NullBlobs, BATCH).await.unwrap();
    let secs = start.elapsed().as_secs_f64();
    let cpu = match (cpu, cpu_secs()) {
        (Some(a), Some(b)) => format!("client CPU {:.2} s", b - a),
        _ => "client CPU n/a".to_owned(),
    };
    println!(
        "postgres load {contacts} contacts: {} records in {} change sets, {secs:.2} s, {:.0} records/s; {cpu}",
        stats.records,
        stats.change_sets,
        stats.records as f64 / secs,
    );
    sqlx::raw_sql("ANALYZE").execute(&pool).await.unwrap();
    let mut times = Vec::new();
    let mut records = 0;
    for i in 0..200i64 {
        let subject = Key::from(1 + (i * 7919) % i64::try_from(contacts).unwrap());
        let t = Instant::now();
        match SubjectGraph::collect(&store, &subject).await {
            Ok(g) => records += g.records.len(),
            Err(e) if e.kind() == StoreErrorKind::NotFound => continue,
            Err(e) => panic!("{e}"),
        }
        times.push(t.elapsed());
    }
    times.sort_unstable();
    if let Some(p50) = times.get(times.len() / 2) {
        println!(
            "postgres collect: {} subjects, {records} records, p50 {:.2} ms",
            times.len(),
            p50.as_secs_f64() * 1e3
        );
    }
    db.drop().await.unwrap();
}

fn main() {
    let sizes: Vec<u64> = std::env::args().skip(1).map(|a| a.parse().expect("a contact count")).collect();
    let sizes = if sizes.is_empty() { vec![10_000, 100_000] } else { sizes };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for n in sizes {
        rt.block_on(run(n));
    }
}
