//! Properties: the encoding round-trips and is canonical; clean random logs verify with zero
//! false positives; a random single change to a random log is always detected and located.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use pdpo_audit::{
    AuditStore, Body, Checkpoint, FaultKind, Location, MemoryAuditStore, Retention, Scope, decode_event,
    verify, verify_against,
};
use pdpo_core::{
    Actor, AuditAction, AuditEvent, Clock, FixedClock, Identifier, Key, KeyValue, Purpose, RecordRef,
    SealedDetail,
};
use proptest::prelude::*;
use uuid::Uuid;

use super::fixture::{ORIGIN, key};

fn ident() -> impl Strategy<Value = Identifier> {
    "[a-z_][a-z0-9_.:-]{0,12}".prop_map(|s| Identifier::new(s).unwrap())
}

fn key_value() -> impl Strategy<Value = KeyValue> {
    prop_oneof![
        any::<i64>().prop_map(KeyValue::Int),
        any::<u128>().prop_map(|u| KeyValue::Uuid(Uuid::from_u128(u))),
        ".{0,10}".prop_map(|s| KeyValue::Text(s.into())),
    ]
}

fn key_strategy() -> impl Strategy<Value = Key> {
    prop::collection::vec(key_value(), 1..4).prop_map(Key::composite)
}

prop_compose! {
    fn arb_event()(
        action in prop::sample::select(AuditAction::ALL.to_vec()),
        kind in 0..3u8,
        actor in ident(),
        secs in 0i64..4_000_000_000,
        nanos in 0u32..1_000_000_000,
        id in any::<u128>(),
        tenant in prop::option::of(ident()),
        subject in prop::option::of(key_strategy()),
        record in prop::option::of((ident(), key_strategy())),
        fields in prop::collection::vec(ident(), 0..4),
        purpose in prop::option::of(ident()),
        origin in prop::option::of(ident()),
        recipient in prop::option::of(ident()),
        request in prop::option::of(any::<u128>()),
        counts in prop::collection::btree_map(ident(), any::<u64>(), 0..4),
        sealed in prop::option::of((ident(), prop::collection::vec(any::<u8>(), 0..40))),
    ) -> AuditEvent {
        let actor = match kind {
            0 => Actor::user(actor),
            1 => Actor::system(actor),
            _ => Actor::service(actor),
        }.unwrap();
        let at = Utc.timestamp_opt(secs, nanos).unwrap();
        let mut e = AuditEvent::new(action, actor, at).with_id(Uuid::from_u128(id));
        e.tenant = tenant;
        e.subject = subject;
        e.record = record.map(|(entity, key)| RecordRef::new(entity, key));
        e.fields = fields;
        e.purpose = purpose.map(Purpose);
        e.origin = origin;
        e.recipient = recipient;
        e.request = request.map(Uuid::from_u128);
        e.counts = counts;
        e.sealed = sealed.map(|(key_id, bytes)| SealedDetail { key_id, bytes });
        e
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn encoding_round_trips_and_is_deterministic(e in arb_event()) {
        let a = Body::encode(&e).unwrap();
        let b = Body::encode(&e).unwrap();
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a.decode().unwrap(), e);
    }

    #[test]
    fn any_decodable_body_is_canonical(e in arb_event(), pos in any::<prop::sample::Index>(), x in 1..=255u8) {
        let mut bytes = Body::encode(&e).unwrap().into_bytes();
        let i = pos.index(bytes.len());
        bytes[i] ^= x;
        if let Ok(decoded) = decode_event(&bytes) {
            prop_assert_eq!(Body::encode(&decoded).unwrap().into_bytes(), bytes);
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// Advance the clock this many minutes, then append these events.
    Append(u32, Vec<AuditEvent>),
    SealEnded,
    Retention(u32),
    Checkpoint,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u32..40_000, prop::collection::vec(arb_event(), 1..5)).prop_map(|(m, e)| Op::Append(m, e)),
        1 => Just(Op::SealEnded),
        1 => (1u32..15).prop_map(Op::Retention),
        1 => Just(Op::Checkpoint),
    ]
}

/// Runs the operations on a fresh log; returns it with the checkpoints taken along the way.
fn play(ops: &[Op]) -> (Arc<FixedClock>, MemoryAuditStore, Vec<Checkpoint>) {
    let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2025, 12, 20, 0, 0, 0).unwrap()));
    let log = MemoryAuditStore::with_clock(ORIGIN, clock.clone());
    let mut checkpoints = Vec::new();
    for op in ops {
        match op {
            Op::Append(minutes, events) => {
                clock.advance(Duration::minutes(i64::from(*minutes)));
                pollster::block_on(log.append(events)).unwrap();
            }
            Op::SealEnded => {
                pollster::block_on(log.seal_ended()).unwrap();
            }
            Op::Retention(months) => {
                let r = Retention::keep_months(*months).unwrap();
                pollster::block_on(r.run(&log, clock.now())).unwrap();
            }
            Op::Checkpoint => {
                let head = pollster::block_on(log.head()).unwrap();
                checkpoints.push(Checkpoint::sign(log.chain(), &head, clock.now(), &key()));
            }
        }
    }
    (clock, log, checkpoints)
}

proptest! {
    // 256 cases by default; `PROPTEST_CASES=10000` for a longer run.
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn clean_random_logs_have_no_faults(ops in prop::collection::vec(op(), 1..40)) {
        let (_, log, checkpoints) = play(&ops);
        let report = pollster::block_on(verify(&log, Scope::All)).unwrap();
        prop_assert!(report.is_clean(), "{}", report);
        let parts = pollster::block_on(log.partitions()).unwrap();
        for p in &parts {
            let r = pollster::block_on(verify(&log, Scope::Month(p.month))).unwrap();
            prop_assert!(r.is_clean(), "{}: {}", p.month, r);
        }
        if let (Some(first), Some(last)) = (parts.first(), parts.last()) {
            let r = pollster::block_on(verify(&log, Scope::Range { from: first.month, to: last.month })).unwrap();
            prop_assert!(r.is_clean(), "{}", r);
        }
        for cp in &checkpoints {
            let r = pollster::block_on(verify_against(&log, cp, &key())).unwrap();
            prop_assert!(r.is_clean(), "checkpoint at {}: {}", cp.size, r);
        }
    }

    #[test]
    fn a_random_change_to_a_random_log_is_located(
        ops in prop::collection::vec(op(), 1..30),
        which in any::<prop::sample::Index>(),
        pos in any::<prop::sample::Index>(),
        x in 1..=255u8,
        field in 0..3u8,
    ) {
        let (clock, log, _) = play(&ops);
        let mut snap = log.snapshot();
        let rows: Vec<_> = snap.partitions.iter().flat_map(|(m, rows)| (0..rows.len()).map(move |i| (*m, i))).collect();
        prop_assume!(!rows.is_empty());
        let (month, i) = rows[which.index(rows.len())];
        let row = &mut snap.partitions.get_mut(&month).unwrap()[i];
        match field {
            0 => { let k = pos.index(row.body.len()); row.body[k] ^= x; }
            1 => { let k = pos.index(32); row.prev.0[k] ^= x; }
            _ => { let k = pos.index(32); row.hash.0[k] ^= x; }
        }
        let tampered = MemoryAuditStore::from_snapshot(snap, clock);
        let report = pollster::block_on(verify(&tampered, Scope::All)).unwrap();
        let at = Location::Entry { month, index: i as u64 };
        prop_assert!(report.faults.iter().any(|f| f.location == at && f.kind == FaultKind::Changed), "{}", report);
        // Changing a logged drop un-logs it, which is reported too.
        prop_assert!(
            report.faults.iter().all(|f| f.location == at || f.location == Location::Head || f.kind == FaultKind::DroppedUnlogged),
            "{}", report
        );
    }
}
