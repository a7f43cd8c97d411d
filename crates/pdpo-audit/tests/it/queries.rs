//! Queries, the breach report, the disclosure log, granularity helpers, and the event sink.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use pdpo_audit::granularity::{PerSubject, RECORDS, bulk_event};
use pdpo_audit::{
    AuditStore, Error, MemoryAuditStore, Query, Scope, breach_report, disclosure_log, query, verify,
};
use pdpo_core::{
    Actor, AuditAction, AuditEvent, ChangeSet, Clock, DataStore, FixedClock, Identifier, Key, MemoryStore,
    Record, RecordRef, Schema, StoreErrorKind,
};

use super::fixture::{ORIGIN, ident};

fn at(y: i32, m: u32, d: u32, h: u32) -> chrono::DateTime<Utc> {
    // Hong Kong wall time.
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap() - Duration::hours(8)
}

fn contact(k: i64) -> RecordRef {
    RecordRef::new(ident("contacts"), Key::from(k))
}

/// Staff 1 views and discloses; staff 2 exports in bulk; over January to April 2026.
fn log() -> (Arc<FixedClock>, MemoryAuditStore) {
    let clock = Arc::new(FixedClock::new(at(2026, 1, 5, 9)));
    let log = MemoryAuditStore::with_clock(ORIGIN, clock.clone());
    let alice = Actor::user("staff-1").unwrap();
    let bob = Actor::user("staff-2").unwrap();
    for day in 0..100u32 {
        let now = clock.now();
        let mut reads = PerSubject::new(AuditAction::View, alice.clone(), now);
        let s = i64::from(day % 10);
        reads.add(Key::from(s), contact(s), [ident("email")]);
        reads.add(Key::from(s), RecordRef::new(ident("deals"), Key::from(100 + s)), [ident("amount")]);
        reads.add(Key::from(s + 1), contact(s + 1), []);
        let mut events = reads.into_events();
        if day % 7 == 0 {
            let mut disclose =
                PerSubject::new(AuditAction::Disclose, alice.clone(), now).with_recipient(ident("insurer"));
            disclose.add(Key::from(s), contact(s), [ident("phone")]);
            events.extend(disclose.into_events());
        }
        if day % 30 == 0 {
            events.push(bulk_event(AuditAction::Export, bob.clone(), now, [(RECORDS, 5000)]));
        }
        pollster::block_on(log.append(&events)).unwrap();
        clock.advance(Duration::days(1));
    }
    (clock, log)
}

#[test]
fn granularity_one_event_per_person_and_one_per_bulk_operation() {
    let (_, log) = log();
    let all = pollster::block_on(query(&log, &Query::new())).unwrap();
    // Per day: two view events (two people), a disclosure every 7 days, an export every 30.
    assert_eq!(all.len(), 200 + 15 + 4);
    let views =
        pollster::block_on(query(&log, &Query::new().action(AuditAction::View).subject(Key::from(3))))
            .unwrap();
    let two_records = views.iter().find(|v| v.event.record.is_none()).unwrap();
    assert_eq!(two_records.event.counts[&RECORDS], 2);
    assert_eq!(two_records.event.fields, [ident("amount"), ident("email")]);
    let whole = views.iter().find(|v| v.event.record.is_some()).unwrap();
    assert!(whole.event.fields.is_empty(), "a read naming no field exposes the whole record");
}

#[test]
fn queries_by_subject_record_actor_action_time_and_tenant() {
    let (_, log) = log();
    let q = |q: Query| pollster::block_on(query(&log, &q)).unwrap();
    let subject = q(Query::new().subject(Key::from(4)));
    assert!(!subject.is_empty());
    assert!(subject.iter().all(|e| e.event.subject == Some(Key::from(4))));
    let record = q(Query::new().record(contact(4)));
    assert!(record.iter().all(|e| e.event.record == Some(contact(4))));
    assert!(!record.is_empty());
    let bob = q(Query::new().actor(Actor::user("staff-2").unwrap()));
    assert_eq!(bob.len(), 4);
    assert!(bob.iter().all(|e| e.event.action == AuditAction::Export && e.event.subject.is_none()));
    let feb = q(Query::new().between(at(2026, 2, 1, 0), at(2026, 3, 1, 0)));
    assert!(feb.iter().all(|e| e.month.to_string() == "2026-02"));
    assert_eq!(feb.iter().filter(|e| e.event.action == AuditAction::View).count(), 2 * 28);
    assert!(q(Query::new().tenant(ident("nobody"))).is_empty());
    let two = q(Query::new().action(AuditAction::Disclose).action(AuditAction::Export));
    assert_eq!(two.len(), 15 + 4);
    // Log order: months ascending, indexes ascending within a month.
    assert!(two.windows(2).all(|w| (w[0].month, w[0].index) < (w[1].month, w[1].index)));
}

#[test]
fn breach_report_names_subjects_and_fields() {
    let (_, log) = log();
    let alice = Actor::user("staff-1").unwrap();
    let from = at(2026, 1, 5, 0);
    let to = at(2026, 1, 8, 0); // three days: subjects 0..=3
    let report = pollster::block_on(breach_report(&log, &alice, from, to)).unwrap();
    assert!(report.complete);
    assert_eq!(report.events, 2 * 3 + 1);
    let subjects: Vec<_> = report.subjects.iter().map(|s| s.subject.clone()).collect();
    assert_eq!(subjects, [Key::from(0), Key::from(1), Key::from(2), Key::from(3)]);
    let s0 = &report.subjects[0];
    assert_eq!(s0.fields.iter().map(|f| f.as_str()).collect::<Vec<_>>(), ["amount", "email", "phone"]);
    assert!(s0.actions.contains(&AuditAction::Disclose));
    assert_eq!(s0.recipients.iter().map(|r| r.as_str()).collect::<Vec<_>>(), ["insurer"]);
    let s3 = &report.subjects[3];
    assert!(s3.whole_records, "subject 3 was shown whole on day 2");
    let bob = pollster::block_on(breach_report(&log, &Actor::user("staff-2").unwrap(), from, to)).unwrap();
    assert!(bob.subjects.is_empty());
    assert_eq!(bob.bulk.len(), 1);
    assert_eq!(bob.bulk[0].event.counts[&RECORDS], 5000);
}

#[test]
fn disclosure_log_covers_the_twelve_months_before_the_correction() {
    let (clock, log) = log();
    let subject = Key::from(0);
    // Days 0, 70 (subject 0 disclosed on days ≡ 0 mod 70 within 100 days).
    let now = clock.now();
    let dl = pollster::block_on(disclosure_log(&log, &subject, now)).unwrap();
    assert!(dl.complete);
    assert_eq!(dl.disclosures.len(), 2);
    assert_eq!(dl.recipients.iter().map(|r| r.as_str()).collect::<Vec<_>>(), ["insurer"]);
    // A year and a day after the first disclosure, it has left the window.
    let later = at(2027, 1, 6, 12);
    let dl = pollster::block_on(disclosure_log(&log, &subject, later)).unwrap();
    assert_eq!(dl.from, at(2026, 1, 6, 0));
    assert_eq!(dl.disclosures.len(), 1);
}

#[test]
fn undecodable_rows_fail_queries_with_their_place() {
    let (clock, log) = log();
    let mut snap = log.snapshot();
    let (&month, rows) = snap.partitions.iter_mut().nth(1).unwrap();
    rows[3].body[0] = 9; // unknown format version
    let bad = MemoryAuditStore::from_snapshot(snap, clock);
    match pollster::block_on(query(&bad, &Query::new())) {
        Err(Error::Undecodable { month: m, index: 3, .. }) => assert_eq!(m, month),
        other => panic!("expected an undecodable row, got {other:?}"),
    }
}

#[test]
fn a_memory_store_commits_data_and_events_together() {
    let schema = Schema::from_toml_str(
        "subject = \"contacts\"\n[purposes]\nsales = \"Selling\"\n[entities.contacts]\nkey = \"id\"\nfields.email = { category = \"email\", purposes = [\"sales\"] }\n",
        None,
    )
    .unwrap();
    let log = MemoryAuditStore::new(Identifier::from_static("crm"));
    let store = MemoryStore::with_sink(schema, Arc::new(log.clone()));
    let staff = Actor::user("staff-9").unwrap();
    let mut cs = ChangeSet::new();
    cs.insert(Record::new(ident("contacts"), Key::from(1)).with("email", "chan.taiman@example.hk"));
    cs.event(AuditEvent::new(AuditAction::Create, staff.clone(), Utc::now()).with_record(contact(1)));
    pollster::block_on(store.apply(cs)).unwrap();
    assert_eq!(pollster::block_on(log.head()).unwrap().size, 1);

    // A change set that fails applies nothing: no data, no event.
    store.inject_failure_at(0);
    let mut cs = ChangeSet::new();
    cs.insert(Record::new(ident("contacts"), Key::from(2)).with("email", "wong@example.hk"));
    cs.event(AuditEvent::new(AuditAction::Create, staff, Utc::now()).with_record(contact(2)));
    let err = pollster::block_on(store.apply(cs)).unwrap_err();
    assert_ne!(err.kind(), StoreErrorKind::Audit);
    assert_eq!(pollster::block_on(log.head()).unwrap().size, 1);
    assert_eq!(store.count("contacts"), 1);
    assert!(pollster::block_on(verify(&log, Scope::All)).unwrap().is_clean());

    // No personal value reaches the log: the email is nowhere in its bytes.
    let json = serde_json::to_string(&log.snapshot()).unwrap();
    assert!(!json.contains("chan.taiman"));
    let bytes: Vec<u8> = log.snapshot().partitions.values().flatten().flat_map(|r| r.body.clone()).collect();
    assert!(!bytes.windows(5).any(|w| w == b"chan."));
}
