//! Quick start: annotate a CRM's tables for the PDPO, load some records into a `MemoryStore`, and
//! collect everything about one person — the starting point of a data access request (s.18),
//! a correction (s.22) or an erasure (s.26).
//!
//! ```text
//! cargo run --example quickstart
//! ```
#![allow(clippy::print_stdout)]

use pdpo::core::serde_json::json;
use pdpo::core::{
    ChangeSet, DataStore, Identifier, Key, KeyValue, MemoryStore, Record, Schema, SubjectGraph,
};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let schema = Schema::from_toml_str(
        include_str!("data/quickstart.toml"),
        Some("examples/data/quickstart.toml".as_ref()),
    )?;
    let store = MemoryStore::new(schema);

    let id = Identifier::from_static;
    let mut cs = ChangeSet::new();
    cs.insert(
        Record::new(id("contacts"), Key::from(1))
            .with("name_en", "CHAN Tai Man")
            .with("name_zh", "陳大文")
            .with("phone", "+852 9123 4567")
            .with("hkid", "A123456(3)")
            .with("custom_fields", json!({ "emails": [{ "address": "tm.chan@example.hk" }] })),
    );
    cs.insert(
        Record::new(id("contacts"), Key::from(2))
            .with("name_en", "LEE Siu Ming")
            .with("phone", "+852 6123 4567"),
    );
    cs.insert(
        Record::new(id("invoices"), Key::from(100))
            .with("contact_id", 1)
            .with("billing_address", "Flat A, 3/F, 1 Nathan Road, Tsim Sha Tsui"),
    );
    cs.insert(Record::new(id("conversations"), Key::from(7)));
    for who in [1, 2] {
        cs.insert(Record::new(
            id("conversation_participants"),
            Key::composite([KeyValue::Int(7), KeyValue::Int(who)]),
        ));
    }
    cs.insert(
        Record::new(id("messages"), Key::from(70))
            .with("conversation_id", 7)
            .with("sender_id", 2)
            .with("recipient_id", 1)
            .with("body", "Mr Chan, your order is ready")
            .with("sender_phone", "+852 6123 4567")
            .with("recipient_phone", "+852 9123 4567"),
    );
    cs.insert(Record::new(id("deals"), Key::from(300)).with("contact_ids", json!([1, 2])));
    store.apply(cs).await?;

    let graph = SubjectGraph::collect(&store, &Key::from(1)).await?;
    println!("Everything about contacts[1] ({} records):", graph.len());
    let schema = store.schema();
    for sr in &graph.records {
        let via: Vec<&str> = sr.via.iter().map(|v| v.as_str()).collect();
        println!(
            "\n{}  (via: {})",
            sr.record.reference(),
            if via.is_empty() { "the subject".into() } else { via.join(", ") }
        );
        for field in &sr.fields {
            let value = sr.record.get(field).map(|v| v.render()).unwrap_or_default();
            let category = schema
                .entity(&sr.record.entity)
                .and_then(|e| e.field(field))
                .and_then(|f| f.category.as_ref().map(ToString::to_string))
                .unwrap_or_else(|| "json".into());
            println!("  {field:<16} [{category}] {value}");
        }
        for field in &sr.others_fields {
            println!("  {field:<16} [about someone else: withheld under s.20(1)(b)]");
        }
    }
    Ok(())
}
