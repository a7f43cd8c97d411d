//! Property tests of MemoryStore: change sets are all-or-nothing and never leave a dangling reference.

use std::collections::BTreeMap;

use pdpo_core::{
    ChangeSet, DataStore, Identifier, Key, KeyValue, MemoryStore, Record, RecordRef, StoreErrorKind, Value,
    conformance,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    InsertPerson(i64),
    InsertOrder(i64, i64),
    InsertLine(i64, i64),
    RenamePerson(i64),
    Delete(&'static str, i64),
    DeleteLine(i64, i64),
}

fn op() -> impl Strategy<Value = Op> {
    let k = || 1i64..6;
    prop_oneof![
        k().prop_map(Op::InsertPerson),
        (k(), k()).prop_map(|(o, p)| Op::InsertOrder(o + 10, p)),
        (k(), 1i64..3).prop_map(|(o, l)| Op::InsertLine(o + 10, l)),
        k().prop_map(Op::RenamePerson),
        prop_oneof![k().prop_map(|k| ("people", k)), k().prop_map(|k| ("orders", k + 10))]
            .prop_map(|(e, k)| Op::Delete(e, k)),
        (k(), 1i64..3).prop_map(|(o, l)| Op::DeleteLine(o + 10, l)),
    ]
}

fn id(s: &'static str) -> Identifier {
    Identifier::from_static(s)
}

fn line_key(o: i64, l: i64) -> Key {
    Key::composite([KeyValue::Int(o), KeyValue::Int(l)])
}

fn to_change(cs: &mut ChangeSet, op: &Op) {
    match op {
        Op::InsertPerson(p) => {
            cs.insert(Record::new(id("people"), Key::from(*p)).with("name", "x"));
        }
        Op::InsertOrder(o, p) => {
            cs.insert(Record::new(id("orders"), Key::from(*o)).with("person_id", *p));
        }
        Op::InsertLine(o, l) => {
            cs.insert(Record::new(id("order_lines"), line_key(*o, *l)));
        }
        Op::RenamePerson(p) => {
            let mut set = BTreeMap::new();
            set.insert("name".to_owned(), Value::from("renamed"));
            cs.update(RecordRef::new(id("people"), Key::from(*p)), set);
        }
        Op::Delete(e, k) => {
            cs.delete(RecordRef::new(Identifier::from_static(e), Key::from(*k)));
        }
        Op::DeleteLine(o, l) => {
            cs.delete(RecordRef::new(id("order_lines"), line_key(*o, *l)));
        }
    }
}

/// (entity, key, [(column, rendered value)]) for every record.
type Dump = Vec<(String, String, Vec<(String, String)>)>;

fn dump(store: &MemoryStore) -> Dump {
    let mut out = Vec::new();
    for e in ["people", "orders", "order_lines"] {
        let page = pollster::block_on(store.scan_page(e, None, 1_000)).unwrap();
        for r in page.records {
            out.push((
                e.to_owned(),
                r.key.to_string(),
                r.values.iter().map(|(k, v)| (k.clone(), v.render())).collect(),
            ));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn change_sets_are_atomic_and_keep_references_whole(sets in prop::collection::vec(prop::collection::vec(op(), 1..5), 1..12)) {
        let store = MemoryStore::new(conformance::fixture_schema(false));
        for set in &sets {
            let before = dump(&store);
            let events_before = store.events().len();
            let mut cs = ChangeSet::new();
            for op in set {
                to_change(&mut cs, op);
            }
            cs.event(pdpo_core::AuditEvent::new(pdpo_core::AuditAction::Update, pdpo_core::Actor::system("prop").unwrap(), chrono::Utc::now()));
            match pollster::block_on(store.apply(cs)) {
                Ok(applied) => {
                    prop_assert_eq!(applied.inserted + applied.updated + applied.deleted, set.len() as u64);
                    prop_assert_eq!(store.events().len(), events_before + 1);
                }
                Err(e) => {
                    prop_assert!(matches!(e.kind(), StoreErrorKind::Conflict | StoreErrorKind::NotFound | StoreErrorKind::WouldCascade | StoreErrorKind::MissingReference), "{e}");
                    prop_assert_eq!(dump(&store), before, "a failed change set changed data");
                    prop_assert_eq!(store.events().len(), events_before, "a failed change set kept its events");
                }
            }
            // Every reference resolves.
            let people: Vec<String> = dump(&store).iter().filter(|r| r.0 == "people").map(|r| r.1.clone()).collect();
            let orders: Vec<String> = dump(&store).iter().filter(|r| r.0 == "orders").map(|r| r.1.clone()).collect();
            for (e, key, values) in dump(&store) {
                if e == "orders" {
                    let p = values.iter().find(|(k, _)| k == "person_id").map(|(_, v)| v.clone()).unwrap();
                    prop_assert!(people.contains(&p), "orders[{}] points at missing person {}", key, p);
                }
                if e == "order_lines" {
                    let o = values.iter().find(|(k, _)| k == "order_id").map(|(_, v)| v.clone()).unwrap();
                    prop_assert!(orders.contains(&o), "order_lines[{}] points at missing order {}", key, o);
                }
            }
        }
    }
}
