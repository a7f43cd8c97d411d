//! The mutation campaign on a four-month fixture (January to March 2026 sealed, April open): every
//! byte of every stored field of entries, seals, the head and the checkpoint changed; every
//! single-row delete, insert, duplicate and swap; months dropped without seal or without a logged
//! drop. Each must be detected, and located.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::DateTime;
use pdpo_audit::{
    Body, Chain, Checkpoint, Digest, EntryRow, Fault, FaultKind, Location, Month, Report, Seal, Snapshot,
    verify_against,
};

use super::fixture::{self, Fixture};

const MONTHS: u32 = 3;
const PER_MONTH: u64 = 12;

/// Byte changes tried at every position: flip the low bit, flip the high bit, invert.
const DELTAS: [u8; 3] = [0x01, 0x80, 0xff];

fn fx() -> &'static Fixture {
    static FX: OnceLock<Fixture> = OnceLock::new();
    FX.get_or_init(|| fixture::build(MONTHS, PER_MONTH))
}

fn entry(month: Month, index: usize) -> Location {
    Location::Entry { month, index: index as u64 }
}

/// Asserts the report holds `expected` and nothing outside `allowed` (the head may also disagree
/// with tampered rows).
#[track_caller]
fn assert_located(report: &Report, expected: Fault, what: &str) {
    assert!(report.faults.contains(&expected), "{what}: expected {expected}, got {report}");
    assert!(
        report.faults.iter().all(|f| f.location == expected.location || f.location == Location::Head),
        "{what}: faults outside {}: {report}",
        expected.location
    );
}

#[derive(Debug, Clone, Copy)]
enum RowField {
    Index,
    RecordedAt,
    Prev,
    Hash,
    Body,
}

const ROW_FIELDS: [RowField; 5] =
    [RowField::Index, RowField::RecordedAt, RowField::Prev, RowField::Hash, RowField::Body];

/// A field's stored bytes, as a SQL store would hold them (integers big-endian, time in µs).
fn row_bytes(row: &EntryRow, f: RowField) -> Vec<u8> {
    match f {
        RowField::Index => row.index.to_be_bytes().to_vec(),
        RowField::RecordedAt => row.recorded_at.timestamp_micros().to_be_bytes().to_vec(),
        RowField::Prev => row.prev.0.to_vec(),
        RowField::Hash => row.hash.0.to_vec(),
        RowField::Body => row.body.clone(),
    }
}

/// Writes a field back; `false` if the bytes are not representable (a store could not load them).
fn set_row(row: &mut EntryRow, f: RowField, b: &[u8]) -> bool {
    let arr8 = || <[u8; 8]>::try_from(b).unwrap();
    let arr32 = || <[u8; 32]>::try_from(b).unwrap();
    match f {
        RowField::Index => row.index = u64::from_be_bytes(arr8()),
        RowField::RecordedAt => match DateTime::from_timestamp_micros(i64::from_be_bytes(arr8())) {
            Some(t) => row.recorded_at = t,
            None => return false,
        },
        RowField::Prev => row.prev = Digest(arr32()),
        RowField::Hash => row.hash = Digest(arr32()),
        RowField::Body => row.body = b.to_vec(),
    }
    true
}

#[test]
fn the_fixture_is_clean_and_spans_four_months() {
    let fx = fx();
    let snap = fx.snapshot();
    assert_eq!(snap.partitions.len(), 4);
    assert_eq!(snap.seals.len(), 3);
    assert!(snap.partitions.values().all(|rows| rows.len() == PER_MONTH as usize));
    let report = fx.verify(snap.clone());
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.entries, 4 * PER_MONTH);
    assert!(fx.verify_against(snap, &fx.checkpoint).is_clean());
}

#[test]
fn all_255_changes_of_every_entry_byte_break_the_row() {
    // The primitive under every entry fault: a row whose stored bytes changed no longer hashes
    // to its stored hash. Checked for every byte of every field with all 255 other values.
    let clean = fx().snapshot();
    let mut changes = 0u64;
    for (&month, rows) in &clean.partitions {
        for row in rows {
            for f in ROW_FIELDS {
                let bytes = row_bytes(row, f);
                for pos in 0..bytes.len() {
                    for delta in 1..=255u8 {
                        let mut changed = bytes.clone();
                        changed[pos] ^= delta;
                        let mut r = row.clone();
                        if set_row(&mut r, f, &changed) {
                            assert!(
                                !r.is_intact(month),
                                "{month} #{} {f:?} byte {pos} ^ {delta:#04x}",
                                row.index
                            );
                            changes += 1;
                        }
                    }
                }
            }
        }
    }
    println!("entry byte changes (all 255 values): {changes} break their row");
}

#[test]
fn every_byte_change_of_every_entry_field_is_detected_and_located() {
    let fx = fx();
    let clean = fx.snapshot();
    let (mut mutants, mut unloadable) = (0, 0);
    for (&month, rows) in &clean.partitions {
        for (i, row) in rows.iter().enumerate() {
            for f in ROW_FIELDS {
                let bytes = row_bytes(row, f);
                for pos in 0..bytes.len() {
                    for delta in DELTAS {
                        let mut changed = bytes.clone();
                        changed[pos] ^= delta;
                        let mut snap = clean.clone();
                        if !set_row(&mut snap.partitions.get_mut(&month).unwrap()[i], f, &changed) {
                            unloadable += 1;
                            continue;
                        }
                        let what = format!("{month} #{i} {f:?} byte {pos} ^ {delta:#04x}");
                        assert_located(
                            &fx.verify(snap),
                            Fault { location: entry(month, i), kind: FaultKind::Changed },
                            &what,
                        );
                        mutants += 1;
                    }
                }
            }
        }
    }
    println!("entry byte changes: {mutants} detected and located, {unloadable} not loadable");
    assert!(mutants > 20_000, "{mutants}");
}

fn seal_fields(s: &Seal) -> Vec<Vec<u8>> {
    let mut month = s.month.year().to_be_bytes().to_vec();
    month.push(s.month.month() as u8);
    vec![
        month,
        s.count.to_be_bytes().to_vec(),
        s.last.0.to_vec(),
        s.prev.0.to_vec(),
        s.sealed_at.timestamp_micros().to_be_bytes().to_vec(),
        s.hash.0.to_vec(),
    ]
}

fn set_seal(s: &mut Seal, field: usize, b: &[u8]) -> bool {
    match field {
        0 => match Month::new(i32::from_be_bytes(b[..4].try_into().unwrap()), u32::from(b[4])) {
            Ok(m) => s.month = m,
            Err(_) => return false,
        },
        1 => s.count = u64::from_be_bytes(b.try_into().unwrap()),
        2 => s.last = Digest(b.try_into().unwrap()),
        3 => s.prev = Digest(b.try_into().unwrap()),
        4 => match DateTime::from_timestamp_micros(i64::from_be_bytes(b.try_into().unwrap())) {
            Some(t) => s.sealed_at = t,
            None => return false,
        },
        _ => s.hash = Digest(b.try_into().unwrap()),
    }
    true
}

#[test]
fn every_byte_change_of_every_seal_field_is_detected_and_located() {
    let fx = fx();
    let clean = fx.snapshot();
    let mut mutants = 0;
    for (k, seal) in clean.seals.iter().enumerate() {
        for (field, bytes) in seal_fields(seal).into_iter().enumerate() {
            for pos in 0..bytes.len() {
                // February's seal gets all 255 changes of every byte; the others the usual three.
                let deltas: Vec<u8> = if k == 1 { (1..=255).collect() } else { DELTAS.to_vec() };
                for delta in deltas {
                    let mut changed = bytes.clone();
                    changed[pos] ^= delta;
                    let mut snap = clean.clone();
                    if !set_seal(&mut snap.seals[k], field, &changed) {
                        continue;
                    }
                    let at = Location::Seal { month: snap.seals[k].month };
                    let report = fx.verify(snap);
                    assert!(
                        report.faults.contains(&Fault { location: at, kind: FaultKind::Changed }),
                        "seal {k} field {field} byte {pos} ^ {delta:#04x}: {report}"
                    );
                    mutants += 1;
                }
            }
        }
    }
    println!("seal byte changes: {mutants} detected and located");
}

#[test]
fn every_byte_change_of_the_head_is_detected() {
    let fx = fx();
    let clean = fx.snapshot();
    let h = &clean.head;
    let fields: Vec<Vec<u8>> = vec![
        h.size.to_be_bytes().to_vec(),
        h.count.to_be_bytes().to_vec(),
        h.last.0.to_vec(),
        h.seals.to_be_bytes().to_vec(),
        h.seal.0.to_vec(),
        h.at.timestamp_micros().to_be_bytes().to_vec(),
    ];
    for (field, bytes) in fields.iter().enumerate() {
        for pos in 0..bytes.len() {
            for delta in DELTAS {
                let mut b = bytes.clone();
                b[pos] ^= delta;
                let mut snap = clean.clone();
                let head = &mut snap.head;
                match field {
                    0 => head.size = u64::from_be_bytes(b.try_into().unwrap()),
                    1 => head.count = u64::from_be_bytes(b.try_into().unwrap()),
                    2 => head.last = Digest(b.try_into().unwrap()),
                    3 => head.seals = u64::from_be_bytes(b.try_into().unwrap()),
                    4 => head.seal = Digest(b.try_into().unwrap()),
                    _ => match DateTime::from_timestamp_micros(i64::from_be_bytes(b.try_into().unwrap())) {
                        Some(t) => head.at = t,
                        None => continue,
                    },
                }
                let report = fx.verify(snap);
                assert!(!report.is_clean(), "head field {field} byte {pos} ^ {delta:#04x}");
                assert!(
                    report.faults.iter().any(|f| f.location == Location::Head
                        || f.kind == FaultKind::Inserted
                        || matches!(f.kind, FaultKind::Missing { .. })),
                    "head field {field}: {report}"
                );
            }
        }
    }
    for month in [None, Some(Month::new(2026, 3).unwrap()), Some(Month::new(2026, 5).unwrap())] {
        let mut snap = clean.clone();
        snap.head.month = month;
        assert!(
            fx.verify(snap).faults.contains(&Fault { location: Location::Head, kind: FaultKind::Changed })
        );
    }
}

#[test]
fn every_byte_change_of_the_checkpoint_is_detected() {
    let fx = fx();
    let text = fx.checkpoint.to_text().into_bytes();
    let (mut unparsable, mut rejected) = (0, 0);
    for pos in 0..text.len() {
        for delta in 1..=255u8 {
            let mut b = text.clone();
            b[pos] ^= delta;
            let Ok(s) = String::from_utf8(b) else {
                unparsable += 1;
                continue;
            };
            match Checkpoint::from_text(&s) {
                Err(_) => unparsable += 1,
                Ok(cp) => {
                    assert_ne!(cp, fx.checkpoint, "byte {pos} ^ {delta:#04x} parsed to the same checkpoint");
                    assert!(!cp.verify_mac(&fixture::key()));
                    rejected += 1;
                    if !DELTAS.contains(&delta) {
                        continue;
                    }
                    let report = fx.verify_against(fx.snapshot(), &cp);
                    assert_eq!(
                        report.faults,
                        [Fault { location: Location::Checkpoint, kind: FaultKind::InvalidCheckpoint }],
                        "byte {pos} ^ {delta:#04x}"
                    );
                }
            }
        }
    }
    println!("checkpoint byte changes: {unparsable} unparsable, {rejected} rejected by the MAC");
    // A checkpoint of another log, or under another key, is rejected too.
    let other = pdpo_core::Identifier::from_static("ops-2025");
    let wrong_key = pdpo_audit::CheckpointKey::new(other, &[0x5a; 32]).unwrap();
    let head = fx.snapshot().head;
    let cp = Checkpoint::sign(
        &pdpo_audit::Chain::new(fixture::ORIGIN),
        &head,
        fx.checkpoint.issued_at,
        &wrong_key,
    );
    let report = pollster::block_on(verify_against(&fx.log, &cp, &fixture::key())).unwrap();
    assert_eq!(report.faults, [Fault { location: Location::Checkpoint, kind: FaultKind::InvalidCheckpoint }]);
    let cp = Checkpoint::sign(
        &pdpo_audit::Chain::new(fixture::ident("other")),
        &head,
        cp.issued_at,
        &fixture::key(),
    );
    let report = pollster::block_on(verify_against(&fx.log, &cp, &fixture::key())).unwrap();
    assert_eq!(report.faults, [Fault { location: Location::Checkpoint, kind: FaultKind::InvalidCheckpoint }]);
}

fn months(snap: &Snapshot) -> Vec<Month> {
    snap.partitions.keys().copied().collect()
}

#[test]
fn every_single_row_delete_is_located() {
    let fx = fx();
    let clean = fx.snapshot();
    for month in months(&clean) {
        for i in 0..PER_MONTH as usize {
            let mut snap = clean.clone();
            snap.partitions.get_mut(&month).unwrap().remove(i);
            let report = fx.verify(snap);
            assert_located(
                &report,
                Fault { location: entry(month, i), kind: FaultKind::Missing { count: 1 } },
                "delete",
            );
        }
    }
}

/// A row an attacker could write without the checkpoint key: correct hash, correct link.
fn forge(month: Month, index: u64, prev: Digest, like: &EntryRow) -> EntryRow {
    let mut event = like.event().unwrap();
    event.actor = pdpo_core::Actor::user("intruder").unwrap();
    let mut row = EntryRow {
        index,
        recorded_at: like.recorded_at,
        prev,
        hash: Digest::ZERO,
        body: Body::encode(&event).unwrap().into_bytes(),
    };
    row.hash = row.compute_hash(month);
    row
}

#[test]
fn every_single_row_insert_is_located() {
    let fx = fx();
    let clean = fx.snapshot();
    for month in months(&clean) {
        let rows = &clean.partitions[&month];
        let start = rows[0].prev;
        for p in 0..=rows.len() {
            // A forged row claiming position p, chained on the row before it.
            let prev = if p == 0 { start } else { rows[p - 1].hash };
            let like = &rows[p.min(rows.len() - 1)];
            let mut snap = clean.clone();
            snap.partitions.get_mut(&month).unwrap().insert(p, forge(month, p as u64, prev, like));
            assert_located(
                &fx.verify(snap),
                Fault { location: entry(month, p), kind: FaultKind::Inserted },
                "forged insert",
            );
            // A row of random garbage at the same place.
            let mut junk = like.clone();
            junk.index = p as u64;
            junk.hash = Digest([0x42; 32]);
            let mut snap = clean.clone();
            snap.partitions.get_mut(&month).unwrap().insert(p, junk);
            assert_located(
                &fx.verify(snap),
                Fault { location: entry(month, p), kind: FaultKind::Inserted },
                "junk insert",
            );
        }
    }
}

#[test]
fn every_single_row_duplicate_is_located() {
    let fx = fx();
    let clean = fx.snapshot();
    for month in months(&clean) {
        let rows = &clean.partitions[&month];
        for i in 0..rows.len() {
            for p in [0, i, i + 1, rows.len()] {
                let mut snap = clean.clone();
                snap.partitions.get_mut(&month).unwrap().insert(p, rows[i].clone());
                let report = fx.verify(snap);
                // Two identical rows side by side: either may be called the copy.
                let expected = if p == i { [p, p + 1] } else { [p, p] };
                assert!(
                    expected.iter().any(|&x| report
                        .faults
                        .contains(&Fault { location: entry(month, x), kind: FaultKind::Inserted })),
                    "duplicate of #{i} at {p}: {report}"
                );
                assert_eq!(report.faults.len(), 1, "duplicate of #{i} at {p}: {report}");
            }
        }
    }
}

#[test]
fn every_single_row_swap_is_located() {
    let fx = fx();
    let clean = fx.snapshot();
    for month in months(&clean) {
        let n = clean.partitions[&month].len();
        for i in 0..n - 1 {
            let mut snap = clean.clone();
            snap.partitions.get_mut(&month).unwrap().swap(i, i + 1);
            let report = fx.verify(snap);
            assert_eq!(
                report.faults,
                [Fault { location: entry(month, i), kind: FaultKind::Reordered }],
                "swap #{i}"
            );
        }
        // Far apart: both ends are reported.
        let mut snap = clean.clone();
        snap.partitions.get_mut(&month).unwrap().swap(0, n - 1);
        let report = fx.verify(snap);
        assert_eq!(
            report.faults,
            [
                Fault { location: entry(month, 0), kind: FaultKind::Reordered },
                Fault { location: entry(month, n - 1), kind: FaultKind::Reordered }
            ]
        );
        // Contents swapped under fixed indexes (what an UPDATE of two SQL rows would do).
        let mut snap = clean.clone();
        let rows = snap.partitions.get_mut(&month).unwrap();
        let (a, b) = (rows[2].clone(), rows[5].clone());
        rows[2] = EntryRow { index: 2, ..b };
        rows[5] = EntryRow { index: 5, ..a };
        let report = fx.verify(snap);
        assert!(
            report.faults.contains(&Fault { location: entry(month, 2), kind: FaultKind::Changed }),
            "{report}"
        );
        assert!(
            report.faults.contains(&Fault { location: entry(month, 5), kind: FaultKind::Changed }),
            "{report}"
        );
    }
}

#[test]
fn a_month_dropped_with_its_seal_breaks_the_seal_chain() {
    let fx = fx();
    let clean = fx.snapshot();
    let [jan, feb, mar, apr] = months(&clean)[..] else { panic!("four months") };
    for (gone, next) in [(jan, feb), (feb, mar), (mar, apr)] {
        let mut snap = clean.clone();
        snap.partitions.remove(&gone);
        snap.seals.retain(|s| s.month != gone);
        let report = fx.verify(snap);
        let expected = if next == apr {
            // The open month has no seal: its first entry no longer chains on the newest seal.
            Fault { location: entry(apr, 0), kind: FaultKind::BrokenSealLink }
        } else {
            Fault { location: Location::Seal { month: next }, kind: FaultKind::BrokenSealLink }
        };
        assert!(report.faults.contains(&expected), "{gone} dropped with its seal: {report}");
    }
}

#[test]
fn a_month_dropped_without_a_logged_drop_is_located() {
    let fx = fx();
    let clean = fx.snapshot();
    for month in months(&clean) {
        let mut snap = clean.clone();
        snap.partitions.remove(&month);
        let report = fx.verify(snap);
        let kind = if month == Month::new(2026, 4).unwrap() {
            FaultKind::Missing { count: PER_MONTH }
        } else {
            FaultKind::DroppedUnlogged
        };
        assert!(
            report.faults.contains(&Fault { location: Location::Partition { month }, kind }),
            "{month} dropped: {report}"
        );
    }
}

#[test]
fn seal_deletes_duplicates_and_swaps_are_detected() {
    let fx = fx();
    let clean = fx.snapshot();
    for k in 0..clean.seals.len() {
        let mut snap = clean.clone();
        let gone = snap.seals.remove(k);
        let report = fx.verify(snap);
        assert!(
            report.faults.contains(&Fault {
                location: Location::Seal { month: gone.month },
                kind: FaultKind::Missing { count: 1 }
            }),
            "seal {k} deleted: {report}"
        );
        let mut snap = clean.clone();
        snap.seals.insert(k + 1, clean.seals[k].clone());
        assert!(!fx.verify(snap).is_clean(), "seal {k} duplicated");
    }
    let mut snap = clean;
    snap.seals.swap(0, 1);
    let report = fx.verify(snap);
    assert!(report.faults.iter().any(|f| f.kind == FaultKind::Reordered), "{report}");
}

#[test]
fn a_rewritten_month_is_caught_by_its_seal_and_the_checkpoint() {
    // An attacker who rewrites a whole sealed month consistently (every hash recomputed) still
    // cannot match the seal...
    let fx = fx();
    let clean = fx.snapshot();
    let feb = Month::new(2026, 2).unwrap();
    let mut snap = clean.clone();
    let rows = snap.partitions.get_mut(&feb).unwrap();
    let mut prev = rows[0].prev;
    for row in rows.iter_mut() {
        *row = forge(feb, row.index, prev, row);
        prev = row.hash;
    }
    let report = fx.verify(snap);
    assert_eq!(
        report.faults,
        [Fault { location: entry(feb, PER_MONTH as usize - 1), kind: FaultKind::BrokenSealLink }],
        "{report}"
    );

    // ... and one who rebuilds everything after it, seals and head included, leaves a valid log
    // that the checkpoint held elsewhere still contradicts.
    let chain = Chain::new(fixture::ORIGIN);
    let mut head = chain.head();
    let mut forged = Snapshot {
        origin: fixture::ORIGIN,
        head: head.clone(),
        seals: Vec::new(),
        partitions: BTreeMap::new(),
    };
    for (&m, rows) in &clean.partitions {
        for row in rows {
            let mut event = row.event().unwrap();
            if m == feb {
                event.actor = pdpo_core::Actor::user("intruder").unwrap();
            }
            let a = chain.append(&mut head, Body::encode(&event).unwrap(), row.recorded_at);
            forged.seals.extend(a.seal);
            forged.partitions.entry(a.month).or_default().push(a.row);
        }
    }
    forged.head = head;
    assert!(fx.verify(forged.clone()).is_clean(), "a complete rewrite is a valid chain");
    let report = fx.verify_against(forged, &fx.checkpoint);
    assert_eq!(
        report.faults,
        [Fault { location: Location::Seal { month: Month::new(2026, 3).unwrap() }, kind: FaultKind::Forked }]
    );
}
