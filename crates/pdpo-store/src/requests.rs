//! [`SqlRequestStore`]: pdpo-requests' [`RequestStore`] in pdpo's own SQL tables
//! (migration 4; the tables are documented on the type).

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use pdpo_core::{EventSink, StoreError, StoreErrorKind};
use pdpo_requests::{LedgerWrite, LogBookEntry, Request, RequestStore};
use uuid::Uuid;

use crate::backend::{Handle, OwnRow, Pool};
use crate::error::{Result, store_error};
use crate::events::{EventTarget, write_events};
use crate::migrate::migrate;
use crate::sql::{Bind, Dialect, Sql};

/// pdpo-requests' [`RequestStore`] over SQLite or PostgreSQL. Events are kept in `_pdpo_events` unless an audit log or a sink is given.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use pdpo_core::{Actor, FixedClock, Key};
/// use pdpo_requests::{Ledger, NewRequest, RequestKind};
/// use pdpo_store::{SqlRequestStore, sqlite_options};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = pdpo_store::sqlx::SqlitePool::connect_with(sqlite_options("sqlite::memory:")?).await?;
/// let clock = FixedClock::new(Utc.with_ymd_and_hms(2025, 3, 10, 2, 0, 0).unwrap());
/// let ledger = Ledger::new(SqlRequestStore::open(pool).await?, clock);
/// let dar = ledger.receive(NewRequest::new(RequestKind::Access, vec![Key::from(42)]), &Actor::user("staff-7")?).await?;
/// assert_eq!(ledger.due(&dar)?.date.to_string(), "2025-04-22");
/// assert_eq!(ledger.open().await?.len(), 1);
/// # Ok(())
/// # }
/// ```
///
/// Clones share the pool. `Debug` shows only the backend and where events go.
///
/// # Tables
///
/// ```sql
/// CREATE TABLE pdpo_requests (             -- the ledger: one row per request
///     id          TEXT / UUID PRIMARY KEY,
///     kind        TEXT NOT NULL,             -- access | correction | erasure | marketing_opt_out
///     state       TEXT NOT NULL,             -- received | identity_verified | ... | refused
///     received_on TEXT (YYYY-MM-DD) / DATE NOT NULL, -- Hong Kong date of receipt
///     request     TEXT / JSONB NOT NULL      -- the whole Request (history, refusal, fee) as JSON
/// );
/// CREATE INDEX pdpo_requests_state ON pdpo_requests (state, received_on);
///
/// CREATE TABLE pdpo_log_book (             -- the s.27 log book of refusals
///     id            TEXT / UUID PRIMARY KEY,
///     request       TEXT / UUID NOT NULL,    -- the refused request
///     kind          TEXT NOT NULL,           -- access (s.27(2)(a)) or correction (s.27(2)(c))
///     entered_at    TEXT (RFC 3339, fixed width) / TIMESTAMPTZ NOT NULL,
///     entered_on    TEXT / DATE NOT NULL,    -- Hong Kong date the entry was made
///     erasable_from TEXT / DATE NOT NULL,    -- entered_on + 4 years (s.27(1)(c)(i))
///     entry         TEXT / JSONB NOT NULL    -- the whole LogBookEntry as JSON
/// );
/// CREATE INDEX pdpo_log_book_entered ON pdpo_log_book (entered_at, id);
/// CREATE INDEX pdpo_log_book_request ON pdpo_log_book (request);
/// ```
///
/// Log-book entries are kept at least four years after they were entered (s.27(1)(c)): the
/// [`Ledger`](pdpo_requests::Ledger) checks `erasable_from` before it calls
/// [`erase_log_entry`](RequestStore::erase_log_entry), which deletes one row. The JSON columns are
/// what is read back; the other columns are for queries and indexes.
///
/// Each [`write`](RequestStore::write) is one transaction: the requests (inserted or replaced), the
/// new log-book entries (an id already present is a `Conflict`), and the audit events, which go to
/// the `_pdpo_events` table, into the [`SqlAuditStore`](crate::SqlAuditStore) given with [`SqlRequestStore::with_audit`],
/// or to the sink given with [`SqlRequestStore::with_sink`]. If any part fails, nothing is written.
#[derive(Clone)]
pub struct SqlRequestStore {
    pool: Pool,
    dialect: Dialect,
    events: EventTarget,
}

impl fmt::Debug for SqlRequestStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlRequestStore")
            .field("dialect", &self.dialect)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

fn to_json<T: serde::Serialize>(v: &T, what: &str) -> Result<String, StoreError> {
    serde_json::to_string(v)
        .map_err(|_| StoreError::new(StoreErrorKind::Invalid, format!("{what} cannot be serialised")))
}

fn from_json<T: serde::de::DeserializeOwned>(row: &OwnRow, table: &str) -> Result<T, StoreError> {
    let text: String = row.get(0).map_err(|_| malformed(table))?;
    serde_json::from_str(&text).map_err(|_| malformed(table))
}

/// A row whose JSON does not decode: named by table, never by value.
fn malformed(table: &str) -> StoreError {
    StoreError::new(StoreErrorKind::Backend, format!("{table}: a row's JSON column is malformed"))
}

impl SqlRequestStore {
    /// A request store on `pool` (your application's `SqlitePool` or `PgPool`, `.into()`), after
    /// applying pdpo's [migrations](crate::migrate). Events go to the `_pdpo_events` table.
    pub async fn open(pool: impl Into<Pool>) -> Result<Self> {
        let pool = pool.into();
        migrate(&pool).await?;
        let dialect = pool.dialect();
        Ok(Self { pool, dialect, events: EventTarget::Table })
    }

    /// This store, appending each write's audit events to `sink` inside the write's transaction
    /// (if the sink refuses them, nothing is written).
    #[must_use]
    pub fn with_sink(mut self, sink: Arc<dyn EventSink>) -> Self {
        self.events = EventTarget::Sink(sink);
        self
    }

    /// This store, chaining each write's audit events into `audit` inside the write's
    /// transaction (the audit head row locked), so the ledger and its events commit together.
    #[must_use]
    pub fn with_audit(mut self, audit: crate::SqlAuditStore) -> Self {
        self.events = EventTarget::Audit(audit);
        self
    }

    /// The pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    fn sql(&self) -> Sql {
        Sql::new(self.dialect)
    }

    async fn handle(&self) -> Result<Handle, StoreError> {
        self.pool.acquire().await.map_err(|e| store_error(&e, "request store: connecting", false))
    }

    /// A JSON column as text.
    fn json_col(&self, sql: &mut Sql, column: &'static str) {
        match self.dialect {
            Dialect::Sqlite => sql.push("SELECT ").push(column),
            Dialect::Postgres => sql.push("SELECT CAST(").push(column).push(" AS TEXT)"),
        };
    }

    /// A timestamp bound so that it sorts: a fixed-width RFC 3339 text on SQLite.
    fn bind_time(&self, sql: &mut Sql, t: DateTime<Utc>) {
        match self.dialect {
            Dialect::Sqlite => sql.bind(Bind::text(t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()), None),
            Dialect::Postgres => sql.bind(Bind::Timestamp(t), None),
        };
    }

    fn upsert_request(&self, r: &Request) -> Result<Sql, StoreError> {
        let mut sql = self.sql();
        sql.push("INSERT INTO pdpo_requests (id, kind, state, received_on, request) VALUES (")
            .bind(Bind::Uuid(r.id), None)
            .push(", ")
            .bind(Bind::text(r.kind.as_str()), None)
            .push(", ")
            .bind(Bind::text(r.state.as_str()), None)
            .push(", ")
            .bind(Bind::Date(r.received_on), None)
            .push(", ")
            .bind(Bind::text(to_json(r, &format!("request {}", r.id))?), Some("jsonb"))
            .push(
                ") ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, state = excluded.state, \
                 received_on = excluded.received_on, request = excluded.request",
            );
        Ok(sql)
    }

    fn insert_entry(&self, e: &LogBookEntry) -> Result<Sql, StoreError> {
        let mut sql = self.sql();
        sql.push(
            "INSERT INTO pdpo_log_book (id, request, kind, entered_at, entered_on, erasable_from, entry) VALUES (",
        )
        .bind(Bind::Uuid(e.id), None)
        .push(", ")
        .bind(Bind::Uuid(e.request), None)
        .push(", ")
        .bind(Bind::text(e.kind.as_str()), None)
        .push(", ");
        self.bind_time(&mut sql, e.entered_at);
        sql.push(", ")
            .bind(Bind::Date(e.entered_on), None)
            .push(", ")
            .bind(Bind::Date(e.erasable_from()), None)
            .push(", ")
            .bind(Bind::text(to_json(e, &format!("log-book entry {}", e.id))?), Some("jsonb"))
            .push(")");
        Ok(sql)
    }

    async fn write_in(&self, h: &mut Handle, write: &LedgerWrite) -> Result<(), StoreError> {
        for r in &write.requests {
            let what = format!("writing request {}", r.id);
            h.execute(self.upsert_request(r)?).await.map_err(|e| store_error(&e, &what, false))?;
        }
        for e in &write.log_entries {
            let what = format!("adding log-book entry {}", e.id);
            h.execute(self.insert_entry(e)?).await.map_err(|err| store_error(&err, &what, false))?;
        }
        write_events(h, self.dialect, &self.events, &write.events, &mut || Ok(())).await.map(drop)
    }

    async fn fetch_json<T: serde::de::DeserializeOwned>(
        &self,
        sql: Sql,
        table: &str,
    ) -> Result<Vec<T>, StoreError> {
        let mut h = self.handle().await?;
        let rows = h.fetch_own(sql).await.map_err(|e| store_error(&e, &format!("reading {table}"), false))?;
        rows.iter().map(|r| from_json(r, table)).collect()
    }
}

impl RequestStore for SqlRequestStore {
    async fn write(&self, write: LedgerWrite) -> Result<(), StoreError> {
        let mut h = self.pool.begin().await.map_err(|e| store_error(&e, "starting a ledger write", false))?;
        // On error the transaction is dropped, which rolls it back.
        self.write_in(&mut h, &write).await?;
        h.commit().await.map_err(|e| store_error(&e, "committing a ledger write", false))
    }

    async fn get(&self, id: Uuid) -> Result<Option<Request>, StoreError> {
        let mut sql = self.sql();
        self.json_col(&mut sql, "request");
        sql.push(" FROM pdpo_requests WHERE id = ").bind(Bind::Uuid(id), None);
        Ok(self.fetch_json(sql, "pdpo_requests").await?.into_iter().next())
    }

    async fn list(&self) -> Result<Vec<Request>, StoreError> {
        let mut sql = self.sql();
        self.json_col(&mut sql, "request");
        sql.push(" FROM pdpo_requests ORDER BY id");
        self.fetch_json(sql, "pdpo_requests").await
    }

    async fn log_book(&self) -> Result<Vec<LogBookEntry>, StoreError> {
        let mut sql = self.sql();
        self.json_col(&mut sql, "entry");
        sql.push(" FROM pdpo_log_book ORDER BY entered_at, id");
        self.fetch_json(sql, "pdpo_log_book").await
    }

    async fn erase_log_entry(&self, id: Uuid) -> Result<(), StoreError> {
        let mut sql = self.sql();
        sql.push("DELETE FROM pdpo_log_book WHERE id = ").bind(Bind::Uuid(id), None);
        let what = format!("erasing log-book entry {id}");
        let rows = self.handle().await?.execute(sql).await.map_err(|e| store_error(&e, &what, false))?;
        if rows == 0 {
            return Err(StoreError::new(StoreErrorKind::NotFound, format!("no log-book entry {id}")));
        }
        Ok(())
    }
}
