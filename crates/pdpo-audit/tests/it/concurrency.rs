//! Many writers, one linear log.

use std::collections::HashSet;
use std::sync::Arc;

use pdpo_audit::{AuditStore, MemoryAuditStore, Scope, verify};
use pdpo_core::{Actor, AuditAction, AuditEvent, EventSink, FixedClock, Key};
use uuid::Uuid;

use super::fixture::{ORIGIN, start};

const WRITERS: u64 = 8;
const EACH: u64 = 10_000;

#[test]
fn eight_writers_of_ten_thousand_events_give_one_linear_log() {
    let clock = Arc::new(FixedClock::new(start()));
    let log = MemoryAuditStore::with_clock(ORIGIN, clock.clone());
    std::thread::scope(|s| {
        for w in 0..WRITERS {
            let log = log.clone();
            let clock = clock.clone();
            s.spawn(move || {
                let actor = Actor::user(format!("writer-{w}")).unwrap();
                let mut n = 0;
                while n < EACH {
                    // Batches of 1 to 37 events, through both entry points.
                    let batch = (1 + (n * 7 + w) % 37).min(EACH - n);
                    let events: Vec<AuditEvent> = (n..n + batch)
                        .map(|k| {
                            AuditEvent::new(AuditAction::View, actor.clone(), start())
                                .with_id(Uuid::from_u64_pair(w, k))
                                .with_subject(Key::from(k as i64))
                        })
                        .collect();
                    if w % 2 == 0 {
                        EventSink::append(&log, &events).unwrap();
                    } else {
                        pollster::block_on(AuditStore::append(&log, &events)).unwrap();
                    }
                    n += batch;
                    if w == 0 && n % 3000 < batch {
                        // Time moves while others write: months roll over mid-run.
                        clock.advance(chrono::Duration::days(20));
                    }
                }
            });
        }
    });

    let report = pollster::block_on(verify(&log, Scope::All)).unwrap();
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.entries, WRITERS * EACH);
    let head = pollster::block_on(log.head()).unwrap();
    assert_eq!(head.size, WRITERS * EACH);
    assert!(head.seals >= 1, "the run crossed a month boundary");

    // Every event exactly once, and each writer's events in the order it wrote them.
    let snap = log.snapshot();
    let mut seen = HashSet::new();
    let mut last = vec![None::<u64>; WRITERS as usize];
    for rows in snap.partitions.values() {
        for row in rows {
            let (w, k) = row.event().unwrap().id.as_u64_pair();
            assert!(seen.insert((w, k)), "event {w}/{k} twice");
            assert!(last[w as usize].is_none_or(|prev| k == prev + 1), "writer {w} out of order at {k}");
            last[w as usize] = Some(k);
        }
    }
    assert_eq!(seen.len() as u64, WRITERS * EACH);
}
