//! `pdpo::Workspace` over the in-memory backend: every operation leaves its audit events,
//! encrypted fields stay encrypted at rest and are shredded by erasure, and open requests,
//! statutory keeps and bad input are honoured.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "workspace")]

use std::collections::BTreeSet;
use std::sync::Arc;

use pdpo::anonymise::Correction;
use pdpo::audit::{AuditStore, Query};
use pdpo::core::{Actor, AuditAction, DataStore, FixedClock, Key, RecordRef, RetainerKind, Value};
use pdpo::requests::{NewRequest, RequestKind};
use pdpo::retention::Policy;
use pdpo::{Error, Memory, Workspace};
use pdpo_testkit::{Generator, reference_now};

async fn workspace(contacts: u64) -> Workspace<Memory> {
    let clock = Arc::new(FixedClock::new(reference_now()));
    let schema = pdpo_testkit::schema();
    let policy = Policy::testkit_default(&schema).unwrap();
    let ws = Workspace::in_memory(schema, clock)
        .unwrap()
        .with_actor(Actor::user("dpo-1").unwrap())
        .with_policy(policy);
    pdpo_testkit::load(&Generator::new(contacts, 11), ws.store(), ws.blobs(), 1000).await.unwrap();
    ws
}

/// The actions logged since `from` (a head size), in order.
async fn actions_since(ws: &Workspace<Memory>, from: u64) -> Vec<AuditAction> {
    let all = pdpo::audit::query(ws.audit(), &Query::new()).await.unwrap();
    all.into_iter().skip(usize::try_from(from).unwrap()).map(|l| l.event.action).collect()
}

async fn size(ws: &Workspace<Memory>) -> u64 {
    ws.audit().head().await.unwrap().size
}

/// A contact who has invoices (kept under IRO s.51C) and at least one encrypted HKID.
async fn contact_with_invoices(ws: &Workspace<Memory>) -> Key {
    for id in 1..=40 {
        let key = Key::from(id);
        let graph = pdpo::core::SubjectGraph::collect(ws.store(), &key).await.unwrap();
        let invoices = graph.records.iter().any(|r| r.record.entity == "invoices");
        let contact = ws.store().fetch("contacts", std::slice::from_ref(&key)).await.unwrap();
        let has_hkid = contact[0].get("hkid").is_some_and(|v| !v.is_null());
        if invoices && has_hkid {
            return key;
        }
    }
    panic!("no contact with invoices and an HKID among the first 40");
}

#[tokio::test]
async fn every_operation_leaves_its_events() {
    let ws = workspace(40).await;
    let subject = contact_with_invoices(&ws).await;

    let n = size(&ws).await;
    let (req, due) =
        ws.receive_request(NewRequest::new(RequestKind::Access, vec![subject.clone()])).await.unwrap();
    assert!(due.statutory);
    assert_eq!(actions_since(&ws, n).await, vec![AuditAction::Request]);

    let n = size(&ws).await;
    let export = ws.export_subject(req.id, Vec::new()).await.unwrap();
    assert_eq!(export.manifest.request_id, Some(req.id));
    assert_eq!(actions_since(&ws, n).await, vec![AuditAction::Export]);

    let n = size(&ws).await;
    ws.inventory().await.unwrap();
    assert_eq!(actions_since(&ws, n).await, vec![AuditAction::Inventory]);

    let n = size(&ws).await;
    let plan = ws.retention_plan(5).await.unwrap();
    assert!(plan.records > 0);
    assert_eq!(actions_since(&ws, n).await, vec![AuditAction::RetentionRun]);

    let n = size(&ws).await;
    let report = ws.verify_audit().await.unwrap();
    assert!(report.is_clean(), "{:?}", report.faults);
    assert_eq!(report.entries, n);
    assert_eq!(actions_since(&ws, n).await, vec![AuditAction::View]);

    let n = size(&ws).await;
    let c =
        Correction::new(RecordRef::new(pdpo::core::Identifier::new("contacts").unwrap(), subject.clone()))
            .set("email", "corrected@example.com");
    let corrected = ws.correct(&subject, &[c], None).await.unwrap();
    assert_eq!(corrected.records.len(), 1);
    assert_eq!(actions_since(&ws, n).await, vec![AuditAction::Correct]);
    let contact = ws.store().fetch("contacts", std::slice::from_ref(&subject)).await.unwrap();
    assert_eq!(contact[0].get("email"), Some(&Value::from("corrected@example.com")));

    let n = size(&ws).await;
    let zip = ws.export_workspace(Vec::new(), |_| {}).await.unwrap();
    assert!(zip.link.is_some());
    assert_eq!(actions_since(&ws, n).await, vec![AuditAction::Export]);
    // The archive carries the audit log as it was when the export began, and it re-verifies.
    let snapshot = pdpo::export::read_audit_snapshot(std::io::Cursor::new(zip.output)).unwrap();
    assert_eq!(snapshot.head.size, n);
    let back =
        pdpo::audit::MemoryAuditStore::from_snapshot(snapshot, Arc::new(FixedClock::new(reference_now())));
    assert!(pdpo::audit::verify(&back, pdpo::audit::Scope::All).await.unwrap().is_clean());

    let n = size(&ws).await;
    let (run, _) = ws.retention_run(500).await.unwrap();
    assert!(run.evaluated > 0);
    let logged = actions_since(&ws, n).await;
    assert_eq!(logged.last(), Some(&AuditAction::RetentionRun));
    assert!(ws.verify_audit().await.unwrap().is_clean());
}

#[tokio::test]
async fn encrypted_at_rest_and_shredded_by_erasure_with_kept_invoices_listed() {
    let ws = workspace(40).await;
    let subject = contact_with_invoices(&ws).await;
    let raw = ws.raw_store().fetch("contacts", std::slice::from_ref(&subject)).await.unwrap();
    assert!(matches!(raw[0].get("hkid"), Some(Value::Bytes(_))), "HKID is stored as ciphertext");
    assert!(matches!(raw[0].get("date_of_birth"), Some(Value::Bytes(_))), "date of birth is ciphertext");

    let n = size(&ws).await;
    let cert = ws.erase(&subject, None).await.unwrap();
    assert!(cert.verified);
    assert!(cert.keys_shredded);
    assert!(!cert.records_changed.is_empty());
    let kept: BTreeSet<&str> = cert.retained.iter().map(|r| r.record.entity.as_str()).collect();
    assert!(kept.contains("invoices"), "invoices are kept (IRO s.51C): {kept:?}");
    let logged = actions_since(&ws, n).await;
    assert!(logged.contains(&AuditAction::Shred), "{logged:?}");
    assert!(logged.contains(&AuditAction::Anonymise), "{logged:?}");

    let read = ws.store().fetch("contacts", std::slice::from_ref(&subject)).await.unwrap();
    assert!(
        matches!(read[0].get("hkid"), Some(Value::Shredded | Value::Null) | None),
        "the HKID cannot be read back after erasure"
    );
    // Erasing again changes nothing and says so.
    let again = ws.erase(&subject, None).await.unwrap();
    assert!(again.already_erased);
    assert!(ws.verify_audit().await.unwrap().is_clean());
}

#[tokio::test]
async fn an_open_request_holds_the_subjects_data() {
    let ws = workspace(20).await;
    let subject = Key::from(2);
    ws.receive_request(NewRequest::new(RequestKind::Access, vec![subject.clone()])).await.unwrap();
    let cert = ws.erase(&subject, None).await.unwrap();
    let contact =
        cert.retained.iter().find(|r| r.record.entity == "contacts").expect("the contact is retained");
    assert!(contact.retainers.iter().any(|r| r.kind == RetainerKind::OpenRequest), "{:?}", contact.retainers);
}

#[tokio::test]
async fn bad_input_is_a_typed_error() {
    let clock = Arc::new(FixedClock::new(reference_now()));
    let ws = Workspace::in_memory(pdpo_testkit::schema(), clock).unwrap();
    pdpo_testkit::load(&Generator::new(3, 1), ws.store(), ws.blobs(), 1000).await.unwrap();
    assert!(matches!(ws.retention_plan(1).await, Err(Error::NoPolicy)));
    assert!(matches!(ws.erase(&Key::from(999), None).await, Err(Error::UnknownSubject { .. })));
    let id = pdpo::core::uuid::Uuid::now_v7();
    assert!(matches!(ws.export_subject(id, Vec::new()).await, Err(Error::UnknownRequest(i)) if i == id));
    let msg = ws.erase(&Key::from(999), None).await.unwrap_err().to_string();
    assert_eq!(msg, "no `contacts` record has key 999");
}

/// A batch erasure through the workspace certifies what erasing each subject alone certifies
/// (records changed and shredded, records retained and why), honours an open request, lists
/// unknown subjects as missing, and is idempotent.
#[tokio::test]
async fn batch_erasure_matches_one_by_one() {
    let (batch, single) = (workspace(30).await, workspace(30).await);
    for ws in [&batch, &single] {
        ws.receive_request(NewRequest::new(RequestKind::Access, vec![Key::from(2)])).await.unwrap();
    }
    let subjects: Vec<Key> = (1..=8).map(Key::from).chain([Key::from(999)]).collect();
    let report = batch.erase_many(&subjects, 3).await.unwrap();
    assert_eq!(report.missing, [Key::from(999)]);
    assert_eq!(report.certificates.len(), 8);
    for (cert, subject) in report.certificates.iter().zip(&subjects) {
        assert_eq!(&cert.subject, subject);
        assert!(cert.verified, "subject {subject}");
        let alone = single.erase(subject, None).await.unwrap();
        assert_eq!(cert.already_erased, alone.already_erased, "subject {subject}");
        assert_eq!(cert.records_changed, alone.records_changed, "subject {subject}");
        assert_eq!(cert.shredded, alone.shredded, "subject {subject}");
        // The open requests differ (one per workspace): compare retained records up to their ids.
        let retained = |c: &pdpo::anonymise::ErasureCertificate| -> Vec<String> {
            c.retained.iter().map(|r| format!("{} {:?} {:?}", r.record, r.fields, r.reason)).collect()
        };
        assert_eq!(retained(cert), retained(&alone), "subject {subject}");
        assert_eq!(cert.keys_shredded, alone.keys_shredded, "subject {subject}");
    }
    assert!(report.certificates.iter().filter(|c| !c.already_erased).count() >= 6);
    let held = &report.certificates[1];
    assert!(
        held.retained.iter().any(|r| r.retainers.iter().any(|x| x.kind == RetainerKind::OpenRequest)),
        "the open request retains subject 2's records"
    );
    let again = batch.erase_many(&subjects[..8], 8).await.unwrap();
    assert!(again.certificates.iter().all(|c| c.already_erased));
    assert!(batch.verify_audit().await.unwrap().is_clean());
}
