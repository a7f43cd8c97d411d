//! Fault injection: a change set failing at each of its statements leaves the database logically
//! identical, pdpo's own tables (events, outbox) included, and with an audit log the log's head
//! and rows unchanged. Consecutive inserts are multi-row statements, so a run of inserts counts one
//! statement per entity and column list (per 1,000 rows).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::DateTime;

use pdpo_audit::{AuditStore, MemoryAuditStore, Scope, verify};
use pdpo_core::conformance::{Harness, fixture_schema};
use pdpo_core::{
    Actor, AuditAction, AuditEvent, ChangeSet, DataStore, FixedClock, Identifier, Key, KeyValue, Record,
    RecordRef, StoreErrorKind, Value,
};
use pdpo_store::{SqlAuditStore, SqlStore};

use crate::audit::{ORIGIN, snapshot};
use crate::common::{PgSchemas, SqliteHarness, dump, loaded, pg_admin};

fn id(s: &'static str) -> Identifier {
    Identifier::from_static(s)
}

/// Six data statements (the two consecutive inserts are of different entities: one statement
/// each), two events (one multi-row insert), two blob deletions (one): eight statements.
fn change_set() -> ChangeSet {
    let ck = |a, b| Key::composite([KeyValue::Int(a), KeyValue::Int(b)]);
    let mut set = BTreeMap::new();
    set.insert("name".to_owned(), Value::from("CHAN Tai-man"));
    let mut total = BTreeMap::new();
    total.insert("total".to_owned(), Value::Decimal("13.25".parse().unwrap()));
    let actor = Actor::system("fault-test").unwrap();
    let at = chrono::DateTime::from_timestamp(1_750_000_000, 0).unwrap();
    let mut cs = ChangeSet::new();
    cs.update(RecordRef::new(id("people"), Key::from(1)), set)
        .insert(Record::new(id("orders"), Key::from(20)).with("person_id", 2).with("total", Value::Null))
        .insert(Record::new(id("order_lines"), ck(20, 1)).with("description", "Lai see packets"))
        .update(RecordRef::new(id("orders"), Key::from(11)), total)
        .delete(RecordRef::new(id("order_lines"), ck(12, 1)))
        .delete(RecordRef::new(id("notes"), Key::from(1002)))
        .event(AuditEvent::new(AuditAction::Update, actor.clone(), at))
        .event(AuditEvent::new(AuditAction::Delete, actor, at))
        .delete_blob("scan-1")
        .delete_blob("scan-2");
    cs
}

async fn failing_at_each_statement_changes_nothing(s: SqlStore) {
    loaded(&s).await;
    let before = dump(&s).await;
    let statements = 8;
    for at in 0..statements {
        s.inject_failure_at(at);
        let err = s.apply(change_set()).await.expect_err("the injected failure must fail the change set");
        assert_eq!(err.kind(), StoreErrorKind::Backend, "statement {at}: {err}");
        assert_eq!(dump(&s).await, before, "a failure at statement {at} left changes behind");
    }
    let applied = s.apply(change_set()).await.unwrap();
    assert_eq!(s.last_statement_count(), statements);
    assert_eq!((applied.inserted, applied.updated, applied.deleted, applied.events), (2, 2, 2, 2));
    let after = dump(&s).await;
    assert_ne!(after, before);
    assert_eq!(after.iter().filter(|l| l.starts_with("event ")).count(), 2);
    assert_eq!(after.iter().filter(|l| l.starts_with("outbox ")).count(), 2);
}

/// 1,500 orders, each followed by its line: written as orders (1,000 + 500 rows) then order lines
/// (1,000 + 500), parents first: four statements.
fn bulk_inserts() -> ChangeSet {
    let mut cs = ChangeSet::new();
    for i in 0..1_500 {
        cs.insert(Record::new(id("orders"), Key::from(5_000 + i)).with("person_id", 1 + i % 4));
        cs.insert(
            Record::new(id("order_lines"), Key::composite([KeyValue::Int(5_000 + i), KeyValue::Int(1)]))
                .with("description", "Pineapple buns"),
        );
    }
    cs
}

async fn bulk_inserts_fail_at_each_statement(s: SqlStore) {
    loaded(&s).await;
    let before = dump(&s).await;
    for at in 0..4 {
        s.inject_failure_at(at);
        let err = s.apply(bulk_inserts()).await.expect_err("the injected failure must fail the change set");
        assert_eq!(err.kind(), StoreErrorKind::Backend, "statement {at}: {err}");
        assert!(err.to_string().contains(&format!("statement {at}")), "{err}");
        assert_eq!(dump(&s).await, before, "a failure at statement {at} left changes behind");
    }
    // A fifth statement does not exist: the failure never fires and the set applies.
    s.inject_failure_at(4);
    let applied = s.apply(bulk_inserts()).await.unwrap();
    assert_eq!(applied.inserted, 3_000);
    let lines = s.scan_page("order_lines", None, 10_000).await.unwrap().records;
    assert_eq!(lines.len(), 1_500 + 4);
}

/// A constraint failing inside a multi-row statement names the record at fault, and nothing of
/// the change set stays.
async fn bulk_insert_errors_name_the_record(s: SqlStore) {
    loaded(&s).await;
    let before = dump(&s).await;
    let order = |k: i64, person: i64| Record::new(id("orders"), Key::from(k)).with("person_id", person);
    let mut cs = ChangeSet::new();
    cs.insert(order(30, 1)).insert(order(11, 2)).insert(order(31, 3));
    let err = s.apply(cs).await.expect_err("orders[11] exists");
    assert_eq!(err.kind(), StoreErrorKind::Conflict, "{err}");
    assert!(err.to_string().contains("orders[11]"), "{err}");
    let mut cs = ChangeSet::new();
    cs.insert(order(30, 1)).insert(order(31, 2)).insert(order(32, 999)).insert(order(33, 3));
    let err = s.apply(cs).await.expect_err("person 999 does not exist");
    assert_eq!(err.kind(), StoreErrorKind::MissingReference, "{err}");
    assert!(err.to_string().contains("orders[32]"), "{err}");
    let mut cs = ChangeSet::new();
    cs.insert(order(40, 1)).insert(order(41, 1)).insert(order(40, 2));
    let err = s.apply(cs).await.expect_err("orders[40] twice");
    assert_eq!(err.kind(), StoreErrorKind::Conflict, "{err}");
    assert!(err.to_string().contains("orders[40]"), "{err}");
    assert_eq!(dump(&s).await, before);
    // A child listed before its parent in one run is written after it.
    let mut cs = ChangeSet::new();
    cs.insert(
        Record::new(id("order_lines"), Key::composite([KeyValue::Int(50), KeyValue::Int(1)]))
            .with("description", "Milk tea"),
    )
    .insert(order(50, 4));
    assert_eq!(s.apply(cs).await.unwrap().inserted, 2);
}

#[tokio::test(flavor = "current_thread")]
async fn sqlite_bulk_inserts() {
    let h = SqliteHarness::new();
    bulk_inserts_fail_at_each_statement(h.open(&fixture_schema(false), None).await).await;
    let h = SqliteHarness::new();
    bulk_insert_errors_name_the_record(h.open(&fixture_schema(false), None).await).await;
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_bulk_inserts() {
    let Some(admin) = pg_admin().await else { return };
    let schemas = PgSchemas::new(admin);
    bulk_inserts_fail_at_each_statement(schemas.harness().open(&fixture_schema(false), None).await).await;
    bulk_insert_errors_name_the_record(schemas.harness().open(&fixture_schema(false), None).await).await;
    schemas.drop_all().await;
}

on_both_backends!(
    sqlite_fault_injection,
    postgres_fault_injection,
    failing_at_each_statement_changes_nothing
);

/// With an audit log: six data statements, then the log's four (lock the head, create the
/// month's partition, insert the rows, write the head), then one outbox insert of two rows.
async fn audited_failures_change_neither_data_nor_log(s: SqlStore) {
    let clock = Arc::new(FixedClock::new(DateTime::from_timestamp(1_750_000_000, 0).unwrap()));
    let log = SqlAuditStore::open(s.pool().clone(), ORIGIN, clock.clone()).await.unwrap();
    let s = s.with_audit(log.clone());
    loaded(&s).await;
    let before = dump(&s).await;
    let log_before = snapshot(&log).await;
    assert_eq!(log_before.head.size, 0);
    // One change set, applied again and again: its events keep their ids.
    let cs = change_set();
    let statements = 11;
    for at in 0..statements {
        s.inject_failure_at(at);
        let err = s.apply(cs.clone()).await.expect_err("the injected failure must fail the change set");
        assert_eq!(err.kind(), StoreErrorKind::Backend, "statement {at}: {err}");
        assert_eq!(dump(&s).await, before, "a failure at statement {at} left data changes behind");
        assert_eq!(snapshot(&log).await, log_before, "a failure at statement {at} changed the audit log");
    }
    // Past the last statement: nothing fails, so the count above is exact.
    s.inject_failure_at(statements);
    let applied = s.apply(cs.clone()).await.unwrap();
    assert_eq!(applied.events, 2);
    let after = dump(&s).await;
    assert_ne!(after, before);
    assert_eq!(after.iter().filter(|l| l.starts_with("event ")).count(), 0, "events go to the audit log");
    // The log holds exactly what the reference log holds for the same events.
    let reference = MemoryAuditStore::with_clock(ORIGIN, clock);
    reference.append(&cs.events).await.unwrap();
    assert_eq!(snapshot(&log).await, reference.snapshot());
    assert!(verify(&log, Scope::All).await.unwrap().is_clean());
}

on_both_backends!(
    sqlite_audited_fault_injection,
    postgres_audited_fault_injection,
    audited_failures_change_neither_data_nor_log
);

/// A log that cannot take the events (here: opened on another database, so this one has no
/// head row) fails the change set, and its data changes roll back.
#[tokio::test(flavor = "current_thread")]
async fn a_refused_audit_append_rolls_back_the_data() {
    let (a, b) = (SqliteHarness::new(), SqliteHarness::new());
    let clock = Arc::new(FixedClock::new(DateTime::from_timestamp(1_750_000_000, 0).unwrap()));
    let log = SqlAuditStore::open(a.pool().await, ORIGIN, clock).await.unwrap();
    let s = b.open(&fixture_schema(false), None).await;
    loaded(&s).await;
    let before = dump(&s).await;
    let s = s.with_audit(log.clone());
    let err = s.apply(change_set()).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Audit, "{err}");
    assert_eq!(dump(&s).await, before);
    assert_eq!(log.head().await.unwrap().size, 0);
}

/// An update of person 1's name with two events whose ids are numbered from `n`.
fn renaming(n: u64, name: &str) -> ChangeSet {
    renaming_to(1, n, Value::from(name))
}

/// An update of person `person`'s name to `name` with two events numbered from `n`.
fn renaming_to(person: i64, n: u64, name: Value) -> ChangeSet {
    let mut set = BTreeMap::new();
    set.insert("name".to_owned(), name);
    let actor = Actor::system("fault-test").unwrap();
    let at = DateTime::from_timestamp(1_750_000_000, 0).unwrap();
    let mut cs = ChangeSet::new();
    cs.update(RecordRef::new(id("people"), Key::from(person)), set);
    for k in n..n + 2 {
        cs.event(
            AuditEvent::new(AuditAction::Update, actor.clone(), at).with_id(uuid::Uuid::from_u64_pair(7, k)),
        );
    }
    cs
}

/// Once the log's handle knows the committed head (after an append of its own), a change set's
/// events take one statement: the head written where it still holds the known head, and the rows
/// inserted if it did. With one update that makes two statements on SQLite, and one on
/// PostgreSQL (the update and the append fused); a failure at each leaves data and log
/// unchanged, and the next append still chains on the right head. On the fused path, an update
/// of a missing record or one that breaks a constraint fails the same way.
async fn known_head_failures_change_nothing(s: SqlStore, statements: usize) {
    let clock = Arc::new(FixedClock::new(DateTime::from_timestamp(1_750_000_000, 0).unwrap()));
    let log = SqlAuditStore::open(s.pool().clone(), ORIGIN, clock.clone()).await.unwrap();
    let s = s.with_audit(log.clone());
    loaded(&s).await;
    let reference = MemoryAuditStore::with_clock(ORIGIN, clock);
    let first = renaming(0, "CHAN Tai-man");
    s.apply(first.clone()).await.unwrap();
    reference.append(&first.events).await.unwrap();
    let before = dump(&s).await;
    let log_before = snapshot(&log).await;
    assert_eq!(log_before, reference.snapshot());
    let cs = renaming(2, "Chan Tai Man");
    for at in 0..statements {
        s.inject_failure_at(at);
        let err = s.apply(cs.clone()).await.expect_err("the injected failure must fail the change set");
        assert_eq!(err.kind(), StoreErrorKind::Backend, "statement {at}: {err}");
        assert_eq!(dump(&s).await, before, "a failure at statement {at} left data changes behind");
        assert_eq!(snapshot(&log).await, log_before, "a failure at statement {at} changed the audit log");
    }
    // A missing record, and a NOT NULL name: the change set fails, naming the record.
    for (cs, kind, named) in [
        (renaming_to(99, 2, Value::from("Nobody")), StoreErrorKind::NotFound, "people[99]"),
        (renaming_to(1, 2, Value::Null), StoreErrorKind::Invalid, "people[1]"),
    ] {
        let err = s.apply(cs).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
        assert!(err.to_string().contains(named), "{err}");
    }
    assert_eq!(dump(&s).await, before);
    assert_eq!(snapshot(&log).await, log_before);

    s.inject_failure_at(statements);
    s.apply(cs.clone()).await.unwrap();
    assert_eq!(s.last_statement_count(), statements);
    reference.append(&cs.events).await.unwrap();
    assert_eq!(snapshot(&log).await, reference.snapshot());
    assert!(verify(&log, Scope::All).await.unwrap().is_clean());
}

#[tokio::test(flavor = "current_thread")]
async fn sqlite_known_head_fault_injection() {
    let h = SqliteHarness::new();
    known_head_failures_change_nothing(h.open(&fixture_schema(false), None).await, 2).await;
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_known_head_fault_injection() {
    let Some(admin) = pg_admin().await else { return };
    let schemas = PgSchemas::new(admin);
    known_head_failures_change_nothing(schemas.harness().open(&fixture_schema(false), None).await, 1).await;
    schemas.drop_all().await;
}

/// Two handles on one log, each with its own idea of the head: appends through either, in any
/// interleaving (and a rolled-back one), give the log the reference gets from the same events.
async fn stale_known_heads_rechain(s: SqlStore) {
    let clock = Arc::new(FixedClock::new(DateTime::from_timestamp(1_750_000_000, 0).unwrap()));
    let a = SqlAuditStore::open(s.pool().clone(), ORIGIN, clock.clone()).await.unwrap();
    let b = SqlAuditStore::open(s.pool().clone(), ORIGIN, clock.clone()).await.unwrap();
    loaded(&s).await;
    let (sa, sb) = (s.clone().with_audit(a.clone()), s.with_audit(b.clone()));
    let reference = MemoryAuditStore::with_clock(ORIGIN, clock);
    let mut n = 0;
    for (i, store) in [&sa, &sa, &sb, &sa, &sb, &sb, &sa].into_iter().enumerate() {
        let cs = renaming(n, &format!("Name {i}"));
        n += 2;
        if i == 3 {
            // Fails after the head write: rolled back, so `a`'s known head stays the committed one.
            store.inject_failure_at(2);
            assert!(store.apply(cs.clone()).await.is_err());
        }
        store.apply(cs.clone()).await.unwrap();
        reference.append(&cs.events).await.unwrap();
        assert_eq!(snapshot(&a).await, reference.snapshot(), "after change set {i}");
    }
    // Plain appends through the other handle interleave too.
    let more = renaming(n, "unused").events;
    b.append(&more).await.unwrap();
    reference.append(&more).await.unwrap();
    let last = renaming(n + 2, "Last");
    sa.apply(last.clone()).await.unwrap();
    reference.append(&last.events).await.unwrap();
    assert_eq!(snapshot(&a).await, reference.snapshot());
    assert!(verify(&a, Scope::All).await.unwrap().is_clean());
}

on_both_backends!(
    sqlite_stale_known_heads_rechain,
    postgres_stale_known_heads_rechain,
    stale_known_heads_rechain
);

/// Inserts are checked batch by batch while the previous statement runs: a bad record in a later
/// batch fails the change set after earlier statements ran, and nothing is left behind; a
/// statement's own failure in an earlier batch wins over a bad record prepared after it.
async fn later_batches_fail_cleanly(s: SqlStore) {
    loaded(&s).await;
    let before = dump(&s).await;
    let orders = |bad_at: Option<i64>, missing_parent_at: Option<i64>| {
        let mut cs = ChangeSet::new();
        for i in 0..1_500 {
            let person = if Some(i) == missing_parent_at { 777 } else { 1 + i % 4 };
            let r = Record::new(id("orders"), Key::from(5_000 + i)).with("person_id", person);
            cs.insert(if Some(i) == bad_at { r.with("nope", 1) } else { r });
        }
        cs
    };
    let err = s.apply(orders(Some(1_200), None)).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Invalid, "{err}");
    assert!(err.to_string().contains("nope"), "{err}");
    assert_eq!(dump(&s).await, before);
    let err = s.apply(orders(Some(1_200), Some(10))).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::MissingReference, "{err}");
    assert!(err.to_string().contains("orders[5010]"), "{err}");
    assert_eq!(dump(&s).await, before);
}

on_both_backends!(
    sqlite_later_insert_batches_fail_cleanly,
    postgres_later_insert_batches_fail_cleanly,
    later_batches_fail_cleanly
);
