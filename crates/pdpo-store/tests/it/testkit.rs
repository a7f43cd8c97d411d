//! The testkit's Hong Kong CRM (its own DDL, mixed-case tables, array links, JSON columns) loaded
//! into SQLite and PostgreSQL: every subject's graph equals the MemoryStore's.

use pdpo_core::{DataStore, Key, MemoryBlobStore, SubjectGraph};
use pdpo_store::{SqlStore, sqlx};
use pdpo_testkit::{Generator, load, load_memory};

use crate::common::{PgSchemas, SqliteHarness, pg_admin};

const CONTACTS: u64 = 150;

fn lines(g: &SubjectGraph) -> Vec<String> {
    g.records
        .iter()
        .map(|r| {
            let vals: Vec<String> = r
                .record
                .values
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("{k}={}", v.render()))
                .collect();
            format!("{} via {:?} fields {:?} | {}", r.record.reference(), r.via, r.fields, vals.join(" "))
        })
        .collect()
}

/// Loads the testkit CRM into `store`, runs `after_load`, and compares subjects' graphs with the
/// MemoryStore's.
async fn same_graphs_as_memory(store: SqlStore, after_load: impl AsyncFnOnce()) {
    let generator = Generator::with_default_seed(CONTACTS);
    let mem = load_memory(&generator).unwrap();
    let stats = load(&generator, &store, &MemoryBlobStore::new(), 2_000).await.unwrap();
    after_load().await;
    assert_eq!(stats.records, mem.stats.records);
    let subject = store.schema().subject().clone();
    let page = store.scan_page(&subject, None, 10_000).await.unwrap();
    assert_eq!(page.records.len() as u64, mem.store.count(&subject) as u64);
    let mut compared = 0;
    for r in page.records.iter().step_by(7) {
        let want = SubjectGraph::collect(&mem.store, &r.key).await.unwrap();
        let got = SubjectGraph::collect(&store, &r.key).await.unwrap();
        assert_eq!(lines(&got), lines(&want), "subject {}", r.key);
        compared += 1;
    }
    assert!(compared > 10);
    assert!(SubjectGraph::collect(&store, &Key::from(-1)).await.is_err());
}

#[tokio::test(flavor = "current_thread")]
async fn sqlite_testkit_crm_matches_memory() {
    let h = SqliteHarness::new();
    let pool = h.pool().await;
    sqlx::raw_sql(pdpo_testkit::SQLITE_DDL).execute(&pool).await.unwrap();
    same_graphs_as_memory(SqlStore::open(pool, pdpo_testkit::schema()).await.unwrap(), async || {}).await;
}

/// The CRM's schema objects (pdpo's own tables aside) as `type name table sql` lines.
async fn crm_objects(pool: &sqlx::SqlitePool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT type || ' ' || name || ' ' || tbl_name || ' ' || coalesce(sql, '') FROM sqlite_master \
         WHERE name NOT LIKE '%pdpo%' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// A bulk load into the tables alone, the secondary indexes built after it: the same schema
/// objects as the whole DDL gives, and the same data.
#[tokio::test(flavor = "current_thread")]
async fn sqlite_indexes_built_after_the_load() {
    let (whole, late) = (SqliteHarness::new(), SqliteHarness::new());
    let whole = whole.pool().await;
    sqlx::raw_sql(pdpo_testkit::SQLITE_DDL).execute(&whole).await.unwrap();
    let pool = late.pool().await;
    sqlx::raw_sql(pdpo_testkit::SQLITE_TABLES).execute(&pool).await.unwrap();
    let before = crm_objects(&pool).await;
    assert!(before.len() < crm_objects(&whole).await.len(), "the tables alone have fewer indexes");
    let store = SqlStore::open(pool.clone(), pdpo_testkit::schema()).await.unwrap();
    same_graphs_as_memory(store, async || {
        sqlx::raw_sql(pdpo_testkit::SQLITE_INDEXES).execute(&pool).await.unwrap();
    })
    .await;
    assert_eq!(crm_objects(&pool).await, crm_objects(&whole).await);
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_testkit_crm_matches_memory() {
    let Some(admin) = pg_admin().await else { return };
    let schemas = PgSchemas::new(admin);
    let h = schemas.harness();
    let pool = h.pool().await;
    sqlx::raw_sql(pdpo_testkit::POSTGRES_DDL).execute(&pool).await.unwrap();
    let store = SqlStore::open(pool, pdpo_testkit::schema()).await.unwrap();
    same_graphs_as_memory(store, async || {}).await;
    schemas.drop_all().await;
}
