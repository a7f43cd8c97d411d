//! pdpo-export figures (bench binary, medians):
//!
//! - a subject access export of 100 records with 10 attachments (64 KiB each) on MemoryStore;
//! - a workspace export of the testkit CRM on MemoryStore, with the export's own peak memory
//!   (VmHWM reset through `/proc/self/clear_refs` after loading, Linux only).
//!
//! `cargo bench -p pdpo-bench --bench export`; `PDPO_EXPORT_CONTACTS` sets the workspace size
//! (default 10,000 contacts), `PDPO_EXPORT_RUNS` the number of workspace runs (default 3).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, missing_docs)]

use std::io::{self, Write};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use pdpo_core::{
    Actor, BlobStore, ChangeSet, DataStore, FixedClock, Identifier, Key, MemoryBlobStore, MemoryStore, Record,
};
use pdpo_crypto::{SecretKey, TokenSigner};
use pdpo_export::{SubjectAccess, WorkspaceExport};
use pdpo_requests::{Ledger, MemoryRequestStore, NewRequest, RequestKind};
use pdpo_testkit::{Generator, load_memory};

/// Counts bytes and throws them away.
struct Sink(u64);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn status_kib(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn subject_fixture() -> (MemoryStore, MemoryBlobStore) {
    let store = MemoryStore::new(pdpo_testkit::schema());
    let blobs = MemoryBlobStore::new();
    let id = |s: &str| Identifier::new(s).unwrap();
    let mut cs = ChangeSet::new();
    cs.insert(
        Record::new(id("contacts"), Key::from(1))
            .with("id", 1)
            .with("name_en", "Chan Tai Man")
            .with("name_zh", "陳大文")
            .with("email", "chan.taiman@example.com")
            .with("phone", "+852 9123 4567")
            .with("status", "customer"),
    );
    for n in 0..89i64 {
        cs.insert(
            Record::new(id("activities"), Key::from(1_000 + n))
                .with("id", 1_000 + n)
                .with("contact_id", 1)
                .with(
                    "body",
                    format!("Call {n}: discussed the renewal of policy HK-{n:05} and the premium."),
                ),
        );
    }
    for n in 0..10i64 {
        let blob = format!("att-{n}");
        let bytes: Vec<u8> = (0..64 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        pollster::block_on(blobs.put(&blob, bytes)).unwrap();
        cs.insert(
            Record::new(id("attachments"), Key::from(2_000 + n))
                .with("id", 2_000 + n)
                .with("contact_id", 1)
                .with("blob_id", blob)
                .with("file_name", format!("scan-{n}.png")),
        );
    }
    pollster::block_on(store.apply(cs)).unwrap();
    (store, blobs)
}

fn main() {
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap());
    let staff = Actor::user("staff-7").unwrap();

    // Subject export: 100 records, 10 attachments.
    let (store, blobs) = subject_fixture();
    let ledger = Ledger::new(MemoryRequestStore::new(), &clock);
    let req =
        pollster::block_on(ledger.receive(NewRequest::new(RequestKind::Access, vec![Key::from(1)]), &staff))
            .unwrap();
    let due = ledger.due(&req).unwrap();
    let export = SubjectAccess::new(&req, &due, &staff, &clock);
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..30 {
        let t = Instant::now();
        let done = pollster::block_on(export.write(&store, &blobs, Sink(0))).unwrap();
        times.push(t.elapsed());
        bytes = done.output.0;
        assert_eq!(done.manifest.counts["records"], 100);
    }
    println!(
        "subject export, 100 records + 10 x 64 KiB attachments, MemoryStore: median {:?} over 30 runs ({bytes} bytes)",
        median(times)
    );

    // Workspace export of the testkit CRM.
    let contacts: u64 =
        std::env::var("PDPO_EXPORT_CONTACTS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let runs: usize = std::env::var("PDPO_EXPORT_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    let t = Instant::now();
    let loaded = load_memory(&Generator::new(contacts, pdpo_testkit::DEFAULT_SEED)).unwrap();
    println!(
        "loaded {contacts} contacts: {} records, {} blobs ({} bytes) in {:?}; VmRSS {:?} KiB",
        loaded.stats.records,
        loaded.stats.blobs,
        loaded.stats.blob_bytes,
        t.elapsed(),
        status_kib("VmRSS:")
    );
    let signer =
        TokenSigner::new(&SecretKey::from_bytes([7; 32]), std::sync::Arc::new(FixedClock::new(Utc::now())));
    let mut times = Vec::new();
    for _ in 0..runs {
        let before = status_kib("VmRSS:");
        // Reset the peak so VmHWM measures this run only.
        let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
        let t = Instant::now();
        let done = pollster::block_on(
            WorkspaceExport::new(&staff, &clock, &signer).expected_records(loaded.stats.records).write(
                &loaded.store,
                &loaded.blobs,
                Sink(0),
                |_| {},
            ),
        )
        .unwrap();
        let elapsed = t.elapsed();
        times.push(elapsed);
        let peak = status_kib("VmHWM:");
        println!(
            "  run: {elapsed:?}, {} records, {} files, {} bytes out; VmRSS before {before:?} KiB, peak during export {peak:?} KiB (peak reset: {reset})",
            done.manifest.counts["records"],
            done.manifest.files.len(),
            done.output.0,
        );
    }
    println!(
        "workspace export, {contacts} contacts ({} records), MemoryStore, deflate: median {:?} over {runs} runs",
        loaded.stats.records,
        median(times)
    );
    let _ = store.schema();
}
