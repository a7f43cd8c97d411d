//! Test databases: fresh SQLite files, fresh PostgreSQL schemas, and a DDL generator for the
//! conformance fixture's tables.

use std::sync::{Arc, Mutex};

use pdpo_core::ColumnType;
use pdpo_core::conformance::{Harness, TableDef, tables};
use pdpo_core::{DataStore, Schema};
use pdpo_store::sqlx;
use pdpo_store::{SqlStore, sqlite_options};

/// Two tests of one check on the conformance fixture (no tenant column): `$sqlite` on a fresh
/// SQLite file, `$postgres` on a fresh PostgreSQL schema (a test that cannot reach the server
/// fails under CI and is skipped outside it, see [`pg_admin`]). `$check` is an
/// `async fn(SqlStore)`.
macro_rules! on_both_backends {
    ($sqlite:ident, $postgres:ident, $check:path) => {
        #[tokio::test(flavor = "current_thread")]
        async fn $sqlite() {
            let h = $crate::common::SqliteHarness::new();
            let store = pdpo_core::conformance::Harness::open(
                &h,
                &pdpo_core::conformance::fixture_schema(false),
                None,
            )
            .await;
            $check(store).await;
        }

        #[tokio::test(flavor = "current_thread")]
        async fn $postgres() {
            let Some(admin) = $crate::common::pg_admin().await else { return };
            let schemas = $crate::common::PgSchemas::new(admin);
            let store = pdpo_core::conformance::Harness::open(
                &schemas.harness(),
                &pdpo_core::conformance::fixture_schema(false),
                None,
            )
            .await;
            $check(store).await;
            schemas.drop_all().await;
        }
    };
}

/// Inserts the conformance fixture's records in one change set.
pub(crate) async fn loaded(s: &impl DataStore) {
    let mut load = pdpo_core::ChangeSet::new();
    for r in pdpo_core::conformance::records() {
        load.insert(r);
    }
    s.apply(load).await.unwrap();
}

/// Which backend a DDL is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

fn sql_type(b: Backend, ty: ColumnType) -> &'static str {
    use ColumnType::*;
    match (b, ty) {
        (_, Bool) => "BOOLEAN",
        (Backend::Sqlite, Int) => "INTEGER",
        (Backend::Postgres, Int) => "BIGINT",
        (_, Decimal) => "NUMERIC",
        (Backend::Sqlite, Float) => "REAL",
        (Backend::Postgres, Float) => "DOUBLE PRECISION",
        (Backend::Sqlite, Bytes) => "BLOB",
        (Backend::Postgres, Bytes) => "BYTEA",
        (_, Uuid) => "UUID",
        (Backend::Sqlite, Timestamp) => "TIMESTAMP",
        (Backend::Postgres, Timestamp) => "TIMESTAMPTZ",
        (_, Date) => "DATE",
        (Backend::Sqlite, Json) => "JSON",
        (Backend::Postgres, Json) => "JSONB",
        (Backend::Sqlite, Array) => "JSON",
        (Backend::Postgres, Array) => "BIGINT[]",
        _ => "TEXT",
    }
}

fn cols(c: &[&str]) -> String {
    c.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ")
}

/// `CREATE TABLE IF NOT EXISTS` statements for `defs`.
pub(crate) fn ddl(b: Backend, defs: &[TableDef]) -> String {
    let mut out = String::new();
    for t in defs {
        let mut parts: Vec<String> = t
            .columns
            .iter()
            .map(|(n, ty, null)| {
                format!("\"{n}\" {}{}", sql_type(b, *ty), if *null { "" } else { " NOT NULL" })
            })
            .collect();
        parts.push(format!("PRIMARY KEY ({})", cols(&t.primary_key)));
        for (c, to, to_c) in &t.foreign_keys {
            parts.push(format!("FOREIGN KEY ({}) REFERENCES \"{to}\" ({})", cols(c), cols(to_c)));
        }
        out.push_str(&format!(
            "CREATE TABLE IF NOT EXISTS \"{}\" (\n  {}\n);\n",
            t.name,
            parts.join(",\n  ")
        ));
    }
    out
}

/// A fresh SQLite file per harness.
pub(crate) struct SqliteHarness {
    _dir: tempfile::TempDir,
    pub(crate) url: String,
}

impl SqliteHarness {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        Self { _dir: dir, url }
    }

    pub(crate) async fn pool(&self) -> sqlx::SqlitePool {
        sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(sqlite_options(&self.url).unwrap())
            .await
            .unwrap()
    }
}

impl Harness for SqliteHarness {
    type Store = SqlStore;
    async fn open(&self, schema: &Schema, tenant: Option<&str>) -> SqlStore {
        let pool = self.pool().await;
        let tenanted = schema.tenant_column().is_some();
        sqlx::raw_sql(sqlx::AssertSqlSafe(ddl(Backend::Sqlite, &tables(tenanted))))
            .execute(&pool)
            .await
            .unwrap();
        let store = SqlStore::open(pool, schema.clone()).await.unwrap();
        match tenant {
            Some(t) => store.scoped(t),
            None => store,
        }
    }
}

/// The PostgreSQL URL for tests.
pub(crate) fn pg_url() -> String {
    std::env::var("PDPO_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A pool on the test server, or `None` (with a printed notice) when it is unreachable outside
/// CI. Under `CI`, an unreachable server fails the test.
#[allow(clippy::print_stderr)] // the skip notice outside CI is the point
pub(crate) async fn pg_admin() -> Option<sqlx::PgPool> {
    let url = pg_url();
    let res = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect(&url)
        .await;
    match res {
        Ok(p) => Some(p),
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("CI: PostgreSQL at PDPO_TEST_POSTGRES_URL unreachable: {e}")
        }
        Err(e) => {
            eprintln!("skipped: PostgreSQL unreachable ({e}); set PDPO_TEST_POSTGRES_URL to run this test");
            None
        }
    }
}

/// Fresh schemas created by [`PgHarness`]es, dropped by [`PgSchemas::drop_all`].
#[derive(Clone)]
pub(crate) struct PgSchemas {
    pub(crate) admin: sqlx::PgPool,
    created: Arc<Mutex<Vec<String>>>,
}

impl PgSchemas {
    pub(crate) fn new(admin: sqlx::PgPool) -> Self {
        Self { admin, created: Arc::default() }
    }

    /// A harness on a fresh schema `pdpo_test_<uuid>`.
    pub(crate) fn harness(&self) -> PgHarness {
        let name = format!("pdpo_test_{}", uuid::Uuid::new_v4().simple());
        self.created.lock().unwrap().push(name.clone());
        PgHarness { schemas: self.clone(), name }
    }

    pub(crate) async fn drop_all(&self) {
        let names = std::mem::take(&mut *self.created.lock().unwrap());
        for n in names {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS \"{n}\" CASCADE")))
                .execute(&self.admin)
                .await
                .unwrap();
        }
    }
}

pub(crate) struct PgHarness {
    schemas: PgSchemas,
    pub(crate) name: String,
}

impl PgHarness {
    pub(crate) async fn pool(&self) -> sqlx::PgPool {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA IF NOT EXISTS \"{}\"", self.name)))
            .execute(&self.schemas.admin)
            .await
            .unwrap();
        let opts: sqlx::postgres::PgConnectOptions = pg_url().parse().unwrap();
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect_with(opts.options([("search_path", self.name.as_str())]))
            .await
            .unwrap()
    }
}

impl Harness for PgHarness {
    type Store = SqlStore;
    async fn open(&self, schema: &Schema, tenant: Option<&str>) -> SqlStore {
        let pool = self.pool().await;
        let tenanted = schema.tenant_column().is_some();
        sqlx::raw_sql(sqlx::AssertSqlSafe(ddl(Backend::Postgres, &tables(tenanted))))
            .execute(&pool)
            .await
            .unwrap();
        let store = SqlStore::open(pool, schema.clone()).await.unwrap();
        match tenant {
            Some(t) => store.scoped(t),
            None => store,
        }
    }
}

/// A logical dump: every record of every entity (rendered), then pdpo's own rows.
pub(crate) async fn dump(s: &SqlStore) -> Vec<String> {
    let mut out = Vec::new();
    for e in s.schema().entities() {
        let p = s.scan_page(&e.name, None, 100_000).await.unwrap();
        for r in p.records {
            let vals: Vec<String> = r.values.iter().map(|(k, v)| format!("{k}={}", v.render())).collect();
            out.push(format!("{}[{}] {}", r.entity, r.key, vals.join(" ")));
        }
    }
    out.extend(s.pdpo_rows().await.unwrap());
    out
}
