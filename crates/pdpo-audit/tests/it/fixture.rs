//! A multi-month log with varied events, and helpers to verify mutated copies of it.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use pdpo_audit::{
    AuditStore, Checkpoint, CheckpointKey, MemoryAuditStore, Month, Report, Scope, Snapshot, verify,
    verify_against,
};
use pdpo_core::{
    Actor, AuditAction, AuditEvent, Clock, FixedClock, Identifier, Key, KeyValue, Purpose, RecordRef,
    SealedDetail,
};
use uuid::Uuid;

pub(crate) const ORIGIN: Identifier = Identifier::from_static("acme-crm");

pub(crate) fn key() -> CheckpointKey {
    CheckpointKey::new(Identifier::from_static("ops-2026"), &[0x5a; 32]).unwrap()
}

/// 2026-01-02 09:00 in Hong Kong.
pub(crate) fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 2, 1, 0, 0).unwrap()
}

pub(crate) fn ident(s: &str) -> Identifier {
    Identifier::new(s).unwrap()
}

/// The `n`th event of a deterministic, varied stream: every option of the event set by some.
pub(crate) fn event(n: u64, at: DateTime<Utc>) -> AuditEvent {
    let staff = Actor::user(format!("staff-{}", n % 5)).unwrap();
    let contacts = ident("contacts");
    let subject = Key::from((n % 7) as i64 + 1);
    let base = |action| {
        AuditEvent::new(action, staff.clone(), at)
            .with_id(Uuid::from_u128(0x0195_0000_0000_7000_8000_0000_0000_0000 + u128::from(n)))
    };
    match n % 8 {
        0 => base(AuditAction::View)
            .with_subject(subject.clone())
            .with_record(RecordRef::new(contacts, subject))
            .with_fields(["email", "phone"])
            .unwrap()
            .with_purpose(Purpose::new("customer_service").unwrap()),
        1 => base(AuditAction::Disclose)
            .with_subject(subject)
            .with_record(RecordRef::new(
                ident("deals"),
                Key::composite([KeyValue::Int(9), KeyValue::Text("q1".into())]),
            ))
            .with_fields(["amount"])
            .unwrap()
            .with_recipient(ident("insurer"))
            .with_tenant(ident("tenant-a")),
        2 => base(AuditAction::Update)
            .with_subject(subject.clone())
            .with_record(RecordRef::new(contacts, subject))
            .with_fields(["address"])
            .unwrap()
            .with_sealed(SealedDetail {
                key_id: ident("dek-7"),
                bytes: vec![0xde, 0xad, (n & 0xff) as u8, 0xef],
            }),
        3 => base(AuditAction::Inventory)
            .with_count(ident("records"), 1000 + n)
            .with_count(ident("subjects"), 40)
            .with_origin(ident("scheduler")),
        4 => base(AuditAction::Export)
            .with_subject(subject)
            .with_request(Uuid::from_u128(0xabcdef + u128::from(n)))
            .with_origin(ident("api")),
        5 => AuditEvent::new(AuditAction::Login, Actor::service("sso-bridge").unwrap(), at)
            .with_id(Uuid::from_u128(0x0195_0000_0000_7000_9000_0000_0000_0000 + u128::from(n))),
        6 => base(AuditAction::View)
            .with_subject(Key::from(Uuid::from_u128(u128::from(n))))
            .with_record(RecordRef::new(ident("tickets"), Key::from(Uuid::from_u128(7)))),
        _ => base(AuditAction::PolicyChange).with_fields(["retention.contacts"]).unwrap(),
    }
}

/// A log over `months` full months from January 2026 (all sealed), plus an open month, with
/// `per_month` events a month in batches of one to three; a checkpoint of the final head.
pub(crate) struct Fixture {
    pub(crate) clock: Arc<FixedClock>,
    pub(crate) log: MemoryAuditStore,
    pub(crate) checkpoint: Checkpoint,
}

pub(crate) fn build(months: u32, per_month: u64) -> Fixture {
    let clock = Arc::new(FixedClock::new(start()));
    let log = MemoryAuditStore::with_clock(ORIGIN, clock.clone());
    let mut n = 0;
    for m in 0..=months {
        let month = Month::of(start()).plus(m);
        let mut appended = 0;
        while appended < per_month {
            // Spread over the first 27 days, so never crossing into the next month.
            let step = 27 * 24 * 60 / per_month as i64;
            let at = month.start() + Duration::minutes(30 + step * appended as i64);
            clock.set(at);
            let batch = (1 + n % 3).min(per_month - appended);
            let events: Vec<_> = (n..n + batch).map(|k| event(k, at - Duration::minutes(5))).collect();
            pollster::block_on(log.append(&events)).unwrap();
            n += batch;
            appended += batch;
        }
    }
    let head = pollster::block_on(log.head()).unwrap();
    let checkpoint = Checkpoint::sign(log.chain(), &head, clock.now(), &key());
    Fixture { clock, log, checkpoint }
}

impl Fixture {
    pub(crate) fn snapshot(&self) -> Snapshot {
        self.log.snapshot()
    }

    pub(crate) fn load(&self, snapshot: Snapshot) -> MemoryAuditStore {
        MemoryAuditStore::from_snapshot(snapshot, self.clock.clone())
    }

    pub(crate) fn verify(&self, snapshot: Snapshot) -> Report {
        pollster::block_on(verify(&self.load(snapshot), Scope::All)).unwrap()
    }

    pub(crate) fn verify_against(&self, snapshot: Snapshot, checkpoint: &Checkpoint) -> Report {
        pollster::block_on(verify_against(&self.load(snapshot), checkpoint, &key())).unwrap()
    }
}
