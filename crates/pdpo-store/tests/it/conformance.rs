//! The pdpo-core DataStore conformance suite, on SQLite and PostgreSQL, with and without the SQL
//! audit log.

use std::sync::Arc;

use pdpo_core::{Schema, SystemClock, conformance};
use pdpo_store::{SqlAuditStore, SqlStore};

use crate::audit::ORIGIN;
use crate::common::{PgSchemas, SqliteHarness, pg_admin};

#[tokio::test(flavor = "current_thread")]
async fn sqlite_passes_the_conformance_suite() {
    let report = conformance::run(SqliteHarness::new).await;
    assert!(report.failures.is_empty(), "{report}");
    assert_eq!(report.passed.len(), 10, "{report}");
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_passes_the_conformance_suite() {
    let Some(admin) = pg_admin().await else { return };
    let schemas = PgSchemas::new(admin);
    let report = conformance::run(|| schemas.harness()).await;
    schemas.drop_all().await;
    assert!(report.failures.is_empty(), "{report}");
    assert_eq!(report.passed.len(), 10, "{report}");
}

/// A harness whose stores chain their events into a [`SqlAuditStore`] on the same database.
struct Audited<H>(H);

impl<H: conformance::Harness<Store = SqlStore>> conformance::Harness for Audited<H> {
    type Store = SqlStore;
    async fn open(&self, schema: &Schema, tenant: Option<&str>) -> SqlStore {
        let store = self.0.open(schema, tenant).await;
        let log = SqlAuditStore::open(store.pool().clone(), ORIGIN, Arc::new(SystemClock)).await.unwrap();
        store.with_audit(log)
    }
}

#[tokio::test(flavor = "current_thread")]
async fn sqlite_passes_the_conformance_suite_audited() {
    let report = conformance::run(|| Audited(SqliteHarness::new())).await;
    assert!(report.failures.is_empty(), "{report}");
    assert_eq!(report.passed.len(), 10, "{report}");
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_passes_the_conformance_suite_audited() {
    let Some(admin) = pg_admin().await else { return };
    let schemas = PgSchemas::new(admin);
    let report = conformance::run(|| Audited(schemas.harness())).await;
    schemas.drop_all().await;
    assert!(report.failures.is_empty(), "{report}");
    assert_eq!(report.passed.len(), 10, "{report}");
}
