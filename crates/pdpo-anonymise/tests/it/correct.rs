//! Correction (s.22-23) with recipients of the previous 12 months.

use chrono::Duration;
use pdpo_anonymise::{Correction, correct};
use pdpo_core::{Actor, AuditAction, AuditEvent, DataStore, Identifier, Key, RecordRef, Value};
use pdpo_testkit::load::block_on;

use crate::support::crm;

#[test]
fn corrects_with_audit_and_lists_recent_recipients() {
    let (_, loaded) = crm(10);
    let store = &loaded.store;
    let now = pdpo_testkit::reference_now();
    let contacts = Identifier::new("contacts").unwrap();
    let me = RecordRef::new(contacts.clone(), Key::from(4));
    let actor = Actor::user("dpo-1").unwrap();
    let disclose = |days: i64, to: &str, subject: i64, fields: &[&str]| {
        AuditEvent::new(AuditAction::Disclose, actor.clone(), now - Duration::days(days))
            .with_subject(Key::from(subject))
            .with_recipient(Identifier::new(to).unwrap())
            .with_fields(fields.iter().copied())
            .unwrap()
    };
    let disclosures = vec![
        disclose(30, "courier", 4, &["address", "phone"]),
        disclose(200, "courier", 4, &[]),
        disclose(400, "collection-agency", 4, &["phone"]), // older than 12 months
        disclose(10, "insurer", 5, &["phone"]),            // another person
        disclose(20, "auditor", 4, &["name_en"]),          // not a corrected field
        AuditEvent::new(AuditAction::Export, actor.clone(), now).with_subject(Key::from(4)),
    ];
    let c = Correction::new(me.clone())
        .set("phone", "+852 6123 4567")
        .set("address", "Flat B, 12/F, 8 Nathan Road");
    let report =
        block_on(correct(store, &Key::from(4), &[c], &disclosures, actor.clone(), now, None)).unwrap();
    assert_eq!(report.notify.len(), 1);
    assert_eq!(report.notify[0].recipient.as_str(), "courier");
    assert_eq!(report.notify[0].disclosures, 2);
    assert_eq!(report.notify[0].last_disclosed, now - Duration::days(30));
    let rec = block_on(store.fetch("contacts", &[Key::from(4)])).unwrap().remove(0);
    assert_eq!(rec.get("phone"), Some(&Value::from("+852 6123 4567")));
    let ev = store.events().into_iter().rev().find(|e| e.action == AuditAction::Correct).unwrap();
    assert_eq!(ev.record.as_ref(), Some(&me));
    assert_eq!(ev.fields.len(), 2);
    assert!(!pdpo_core::serde_json::to_string(&ev).unwrap().contains("6123"));

    // Refusals write nothing.
    let events = store.events().len();
    let key_change = Correction::new(me).set("id", 99);
    assert!(block_on(correct(store, &Key::from(4), &[key_change], &[], actor.clone(), now, None)).is_err());
    let other = Correction::new(RecordRef::new(contacts, Key::from(5))).set("phone", "1");
    let err = block_on(correct(store, &Key::from(4), &[other], &[], actor, now, None)).unwrap_err();
    assert!(err.to_string().contains("contacts[5]"), "{err}");
    assert_eq!(store.events().len(), events);
}
