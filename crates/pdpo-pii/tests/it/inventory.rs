//! Inventory over a MemoryStore: tagged counts, JSON path tags, untagged findings, DPP1 finding.

use pdpo_core::{
    Actor, ChangeSet, DataStore, Entity, Field, Identifier as Id, Key, MemoryStore, PiiCategory, Purpose,
    Record, Schema, Value,
};
use pdpo_pii::{Inventory, InventoryFinding, Scanner};

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn id(s: &str) -> Id {
    Id::new(s).unwrap()
}

fn store(n: i64) -> MemoryStore {
    let schema = Schema::builder(id("contacts"))
        .purpose(id("billing"), "Invoicing")
        .entity(
            Entity::new(id("contacts"), [id("id")])
                .with_field(
                    Field::new(id("name"))
                        .with_category(PiiCategory::Name)
                        .with_purpose(Purpose(id("billing"))),
                )
                .with_field(Field::new(id("hkid")).with_category(PiiCategory::Hkid))
                .with_field(Field::new(id("notes")))
                .with_field(
                    Field::new(id("custom"))
                        .with_json_tag("$.emails[*].address".parse().unwrap(), PiiCategory::Email),
                ),
        )
        .build()
        .unwrap();
    let store = MemoryStore::new(schema);
    let mut changes = ChangeSet::new();
    for i in 1..=n {
        let notes = match i % 4 {
            0 => "客戶提供身份證 A123456(3)，電話 9123 4567".to_owned(),
            1 => format!("order {i} shipped"),
            _ => "no personal data".to_owned(),
        };
        let custom = serde_json::json!({"emails": [{"address": format!("c{i}@example.com")}]});
        changes.insert(
            Record::new(id("contacts"), Key::from(i))
                .with("id", i)
                .with("name", "陳大文")
                .with("hkid", if i % 2 == 0 { Value::from("A123456(3)") } else { Value::Null })
                .with("notes", notes)
                .with("custom", Value::Json(custom)),
        );
    }
    block_on(store.apply(changes)).unwrap();
    store
}

#[test]
fn inventory_counts_and_flags() {
    let store = store(40);
    let scanner = Scanner::hong_kong().unwrap();
    let report = block_on(Inventory::new(&scanner).page_size(7).run(&store)).unwrap();
    let e = &report.entities[0];
    assert_eq!(e.records, 40);
    let field = |n: &str| e.fields.iter().find(|f| f.field == n).unwrap();
    assert_eq!(field("hkid").records_with_value, 20);
    assert_eq!(field("name").records_with_value, 40);
    assert_eq!(field("custom.$.emails[*].address").records_with_value, 40);
    let notes = field("notes");
    assert_eq!(notes.detected[&PiiCategory::Hkid].records, 10);
    assert_eq!(notes.detected[&PiiCategory::Phone].records, 10);
    assert_eq!(notes.detected[&PiiCategory::Hkid].sample_keys[0], Key::from(4));

    assert!(report.findings.contains(&InventoryFinding::UntaggedPersonalData {
        entity: id("contacts"),
        field: "notes".into(),
        category: PiiCategory::Hkid,
        records: 10,
        of: 40,
    }));
    assert!(report.findings.contains(&InventoryFinding::IdentifierWithoutPurpose {
        entity: id("contacts"),
        field: "hkid".into(),
        category: PiiCategory::Hkid,
        records: 20,
    }));
    // `name` has a purpose and is not an identifier: no finding about it.
    assert!(!report.to_text().contains("`contacts.name`"));

    let text = report.to_text();
    assert!(
        text.contains("untagged field `contacts.notes` holds HKID numbers in 10 of 40 records"),
        "{text}"
    );
    let json = report.to_json().to_string();
    for out in [&text, &json] {
        assert!(
            !out.contains("A123456")
                && !out.contains("9123")
                && !out.contains("陳大文")
                && !out.contains("c1@")
        );
    }

    let ev = report.audit_event(Actor::system("inventory").unwrap(), pdpo_core::chrono::Utc::now());
    assert_eq!(ev.counts[&id("records")], 40);
    assert_eq!(ev.counts[&id("findings")], report.findings.len() as u64);
}

#[test]
fn inventory_of_chosen_entities() {
    let store = store(8);
    let scanner = Scanner::hong_kong().unwrap();
    let all = block_on(Inventory::new(&scanner).run(&store)).unwrap();
    let only = block_on(Inventory::new(&scanner).entities(["contacts"]).run(&store)).unwrap();
    assert_eq!(only.entities.len(), 1);
    assert_eq!(only.entities[0].records, all.entities[0].records);
    assert_eq!(only.findings, all.findings);
    let none = block_on(Inventory::new(&scanner).entities(["invoices"]).run(&store)).unwrap();
    assert!(none.entities.is_empty() && none.findings.is_empty());
}
