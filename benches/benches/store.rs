//! pdpo-store benches: `SubjectGraph::collect` per subject with 100k contacts (SQLite, and
//! PostgreSQL when `PDPO_TEST_POSTGRES_URL` or the default test server is reachable), and
//! `scan_page` throughput on SQLite; on PostgreSQL also `collect` of one subject with 10k
//! records.
//!
//! `cargo bench -p pdpo-bench --bench store` (medians in `target/criterion/store*/*/new/estimates.json`).
//! The PostgreSQL group loads into a fresh database `pdpo_bench_<pid>` and drops it afterwards.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pdpo_bench::PgDatabase;
use pdpo_core::{ChangeSet, DataStore, Identifier, Key, Record, Schema, SubjectGraph};
use pdpo_store::{SqlStore, sqlite_options, sqlx};

const CONTACTS: i64 = 100_000;

const DDL: &str = r#"
CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, phone TEXT, profile JSON);
CREATE TABLE orders (id INTEGER PRIMARY KEY, contact_id INTEGER NOT NULL REFERENCES contacts (id), total NUMERIC);
CREATE INDEX orders_contact ON orders (contact_id);
CREATE TABLE notes (id INTEGER PRIMARY KEY, contact_id INTEGER REFERENCES contacts (id), body TEXT);
CREATE INDEX notes_contact ON notes (contact_id);
"#;

const SCHEMA: &str = r#"
subject = "contacts"
[purposes]
service = "Serving the customer"
[entities.contacts]
key = "id"
fields.name = { category = "name", purposes = ["service"] }
fields.email = { category = "email", purposes = ["service"] }
fields.phone = { category = "phone", purposes = ["service"] }
fields.profile = { type = "json" }
[entities.orders]
key = "id"
links = [{ to = "contacts", foreign_key = "contact_id" }]
fields.total = { type = "decimal" }
[entities.notes]
key = "id"
links = [{ to = "contacts", foreign_key = "contact_id" }]
fields.body = { category = "free_text" }
"#;

/// 100k contacts, each with 3 orders and 2 notes (600k rows), on a SQLite file in `dir`.
fn setup(rt: &tokio::runtime::Runtime, dir: &tempfile::TempDir) -> SqlStore {
    rt.block_on(async {
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let pool =
            sqlx::sqlite::SqlitePoolOptions::new().connect_with(sqlite_options(&url).unwrap()).await.unwrap();
        sqlx::raw_sql(DDL).execute(&pool).await.unwrap();
        fill(SqlStore::open(pool, Schema::from_toml_str(SCHEMA, None).unwrap()).await.unwrap()).await
    })
}

async fn fill(store: SqlStore) -> SqlStore {
    let id = Identifier::from_static;
    for chunk in (1..=CONTACTS).collect::<Vec<_>>().chunks(5_000) {
        let mut cs = ChangeSet::new();
        for &c in chunk {
            cs.insert(
                Record::new(id("contacts"), Key::from(c))
                    .with("name", "CHAN Tai Man")
                    .with("email", "tm.chan@example.hk")
                    .with("phone", "9123 4567")
                    .with("profile", serde_json::json!({ "vip": c % 7 == 0 })),
            );
            for o in 0..3 {
                cs.insert(
                    Record::new(id("orders"), Key::from(c * 10 + o))
                        .with("contact_id", c)
                        .with("total", "880.50"),
                );
            }
            for n in 0..2 {
                cs.insert(
                    Record::new(id("notes"), Key::from(c * 10 + n))
                        .with("contact_id", c)
                        .with("body", "call back"),
                );
            }
        }
        store.apply(cs).await.unwrap();
    }
    store
}

/// Contact `id` with 5,000 orders and 5,000 notes (keys above the bulk data's).
async fn add_big_subject(store: &SqlStore, id: i64) {
    let e = Identifier::from_static;
    let mut cs = ChangeSet::new();
    cs.insert(Record::new(e("contacts"), Key::from(id)).with("name", "WONG Siu Ming"));
    for n in 0..5_000 {
        cs.insert(
            Record::new(e("orders"), Key::from(10 * CONTACTS + 100 + n))
                .with("contact_id", id)
                .with("total", "12.00"),
        );
        cs.insert(
            Record::new(e("notes"), Key::from(10 * CONTACTS + 100 + n))
                .with("contact_id", id)
                .with("body", "visit"),
        );
    }
    store.apply(cs).await.unwrap();
}

/// The same data in a fresh PostgreSQL database, or `None` when the server is unreachable.
fn setup_pg(rt: &tokio::runtime::Runtime) -> Option<(SqlStore, PgDatabase)> {
    rt.block_on(async {
        let db = PgDatabase::create("pdpo_bench").await?;
        // The SQLite DDL with PostgreSQL's types.
        let ddl = DDL.replace("INTEGER", "BIGINT").replace(" JSON)", " JSONB)");
        sqlx::raw_sql(sqlx::AssertSqlSafe(ddl)).execute(&db.pool).await.unwrap();
        let started = std::time::Instant::now();
        let store = fill(
            SqlStore::open(db.pool.clone(), Schema::from_toml_str(SCHEMA, None).unwrap()).await.unwrap(),
        )
        .await;
        sqlx::raw_sql("ANALYZE").execute(&db.pool).await.unwrap();
        #[allow(clippy::print_stderr)]
        {
            eprintln!("PostgreSQL: loaded 600k rows in {:.1} s", started.elapsed().as_secs_f64());
        }
        Some((store, db))
    })
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = setup(&rt, &dir);

    let mut g = c.benchmark_group("store_sqlite");
    let mut subject = 0i64;
    g.bench_function("collect_100k_contacts", |b| {
        b.iter(|| {
            subject = subject * 7919 % CONTACTS + 1;
            let graph = rt.block_on(SubjectGraph::collect(&store, &Key::from(subject))).unwrap();
            black_box(graph.records.len())
        });
    });
    g.throughput(Throughput::Elements(1_000));
    let mut after: Option<Key> = None;
    g.bench_function("scan_page_1000_contacts", |b| {
        b.iter(|| {
            let page = rt.block_on(store.scan_page("contacts", after.as_ref(), 1_000)).unwrap();
            after = page.next.clone();
            black_box(page.records.len())
        });
    });
    g.finish();

    let Some((pg, db)) = setup_pg(&rt) else { return };
    let mut g = c.benchmark_group("store_postgres");
    g.bench_function("collect_100k_contacts", |b| {
        b.iter(|| {
            subject = subject * 7919 % CONTACTS + 1;
            let graph = rt.block_on(SubjectGraph::collect(&pg, &Key::from(subject))).unwrap();
            black_box(graph.records.len())
        });
    });
    // One subject with 10k records: 5,000 orders and 5,000 notes on a new contact.
    let big = CONTACTS + 1;
    rt.block_on(add_big_subject(&pg, big));
    g.bench_function("collect_10k_record_subject", |b| {
        b.iter(|| {
            let graph = rt.block_on(SubjectGraph::collect(&pg, &Key::from(big))).unwrap();
            assert_eq!(graph.records.len(), 10_001);
            black_box(graph.records.len())
        });
    });
    g.finish();
    rt.block_on(db.drop()).unwrap();
}

criterion_group! {
    name = store;
    config = Criterion::default().sample_size(30);
    targets = benches
}
criterion_main!(store);
