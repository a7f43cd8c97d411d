//! The [`DataStore`] conformance suite: one set of behaviours every store must show, run on
//! [`MemoryStore`](crate::MemoryStore) here and on the SQL stores in `pdpo-store`.
//!
//! A store crate implements [`Harness`] (open a fresh, empty database holding the [`tables`] of the
//! fixture; a second `open` on the same harness reaches the same database, possibly for another
//! tenant) and calls [`run`] from a test:
//!
//! ```
//! use pdpo_core::{conformance, MemoryStore, Schema};
//!
//! struct Mem(std::sync::Mutex<Option<MemoryStore>>);
//! impl conformance::Harness for Mem {
//!     type Store = MemoryStore;
//!     async fn open(&self, schema: &Schema, tenant: Option<&str>) -> MemoryStore {
//!         let mut slot = self.0.lock().unwrap();
//!         let base = slot.get_or_insert_with(|| MemoryStore::new(schema.clone())).clone();
//!         match tenant { Some(t) => base.scoped(t), None => base }
//!     }
//! }
//! let report = pollster::block_on(conformance::run(|| Mem(Default::default())));
//! assert!(report.failures.is_empty(), "{report}");
//! ```
//!
//! The fixture has every link kind: `people` (the subject), `orgs` (`referenced_by`), `orders`
//! (`foreign_key`), `order_lines` (composite key, two hops), `threads` (`join` through
//! `thread_members`, composite key), `notes` (two people per note, fields `about` each), `deals`
//! (`array` of person ids), and a JSON `profile` column with path tags.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::future::Future;

use crate::{
    BlobStore, ChangeSet, ColumnType, DataStore, Identifier, Key, KeyValue, Lookup, MemoryBlobStore, Record,
    RecordRef, Schema, StoreErrorKind, SubjectGraph, Value, flush_blob_outbox,
};

/// The fixture schema (`pdpo.toml` format).
pub const FIXTURE_TOML: &str = r#"
version = 1
subject = "people"

[purposes]
service = "Answering the customer"
sales = "Selling to the customer"

[entities.people]
key = "id"
lifecycle = { created = "created_at" }
fields.name = { category = "name", purposes = ["service"], type = "text", nullable = false }
fields.email = { category = "email", purposes = ["service"], type = "text" }
fields.profile = { type = "json", json = { "$.phones.*" = "phone", "$.emails[*]" = "email" } }
fields.created_at = { type = "timestamp" }
fields.org_id = { type = "int" }

[entities.orgs]
key = "id"
links = [{ to = "people", referenced_by = "org_id" }]
fields.title = { type = "text" }

[entities.orders]
key = "id"
links = [{ to = "people", foreign_key = "person_id" }]
fields.total = { type = "decimal" }

[entities.order_lines]
key = ["order_id", "line_no"]
links = [{ to = "orders", foreign_key = "order_id" }]
fields.description = { category = "free_text", purposes = ["sales"], type = "text" }

[entities.thread_members]
key = ["thread_id", "person_id"]
links = [{ to = "people", foreign_key = "person_id" }]

[entities.threads]
key = "id"
links = [{ to = "people", join = { through = "thread_members", columns = "thread_id", to_columns = "person_id" } }]
fields.subject_line = { category = "free_text", type = "text" }

[entities.notes]
key = "id"
links = [
  { name = "author", to = "people", foreign_key = "author_id" },
  { name = "mentioned", to = "people", foreign_key = "mentioned_id" },
  { name = "thread", to = "threads", foreign_key = "thread_id" },
]
fields.body = { category = "free_text", type = "text" }
fields.author_name = { category = "name", about = "author", type = "text" }
fields.mentioned_phone = { category = "phone", about = "mentioned", type = "text" }

[entities.deals]
key = "id"
links = [{ to = "people", array = "person_ids" }]
fields.title = { type = "text" }
"#;

/// The fixture schema, optionally with a `tenant` column in every table.
pub fn fixture_schema(tenanted: bool) -> Schema {
    let text = if tenanted {
        format!("tenant_column = \"tenant\"\n{FIXTURE_TOML}")
    } else {
        FIXTURE_TOML.to_owned()
    };
    // Invariant: the fixture is a constant checked by this crate's own tests.
    Schema::from_toml_str(&text, None)
        .unwrap_or_else(|e| unreachable!("conformance fixture schema is invalid: {e}"))
}

/// A table the harness must create: columns in order, primary key, foreign keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    /// Table name.
    pub name: &'static str,
    /// Columns: name, type, nullable.
    pub columns: Vec<(&'static str, ColumnType, bool)>,
    /// Primary key columns.
    pub primary_key: Vec<&'static str>,
    /// Foreign keys: (columns, referenced table, referenced columns).
    pub foreign_keys: Vec<(Vec<&'static str>, &'static str, Vec<&'static str>)>,
}

/// The fixture's tables (with a nullable-free `tenant` text column first when `tenanted`).
pub fn tables(tenanted: bool) -> Vec<TableDef> {
    use ColumnType::{Array, Decimal, Int, Json, Text, Timestamp};
    let t = |name, columns: Vec<(&'static str, ColumnType, bool)>, pk: Vec<&'static str>, fks| {
        let mut cols = Vec::new();
        if tenanted {
            cols.push(("tenant", Text, false));
        }
        cols.extend(columns);
        TableDef { name, columns: cols, primary_key: pk, foreign_keys: fks }
    };
    vec![
        t("orgs", vec![("id", Int, false), ("title", Text, true)], vec!["id"], vec![]),
        t(
            "people",
            vec![
                ("id", Int, false),
                ("name", Text, false),
                ("email", Text, true),
                ("profile", Json, true),
                ("created_at", Timestamp, true),
                ("org_id", Int, true),
            ],
            vec!["id"],
            vec![(vec!["org_id"], "orgs", vec!["id"])],
        ),
        t(
            "orders",
            vec![("id", Int, false), ("person_id", Int, false), ("total", Decimal, true)],
            vec!["id"],
            vec![(vec!["person_id"], "people", vec!["id"])],
        ),
        t(
            "order_lines",
            vec![("order_id", Int, false), ("line_no", Int, false), ("description", Text, true)],
            vec!["order_id", "line_no"],
            vec![(vec!["order_id"], "orders", vec!["id"])],
        ),
        t("threads", vec![("id", Int, false), ("subject_line", Text, true)], vec!["id"], vec![]),
        t(
            "thread_members",
            vec![("thread_id", Int, false), ("person_id", Int, false)],
            vec!["thread_id", "person_id"],
            vec![(vec!["thread_id"], "threads", vec!["id"]), (vec!["person_id"], "people", vec!["id"])],
        ),
        t(
            "notes",
            vec![
                ("id", Int, false),
                ("author_id", Int, true),
                ("mentioned_id", Int, true),
                ("thread_id", Int, true),
                ("body", Text, true),
                ("author_name", Text, true),
                ("mentioned_phone", Text, true),
            ],
            vec!["id"],
            vec![
                (vec!["author_id"], "people", vec!["id"]),
                (vec!["mentioned_id"], "people", vec!["id"]),
                (vec!["thread_id"], "threads", vec!["id"]),
            ],
        ),
        t(
            "deals",
            vec![("id", Int, false), ("person_ids", Array, true), ("title", Text, true)],
            vec!["id"],
            vec![],
        ),
    ]
}

fn id(s: &'static str) -> Identifier {
    Identifier::from_static(s)
}

fn rec(entity: &'static str, key: impl Into<Key>) -> Record {
    Record::new(id(entity), key.into())
}

fn ts(secs: i64) -> Value {
    chrono::DateTime::from_timestamp(secs, 0).map_or(Value::Null, Value::Timestamp)
}

/// The fixture's records, in an insertable order.
pub fn records() -> Vec<Record> {
    let ck = |a: i64, b: i64| Key::composite([KeyValue::Int(a), KeyValue::Int(b)]);
    let dec = |s: &str| s.parse().map_or(Value::Null, Value::Decimal);
    let mut v =
        vec![rec("orgs", 1).with("title", "Wing On Trading"), rec("orgs", 2).with("title", "Kowloon Bakery")];
    for (i, name, email, org) in [
        (1, "CHAN Tai Man", "tm.chan@example.hk", Some(1)),
        (2, "陳大文", "dm@example.hk", Some(1)),
        (3, "LEE Siu Ming", "sm.lee@example.hk", None),
        (4, "WONG Ka Yan", "ky.wong@example.hk", Some(2)),
    ] {
        let profile = serde_json::json!({ "phones": { "mobile": format!("9123 456{i}") }, "emails": [email], "vip": i == 1 });
        v.push(
            rec("people", i)
                .with("name", name)
                .with("email", email)
                .with("profile", profile)
                .with("created_at", ts(1_700_000_000 + i * 86_400))
                .with("org_id", org.map_or(Value::Null, Value::Int)),
        );
    }
    v.extend([
        rec("orders", 10).with("person_id", 1).with("total", dec("880.50")),
        rec("orders", 11).with("person_id", 1).with("total", dec("12.00")),
        rec("orders", 12).with("person_id", 2).with("total", dec("99.90")),
        rec("order_lines", ck(10, 1)).with("description", "Moon cakes x4"),
        rec("order_lines", ck(10, 2)).with("description", "Delivery to Flat A, 3/F"),
        rec("order_lines", ck(11, 1)).with("description", "Tea set"),
        rec("order_lines", ck(12, 1)).with("description", "Egg tarts"),
        rec("threads", 100).with("subject_line", "Order 10 delivery"),
        rec("threads", 101).with("subject_line", "Invoice query"),
        rec("thread_members", ck(100, 1)),
        rec("thread_members", ck(100, 3)),
        rec("thread_members", ck(101, 2)),
        rec("notes", 1000)
            .with("author_id", 1)
            .with("mentioned_id", 3)
            .with("thread_id", 100)
            .with("body", "please call")
            .with("author_name", "Mr Chan")
            .with("mentioned_phone", "6123 4567"),
        rec("notes", 1001)
            .with("author_id", 3)
            .with("mentioned_id", 1)
            .with("thread_id", 100)
            .with("body", "done")
            .with("author_name", "Mr Lee")
            .with("mentioned_phone", "9123 4561"),
        rec("notes", 1002)
            .with("author_id", 2)
            .with("mentioned_id", Value::Null)
            .with("thread_id", 101)
            .with("body", "invoice?")
            .with("author_name", "Ms Chan")
            .with("mentioned_phone", Value::Null),
        rec("deals", 500).with("person_ids", serde_json::json!([1, 4])).with("title", "Corporate gifts"),
        rec("deals", 501).with("person_ids", serde_json::json!([2])).with("title", "Wedding cakes"),
    ]);
    v
}

/// Opens stores on a fresh database for one conformance case.
pub trait Harness {
    /// The store under test.
    type Store: DataStore;

    /// Opens a store for `schema` on this harness's database (created empty, with the fixture's
    /// [`tables`], on first open). With `tenant`, the store is scoped to that tenant.
    fn open(&self, schema: &Schema, tenant: Option<&str>) -> impl Future<Output = Self::Store>;
}

/// The outcome of [`run`].
#[derive(Debug, Default)]
pub struct Report {
    /// Names of the cases that passed.
    pub passed: Vec<&'static str>,
    /// Cases that failed, with what went wrong.
    pub failures: Vec<(&'static str, String)>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed", self.passed.len(), self.failures.len())?;
        for (name, why) in &self.failures {
            write!(f, "\n  {name}: {why}")?;
        }
        Ok(())
    }
}

type CaseResult = Result<(), String>;

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

async fn load<S: DataStore>(store: &S) -> CaseResult {
    let mut cs = ChangeSet::new();
    for r in records() {
        cs.insert(r);
    }
    store.apply(cs).await.map_err(|e| format!("loading the fixture failed: {e}"))?;
    Ok(())
}

async fn loaded<H: Harness>(h: &H) -> Result<H::Store, String> {
    let s = h.open(&fixture_schema(false), None).await;
    load(&s).await?;
    Ok(s)
}

fn keys(records: &[Record]) -> Vec<String> {
    records.iter().map(|r| r.key.to_string()).collect()
}

async fn fetch_and_find<H: Harness>(h: H) -> CaseResult {
    let s = loaded(&h).await?;
    let got =
        s.fetch("people", &[Key::from(3), Key::from(99), Key::from(1)]).await.map_err(|e| e.to_string())?;
    ensure!(
        keys(&got) == ["1", "3"],
        "fetch people [3, 99, 1] returned {:?}, expected [1, 3] (missing keys skipped, key order)",
        keys(&got)
    );
    ensure!(
        got[0].get("name").and_then(Value::as_text) == Some("CHAN Tai Man"),
        "people[1].name not read back"
    );
    ensure!(got[1].get("org_id").is_none_or(Value::is_null), "people[3].org_id should be null");
    let lookup =
        Lookup::Columns { columns: vec!["person_id".into()], keys: vec![Key::from(1), Key::from(2)] };
    let got = s.find("orders", &lookup).await.map_err(|e| e.to_string())?;
    ensure!(keys(&got) == ["10", "11", "12"], "find orders by person_id in [1, 2] returned {:?}", keys(&got));
    let total = got[0].get("total").map(Value::render);
    ensure!(
        total.as_deref() == Some("880.5"),
        "orders[10].total read back as {total:?}, expected decimal 880.5"
    );
    let ck = Key::composite([KeyValue::Int(10), KeyValue::Int(2)]);
    let got = s.fetch("order_lines", std::slice::from_ref(&ck)).await.map_err(|e| e.to_string())?;
    ensure!(got.len() == 1 && got[0].key == ck, "composite key (10, 2) not fetched");
    let err = s.fetch("nope", &[Key::from(1)]).await;
    ensure!(
        err.as_ref().is_err_and(|e| e.kind() == StoreErrorKind::Invalid),
        "an unknown entity must be an Invalid error"
    );
    Ok(())
}

async fn array_links<H: Harness>(h: H) -> CaseResult {
    let s = loaded(&h).await?;
    let l = Lookup::ArrayContains { column: "person_ids".into(), values: vec![KeyValue::Int(4)] };
    let got = s.find("deals", &l).await.map_err(|e| e.to_string())?;
    ensure!(keys(&got) == ["500"], "deals containing person 4: {:?}", keys(&got));
    let l = Lookup::ArrayContains {
        column: "person_ids".into(),
        values: vec![KeyValue::Int(1), KeyValue::Int(2)],
    };
    let got = s.find("deals", &l).await.map_err(|e| e.to_string())?;
    ensure!(keys(&got) == ["500", "501"], "deals containing person 1 or 2: {:?}", keys(&got));
    Ok(())
}

async fn collect_traversal<H: Harness>(h: H) -> CaseResult {
    let s = loaded(&h).await?;
    let g = SubjectGraph::collect(&s, &Key::from(1)).await.map_err(|e| e.to_string())?;
    let got: BTreeSet<String> = g.records.iter().map(|r| r.record.reference().to_string()).collect();
    let want: BTreeSet<String> = [
        "people[1]",
        "orgs[1]",
        "orders[10]",
        "orders[11]",
        "order_lines[(10, 1)]",
        "order_lines[(10, 2)]",
        "order_lines[(11, 1)]",
        "thread_members[(100, 1)]",
        "threads[100]",
        "notes[1000]",
        "notes[1001]",
        "deals[500]",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    ensure!(got == want, "collect(people 1): got {got:?}, want {want:?}");
    ensure!(
        g.records[0].record.reference() == RecordRef::new(id("people"), Key::from(1)),
        "the subject's own record comes first"
    );
    let note =
        |k: i64| g.records.iter().find(|r| r.record.reference() == RecordRef::new(id("notes"), Key::from(k)));
    let n1000 = note(1000).ok_or("notes[1000] missing")?;
    ensure!(
        n1000.concerns("author_name") && !n1000.concerns("mentioned_phone"),
        "notes[1000]: person 1 is the author only"
    );
    ensure!(
        n1000.others_fields.iter().any(|f| f == "mentioned_phone"),
        "notes[1000].mentioned_phone is about someone else"
    );
    let n1001 = note(1001).ok_or("notes[1001] missing")?;
    ensure!(
        n1001.concerns("mentioned_phone") && !n1001.concerns("author_name"),
        "notes[1001]: person 1 is mentioned only"
    );
    ensure!(n1001.concerns("body"), "a field without `about` concerns every linked person");
    let via: Vec<&str> = n1000.via.iter().map(|v| v.as_str()).collect();
    ensure!(via == ["author", "thread"], "notes[1000] reached via {via:?}, expected [author, thread]");
    let g3 = SubjectGraph::collect(&s, &Key::from(3)).await.map_err(|e| e.to_string())?;
    ensure!(g3.records_of("orgs").count() == 0, "person 3 has no org");
    ensure!(g3.records_of("threads").count() == 1, "person 3 is in thread 100");
    let missing = SubjectGraph::collect(&s, &Key::from(42)).await;
    ensure!(
        missing.is_err_and(|e| e.kind() == StoreErrorKind::NotFound),
        "collecting an unknown subject is NotFound"
    );
    Ok(())
}

async fn json_columns<H: Harness>(h: H) -> CaseResult {
    let s = loaded(&h).await?;
    let got = s.fetch("people", &[Key::from(2)]).await.map_err(|e| e.to_string())?;
    let want =
        records().into_iter().find(|r| r.entity == "people" && r.key == Key::from(2)).ok_or("fixture")?;
    let (a, b) = (got.first().and_then(|r| r.get("profile")), want.get("profile"));
    ensure!(
        a.and_then(Value::as_json) == b.and_then(Value::as_json),
        "people[2].profile did not round-trip as JSON"
    );
    let mut set = BTreeMap::new();
    set.insert(
        "profile".to_owned(),
        Value::Json(serde_json::json!({ "phones": {}, "emails": ["x@invalid"] })),
    );
    let mut cs = ChangeSet::new();
    cs.update(RecordRef::new(id("people"), Key::from(2)), set);
    s.apply(cs).await.map_err(|e| e.to_string())?;
    let got = s.fetch("people", &[Key::from(2)]).await.map_err(|e| e.to_string())?;
    let emails =
        got.first().and_then(|r| r.get("profile")).and_then(Value::as_json).map(|j| j["emails"][0].clone());
    ensure!(emails == Some(serde_json::json!("x@invalid")), "updated JSON not read back");
    Ok(())
}

async fn scan_page_resumable<H: Harness>(h: H) -> CaseResult {
    let s = loaded(&h).await?;
    let mut all = Vec::new();
    let mut after: Option<Key> = None;
    let mut pages = 0;
    loop {
        let p = s.scan_page("order_lines", after.as_ref(), 2).await.map_err(|e| e.to_string())?;
        pages += 1;
        ensure!(p.records.len() <= 2, "a page exceeded its limit");
        all.extend(p.records);
        match p.next {
            Some(k) => after = Some(k),
            None => break,
        }
        ensure!(pages < 10, "scan did not terminate");
    }
    ensure!(
        keys(&all) == ["(10, 1)", "(10, 2)", "(11, 1)", "(12, 1)"],
        "scan order_lines returned {:?}",
        keys(&all)
    );
    // Resume from a saved position on a fresh handle, as after a restart.
    let s2 = h.open(&fixture_schema(false), None).await;
    let saved = Key::composite([KeyValue::Int(10), KeyValue::Int(2)]);
    let p = s2.scan_page("order_lines", Some(&saved), 100).await.map_err(|e| e.to_string())?;
    ensure!(
        keys(&p.records) == ["(11, 1)", "(12, 1)"] && p.next.is_none(),
        "resumed scan returned {:?}",
        keys(&p.records)
    );
    let p = s.scan_page("people", None, 0).await.map_err(|e| e.to_string())?;
    ensure!(p.records.is_empty(), "limit 0 returns nothing");
    Ok(())
}

async fn snapshot<S: DataStore>(s: &S) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for e in s.schema().entities() {
        let p = s.scan_page(&e.name, None, 10_000).await.map_err(|e| e.to_string())?;
        for r in p.records {
            let vals: Vec<String> = r.values.iter().map(|(k, v)| format!("{k}={}", v.render())).collect();
            out.push(format!("{}[{}] {}", r.entity, r.key, vals.join(" ")));
        }
    }
    Ok(out)
}

async fn atomic_apply<H: Harness>(h: H) -> CaseResult {
    let s = loaded(&h).await?;
    let before = snapshot(&s).await?;
    let mut set = BTreeMap::new();
    set.insert("name".to_owned(), Value::from("CHANGED"));
    let mut cs = ChangeSet::new();
    cs.update(RecordRef::new(id("people"), Key::from(1)), set.clone());
    cs.insert(rec("orders", 13).with("person_id", 3).with("total", Value::Null));
    cs.update(RecordRef::new(id("people"), Key::from(77)), set.clone());
    let err = s.apply(cs).await;
    ensure!(
        err.as_ref().is_err_and(|e| e.kind() == StoreErrorKind::NotFound),
        "updating a missing record mid-set must fail with NotFound, got {:?}",
        err.map(|_| ())
    );
    ensure!(snapshot(&s).await? == before, "a failed change set left changes behind");
    let mut cs = ChangeSet::new();
    cs.insert(rec("orders", 14).with("person_id", 3));
    cs.insert(rec("orders", 10).with("person_id", 3));
    let err = s.apply(cs).await;
    ensure!(
        err.as_ref().is_err_and(|e| e.kind() == StoreErrorKind::Conflict),
        "a duplicate key must be a Conflict"
    );
    ensure!(snapshot(&s).await? == before, "a conflicting change set left changes behind");
    let mut cs = ChangeSet::new();
    cs.insert(rec("orders", 15).with("person_id", 999));
    let err = s.apply(cs).await;
    ensure!(
        err.as_ref().is_err_and(|e| e.kind() == StoreErrorKind::MissingReference),
        "an order for a missing person must be a MissingReference error, got {:?}",
        err.map(|_| ())
    );
    ensure!(snapshot(&s).await? == before, "a change set with a dangling reference left changes behind");
    let mut cs = ChangeSet::new();
    cs.update(RecordRef::new(id("people"), Key::from(1)), set);
    cs.insert(rec("orders", 13).with("person_id", 3));
    let applied = s.apply(cs).await.map_err(|e| e.to_string())?;
    ensure!(applied.updated == 1 && applied.inserted == 1, "applied counts {applied:?}");
    let after = snapshot(&s).await?;
    ensure!(after.len() == before.len() + 1, "the good change set did not insert exactly one record");
    Ok(())
}

async fn cascade_refused<H: Harness>(h: H) -> CaseResult {
    let s = loaded(&h).await?;
    let before = snapshot(&s).await?;
    let mut cs = ChangeSet::new();
    cs.delete(RecordRef::new(id("orders"), Key::from(10)));
    let err = s.apply(cs).await;
    ensure!(
        err.as_ref().is_err_and(|e| e.kind() == StoreErrorKind::WouldCascade),
        "deleting an order with lines must be refused as WouldCascade"
    );
    ensure!(snapshot(&s).await? == before, "a refused delete changed data");
    let mut cs = ChangeSet::new();
    let line = |n| RecordRef::new(id("order_lines"), Key::composite([KeyValue::Int(10), KeyValue::Int(n)]));
    cs.delete(line(1)).delete(line(2)).delete(RecordRef::new(id("orders"), Key::from(10)));
    let applied = s.apply(cs).await.map_err(|e| e.to_string())?;
    ensure!(applied.deleted == 3, "deleting an order with all its lines deletes 3 records, got {applied:?}");
    let got = s.fetch("orders", &[Key::from(10)]).await.map_err(|e| e.to_string())?;
    ensure!(got.is_empty(), "order 10 still there");
    Ok(())
}

async fn tenant_scoping<H: Harness>(h: H) -> CaseResult {
    let schema = fixture_schema(true);
    let a = h.open(&schema, Some("tenant_a")).await;
    let b = h.open(&schema, Some("tenant_b")).await;
    let mut cs = ChangeSet::new();
    cs.insert(rec("people", 1).with("name", "A one"));
    cs.insert(rec("orders", 10).with("person_id", 1));
    a.apply(cs).await.map_err(|e| e.to_string())?;
    let mut cs = ChangeSet::new();
    cs.insert(rec("people", 2).with("name", "B two"));
    b.apply(cs).await.map_err(|e| e.to_string())?;
    let got = a.fetch("people", &[Key::from(1), Key::from(2)]).await.map_err(|e| e.to_string())?;
    ensure!(keys(&got) == ["1"], "tenant A sees {:?}", keys(&got));
    let p = b.scan_page("people", None, 10).await.map_err(|e| e.to_string())?;
    ensure!(keys(&p.records) == ["2"], "tenant B scans {:?}", keys(&p.records));
    let l = Lookup::Columns { columns: vec!["person_id".into()], keys: vec![Key::from(1)] };
    ensure!(
        b.find("orders", &l).await.map_err(|e| e.to_string())?.is_empty(),
        "tenant B found tenant A's order"
    );
    let mut set = BTreeMap::new();
    set.insert("name".to_owned(), Value::from("hijacked"));
    let mut cs = ChangeSet::new();
    cs.update(RecordRef::new(id("people"), Key::from(1)), set);
    let err = b.apply(cs).await;
    ensure!(
        err.is_err_and(|e| e.kind() == StoreErrorKind::NotFound),
        "tenant B updating tenant A's record must be NotFound"
    );
    let got = a.fetch("people", &[Key::from(1)]).await.map_err(|e| e.to_string())?;
    ensure!(
        got.first().and_then(|r| r.get("name")).and_then(Value::as_text) == Some("A one"),
        "tenant A's record changed"
    );
    let g = SubjectGraph::collect(&a, &Key::from(1)).await.map_err(|e| e.to_string())?;
    ensure!(g.len() == 2, "tenant A's subject graph has {} records, expected 2", g.len());
    Ok(())
}

async fn blob_outbox<H: Harness>(h: H) -> CaseResult {
    let s = loaded(&h).await?;
    let blobs = MemoryBlobStore::new();
    blobs.put("scan-1", b"fake image".to_vec()).await.map_err(|e| e.to_string())?;
    let mut bad = ChangeSet::new();
    bad.update(RecordRef::new(id("people"), Key::from(99)), BTreeMap::new());
    bad.delete_blob("scan-1");
    ensure!(s.apply(bad).await.is_err(), "the failing change set should fail");
    ensure!(
        s.pending_blob_deletes().await.map_err(|e| e.to_string())?.is_empty(),
        "a failed change set queued a blob deletion"
    );
    let mut cs = ChangeSet::new();
    cs.delete_blob("scan-1");
    cs.delete_blob("already-gone");
    s.apply(cs).await.map_err(|e| e.to_string())?;
    let pending = s.pending_blob_deletes().await.map_err(|e| e.to_string())?;
    ensure!(pending.len() == 2, "expected 2 queued deletions, got {}", pending.len());
    let n = flush_blob_outbox(&s, &blobs).await.map_err(|e| e.to_string())?;
    ensure!(n == 2 && blobs.is_empty(), "flush processed {n}, blobs left {}", blobs.len());
    ensure!(s.pending_blob_deletes().await.map_err(|e| e.to_string())?.is_empty(), "outbox not emptied");
    ensure!(
        flush_blob_outbox(&s, &blobs).await.map_err(|e| e.to_string())? == 0,
        "a second flush does nothing"
    );
    Ok(())
}

async fn columns_reported<H: Harness>(h: H) -> CaseResult {
    let s = loaded(&h).await?;
    let cols = s.columns("people").await.map_err(|e| e.to_string())?;
    let find = |n: &str| cols.iter().find(|c| c.name == n);
    ensure!(find("id").is_some_and(|c| !c.nullable), "people.id should be reported NOT NULL");
    ensure!(
        find("name").is_some_and(|c| c.ty == ColumnType::Text && !c.nullable),
        "people.name should be NOT NULL text"
    );
    ensure!(find("profile").is_some_and(|c| c.ty == ColumnType::Json), "people.profile should be json");
    Ok(())
}

/// Runs every case, each on a fresh harness from `make`.
pub async fn run<H: Harness>(make: impl Fn() -> H) -> Report {
    let mut report = Report::default();
    macro_rules! case {
        ($name:ident) => {
            match $name(make()).await {
                Ok(()) => report.passed.push(stringify!($name)),
                Err(why) => report.failures.push((stringify!($name), why)),
            }
        };
    }
    case!(fetch_and_find);
    case!(array_links);
    case!(collect_traversal);
    case!(json_columns);
    case!(scan_page_resumable);
    case!(atomic_apply);
    case!(cascade_refused);
    case!(tenant_scoping);
    case!(blob_outbox);
    case!(columns_reported);
    report
}
