//! `SqlRequestStore` against `MemoryRequestStore`: the writes a real `Ledger` makes, replayed on
//! both, read back the same on SQLite and PostgreSQL; a write is all-or-nothing.

use std::sync::{Arc, Mutex};

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use pdpo_audit::AuditStore;
use pdpo_core::{
    Actor, AuditEvent, Clock, Decimal, EventSink, FixedClock, Identifier, Key, StoreError, StoreErrorKind,
    SystemClock,
};
use pdpo_requests::{
    Ledger, LedgerWrite, LogBookEntry, MemoryRequestStore, NewRequest, RefusalGround, RefusalInput, Request,
    RequestKind, RequestState, RequestStore,
};
use pdpo_store::{Pool, SqlAuditStore, SqlRequestStore, sqlx};
use uuid::Uuid;

use crate::common::{PgSchemas, SqliteHarness, pg_admin};

/// One recorded write: requests, log-book entries, events.
type Recorded = (Vec<Request>, Vec<LogBookEntry>, Vec<AuditEvent>);

/// A `RequestStore` that records every write it passes on, for replaying.
#[derive(Default)]
struct Recorder {
    inner: MemoryRequestStore,
    writes: Mutex<Vec<Recorded>>,
}

impl RequestStore for Recorder {
    async fn write(&self, w: LedgerWrite) -> Result<(), StoreError> {
        self.writes.lock().unwrap().push((w.requests.clone(), w.log_entries.clone(), w.events.clone()));
        self.inner.write(w).await
    }
    async fn get(&self, id: Uuid) -> Result<Option<Request>, StoreError> {
        self.inner.get(id).await
    }
    async fn list(&self) -> Result<Vec<Request>, StoreError> {
        self.inner.list().await
    }
    async fn log_book(&self) -> Result<Vec<LogBookEntry>, StoreError> {
        self.inner.log_book().await
    }
    async fn erase_log_entry(&self, id: Uuid) -> Result<(), StoreError> {
        self.inner.erase_log_entry(id).await
    }
}

fn write(w: &Recorded) -> LedgerWrite {
    LedgerWrite { requests: w.0.clone(), log_entries: w.1.clone(), events: w.2.clone() }
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The writes of a ledger's working life: every kind of request, every state, a fee, a s.19(2)
/// notice, refusals with log-book entries in both languages.
async fn ledger_writes() -> Vec<Recorded> {
    let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2025, 3, 10, 2, 0, 0).unwrap()));
    let ledger = Ledger::new(Recorder::default(), Arc::clone(&clock));
    let staff = Actor::user("staff-7").unwrap();
    let new =
        |kind, n: i64| NewRequest::new(kind, vec![Key::from(n), Key::from(format!("crm-{n}").as_str())]);
    let dar = ledger.receive(new(RequestKind::Access, 1), &staff).await.unwrap();
    ledger.verify_identity(dar.id, &staff).await.unwrap();
    ledger.set_fee(dar.id, "120.50".parse::<Decimal>().unwrap(), "copying 241 pages").await.unwrap();
    clock.advance(Duration::hours(30));
    ledger.start(dar.id, &staff).await.unwrap();
    ledger.complete(dar.id, &staff).await.unwrap();
    let dcr = ledger
        .receive(
            new(RequestKind::Correction, 1).follows(dar.id).language(pdpo_requests::Language::ZhHant),
            &staff,
        )
        .await
        .unwrap();
    ledger.verify_identity(dcr.id, &staff).await.unwrap();
    ledger
        .refuse(
            dcr.id,
            RefusalInput {
                grounds: vec![RefusalGround::S24_3_b],
                reasons: "記錄準確 (the record is accurate)".into(),
                other_data_user: None,
                prejudice: None,
                notice_served_on: clock.today_hk() + Duration::days(1),
            },
            &staff,
        )
        .await
        .unwrap();
    let dar2 = ledger.receive(new(RequestKind::Access, 2), &staff).await.unwrap();
    ledger
        .refuse(
            dar2.id,
            RefusalInput {
                grounds: vec![RefusalGround::S20_1_a],
                reasons: "identity not established".into(),
                other_data_user: None,
                prejudice: None,
                notice_served_on: clock.today_hk(),
            },
            &staff,
        )
        .await
        .unwrap();
    let dar3 = ledger.receive(new(RequestKind::Access, 3), &staff).await.unwrap();
    ledger.verify_identity(dar3.id, &staff).await.unwrap();
    ledger.partially_comply(dar3.id, "archive offsite", clock.today_hk(), &staff).await.unwrap();
    ledger.receive(new(RequestKind::Erasure, 4), &staff).await.unwrap();
    ledger.receive(new(RequestKind::MarketingOptOut, 5), &staff).await.unwrap();
    let writes = std::mem::take(&mut *ledger.store().writes.lock().unwrap());
    assert!(writes.len() >= 14, "{}", writes.len());
    writes
}

/// Events in `_pdpo_events`, in id order.
async fn table_events(pool: &Pool) -> Vec<AuditEvent> {
    let rows: Vec<String> = match pool {
        Pool::Sqlite(p) => {
            sqlx::query_scalar("SELECT event FROM _pdpo_events ORDER BY id").fetch_all(p).await
        }
        Pool::Postgres(p) => {
            sqlx::query_scalar("SELECT CAST(event AS TEXT) FROM _pdpo_events ORDER BY id").fetch_all(p).await
        }
        _ => unreachable!(),
    }
    .unwrap();
    rows.iter().map(|j| serde_json::from_str(j).unwrap()).collect()
}

async fn state(s: &impl RequestStore) -> (Vec<Request>, Vec<LogBookEntry>) {
    (s.list().await.unwrap(), s.log_book().await.unwrap())
}

fn sorted(mut v: Vec<AuditEvent>) -> Vec<AuditEvent> {
    v.sort_by_key(|e| e.id);
    v
}

async fn agrees_with_memory(sql: SqlRequestStore) {
    let writes = ledger_writes().await;
    let mem = MemoryRequestStore::new();
    for w in &writes {
        mem.write(write(w)).await.unwrap();
        sql.write(write(w)).await.unwrap();
    }
    let (requests, log) = state(&mem).await;
    assert_eq!(requests.len(), 6);
    assert_eq!(log.len(), 2);
    assert_eq!(state(&sql).await, (requests.clone(), log.clone()));
    for r in &requests {
        assert_eq!(sql.get(r.id).await.unwrap().as_ref(), Some(r));
    }
    assert_eq!(sql.get(Uuid::nil()).await.unwrap(), None);
    assert!(requests.iter().any(|r| r.fee.is_some() && r.state == RequestState::Completed));
    assert!(requests.iter().any(|r| r.partial_notice.is_some()));
    assert_eq!(sorted(table_events(sql.pool()).await), sorted(mem.events()));

    // A write whose log entry already exists leaves nothing: not its request, not its events.
    let mut extra: Request = requests[0].clone();
    extra.id = Uuid::now_v7();
    let dup = log[0].clone();
    let event = writes[0].2[0].clone();
    let mut fresh_event = event.clone();
    fresh_event.id = Uuid::now_v7();
    let bad = || LedgerWrite {
        requests: vec![extra.clone()],
        log_entries: vec![dup.clone()],
        events: vec![fresh_event.clone()],
    };
    assert_eq!(mem.write(bad()).await.unwrap_err().kind(), StoreErrorKind::Conflict);
    assert_eq!(sql.write(bad()).await.unwrap_err().kind(), StoreErrorKind::Conflict);
    assert_eq!(state(&sql).await, (requests.clone(), log.clone()));
    assert_eq!(sql.get(extra.id).await.unwrap(), None);
    assert_eq!(sorted(table_events(sql.pool()).await), sorted(mem.events()));

    // Replacing a request keeps one row.
    let mut moved = requests[1].clone();
    moved.history.clear();
    sql.write(LedgerWrite { requests: vec![moved.clone()], ..LedgerWrite::default() }).await.unwrap();
    assert_eq!(sql.get(moved.id).await.unwrap(), Some(moved));
    assert_eq!(sql.list().await.unwrap().len(), 6);

    // Erasing a log-book entry removes exactly that one; a second time it is not found.
    for s in [&sql as &dyn ErasesLog, &mem] {
        s.erase(log[0].id).await.unwrap();
        assert_eq!(s.erase(log[0].id).await.unwrap_err().kind(), StoreErrorKind::NotFound);
    }
    assert_eq!(sql.log_book().await.unwrap(), vec![log[1].clone()]);
    assert_eq!(mem.log_book().await.unwrap(), vec![log[1].clone()]);
}

/// `erase_log_entry` on either store, for one loop over both.
trait ErasesLog {
    fn erase(
        &self,
        id: Uuid,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), StoreError>> + '_>>;
}
impl<S: RequestStore> ErasesLog for S {
    fn erase(
        &self,
        id: Uuid,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), StoreError>> + '_>> {
        Box::pin(self.erase_log_entry(id))
    }
}

/// A sink that keeps events, or refuses them.
#[derive(Default)]
struct Sink {
    refuse: bool,
    kept: Mutex<Vec<AuditEvent>>,
}

impl EventSink for Sink {
    fn append(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        if self.refuse {
            return Err(StoreError::new(StoreErrorKind::Unavailable, "audit log down"));
        }
        self.kept.lock().unwrap().extend_from_slice(events);
        Ok(())
    }
}

async fn sinks_are_inside_the_write(pool: Pool) {
    let writes = ledger_writes().await;
    let keeping = Arc::new(Sink::default());
    let store = SqlRequestStore::open(pool.clone()).await.unwrap().with_sink(keeping.clone());
    store.write(write(&writes[0])).await.unwrap();
    assert_eq!(keeping.kept.lock().unwrap().clone(), writes[0].2);
    assert!(table_events(&pool).await.is_empty(), "events went to the table despite the sink");

    let refusing = SqlRequestStore::open(pool.clone())
        .await
        .unwrap()
        .with_sink(Arc::new(Sink { refuse: true, ..Sink::default() }));
    let err = refusing.write(write(&writes[1])).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Audit);
    // The refused write's request change did not happen.
    assert_eq!(store.list().await.unwrap(), writes[0].0);
    assert!(format!("{refusing:?}").starts_with("SqlRequestStore { dialect: "), "{refusing:?}");
}

/// With an audit log, each write's events are chained into it in the write's transaction: a write
/// that fails adds no audit entry, and nothing goes to `_pdpo_events`.
async fn audit_log_is_inside_the_write(pool: Pool) {
    let writes = ledger_writes().await;
    let log = SqlAuditStore::open(pool.clone(), Identifier::new("crm").unwrap(), Arc::new(SystemClock))
        .await
        .unwrap();
    let store = SqlRequestStore::open(pool.clone()).await.unwrap().with_audit(log.clone());
    let mut events = 0;
    for w in &writes {
        store.write(write(w)).await.unwrap();
        events += w.2.len() as u64;
    }
    assert!(events >= 14);
    assert_eq!(log.head().await.unwrap().size, events);
    assert!(table_events(&pool).await.is_empty(), "events went to the table despite the audit log");

    let before = state(&store).await;
    let mut extra = before.0[0].clone();
    extra.id = Uuid::now_v7();
    let mut fresh = writes[0].2[0].clone();
    fresh.id = Uuid::now_v7();
    let bad =
        LedgerWrite { requests: vec![extra], log_entries: vec![before.1[0].clone()], events: vec![fresh] };
    assert_eq!(store.write(bad).await.unwrap_err().kind(), StoreErrorKind::Conflict);
    assert_eq!(log.head().await.unwrap().size, events, "a failed write left an audit entry");
    assert_eq!(state(&store).await, before);
}

#[tokio::test(flavor = "current_thread")]
async fn sqlite_request_store_chains_events_into_the_audit_log() {
    let h = SqliteHarness::new();
    audit_log_is_inside_the_write(h.pool().await.into()).await;
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_request_store_chains_events_into_the_audit_log() {
    let Some(admin) = pg_admin().await else { return };
    let schemas = PgSchemas::new(admin);
    audit_log_is_inside_the_write(schemas.harness().pool().await.into()).await;
    schemas.drop_all().await;
}

#[tokio::test(flavor = "current_thread")]
async fn sqlite_request_store_agrees_with_memory() {
    let h = SqliteHarness::new();
    agrees_with_memory(SqlRequestStore::open(h.pool().await).await.unwrap()).await;
}

#[tokio::test(flavor = "current_thread")]
async fn sqlite_request_store_events_go_to_the_sink_in_the_write() {
    let h = SqliteHarness::new();
    sinks_are_inside_the_write(h.pool().await.into()).await;
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_request_store_agrees_with_memory() {
    let Some(admin) = pg_admin().await else { return };
    let schemas = PgSchemas::new(admin);
    agrees_with_memory(SqlRequestStore::open(schemas.harness().pool().await).await.unwrap()).await;
    schemas.drop_all().await;
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_request_store_events_go_to_the_sink_in_the_write() {
    let Some(admin) = pg_admin().await else { return };
    let schemas = PgSchemas::new(admin);
    sinks_are_inside_the_write(schemas.harness().pool().await.into()).await;
    schemas.drop_all().await;
}

#[tokio::test(flavor = "current_thread")]
async fn the_ledger_runs_on_sql_and_keeps_the_log_book_four_years() {
    let h = SqliteHarness::new();
    let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2025, 3, 10, 2, 0, 0).unwrap()));
    let ledger = Ledger::new(SqlRequestStore::open(h.pool().await).await.unwrap(), Arc::clone(&clock));
    let staff = Actor::user("staff-7").unwrap();
    let dar = ledger.receive(NewRequest::new(RequestKind::Access, vec![Key::from(1)]), &staff).await.unwrap();
    let (_, entry) = ledger
        .refuse(
            dar.id,
            RefusalInput {
                grounds: vec![RefusalGround::S20_3_b],
                reasons: "cannot locate the data".into(),
                other_data_user: None,
                prejudice: None,
                notice_served_on: d("2025-03-11"),
            },
            &staff,
        )
        .await
        .unwrap();
    assert_eq!(ledger.in_state(RequestState::Refused).await.unwrap().len(), 1);
    assert!(ledger.erase_log_entry(entry.id).await.is_err(), "erased before four years");
    assert_eq!(ledger.store().log_book().await.unwrap(), vec![entry.clone()]);
    clock.set(Utc.with_ymd_and_hms(2029, 3, 10, 2, 0, 0).unwrap());
    ledger.erase_log_entry(entry.id).await.unwrap();
    assert!(ledger.store().log_book().await.unwrap().is_empty());
}
