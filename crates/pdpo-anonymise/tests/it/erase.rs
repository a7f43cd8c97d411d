//! Subject erasure on the testkit CRM.

use std::collections::BTreeSet;

use pdpo_anonymise::NoKeys;
use pdpo_core::{
    DataStore, Hold, HoldScope, Identifier, Key, RecordRef, SubjectGraph, Value, flush_blob_outbox,
};
use pdpo_retention::HoldSet;
use pdpo_testkit::load::block_on;

use crate::support::{busiest, contains, crm, dump, eraser, guard, subject_values};

#[test]
fn erasure_removes_every_value_and_keeps_everything_else() {
    let (g, loaded) = crm(40);
    let store = &loaded.store;
    let (subject, size) = busiest(store, 40);
    assert!(size > 10, "the busiest subject has {size} records");
    let graph = block_on(SubjectGraph::collect(store, &Key::from(subject))).unwrap();
    let values = subject_values(&g, store, subject);
    assert!(!values.is_empty());

    // Hold one message of the subject (litigation).
    let held = graph.records_of("messages").next().map(|r| r.record.reference());
    let mut holds = HoldSet::new();
    if let Some(h) = &held {
        holds.insert(Hold::new(
            HoldScope::Record(h.clone()),
            "Litigation 2026-031",
            pdpo_testkit::reference_now(),
        ));
    }
    let eraser = eraser(guard(store, holds));
    let before = dump(store);
    let events_before = store.events().len();

    let cert = block_on(eraser.erase(store, &Key::from(subject), &NoKeys)).unwrap();
    assert!(cert.verified && !cert.already_erased);
    let after = dump(store);

    let retained: BTreeSet<RecordRef> = cert.retained.iter().map(|r| r.record.clone()).collect();
    // Held and kept records: untouched and listed with a reason.
    if let Some(h) = &held {
        let r = cert.retained.iter().find(|r| r.record == *h).expect("held message listed");
        assert!(r.reason.contains("Litigation 2026-031"));
        assert_eq!(
            after.get(&(h.entity.clone(), h.key.clone())),
            before.get(&(h.entity.clone(), h.key.clone()))
        );
    }
    for sr in graph.records_of("invoices") {
        let r = cert.retained.iter().find(|r| r.record == sr.record.reference()).expect("invoice listed");
        assert!(r.erase_mode_keep);
    }
    for r in &cert.retained {
        assert_eq!(
            after.get(&(r.record.entity.clone(), r.record.key.clone())),
            before.get(&(r.record.entity.clone(), r.record.key.clone()))
        );
    }

    // None of the subject's values remains in any of their records that was not retained.
    let schema = store.schema();
    for sr in &graph.records {
        let rref = sr.record.reference();
        if retained.contains(&rref) {
            continue;
        }
        let Some(now) = after.get(&(rref.entity.clone(), rref.key.clone())) else { continue }; // deleted
        let entity = schema.entity(&rref.entity).unwrap();
        for (col, v) in &now.values {
            if sr.others_fields.iter().any(|f| f.as_str() == col) {
                continue;
            }
            for needle in &values {
                assert!(!contains(v, needle), "{rref} `{col}` still holds a value of the subject");
            }
        }
        // Keys and links unchanged; other people's fields unchanged.
        let old = before.get(&(rref.entity.clone(), rref.key.clone())).unwrap();
        for col in old.values.keys() {
            let personal = sr.fields.iter().any(|f| f.as_str() == col);
            if !personal {
                assert_eq!(old.get(col), now.get(col), "{rref} `{col}` changed but is not the subject's");
            }
        }
        let _ = entity;
    }

    // Every record outside the subject's graph is unchanged.
    let in_graph: BTreeSet<(Identifier, Key)> =
        graph.records.iter().map(|r| (r.record.entity.clone(), r.record.key.clone())).collect();
    for (k, r) in &before {
        if !in_graph.contains(k) {
            assert_eq!(after.get(k), Some(r), "{}[{}] outside the graph changed", k.0, k.1);
        }
    }
    assert_eq!(
        before.len() - after.len(),
        cert.records_changed.iter().filter(|r| r.action == pdpo_anonymise::RecordAction::Delete).count()
    );

    // Every foreign key resolves.
    for (table, cols, to) in pdpo_testkit::FOREIGN_KEYS {
        for ((e, _), r) in &after {
            if e.as_str() != *table {
                continue;
            }
            let Some(v) = r.get(cols[0]) else { continue };
            if v.is_null() {
                continue;
            }
            let k = Key::from_values([v]).unwrap();
            assert!(after.contains_key(&(Identifier::new(to).unwrap(), k)), "{table}.{} dangles", cols[0]);
        }
    }

    // Invoice totals unchanged.
    let total = |d: &crate::support::Dump| -> Vec<String> {
        d.iter()
            .filter(|((e, _), _)| e == "invoices" || e == "invoice_lines")
            .map(|(_, r)| {
                format!(
                    "{}{}",
                    r.get("total").map(Value::render).unwrap_or_default(),
                    r.get("amount").map(Value::render).unwrap_or_default()
                )
            })
            .collect()
    };
    assert_eq!(total(&before), total(&after));

    // Attachments deleted through the outbox.
    let attachments: Vec<_> = graph.records_of("attachments").collect();
    assert_eq!(cert.blobs_deleted, attachments.len());
    let pending = block_on(store.pending_blob_deletes()).unwrap();
    assert_eq!(pending.len(), attachments.len());
    for a in &attachments {
        let id = a.record.get("blob_id").and_then(Value::as_text).unwrap();
        assert!(loaded.blobs.contains(id));
    }
    block_on(flush_blob_outbox(store, &loaded.blobs)).unwrap();
    for a in &attachments {
        assert!(!loaded.blobs.contains(a.record.get("blob_id").and_then(Value::as_text).unwrap()));
    }

    // Audit events and the certificate carry no personal value.
    let events = store.events();
    assert!(events.len() > events_before);
    let json = pdpo_core::serde_json::to_string(&events[events_before..]).unwrap();
    let cert_json = cert.to_json();
    for needle in &values {
        assert!(!json.to_lowercase().contains(&needle.to_lowercase()), "an audit event holds a value");
        assert!(!cert_json.to_lowercase().contains(&needle.to_lowercase()), "the certificate holds a value");
    }
    let back: pdpo_anonymise::ErasureCertificate = pdpo_core::serde_json::from_str(&cert_json).unwrap();
    assert_eq!(back, cert);
}

#[test]
fn second_erasure_changes_nothing() {
    let (_, loaded) = crm(25);
    let store = &loaded.store;
    let (subject, _) = busiest(store, 25);
    let eraser = eraser(guard(store, HoldSet::new()));
    let first = block_on(eraser.erase(store, &Key::from(subject), &NoKeys)).unwrap();
    assert!(!first.already_erased);
    let snapshot = dump(store);
    let events = store.events().len();
    let second = block_on(eraser.erase(store, &Key::from(subject), &NoKeys)).unwrap();
    assert!(second.already_erased, "second run still plans {:?}", second.records_changed);
    assert!(second.records_changed.is_empty());
    assert_eq!(dump(store), snapshot);
    assert_eq!(store.events().len(), events);
    assert_eq!(second.retained, first.retained);
}

#[test]
fn shared_messages_change_only_the_subjects_fields() {
    let (_, loaded) = crm(40);
    let store = &loaded.store;
    // A message whose sender and recipient are both contacts.
    let all = dump(store);
    let (msg, sender, recipient) = all
        .values()
        .filter(|r| r.entity == "messages")
        .find_map(|r| match (r.get("sender_id"), r.get("recipient_id")) {
            (Some(Value::Int(s)), Some(Value::Int(t))) if s != t => Some((r.clone(), *s, *t)),
            _ => None,
        })
        .expect("a message between two contacts");
    let eraser = eraser(guard(store, HoldSet::new()));
    block_on(eraser.erase(store, &Key::from(recipient), &NoKeys)).unwrap();
    let now = block_on(store.fetch("messages", std::slice::from_ref(&msg.key))).unwrap().remove(0);
    assert_eq!(
        now.get("sender_name"),
        msg.get("sender_name"),
        "the sender's name is not the recipient's to erase"
    );
    assert_eq!(now.get("sender_id"), Some(&Value::Int(sender)));
    if msg.get("recipient_address").is_some_and(|v| !v.is_null()) {
        assert_ne!(now.get("recipient_address"), msg.get("recipient_address"));
        assert!(now.get("recipient_address").and_then(Value::as_text).unwrap().ends_with("@invalid"));
    }
}

#[test]
fn plan_lists_kept_invoices_with_erasable_date() {
    let (_, loaded) = crm(40);
    let store = &loaded.store;
    let subject = (1..=40)
        .find(|id| {
            block_on(SubjectGraph::collect(store, &Key::from(*id)))
                .unwrap()
                .records_of("invoices")
                .next()
                .is_some()
        })
        .expect("a contact with invoices");
    let eraser = eraser(guard(store, HoldSet::new()));
    let plan = block_on(eraser.plan(store, &Key::from(subject))).unwrap();
    let inv: Vec<_> = plan.retained.iter().filter(|r| r.record.entity == "invoices").collect();
    assert!(!inv.is_empty());
    for r in inv {
        assert!(r.erase_mode_keep);
        // Invoices still inside the IRO 7-year keep carry the statutory reason and a date.
        if !r.retainers.is_empty() {
            assert!(r.retainers.iter().any(|x| x.statutory));
            assert!(r.erasable_from.is_some_and(|d| d > plan.now));
        }
    }
    assert_eq!(plan.hash(), block_on(eraser.plan(store, &Key::from(subject))).unwrap().hash());
    assert!(!format!("{plan:?}").contains('@'));
}
