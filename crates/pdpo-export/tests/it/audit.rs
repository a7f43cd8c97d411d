//! The audit log in a workspace export: partitions, seals and head are written as stored, listed
//! with their SHA-256 in the manifest, and pdpo-audit's verification passes on the rows read back
//! from the ZIP (and catches a row changed after reading).

use std::io::Cursor;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{Duration, TimeZone, Utc};
use pdpo_audit::{
    AuditStore, Chain, EntryRow, FaultKind, Head, MemoryAuditStore, Month, Partition, Retention, Scope, Seal,
    verify,
};
use pdpo_core::{AuditAction, AuditEvent, Clock, FixedClock, Identifier, Key, MemoryBlobStore, MemoryStore};
use pdpo_crypto::{SecretKey, TokenSigner};
use pdpo_export::{Compression, WorkspaceExport, read_audit_snapshot, verify_archive};
use sha2::{Digest as _, Sha256};

use crate::fixture::{staff, unzip};

/// A log spanning 17 months (a few events a month, some days apart), then a retention run that
/// drops the months past 13: kept partitions, seals for every closed month, logged drops.
fn long_log(clock: &Arc<FixedClock>) -> MemoryAuditStore {
    let log = MemoryAuditStore::with_clock(Identifier::from_static("acme-hk"), clock.clone());
    let staff = staff();
    for month in 0..17 {
        for n in 0..(3 + month % 4) {
            let at = clock.now();
            let e = AuditEvent::new(AuditAction::View, staff.clone(), at)
                .with_subject(Key::from(i64::from(month * 10 + n)));
            pollster::block_on(log.append(&[e])).unwrap();
            clock.advance(Duration::days(2));
        }
        clock.advance(Duration::days(31 - 2 * i64::from(3 + month % 4)).max(Duration::days(1)));
    }
    let run = pollster::block_on(Retention::default().run(&log, clock.now())).unwrap();
    assert!(!run.dropped.is_empty(), "the fixture must drop months: {run:?}");
    log
}

fn signer(clock: &Arc<FixedClock>) -> TokenSigner {
    TokenSigner::new(&SecretKey::from_bytes([3; 32]), clock.clone())
}

fn store() -> MemoryStore {
    MemoryStore::new(pdpo_testkit::schema())
}

#[test]
fn exported_log_reads_back_equal_and_verifies_from_the_zip_alone() {
    let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2025, 1, 3, 2, 0, 0).unwrap()));
    let log = long_log(&clock);
    let stored = log.snapshot();
    assert!(stored.seals.len() > stored.partitions.len(), "dropped months keep their seals");
    let staff = staff();
    let signer = signer(&clock);
    let mut audit_calls = 0;
    let done = pollster::block_on(
        WorkspaceExport::new(&staff, &*clock, &signer)
            .audit_log(&log)
            .page_size(2)
            .compression(Compression::Deflate)
            .write(&store(), &MemoryBlobStore::new(), Vec::new(), |p| {
                audit_calls += usize::from(p.entity == "audit")
            }),
    )
    .unwrap();
    let entries: u64 = stored.partitions.values().map(|rows| rows.len() as u64).sum();
    assert!(audit_calls as u64 >= entries / 2, "progress after every page of 2 rows: {audit_calls}");

    // Every audit file is in the manifest with the SHA-256 of its bytes.
    let (manifest, problems) = verify_archive(Cursor::new(&done.output)).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let files = unzip(&done.output);
    let audit_files: Vec<&str> =
        manifest.files.iter().map(|f| f.path.as_str()).filter(|p| p.starts_with("audit/")).collect();
    assert_eq!(audit_files.len(), stored.partitions.len() + 2, "{audit_files:?}");
    for month in stored.partitions.keys() {
        let path = format!("audit/partitions/{month}.jsonl");
        let listed = manifest.files.iter().find(|f| f.path == path).unwrap();
        assert_eq!(listed.sha256, hex::encode(Sha256::digest(&files[&path])));
    }
    assert!(audit_files.contains(&"audit/seals.json") && audit_files.contains(&"audit/head.json"));
    assert_eq!(manifest.counts["audit_entries"], entries);
    assert_eq!(manifest.counts["audit_seals"], stored.seals.len() as u64);
    assert_eq!(manifest.counts["audit_partitions"], stored.partitions.len() as u64);

    // A partition file is plain JSON lines of the stored rows, each with its decoded event.
    let (first_month, first_rows) = stored.partitions.iter().next().unwrap();
    let text = std::str::from_utf8(&files[&format!("audit/partitions/{first_month}.jsonl")]).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), first_rows.len());
    for (line, want) in lines.iter().zip(first_rows) {
        let row: EntryRow = serde_json::from_str(line).unwrap();
        assert_eq!(&row, want);
        let json: serde_json::Value = serde_json::from_str(line).unwrap();
        let event: AuditEvent = serde_json::from_value(json["event"].clone()).unwrap();
        assert_eq!(event, want.event().unwrap());
    }

    // Read back, the log is exactly the stored one, and pdpo-audit verifies it.
    let back = read_audit_snapshot(Cursor::new(&done.output)).unwrap();
    assert_eq!(back, stored);
    let reloaded = MemoryAuditStore::from_snapshot(back.clone(), clock.clone());
    let report = pollster::block_on(verify(&reloaded, Scope::All)).unwrap();
    assert!(report.is_clean(), "{:?}", report.faults);
    assert_eq!(report.entries, entries);
    assert_eq!(report.months.len(), stored.partitions.len());

    // A row changed after export is caught and located.
    let mut tampered = back;
    let month = *tampered.partitions.keys().nth(1).unwrap();
    let row = &mut tampered.partitions.get_mut(&month).unwrap()[1];
    let last = row.body.len() - 1;
    row.body[last] ^= 1;
    let report =
        pollster::block_on(verify(&MemoryAuditStore::from_snapshot(tampered, clock), Scope::All)).unwrap();
    assert!(
        report.faults.iter().any(|f| f.location.month() == Some(month)
            && f.location.index() == Some(1)
            && f.kind == FaultKind::Changed),
        "{:?}",
        report.faults
    );
}

#[test]
fn an_empty_log_exports_an_empty_head_that_verifies() {
    let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap()));
    let log = MemoryAuditStore::with_clock(Identifier::from_static("empty"), clock.clone());
    let staff = staff();
    let signer = signer(&clock);
    let done = pollster::block_on(WorkspaceExport::new(&staff, &*clock, &signer).audit_log(&log).write(
        &store(),
        &MemoryBlobStore::new(),
        Vec::new(),
        |_| {},
    ))
    .unwrap();
    let back = read_audit_snapshot(Cursor::new(&done.output)).unwrap();
    assert_eq!(back, log.snapshot());
    assert!(back.partitions.is_empty() && back.seals.is_empty());
    let report =
        pollster::block_on(verify(&MemoryAuditStore::from_snapshot(back, clock), Scope::All)).unwrap();
    assert!(report.is_clean(), "{:?}", report.faults);
}

#[test]
fn without_a_log_the_archive_says_so() {
    let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap()));
    let staff = staff();
    let signer = signer(&clock);
    let done = pollster::block_on(WorkspaceExport::new(&staff, &*clock, &signer).write(
        &store(),
        &MemoryBlobStore::new(),
        Vec::new(),
        |_| {},
    ))
    .unwrap();
    assert!(done.manifest.files.iter().all(|f| !f.path.starts_with("audit/")));
    assert!(done.manifest.notes.iter().any(|n| n.contains("No audit log")));
    assert!(read_audit_snapshot(Cursor::new(&done.output)).is_err());
}

/// A log that another writer appends to while the export reads it: the first `read` appends a
/// batch that also starts a new month (sealing the current one).
struct Busy {
    inner: MemoryAuditStore,
    clock: Arc<FixedClock>,
    fired: AtomicBool,
}

impl AuditStore for Busy {
    fn chain(&self) -> &Chain {
        self.inner.chain()
    }
    async fn append(&self, events: &[AuditEvent]) -> pdpo_audit::Result<Head> {
        self.inner.append(events).await
    }
    async fn head(&self) -> pdpo_audit::Result<Head> {
        self.inner.head().await
    }
    async fn seals(&self) -> pdpo_audit::Result<Vec<Seal>> {
        self.inner.seals().await
    }
    async fn partitions(&self) -> pdpo_audit::Result<Vec<Partition>> {
        self.inner.partitions().await
    }
    async fn read(&self, month: Month, offset: u64, limit: usize) -> pdpo_audit::Result<Vec<EntryRow>> {
        if !self.fired.swap(true, Ordering::SeqCst) {
            let staff = staff();
            let now = self.clock.now();
            let late = |at| AuditEvent::new(AuditAction::Export, staff.clone(), at);
            self.inner.append(&[late(now), late(now)]).await?;
            self.clock.advance(Duration::days(40));
            self.inner.append(&[late(self.clock.now())]).await?;
        }
        self.inner.read(month, offset, limit).await
    }
    fn scan<F>(&self, month: Month, visit: F) -> impl Future<Output = pdpo_audit::Result<()>> + Send
    where
        F: FnMut(&EntryRow) -> ControlFlow<()> + Send,
    {
        self.inner.scan(month, visit)
    }
    async fn seal_ended(&self) -> pdpo_audit::Result<Option<Seal>> {
        self.inner.seal_ended().await
    }
    async fn drop_partition(&self, month: Month) -> pdpo_audit::Result<bool> {
        self.inner.drop_partition(month).await
    }
}

#[test]
fn appends_during_the_export_are_left_out_and_the_cut_verifies() {
    let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2025, 1, 3, 2, 0, 0).unwrap()));
    let inner = long_log(&clock);
    let before = inner.snapshot();
    let busy = Busy { inner: inner.clone(), clock: clock.clone(), fired: AtomicBool::new(false) };
    let staff = staff();
    let signer = signer(&clock);
    let done = pollster::block_on(
        WorkspaceExport::new(&staff, &*clock, &signer).audit_log(&busy).page_size(3).write(
            &store(),
            &MemoryBlobStore::new(),
            Vec::new(),
            |_| {},
        ),
    )
    .unwrap();
    let after = inner.snapshot();
    assert_eq!(after.head.size, before.head.size + 3, "the concurrent writer did append");
    assert_eq!(after.seals.len(), before.seals.len() + 1, "and sealed a month");

    let back = read_audit_snapshot(Cursor::new(&done.output)).unwrap();
    assert_eq!(back, before, "the export is the log as of the head it read first");
    let report =
        pollster::block_on(verify(&MemoryAuditStore::from_snapshot(back, clock), Scope::All)).unwrap();
    assert!(report.is_clean(), "{:?}", report.faults);
}
