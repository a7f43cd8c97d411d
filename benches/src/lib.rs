//! Shared helpers for the pdpo benches.
#![forbid(unsafe_code)]

pub mod update;

use std::path::Path;
use std::time::{Duration, Instant};

use std::io::Read;

use pdpo_core::{BlobStore, MemoryBlobStore, StoreError, StoreErrorKind};
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

/// A fresh PostgreSQL database for one bench run, on the server at `PDPO_TEST_POSTGRES_URL`
/// (default `postgres://postgres@127.0.0.1:5432/test`), dropped by [`PgDatabase::drop`].
#[derive(Debug)]
pub struct PgDatabase {
    /// A pool on the new database.
    pub pool: sqlx::PgPool,
    admin: sqlx::PgPool,
    name: String,
}

impl PgDatabase {
    /// Creates the database `<prefix>_<process id>` (replacing a leftover of that name) and
    /// connects to it; `None` if the server does not answer within 5 s.
    pub async fn create(prefix: &'static str) -> Option<Self> {
        let url = std::env::var("PDPO_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let admin = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect(&url)
            .await
            .ok()?;
        let name = format!("{prefix}_{}", std::process::id());
        let exec = |sql: String| sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&admin);
        exec(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok()?;
        exec(format!("CREATE DATABASE {name}")).await.ok()?;
        let opts: sqlx::postgres::PgConnectOptions = url.parse().ok()?;
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect_with(opts.database(&name))
            .await
            .ok()?;
        Some(Self { pool, admin, name })
    }

    /// Closes the pool and drops the database.
    pub async fn drop(self) -> Result<(), sqlx::Error> {
        self.pool.close().await;
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&self.admin).await.map(drop)
    }
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

/// CPU seconds (user + system) this process has used so far: [`cpu_time`] as a float.
pub fn cpu_secs() -> Option<f64> {
    cpu_time().map(|d| d.as_secs_f64())
}

/// A [`BlobStore`] that keeps nothing: `put` drops the bytes, so a load bench measures the
/// database alone.
#[derive(Debug, Clone, Copy, Default)]
pub struct NullBlobs;

impl BlobStore for NullBlobs {
    async fn put(&self, _id: &str, _bytes: Vec<u8>) -> Result<(), StoreError> {
        Ok(())
    }
    async fn open(&self, id: &str) -> Result<Box<dyn Read + Send>, StoreError> {
        Err(StoreError::new(StoreErrorKind::NotFound, format!("blob {id} was not kept")))
    }
    async fn size(&self, id: &str) -> Result<u64, StoreError> {
        Err(StoreError::new(StoreErrorKind::NotFound, format!("blob {id} was not kept")))
    }
    async fn delete(&self, _id: &str) -> Result<bool, StoreError> {
        Ok(false)
    }
}

/// A single-threaded tokio runtime for the SQL stores.
pub fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => panic!("cannot start a tokio runtime: {e}"),
    }
}

/// A deterministic corpus of Hong Kong CRM notes (xorshift; no external data): English,
/// Traditional Chinese and mixed Cantonese-English prose with about one identifier per 250 bytes,
/// or, when `dense`, an identifier every ~50 bytes.
pub fn pii_corpus(target: usize, dense: bool) -> String {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let prose = [
        "Customer called about the renewal of the home insurance policy and asked for a quote before the end of the month. ",
        "Followed up on the complaint about the late delivery; the courier confirmed the parcel was left at the lobby. ",
        "客戶查詢續約事宜，表示希望下星期再跟進，並要求寄出最新的價目表及條款。 ",
        "已向客戶解釋退款程序，預計七至十個工作天內完成，客戶表示明白。 ",
        "佢話想轉plan，唔該下個禮拜再call返佢，記得send埋新嘅brochure。 ",
        "Meeting moved to Friday 3pm at the Kowloon Bay office; bring the signed forms and the invoice summary. ",
        "Invoice total HK$12,345.50 settled on 2024-03-15; order 88120045 shipped. ",
    ];
    let pii = [
        "HKID A123456(3)",
        "電話：9123 4567",
        "tel +852 6123 4567",
        "email chan.tm@example.com.hk",
        "身份證號碼 Ｂ２３４５６７（１）",
        "card 4111 1111 1111 1111",
        "陳大文先生",
        "Mr Wong Siu Ming",
        "DOB 15/03/1985",
        "Flat B, 12/F, 88 Nathan Road, Mong Kok, Kowloon",
        "身份证号 11010519491231002X",
        "Passport K12345678",
    ];
    let mut out = String::with_capacity(target + 256);
    while out.len() < target {
        if dense || next(2) == 0 {
            out.push_str(pii[next(pii.len() as u64) as usize]);
            out.push_str(if dense { ", " } else { ". " });
        }
        if !dense || next(4) == 0 {
            out.push_str(prose[next(prose.len() as u64) as usize]);
        }
        if next(6) == 0 {
            out.push('\n');
        }
    }
    out
}
