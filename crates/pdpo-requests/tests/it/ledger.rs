//! The ledger: states, the log book, fees, holds, queries and audit events.

use std::sync::Arc;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use pdpo_core::{
    Actor, AuditAction, DisposalGuard, DisposalQuery, FixedClock, Identifier, Key, Record, RetainerKind,
};
use pdpo_requests::{
    Error, Language, Ledger, MemoryRequestStore, NewRequest, RefusalGround, RefusalInput, RequestKind,
    RequestState, RequestStore,
};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A ledger whose clock reads 10:00 Hong Kong time on `day`.
fn ledger_on(day: &str) -> (Ledger<MemoryRequestStore, Arc<FixedClock>>, Arc<FixedClock>) {
    let date = d(day);
    let clock = Arc::new(FixedClock::new(Utc.from_utc_datetime(&date.and_hms_opt(2, 0, 0).unwrap())));
    (Ledger::new(MemoryRequestStore::new(), Arc::clone(&clock)), clock)
}

fn staff() -> Actor {
    Actor::user("staff-7").unwrap()
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

#[test]
fn receipt_date_is_the_hong_kong_date() {
    let (ledger, _) = ledger_on("2025-03-09");
    // 00:30 in Hong Kong on 10 March is still 9 March in UTC.
    let at = Utc.with_ymd_and_hms(2025, 3, 9, 16, 30, 0).unwrap();
    let r = block(
        ledger.receive(NewRequest::new(RequestKind::Access, vec![Key::from(1)]).received_at(at), &staff()),
    )
    .unwrap();
    assert_eq!(r.received_on, d("2025-03-10"));
    let due = ledger.due(&r).unwrap();
    assert_eq!(due.date, d("2025-04-22"));
    assert!(due.statutory && due.basis.contains("s.19(1)"));
}

#[test]
fn access_request_lifecycle_is_audited() {
    let (ledger, _) = ledger_on("2026-11-22");
    let r =
        block(ledger.receive(NewRequest::new(RequestKind::Access, vec![Key::from(42)]), &staff())).unwrap();
    assert_eq!(ledger.due(&r).unwrap().date, d("2027-01-02"));
    block(ledger.verify_identity(r.id, &staff())).unwrap();
    block(ledger.start(r.id, &staff())).unwrap();
    let done = block(ledger.complete(r.id, &staff())).unwrap();
    assert_eq!(done.state, RequestState::Completed);
    assert_eq!(done.completed_on, Some(d("2026-11-22")));
    assert_eq!(done.history.len(), 3);
    let events = ledger.store().events();
    assert_eq!(events.len(), 4);
    assert!(events.iter().all(|e| e.action == AuditAction::Request && e.request == Some(r.id)));
    assert!(events.iter().all(|e| e.subject == Some(Key::from(42))));
    assert!(events[3].counts.contains_key("state.completed"));
    // No going back.
    let err = block(ledger.start(r.id, &staff())).unwrap_err();
    assert!(matches!(
        err,
        Error::Transition { from: RequestState::Completed, to: RequestState::InProgress, .. }
    ));
    assert_eq!(ledger.store().events().len(), 4, "a refused transition writes no event");
}

#[test]
fn a_correction_request_needs_an_access_request_whose_copy_was_supplied() {
    let (ledger, _) = ledger_on("2026-03-02");
    let err = block(ledger.receive(NewRequest::new(RequestKind::Correction, vec![Key::from(1)]), &staff()))
        .unwrap_err();
    assert!(matches!(err, Error::NoPrecedingCopy { .. }));
    assert!(err.to_string().contains("s.22(1)"));
    let dar =
        block(ledger.receive(NewRequest::new(RequestKind::Access, vec![Key::from(1)]), &staff())).unwrap();
    let err = block(
        ledger
            .receive(NewRequest::new(RequestKind::Correction, vec![Key::from(1)]).follows(dar.id), &staff()),
    )
    .unwrap_err();
    assert!(err.to_string().contains("no copy has been supplied"), "{err}");
    block(ledger.verify_identity(dar.id, &staff())).unwrap();
    block(ledger.complete(dar.id, &staff())).unwrap();
    let dcr = block(
        ledger
            .receive(NewRequest::new(RequestKind::Correction, vec![Key::from(1)]).follows(dar.id), &staff()),
    )
    .unwrap();
    assert_eq!(dcr.follows, Some(dar.id));
    assert!(ledger.due(&dcr).unwrap().basis.contains("s.23(1)"));
    // No fee for a correction (s.28(1)); a fee for access is fine.
    assert!(matches!(
        block(ledger.set_fee(dcr.id, "50".parse().unwrap(), "copying")),
        Err(Error::FeeNotAllowed(_))
    ));
    let with_fee = block(ledger.set_fee(dar.id, "50".parse().unwrap(), "photocopying 20 pages")).unwrap();
    assert_eq!(with_fee.fee.unwrap().amount_hkd.as_str(), "50");
}

fn refusal(grounds: Vec<RefusalGround>, served: &str) -> RefusalInput {
    RefusalInput {
        grounds,
        reasons: "The request does not say which account it concerns.".into(),
        other_data_user: None,
        prejudice: None,
        notice_served_on: d(served),
    }
}

#[test]
fn refusal_writes_the_log_book_entry_first_and_never_after_the_notice() {
    let (ledger, clock) = ledger_on("2026-05-04");
    let r = block(ledger.receive(
        NewRequest::new(RequestKind::Access, vec![Key::from(5)]).language(Language::ZhHant),
        &staff(),
    ))
    .unwrap();
    // A notice served yesterday cannot have an entry made today (s.27(3)).
    let err = block(ledger.refuse(r.id, refusal(vec![RefusalGround::S20_3_b], "2026-05-03"), &staff()))
        .unwrap_err();
    assert!(matches!(err, Error::EntryAfterNotice { .. }), "{err}");
    assert!(block(ledger.store().log_book()).unwrap().is_empty());
    // Grounds must fit the kind of request, and s.20(3)(d) needs the other data user.
    let err = block(ledger.refuse(r.id, refusal(vec![RefusalGround::S24_3_b], "2026-05-05"), &staff()))
        .unwrap_err();
    assert!(matches!(err, Error::GroundNotApplicable { .. }));
    let err = block(ledger.refuse(r.id, refusal(vec![RefusalGround::S20_3_d], "2026-05-05"), &staff()))
        .unwrap_err();
    assert!(matches!(err, Error::OtherDataUserMissing { .. }));
    assert!(matches!(
        block(ledger.refuse(r.id, refusal(vec![], "2026-05-05"), &staff())),
        Err(Error::NoGrounds(_))
    ));
    // Received -> Refused is allowed: identity not established is a s.20(1)(a) refusal.
    let (req, entry) =
        block(ledger.refuse(r.id, refusal(vec![RefusalGround::S20_3_b], "2026-05-05"), &staff())).unwrap();
    assert_eq!(req.state, RequestState::Refused);
    assert_eq!(entry.entered_on, d("2026-05-04"));
    assert_eq!(entry.language, Language::ZhHant);
    assert_eq!(req.refusal.unwrap().log_book_entry, entry.id);
    assert_eq!(entry.erasable_from(), d("2030-05-04"));
    // The entry is kept four years (s.27(1)(c)).
    let err = block(ledger.erase_log_entry(entry.id)).unwrap_err();
    assert!(matches!(err, Error::LogBookRetention { until, .. } if until == d("2030-05-04")));
    clock.set(Utc.with_ymd_and_hms(2030, 5, 4, 2, 0, 0).unwrap());
    block(ledger.erase_log_entry(entry.id)).unwrap();
    assert!(block(ledger.store().log_book()).unwrap().is_empty());
}

#[test]
fn partial_compliance_notice_must_come_before_the_deadline() {
    let (ledger, _) = ledger_on("2025-03-10");
    let r =
        block(ledger.receive(NewRequest::new(RequestKind::Access, vec![Key::from(5)]), &staff())).unwrap();
    block(ledger.verify_identity(r.id, &staff())).unwrap();
    let err = block(ledger.partially_comply(r.id, "archived mail is off site", d("2025-04-23"), &staff()))
        .unwrap_err();
    assert!(matches!(err, Error::PartialNoticeLate { due, .. } if due == d("2025-04-22")));
    let p =
        block(ledger.partially_comply(r.id, "archived mail is off site", d("2025-04-22"), &staff())).unwrap();
    assert_eq!(p.state, RequestState::PartiallyComplied);
    assert!(p.state.is_open());
    block(ledger.complete(r.id, &staff())).unwrap();
}

#[test]
fn queries_due_within_and_overdue_follow_the_clock() {
    let (ledger, clock) = ledger_on("2026-01-05");
    let a =
        block(ledger.receive(NewRequest::new(RequestKind::Access, vec![Key::from(1)]), &staff())).unwrap();
    clock.advance(Duration::days(20));
    let b =
        block(ledger.receive(NewRequest::new(RequestKind::Access, vec![Key::from(2)]), &staff())).unwrap();
    let e =
        block(ledger.receive(NewRequest::new(RequestKind::Erasure, vec![Key::from(3)]), &staff())).unwrap();
    let o =
        block(ledger.receive(NewRequest::new(RequestKind::MarketingOptOut, vec![Key::from(4)]), &staff()))
            .unwrap();
    let due_a = ledger.due(&a).unwrap();
    assert_eq!(due_a.date, d("2026-02-14")); // Sat 14 Feb 2026: not a holiday
    let due_o = ledger.due(&o).unwrap();
    assert!(!due_o.statutory && due_o.basis.starts_with("business choice"));
    assert_eq!(due_o.date, o.received_on);
    assert_eq!(ledger.due(&e).unwrap().date, d("2026-02-24"));
    // Today is 25 January: the opt-out is due today; nothing is overdue yet.
    let within: Vec<_> = block(ledger.due_within(0)).unwrap().into_iter().map(|(r, _)| r.id).collect();
    assert_eq!(within, vec![o.id]);
    assert!(block(ledger.overdue()).unwrap().is_empty());
    clock.advance(Duration::days(21)); // 15 February
    let overdue: Vec<_> = block(ledger.overdue()).unwrap().into_iter().map(|(r, _)| r.id).collect();
    assert_eq!(overdue, vec![o.id, a.id]);
    block(ledger.verify_identity(a.id, &staff())).unwrap();
    block(ledger.complete(a.id, &staff())).unwrap();
    let open: Vec<_> = block(ledger.open()).unwrap().into_iter().map(|(r, _)| r.id).collect();
    assert_eq!(open, vec![o.id, e.id, b.id]);
    assert_eq!(block(ledger.in_state(RequestState::Completed)).unwrap().len(), 1);
}

#[test]
fn an_open_access_request_holds_the_persons_data() {
    let (ledger, _) = ledger_on("2026-03-02");
    let r =
        block(ledger.receive(NewRequest::new(RequestKind::Access, vec![Key::from(7)]), &staff())).unwrap();
    block(ledger.receive(NewRequest::new(RequestKind::Erasure, vec![Key::from(8)]), &staff())).unwrap();
    let holds = block(ledger.holds(Identifier::new("contacts").unwrap())).unwrap();
    assert_eq!(holds.len(), 1, "only statutory requests hold data");
    let now = Utc::now();
    let invoice = Record::new(Identifier::new("invoices").unwrap(), Key::from(100));
    let contact = Record::new(Identifier::new("contacts").unwrap(), Key::from(7));
    let held = holds.check(&DisposalQuery::new(&invoice, now).for_subject(&Key::from(7)));
    assert_eq!(held.retainers()[0].kind, RetainerKind::OpenRequest);
    assert!(held.retainers()[0].reason.contains("s.19(3)"));
    assert!(
        !holds.check(&DisposalQuery::new(&contact, now)).is_allowed(),
        "the subject record itself is held"
    );
    assert!(holds.check(&DisposalQuery::new(&invoice, now).for_subject(&Key::from(8))).is_allowed());
    // Once answered, the hold lifts.
    block(ledger.verify_identity(r.id, &staff())).unwrap();
    block(ledger.complete(r.id, &staff())).unwrap();
    let holds = block(ledger.holds(Identifier::new("contacts").unwrap())).unwrap();
    assert!(holds.check(&DisposalQuery::new(&contact, now)).is_allowed());
}

#[test]
fn a_request_the_calendar_cannot_count_is_refused_at_receipt() {
    let (ledger, _) = ledger_on("2030-12-01");
    let err = block(ledger.receive(NewRequest::new(RequestKind::Access, vec![Key::from(1)]), &staff()))
        .unwrap_err();
    assert!(err.to_string().contains("no general-holiday list for 2031"), "{err}");
    assert!(block(ledger.open()).unwrap().is_empty());
}

#[test]
fn erasing_an_unknown_log_entry_names_it() {
    let (ledger, _) = ledger_on("2026-05-04");
    let id = uuid::Uuid::nil();
    let err = block(ledger.erase_log_entry(id)).unwrap_err();
    assert!(matches!(err, Error::NoLogEntry(x) if x == id));
    assert_eq!(err.to_string(), format!("no log-book entry {id}"));
}
