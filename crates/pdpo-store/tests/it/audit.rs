//! SqlAuditStore against MemoryAuditStore, the reference: the same event sequences on the same
//! clock give the same heads, seals, partitions, rows and verification reports, on SQLite and
//! PostgreSQL; rows edited, deleted, inserted or reordered directly in SQL are located by
//! `verify` exactly as the same change to the reference log is.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use pdpo_audit::{
    AuditStore, Body, Checkpoint, CheckpointKey, Digest, EntryRow, Error as AuditError, Fault, FaultKind,
    Head, Location, MemoryAuditStore, Month, Report, Retention, Scope, Seal, Snapshot, verify,
    verify_against,
};
use pdpo_core::{Actor, AuditAction, AuditEvent, Clock, FixedClock, Identifier, Key, RecordRef};
use pdpo_store::{SqlAuditStore, sqlx};
use uuid::Uuid;

use crate::common::{PgSchemas, SqliteHarness, pg_admin};

pub(crate) const ORIGIN: Identifier = Identifier::from_static("acme-crm");

/// 2026-01-02 09:00 in Hong Kong.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 2, 1, 0, 0).unwrap()
}

fn month(y: i32, m: u32) -> Month {
    Month::new(y, m).unwrap()
}

/// The `n`th event of a deterministic, varied stream.
pub(crate) fn event(n: u64, at: DateTime<Utc>) -> AuditEvent {
    let staff = Actor::user(format!("staff-{}", n % 5)).unwrap();
    let subject = Key::from((n % 7) as i64 + 1);
    let base = |action| AuditEvent::new(action, staff.clone(), at).with_id(Uuid::from_u64_pair(0x0195, n));
    match n % 4 {
        0 => base(AuditAction::View)
            .with_subject(subject.clone())
            .with_record(RecordRef::new(Identifier::from_static("contacts"), subject))
            .with_fields(["email", "phone"])
            .unwrap(),
        1 => base(AuditAction::Disclose)
            .with_subject(subject)
            .with_recipient(Identifier::from_static("insurer")),
        2 => base(AuditAction::Inventory).with_count(Identifier::from_static("records"), 1000 + n),
        _ => base(AuditAction::Login),
    }
}

/// Raw access to a test database, for tampering.
#[derive(Clone)]
pub(crate) enum Raw {
    Sqlite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

fn table(m: Month) -> String {
    format!("_pdpo_audit_{:04}_{:02}", m.year(), m.month())
}

impl Raw {
    pub(crate) fn pool(&self) -> pdpo_store::Pool {
        match self {
            Self::Sqlite(p) => p.clone().into(),
            Self::Pg(p) => p.clone().into(),
        }
    }

    pub(crate) async fn exec(&self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self {
            Self::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(drop),
            Self::Pg(p) => sqlx::raw_sql(sql).execute(p).await.map(drop),
        }
        .unwrap();
    }

    /// Writes `row` at its index in `m`'s table, replacing what is there.
    async fn put_row(&self, m: Month, row: &EntryRow) {
        let idx = row.index as i64;
        self.exec(&format!("DELETE FROM {} WHERE idx = {idx}", table(m))).await;
        let at = row.recorded_at.timestamp_micros();
        match self {
            Self::Sqlite(p) => {
                let sql = format!(
                    "INSERT INTO {} (idx, recorded_at, prev, hash, body) VALUES (?, ?, ?, ?, ?)",
                    table(m)
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(idx)
                    .bind(at)
                    .bind(row.prev.0.to_vec())
                    .bind(row.hash.0.to_vec())
                    .bind(row.body.clone())
                    .execute(p)
                    .await
                    .unwrap();
            }
            Self::Pg(p) => {
                let sql = format!(
                    "INSERT INTO {} (idx, recorded_at, prev, hash, body, month) VALUES ($1, $2, $3, $4, $5, $6)",
                    table(m)
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(idx)
                    .bind(at)
                    .bind(row.prev.0.to_vec())
                    .bind(row.hash.0.to_vec())
                    .bind(row.body.clone())
                    .bind(m.year() * 100 + m.month() as i32)
                    .execute(p)
                    .await
                    .unwrap();
            }
        }
    }

    /// The `size` column of the stored head row.
    async fn head_row_size(&self) -> u64 {
        let sql = "SELECT size FROM _pdpo_audit_head WHERE id = 1";
        let size: i64 = match self {
            Self::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
            Self::Pg(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        };
        size as u64
    }

    async fn drop_seal_guard(&self) {
        match self {
            Self::Sqlite(_) => {
                self.exec(
                    "DROP TRIGGER _pdpo_audit_seals_no_update; DROP TRIGGER _pdpo_audit_seals_no_delete",
                )
                .await;
            }
            Self::Pg(_) => self.exec("DROP TRIGGER _pdpo_audit_seals_append_only ON _pdpo_audit_seals").await,
        }
    }
}

/// Fresh databases of one backend.
pub(crate) enum Env {
    Sqlite(Mutex<Vec<SqliteHarness>>),
    Pg(PgSchemas),
}

impl Env {
    pub(crate) fn sqlite() -> Self {
        Self::Sqlite(Mutex::default())
    }

    /// `None` (skipped) when PostgreSQL is unreachable outside CI.
    pub(crate) async fn postgres() -> Option<Self> {
        Some(Self::Pg(PgSchemas::new(pg_admin().await?)))
    }

    pub(crate) async fn fresh(&self) -> Raw {
        match self {
            Self::Sqlite(hs) => {
                let h = SqliteHarness::new();
                let pool = h.pool().await;
                hs.lock().unwrap().push(h);
                Raw::Sqlite(pool)
            }
            Self::Pg(schemas) => Raw::Pg(schemas.harness().pool().await),
        }
    }

    pub(crate) async fn done(self) {
        if let Self::Pg(s) = self {
            s.drop_all().await;
        }
    }
}

/// `#[tokio::test]`s named `$sqlite` and `$postgres` that run `$check(env)` on a fresh [`Env`] of
/// each backend (the PostgreSQL one skipped outside CI when the server is unreachable).
macro_rules! on_both_envs {
    ($sqlite:ident, $postgres:ident, $check:ident) => {
        #[tokio::test(flavor = "current_thread")]
        async fn $sqlite() {
            $check(Env::sqlite()).await;
        }

        #[tokio::test(flavor = "current_thread")]
        async fn $postgres() {
            let Some(env) = Env::postgres().await else { return };
            $check(env).await;
        }
    };
}

/// The SQL log and the reference log, on one clock.
struct Twin {
    /// Whether both logs hold the same bytes: false once retention has logged drops, whose
    /// events get fresh random ids in each log.
    exact: AtomicBool,
    clock: Arc<FixedClock>,
    mem: MemoryAuditStore,
    sql: SqlAuditStore,
    raw: Raw,
}

impl Twin {
    async fn new(raw: Raw) -> Self {
        let clock = Arc::new(FixedClock::new(start()));
        let sql = SqlAuditStore::open(raw.pool(), ORIGIN, clock.clone()).await.unwrap();
        let mem = MemoryAuditStore::with_clock(ORIGIN, clock.clone());
        Self { exact: AtomicBool::new(true), clock, mem, sql, raw }
    }

    /// Appends to both; the heads must agree.
    async fn append(&self, events: &[AuditEvent]) {
        let a = self.mem.append(events).await.unwrap();
        let b = self.sql.append(events).await.unwrap();
        if self.exact.load(Ordering::Relaxed) {
            assert_eq!(a, b, "heads differ after an append");
        } else {
            assert_eq!(head_shape(&a), head_shape(&b), "heads differ after an append");
        }
    }

    /// `months` full months from January 2026 plus an open month, `per_month` events each, in
    /// batches of one to three.
    async fn build(raw: Raw, months: u32, per_month: u64) -> Self {
        let t = Self::new(raw).await;
        let mut n = 0;
        for m in 0..=months {
            let first = Month::of(start()).plus(m);
            let mut appended = 0;
            while appended < per_month {
                let step = 27 * 24 * 60 / per_month as i64;
                let at = first.start() + Duration::minutes(30 + step * appended as i64);
                t.clock.set(at);
                let batch = (1 + n % 3).min(per_month - appended);
                let events: Vec<_> = (n..n + batch).map(|k| event(k, at - Duration::minutes(5))).collect();
                t.append(&events).await;
                n += batch;
                appended += batch;
            }
        }
        t
    }

    async fn assert_same(&self) {
        let (a, b) = (snapshot(&self.sql).await, self.mem.snapshot());
        if self.exact.load(Ordering::Relaxed) {
            assert_eq!(a, b);
        } else {
            assert_eq!(shape(&a), shape(&b));
        }
        let a = verify(&self.mem, Scope::All).await.unwrap();
        let b = verify(&self.sql, Scope::All).await.unwrap();
        assert_eq!(a, b);
    }
}

/// A head without its hashes.
fn head_shape(h: &Head) -> (u64, Option<Month>, u64, u64, Option<Month>, DateTime<Utc>) {
    (h.size, h.month, h.count, h.seals, h.sealed, h.at)
}

type Shape = (
    (u64, Option<Month>, u64, u64, Option<Month>, DateTime<Utc>),
    Vec<(Month, u64, DateTime<Utc>)>,
    Vec<(Month, Vec<(u64, DateTime<Utc>, AuditAction)>)>,
);

/// A snapshot without hashes and event ids: positions, times and actions.
fn shape(s: &Snapshot) -> Shape {
    (
        head_shape(&s.head),
        s.seals.iter().map(|x| (x.month, x.count, x.sealed_at)).collect(),
        s.partitions
            .iter()
            .map(|(m, rows)| {
                (*m, rows.iter().map(|r| (r.index, r.recorded_at, r.event().unwrap().action)).collect())
            })
            .collect(),
    )
}

/// Everything a store holds, read through the AuditStore port.
pub(crate) async fn snapshot<S: AuditStore>(s: &S) -> Snapshot {
    let mut partitions = BTreeMap::new();
    for p in s.partitions().await.unwrap() {
        let rows = s.read(p.month, 0, usize::MAX).await.unwrap();
        assert_eq!(rows.len() as u64, p.rows, "{}: row count", p.month);
        partitions.insert(p.month, rows);
    }
    Snapshot {
        origin: s.chain().origin().clone(),
        head: s.head().await.unwrap(),
        seals: s.seals().await.unwrap(),
        partitions,
    }
}

fn key() -> CheckpointKey {
    CheckpointKey::new(Identifier::from_static("ops-2026"), &[0x5a; 32]).unwrap()
}

fn kind(e: &AuditError) -> String {
    match e {
        AuditError::NotSealed { month } => format!("not sealed {month}"),
        AuditError::NotOldest { month, oldest } => format!("not oldest {month} {oldest}"),
        other => format!("other: {other}"),
    }
}

async fn same_sequences_same_log(env: Env) {
    let t = Twin::build(env.fresh().await, 3, 12).await;
    t.assert_same().await;
    assert_eq!(t.sql.partitions().await.unwrap().len(), 4);
    assert_eq!(t.sql.seals().await.unwrap().len(), 3);
    assert!(verify(&t.sql, Scope::All).await.unwrap().is_clean());
    for m in 1..=4 {
        let scope = Scope::Month(month(2026, m));
        assert_eq!(verify(&t.sql, scope).await.unwrap(), verify(&t.mem, scope).await.unwrap());
    }
    // Paged reads agree with the reference at every offset.
    let apr = month(2026, 4);
    for offset in [0, 1, 5, 11, 12, 40] {
        assert_eq!(t.sql.read(apr, offset, 5).await.unwrap(), t.mem.read(apr, offset, 5).await.unwrap());
    }
    let head = t.sql.head().await.unwrap();
    let cp = Checkpoint::sign(t.sql.chain(), &head, t.clock.now(), &key());
    assert!(verify_against(&t.sql, &cp, &key()).await.unwrap().is_clean());

    // Refusals agree.
    for m in [month(2026, 4), month(2026, 2)] {
        let a = t.mem.drop_partition(m).await.unwrap_err();
        let b = t.sql.drop_partition(m).await.unwrap_err();
        assert_eq!(kind(&a), kind(&b));
    }
    // Sealing the quiet month.
    assert_eq!(t.sql.seal_ended().await.unwrap(), None);
    t.clock.set(month(2026, 5).start() + Duration::hours(1));
    let a = t.mem.seal_ended().await.unwrap();
    let b = t.sql.seal_ended().await.unwrap();
    assert_eq!(a, b);
    assert_eq!(b.map(|s| s.month), Some(month(2026, 4)));
    assert_eq!(t.sql.seal_ended().await.unwrap(), None);
    t.assert_same().await;

    // Dropping by hand (no logged drop): both report it.
    assert!(t.mem.drop_partition(month(2026, 1)).await.unwrap());
    assert!(t.sql.drop_partition(month(2026, 1)).await.unwrap());
    assert!(!t.sql.drop_partition(month(2026, 1)).await.unwrap());
    t.assert_same().await;
    let report = verify(&t.sql, Scope::All).await.unwrap();
    let unlogged =
        Fault { location: Location::Partition { month: month(2026, 1) }, kind: FaultKind::DroppedUnlogged };
    assert!(report.faults.contains(&unlogged), "{report}");

    // Retention, with its logged drops, a year later.
    let now = month(2027, 5).start() + Duration::days(2);
    t.clock.set(now);
    let a = Retention::default().run(&t.mem, now).await.unwrap();
    let b = Retention::default().run(&t.sql, now).await.unwrap();
    t.exact.store(false, Ordering::Relaxed);
    assert_eq!(a, b);
    assert_eq!(b.dropped, [month(2026, 2), month(2026, 3)]);
    t.assert_same().await;
    env.done().await;
}

on_both_envs!(sqlite_same_sequences_same_log, postgres_same_sequences_same_log, same_sequences_same_log);

async fn fifteen_months_of_retention(env: Env) {
    let t = Twin::new(env.fresh().await).await;
    let retention = Retention::default();
    let end = month(2026, 1).plus(15).start() + Duration::days(3);
    let mut n = 0;
    let mut dropped = Vec::new();
    while t.clock.now() < end {
        let events: Vec<_> = (n..n + 3).map(|k| event(k, t.clock.now())).collect();
        t.append(&events).await;
        n += 3;
        t.clock.advance(Duration::hours(40));
        let now = t.clock.now();
        let a = retention.run(&t.mem, now).await.unwrap();
        let b = retention.run(&t.sql, now).await.unwrap();
        assert_eq!(a, b, "{now}");
        if !b.dropped.is_empty() {
            t.exact.store(false, Ordering::Relaxed);
        }
        dropped.extend(b.dropped);
    }
    assert_eq!(dropped, [month(2026, 1), month(2026, 2)]);
    t.assert_same().await;
    assert!(verify(&t.sql, Scope::All).await.unwrap().is_clean());
    assert_eq!(t.sql.seals().await.unwrap().len(), 15);
    env.done().await;
}

on_both_envs!(
    sqlite_fifteen_months_of_retention,
    postgres_fifteen_months_of_retention,
    fifteen_months_of_retention
);

/// A row an attacker could write without the checkpoint key: correct hash, correct link.
fn forge(m: Month, index: u64, prev: Digest, like: &EntryRow) -> EntryRow {
    let mut event = like.event().unwrap();
    event.actor = Actor::user("intruder").unwrap();
    let mut row = EntryRow {
        index,
        recorded_at: like.recorded_at,
        prev,
        hash: Digest::ZERO,
        body: Body::encode(&event).unwrap().into_bytes(),
    };
    row.hash = row.compute_hash(m);
    row
}

/// A change made both to the reference snapshot and, in SQL, to the database.
struct Mutation {
    name: &'static str,
    /// The fault `verify` must report (besides any at the head).
    expect: Fault,
}

fn entry(m: Month, index: u64) -> Location {
    Location::Entry { month: m, index }
}

async fn mutate(t: &Twin, snap: &mut Snapshot, name: &str) {
    let (jan, feb, mar, apr) = (month(2026, 1), month(2026, 2), month(2026, 3), month(2026, 4));
    let raw = &t.raw;
    match name {
        "edit body" => {
            let row = &mut snap.partitions.get_mut(&feb).unwrap()[3];
            row.body[5] ^= 0x01;
            raw.put_row(feb, row).await;
        }
        "edit time" => {
            let row = &mut snap.partitions.get_mut(&mar).unwrap()[0];
            row.recorded_at += Duration::microseconds(1);
            raw.put_row(mar, row).await;
        }
        "edit prev" => {
            let row = &mut snap.partitions.get_mut(&apr).unwrap()[5];
            row.prev.0[0] ^= 0x80;
            raw.put_row(apr, row).await;
        }
        "edit hash" => {
            let row = &mut snap.partitions.get_mut(&jan).unwrap()[11];
            row.hash.0[31] ^= 0xff;
            raw.put_row(jan, row).await;
        }
        "delete" => {
            snap.partitions.get_mut(&feb).unwrap().remove(4);
            raw.exec(&format!("DELETE FROM {} WHERE idx = 4", table(feb))).await;
        }
        "delete first of open month" => {
            snap.partitions.get_mut(&apr).unwrap().remove(0);
            raw.exec(&format!("DELETE FROM {} WHERE idx = 0", table(apr))).await;
        }
        "insert junk at the end" => {
            let rows = snap.partitions.get_mut(&mar).unwrap();
            let mut junk = rows[3].clone();
            junk.index = rows.len() as u64;
            junk.hash = Digest([0x42; 32]);
            raw.put_row(mar, &junk).await;
            rows.push(junk);
        }
        "insert forged in the middle" => {
            // Renumber rows 6.. up by one, then write a forged row at 6.
            let rows = snap.partitions.get_mut(&mar).unwrap();
            let forged = forge(mar, 6, rows[5].hash, &rows[6]);
            for r in rows.iter_mut().skip(6) {
                r.index += 1;
            }
            rows.insert(6, forged.clone());
            let t = table(mar);
            raw.exec(&format!(
                "UPDATE {t} SET idx = -idx - 1 WHERE idx >= 6; UPDATE {t} SET idx = -idx WHERE idx < 0"
            ))
            .await;
            raw.put_row(mar, &forged).await;
        }
        "reorder" => {
            // Contents of rows 2 and 5 swapped, each under the other's index.
            let rows = snap.partitions.get_mut(&feb).unwrap();
            let (a, b) = (rows[2].clone(), rows[5].clone());
            rows[2] = EntryRow { index: 2, ..b };
            rows[5] = EntryRow { index: 5, ..a };
            let (a, b) = (rows[2].clone(), rows[5].clone());
            raw.put_row(feb, &a).await;
            raw.put_row(feb, &b).await;
        }
        "edit seal" => {
            snap.seals[1].count += 1;
            raw.drop_seal_guard().await;
            raw.exec("UPDATE _pdpo_audit_seals SET count = count + 1 WHERE month = '2026-02'").await;
        }
        "edit head" => {
            snap.head.size += 1;
            raw.exec("UPDATE _pdpo_audit_head SET size = size + 1").await;
        }
        "drop a month unlogged" => {
            snap.partitions.remove(&jan);
            raw.exec(&format!("DROP TABLE {}", table(jan))).await;
        }
        other => panic!("unknown mutation {other}"),
    }
}

async fn tampering_is_located(env: Env) {
    let (jan, feb, mar, apr) = (month(2026, 1), month(2026, 2), month(2026, 3), month(2026, 4));
    let changed = |m, i| Fault { location: entry(m, i), kind: FaultKind::Changed };
    let mutations = [
        Mutation { name: "edit body", expect: changed(feb, 3) },
        Mutation { name: "edit time", expect: changed(mar, 0) },
        Mutation { name: "edit prev", expect: changed(apr, 5) },
        Mutation { name: "edit hash", expect: changed(jan, 11) },
        Mutation {
            name: "delete",
            expect: Fault { location: entry(feb, 4), kind: FaultKind::Missing { count: 1 } },
        },
        Mutation {
            name: "delete first of open month",
            expect: Fault { location: entry(apr, 0), kind: FaultKind::Missing { count: 1 } },
        },
        Mutation {
            name: "insert junk at the end",
            expect: Fault { location: entry(mar, 12), kind: FaultKind::Inserted },
        },
        Mutation {
            name: "insert forged in the middle",
            // The forged row links correctly; the renumbered rows after it no longer hash.
            expect: changed(mar, 7),
        },
        Mutation { name: "reorder", expect: changed(feb, 2) },
        Mutation {
            name: "edit seal",
            expect: Fault { location: Location::Seal { month: feb }, kind: FaultKind::Changed },
        },
        Mutation { name: "edit head", expect: Fault { location: Location::Head, kind: FaultKind::Changed } },
        Mutation {
            name: "drop a month unlogged",
            expect: Fault { location: Location::Partition { month: jan }, kind: FaultKind::DroppedUnlogged },
        },
    ];
    for m in mutations {
        let t = Twin::build(env.fresh().await, 3, 12).await;
        let mut snap = t.mem.snapshot();
        mutate(&t, &mut snap, m.name).await;
        // The SQL change is the reference change: the store reads back the mutated snapshot.
        assert_eq!(snapshot(&t.sql).await, snap, "{}", m.name);
        let reference: Report =
            verify(&MemoryAuditStore::from_snapshot(snap, t.clock.clone()), Scope::All).await.unwrap();
        let report = verify(&t.sql, Scope::All).await.unwrap();
        assert_eq!(report, reference, "{}", m.name);
        assert!(report.faults.contains(&m.expect), "{}: expected {}, got {report}", m.name, m.expect);
        assert!(
            report
                .faults
                .iter()
                .all(|f| f.location.month() == m.expect.location.month() || f.location == Location::Head),
            "{}: faults elsewhere: {report}",
            m.name
        );
    }
    env.done().await;
}

on_both_envs!(sqlite_tampering_is_located, postgres_tampering_is_located, tampering_is_located);

async fn concurrent_writers(env: Env) {
    const WRITERS: u64 = 4;
    const EACH: u64 = 150;
    let raw = env.fresh().await;
    let clock = Arc::new(FixedClock::new(start()));
    let log = SqlAuditStore::open(raw.pool(), ORIGIN, clock.clone()).await.unwrap();
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let log = log.clone();
        let clock = clock.clone();
        tasks.push(tokio::spawn(async move {
            let actor = Actor::user(format!("writer-{w}")).unwrap();
            let mut n = 0;
            while n < EACH {
                let batch = (1 + (n * 7 + w) % 9).min(EACH - n);
                let events: Vec<_> = (n..n + batch)
                    .map(|k| {
                        AuditEvent::new(AuditAction::View, actor.clone(), start())
                            .with_id(Uuid::from_u64_pair(w, k))
                    })
                    .collect();
                log.append(&events).await.unwrap();
                n += batch;
                if w == 0 && n % 60 < batch {
                    clock.advance(Duration::days(20));
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let report = verify(&log, Scope::All).await.unwrap();
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.entries, WRITERS * EACH);
    let head = log.head().await.unwrap();
    assert_eq!(head.size, WRITERS * EACH);
    assert!(head.seals >= 1);
    let snap = snapshot(&log).await;
    let mut last = vec![None::<u64>; WRITERS as usize];
    let mut total = 0;
    for rows in snap.partitions.values() {
        for row in rows {
            let (w, k) = row.event().unwrap().id.as_u64_pair();
            assert!(last[w as usize].is_none_or(|p| k == p + 1), "writer {w} out of order at {k}");
            last[w as usize] = Some(k);
            total += 1;
        }
    }
    assert_eq!(total, WRITERS * EACH);
    env.done().await;
}

on_both_envs!(
    sqlite_concurrent_writers_give_one_linear_log,
    postgres_concurrent_writers_give_one_linear_log,
    concurrent_writers
);

async fn interrupted_drop_and_origins(env: Env) {
    let t = Twin::build(env.fresh().await, 2, 5).await;
    let jan = month(2026, 1);
    // A crash after the month was taken out, before it was purged.
    let gone = format!("_pdpo_audit_gone_{}", &table(jan)["_pdpo_audit_".len()..]);
    if let Raw::Pg(_) = t.raw {
        t.raw.exec(&format!("ALTER TABLE _pdpo_audit_entries DETACH PARTITION {}", table(jan))).await;
    }
    t.raw.exec(&format!("ALTER TABLE {} RENAME TO {gone}", table(jan))).await;
    assert_eq!(t.sql.partitions().await.unwrap().first().map(|p| p.month), Some(month(2026, 2)));
    // Repeating the drop finishes it.
    assert!(!t.sql.drop_partition(jan).await.unwrap());
    let left = match &t.raw {
        Raw::Sqlite(p) => sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM sqlite_master WHERE name = '{gone}'"
        )))
        .fetch_one(p)
        .await
        .unwrap(),
        Raw::Pg(p) => sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = '{gone}'"
        )))
        .fetch_one(p)
        .await
        .unwrap(),
    };
    assert_eq!(left, 0, "the interrupted drop was not finished");

    // One log per database: another origin is refused; the same one reopens.
    let other = SqlAuditStore::open(t.raw.pool(), Identifier::from_static("other"), t.clock.clone()).await;
    let err = other.unwrap_err().to_string();
    assert!(err.contains("acme-crm") && err.contains("other"), "{err}");
    let again = SqlAuditStore::open(t.raw.pool(), ORIGIN, t.clock.clone()).await.unwrap();
    assert_eq!(again.head().await.unwrap(), t.mem.head().await.unwrap());
    assert!(format!("{again:?}").contains("acme-crm"));
    env.done().await;
}

on_both_envs!(
    sqlite_interrupted_drop_and_origins,
    postgres_interrupted_drop_and_origins,
    interrupted_drop_and_origins
);

#[tokio::test(flavor = "current_thread")]
async fn append_in_commits_and_rolls_back_with_the_callers_transaction() {
    for env in [Some(Env::sqlite()), Env::postgres().await].into_iter().flatten() {
        let raw = env.fresh().await;
        let clock = Arc::new(FixedClock::new(start()));
        let log = SqlAuditStore::open(raw.pool(), ORIGIN, clock.clone()).await.unwrap();
        raw.exec("CREATE TABLE notes (id BIGINT PRIMARY KEY)").await;
        let events = [event(1, start()), event(2, start())];
        let count = |raw: Raw| async move {
            match raw {
                Raw::Sqlite(p) => {
                    sqlx::query_scalar::<_, i64>("SELECT count(*) FROM notes").fetch_one(&p).await.unwrap()
                }
                Raw::Pg(p) => {
                    sqlx::query_scalar::<_, i64>("SELECT count(*) FROM notes").fetch_one(&p).await.unwrap()
                }
            }
        };
        for commit in [false, true] {
            let head = match &raw {
                Raw::Sqlite(p) => {
                    let mut tx = p.begin_with("BEGIN IMMEDIATE").await.unwrap();
                    sqlx::query("INSERT INTO notes (id) VALUES (1)").execute(&mut *tx).await.unwrap();
                    let head = log.append_in(&mut *tx, &events).await.unwrap();
                    if commit {
                        tx.commit().await.unwrap()
                    } else {
                        tx.rollback().await.unwrap()
                    }
                    head
                }
                Raw::Pg(p) => {
                    let mut tx = p.begin().await.unwrap();
                    sqlx::query("INSERT INTO notes (id) VALUES (1)").execute(&mut *tx).await.unwrap();
                    let head = log.append_in(&mut *tx, &events).await.unwrap();
                    if commit {
                        tx.commit().await.unwrap()
                    } else {
                        tx.rollback().await.unwrap()
                    }
                    head
                }
            };
            assert_eq!(head.size, 2);
            let stored = log.head().await.unwrap();
            assert_eq!(stored.size, if commit { 2 } else { 0 }, "commit = {commit}");
            assert_eq!(count(raw.clone()).await, i64::from(commit));
            if commit {
                assert_eq!(stored, head);
            }
        }
        let mem = MemoryAuditStore::with_clock(ORIGIN, clock);
        mem.append(&events).await.unwrap();
        assert_eq!(snapshot(&log).await, mem.snapshot());
        env.done().await;
    }
}

/// Seals are append-only in the database itself.
#[tokio::test(flavor = "current_thread")]
async fn seals_refuse_update_and_delete() {
    for env in [Some(Env::sqlite()), Env::postgres().await].into_iter().flatten() {
        let t = Twin::build(env.fresh().await, 1, 2).await;
        let seals: Vec<Seal> = t.sql.seals().await.unwrap();
        assert_eq!(seals.len(), 1);
        for sql in ["UPDATE _pdpo_audit_seals SET count = 0", "DELETE FROM _pdpo_audit_seals"] {
            let res = match &t.raw {
                Raw::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(drop),
                Raw::Pg(p) => sqlx::raw_sql(sql).execute(p).await.map(drop),
            };
            assert!(res.unwrap_err().to_string().contains("append-only"), "{sql}");
        }
        assert_eq!(t.sql.seals().await.unwrap(), seals);
        env.done().await;
    }
}

/// Two handles on one log, each on its own clock: appends through a handle whose known head is
/// stale (the other appended, or sealed the month on a clock already in the next one) take the
/// slow path and chain on the true head; every append, fast or slow, writes the head row.
async fn two_handles_and_a_foreign_seal(env: Env) {
    let raw = env.fresh().await;
    let (ca, cb) = (Arc::new(FixedClock::new(start())), Arc::new(FixedClock::new(start())));
    let a = SqlAuditStore::open(raw.pool(), ORIGIN, ca.clone()).await.unwrap();
    let b = SqlAuditStore::open(raw.pool(), ORIGIN, cb.clone()).await.unwrap();
    let mut n = 0;
    let mut batch = |size: u64| {
        let events: Vec<AuditEvent> = (n..n + size).map(|i| event(i, start())).collect();
        n += size;
        events
    };
    // The first append starts January (slow path); the next two take the fast path.
    a.append(&batch(2)).await.unwrap();
    assert_eq!(raw.head_row_size().await, 2);
    a.append(&batch(3)).await.unwrap();
    let head = a.append(&batch(1)).await.unwrap();
    assert_eq!((head.size, raw.head_row_size().await), (6, 6), "the fast path skipped the head row");
    assert_eq!(a.head().await.unwrap(), head);
    assert_eq!(b.head().await.unwrap(), head);
    // B still knows the head it opened on (empty): its append must chain on entry 5.
    let head = b.append(&batch(2)).await.unwrap();
    assert_eq!((head.size, head.count, raw.head_row_size().await), (8, 8, 8));
    // A's known head is stale now.
    let head = a.append(&batch(1)).await.unwrap();
    assert_eq!((head.size, head.count), (9, 9));
    // B, on a clock in February, seals January; A, still in January, appends on its known head.
    cb.advance(Duration::days(31));
    let seal = b.seal_ended().await.unwrap().expect("January sealed");
    assert_eq!((seal.month, seal.count), (month(2026, 1), 9));
    let head = a.append(&batch(2)).await.unwrap();
    assert_eq!((head.size, head.month, head.count, head.seals), (11, Some(month(2026, 2)), 2, 1));
    let report = verify(&a, Scope::All).await.unwrap();
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.entries, 11);
    assert_eq!(b.head().await.unwrap(), head);
    env.done().await;
}

on_both_envs!(
    sqlite_two_handles_and_a_foreign_seal,
    postgres_two_handles_and_a_foreign_seal,
    two_handles_and_a_foreign_seal
);

/// Appends through the known-head fast path (one statement: head and rows together), of one
/// event and of batches larger than one SQLite statement holds, give the reference log.
async fn known_head_batches_of_every_size(env: Env) {
    let raw = env.fresh().await;
    let clock = Arc::new(FixedClock::new(start()));
    let sql = SqlAuditStore::open(raw.pool(), ORIGIN, clock.clone()).await.unwrap();
    let mem = MemoryAuditStore::with_clock(ORIGIN, clock.clone());
    let mut n = 0;
    for size in [1, 1, 2_500, 3, 1_999, 1] {
        let events: Vec<AuditEvent> = (n..n + size).map(|i| event(i, start())).collect();
        n += size;
        sql.append(&events).await.unwrap();
        mem.append(&events).await.unwrap();
        assert_eq!(snapshot(&sql).await, mem.snapshot(), "after a batch of {size}");
    }
    assert_eq!(sql.head().await.unwrap().size, n);
    assert!(verify(&sql, Scope::All).await.unwrap().is_clean());
    env.done().await;
}

on_both_envs!(
    sqlite_known_head_batches_of_every_size,
    postgres_known_head_batches_of_every_size,
    known_head_batches_of_every_size
);
