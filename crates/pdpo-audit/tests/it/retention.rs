//! Retention of partitions, simulated over fifteen months on a fixed clock.

use std::sync::Arc;

use chrono::Duration;
use pdpo_audit::{
    AuditStore, Checkpoint, Error, MemoryAuditStore, Month, Query, Retention, Scope, disclosure_log,
    drop_event, dropped_month, query, verify, verify_against,
};
use pdpo_core::{AuditAction, Clock, FixedClock, Key};

use super::fixture::{ORIGIN, event, key, start};

fn month(y: i32, m: u32) -> Month {
    Month::new(y, m).unwrap()
}

#[test]
fn fifteen_months_with_the_default_retention() {
    let clock = Arc::new(FixedClock::new(start())); // 2 January 2026, Hong Kong
    let log = MemoryAuditStore::with_clock(ORIGIN, clock.clone());
    let retention = Retention::default();
    let end = month(2026, 1).plus(15).start() + Duration::days(3); // 4 April 2027
    let mut n = 0;
    let mut dropped = Vec::new();
    let mut last_checkpoint = None;
    let mut seals_seen = 0;
    while clock.now() < end {
        // Six events a day, in two batches, then the nightly retention run.
        for _ in 0..2 {
            let events: Vec<_> = (n..n + 3).map(|k| event(k, clock.now())).collect();
            pollster::block_on(log.append(&events)).unwrap();
            n += 3;
            clock.advance(Duration::hours(4));
        }
        let run = pollster::block_on(retention.run(&log, clock.now())).unwrap();
        dropped.extend(run.dropped.iter().copied());
        assert_eq!(run.logged, run.dropped.len(), "every drop is logged once");
        let head = pollster::block_on(log.head()).unwrap();
        if head.seals > seals_seen {
            // A checkpoint at every seal, kept "elsewhere".
            seals_seen = head.seals;
            last_checkpoint = Some(Checkpoint::sign(log.chain(), &head, clock.now(), &key()).to_text());
            let report = pollster::block_on(verify(&log, Scope::All)).unwrap();
            assert!(report.is_clean(), "{}: {report}", clock.now());
        }
        clock.advance(Duration::hours(16));
    }

    // January 2026 is due on 1 March 2027 and February 2026 on 1 April 2027 (HK).
    assert_eq!(dropped, [month(2026, 1), month(2026, 2)]);
    let parts = pollster::block_on(log.partitions()).unwrap();
    assert_eq!(parts.first().unwrap().month, month(2026, 3));
    assert_eq!(parts.last().unwrap().month, month(2027, 4));
    assert_eq!(parts.len(), 14);
    let seals = pollster::block_on(log.seals()).unwrap();
    assert_eq!(seals.len(), 15, "every closed month keeps its seal, dropped or not");

    let report = pollster::block_on(verify(&log, Scope::All)).unwrap();
    assert!(report.is_clean(), "{report}");
    let cp = Checkpoint::from_text(&last_checkpoint.unwrap()).unwrap();
    assert!(pollster::block_on(verify_against(&log, &cp, &key())).unwrap().is_clean());
    for p in &parts {
        assert!(pollster::block_on(verify(&log, Scope::Month(p.month))).unwrap().is_clean());
    }
    let range = Scope::Range { from: month(2026, 6), to: month(2026, 9) };
    assert_eq!(pollster::block_on(verify(&log, range)).unwrap().months.len(), 4);

    // The drops are events in the log itself.
    let drops = pollster::block_on(query(&log, &Query::new().action(AuditAction::PartitionDropped))).unwrap();
    let months: Vec<_> = drops.iter().filter_map(|d| dropped_month(&d.event)).collect();
    assert_eq!(months, [month(2026, 1), month(2026, 2)]);

    // Thirteen months kept: the twelve-month disclosure window is fully covered.
    let log12 = pollster::block_on(disclosure_log(&log, &Key::from(2), clock.now())).unwrap();
    assert!(log12.complete);
    assert!(!log12.disclosures.is_empty());
    assert!(log12.disclosures.iter().all(|d| d.at >= log12.from));

    // Dropping the oldest kept month by hand (no logged drop) is caught.
    let mut snap = log.snapshot();
    snap.partitions.remove(&month(2026, 3));
    let tampered = MemoryAuditStore::from_snapshot(snap, clock);
    let report = pollster::block_on(verify(&tampered, Scope::All)).unwrap();
    assert_eq!(report.faults.len(), 1, "{report}");
    assert_eq!(report.faults[0].kind, pdpo_audit::FaultKind::DroppedUnlogged);
}

#[test]
fn an_interrupted_drop_is_safe_to_repeat() {
    let clock = Arc::new(FixedClock::new(start()));
    let log = MemoryAuditStore::with_clock(ORIGIN, clock.clone());
    for k in 0..40 {
        pollster::block_on(log.append(&[event(k, clock.now())])).unwrap();
        clock.advance(Duration::days(3));
    }
    clock.set(month(2027, 3).start() + Duration::hours(2));
    pollster::block_on(log.seal_ended()).unwrap();
    let jan = month(2026, 1);
    let seal = pollster::block_on(log.seals()).unwrap().into_iter().find(|s| s.month == jan).unwrap();
    let rows = pollster::block_on(log.partitions()).unwrap()[0].rows;

    // The first run logged the drop and crashed before deleting the rows.
    let ev = drop_event(&seal, rows, pdpo_core::Actor::system("audit-retention").unwrap(), clock.now());
    pollster::block_on(log.append(&[ev])).unwrap();
    let report = pollster::block_on(verify(&log, Scope::All)).unwrap();
    assert!(report.is_clean(), "a logged drop whose rows remain is fine: {report}");

    let run = pollster::block_on(Retention::default().run(&log, clock.now())).unwrap();
    assert_eq!(run.dropped, [jan]);
    assert_eq!(run.logged, 0, "the drop was already logged");
    let again = pollster::block_on(Retention::default().run(&log, clock.now())).unwrap();
    assert!(again.dropped.is_empty());
    assert!(pollster::block_on(verify(&log, Scope::All)).unwrap().is_clean());
    let drops = pollster::block_on(query(&log, &Query::new().action(AuditAction::PartitionDropped))).unwrap();
    assert_eq!(drops.len(), 1);
}

#[test]
fn holds_stop_drops_and_the_store_refuses_unsafe_drops() {
    let clock = Arc::new(FixedClock::new(start()));
    let log = MemoryAuditStore::with_clock(ORIGIN, clock.clone());
    for k in 0..60 {
        pollster::block_on(log.append(&[event(k, clock.now())])).unwrap();
        clock.advance(Duration::days(5)); // ten months
    }
    let open = pollster::block_on(log.head()).unwrap().month.unwrap();
    assert!(matches!(pollster::block_on(log.drop_partition(open)), Err(Error::NotSealed { .. })));
    assert!(matches!(pollster::block_on(log.drop_partition(month(2026, 2))), Err(Error::NotOldest { .. })));
    assert!(!pollster::block_on(log.drop_partition(month(2025, 12))).unwrap(), "nothing to drop");

    clock.set(month(2027, 6).start());
    let held = Retention::default().with_hold(month(2026, 3));
    let run = pollster::block_on(held.run(&log, clock.now())).unwrap();
    assert_eq!(run.dropped, [month(2026, 1), month(2026, 2)]);
    assert_eq!(run.held, Some(month(2026, 3)));
    assert!(pollster::block_on(verify(&log, Scope::All)).unwrap().is_clean());

    assert!(Retention::keep_months(0).is_err());
    let short = Retention::keep_months(1).unwrap();
    let run = pollster::block_on(short.run(&log, clock.now())).unwrap();
    assert_eq!(run.dropped.len(), 8, "March to October 2026: every sealed month");
    assert!(pollster::block_on(verify(&log, Scope::All)).unwrap().is_clean());
    let log12 = pollster::block_on(disclosure_log(&log, &Key::from(1), clock.now())).unwrap();
    assert!(!log12.complete, "a one-month retention cannot cover the twelve-month window");
}
