//! Shared helpers for the pdpo benches.
#![forbid(unsafe_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use pdpo_core::{MemoryBlobStore, StoreError};
use pdpo_store::{SqlStore, sqlite_options, sqlx};
use pdpo_testkit::{Generator, LoadStats, load};

/// The testkit CRM loaded into a SQLite file.
#[derive(Debug)]
pub struct SqliteCrm {
    /// The store over the file.
    pub store: SqlStore,
    /// The attachments (in memory: the SQL adapters store records, not blobs).
    pub blobs: MemoryBlobStore,
    /// What the load wrote.
    pub stats: LoadStats,
    /// How long the load took.
    pub load_time: Duration,
}

/// Creates `dir/<name>.db` with the testkit DDL and loads `contacts` contacts (default seed) into
/// it, 5,000 records per change set.
pub async fn sqlite_crm(
    dir: &Path,
    name: &str,
    contacts: u64,
) -> Result<SqliteCrm, Box<dyn std::error::Error>> {
    let store = sqlite_store(dir, name, pdpo_testkit::SQLITE_DDL, pdpo_testkit::schema()).await?;
    let blobs = MemoryBlobStore::new();
    let t = Instant::now();
    let stats = load(&Generator::new(contacts, pdpo_testkit::DEFAULT_SEED), &store, &blobs, 5_000)
        .await
        .map_err(|e: StoreError| Box::new(e) as Box<dyn std::error::Error>)?;
    Ok(SqliteCrm { store, blobs, stats, load_time: t.elapsed() })
}

/// An empty SQLite file `dir/<name>.db` with `ddl` run, opened as a [`SqlStore`] for `schema`.
pub async fn sqlite_store(
    dir: &Path,
    name: &str,
    ddl: &'static str,
    schema: pdpo_core::Schema,
) -> Result<SqlStore, Box<dyn std::error::Error>> {
    let url = format!("sqlite://{}", dir.join(format!("{name}.db")).display());
    let pool = sqlx::sqlite::SqlitePoolOptions::new().connect_with(sqlite_options(&url)?).await?;
    sqlx::raw_sql(ddl).execute(&pool).await?;
    Ok(SqlStore::open(pool, schema).await?)
}

/// The median of some timings (the upper one of the middle two for an even count).
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// A field of `/proc/self/status` in KiB (`VmRSS:`, `VmHWM:`), on Linux.
pub fn status_kib(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets the process's peak resident size (`VmHWM`) to its current size, so the next
/// [`status_kib`]`("VmHWM:")` measures what follows. Linux only; `false` where unsupported.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// CPU time used by the whole process so far (user + system, all threads; SQLite runs on its
/// own worker thread), from `/proc/self/stat` in clock ticks (10 ms). Linux only. Under load,
/// CPU time is steadier than wall time.
pub fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at state, field 3.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// A single-threaded tokio runtime for the SQL stores.
pub fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => panic!("cannot start a tokio runtime: {e}"),
    }
}
