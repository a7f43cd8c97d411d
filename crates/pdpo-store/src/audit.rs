//! [`SqlAuditStore`]: pdpo-audit's tamper-evident log kept in SQLite or PostgreSQL, in the same
//! database as the CRM's data, so a change set's audit events commit in its own transaction.
//!
//! The tables and the drop procedure are documented on [`SqlAuditStore`].

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use pdpo_audit::{AuditStore, Body, Chain, Digest, EntryRow, Head, Month, Partition, Seal};
use pdpo_core::{AuditEvent, Clock, Identifier, StoreError, StoreErrorKind};
use sqlx::Row;

use crate::backend::{Conn, Handle, Pool};
use crate::error::{Error, Result, store_error};
use crate::migrate::migrate;
use crate::sql::{Bind, Dialect, MAX_BINDS, Quoted, Sql, quote};

/// Rows per page when scanning a partition.
const PAGE: usize = 4096;
/// Rows deleted per transaction when a dropped SQLite month is purged.
const PURGE_CHUNK: i64 = 4096;
/// Table name prefix of the monthly entry tables.
const PREFIX: &str = "_pdpo_audit_";
/// Table name prefix of months taken out of the log, still being purged.
const GONE: &str = "_pdpo_audit_gone_";

/// The [`AuditStore`] of pdpo-audit in SQLite or PostgreSQL: monthly entry tables (SQLite) or
/// partitions (PostgreSQL), a seals table and a locked head row.
///
/// - [`open`](Self::open) runs pdpo's migrations and creates the head row; one log per database
///   (or PostgreSQL schema): opening it under another origin is refused.
/// - [`append`](AuditStore::append) writes a batch in one transaction; its semantics are those of
///   [`MemoryAuditStore`](pdpo_audit::MemoryAuditStore), the reference implementation.
/// - [`SqlStore::with_audit`](crate::SqlStore::with_audit) chains each change set's events into
///   this log inside the change set's transaction; [`append_in`](Self::append_in) does the same
///   inside a transaction of your own.
///
/// Clones share the pool. `Debug` shows the origin and backend only.
///
/// # Several writers
/// Any number of handles, in one process or several, may append to one log: the head row's lock
/// makes their appends one linear chain. Their clocks may disagree: an entry is never dated before
/// the head, so a handle whose clock is still in a month that another handle has already sealed
/// appends to the next month, never past the seal.
///
/// # Tables (migration 2, `_pdpo_migrations` version 2)
///
/// | Table | What it holds |
/// |---|---|
/// | `_pdpo_audit_head` | One row (`id = 1`): the log's `origin` and its [`Head`] (`size`, `month` as `YYYY-MM`, `count`, `last`, `seals`, `sealed`, `seal`, `at` in µs since the epoch). Every append locks it (`SELECT … FOR UPDATE` on PostgreSQL; SQLite write transactions are `BEGIN IMMEDIATE`), which serialises writers into one linear chain. A handle that knows the committed head (its own last append) skips the read: it writes the new head with an `UPDATE` that matches only if the row still holds the head it chained on, and re-reads under lock when it does not. |
/// | `_pdpo_audit_seals` | One row per closed month, in order (`seq` from 1): `month`, `count`, `last`, `prev`, `sealed_at` (µs), `hash` ([`Seal`]). Kept forever; triggers refuse `UPDATE` and `DELETE`. |
/// | `_pdpo_audit_YYYY_MM` | The entries of one Hong Kong month ([`EntryRow`]): `idx` (primary key, from 0), `recorded_at` (µs), `prev`, `hash`, `body` (the canonical event bytes). SQLite: one table per month. PostgreSQL: a partition of `_pdpo_audit_entries`, which is `PARTITION BY LIST (month)` with `month = YYYYMM` as an extra column. Created on demand by the first append of the month, inside that append's transaction. |
///
/// Hashes are 32-byte `BLOB`/`BYTEA`; integers are `INTEGER`/`BIGINT`. Hashing is
/// [`Chain`]'s alone: this type only stores what [`Chain::append`] and [`Chain::seal_ended`]
/// return, and [`pdpo_audit::verify`] recomputes everything from the rows.
///
/// # Dropping a month
/// [`drop_partition`](AuditStore::drop_partition) first takes the month out of the log in one
/// short transaction (SQLite: `ALTER TABLE … RENAME` to `_pdpo_audit_gone_YYYY_MM`; PostgreSQL:
/// `DETACH PARTITION` then the rename, under `lock_timeout = 1s`), then deletes the rows: on
/// SQLite in chunks of a few thousand rows per transaction (`secure_delete` overwrites each
/// freed page, which for a big month would hold the write lock for seconds in one `DROP
/// TABLE`), then drops the empty table; on PostgreSQL with `DROP TABLE` on the detached table,
/// which no writer touches. Writers wait at most one chunk. A crash in between leaves a
/// `_pdpo_audit_gone_*` table that the next `drop_partition` finishes.
///
/// ```
/// use std::sync::Arc;
/// use pdpo_audit::{AuditStore, Scope, verify};
/// use pdpo_core::{Actor, AuditAction, AuditEvent, Identifier, SystemClock};
/// use pdpo_store::{SqlAuditStore, sqlite_options};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = pdpo_store::sqlx::SqlitePool::connect_with(sqlite_options("sqlite::memory:")?).await?;
/// let log = SqlAuditStore::open(pool, Identifier::new("acme-crm")?, Arc::new(SystemClock)).await?;
/// let staff = Actor::user("staff-17")?;
/// let head = log.append(&[AuditEvent::new(AuditAction::Login, staff, chrono::Utc::now())]).await?;
/// assert_eq!(head.size, 1);
/// assert!(verify(&log, Scope::All).await?.is_clean());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct SqlAuditStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    dialect: Dialect,
    chain: Chain,
    clock: Arc<dyn Clock>,
    /// The head as this handle last saw it committed: a hint that spares appends the head read.
    /// Every append that uses it checks it against the stored row in the same statement that
    /// writes the new head (see [`SqlAuditStore::append_bodies`]), so a stale hint costs a
    /// re-read, never a wrong chain.
    known: Mutex<Option<Head>>,
}

impl std::fmt::Debug for SqlAuditStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlAuditStore")
            .field("origin", self.inner.chain.origin())
            .field("backend", &backend(self.inner.dialect))
            .finish_non_exhaustive()
    }
}

fn backend(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => "sqlite",
        Dialect::Postgres => "postgres",
    }
}

fn dialect_of(conn: &Conn<'_>) -> Dialect {
    match conn {
        #[cfg(feature = "sqlite")]
        Conn::Sqlite(_) => Dialect::Sqlite,
        #[cfg(feature = "postgres")]
        Conn::Postgres(_) => Dialect::Postgres,
    }
}

fn corrupt(message: String) -> StoreError {
    StoreError::new(StoreErrorKind::Backend, message)
}

/// A connection the log can append through inside the caller's transaction:
/// `sqlx::SqliteConnection` and `sqlx::PgConnection` (pass `&mut *tx` for a
/// `sqlx::Transaction`). Sealed.
pub trait AuditConnection: sealed::Sealed + Send {}

mod sealed {
    /// The borrowed connection behind an [`AuditConnection`](super::AuditConnection).
    pub struct ConnRef<'a>(pub(super) crate::backend::Conn<'a>);

    /// Implemented for the sqlx connections only.
    pub trait Sealed {
        fn audit_conn(&mut self) -> ConnRef<'_>;
    }
}

#[cfg(feature = "sqlite")]
impl sealed::Sealed for sqlx::SqliteConnection {
    fn audit_conn(&mut self) -> sealed::ConnRef<'_> {
        sealed::ConnRef(Conn::Sqlite(self))
    }
}
#[cfg(feature = "sqlite")]
impl AuditConnection for sqlx::SqliteConnection {}

#[cfg(feature = "postgres")]
impl sealed::Sealed for sqlx::PgConnection {
    fn audit_conn(&mut self) -> sealed::ConnRef<'_> {
        sealed::ConnRef(Conn::Postgres(self))
    }
}
#[cfg(feature = "postgres")]
impl AuditConnection for sqlx::PgConnection {}

/// Typed column access on either backend's rows.
trait Cols {
    fn int(&self, i: usize) -> Result<i64, sqlx::Error>;
    fn bytes(&self, i: usize) -> Result<Vec<u8>, sqlx::Error>;
    fn text(&self, i: usize) -> Result<Option<String>, sqlx::Error>;
}

macro_rules! cols {
    ($row:ty) => {
        impl Cols for $row {
            fn int(&self, i: usize) -> Result<i64, sqlx::Error> {
                self.try_get(i)
            }
            fn bytes(&self, i: usize) -> Result<Vec<u8>, sqlx::Error> {
                self.try_get(i)
            }
            fn text(&self, i: usize) -> Result<Option<String>, sqlx::Error> {
                self.try_get(i)
            }
        }
    };
}
#[cfg(feature = "sqlite")]
cols!(sqlx::sqlite::SqliteRow);
#[cfg(feature = "postgres")]
cols!(sqlx::postgres::PgRow);

/// Runs a statement on a borrowed connection; returns the rows affected. Kept prepared on
/// PostgreSQL too (the text is signed with its binds' kinds: see [`Sql::finish_signed`]): one
/// round trip instead of a parse and an execute.
async fn execute(conn: &mut Conn<'_>, sql: Sql, what: &str) -> Result<u64, StoreError> {
    let (text, binds) = sql.finish_signed();
    let done = match conn {
        #[cfg(feature = "sqlite")]
        Conn::Sqlite(c) => crate::backend::bind_sqlite(sqlx::query(text), binds)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected()),
        #[cfg(feature = "postgres")]
        Conn::Postgres(c) => crate::backend::bind_pg(sqlx::query(text), binds)
            .persistent(true)
            .execute(&mut **c)
            .await
            .map(|r| r.rows_affected()),
    };
    done.map_err(|e| store_error(&e, what, false))
}

/// Runs a query on a borrowed connection and maps each row. Every query of the log has a text
/// that fixes its parameter types, so it is kept prepared on PostgreSQL too.
async fn fetch<T>(
    conn: &mut Conn<'_>,
    sql: Sql,
    what: &str,
    map: impl Fn(&dyn Cols) -> Result<T, sqlx::Error> + Send,
) -> Result<Vec<T>, StoreError> {
    let (text, binds) = sql.finish_signed();
    let rows: Result<Vec<T>, sqlx::Error> = match conn {
        #[cfg(feature = "sqlite")]
        Conn::Sqlite(c) => crate::backend::bind_sqlite(sqlx::query(text), binds)
            .fetch_all(&mut **c)
            .await
            .and_then(|rows| rows.iter().map(|r| map(r)).collect()),
        #[cfg(feature = "postgres")]
        Conn::Postgres(c) => crate::backend::bind_pg(sqlx::query(text), binds)
            .persistent(true)
            .fetch_all(&mut **c)
            .await
            .and_then(|rows| rows.iter().map(|r| map(r)).collect()),
    };
    rows.map_err(|e| store_error(&e, what, false))
}

fn int(v: u64, what: &str) -> Result<Bind, StoreError> {
    i64::try_from(v)
        .map(Bind::Int)
        .map_err(|_| corrupt(format!("audit log: {what} exceeds the SQL integer range")))
}

fn uint(v: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| corrupt(format!("audit log: {what} is negative")))
}

fn digest(bytes: Vec<u8>, what: &str) -> Result<Digest, StoreError> {
    <[u8; 32]>::try_from(bytes).map(Digest).map_err(|_| corrupt(format!("audit log: {what} is not 32 bytes")))
}

fn micros(v: i64, what: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(v).ok_or_else(|| corrupt(format!("audit log: {what} is out of range")))
}

fn month_text(s: Option<String>, what: &str) -> Result<Option<Month>, StoreError> {
    s.map(|s| s.parse().map_err(|_| corrupt(format!("audit log: {what} is not a month")))).transpose()
}

/// The entry table of `month`: `_pdpo_audit_YYYY_MM`.
fn table_name(prefix: &str, month: Month) -> String {
    format!("{prefix}{:04}_{:02}", month.year(), month.month())
}

fn quoted(name: &str) -> Result<Quoted, StoreError> {
    quote(name).ok_or_else(|| corrupt(format!("audit log: `{name}` is not a table name")))
}

/// The month of an entry table name with `prefix`, if it is one.
fn parse_table(name: &str, prefix: &str) -> Option<Month> {
    let rest = name.strip_prefix(prefix)?;
    let (y, m) = rest.split_once('_')?;
    if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    Month::new(y.parse().ok()?, m.parse().ok()?).ok()
}

/// `YYYYMM`: the PostgreSQL partition key.
fn month_key(m: Month) -> i64 {
    i64::from(m.year()) * 100 + i64::from(m.month())
}

struct RawHead {
    origin: String,
    head: Head,
}

fn head_from(r: &dyn Cols) -> Result<Result<RawHead, StoreError>, sqlx::Error> {
    let origin = r.text(0)?.unwrap_or_default();
    let (size, month, count, last) = (r.int(1)?, r.text(2)?, r.int(3)?, r.bytes(4)?);
    let (seals, sealed, seal, at) = (r.int(5)?, r.text(6)?, r.bytes(7)?, r.int(8)?);
    Ok((|| {
        Ok(RawHead {
            origin,
            head: Head {
                size: uint(size, "head size")?,
                month: month_text(month, "head month")?,
                count: uint(count, "head count")?,
                last: digest(last, "head last")?,
                seals: uint(seals, "head seals")?,
                sealed: month_text(sealed, "head sealed month")?,
                seal: digest(seal, "head seal")?,
                at: micros(at, "head time")?,
            },
        })
    })())
}

fn seal_from(r: &dyn Cols) -> Result<Result<Seal, StoreError>, sqlx::Error> {
    let (month, count, last, prev, at, hash) =
        (r.text(0)?, r.int(1)?, r.bytes(2)?, r.bytes(3)?, r.int(4)?, r.bytes(5)?);
    Ok((|| {
        Ok(Seal {
            month: month_text(month, "seal month")?
                .ok_or_else(|| corrupt("audit log: a seal has no month".into()))?,
            count: uint(count, "seal count")?,
            last: digest(last, "seal last")?,
            prev: digest(prev, "seal prev")?,
            sealed_at: micros(at, "seal time")?,
            hash: digest(hash, "seal hash")?,
        })
    })())
}

fn entry_from(r: &dyn Cols) -> Result<Result<EntryRow, StoreError>, sqlx::Error> {
    let (index, at, prev, hash, body) = (r.int(0)?, r.int(1)?, r.bytes(2)?, r.bytes(3)?, r.bytes(4)?);
    Ok((|| {
        Ok(EntryRow {
            index: uint(index, "entry index")?,
            recorded_at: micros(at, "entry time")?,
            prev: digest(prev, "entry prev")?,
            hash: digest(hash, "entry hash")?,
            body,
        })
    })())
}

/// Flattens the per-row results of [`fetch`].
fn rows<T>(v: Vec<Result<T, StoreError>>) -> Result<Vec<T>, StoreError> {
    v.into_iter().collect()
}

const HEAD_COLS: &str =
    "SELECT origin, size, month, count, last, seals, sealed, seal, at FROM _pdpo_audit_head WHERE id = 1";

/// Reads the head row, locking it for the transaction on PostgreSQL when `lock`.
async fn read_head(conn: &mut Conn<'_>, lock: bool) -> Result<RawHead, StoreError> {
    let dialect = dialect_of(conn);
    let mut sql = Sql::new(dialect);
    sql.push(HEAD_COLS);
    if lock && dialect == Dialect::Postgres {
        sql.push(" FOR UPDATE");
    }
    rows(fetch(conn, sql, "reading the audit head", head_from).await?)?.pop().ok_or_else(|| {
        StoreError::new(
            StoreErrorKind::Audit,
            "the audit head row is missing: open SqlAuditStore on this database first",
        )
    })
}

async fn write_head(conn: &mut Conn<'_>, head: &Head) -> Result<(), StoreError> {
    let mut sql = Sql::new(dialect_of(conn));
    sql.push("UPDATE _pdpo_audit_head SET size = ").bind(int(head.size, "head size")?, None);
    sql.push(", month = ").bind(head.month.map_or(Bind::Null, |m| Bind::text(m.to_string())), None);
    sql.push(", count = ").bind(int(head.count, "head count")?, None);
    sql.push(", last = ").bind(Bind::Bytes(head.last.0.to_vec()), None);
    sql.push(", seals = ").bind(int(head.seals, "head seals")?, None);
    sql.push(", sealed = ").bind(head.sealed.map_or(Bind::Null, |m| Bind::text(m.to_string())), None);
    sql.push(", seal = ").bind(Bind::Bytes(head.seal.0.to_vec()), None);
    sql.push(", at = ").bind(Bind::Int(head.at.timestamp_micros()), None);
    sql.push(" WHERE id = 1");
    execute(conn, sql, "writing the audit head").await.map(drop)
}

/// Writes `new` over the head row if it still holds `known`; whether it did.
async fn write_head_if(conn: &mut Conn<'_>, known: &Head, new: &Head) -> Result<bool, StoreError> {
    let mut sql = Sql::new(dialect_of(conn));
    head_update_if(&mut sql, known, new)?;
    Ok(execute(conn, sql, "writing the audit head").await? == 1)
}

/// `UPDATE _pdpo_audit_head SET <new> WHERE <the row equals known>`.
fn head_update_if(sql: &mut Sql, known: &Head, new: &Head) -> Result<(), StoreError> {
    let same = match sql.dialect() {
        Dialect::Sqlite => " IS ",
        Dialect::Postgres => " IS NOT DISTINCT FROM ",
    };
    let month = |m: Option<Month>| m.map_or(Bind::Null, |m| Bind::text(m.to_string()));
    sql.push("UPDATE _pdpo_audit_head SET size = ").bind(int(new.size, "head size")?, None);
    sql.push(", month = ").bind(month(new.month), None);
    sql.push(", count = ").bind(int(new.count, "head count")?, None);
    sql.push(", last = ").bind(Bind::Bytes(new.last.0.to_vec()), None);
    sql.push(", seals = ").bind(int(new.seals, "head seals")?, None);
    sql.push(", sealed = ").bind(month(new.sealed), None);
    sql.push(", seal = ").bind(Bind::Bytes(new.seal.0.to_vec()), None);
    sql.push(", at = ").bind(Bind::Int(new.at.timestamp_micros()), None);
    sql.push(" WHERE id = 1 AND size = ").bind(int(known.size, "head size")?, None);
    sql.push(" AND month").push(same).bind(month(known.month), None);
    sql.push(" AND count = ").bind(int(known.count, "head count")?, None);
    sql.push(" AND last = ").bind(Bind::Bytes(known.last.0.to_vec()), None);
    sql.push(" AND seals = ").bind(int(known.seals, "head seals")?, None);
    sql.push(" AND sealed").push(same).bind(month(known.sealed), None);
    sql.push(" AND seal = ").bind(Bind::Bytes(known.seal.0.to_vec()), None);
    sql.push(" AND at = ").bind(Bind::Int(known.at.timestamp_micros()), None);
    Ok(())
}

/// The fast path's one statement: the head written where it still equals `known`, and `rows`
/// (all of one month) inserted only if it was. Returns whether the head matched (if not, nothing
/// was written), or `None` when the rows are too many for one statement (SQLite's bind limit).
///
/// PostgreSQL: `WITH h AS (UPDATE .. RETURNING 1) INSERT .. SELECT .. FROM unnest(..), h`.
/// SQLite (no data-modifying CTEs): the `UPDATE`, then `INSERT .. SELECT .. FROM (VALUES ..)
/// WHERE changes() = 1`, sent together (`changes()` is the row count of the `UPDATE`, the last
/// statement completed on the connection).
async fn write_head_and_rows(
    conn: &mut Conn<'_>,
    known: &Head,
    new: &Head,
    month: Month,
    rows: &[EntryRow],
) -> Result<Option<bool>, StoreError> {
    let table = quoted(&table_name(PREFIX, month))?;
    let what = format!("appending to the audit partition of {month}");
    let mut sql = Sql::new(dialect_of(conn));
    match conn {
        #[cfg(feature = "postgres")]
        Conn::Postgres(c) => {
            sql.push("WITH ");
            push_head_cte(&mut sql, known, new)?;
            sql.push(" ");
            push_entries_after_head(&mut sql, &table, month);
            let inserted =
                execute_with_entries(c, sql, rows).await.map_err(|e| store_error(&e, &what, false))?;
            Ok(Some(inserted == rows.len() as u64))
        }
        #[cfg(feature = "sqlite")]
        Conn::Sqlite(_) => {
            if rows.is_empty() || (rows.len() + 4) * 5 > MAX_BINDS {
                return Ok(None);
            }
            head_update_if(&mut sql, known, new)?;
            sql.push("; INSERT INTO ").ident(&table).push(
                " (idx, recorded_at, prev, hash, body) \
                 SELECT column1, column2, column3, column4, column5 FROM (VALUES ",
            );
            for (i, r) in rows.iter().enumerate() {
                sql.push(if i > 0 { ", (" } else { "(" });
                sql.bind(int(r.index, "entry index")?, None).push(", ");
                sql.bind(Bind::Int(r.recorded_at.timestamp_micros()), None).push(", ");
                sql.bind(Bind::Bytes(r.prev.0.to_vec()), None).push(", ");
                sql.bind(Bind::Bytes(r.hash.0.to_vec()), None).push(", ");
                sql.bind(Bind::Bytes(r.body.clone()), None).push(")");
            }
            sql.push(") WHERE changes() = 1");
            // The head's one row and the entries, or nothing.
            match execute(conn, sql, &what).await? {
                0 => Ok(Some(false)),
                n if n == rows.len() as u64 + 1 => Ok(Some(true)),
                n => Err(corrupt(format!("audit log: the append wrote {n} rows for {} entries", rows.len()))),
            }
        }
    }
}

/// The log bodies of `events`.
fn encode_all(events: &[AuditEvent]) -> Result<Vec<Body>, StoreError> {
    events.iter().map(Body::encode).collect::<Result<Vec<_>, _>>().map_err(|e| {
        StoreError::new(StoreErrorKind::Audit, "an audit event is too large for the log").with_source(e)
    })
}

/// The result of chaining a batch on a head.
struct Chained {
    head: Head,
    seals: Vec<(u64, Seal)>,
    runs: Vec<(Month, Vec<EntryRow>)>,
}

async fn insert_seal(conn: &mut Conn<'_>, seq: u64, s: &Seal) -> Result<(), StoreError> {
    let mut sql = Sql::new(dialect_of(conn));
    sql.push("INSERT INTO _pdpo_audit_seals (seq, month, count, last, prev, sealed_at, hash) VALUES (");
    sql.bind(int(seq, "seal number")?, None).push(", ");
    sql.bind(Bind::text(s.month.to_string()), None).push(", ");
    sql.bind(int(s.count, "seal count")?, None).push(", ");
    sql.bind(Bind::Bytes(s.last.0.to_vec()), None).push(", ");
    sql.bind(Bind::Bytes(s.prev.0.to_vec()), None).push(", ");
    sql.bind(Bind::Int(s.sealed_at.timestamp_micros()), None).push(", ");
    sql.bind(Bind::Bytes(s.hash.0.to_vec()), None).push(")");
    execute(conn, sql, &format!("inserting the seal of {}", s.month)).await.map(drop)
}

async fn create_partition(conn: &mut Conn<'_>, month: Month) -> Result<(), StoreError> {
    let dialect = dialect_of(conn);
    let table = quoted(&table_name(PREFIX, month))?;
    let mut sql = Sql::new(dialect);
    sql.push("CREATE TABLE IF NOT EXISTS ").ident(&table);
    match dialect {
        Dialect::Sqlite => {
            sql.push(
                " (idx INTEGER PRIMARY KEY NOT NULL, recorded_at INTEGER NOT NULL, \
                 prev BLOB NOT NULL, hash BLOB NOT NULL, body BLOB NOT NULL)",
            );
        }
        Dialect::Postgres => {
            sql.push(" PARTITION OF _pdpo_audit_entries FOR VALUES IN (").int(month_key(month)).push(")");
        }
    }
    execute(conn, sql, &format!("creating the audit partition of {month}")).await.map(drop)
}

/// Inserts `rows` into `month`'s table: multi-row statements on SQLite, one `unnest` statement
/// on PostgreSQL.
async fn insert_rows(
    conn: &mut Conn<'_>,
    month: Month,
    rows: &[EntryRow],
    step: &mut (dyn FnMut() -> Result<(), StoreError> + Send),
) -> Result<(), StoreError> {
    let dialect = dialect_of(conn);
    let table = quoted(&table_name(PREFIX, month))?;
    match conn {
        #[cfg(feature = "postgres")]
        Conn::Postgres(c) => {
            step()?;
            return insert_rows_pg(c, month, &table, rows).await;
        }
        #[allow(unreachable_patterns)]
        _ => {}
    }
    let per_row = if dialect == Dialect::Postgres { 6 } else { 5 };
    for chunk in rows.chunks(MAX_BINDS / per_row) {
        let mut sql = Sql::new(dialect);
        sql.push("INSERT INTO ").ident(&table);
        sql.push(match dialect {
            Dialect::Sqlite => " (idx, recorded_at, prev, hash, body) VALUES ",
            Dialect::Postgres => " (idx, recorded_at, prev, hash, body, month) VALUES ",
        });
        for (i, r) in chunk.iter().enumerate() {
            sql.push(if i > 0 { ", (" } else { "(" });
            sql.bind(int(r.index, "entry index")?, None).push(", ");
            sql.bind(Bind::Int(r.recorded_at.timestamp_micros()), None).push(", ");
            sql.bind(Bind::Bytes(r.prev.0.to_vec()), None).push(", ");
            sql.bind(Bind::Bytes(r.hash.0.to_vec()), None).push(", ");
            sql.bind(Bind::Bytes(r.body.clone()), None);
            if dialect == Dialect::Postgres {
                sql.push(", ").bind(Bind::Int(month_key(month)), Some("integer"));
            }
            sql.push(")");
        }
        step()?;
        execute(conn, sql, &format!("appending to the audit partition of {month}")).await?;
    }
    Ok(())
}

/// PostgreSQL: every row of `month` in one `INSERT ... SELECT ... FROM unnest(...)` of five
/// array binds, whatever the batch size: one statement, one text per month (kept prepared), and
/// no per-row placeholders for the server to parse and plan.
#[cfg(feature = "postgres")]
async fn insert_rows_pg(
    conn: &mut sqlx::PgConnection,
    month: Month,
    table: &Quoted,
    rows: &[EntryRow],
) -> Result<(), StoreError> {
    let mut sql = Sql::new(Dialect::Postgres);
    sql.push("INSERT INTO ").ident(table);
    sql.push(" (month, idx, recorded_at, prev, hash, body) SELECT ").int(month_key(month));
    push_entry_unnest(&mut sql, 1);
    execute_with_entries(conn, sql, rows)
        .await
        .map(drop)
        .map_err(|e| store_error(&e, &format!("appending to the audit partition of {month}"), false))
}

/// Appends `h AS (UPDATE head .. RETURNING 1)`: the PostgreSQL head write of the fast path as a
/// CTE named `h`, one row where the stored head still equals `known` (see [`head_update_if`]).
#[cfg(feature = "postgres")]
fn push_head_cte(sql: &mut Sql, known: &Head, new: &Head) -> Result<(), StoreError> {
    sql.push("h AS (");
    head_update_if(sql, known, new)?;
    sql.push(" RETURNING 1)");
    Ok(())
}

/// Appends `INSERT INTO <month's partition> (..) SELECT <month>, u.idx, .. FROM unnest(..), h`:
/// the entry rows, inserted only if the CTE `h` of [`push_head_cte`] wrote the head. The arrays
/// are bound by [`with_entries`].
#[cfg(feature = "postgres")]
fn push_entries_after_head(sql: &mut Sql, table: &Quoted, month: Month) {
    sql.push("INSERT INTO ").ident(table);
    sql.push(" (month, idx, recorded_at, prev, hash, body) SELECT ").int(month_key(month));
    let first = sql.bind_count() + 1;
    push_entry_unnest(sql, first);
    sql.push(", h");
}

/// Appends `, u.idx, .. FROM unnest(CAST($n AS bigint[]), ..) AS u(idx, recorded_at, prev, hash,
/// body)`: the five columns of the entry rows, bound by [`execute_with_entries`] at placeholders
/// `first..first + 4`.
#[cfg(feature = "postgres")]
fn push_entry_unnest(sql: &mut Sql, first: usize) {
    sql.push(", u.idx, u.recorded_at, u.prev, u.hash, u.body FROM unnest(");
    for (i, ty) in ["bigint[]", "bigint[]", "bytea[]", "bytea[]", "bytea[]"].into_iter().enumerate() {
        sql.push(if i > 0 { ", CAST($" } else { "CAST($" }).int((first + i) as i64);
        sql.push(" AS ").push(ty).push(")");
    }
    sql.push(") AS u(idx, recorded_at, prev, hash, body)");
}

/// The query of `sql` bound with its own binds first, then the five column arrays of `rows`
/// that [`push_entry_unnest`] placed; kept prepared.
#[cfg(feature = "postgres")]
fn with_entries<'q>(
    sql: Sql,
    rows: &'q [EntryRow],
) -> Result<sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>, sqlx::Error> {
    let mut idx = Vec::with_capacity(rows.len());
    let mut at = Vec::with_capacity(rows.len());
    let (mut prev, mut hash, mut body) =
        (Vec::with_capacity(rows.len()), Vec::with_capacity(rows.len()), Vec::with_capacity(rows.len()));
    for r in rows {
        idx.push(i64::try_from(r.index).map_err(|_| {
            sqlx::Error::Protocol("audit log: entry index exceeds the SQL integer range".into())
        })?);
        at.push(r.recorded_at.timestamp_micros());
        prev.push(&r.prev.0[..]);
        hash.push(&r.hash.0[..]);
        body.push(&r.body[..]);
    }
    let (text, binds) = sql.finish_signed();
    Ok(crate::backend::bind_pg(sqlx::query(text), binds)
        .persistent(true)
        .bind(idx)
        .bind(at)
        .bind(prev)
        .bind(hash)
        .bind(body))
}

/// Runs `sql` with the entry arrays of `rows` (see [`with_entries`]); returns the rows affected.
#[cfg(feature = "postgres")]
async fn execute_with_entries(
    conn: &mut sqlx::PgConnection,
    sql: Sql,
    rows: &[EntryRow],
) -> Result<u64, sqlx::Error> {
    with_entries(sql, rows)?.execute(conn).await.map(|r| r.rows_affected())
}

/// A fast-path append prepared by [`SqlAuditStore::plan_after`]: the events chained on the
/// known head, to be written in the statement of a data change.
#[cfg(feature = "postgres")]
#[derive(Debug)]
pub(crate) struct AppendAfter {
    known: Head,
    head: Head,
    month: Month,
    rows: Vec<EntryRow>,
}

#[cfg(feature = "postgres")]
impl AppendAfter {
    /// Runs `data` and this append as one PostgreSQL statement; returns the rows `data`
    /// changed and, if the stored head still was the known one, the new head (`None`: nothing
    /// was appended; append the usual way, in the same transaction).
    ///
    /// `data` must hold `WITH d AS (<a data-modifying statement> RETURNING 1)`; this appends
    /// `, h AS (UPDATE head .. RETURNING 1), i AS (INSERT .. SELECT .. FROM unnest(..), h
    /// RETURNING 1) SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM h), (SELECT count(*)
    /// FROM i)`: the head written where it still equals the known one (the row is locked and the
    /// condition rechecked, as in [`write_head_and_rows`]), the rows inserted only if it was. A
    /// head written without all its rows is refused (the transaction must roll back).
    pub(crate) async fn run(
        self,
        conn: &mut Conn<'_>,
        mut data: Sql,
        what: &str,
    ) -> Result<(u64, Option<Head>), StoreError> {
        #[allow(irrefutable_let_patterns)]
        let Conn::Postgres(c) = conn else {
            return Err(StoreError::new(StoreErrorKind::Backend, "a fused audit append needs PostgreSQL"));
        };
        let table = quoted(&table_name(PREFIX, self.month))?;
        data.push(", ");
        push_head_cte(&mut data, &self.known, &self.head)?;
        data.push(", i AS (");
        push_entries_after_head(&mut data, &table, self.month);
        data.push(" RETURNING 1) SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM h), (SELECT count(*) FROM i)");
        let counts = match with_entries(data, &self.rows) {
            Ok(q) => q.fetch_one(&mut **c).await.and_then(|r| {
                Ok((r.try_get::<i64, _>(0)?, r.try_get::<i64, _>(1)?, r.try_get::<i64, _>(2)?))
            }),
            Err(e) => Err(e),
        };
        let (changed, head_written, inserted) = counts.map_err(|e| store_error(&e, what, false))?;
        let all = usize::try_from(inserted).is_ok_and(|n| n == self.rows.len());
        match (head_written, all) {
            (0, _) => Ok((u64::try_from(changed).unwrap_or(0), None)),
            (1, true) => Ok((u64::try_from(changed).unwrap_or(0), Some(self.head))),
            _ => Err(corrupt(format!(
                "audit log: the append wrote the head and {inserted} of {} entries",
                self.rows.len()
            ))),
        }
    }
}

impl SqlAuditStore {
    /// Opens the log named `origin` on `pool`, recording times from `clock`: runs pdpo's
    /// migrations (the audit tables are migration 2) and creates the head row of an empty log
    /// if there is none.
    ///
    /// Fails if the database already holds a log under another origin (one log per database or
    /// PostgreSQL schema), or with the migration errors of [`migrate`](crate::migrate()).
    pub async fn open(pool: impl Into<Pool>, origin: Identifier, clock: Arc<dyn Clock>) -> Result<Self> {
        let pool = pool.into();
        let dialect = pool.dialect();
        migrate(&pool).await?;
        let chain = Chain::new(origin);
        let empty = chain.head();
        let mut h = pool.begin().await.map_err(Error::db("starting a transaction"))?;
        let mut sql = Sql::new(dialect);
        sql.push(
            "INSERT INTO _pdpo_audit_head (id, origin, size, month, count, last, seals, sealed, seal, at) \
             VALUES (1, ",
        );
        sql.bind(Bind::text(chain.origin().to_string()), None);
        sql.push(", 0, NULL, 0, ").bind(Bind::Bytes(empty.last.0.to_vec()), None);
        sql.push(", 0, NULL, ").bind(Bind::Bytes(empty.seal.0.to_vec()), None);
        sql.push(", ").bind(Bind::Int(empty.at.timestamp_micros()), None);
        sql.push(") ON CONFLICT (id) DO NOTHING");
        execute(&mut h.conn(), sql, "creating the audit head").await?;
        let stored = read_head(&mut h.conn(), false).await?;
        if stored.origin != chain.origin().as_str() {
            return Err(Error::Store(StoreError::new(
                StoreErrorKind::Invalid,
                format!(
                    "this database holds the audit log `{}`, not `{}`: one log per database or schema",
                    stored.origin,
                    chain.origin()
                ),
            )));
        }
        h.commit().await.map_err(Error::db("committing"))?;
        let known = Mutex::new(Some(stored.head));
        Ok(Self { inner: Arc::new(Inner { pool, dialect, chain, clock, known }) })
    }

    /// The pool.
    pub fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    fn err(&self, source: StoreError) -> pdpo_audit::Error {
        pdpo_audit::Error::Store { backend: backend(self.inner.dialect), source }
    }

    async fn begin(&self) -> Result<Handle, StoreError> {
        self.inner.pool.begin().await.map_err(|e| store_error(&e, "starting a transaction", false))
    }

    async fn handle(&self) -> Result<Handle, StoreError> {
        self.inner.pool.acquire().await.map_err(|e| store_error(&e, "connecting", false))
    }

    /// Appends `events` to the log on `conn` (a transaction the caller commits or rolls back),
    /// as [`append_bodies`](Self::append_bodies) describes; returns the new head, which the
    /// caller passes to [`remember`](Self::remember) once committed. `step` runs before each
    /// statement (fault injection).
    pub(crate) async fn append_on(
        &self,
        conn: &mut Conn<'_>,
        events: &[AuditEvent],
        step: &mut (dyn FnMut() -> Result<(), StoreError> + Send),
    ) -> Result<Head, StoreError> {
        self.append_bodies(conn, encode_all(events)?, step).await
    }

    /// Forgets the committed head (it moved under this handle): the next append reads it under
    /// lock instead of trying the known one first.
    #[cfg(feature = "postgres")]
    pub(crate) fn forget(&self) {
        *self.inner.known.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Records `head` as committed (called after the commit of an append that returned it).
    pub(crate) fn remember(&self, head: Head) {
        *self.inner.known.lock().unwrap_or_else(PoisonError::into_inner) = Some(head);
    }

    fn known(&self) -> Option<Head> {
        self.inner.known.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Prepares the fast-path append of `events` to run inside a data statement (see
    /// [`AppendAfter::run`]), or `None` when the fast path does not apply: no events, no known
    /// head, or a batch that seals a month, starts one or spans two.
    #[cfg(feature = "postgres")]
    pub(crate) fn plan_after(&self, events: &[AuditEvent]) -> Result<Option<AppendAfter>, StoreError> {
        let bodies = encode_all(events)?;
        let Some((known, Chained { head, mut runs, .. })) = self.chain_fast(&bodies, self.inner.clock.now())
        else {
            return Ok(None);
        };
        match (runs.pop(), runs.is_empty()) {
            (Some((month, rows)), true) => Ok(Some(AppendAfter { known, head, month, rows })),
            _ => Ok(None),
        }
    }

    /// The fast path's chaining: `bodies` chained on the known head, with that head; `None`
    /// when there is nothing to chain, the head is not known, or the batch seals a month or
    /// starts one (the slow path creates partitions and seals).
    fn chain_fast(&self, bodies: &[Body], now: DateTime<Utc>) -> Option<(Head, Chained)> {
        let known = self.known().filter(|_| !bodies.is_empty())?;
        let fast = self.chain_on(known.clone(), bodies.to_vec(), now);
        let starts_month = fast.runs.iter().any(|(_, rows)| rows.first().is_some_and(|r| r.index == 0));
        (fast.seals.is_empty() && !starts_month).then_some((known, fast))
    }

    /// Chains `bodies` on `head`: the new head, the seals to insert (with their numbers) and
    /// the rows, in runs per month (one batch spans at most two months).
    fn chain_on(&self, mut head: Head, bodies: Vec<Body>, now: DateTime<Utc>) -> Chained {
        let mut runs: Vec<(Month, Vec<EntryRow>)> = Vec::new();
        let mut seals = Vec::new();
        for body in bodies {
            let a = self.inner.chain.append(&mut head, body, now);
            if let Some(seal) = a.seal {
                seals.push((head.seals, seal));
            }
            match runs.last_mut() {
                Some((m, rows)) if *m == a.month => rows.push(a.row),
                _ => runs.push((a.month, vec![a.row])),
            }
        }
        Chained { head, seals, runs }
    }

    /// Appends on `conn` (inside the caller's transaction) and returns the new head.
    ///
    /// Fast path, when this handle knows the committed head and the batch neither seals a
    /// month nor starts one: the events are chained on the known head, then one statement writes
    /// the new head only where the stored row still equals the known one (the writers'
    /// serialisation point: SQLite's write lock is held since `BEGIN IMMEDIATE`, PostgreSQL
    /// locks the row and rechecks the condition) and inserts the rows only if it did (see
    /// `write_head_and_rows`; on SQLite, batches of more than about 2,000 rows take an `UPDATE` and the inserts).
    /// If the stored head differs (another handle or process appended, a transaction rolled
    /// back), the slow path runs: the head row is read under lock, the events chained on it,
    /// the seals, partition and rows inserted, the head written.
    async fn append_bodies(
        &self,
        conn: &mut Conn<'_>,
        bodies: Vec<Body>,
        step: &mut (dyn FnMut() -> Result<(), StoreError> + Send),
    ) -> Result<Head, StoreError> {
        let now = self.inner.clock.now();
        if let Some((known, fast)) = self.chain_fast(&bodies, now) {
            step()?;
            let fused = match &fast.runs[..] {
                [(month, rows)] => write_head_and_rows(conn, &known, &fast.head, *month, rows).await?,
                _ => None,
            };
            match fused {
                Some(true) => return Ok(fast.head),
                Some(false) => {}
                None => {
                    if write_head_if(conn, &known, &fast.head).await? {
                        for (month, rows) in &fast.runs {
                            insert_rows(conn, *month, rows, step).await?;
                        }
                        return Ok(fast.head);
                    }
                }
            }
        }
        step()?;
        let stored = read_head(conn, true).await?;
        if bodies.is_empty() {
            return Ok(stored.head);
        }
        let chain = &self.inner.chain;
        if stored.origin != chain.origin().as_str() {
            return Err(StoreError::new(
                StoreErrorKind::Audit,
                format!("this database holds the audit log `{}`, not `{}`", stored.origin, chain.origin()),
            ));
        }
        let Chained { head, seals, runs } = self.chain_on(stored.head, bodies, now);
        for (seq, seal) in &seals {
            step()?;
            insert_seal(conn, *seq, seal).await?;
        }
        for (month, rows) in &runs {
            if rows.first().is_some_and(|r| r.index == 0) {
                step()?;
                create_partition(conn, *month).await?;
            }
            insert_rows(conn, *month, rows, step).await?;
        }
        step()?;
        write_head(conn, &head).await?;
        Ok(head)
    }

    /// Appends `events` inside the caller's own transaction, for CRMs that use sqlx themselves:
    /// the events commit or roll back with the caller's changes. The connection must be on the
    /// database this log was opened on. Locks the head row until the caller's transaction ends
    /// (on SQLite, begin the transaction with `BEGIN IMMEDIATE`, as
    /// `pool.begin_with("BEGIN IMMEDIATE")`, so concurrent writers queue instead of failing).
    /// Returns the head as it will be once the transaction commits.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pdpo_audit::AuditStore;
    /// use pdpo_core::{Actor, AuditAction, AuditEvent, Identifier, SystemClock};
    /// use pdpo_store::{SqlAuditStore, sqlite_options, sqlx};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = sqlx::SqlitePool::connect_with(sqlite_options("sqlite::memory:")?).await?;
    /// sqlx::raw_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)").execute(&pool).await?;
    /// let log = SqlAuditStore::open(pool.clone(), Identifier::new("acme-crm")?, Arc::new(SystemClock)).await?;
    ///
    /// // The CRM's own transaction: its change and the audit event commit together.
    /// let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    /// sqlx::query("DELETE FROM notes WHERE id = ?").bind(7).execute(&mut *tx).await?;
    /// let event = AuditEvent::new(AuditAction::Delete, Actor::user("staff-17")?, chrono::Utc::now());
    /// log.append_in(&mut *tx, &[event]).await?;
    /// tx.commit().await?;
    /// assert_eq!(log.head().await?.size, 1);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn append_in<C: AuditConnection + ?Sized>(
        &self,
        conn: &mut C,
        events: &[AuditEvent],
    ) -> pdpo_audit::Result<Head> {
        let bodies = events.iter().map(Body::encode).collect::<Result<Vec<_>, _>>()?;
        let mut conn = conn.audit_conn().0;
        self.append_bodies(&mut conn, bodies, &mut || Ok(())).await.map_err(|e| self.err(e))
    }

    async fn append_tx(&self, bodies: Vec<Body>) -> Result<Head, StoreError> {
        let mut h = self.begin().await?;
        match self.append_bodies(&mut h.conn(), bodies, &mut || Ok(())).await {
            Ok(head) => {
                h.commit().await.map_err(|e| store_error(&e, "committing", false))?;
                self.remember(head.clone());
                Ok(head)
            }
            Err(e) => {
                h.rollback().await.ok();
                Err(e)
            }
        }
    }

    /// The kept partitions' months, oldest first, from the catalog.
    async fn months(&self, conn: &mut Conn<'_>, prefix: &str) -> Result<Vec<Month>, StoreError> {
        let mut sql = Sql::new(self.inner.dialect);
        match (self.inner.dialect, prefix == GONE) {
            (Dialect::Sqlite, _) => sql.push(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '\\_pdpo\\_audit\\_%' ESCAPE '\\'",
            ),
            (Dialect::Postgres, false) => sql.push(
                "SELECT CAST(c.relname AS text) FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid \
                 WHERE i.inhparent = CAST('_pdpo_audit_entries' AS regclass)",
            ),
            (Dialect::Postgres, true) => sql.push(
                "SELECT CAST(tablename AS text) FROM pg_tables WHERE schemaname = current_schema() \
                 AND tablename LIKE '\\_pdpo\\_audit\\_gone\\_%'",
            ),
        };
        let names = fetch(conn, sql, "listing the audit partitions", |r| r.text(0)).await?;
        let mut months: Vec<Month> = names.iter().flatten().filter_map(|n| parse_table(n, prefix)).collect();
        months.sort_unstable();
        Ok(months)
    }

    async fn seals_on(&self, conn: &mut Conn<'_>) -> Result<Vec<Seal>, StoreError> {
        let mut sql = Sql::new(self.inner.dialect);
        sql.push("SELECT month, count, last, prev, sealed_at, hash FROM _pdpo_audit_seals ORDER BY seq");
        rows(fetch(conn, sql, "reading the audit seals", seal_from).await?)
    }

    /// Rows of `month` in index order: `after` is the last index seen (keyset), `offset` a
    /// position.
    async fn page(
        &self,
        conn: &mut Conn<'_>,
        month: Month,
        after: Option<i64>,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<EntryRow>, StoreError> {
        let table = quoted(&table_name(PREFIX, month))?;
        let mut sql = Sql::new(self.inner.dialect);
        sql.push("SELECT idx, recorded_at, prev, hash, body FROM ").ident(&table);
        if let Some(after) = after {
            sql.push(" WHERE idx > ").bind(Bind::Int(after), None);
        }
        sql.push(" ORDER BY idx LIMIT ").bind(Bind::Int(i64::try_from(limit).unwrap_or(i64::MAX)), None);
        if offset > 0 {
            sql.push(" OFFSET ").bind(int(offset, "offset")?, None);
        }
        rows(fetch(conn, sql, &format!("reading the audit partition of {month}"), entry_from).await?)
    }

    async fn scan_on<F>(&self, month: Month, visit: &mut F) -> Result<(), StoreError>
    where
        F: FnMut(&EntryRow) -> ControlFlow<()> + Send,
    {
        let mut h = self.handle().await?;
        let mut conn = h.conn();
        if !self.months(&mut conn, PREFIX).await?.contains(&month) {
            return Ok(());
        }
        let mut after = None;
        loop {
            let page = self.page(&mut conn, month, after, 0, PAGE).await?;
            let Some(last) = page.last() else { return Ok(()) };
            // Stored indexes are non-negative (checked when decoded), so they fit i64.
            after = Some(i64::try_from(last.index).unwrap_or(i64::MAX));
            if page.iter().any(|row| visit(row).is_break()) || page.len() < PAGE {
                return Ok(());
            }
        }
    }

    async fn seal_ended_tx(&self) -> Result<Option<Seal>, StoreError> {
        let mut h = self.begin().await?;
        let result = async {
            let mut conn = h.conn();
            let stored = read_head(&mut conn, true).await?;
            let mut head = stored.head;
            let Some(seal) = self.inner.chain.seal_ended(&mut head, self.inner.clock.now()) else {
                return Ok(None);
            };
            insert_seal(&mut conn, head.seals, &seal).await?;
            write_head(&mut conn, &head).await?;
            Ok(Some(seal))
        }
        .await;
        match result {
            Ok(seal) => {
                h.commit().await.map_err(|e| store_error(&e, "committing", false))?;
                Ok(seal)
            }
            Err(e) => {
                h.rollback().await.ok();
                Err(e)
            }
        }
    }

    /// Takes `month` out of the log (rename, or detach and rename) in one short transaction.
    /// `Ok(false)` if it is not a kept partition.
    async fn detach(&self, month: Month) -> Result<bool, pdpo_audit::Error> {
        let mut h = self.begin().await.map_err(|e| self.err(e))?;
        let result = async {
            let mut conn = h.conn();
            // Serialise with appends and other drops.
            read_head(&mut conn, true).await.map_err(|e| self.err(e))?;
            let kept = self.months(&mut conn, PREFIX).await.map_err(|e| self.err(e))?;
            if !kept.contains(&month) {
                return Ok(false);
            }
            if !self.seals_on(&mut conn).await.map_err(|e| self.err(e))?.iter().any(|s| s.month == month) {
                return Err(pdpo_audit::Error::NotSealed { month });
            }
            if let Some(&oldest) = kept.first().filter(|&&o| o != month) {
                return Err(pdpo_audit::Error::NotOldest { month, oldest });
            }
            let table = quoted(&table_name(PREFIX, month)).map_err(|e| self.err(e))?;
            let gone = quoted(&table_name(GONE, month)).map_err(|e| self.err(e))?;
            let what = format!("detaching the audit partition of {month}");
            if self.inner.dialect == Dialect::Postgres {
                let mut sql = Sql::new(Dialect::Postgres);
                sql.push("SET LOCAL lock_timeout = '1s'");
                execute(&mut conn, sql, &what).await.map_err(|e| self.err(e))?;
                let mut sql = Sql::new(Dialect::Postgres);
                sql.push("ALTER TABLE _pdpo_audit_entries DETACH PARTITION ").ident(&table);
                execute(&mut conn, sql, &what).await.map_err(|e| self.err(e))?;
            }
            let mut sql = Sql::new(self.inner.dialect);
            sql.push("ALTER TABLE ").ident(&table).push(" RENAME TO ").ident(&gone);
            execute(&mut conn, sql, &what).await.map_err(|e| self.err(e))?;
            Ok(true)
        }
        .await;
        match result {
            Ok(found) => {
                h.commit().await.map_err(|e| self.err(store_error(&e, "committing", false)))?;
                Ok(found)
            }
            Err(e) => {
                h.rollback().await.ok();
                Err(e)
            }
        }
    }

    /// Deletes the rows and tables of months already taken out of the log.
    async fn purge_gone(&self) -> Result<(), StoreError> {
        let gone = {
            let mut h = self.handle().await?;
            self.months(&mut h.conn(), GONE).await?
        };
        for month in gone {
            let table = quoted(&table_name(GONE, month))?;
            let what = format!("purging the dropped audit partition of {month}");
            if self.inner.dialect == Dialect::Sqlite {
                // Short transactions, so writers wait at most one chunk.
                loop {
                    let mut h = self.begin().await?;
                    let mut sql = Sql::new(Dialect::Sqlite);
                    sql.push("DELETE FROM ").ident(&table).push(" WHERE idx IN (SELECT idx FROM ");
                    sql.ident(&table)
                        .push(" ORDER BY idx LIMIT ")
                        .bind(Bind::Int(PURGE_CHUNK), None)
                        .push(")");
                    let n = execute(&mut h.conn(), sql, &what).await?;
                    h.commit().await.map_err(|e| store_error(&e, "committing", false))?;
                    if n == 0 {
                        break;
                    }
                }
            }
            let mut h = self.begin().await?;
            let mut sql = Sql::new(self.inner.dialect);
            sql.push("DROP TABLE IF EXISTS ").ident(&table);
            execute(&mut h.conn(), sql, &what).await?;
            h.commit().await.map_err(|e| store_error(&e, "committing", false))?;
        }
        Ok(())
    }
}

impl AuditStore for SqlAuditStore {
    fn chain(&self) -> &Chain {
        &self.inner.chain
    }

    async fn append(&self, events: &[AuditEvent]) -> pdpo_audit::Result<Head> {
        let bodies = events.iter().map(Body::encode).collect::<Result<Vec<_>, _>>()?;
        self.append_tx(bodies).await.map_err(|e| self.err(e))
    }

    async fn head(&self) -> pdpo_audit::Result<Head> {
        let run = async {
            let mut h = self.handle().await?;
            read_head(&mut h.conn(), false).await
        };
        run.await.map(|r| r.head).map_err(|e| self.err(e))
    }

    async fn seals(&self) -> pdpo_audit::Result<Vec<Seal>> {
        let run = async {
            let mut h = self.handle().await?;
            self.seals_on(&mut h.conn()).await
        };
        run.await.map_err(|e| self.err(e))
    }

    async fn partitions(&self) -> pdpo_audit::Result<Vec<Partition>> {
        let run = async {
            let mut h = self.handle().await?;
            let mut conn = h.conn();
            let mut out = Vec::new();
            for month in self.months(&mut conn, PREFIX).await? {
                let mut sql = Sql::new(self.inner.dialect);
                sql.push("SELECT count(*) FROM ").ident(&quoted(&table_name(PREFIX, month))?);
                let n = fetch(&mut conn, sql, "counting audit rows", |r| r.int(0)).await?;
                let rows = uint(n.first().copied().unwrap_or(0), "row count")?;
                out.push(Partition { month, rows });
            }
            Ok(out)
        };
        run.await.map_err(|e| self.err(e))
    }

    async fn read(&self, month: Month, offset: u64, limit: usize) -> pdpo_audit::Result<Vec<EntryRow>> {
        let run = async {
            let mut h = self.handle().await?;
            let mut conn = h.conn();
            if limit == 0 || !self.months(&mut conn, PREFIX).await?.contains(&month) {
                return Ok(Vec::new());
            }
            self.page(&mut conn, month, None, offset, limit).await
        };
        run.await.map_err(|e| self.err(e))
    }

    async fn scan<F>(&self, month: Month, mut visit: F) -> pdpo_audit::Result<()>
    where
        F: FnMut(&EntryRow) -> ControlFlow<()> + Send,
    {
        self.scan_on(month, &mut visit).await.map_err(|e| self.err(e))
    }

    async fn seal_ended(&self) -> pdpo_audit::Result<Option<Seal>> {
        self.seal_ended_tx().await.map_err(|e| self.err(e))
    }

    async fn drop_partition(&self, month: Month) -> pdpo_audit::Result<bool> {
        // Finish an earlier drop a crash interrupted, then this one.
        self.purge_gone().await.map_err(|e| self.err(e))?;
        let found = self.detach(month).await?;
        if found {
            self.purge_gone().await.map_err(|e| self.err(e))?;
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_round_trip() {
        let m = Month::new(2026, 11).unwrap();
        assert_eq!(table_name(PREFIX, m), "_pdpo_audit_2026_11");
        assert_eq!(parse_table("_pdpo_audit_2026_11", PREFIX), Some(m));
        assert_eq!(parse_table("_pdpo_audit_gone_2026_11", GONE), Some(m));
        for other in
            ["_pdpo_audit_head", "_pdpo_audit_seals", "_pdpo_audit_gone_2026_11", "_pdpo_audit_2026_13"]
        {
            assert_eq!(parse_table(other, PREFIX), None, "{other}");
        }
        assert_eq!(month_key(m), 202_611);
    }
}
