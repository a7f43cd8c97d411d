//! Bench binary: loads the testkit CRM into `SqlStore` on a SQLite temp file with
//! `pdpo_testkit::load`, then scans every contact with `scan_page`.
//!
//! `cargo run --release -p pdpo-bench --bin store_load -- 10000 100000` prints, per size: records
//! loaded, seconds, records/s; then `scan_page` (pages of 1,000) records/s and the peak RSS of
//! the scan, which runs in a process of its own (`store_load --scan <file>`).
//!
//! The load creates the tables (`SQLITE_TABLES`), loads, then builds the secondary indexes
//! (`SQLITE_INDEXES`); the time includes the index build. `--indexes-first` creates the whole
//! DDL before loading instead, for comparison.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::Instant;

/// With the `mimalloc` feature: records are built on the loader's generator thread and freed on
/// this one, which glibc's allocator handles poorly (a quarter of the load's CPU time in
/// `malloc`/`free` and their consolidation); the allocator is the application's choice.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use pdpo_bench::{NullBlobs, cpu_secs, sqlite_store};
use pdpo_core::{DataStore, Key};
use pdpo_store::SqlStore;
use pdpo_testkit::{Generator, load};

/// Records per change set by default (pdpo-testkit's `DEFAULT_BATCH`); `--batch N` changes it.
const BATCH: usize = 5_000;

/// Peak resident set size in MiB (`VmHWM`), if the platform reports it.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn cpu_note(start: Option<f64>, records: usize) -> String {
    match (start, cpu_secs()) {
        (Some(a), Some(b)) if b > a => {
            format!("CPU {:.2} s, {:.0} records per CPU-second", b - a, records as f64 / (b - a))
        }
        _ => "CPU n/a".to_owned(),
    }
}

async fn run(contacts: u64, indexes_first: bool, batch: usize) {
    let dir = tempfile::tempdir().unwrap();
    let ddl = if indexes_first { pdpo_testkit::SQLITE_DDL } else { pdpo_testkit::SQLITE_TABLES };
    let store = sqlite_store(dir.path(), "crm", ddl, pdpo_testkit::schema()).await.unwrap();
    let generator = Generator::with_default_seed(contacts);
    let cpu = cpu_secs();
    let start = Instant::now();
    let stats = load(&generator, &store, &NullBlobs, batch).await.unwrap();
    if !indexes_first {
        let pdpo_store::Pool::Sqlite(pool) = store.pool() else { unreachable!("a SQLite store") };
        pdpo_store::sqlx::raw_sql(pdpo_testkit::SQLITE_INDEXES).execute(pool).await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "load {contacts} contacts ({}): {} records in {} change sets, {secs:.2} s, {:.0} records/s; {}",
        if indexes_first { "indexes first" } else { "indexes built after" },
        stats.records,
        stats.change_sets,
        stats.records as f64 / secs,
        cpu_note(cpu, usize::try_from(stats.records).unwrap_or(usize::MAX))
    );

    // The scan runs in a process of its own, so its peak memory is the scan's alone and not what
    // the allocator kept from the load.
    store.pool().close().await;
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--scan")
        .arg(dir.path().join("crm.db"))
        .status()
        .unwrap();
    assert!(status.success(), "the scan failed");
}

/// Opens the loaded database at `file` and pages through every contact with `scan_page`.
async fn scan(file: &std::path::Path) {
    let url = format!("sqlite://{}", file.display());
    let pool = pdpo_store::sqlx::sqlite::SqlitePoolOptions::new()
        .connect_with(pdpo_store::sqlite_options(&url).unwrap())
        .await
        .unwrap();
    let store = SqlStore::open(pool, pdpo_testkit::schema()).await.unwrap();
    let subject = store.schema().subject().clone();
    let cpu = cpu_secs();
    let start = Instant::now();
    let mut after: Option<Key> = None;
    let mut scanned = 0usize;
    loop {
        let page = store.scan_page(&subject, after.as_ref(), 1_000).await.unwrap();
        scanned += page.records.len();
        match page.next {
            Some(k) => after = Some(k),
            None => break,
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "scan_page {subject} ({scanned} records, pages of 1000): {secs:.2} s, {:.0} records/s; {}; peak RSS {}",
        scanned as f64 / secs,
        cpu_note(cpu, scanned),
        peak_rss_mib().map_or_else(|| "n/a".to_owned(), |m| format!("{m:.1} MiB"))
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    if let Some(file) = args.iter().position(|a| a == "--scan").and_then(|i| args.get(i + 1)) {
        return rt.block_on(scan(std::path::Path::new(file)));
    }
    let indexes_first = args.iter().any(|a| a == "--indexes-first");
    let batch = args
        .iter()
        .position(|a| a == "--batch")
        .and_then(|i| args.get(i + 1))
        .map_or(BATCH, |n| n.parse().expect("a batch size"));
    let sizes: Vec<u64> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--batch"))
        .map(|(_, a)| a.parse().expect("a contact count"))
        .collect();
    let sizes = if sizes.is_empty() { vec![10_000, 100_000] } else { sizes };
    for n in sizes {
        rt.block_on(run(n, indexes_first, batch));
    }
}
