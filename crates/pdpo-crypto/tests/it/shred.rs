//! Crypto-shredding through the EncryptingStore, with blind indexes.

use pdpo_core::{Actor, AuditAction, ChangeSet, DataStore, Key, RecordRef, SubjectGraph, Value};
use pdpo_crypto::{IndexKind, KeyStore};

use crate::block_on;
use crate::store::{id, seed, setup};

#[test]
fn shred_then_read_yields_shredded_and_other_subjects_are_untouched() {
    let (store, ring) = setup();
    seed(&store);
    for (cid, email) in [(1, "Chan@Example.hk"), (2, "wong@example.hk")] {
        block_on(ring.index_value(
            Some("acme"),
            &Key::from(cid),
            RecordRef::new(id("contacts"), Key::from(cid)),
            id("email"),
            &IndexKind::Email,
            email,
        ))
        .unwrap();
    }
    let hits = block_on(ring.lookup(Some("acme"), &IndexKind::Email, " chan@example.HK")).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].subject, Key::from(1));

    let report =
        block_on(ring.shred(Some("acme"), &Key::from(1), Actor::system("erasure").unwrap())).unwrap();
    assert_eq!((report.keys, report.index_rows), (1, 1));
    assert_eq!(report.event.action, AuditAction::Shred);
    assert_eq!(report.event.subject, Some(Key::from(1)));
    assert_eq!(report.event.tenant.as_ref().map(|t| t.as_str()), Some("acme"));
    // The event goes into the audit log through the store like any other.
    let mut cs = ChangeSet::new();
    cs.event(report.event);
    block_on(store.apply(cs)).unwrap();

    let graph = block_on(SubjectGraph::collect(&store, &Key::from(1))).unwrap();
    assert_eq!(graph.len(), 4);
    let own = &graph.records[0].record;
    assert_eq!(own.get("email"), Some(&Value::Shredded));
    assert_eq!(own.get("hkid"), Some(&Value::Shredded));
    assert_eq!(own.get("name"), Some(&Value::from("Contact 1")), "unencrypted fields are not reached");
    for inv in graph.records_of("invoices") {
        assert_eq!(inv.record.get("billing_address"), Some(&Value::Shredded));
        assert_eq!(
            inv.record.get("bank_account"),
            Some(&Value::from("012-345678-901")),
            "workspace-scoped fields are not reached"
        );
    }
    let other = block_on(store.fetch("contacts", &[Key::from(2)])).unwrap().remove(0);
    assert_eq!(other.get("email"), Some(&Value::from("wong@example.hk")));
    assert!(block_on(ring.lookup(Some("acme"), &IndexKind::Email, "chan@example.hk")).unwrap().is_empty());
    assert_eq!(block_on(ring.lookup(Some("acme"), &IndexKind::Email, "wong@example.hk")).unwrap().len(), 1);

    // Idempotent: a second shred destroys nothing more but still reports.
    let again = block_on(ring.shred(Some("acme"), &Key::from(1), Actor::system("erasure").unwrap())).unwrap();
    assert_eq!((again.keys, again.index_rows), (0, 0));
}

#[test]
fn shred_costs_one_key_operation_whatever_the_number_of_records() {
    let (store, ring) = setup();
    let mut cs = ChangeSet::new();
    cs.insert(pdpo_core::Record::new(id("contacts"), Key::from(1)).with("email", "many@example.hk"));
    for n in 0..500 {
        cs.insert(
            pdpo_core::Record::new(id("invoices"), Key::from(1000 + n))
                .with("contact_id", 1)
                .with("billing_address", format!("Flat {n}")),
        );
    }
    block_on(store.apply(cs)).unwrap();
    let before = ring.store().len();
    let report =
        block_on(ring.shred(Some("acme"), &Key::from(1), Actor::system("erasure").unwrap())).unwrap();
    assert_eq!(report.keys, 1, "501 records, one subject key");
    assert_eq!(ring.store().len(), before - 1);
    let page = block_on(store.scan_page("invoices", None, 1000)).unwrap();
    assert_eq!(page.records.len(), 500);
    assert!(page.records.iter().all(|r| r.get("billing_address") == Some(&Value::Shredded)));
}

#[test]
fn a_shred_in_another_process_reaches_this_one_once_its_cache_is_evicted() {
    let (store, ring) = setup();
    seed(&store);
    // A second ring over the same key store and KEK (another process).
    assert!(
        block_on(store.fetch("contacts", &[Key::from(1)])).unwrap()[0].get("email") != Some(&Value::Shredded)
    );
    block_on(ring.store().shred(Some("acme"), &Key::from(1))).unwrap();
    // Still cached here: readable until evicted (documented).
    assert_eq!(
        block_on(store.fetch("contacts", &[Key::from(1)])).unwrap()[0].get("email"),
        Some(&Value::from("chan@example.hk"))
    );
    ring.evict_subject(Some("acme"), &Key::from(1));
    assert_eq!(
        block_on(store.fetch("contacts", &[Key::from(1)])).unwrap()[0].get("email"),
        Some(&Value::Shredded)
    );
}
