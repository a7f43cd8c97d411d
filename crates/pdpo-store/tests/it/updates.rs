//! Grouped deletes (one `DELETE .. IN (..)` per run of one table) and grouped updates: a run of
//! consecutive updates is written as one statement per table and list of columns (SQLite `UPDATE .. FROM (VALUES ..)`, PostgreSQL `UPDATE .. FROM unnest(..)` or a
//! `VALUES` list). The result must be what the reference `MemoryStore` gets from the same change
//! set, updates of one record keep their order, and a group naming a missing record (or one of
//! another tenant) fails the whole change set, naming that record.

use pdpo_core::conformance::{Harness, fixture_schema, records};
use pdpo_core::{
    ChangeSet, DataStore, Identifier, Key, KeyValue, MemoryStore, Record, RecordRef, StoreErrorKind, Value,
};
use pdpo_store::SqlStore;

use crate::common::{PgSchemas, SqliteHarness, dump, loaded, pg_admin};

fn id(s: &'static str) -> Identifier {
    Identifier::from_static(s)
}

fn at(entity: &'static str, key: impl Into<Key>) -> RecordRef {
    RecordRef::new(id(entity), key.into())
}

fn set(pairs: &[(&str, Value)]) -> std::collections::BTreeMap<String, Value> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}

/// Every record of every entity, rendered, for any store.
async fn records_of(s: &impl DataStore) -> Vec<String> {
    let mut out = Vec::new();
    for e in s.schema().entities() {
        for r in s.scan_page(&e.name, None, 100_000).await.unwrap().records {
            let vals: Vec<String> = r.values.iter().map(|(k, v)| format!("{k}={}", v.render())).collect();
            out.push(format!("{}[{}] {}", r.entity, r.key, vals.join(" ")));
        }
    }
    out
}

/// Updates interleaved across tables, one record updated three times with two column lists, a
/// composite key, JSON, an existence-only update, and updates after an insert of the record.
fn interleaved() -> ChangeSet {
    let ck = Key::composite([KeyValue::Int(10), KeyValue::Int(1)]);
    let dec = |s: &str| Value::Decimal(s.parse().unwrap());
    let mut cs = ChangeSet::new();
    cs.update(at("people", 1), set(&[("name", "First".into())]))
        .update(at("orders", 10), set(&[("total", dec("1.50"))]))
        .update(at("people", 2), set(&[("name", "Second".into())]))
        .update(at("people", 1), set(&[("email", Value::Null), ("name", "Middle".into())]))
        .update(at("people", 1), set(&[("name", "Last".into())]))
        .update(RecordRef::new(id("order_lines"), ck), set(&[("description", "[FREE_TEXT]".into())]))
        .update(at("people", 3), set(&[("name", "Third".into())]))
        .update(at("people", 4), set(&[]))
        .update(at("notes", 1000), set(&[("author_name", "A".into()), ("body", "[REDACTED]".into())]))
        .update(at("notes", 1001), set(&[("author_name", Value::Null), ("body", "".into())]))
        .insert(
            Record::new(id("people"), Key::from(5))
                .with("name", "New")
                .with("email", "n@example.hk")
                .with("profile", Value::Null)
                .with("created_at", Value::Null)
                .with("org_id", Value::Null),
        )
        .update(at("people", 5), set(&[("name", "Renamed".into())]))
        .update(
            at("people", 4),
            set(&[("profile", serde_json::json!({ "phones": {}, "emails": [] }).into())]),
        );
    cs
}

/// The statements `interleaved` takes: the first run of updates is grouped as people{name}
/// [1, 2], orders{total}, people{email, name}, people{name} [1 again, 3], order_lines, notes
/// [1000, 1001] (6), plus the existence check (1); the insert (1); then people{name} and
/// people{profile} (2).
const INTERLEAVED_STATEMENTS: usize = 10;

async fn grouped_updates_match_the_reference(s: SqlStore) {
    let reference = MemoryStore::new(fixture_schema(false));
    loaded(&s).await;
    loaded(&reference).await;
    assert_eq!(records_of(&s).await, records_of(&reference).await);
    let expected = reference.apply(interleaved()).await.unwrap();
    let applied = s.apply(interleaved()).await.unwrap();
    assert_eq!((applied.inserted, applied.updated), (expected.inserted, expected.updated));
    assert_eq!((applied.inserted, applied.updated), (1, 12));
    assert_eq!(s.last_statement_count(), INTERLEAVED_STATEMENTS);
    let (got, want) = (records_of(&s).await, records_of(&reference).await);
    assert_eq!(got, want);
    assert!(got.iter().any(|l| l.starts_with("people[1] ") && l.contains("name=Last")), "{got:#?}");

    // A group that names a missing record fails the change set and names it; nothing changes.
    let before = dump(&s).await;
    let mut cs = ChangeSet::new();
    cs.update(at("orders", 11), set(&[("total", Value::Null)]))
        .update(at("people", 2), set(&[("name", "X".into())]))
        .update(at("people", 99), set(&[("name", "Y".into())]))
        .update(at("people", 3), set(&[("name", "Z".into())]));
    let err = s.apply(cs).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::NotFound, "{err}");
    assert!(err.to_string().contains("people[99]"), "{err}");
    assert_eq!(dump(&s).await, before);

    // A group that violates a constraint fails the change set naming the record at fault (on
    // PostgreSQL the group runs under a savepoint, so the rows can be replayed one by one).
    for (cs, kind, named) in [
        (
            [
                (at("people", 2), set(&[("name", "X".into())])),
                (at("people", 3), set(&[("name", Value::Null)])),
                (at("people", 4), set(&[("name", "Z".into())])),
            ],
            StoreErrorKind::Invalid,
            "people[3]",
        ),
        (
            [
                (at("orders", 10), set(&[("person_id", Value::Int(2))])),
                (at("orders", 11), set(&[("person_id", Value::Int(2))])),
                (at("orders", 12), set(&[("person_id", Value::Int(777))])),
            ],
            StoreErrorKind::MissingReference,
            "orders[12]",
        ),
    ] {
        let mut set = ChangeSet::new();
        for (target, values) in cs {
            set.update(target, values);
        }
        let err = s.apply(set).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
        assert!(err.to_string().contains(named), "{err}");
        assert_eq!(dump(&s).await, before);
    }

    // A key column cannot change, in a group as alone.
    let mut cs = ChangeSet::new();
    cs.update(at("people", 2), set(&[("name", "X".into())]))
        .update(at("people", 3), set(&[("id", Value::Int(7))]));
    let err = s.apply(cs).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Invalid, "{err}");
    assert_eq!(dump(&s).await, before);
}

/// More rows than one statement holds (1,000): two statements, same result as the reference.
async fn large_groups_split(s: SqlStore) {
    let reference = MemoryStore::new(fixture_schema(false));
    let mut load = ChangeSet::new();
    for r in records() {
        load.insert(r);
    }
    for i in 0..1_500 {
        load.insert(Record::new(id("orders"), Key::from(5_000 + i)).with("person_id", 1 + i % 4));
    }
    s.apply(load.clone()).await.unwrap();
    reference.apply(load).await.unwrap();
    let mut cs = ChangeSet::new();
    for i in 0..1_500 {
        cs.update(
            at("orders", 5_000 + i),
            set(&[("total", Value::Decimal(format!("{i}.5").parse().unwrap()))]),
        );
    }
    s.apply(cs.clone()).await.unwrap();
    reference.apply(cs).await.unwrap();
    assert_eq!(s.last_statement_count(), 2);
    assert_eq!(records_of(&s).await, records_of(&reference).await);
}

/// A scoped store's group skips (and so refuses) another tenant's record.
async fn tenant_scoped_groups(a: SqlStore, b: SqlStore) {
    loaded(&a).await;
    let mut theirs = ChangeSet::new();
    theirs.insert(Record::new(id("people"), Key::from(50)).with("name", "Theirs"));
    b.apply(theirs).await.unwrap();
    let before = dump(&a).await;
    let mut cs = ChangeSet::new();
    cs.update(at("people", 1), set(&[("name", "Mine".into())]))
        .update(at("people", 50), set(&[("name", "Not mine".into())]));
    let err = a.apply(cs).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::NotFound, "{err}");
    assert!(err.to_string().contains("people[50]"), "{err}");
    assert_eq!(dump(&a).await, before);
    // Deletes likewise (the thread member rows have no referrers).
    let mut cs = ChangeSet::new();
    cs.delete(RecordRef::new(id("thread_members"), Key::composite([KeyValue::Int(100), KeyValue::Int(1)])))
        .delete(at("people", 50));
    let err = a.apply(cs).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::NotFound, "{err}");
    assert!(err.to_string().contains("people[50]"), "{err}");
    assert_eq!(dump(&a).await, before);
    let mut cs = ChangeSet::new();
    cs.update(at("people", 1), set(&[("name", "Mine".into())]))
        .update(at("people", 2), set(&[("name", "Also mine".into())]));
    a.apply(cs).await.unwrap();
    let names: Vec<Value> = a
        .fetch("people", &[Key::from(1), Key::from(2)])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("name").cloned().unwrap_or(Value::Null))
        .collect();
    assert_eq!(names, [Value::from("Mine"), Value::from("Also mine")]);
    let theirs = b.fetch("people", &[Key::from(50)]).await.unwrap();
    assert_eq!(theirs[0].get("name"), Some(&Value::from("Theirs")));
}

/// Runs of deletes (single and composite keys) end where the reference ends, in one statement per
/// run; a missing record, a record named twice and another tenant's record are each named.
async fn grouped_deletes(s: SqlStore) {
    let reference = MemoryStore::new(fixture_schema(false));
    loaded(&s).await;
    loaded(&reference).await;
    let ck = |a, b| Key::composite([KeyValue::Int(a), KeyValue::Int(b)]);
    let mut cs = ChangeSet::new();
    cs.delete(at("notes", 1000))
        .delete(at("notes", 1001))
        .delete(RecordRef::new(id("order_lines"), ck(10, 1)))
        .delete(RecordRef::new(id("order_lines"), ck(10, 2)))
        .delete(RecordRef::new(id("order_lines"), ck(11, 1)));
    assert_eq!(s.apply(cs.clone()).await.unwrap().deleted, 5);
    reference.apply(cs).await.unwrap();
    assert_eq!(s.last_statement_count(), 2);
    assert_eq!(records_of(&s).await, records_of(&reference).await);

    let before = dump(&s).await;
    for (cs, missing) in [
        (vec![at("notes", 1002), at("notes", 9999)], "notes[9999]"),
        (vec![at("notes", 1002), at("notes", 1002)], "notes[1002]"),
        (
            vec![RecordRef::new(id("order_lines"), ck(12, 1)), RecordRef::new(id("order_lines"), ck(12, 7))],
            "order_lines[(12, 7)]",
        ),
    ] {
        let mut set = ChangeSet::new();
        for t in cs {
            set.delete(t);
        }
        let err = s.apply(set.clone()).await.unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::NotFound, "{err}");
        assert!(err.to_string().contains(missing), "{err}");
        assert_eq!(reference.apply(set).await.unwrap_err().kind(), StoreErrorKind::NotFound);
        assert_eq!(dump(&s).await, before);
    }
}

on_both_backends!(sqlite_grouped_deletes, postgres_grouped_deletes, grouped_deletes);

on_both_backends!(
    sqlite_grouped_updates_match_the_reference,
    postgres_grouped_updates_match_the_reference,
    grouped_updates_match_the_reference
);

on_both_backends!(sqlite_large_update_groups_split, postgres_large_update_groups_split, large_groups_split);

#[tokio::test(flavor = "current_thread")]
async fn sqlite_tenant_scoped_update_groups() {
    let h = SqliteHarness::new();
    let schema = fixture_schema(true);
    let a = h.open(&schema, Some("a")).await;
    tenant_scoped_groups(a.clone(), a.scoped("b")).await;
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_tenant_scoped_update_groups() {
    let Some(admin) = pg_admin().await else { return };
    let schemas = PgSchemas::new(admin);
    let a = schemas.harness().open(&fixture_schema(true), Some("a")).await;
    tenant_scoped_groups(a.clone(), a.scoped("b")).await;
    schemas.drop_all().await;
}

/// PostgreSQL: values that are not their column's native kind (an integer into a text column)
/// make the group fall back from arrays to a `VALUES` list of cast placeholders; one statement
/// text bound with different kinds of values works.
#[tokio::test(flavor = "current_thread")]
async fn postgres_update_groups_fall_back_to_values() {
    let Some(admin) = pg_admin().await else { return };
    let schemas = PgSchemas::new(admin);
    let s = schemas.harness().open(&fixture_schema(false), None).await;
    loaded(&s).await;
    let mut cs = ChangeSet::new();
    cs.update(at("people", 1), set(&[("name", Value::Int(7))]))
        .update(at("people", 2), set(&[("name", "Text".into())]))
        .update(at("people", 3), set(&[("name", Value::Int(9))]));
    assert_eq!(s.apply(cs).await.unwrap().updated, 3);
    assert_eq!(s.last_statement_count(), 1);
    let names: Vec<Value> = s
        .fetch("people", &[Key::from(1), Key::from(2), Key::from(3)])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("name").cloned().unwrap_or(Value::Null))
        .collect();
    assert_eq!(names, [Value::from("7"), Value::from("Text"), Value::from("9")]);
    // One statement text bound with a NULL (sent as text), then an integer, then a NULL again:
    // statements are kept prepared per text and kinds of binds, so each call gets its own types.
    for v in [Value::Null, Value::Int(2), Value::Null, Value::Int(1)] {
        let mut cs = ChangeSet::new();
        cs.update(at("people", 4), set(&[("org_id", v.clone())]));
        s.apply(cs).await.unwrap();
        let read = s.fetch("people", &[Key::from(4)]).await.unwrap();
        assert_eq!(read[0].get("org_id"), Some(&v));
    }
    schemas.drop_all().await;
}

mod props {
    use proptest::prelude::*;

    use super::*;

    /// One update: the record (entity and key index) and the columns set, with values drawn
    /// from a small pool so that updates of one record often repeat and overwrite each other.
    #[derive(Debug, Clone)]
    struct Update {
        entity: usize,
        key: usize,
        columns: Vec<(usize, u8)>,
    }

    /// An entity, its existing keys and its settable columns (with whether NULL is allowed).
    type Target = (&'static str, &'static [i64], &'static [(&'static str, bool)]);

    const ENTITIES: [Target; 3] = [
        ("people", &[1, 2, 3, 4], &[("name", false), ("email", true), ("org_id", true)]),
        ("orders", &[10, 11, 12], &[("total", true), ("person_id", false)]),
        ("notes", &[1000, 1001, 1002], &[("body", true), ("author_name", true), ("mentioned_phone", true)]),
    ];

    fn update() -> impl Strategy<Value = Update> {
        (0..ENTITIES.len(), 0..4usize, proptest::collection::btree_map(0..3usize, 0..4u8, 1..=3)).prop_map(
            |(entity, key, cols)| {
                let (_, keys, fields) = ENTITIES[entity];
                Update {
                    entity,
                    key: key % keys.len(),
                    columns: cols.into_iter().map(|(c, v)| (c % fields.len(), v)).collect(),
                }
            },
        )
    }

    fn value(entity: &str, column: &str, nullable: bool, v: u8) -> Value {
        match (entity, column, v) {
            (_, _, 0) if nullable => Value::Null,
            ("people", "org_id", v) => Value::Int(i64::from(v % 2) + 1),
            ("orders", "person_id", v) => Value::Int(i64::from(v) + 1),
            ("orders", "total", v) => Value::Decimal(format!("{v}.25").parse().unwrap()),
            (_, c, v) => Value::from(format!("{c} {v}")),
        }
    }

    fn change_set(updates: &[Update]) -> ChangeSet {
        let mut cs = ChangeSet::new();
        for u in updates {
            let (entity, keys, fields) = ENTITIES[u.entity];
            let set = u
                .columns
                .iter()
                .map(|&(c, v)| {
                    let (name, nullable) = fields[c];
                    (name.to_owned(), value(entity, name, nullable, v))
                })
                .collect();
            cs.update(RecordRef::new(Identifier::new(entity).unwrap(), Key::from(keys[u.key])), set);
        }
        cs
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Any run of updates, grouped by the SQL store, ends where the reference store ends.
        #[test]
        fn grouped_updates_end_where_the_reference_ends(
            runs in proptest::collection::vec(proptest::collection::vec(update(), 1..40), 1..4),
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let (got, want) = rt.block_on(async {
                let h = SqliteHarness::new();
                let s = h.open(&fixture_schema(false), None).await;
                let reference = MemoryStore::new(fixture_schema(false));
                loaded(&s).await;
                loaded(&reference).await;
                for run in &runs {
                    s.apply(change_set(run)).await.unwrap();
                    reference.apply(change_set(run)).await.unwrap();
                }
                (records_of(&s).await, records_of(&reference).await)
            });
            prop_assert_eq!(got, want);
        }
    }
}
