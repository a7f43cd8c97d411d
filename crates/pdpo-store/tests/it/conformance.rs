//! The pdpo-core DataStore conformance suite, on SQLite and PostgreSQL.

use pdpo_core::conformance;

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
