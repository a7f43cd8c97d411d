//! Verification: recompute every hash and link, and name each fault's place and kind.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::ops::ControlFlow;

use chrono::{DateTime, Utc};

use crate::chain::entry_hash;
use crate::encoding::{decode_event, peek_action};
use crate::retention::dropped_month;
use crate::{AuditStore, Checkpoint, CheckpointKey, Digest, EntryRow, Month, Result, Seal};

/// How many rows accepted on the fast path are matched again when an anomaly follows them.
const BACKTRACK: usize = 4;

/// Which part of a log to verify. The seal chain is always checked whole (it is small: one seal
/// a month, kept forever).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scope {
    /// Every kept partition, the seal chain, partition contiguity, logged drops and the head.
    All,
    /// One month's partition and its links to the seals around it.
    Month(Month),
    /// The kept partitions from `from` to `to`, both included.
    Range {
        /// First month.
        from: Month,
        /// Last month.
        to: Month,
    },
}

impl Scope {
    fn contains(self, m: Month) -> bool {
        match self {
            Self::All => true,
            Self::Month(x) => m == x,
            Self::Range { from, to } => from <= m && m <= to,
        }
    }
}

/// Where a fault is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Location {
    /// An entry: its month's partition and its index (the position it should hold).
    Entry {
        /// Partition.
        month: Month,
        /// Index in the month.
        index: u64,
    },
    /// The seal of a month.
    Seal {
        /// The month (as stored in the seal).
        month: Month,
    },
    /// A month's partition as a whole.
    Partition {
        /// The month.
        month: Month,
    },
    /// The head row.
    Head,
    /// The checkpoint given to [`verify_against`].
    Checkpoint,
}

impl Location {
    /// The month, for entries, seals and partitions.
    pub fn month(self) -> Option<Month> {
        match self {
            Self::Entry { month, .. } | Self::Seal { month } | Self::Partition { month } => Some(month),
            Self::Head | Self::Checkpoint => None,
        }
    }

    /// The index, for entries.
    pub fn index(self) -> Option<u64> {
        match self {
            Self::Entry { index, .. } => Some(index),
            _ => None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Entry { month, index } => write!(f, "entry {month} #{index}"),
            Self::Seal { month } => write!(f, "seal of {month}"),
            Self::Partition { month } => write!(f, "partition {month}"),
            Self::Head => f.write_str("head"),
            Self::Checkpoint => f.write_str("checkpoint"),
        }
    }
}

/// What is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FaultKind {
    /// The stored fields no longer hash to the stored hash (or, for the head, disagree with the
    /// log): something was edited.
    Changed,
    /// Entries (or a seal) that should be there are not: `count` of them from this place on.
    Missing {
        /// How many.
        count: u64,
    },
    /// A row that is not part of the chain: forged, or a duplicate of another row.
    Inserted,
    /// Rows present and intact but stored out of order.
    Reordered,
    /// An intact entry that does not chain on the entry before it (a neighbour was replaced).
    BrokenLink,
    /// The seal chain is broken here, a month's first entry does not chain on the previous seal,
    /// or a month's entries do not end where its seal says.
    BrokenSealLink,
    /// A sealed month's partition is gone without a logged drop, or out of order (kept
    /// partitions always run without a gap from the oldest to the head).
    DroppedUnlogged,
    /// The checkpoint's MAC, key id or origin does not verify: it is not a checkpoint of this log
    /// under this key.
    InvalidCheckpoint,
    /// The log holds fewer entries than the checkpoint saw: its tail was cut off, or an older
    /// copy was restored within the same month.
    Truncated,
    /// The log holds fewer seals than the checkpoint saw: an older copy of the database was
    /// restored.
    RolledBack,
    /// The log differs from the checkpoint at the checkpoint's position: history was rewritten,
    /// or rolled back and appended to since.
    Forked,
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Changed => f.write_str("changed"),
            Self::Missing { count } => write!(f, "missing ({count})"),
            Self::Inserted => f.write_str("inserted"),
            Self::Reordered => f.write_str("reordered"),
            Self::BrokenLink => f.write_str("broken link"),
            Self::BrokenSealLink => f.write_str("broken seal link"),
            Self::DroppedUnlogged => f.write_str("dropped without a logged drop"),
            Self::InvalidCheckpoint => f.write_str("invalid checkpoint"),
            Self::Truncated => f.write_str("truncated"),
            Self::RolledBack => f.write_str("rolled back"),
            Self::Forked => f.write_str("forked"),
        }
    }
}

/// One fault found by verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fault {
    /// Where.
    pub location: Location,
    /// What.
    pub kind: FaultKind,
}

impl Fault {
    fn new(location: Location, kind: FaultKind) -> Self {
        Self { location, kind }
    }
    fn entry(month: Month, index: u64, kind: FaultKind) -> Self {
        Self::new(Location::Entry { month, index }, kind)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.kind)
    }
}

/// What verification covered and what it found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Partitions checked.
    pub months: Vec<Month>,
    /// Rows checked.
    pub entries: u64,
    /// Seals checked.
    pub seals: u64,
    /// Faults, ordered by location.
    pub faults: Vec<Fault>,
}

impl Report {
    /// Whether nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.faults.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} entries in {} partitions, {} seals: ", self.entries, self.months.len(), self.seals)?;
        if self.faults.is_empty() {
            return f.write_str("intact");
        }
        write!(f, "{} faults", self.faults.len())?;
        for fault in &self.faults {
            write!(f, "\n  {fault}")?;
        }
        Ok(())
    }
}

/// Verifies `scope` of the log in `store`.
///
/// It checks the seal chain from the genesis value, then every kept partition in scope,
/// row by row: each row's hash against its own fields, each row's `prev` against the row before
/// (or, for index 0, against the previous seal), the month's row count and last hash against its
/// seal (or, for the open month, the head), that kept partitions are contiguous, that the newest
/// dropped month's drop was logged, and that the stored head agrees with all of it.
///
/// Rows arriving in order with every check passing cost one SHA-256 each and no memory. At the
/// first anomaly in a month the verifier keeps a compact record of the remaining rows and
/// matches them against the chain, so that a changed, missing, inserted, duplicated or
/// reordered row is reported once, at its month and index, instead of as a cascade.
///
/// [`verify_against`] adds a [`Checkpoint`] held outside the database: the log must still hold the
/// checkpoint's position with the same hashes, which detects truncation, rollback to an older copy
/// and rewriting. Without a checkpoint, an attacker able to write the database can cut off the
/// newest entries (or restore an older copy) and leave a valid chain: the log is tamper-evident
/// up to the newest checkpoint held elsewhere.
///
/// ```
/// use pdpo_core::{Actor, AuditAction, AuditEvent, Identifier};
/// use pdpo_audit::{AuditStore, MemoryAuditStore, Scope, verify};
/// let log = MemoryAuditStore::new(Identifier::from_static("acme"));
/// let e = AuditEvent::new(AuditAction::Login, Actor::user("staff-17")?, chrono::Utc::now());
/// pollster::block_on(log.append(&[e]))?;
/// let report = pollster::block_on(verify(&log, Scope::All))?;
/// assert!(report.is_clean(), "{report}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn verify<S: AuditStore + ?Sized>(store: &S, scope: Scope) -> Result<Report> {
    Ok(run(store, scope, None).await?.report)
}

/// Verifies the whole log and its agreement with `checkpoint`, signed earlier under `key` and
/// kept outside the database: detects truncation, rollback and rewriting up to that checkpoint.
pub async fn verify_against<S: AuditStore + ?Sized>(
    store: &S,
    checkpoint: &Checkpoint,
    key: &CheckpointKey,
) -> Result<Report> {
    let chain = store.chain();
    if !checkpoint.verify_mac(key) || checkpoint.origin != *chain.origin() {
        let mut report = run(store, Scope::All, None).await?.report;
        report.faults.push(Fault::new(Location::Checkpoint, FaultKind::InvalidCheckpoint));
        return Ok(report);
    }
    let probe = checkpoint.month.filter(|_| checkpoint.count > 0).map(|m| (m, checkpoint.count - 1));
    let mut run = run(store, Scope::All, probe).await?;
    let cp = checkpoint;
    let fault = compare_checkpoint(cp, chain.genesis(), &run);
    run.report.faults.extend(fault);
    run.report.faults.sort();
    Ok(run.report)
}

fn compare_checkpoint(cp: &Checkpoint, genesis: Digest, run: &Run) -> Option<Fault> {
    let seals = &run.seals;
    if (seals.len() as u64) < cp.seals {
        return Some(Fault::new(Location::Head, FaultKind::RolledBack));
    }
    // `cp.seals` is at most `seals.len()`, checked above.
    let cp_seal = match cp.seals.checked_sub(1) {
        Some(i) => seals.get(i as usize).map(|s| (s.hash, Location::Seal { month: s.month })),
        None => Some((genesis, Location::Head)),
    };
    if let Some((hash, location)) = cp_seal
        && hash != cp.seal
    {
        return Some(Fault::new(location, FaultKind::Forked));
    }
    if let (Some(m), Some(last_index)) = (cp.month, cp.count.checked_sub(1)) {
        let at = Location::Entry { month: m, index: last_index };
        if run.kept.contains(&m) {
            match run.probe {
                None => return Some(Fault::new(at, FaultKind::Truncated)),
                Some(h) if h != cp.last => return Some(Fault::new(at, FaultKind::Forked)),
                Some(_) => {}
            }
        } else if let Some(s) = seals.iter().find(|s| s.month == m) {
            if s.count < cp.count {
                return Some(Fault::new(Location::Seal { month: m }, FaultKind::Truncated));
            }
            if s.count == cp.count && s.last != cp.last {
                return Some(Fault::new(Location::Seal { month: m }, FaultKind::Forked));
            }
        } else {
            return Some(Fault::new(Location::Partition { month: m }, FaultKind::Truncated));
        }
    }
    let size: u64 = seals.iter().map(|s| s.count).sum::<u64>() + run.open_rows;
    (size < cp.size).then_some(Fault::new(Location::Head, FaultKind::Truncated))
}

/// Everything one verification pass learnt.
struct Run {
    report: Report,
    seals: Vec<Seal>,
    kept: Vec<Month>,
    /// Hash of the probed entry, if found.
    probe: Option<Digest>,
    /// Entries chained in the open (unsealed) month.
    open_rows: u64,
}

async fn run<S: AuditStore + ?Sized>(store: &S, scope: Scope, probe: Option<(Month, u64)>) -> Result<Run> {
    let chain = store.chain();
    let genesis = chain.genesis();
    let seals = store.seals().await?;
    let head = store.head().await?;
    let mut kept: Vec<Month> = store.partitions().await?.into_iter().map(|p| p.month).collect();
    kept.sort_unstable();
    kept.dedup();

    let mut report = Report { seals: seals.len() as u64, ..Report::default() };
    let faults = &mut report.faults;
    check_seal_chain(genesis, &seals, faults);

    // The first seal stored for each month.
    let mut seal_of: BTreeMap<Month, &Seal> = BTreeMap::new();
    for s in &seals {
        seal_of.entry(s.month).or_insert(s);
    }
    let newest_sealed = seals.last().map(|s| s.month);

    let mut drops: BTreeSet<Month> = BTreeSet::new();
    let mut probe_hash = None;
    let mut open_rows = 0;
    let mut open_newest_at = None;
    for &m in kept.iter().filter(|&&m| scope.contains(m)) {
        let own = seal_of.get(&m).copied();
        let start = match own {
            Some(s) if s.is_intact() => Some(s.prev),
            _ => match seal_of.range(..m).next_back() {
                None => Some(genesis),
                Some((_, s)) if s.is_intact() => Some(s.hash),
                Some(_) => None,
            },
        };
        let expect = match own {
            Some(s) if s.is_intact() => Some(Expect { count: s.count, last: s.last, blame: Blame::Seal }),
            Some(_) => None,
            None if head.is_open() && head.month == Some(m) => {
                Some(Expect { count: head.count, last: head.last, blame: Blame::Head })
            }
            None => {
                faults.push(Fault::new(Location::Seal { month: m }, FaultKind::Missing { count: 1 }));
                None
            }
        };
        let probe_index = probe.filter(|(pm, _)| *pm == m).map(|(_, i)| i);
        let mut v = MonthVerifier::new(m, start, probe_index);
        store
            .scan(m, |row| {
                v.push(row);
                ControlFlow::Continue(())
            })
            .await?;
        let out = v.finish(expect);
        faults.extend(out.faults);
        drops.extend(out.drops);
        report.entries += out.rows;
        report.months.push(m);
        if probe_index.is_some() {
            probe_hash = out.probe;
        }
        if own.is_none() && newest_sealed.is_none_or(|s| m > s) {
            open_rows = out.count;
            open_newest_at = out.newest_at;
        }
    }

    // Kept partitions must be contiguous from the oldest kept one (retention drops oldest first,
    // and the store refuses anything else); the newest dropped month below it must have a logged
    // drop (retention logs before it drops).
    let oldest_kept = kept.first().copied();
    for (&m, _) in seal_of.iter().filter(|(m, _)| !kept.contains(m) && scope.contains(**m)) {
        if oldest_kept.is_some_and(|k| m > k) {
            faults.push(Fault::new(Location::Partition { month: m }, FaultKind::DroppedUnlogged));
        }
    }
    if scope == Scope::All {
        let newest_dropped =
            seal_of.keys().copied().rfind(|m| !kept.contains(m) && oldest_kept.is_none_or(|k| *m < k));
        if let Some(m) = newest_dropped
            && !drops.contains(&m)
        {
            faults.push(Fault::new(Location::Partition { month: m }, FaultKind::DroppedUnlogged));
        }
        if let Some(m) = head.month.filter(|m| head.is_open() && !kept.contains(m)) {
            faults
                .push(Fault::new(Location::Partition { month: m }, FaultKind::Missing { count: head.count }));
        }
        if !head_agrees(genesis, &head, &seals, kept.last().copied(), open_newest_at) {
            faults.push(Fault::new(Location::Head, FaultKind::Changed));
        }
    }
    faults.sort();
    faults.dedup();
    Ok(Run { report, seals, kept, probe: probe_hash, open_rows })
}

/// Whether the stored head is what the seals and the newest partition imply. (Its count and
/// last hash in an open month are checked against the rows by the month's verifier.)
fn head_agrees(
    genesis: Digest,
    head: &crate::Head,
    seals: &[Seal],
    newest_kept: Option<Month>,
    open_newest_at: Option<DateTime<Utc>>,
) -> bool {
    let newest = seals.last();
    let sealed = newest.map(|s| s.month);
    let open = newest_kept.filter(|k| sealed.is_none_or(|s| *k > s));
    let sealed_total: u64 = seals.iter().map(|s| s.count).sum();
    let seal_at = newest.map_or(DateTime::<Utc>::UNIX_EPOCH, |s| s.sealed_at);
    let mut ok = head.seals == seals.len() as u64
        && head.seal == newest.map_or(genesis, |s| s.hash)
        && head.sealed == sealed;
    match open {
        Some(m) => {
            ok &= head.month == Some(m)
                && head.size == sealed_total + head.count
                && head.at == open_newest_at.map_or(seal_at, |t| t.max(seal_at));
        }
        None => {
            ok &= head.month == sealed
                && head.count == newest.map_or(0, |s| s.count)
                && head.last == newest.map_or(genesis, |s| s.last)
                && head.size == sealed_total
                && head.at == seal_at;
        }
    }
    ok
}

fn check_seal_chain(genesis: Digest, seals: &[Seal], faults: &mut Vec<Fault>) {
    // `None`: the previous seal was changed, so its stored hash proves nothing about the link.
    let mut prev = Some(genesis);
    let mut prev_month: Option<Month> = None;
    for s in seals {
        let at = Location::Seal { month: s.month };
        if !s.is_intact() {
            faults.push(Fault::new(at, FaultKind::Changed));
            prev = None;
            continue;
        }
        if prev.is_some_and(|p| p != s.prev) {
            faults.push(Fault::new(at, FaultKind::BrokenSealLink));
        }
        if prev_month.is_some_and(|p| s.month <= p) {
            faults.push(Fault::new(at, FaultKind::Reordered));
        }
        prev = Some(s.hash);
        prev_month = Some(s.month);
    }
}

/// Who is blamed when a month's chain ends on another hash than expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Blame {
    Seal,
    Head,
}

/// Where a month's chain must end.
#[derive(Debug, Clone, Copy)]
struct Expect {
    count: u64,
    last: Digest,
    blame: Blame,
}

/// A row reduced to what chain matching needs.
#[derive(Debug, Clone, Copy)]
struct Compact {
    pos: u64,
    index: u64,
    prev: Digest,
    hash: Digest,
    intact: bool,
}

struct MonthOutcome {
    faults: Vec<Fault>,
    /// Slots chained (the index the next entry would take).
    count: u64,
    probe: Option<Digest>,
    drops: Vec<Month>,
    newest_at: Option<DateTime<Utc>>,
    rows: u64,
}

/// Streams one month's rows: a fast path while everything is in order, then chain matching over
/// compact records from the first anomaly on.
struct MonthVerifier {
    month: Month,
    start_us: i64,
    end_us: i64,
    /// Next expected index.
    next: u64,
    /// Expected `prev` of the next row; `None` when unknown.
    link: Option<Digest>,
    pos: u64,
    probe: Option<u64>,
    probe_hash: Option<Digest>,
    /// The last rows accepted on the fast path, with the link each was checked against: matching
    /// restarts from them, so a forged row that happened to chain correctly can still lose its
    /// slot to the row the next one chains on.
    recent: VecDeque<(Compact, Option<Digest>)>,
    /// From the first anomaly: expected index and link there, then every row.
    forensic: Option<(u64, Option<Digest>, Vec<Compact>)>,
    drops: Vec<Month>,
    newest_at: Option<DateTime<Utc>>,
}

impl MonthVerifier {
    fn new(month: Month, start: Option<Digest>, probe: Option<u64>) -> Self {
        Self {
            month,
            start_us: month.start().timestamp_micros(),
            end_us: month.end().timestamp_micros(),
            next: 0,
            link: start,
            pos: 0,
            probe,
            probe_hash: None,
            recent: VecDeque::with_capacity(BACKTRACK + 1),
            forensic: None,
            drops: Vec::new(),
            newest_at: None,
        }
    }

    fn push(&mut self, row: &EntryRow) {
        let us = row.recorded_at.timestamp_micros();
        let intact = row.recorded_at.timestamp_subsec_nanos().is_multiple_of(1000)
            && (self.start_us..self.end_us).contains(&us)
            && entry_hash(&row.prev, self.month, row.index, us, &row.body) == row.hash;
        if intact {
            self.newest_at = Some(self.newest_at.map_or(row.recorded_at, |t| t.max(row.recorded_at)));
            if peek_action(&row.body) == Some(pdpo_core::AuditAction::PartitionDropped.as_str())
                && let Some(m) = decode_event(&row.body).ok().as_ref().and_then(dropped_month)
            {
                self.drops.push(m);
            }
        }
        let c = Compact { pos: self.pos, index: row.index, prev: row.prev, hash: row.hash, intact };
        self.pos += 1;
        if let Some((_, _, rows)) = &mut self.forensic {
            rows.push(c);
            return;
        }
        if intact && row.index == self.next && self.link.is_none_or(|l| l == row.prev) {
            if self.probe == Some(self.next) {
                self.probe_hash = Some(row.hash);
            }
            if self.recent.len() == BACKTRACK {
                self.recent.pop_front();
            }
            self.recent.push_back((c, self.link));
            self.next += 1;
            self.link = Some(row.hash);
        } else {
            let (e0, h0) = self.recent.front().map_or((self.next, self.link), |(r, link)| (r.index, *link));
            let mut rows: Vec<Compact> = self.recent.drain(..).map(|(r, _)| r).collect();
            rows.push(c);
            self.forensic = Some((e0, h0, rows));
        }
    }

    fn finish(self, expect: Option<Expect>) -> MonthOutcome {
        let month = self.month;
        let (mut faults, count, link, last_changed, probe) = match self.forensic {
            None => (Vec::new(), self.next, self.link, false, self.probe_hash),
            Some((e0, h0, rows)) => {
                let m = Matcher::run(month, &rows, (e0, h0), expect.map(|x| (x.count, x.last)), self.probe);
                (m.faults, m.next, m.link, m.last_changed, m.probe.or(self.probe_hash))
            }
        };
        if let Some(x) = expect {
            if count < x.count {
                faults.push(Fault::entry(month, count, FaultKind::Missing { count: x.count - count }));
            } else if count > x.count {
                faults.push(Fault::entry(month, x.count, FaultKind::Inserted));
            } else if count > 0 && !last_changed && link != Some(x.last) {
                faults.push(match x.blame {
                    Blame::Seal => Fault::entry(month, count - 1, FaultKind::BrokenSealLink),
                    Blame::Head => Fault::new(Location::Head, FaultKind::Changed),
                });
            }
        }
        MonthOutcome { faults, count, probe, drops: self.drops, newest_at: self.newest_at, rows: self.pos }
    }
}

/// Matches rows to chain slots after an anomaly (see [`Matcher::run`]).
struct Matcher {
    faults: Vec<Fault>,
    next: u64,
    link: Option<Digest>,
    last_changed: bool,
    probe: Option<Digest>,
}

impl Matcher {
    /// Walks the chain slot by slot from index `e0` (expected link `h0`), choosing for each slot
    /// the row that belongs there:
    ///
    /// 1. an intact row with the slot's index chaining on the link (among several, the one the
    ///    next slot chains on, or that ends the month where expected; then the first after the
    ///    previous slot's position);
    /// 2. a broken row with the slot's index and the right `prev` (its content was changed);
    /// 3. any row chaining on the link (its index was changed);
    /// 4. any row with the slot's index (its `prev` was changed, or it follows a changed row).
    ///
    /// With no row for a slot, the indexes up to the next stored one are missing. Rows never
    /// chosen were inserted; chosen rows stored out of position order were reordered.
    fn run(
        month: Month,
        rows: &[Compact],
        (e0, h0): (u64, Option<Digest>),
        end: Option<(u64, Digest)>,
        probe: Option<u64>,
    ) -> Self {
        let mut by_index: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
        let mut by_prev: HashMap<Digest, Vec<usize>> = HashMap::new();
        for (i, r) in rows.iter().enumerate() {
            by_index.entry(r.index).or_default().push(i);
            by_prev.entry(r.prev).or_default().push(i);
        }
        let mut used = vec![false; rows.len()];
        let mut remaining = rows.len();
        let mut faults = Vec::new();
        let mut e = e0;
        let mut h = h0;
        let mut resync = h0.is_none();
        let mut last_changed = false;
        let mut last_pos: Option<u64> = None;
        let mut probe_hash = None;
        // (slot, row) in slot order.
        let mut assigned: Vec<(u64, usize)> = Vec::new();

        while remaining > 0 {
            let free_at = |idx: u64, used: &[bool]| -> Vec<usize> {
                by_index
                    .get(&idx)
                    .map(|v| v.iter().copied().filter(|&i| !used[i]).collect())
                    .unwrap_or_default()
            };
            let at_e = free_at(e, &used);
            let mut pick: Option<(usize, Option<FaultKind>)> = None;
            if let Some(hh) = h {
                let good: Vec<usize> =
                    at_e.iter().copied().filter(|&i| rows[i].intact && rows[i].prev == hh).collect();
                if !good.is_empty() {
                    let linked = |i: usize| {
                        by_prev
                            .get(&rows[i].hash)
                            .is_some_and(|v| v.iter().any(|&j| !used[j] && rows[j].index == e + 1))
                            || end == Some((e + 1, rows[i].hash))
                    };
                    let after = |i: usize| last_pos.is_none_or(|p| rows[i].pos > p);
                    let best = good
                        .iter()
                        .copied()
                        .min_by_key(|&i| (!linked(i), !after(i), rows[i].pos))
                        .unwrap_or(good[0]);
                    pick = Some((best, None));
                } else if let Some(&i) = at_e.iter().find(|&&i| rows[i].prev == hh) {
                    pick = Some((i, Some(FaultKind::Changed)));
                } else if let Some(&i) = by_prev.get(&hh).and_then(|v| v.iter().find(|&&i| !used[i])) {
                    pick = Some((i, Some(FaultKind::Changed)));
                }
            }
            if pick.is_none()
                && let Some(&i) = at_e.iter().min_by_key(|&&i| (!rows[i].intact, rows[i].pos))
            {
                let kind = if !rows[i].intact {
                    Some(FaultKind::Changed)
                } else if resync {
                    None
                } else if e == 0 {
                    Some(FaultKind::BrokenSealLink)
                } else {
                    Some(FaultKind::BrokenLink)
                };
                pick = Some((i, kind));
            }
            match pick {
                Some((i, kind)) => {
                    used[i] = true;
                    remaining -= 1;
                    if let Some(k) = kind {
                        faults.push(Fault::entry(month, e, k));
                    }
                    last_changed = kind == Some(FaultKind::Changed);
                    resync = last_changed;
                    h = Some(rows[i].hash);
                    if probe == Some(e) {
                        probe_hash = Some(rows[i].hash);
                    }
                    last_pos = Some(rows[i].pos);
                    assigned.push((e, i));
                    e += 1;
                }
                None => {
                    let next =
                        by_index.range(e + 1..).find(|(_, v)| v.iter().any(|&i| !used[i])).map(|(&k, _)| k);
                    let Some(k) = next else { break };
                    faults.push(Fault::entry(month, e, FaultKind::Missing { count: k - e }));
                    e = k;
                    h = None;
                    resync = true;
                    last_changed = false;
                }
            }
        }

        // Rows never chosen were inserted: place each after the chosen row stored before it.
        let mut by_pos: Vec<(u64, u64)> = assigned.iter().map(|&(slot, i)| (rows[i].pos, slot)).collect();
        by_pos.sort_unstable();
        for r in rows.iter().zip(&used).filter(|(_, u)| !**u).map(|(r, _)| r) {
            let before = by_pos.partition_point(|&(p, _)| p < r.pos);
            let slot = before.checked_sub(1).map_or(e0, |b| by_pos[b].1 + 1);
            faults.push(Fault::entry(month, slot, FaultKind::Inserted));
        }
        // Chosen rows whose stored order differs from their chain order were reordered: one fault
        // per run of displaced slots.
        let positions: Vec<u64> = assigned.iter().map(|&(_, i)| rows[i].pos).collect();
        let mut sorted = positions.clone();
        sorted.sort_unstable();
        let mut in_run = false;
        for (k, (&p, &s)) in positions.iter().zip(&sorted).enumerate() {
            let displaced = p != s;
            if displaced && !in_run {
                faults.push(Fault::entry(month, assigned[k].0, FaultKind::Reordered));
            }
            in_run = displaced;
        }
        Self { faults, next: e, link: h, last_changed, probe: probe_hash }
    }
}
