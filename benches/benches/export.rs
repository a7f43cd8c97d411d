//! pdpo-export figures (bench binary, medians):
//!
//! - a subject access export of 100 records with 10 attachments (64 KiB each), on MemoryStore
//!   and on SQLite (`SqlStore` over a file);
//! - a subject access export of one subject holding 10,000 records, on SQLite;
//! - a workspace export of the testkit CRM on SQLite (`pdpo_testkit::load`), with its audit log
//!   (a `MemoryAuditStore` of 13 months), with the export's own peak memory (VmHWM reset through
//!   `/proc/self/clear_refs` before each run, Linux only);
//! - the same with one more attachment of 1 GiB, streamed from a generating blob store (so its
//!   bytes are never in memory).
//!
//! `cargo bench -p pdpo-bench --bench export`. `PDPO_EXPORT_CONTACTS` sets the workspace size
//! (default 10,000 contacts; the figure is 100,000), `PDPO_EXPORT_RUNS` the workspace
//! runs (default 3), `PDPO_EXPORT_AUDIT` the audit entries (default 100,000), `PDPO_EXPORT_BIG_MIB`
//! the large attachment (default 1,024 MiB; 0 skips it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, missing_docs)]

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use pdpo_audit::{AuditStore, MemoryAuditStore};
use pdpo_bench::{median, reset_peak, runtime, sqlite_crm, sqlite_store, status_kib};
use pdpo_core::{
    Actor, AuditAction, AuditEvent, BlobStore, ChangeSet, Clock, DataStore, FixedClock, Identifier, Key,
    MemoryBlobStore, MemoryStore, Record, StoreError,
};
use pdpo_crypto::{SecretKey, TokenSigner};
use pdpo_export::{SubjectAccess, WorkspaceExport};
use pdpo_requests::{Ledger, MemoryRequestStore, NewRequest, RequestKind};

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

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn id(s: &str) -> Identifier {
    Identifier::new(s).unwrap()
}

fn when() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 2, 0, 0).unwrap()
}

/// One contact (key 1) with `activities` activities and `attachments` attachments of 64 KiB
/// (every NOT NULL column of the testkit DDL filled, so it loads into SQLite too).
fn subject_changeset(activities: i64, attachments: i64, blobs: &MemoryBlobStore) -> ChangeSet {
    let mut cs = ChangeSet::new();
    cs.insert(
        Record::new(id("contacts"), Key::from(1))
            .with("id", 1)
            .with("name_en", "Chan Tai Man")
            .with("name_zh", "陳大文")
            .with("email", "chan.taiman@example.com")
            .with("phone", "+852 9123 4567")
            .with("status", "customer")
            .with("created_at", when())
            .with("updated_at", when()),
    );
    for n in 0..activities {
        cs.insert(
            Record::new(id("activities"), Key::from(1_000 + n))
                .with("id", 1_000 + n)
                .with("contact_id", 1)
                .with("kind", "call")
                .with("occurred_at", when() + Duration::minutes(n))
                .with(
                    "body",
                    format!("Call {n}: discussed the renewal of policy HK-{n:05} and the premium."),
                ),
        );
    }
    for n in 0..attachments {
        let blob = format!("att-{n}");
        let bytes: Vec<u8> = (0..64 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        pollster::block_on(blobs.put(&blob, bytes)).unwrap();
        cs.insert(
            Record::new(id("attachments"), Key::from(2_000_000 + n))
                .with("id", 2_000_000 + n)
                .with("contact_id", 1)
                .with("kind", "scan")
                .with("blob_id", blob)
                .with("file_name", format!("scan-{n}.png"))
                .with("content_type", "image/png")
                .with("size_bytes", 64 * 1024)
                .with("uploaded_at", when()),
        );
    }
    cs
}

/// Median of `runs` subject exports of contact 1; returns it with the archive size.
fn subject_export<D: DataStore, B: BlobStore>(
    rt: &tokio::runtime::Runtime,
    store: &D,
    blobs: &B,
    records: u64,
    runs: usize,
) -> (std::time::Duration, u64) {
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap());
    let staff = Actor::user("staff-7").unwrap();
    let ledger = Ledger::new(MemoryRequestStore::new(), &clock);
    let req = rt
        .block_on(ledger.receive(NewRequest::new(RequestKind::Access, vec![Key::from(1)]), &staff))
        .unwrap();
    let due = ledger.due(&req).unwrap();
    let export = SubjectAccess::new(&req, &due, &staff, &clock);
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let done = rt.block_on(export.write(store, blobs, Sink(0))).unwrap();
        times.push(t.elapsed());
        bytes = done.output.0;
        assert_eq!(done.manifest.counts["records"], records);
    }
    (median(times), bytes)
}

/// A blob store that also serves one generated blob of `len` bytes (xorshift, incompressible
/// like a scan), produced as it is read.
struct WithBig<'a> {
    inner: &'a MemoryBlobStore,
    id: &'static str,
    len: u64,
}

struct Generated {
    left: u64,
    state: u64,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX)) / 8 * 8;
        let n = if n == 0 { buf.len().min(usize::try_from(self.left).unwrap_or(0)) } else { n };
        for chunk in buf[..n].chunks_mut(8) {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            chunk.copy_from_slice(&self.state.to_le_bytes()[..chunk.len()]);
        }
        self.left -= n as u64;
        Ok(n)
    }
}

impl BlobStore for WithBig<'_> {
    async fn put(&self, id: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.inner.put(id, bytes).await
    }
    async fn open(&self, id: &str) -> Result<Box<dyn Read + Send>, StoreError> {
        if id == self.id {
            return Ok(Box::new(Generated { left: self.len, state: 0x9E37_79B9_7F4A_7C15 }));
        }
        self.inner.open(id).await
    }
    async fn size(&self, id: &str) -> Result<u64, StoreError> {
        if id == self.id { Ok(self.len) } else { self.inner.size(id).await }
    }
    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        self.inner.delete(id).await
    }
}

/// An audit log of `entries` view events spread evenly over the 13 months before `end`.
fn audit_log(entries: u64, end: DateTime<Utc>) -> (MemoryAuditStore, Arc<FixedClock>) {
    let start = end - Duration::days(395);
    let clock = Arc::new(FixedClock::new(start));
    let log = MemoryAuditStore::with_clock(id("acme-hk"), clock.clone());
    let staff = Actor::user("staff-7").unwrap();
    let step =
        Duration::seconds(395 * 86_400 / i64::try_from(entries.max(1)).unwrap()).max(Duration::seconds(1));
    let mut batch = Vec::with_capacity(1_000);
    for n in 0..entries {
        let at = clock.now();
        batch.push(
            AuditEvent::new(AuditAction::View, staff.clone(), at)
                .with_subject(Key::from(i64::try_from(n % 10_000).unwrap() + 1))
                .with_fields(["name_en", "phone"])
                .unwrap(),
        );
        clock.advance(step);
        if batch.len() == 1_000 {
            pollster::block_on(log.append(&batch)).unwrap();
            batch.clear();
        }
    }
    pollster::block_on(log.append(&batch)).unwrap();
    (log, clock)
}

struct Run {
    elapsed: std::time::Duration,
    before_kib: Option<u64>,
    peak_kib: Option<u64>,
    records: u64,
    files: usize,
    bytes: u64,
}

fn workspace_export<D: DataStore, B: BlobStore>(
    rt: &tokio::runtime::Runtime,
    store: &D,
    blobs: &B,
    log: &MemoryAuditStore,
    expected: u64,
) -> Run {
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap());
    let staff = Actor::user("staff-7").unwrap();
    let signer = TokenSigner::new(&SecretKey::from_bytes([7; 32]), Arc::new(FixedClock::new(Utc::now())));
    let before_kib = status_kib("VmRSS:");
    let reset = reset_peak();
    let t = Instant::now();
    let done = rt
        .block_on(
            WorkspaceExport::new(&staff, &clock, &signer).audit_log(log).expected_records(expected).write(
                store,
                blobs,
                Sink(0),
                |_| {},
            ),
        )
        .unwrap();
    let elapsed = t.elapsed();
    Run {
        elapsed,
        before_kib,
        peak_kib: if reset { status_kib("VmHWM:") } else { None },
        records: done.manifest.counts["records"],
        files: done.manifest.files.len(),
        bytes: done.output.0,
    }
}

fn print_run(label: &str, r: &Run) {
    let delta = r.peak_kib.zip(r.before_kib).map(|(p, b)| p.saturating_sub(b) / 1024);
    println!(
        "  {label}: {:?}, {} records, {} files, {} MiB out; RSS before {:?} MiB, peak {:?} MiB (+{delta:?} MiB during the export)",
        r.elapsed,
        r.records,
        r.files,
        r.bytes >> 20,
        r.before_kib.map(|k| k / 1024),
        r.peak_kib.map(|k| k / 1024),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes test-harness flags: run only
    // when benchmarking.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();

    // Subject export: 100 records, 10 attachments, on MemoryStore and SQLite.
    let blobs = MemoryBlobStore::new();
    let memory = MemoryStore::new(pdpo_testkit::schema());
    rt.block_on(memory.apply(subject_changeset(89, 10, &blobs))).unwrap();
    let (m, bytes) = subject_export(&rt, &memory, &blobs, 100, 30);
    println!(
        "subject export, 100 records + 10 x 64 KiB attachments, MemoryStore: median {m:?} over 30 runs ({bytes} bytes)"
    );
    let sqlite = rt
        .block_on(sqlite_store(dir.path(), "subject", pdpo_testkit::SQLITE_DDL, pdpo_testkit::schema()))
        .unwrap();
    rt.block_on(sqlite.apply(subject_changeset(89, 10, &blobs))).unwrap();
    let (m, bytes) = subject_export(&rt, &sqlite, &blobs, 100, 30);
    println!(
        "subject export, 100 records + 10 x 64 KiB attachments, SQLite: median {m:?} over 30 runs ({bytes} bytes)"
    );

    // A subject with 10,000 records.
    let big = rt
        .block_on(sqlite_store(dir.path(), "subject10k", pdpo_testkit::SQLITE_DDL, pdpo_testkit::schema()))
        .unwrap();
    rt.block_on(big.apply(subject_changeset(9_999, 0, &blobs))).unwrap();
    let (m, bytes) = subject_export(&rt, &big, &blobs, 10_000, 5);
    println!(
        "subject export, one subject with 10,000 records, SQLite: median {m:?} over 5 runs ({bytes} bytes)"
    );
    drop((memory, sqlite, big, blobs));

    // Workspace export of the testkit CRM on SQLite, with its audit log.
    let contacts = env("PDPO_EXPORT_CONTACTS", 10_000);
    let runs = env("PDPO_EXPORT_RUNS", 3).max(1);
    let entries = env("PDPO_EXPORT_AUDIT", 100_000);
    let crm = rt.block_on(sqlite_crm(dir.path(), "crm", contacts)).unwrap();
    println!(
        "loaded {contacts} contacts into SQLite: {} records, {} blobs ({} MiB) in {:?}",
        crm.stats.records,
        crm.stats.blobs,
        crm.stats.blob_bytes >> 20,
        crm.load_time
    );
    let (log, _clock) = audit_log(entries, Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap());
    let head = pollster::block_on(log.head()).unwrap();
    println!(
        "audit log: {} entries, {} seals; RSS {:?} MiB",
        head.size,
        head.seals,
        status_kib("VmRSS:").map(|k| k / 1024)
    );
    let mut times = Vec::new();
    for _ in 0..runs {
        let r = workspace_export(&rt, &crm.store, &crm.blobs, &log, crm.stats.records);
        assert_eq!(r.records, crm.stats.records);
        print_run("run", &r);
        times.push(r.elapsed);
    }
    println!(
        "workspace export, {contacts} contacts ({} records, {} audit entries), SQLite, deflate: median {:?} over {runs} runs",
        crm.stats.records,
        head.size,
        median(times)
    );

    // The same with one more attachment of 1 GiB.
    let mib = env("PDPO_EXPORT_BIG_MIB", 1_024);
    if mib > 0 {
        let mut cs = ChangeSet::new();
        cs.insert(
            Record::new(id("attachments"), Key::from(999_999_999))
                .with("id", 999_999_999)
                .with("contact_id", 1)
                .with("kind", "scan")
                .with("blob_id", "big-scan")
                .with("file_name", "archive-scan.pdf")
                .with("content_type", "application/pdf")
                .with("size_bytes", i64::try_from(mib << 20).unwrap())
                .with("uploaded_at", when()),
        );
        rt.block_on(crm.store.apply(cs)).unwrap();
        let with_big = WithBig { inner: &crm.blobs, id: "big-scan", len: mib << 20 };
        let r = workspace_export(&rt, &crm.store, &with_big, &log, crm.stats.records + 1);
        assert_eq!(r.records, crm.stats.records + 1);
        print_run(&format!("with one {mib} MiB attachment"), &r);
    }
}
