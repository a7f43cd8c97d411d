//! Checkpoints kept outside the database: truncation, rollback and forks are detected up to the
//! newest one, and only with one.

use std::sync::Arc;

use chrono::Duration;
use pdpo_audit::{
    AuditStore, Checkpoint, Fault, FaultKind, Location, MemoryAuditStore, Month, Scope, Snapshot, verify,
    verify_against,
};
use pdpo_core::{Clock, FixedClock};

use super::fixture::{self, event, key, start};

/// A log that appends one event every 12 hours from 2 January 2026, keeping a snapshot (a
/// "backup") after every append.
struct Timeline {
    clock: Arc<FixedClock>,
    log: MemoryAuditStore,
    backups: Vec<Snapshot>,
}

fn timeline(events: u64) -> Timeline {
    let clock = Arc::new(FixedClock::new(start()));
    let log = MemoryAuditStore::with_clock(fixture::ORIGIN, clock.clone());
    let mut backups = Vec::new();
    for n in 0..events {
        pollster::block_on(log.append(&[event(n, clock.now())])).unwrap();
        backups.push(log.snapshot());
        clock.advance(Duration::hours(12));
    }
    Timeline { clock, log, backups }
}

impl Timeline {
    fn checkpoint(&self) -> Checkpoint {
        let head = pollster::block_on(self.log.head()).unwrap();
        Checkpoint::sign(self.log.chain(), &head, self.clock.now(), &key())
    }

    fn restore(&self, n: usize) -> MemoryAuditStore {
        MemoryAuditStore::from_snapshot(self.backups[n].clone(), self.clock.clone())
    }
}

fn only(kind: FaultKind, location: Location) -> Vec<Fault> {
    vec![Fault { location, kind }]
}

#[test]
fn older_checkpoints_verify_against_a_longer_log() {
    let t = timeline(130); // 2 January to 6 March: two seals
    let mut checkpoints = Vec::new();
    for n in [0, 20, 59, 60, 61, 129] {
        let log = t.restore(n);
        let head = pollster::block_on(log.head()).unwrap();
        checkpoints.push(Checkpoint::sign(log.chain(), &head, t.clock.now(), &key()));
    }
    for cp in &checkpoints {
        let report = pollster::block_on(verify_against(&t.log, cp, &key())).unwrap();
        assert!(report.is_clean(), "checkpoint at size {}: {report}", cp.size);
    }
}

#[test]
fn rollback_within_a_month_is_truncation_and_passes_without_a_checkpoint() {
    let t = timeline(130);
    let cp = t.checkpoint();
    let head_month = cp.month.unwrap();
    // Restore the backup taken 10 appends ago: same seals, fewer entries in March.
    let old = t.restore(119);
    assert!(
        pollster::block_on(verify(&old, Scope::All)).unwrap().is_clean(),
        "a shorter log is a valid chain"
    );
    let report = pollster::block_on(verify_against(&old, &cp, &key())).unwrap();
    assert_eq!(
        report.faults,
        only(FaultKind::Truncated, Location::Entry { month: head_month, index: cp.count - 1 })
    );
}

#[test]
fn rollback_past_a_seal_is_detected_against_a_newer_checkpoint() {
    let t = timeline(130);
    let cp = t.checkpoint();
    assert_eq!(cp.seals, 2);
    // A backup from January: one seal fewer (and two fewer for the earliest).
    for n in [10, 59, 70] {
        let old = t.restore(n);
        assert!(pollster::block_on(verify(&old, Scope::All)).unwrap().is_clean());
        let report = pollster::block_on(verify_against(&old, &cp, &key())).unwrap();
        assert_eq!(report.faults, only(FaultKind::RolledBack, Location::Head), "backup {n}");
    }
}

#[test]
fn rollback_then_appends_is_a_fork() {
    let t = timeline(130);
    let cp = t.checkpoint();
    // Restore a March backup and append other events until the log is longer than before.
    let old = t.restore(125);
    for n in 0..20 {
        pollster::block_on(old.append(&[event(1000 + n, t.clock.now())])).unwrap();
    }
    assert!(pollster::block_on(verify(&old, Scope::All)).unwrap().is_clean());
    let report = pollster::block_on(verify_against(&old, &cp, &key())).unwrap();
    let month = cp.month.unwrap();
    assert_eq!(report.faults, only(FaultKind::Forked, Location::Entry { month, index: cp.count - 1 }));

    // Restored from February and appended past March's start: the March seal differs... or is
    // absent; either way the checkpoint's seal no longer matches.
    let old = t.restore(40);
    t.clock.advance(Duration::days(1));
    for n in 0..100 {
        pollster::block_on(old.append(&[event(2000 + n, t.clock.now())])).unwrap();
    }
    let report = pollster::block_on(verify_against(&old, &cp, &key())).unwrap();
    assert!(
        report.faults.iter().any(|f| matches!(f.kind, FaultKind::Forked | FaultKind::RolledBack)),
        "{report}"
    );
}

#[test]
fn a_cut_tail_without_a_fixed_head_is_caught_even_without_a_checkpoint() {
    let t = timeline(130);
    let mut snap = t.log.snapshot();
    let month = snap.head.month.unwrap();
    let n = snap.partitions[&month].len();
    snap.partitions.get_mut(&month).unwrap().truncate(n - 3);
    let log = MemoryAuditStore::from_snapshot(snap, t.clock);
    let report = pollster::block_on(verify(&log, Scope::All)).unwrap();
    assert!(
        report.faults.contains(&Fault {
            location: Location::Entry { month, index: n as u64 - 3 },
            kind: FaultKind::Missing { count: 3 }
        }),
        "{report}"
    );
}

#[test]
fn a_dropped_newest_month_is_truncation() {
    let t = timeline(130);
    let cp = t.checkpoint();
    // The attacker removes March's partition and rewinds the head to the end of February.
    let mut snap = t.log.snapshot();
    let march = Month::new(2026, 3).unwrap();
    snap.partitions.remove(&march);
    let feb = snap.seals.last().unwrap().clone();
    snap.head = pdpo_audit::Head {
        size: snap.seals.iter().map(|s| s.count).sum(),
        month: Some(feb.month),
        count: feb.count,
        last: feb.last,
        seals: snap.seals.len() as u64,
        sealed: Some(feb.month),
        seal: feb.hash,
        at: feb.sealed_at,
    };
    let log = MemoryAuditStore::from_snapshot(snap, t.clock);
    assert!(
        pollster::block_on(verify(&log, Scope::All)).unwrap().is_clean(),
        "consistent without a checkpoint"
    );
    let report = pollster::block_on(verify_against(&log, &cp, &key())).unwrap();
    assert_eq!(report.faults, only(FaultKind::Truncated, Location::Partition { month: march }));
}
