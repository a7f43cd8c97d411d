//! Database-per-workspace tenancy on SQLite files and PostgreSQL databases: create, open, list,
//! close (writes refused), restore within the grace period, purge after it (refused on day 29,
//! allowed on day 30), the pool cache bound, and the audit events.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use pdpo_core::{
    Actor, AuditAction, ChangeSet, Clock, DataStore, FixedClock, Identifier, Key, Record, Schema,
};
use pdpo_store::{Pool, SqlStore, Tenancy, TenancyError, WorkspaceOp, WorkspaceState, sqlx};

use crate::common::{pg_admin, pg_url};

const SCHEMA: &str = r#"
subject = "contacts"
[purposes]
service = "Serving the customer"
[entities.contacts]
key = "id"
fields.email = { category = "email", purposes = ["service"] }
"#;

const DDL: &str = "CREATE TABLE IF NOT EXISTS contacts (id BIGINT PRIMARY KEY, email TEXT)";

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 1, 0, 0).unwrap()))
}

/// Creates the CRM table in the workspace, opens a store and counts its contacts; with `add`,
/// inserts one contact first.
async fn contacts(pool: Pool, add: Option<i64>) -> usize {
    match &pool {
        Pool::Sqlite(p) => sqlx::raw_sql(DDL).execute(p).await.map(drop).unwrap(),
        Pool::Postgres(p) => sqlx::raw_sql(DDL).execute(p).await.map(drop).unwrap(),
        _ => unreachable!("only two backends"),
    }
    let store = SqlStore::open(pool, Schema::from_toml_str(SCHEMA, None).unwrap()).await.unwrap();
    if let Some(id) = add {
        let mut cs = ChangeSet::new();
        cs.insert(
            Record::new(Identifier::from_static("contacts"), Key::from(id))
                .with("email", "siu.ming@example.hk"),
        );
        store.apply(cs).await.unwrap();
    }
    store.scan_page("contacts", None, 100).await.unwrap().records.len()
}

/// The lifecycle of workspace `a` (with `b` and `c` beside it). `exists` tells whether a
/// workspace's database exists on disk or on the server.
async fn lifecycle<F, Fut>(t: Tenancy, clock: Arc<FixedClock>, names: [&str; 3], exists: F)
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let [a, b, c] = names;
    let created = t.create(a).await.unwrap();
    assert_eq!((created.op, created.workspace.state), (WorkspaceOp::Create, WorkspaceState::Open));
    assert!(exists(a.to_owned()).await);
    t.create(b).await.unwrap();
    assert!(matches!(t.create(a).await, Err(TenancyError::AlreadyExists { .. })));
    assert!(matches!(t.create("Bad-Name").await, Err(TenancyError::InvalidName { .. })));
    assert!(matches!(t.open(c).await, Err(TenancyError::NotFound { .. })));

    let list = t.list().await.unwrap();
    let mine: Vec<_> = list.iter().filter(|w| names.contains(&w.name.as_str())).collect();
    assert_eq!(
        mine.iter().map(|w| (w.name.as_str(), w.state)).collect::<Vec<_>>(),
        [(a, WorkspaceState::Open), (b, WorkspaceState::Open)]
    );

    // Data goes in; each workspace is its own database.
    assert_eq!(contacts(t.open(a).await.unwrap(), Some(1)).await, 1);
    assert_eq!(contacts(t.open(b).await.unwrap(), None).await, 0);

    // Close: open refused, the handed-out pool closed, data kept.
    let held = t.open(a).await.unwrap();
    let closed = t.close(a).await.unwrap();
    assert_eq!(closed.workspace.state, WorkspaceState::Closed);
    assert_eq!(closed.workspace.closed_at, Some(clock.now()));
    let event = closed.audit_event(Actor::user("admin-1").unwrap());
    assert_eq!(event.action, AuditAction::Workspace);
    assert_eq!(event.tenant.as_ref().map(|t| t.as_str()), Some(a));
    assert_eq!(event.counts.get("close"), Some(&1));
    assert_eq!(event.counts.get("grace_days"), Some(&30));
    assert_eq!(event.at, clock.now());
    assert!(held.is_closed(), "the pool handed out before the close still accepts work");
    assert!(matches!(t.open(a).await, Err(TenancyError::Closed { .. })));
    assert!(matches!(t.close(a).await, Err(TenancyError::Closed { .. })));
    assert!(matches!(t.restore(b).await, Err(TenancyError::NotClosed { .. })));
    assert!(exists(a.to_owned()).await);

    // Day 29: purge refused; restore works and the data is back.
    clock.advance(Duration::days(29));
    match t.purge(a).await {
        Err(TenancyError::InGrace { purge_from, .. }) => {
            assert_eq!(purge_from, closed.at + Duration::days(30));
        }
        other => panic!("purge on day 29 must be refused, got {other:?}"),
    }
    let restored = t.restore(a).await.unwrap();
    assert_eq!(restored.audit_event(Actor::system("ops").unwrap()).counts.get("restore"), Some(&1));
    assert_eq!(t.info(a).await.unwrap().state, WorkspaceState::Open);
    assert_eq!(contacts(t.open(a).await.unwrap(), None).await, 1);

    // Closed again: on day 30 restore is refused and purge allowed.
    let closed = t.close(a).await.unwrap();
    clock.advance(Duration::days(30) - Duration::seconds(1));
    assert!(matches!(t.purge(a).await, Err(TenancyError::InGrace { .. })));
    clock.advance(Duration::seconds(1));
    assert!(matches!(t.restore(a).await, Err(TenancyError::GraceOver { .. })));
    let purged = t.purge(a).await.unwrap();
    assert_eq!(purged.workspace.state, WorkspaceState::Purged);
    assert_eq!(purged.workspace.purged_at, Some(closed.at + Duration::days(30)));
    assert!(!exists(a.to_owned()).await, "the purged database still exists");
    assert!(matches!(t.open(a).await, Err(TenancyError::Purged { .. })));
    assert!(matches!(t.purge(a).await, Err(TenancyError::Purged { .. })));
    assert!(matches!(t.restore(a).await, Err(TenancyError::Purged { .. })));
    assert_eq!(t.info(a).await.unwrap().state, WorkspaceState::Purged);

    // The name can be used again, for an empty workspace.
    t.create(a).await.unwrap();
    assert_eq!(contacts(t.open(a).await.unwrap(), None).await, 0);
    t.create(c).await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn sqlite_workspace_lifecycle() {
    let root = tempfile::tempdir().unwrap();
    let clock = clock();
    let t = Tenancy::sqlite(root.path(), clock.clone()).await.unwrap();
    let dir = root.path().to_path_buf();
    lifecycle(t, clock.clone(), ["acme", "wing_on", "kowloon_bakery"], |n| {
        let path = dir.join(format!("{n}.db"));
        async move { path.exists() }
    })
    .await;
    // A second registry on the same root sees the same catalog.
    let again = Tenancy::sqlite(root.path(), clock).await.unwrap();
    let names: Vec<_> = again.list().await.unwrap().into_iter().map(|w| (w.name, w.state)).collect();
    assert_eq!(
        names,
        [
            ("acme".to_owned(), WorkspaceState::Open),
            ("kowloon_bakery".to_owned(), WorkspaceState::Open),
            ("wing_on".to_owned(), WorkspaceState::Open),
        ]
    );
}

#[tokio::test(flavor = "current_thread")]
async fn sqlite_pool_cache_is_bounded_lru() {
    let root = tempfile::tempdir().unwrap();
    let t = Tenancy::sqlite(root.path(), clock()).await.unwrap().with_pool_cache(2);
    for n in ["a", "b", "c"] {
        t.create(n).await.unwrap();
    }
    let a = t.open("a").await.unwrap();
    t.open("b").await.unwrap();
    t.open("a").await.unwrap();
    assert_eq!(t.cached(), ["b", "a"]);
    t.open("c").await.unwrap();
    assert_eq!(t.cached(), ["a", "c"], "the least recently used pool stays cached");
    t.open("b").await.unwrap();
    assert_eq!(t.cached(), ["c", "b"]);
    // An evicted pool is not closed under its holder.
    assert!(!a.is_closed());
    assert_eq!(contacts(a, Some(7)).await, 1);
    t.close("c").await.unwrap();
    assert_eq!(t.cached(), ["b"]);
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_workspace_lifecycle() {
    let Some(admin) = pg_admin().await else { return };
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let tag = &tag[..12];
    // The catalog goes in a database of its own, so parallel runs never share it.
    let catalog_db = format!("pdpo_test_catalog_{tag}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{catalog_db}\"")))
        .execute(&admin)
        .await
        .unwrap();
    let opts: sqlx::postgres::PgConnectOptions = pg_url().parse().unwrap();
    let clock = clock();
    let t = Tenancy::postgres_with(opts.database(&catalog_db), clock.clone()).await.unwrap();
    let names = [format!("t{tag}_a"), format!("t{tag}_b"), format!("t{tag}_c")];
    let exists = |n: String| {
        let admin = admin.clone();
        async move {
            let found: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
                .bind(format!("{}{n}", pdpo_store::tenancy::DATABASE_PREFIX))
                .fetch_optional(&admin)
                .await
                .unwrap();
            found.is_some()
        }
    };
    lifecycle(t, clock, [&names[0], &names[1], &names[2]], exists).await;
    for db in names.iter().map(|n| format!("{}{n}", pdpo_store::tenancy::DATABASE_PREFIX)).chain([catalog_db])
    {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")))
            .execute(&admin)
            .await
            .unwrap();
    }
}
