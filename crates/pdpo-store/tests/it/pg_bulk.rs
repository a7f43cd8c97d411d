//! PostgreSQL bulk paths: multi-row inserts through `unnest` arrays (every column type, NULLs,
//! JSON, array columns, mixed-case names, the `VALUES` fallback), key lookups through `= ANY`
//! and `unnest` (integer, text, UUID and composite keys), and audit batches of thousands of
//! events across a month boundary, checked against the reference log.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use pdpo_audit::{AuditStore, MemoryAuditStore, Month, Scope, verify};
use pdpo_core::{
    ChangeSet, DataStore, FixedClock, Identifier, Key, KeyValue, Lookup, Record, Schema, StoreErrorKind,
    Value,
};
use pdpo_store::{SqlAuditStore, SqlStore, sqlx};

use crate::audit::{ORIGIN, event, snapshot};
use crate::common::{PgSchemas, pg_admin};

const DDL: &str = r#"
CREATE TABLE "Contacts" (
    "contactId" BIGINT PRIMARY KEY,
    "fullName"  VARCHAR(200) NOT NULL,
    code        TEXT UNIQUE,
    ref         UUID,
    small       SMALLINT,
    mid         INTEGER,
    score       DOUBLE PRECISION,
    ratio       REAL,
    balance     NUMERIC(14, 2),
    active      BOOLEAN,
    photo       BYTEA,
    born        DATE,
    seen        TIMESTAMPTZ,
    "seenLocal" TIMESTAMP,
    prefs       JSONB,
    extra       JSON,
    tags        TEXT[],
    "groupIds"  BIGINT[],
    "altRefs"   UUID[],
    cls         CHAR(3)
);
CREATE TABLE "contactNotes" (
    "contactId" BIGINT NOT NULL REFERENCES "Contacts" ("contactId"),
    "noteNo"    INTEGER NOT NULL,
    "noteText"  TEXT,
    PRIMARY KEY ("contactId", "noteNo")
);
CREATE TABLE tagged (
    code TEXT PRIMARY KEY,
    ref  UUID UNIQUE,
    body TEXT
);
"#;

const SCHEMA: &str = r#"
subject = "contacts"
[entities.contacts]
table = "Contacts"
key = "contactId"
fields.fullName = { category = "name" }
fields.prefs = { type = "json" }
fields.extra = { type = "json" }
[entities.notes]
table = "contactNotes"
key = ["contactId", "noteNo"]
links = [{ to = "contacts", foreign_key = "contactId" }]
[entities.tagged]
key = "code"
"#;

fn id(s: &'static str) -> Identifier {
    Identifier::from_static(s)
}

fn uuid(n: u64) -> uuid::Uuid {
    uuid::Uuid::from_u64_pair(0x0195_0000, n)
}

/// Contact `n`: every column set, or (odd `n`) every column but the name set to NULL, so all
/// contacts share one column list and go through the same array statements.
fn contact(n: i64) -> Record {
    let mut r = full_contact(n);
    if n % 2 == 1 {
        for (k, v) in &mut r.values {
            if k != "fullName" {
                *v = Value::Null;
            }
        }
    }
    r
}

fn full_contact(n: i64) -> Record {
    let r =
        Record::new(id("contacts"), Key::from(n)).with("fullName", format!("Contact {n} \"quoted\" \\ back"));
    let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap() + Duration::microseconds(n * 1_001);
    r.with("code", format!("C-{n}"))
        .with("ref", Value::Uuid(uuid(n as u64)))
        .with("small", n % 100)
        .with("mid", n * 1_000)
        .with("score", n as f64 / 8.0)
        .with("ratio", 0.5)
        .with("balance", Value::Decimal(format!("{n}.25").parse().unwrap()))
        .with("active", n % 4 == 0)
        .with("photo", Value::Bytes(vec![0, 1, 2, (n % 256) as u8]))
        .with("born", Value::Date(chrono::NaiveDate::from_ymd_opt(1990, 1, 1).unwrap() + Duration::days(n)))
        .with("seen", Value::Timestamp(at))
        .with("seenLocal", Value::Timestamp(at))
        .with("prefs", serde_json::json!({ "lang": "zh-HK", "n": n, "tags": ["a", null] }))
        .with("extra", serde_json::json!([1, "two", { "three": 3 }]))
        .with("tags", serde_json::json!(["vip", "say \"hi\"", "back\\slash", "{braces}", "a,b", ""]))
        .with("groupIds", serde_json::json!([n, -n, 0]))
        .with("altRefs", serde_json::json!([uuid(1).to_string(), uuid(2).to_string()]))
        .with("cls", "HKD")
}

async fn open(schemas: &PgSchemas) -> (SqlStore, sqlx::PgPool) {
    let pool = schemas.harness().pool().await;
    sqlx::raw_sql(DDL).execute(&pool).await.unwrap();
    let store = SqlStore::open(pool.clone(), Schema::from_toml_str(SCHEMA, None).unwrap()).await.unwrap();
    (store, pool)
}

/// The record as read back holds the values written, and its key.
fn same_values(written: &Record, read: &Record) {
    assert_eq!(written.key, read.key);
    for (k, v) in &written.values {
        assert_eq!(read.get(k), Some(v), "{}[{}].{k}", written.entity, written.key);
    }
    assert_eq!(read.values.len(), written.values.len() + 1, "{}[{}]", read.entity, read.key);
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_bulk_inserts_round_trip_every_type() {
    let Some(admin) = pg_admin().await else { return };
    let schemas = PgSchemas::new(admin);
    let (store, _pool) = open(&schemas).await;
    // 2,500 contacts in one change set: odd ones mostly NULL, so consecutive rows differ in
    // their column lists and statements hold runs of one list each.
    let written: Vec<Record> = (1..=2_500).map(contact).collect();
    let mut cs = ChangeSet::new();
    for r in &written {
        cs.insert(r.clone());
    }
    for n in (2..=2_500).step_by(2) {
        cs.insert(
            Record::new(id("notes"), Key::composite([KeyValue::Int(n), KeyValue::Int(1)]))
                .with("noteText", if n % 4 == 0 { Value::Null } else { Value::from("call back") }),
        );
    }
    assert_eq!(store.apply(cs).await.unwrap().inserted, 2_500 + 1_250);
    let keys: Vec<Key> = written.iter().map(|r| r.key.clone()).collect();
    let read = store.fetch("contacts", &keys).await.unwrap();
    assert_eq!(read.len(), written.len());
    for (w, r) in written.iter().zip(&read) {
        same_values(w, r);
    }
    // Composite keys through unnest, including a key that does not exist.
    let note_keys: Vec<Key> = [(2, 1), (4, 1), (3, 1), (2_500, 1)]
        .iter()
        .map(|&(a, b)| Key::composite([KeyValue::Int(a), KeyValue::Int(b)]))
        .collect();
    let notes = store.fetch("notes", &note_keys).await.unwrap();
    let got: Vec<String> = notes.iter().map(|r| r.key.to_string()).collect();
    assert_eq!(got, [&note_keys[0], &note_keys[1], &note_keys[3]].map(ToString::to_string));
    assert_eq!(notes[0].get("noteText"), Some(&Value::from("call back")));
    assert_eq!(notes[1].get("noteText"), Some(&Value::Null));
    // A foreign-key lookup with a duplicate key returns each record once.
    let lookup = Lookup::Columns {
        columns: vec!["contactId".into()],
        keys: vec![Key::from(2), Key::from(2), Key::from(6)],
    };
    assert_eq!(store.find("notes", &lookup).await.unwrap().len(), 2);
    // Text and UUID keys, and unique text/UUID columns.
    let code = Lookup::Columns {
        columns: vec!["code".into()],
        keys: vec![Key::from("C-10"), Key::from("C-12"), Key::from("nope")],
    };
    let found: Vec<Key> = store.find("contacts", &code).await.unwrap().into_iter().map(|r| r.key).collect();
    assert_eq!(found, [Key::from(10), Key::from(12)]);
    let by_ref =
        Lookup::Columns { columns: vec!["ref".into()], keys: vec![Key::from(KeyValue::Uuid(uuid(8)))] };
    let found: Vec<Key> = store.find("contacts", &by_ref).await.unwrap().into_iter().map(|r| r.key).collect();
    assert_eq!(found, [Key::from(8)]);
    // Keys of another kind than the column's (text keys on a BIGINT column) still work, through
    // the `IN` list fallback.
    let found = store.fetch("contacts", &[Key::from("14"), Key::from("16")]).await.unwrap();
    assert_eq!(found.iter().map(|r| r.key.clone()).collect::<Vec<_>>(), [Key::from(14), Key::from(16)]);
    schemas.drop_all().await;
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_bulk_inserts_text_and_uuid_keys_and_fallback() {
    let Some(admin) = pg_admin().await else { return };
    let schemas = PgSchemas::new(admin);
    let (store, _pool) = open(&schemas).await;
    let mut cs = ChangeSet::new();
    for n in 0..300u64 {
        cs.insert(
            Record::new(id("tagged"), Key::from(format!("k-{n:03}").as_str()))
                .with("ref", Value::Uuid(uuid(n)))
                .with("body", if n % 3 == 0 { Value::Null } else { Value::from(format!("body {n}")) }),
        );
    }
    assert_eq!(store.apply(cs).await.unwrap().inserted, 300);
    // An integer bound into the TEXT column: not the column's native kind, so these rows go
    // through a VALUES list instead of arrays.
    let mut cs = ChangeSet::new();
    cs.insert(
        Record::new(id("tagged"), Key::from("k-json")).with("ref", Value::Uuid(uuid(999))).with("body", "x"),
    );
    cs.insert(
        Record::new(id("tagged"), Key::from("k-json2")).with("ref", Value::Uuid(uuid(998))).with("body", 5),
    );
    assert_eq!(store.apply(cs).await.unwrap().inserted, 2);
    let keys: Vec<Key> =
        ["k-000", "k-001", "k-299", "k-json2", "missing"].into_iter().map(Key::from).collect();
    let read = store.fetch("tagged", &keys).await.unwrap();
    let got: Vec<(String, Value)> =
        read.iter().map(|r| (r.key.to_string(), r.get("body").cloned().unwrap_or(Value::Null))).collect();
    assert_eq!(
        got,
        [
            ("k-000".to_owned(), Value::Null),
            ("k-001".to_owned(), Value::from("body 1")),
            ("k-299".to_owned(), Value::from("body 299")),
            ("k-json2".to_owned(), Value::from("5")),
        ]
    );
    let by_ref = Lookup::Columns {
        columns: vec!["ref".into()],
        keys: vec![Key::from(KeyValue::Uuid(uuid(7))), Key::from(KeyValue::Uuid(uuid(998)))],
    };
    let found: Vec<Key> = store.find("tagged", &by_ref).await.unwrap().into_iter().map(|r| r.key).collect();
    assert_eq!(found, [Key::from("k-007"), Key::from("k-json2")]);
    schemas.drop_all().await;
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_bulk_insert_failure_rolls_back_everything() {
    let Some(admin) = pg_admin().await else { return };
    let schemas = PgSchemas::new(admin);
    let (store, pool) = open(&schemas).await;
    let count = || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM \"Contacts\"").fetch_one(&pool).await.unwrap();
        n
    };
    let mut cs = ChangeSet::new();
    for n in 1..=10 {
        cs.insert(contact(n * 2));
    }
    store.apply(cs).await.unwrap();
    // 1,500 new rows, one of which repeats a unique code in the middle of an array statement.
    let mut cs = ChangeSet::new();
    for n in 100..1_600 {
        let r = contact(n * 2);
        let r = if n == 900 { r.with("code", "C-4") } else { r };
        cs.insert(r);
    }
    let err = store.apply(cs).await.expect_err("code C-4 is taken");
    assert_eq!(err.kind(), StoreErrorKind::Conflict, "{err}");
    assert!(err.to_string().contains("contacts[1800]"), "{err}");
    assert_eq!(count().await, 10);
    // A missing parent fails the notes' statement after the contacts' one ran.
    let mut cs = ChangeSet::new();
    for n in 100..110 {
        cs.insert(contact(n * 2));
        cs.insert(Record::new(id("notes"), Key::composite([KeyValue::Int(n * 2), KeyValue::Int(1)])));
    }
    cs.insert(Record::new(id("notes"), Key::composite([KeyValue::Int(7_777), KeyValue::Int(1)])));
    let err = store.apply(cs).await.expect_err("contact 7777 does not exist");
    assert_eq!(err.kind(), StoreErrorKind::MissingReference, "{err}");
    assert_eq!(count().await, 10);
    schemas.drop_all().await;
}

/// Batches of 2,000 events (more than one statement's worth of placeholders before `unnest`),
/// the second one in a new month: it seals January, creates February's partition and writes its
/// rows in one transaction. Everything equals the reference log, and verifies.
#[tokio::test(flavor = "current_thread")]
async fn postgres_big_audit_batches_across_months() {
    let Some(admin) = pg_admin().await else { return };
    let schemas = PgSchemas::new(admin);
    let pool = schemas.harness().pool().await;
    let t0 = Utc.with_ymd_and_hms(2026, 1, 30, 1, 0, 0).unwrap();
    let clock = Arc::new(FixedClock::new(t0));
    let sql = SqlAuditStore::open(pool, ORIGIN, clock.clone()).await.unwrap();
    let mem = MemoryAuditStore::with_clock(ORIGIN, clock.clone());
    let mut n = 0;
    for at in [t0, t0 + Duration::days(1), t0 + Duration::days(5)] {
        clock.set(at);
        let events: Vec<_> = (n..n + 2_000).map(|k| event(k, at)).collect();
        n += 2_000;
        let (a, b) = (sql.append(&events).await.unwrap(), mem.append(&events).await.unwrap());
        assert_eq!(a, b);
    }
    let parts: Vec<(Month, u64)> =
        sql.partitions().await.unwrap().into_iter().map(|p| (p.month, p.rows)).collect();
    assert_eq!(parts, [(Month::new(2026, 1).unwrap(), 4_000), (Month::new(2026, 2).unwrap(), 2_000)]);
    assert_eq!(sql.seals().await.unwrap().len(), 1);
    assert_eq!(snapshot(&sql).await, mem.snapshot());
    let report = verify(&sql, Scope::All).await.unwrap();
    assert!(report.is_clean() && report.entries == 6_000, "{report:?}");
    schemas.drop_all().await;
}
