//! pdpo-core benches: `SubjectGraph::collect` on a large `MemoryStore`, and schema loading.
//!
//! `cargo bench -p pdpo-bench --bench core`
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use pdpo_core::{
    ChangeSet, Identifier, Key, KeyValue, MemoryStore, Record, Schema, SubjectGraph, conformance,
};

const SUBJECTS: i64 = 100_000;

/// The conformance fixture's schema filled with `SUBJECTS` people, each with 4 orders of 3 lines,
/// 2 notes, 1 thread membership and its thread: 20 linked records per person (2.1M records in all).
fn big_store() -> MemoryStore {
    let store = MemoryStore::new(conformance::fixture_schema(false));
    let id = Identifier::from_static;
    let mut cs = ChangeSet::new();
    for p in 1..=SUBJECTS {
        cs.insert(
            Record::new(id("people"), Key::from(p))
                .with("name", "CHAN Tai Man")
                .with("email", "tm.chan@example.hk"),
        );
        for o in 0..4 {
            let order = p * 10 + o;
            cs.insert(Record::new(id("orders"), Key::from(order)).with("person_id", p));
            for line in 1..=3 {
                let k = Key::composite([KeyValue::Int(order), KeyValue::Int(line)]);
                cs.insert(Record::new(id("order_lines"), k).with("description", "Moon cakes x4"));
            }
        }
        cs.insert(Record::new(id("threads"), Key::from(p)).with("subject_line", "Delivery"));
        cs.insert(Record::new(id("thread_members"), Key::composite([KeyValue::Int(p), KeyValue::Int(p)])));
        for n in 0..2 {
            cs.insert(
                Record::new(id("notes"), Key::from(p * 2 + n))
                    .with("author_id", p)
                    .with("thread_id", p)
                    .with("body", "please call back"),
            );
        }
        if cs.changes.len() > 50_000 {
            pollster::block_on(pdpo_core::DataStore::apply(&store, std::mem::take(&mut cs))).unwrap();
        }
    }
    pollster::block_on(pdpo_core::DataStore::apply(&store, cs)).unwrap();
    store
}

fn collect(c: &mut Criterion) {
    let store = big_store();
    let mut i: i64 = 0;
    c.bench_function("collect/memory/100k subjects x 20 linked records", |b| {
        b.iter(|| {
            // A different subject each time, spread over the whole key space.
            i = (i + 7_919) % SUBJECTS;
            let g = pollster::block_on(SubjectGraph::collect(&store, &Key::from(i + 1))).unwrap();
            assert_eq!(g.len(), 21);
            black_box(g)
        });
    });
}

/// A 15-entity CRM schema.
fn schema_15() -> String {
    let mut s = String::from(
        "version = 1\nsubject = \"contacts\"\n[purposes]\nservice = \"Service\"\nbilling = \"Billing\"\nmarketing = \"Marketing\"\n\
         [entities.contacts]\nkey = \"id\"\nlifecycle = { created = \"created_at\", updated = \"updated_at\", last_activity = \"last_activity_at\" }\n\
         fields.name_en = { category = \"name\", purposes = [\"service\"] }\nfields.name_zh = { category = \"name\", purposes = [\"service\"] }\n\
         fields.hkid = { category = \"hkid\", purposes = [\"billing\"], encrypt = true }\nfields.phone = { category = \"phone\", purposes = [\"service\"] }\n\
         fields.email = { category = \"email\", purposes = [\"service\", \"marketing\"] }\nfields.custom = { type = \"json\", json = { \"$.emails[*].address\" = \"email\", \"$.phones.*\" = \"phone\" } }\n\
         [entities.companies]\nkey = \"id\"\nlinks = [{ to = \"contacts\", referenced_by = \"company_id\" }]\n\
         [entities.participants]\nkey = [\"conversation_id\", \"contact_id\"]\nlinks = [{ to = \"contacts\", foreign_key = \"contact_id\" }]\n\
         [entities.conversations]\nkey = \"id\"\nlinks = [{ to = \"contacts\", join = { through = \"participants\", columns = \"conversation_id\", to_columns = \"contact_id\" } }]\n\
         [entities.messages]\nkey = \"id\"\nlinks = [{ name = \"sender\", to = \"contacts\", foreign_key = \"sender_id\" }, { name = \"recipient\", to = \"contacts\", foreign_key = \"recipient_id\" }, { to = \"conversations\", foreign_key = \"conversation_id\" }]\n\
         fields.body = { category = \"free_text\", purposes = [\"service\"] }\nfields.sender_name = { category = \"name\", about = \"sender\" }\n\
         [entities.deals]\nkey = \"id\"\nlinks = [{ to = \"contacts\", array = \"contact_ids\" }]\n",
    );
    for (i, name) in [
        "invoices",
        "tickets",
        "calls",
        "meetings",
        "consents",
        "activities",
        "attachments",
        "addresses",
        "payments",
    ]
    .iter()
    .enumerate()
    {
        s.push_str(&format!(
            "[entities.{name}]\nkey = \"id\"\nlinks = [{{ to = \"contacts\", foreign_key = \"contact_id\" }}]\nlifecycle = {{ created = \"created_at\" }}\n\
             fields.note_{i} = {{ category = \"free_text\", purposes = [\"service\"] }}\nfields.amount = {{ type = \"decimal\" }}\n"
        ));
    }
    s
}

fn schema_load(c: &mut Criterion) {
    let text = schema_15();
    let schema = Schema::from_toml_str(&text, None).unwrap();
    assert_eq!(schema.entities().len(), 15);
    c.bench_function("schema/load+validate 15 entities", |b| {
        b.iter(|| Schema::from_toml_str(black_box(&text), None).unwrap())
    });
}

criterion_group!(benches, collect, schema_load);
criterion_main!(benches);
