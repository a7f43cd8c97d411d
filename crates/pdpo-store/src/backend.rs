//! The backends: a pool enum, and one handle type that runs [`Sql`] on a pooled connection or a
//! transaction.

use pdpo_core::Value;
use sqlx::{Row, TypeInfo, ValueRef};

use crate::column::Col;
#[cfg(feature = "sqlite")]
use crate::column::from_str;
#[cfg(feature = "postgres")]
use crate::column::from_text;
use crate::column::{from_bytes, from_float, from_int};
use crate::sql::{Bind, Dialect, Sql};

/// A connection pool of one of the supported backends.
///
/// Pass your application's own pool (`SqlitePool`, `PgPool`) with `.into()`, so pdpo shares its
/// connections; sqlx is re-exported as [`crate::sqlx`] to match versions.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Pool {
    /// A SQLite pool. Open it with [`sqlite_options`](crate::sqlite_options) so foreign keys are
    /// enforced.
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool),
    /// A PostgreSQL pool.
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

#[cfg(feature = "sqlite")]
impl From<sqlx::SqlitePool> for Pool {
    fn from(p: sqlx::SqlitePool) -> Self {
        Self::Sqlite(p)
    }
}

#[cfg(feature = "postgres")]
impl From<sqlx::PgPool> for Pool {
    fn from(p: sqlx::PgPool) -> Self {
        Self::Postgres(p)
    }
}

impl Pool {
    pub(crate) fn dialect(&self) -> Dialect {
        match *self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_) => Dialect::Sqlite,
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Closes the pool: new acquisitions fail; waits for connections in use to come back.
    pub async fn close(&self) {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(p) => p.close().await,
            #[cfg(feature = "postgres")]
            Self::Postgres(p) => p.close().await,
        }
    }

    /// Whether [`close`](Self::close) was called on this pool or a clone of it.
    pub fn is_closed(&self) -> bool {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(p) => p.is_closed(),
            #[cfg(feature = "postgres")]
            Self::Postgres(p) => p.is_closed(),
        }
    }

    /// A pooled connection, outside any transaction.
    pub(crate) async fn acquire(&self) -> Result<Handle, sqlx::Error> {
        Ok(match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(p) => Handle::Sqlite(p.acquire().await?),
            #[cfg(feature = "postgres")]
            Self::Postgres(p) => Handle::Postgres(p.acquire().await?),
        })
    }

    /// A write transaction (`BEGIN IMMEDIATE` on SQLite, so writers queue instead of failing on
    /// lock upgrade).
    pub(crate) async fn begin(&self) -> Result<Handle, sqlx::Error> {
        Ok(match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(p) => Handle::SqliteTx(p.begin_with("BEGIN IMMEDIATE").await?),
            #[cfg(feature = "postgres")]
            Self::Postgres(p) => Handle::PostgresTx(p.begin().await?),
        })
    }
}

/// A connection or transaction that runs [`Sql`].
pub(crate) enum Handle {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    #[cfg(feature = "sqlite")]
    SqliteTx(sqlx::Transaction<'static, sqlx::Sqlite>),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
    #[cfg(feature = "postgres")]
    PostgresTx(sqlx::Transaction<'static, sqlx::Postgres>),
}

#[cfg(feature = "sqlite")]
pub(crate) fn bind_sqlite<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    binds: Vec<Bind>,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    for b in binds {
        q = match b {
            Bind::Null => q.bind(None::<String>),
            Bind::Bool(v) => q.bind(v),
            Bind::Int(v) => q.bind(v),
            Bind::Float(v) => q.bind(v),
            Bind::Text(v) => q.bind(v),
            Bind::Bytes(v) => q.bind(v),
            Bind::Uuid(v) => q.bind(v.hyphenated().to_string()),
            Bind::Timestamp(v) => q.bind(v.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            Bind::Date(v) => q.bind(v.format("%Y-%m-%d").to_string()),
            Bind::IntArray(v) => q.bind(serde_json::Value::from(v).to_string()),
            Bind::TextArray(v) => q.bind(serde_json::Value::from(v).to_string()),
            Bind::UuidArray(v) => q.bind(
                serde_json::Value::from(v.iter().map(ToString::to_string).collect::<Vec<_>>()).to_string(),
            ),
        };
    }
    q
}

/// A SQLite statement with its values bound, ready to hand to the driver.
#[cfg(feature = "sqlite")]
pub(crate) type SqliteQuery = sqlx::query::Query<'static, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

/// `sql` bound for SQLite, kept prepared if `kept` (see [`Handle::execute_once`] for when not):
/// building the driver's arguments ahead of time lets a caller do it while another statement
/// runs.
#[cfg(feature = "sqlite")]
pub(crate) fn sqlite_query(sql: Sql, kept: bool) -> SqliteQuery {
    let (text, binds) = sql.finish();
    bind_sqlite(sqlx::query(text), binds).persistent(kept)
}

/// Binds on PostgreSQL. The statement is not kept prepared unless the caller says so: a caller
/// that does must make sure the text fixes the binds' types (see [`Sql::finish_signed`]).
#[cfg(feature = "postgres")]
pub(crate) fn bind_pg<'q>(
    q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    binds: Vec<Bind>,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    let mut q = q.persistent(false);
    for b in binds {
        q = match b {
            Bind::Null => q.bind(None::<String>),
            Bind::Bool(v) => q.bind(v),
            Bind::Int(v) => q.bind(v),
            Bind::Float(v) => q.bind(v),
            Bind::Text(v) => q.bind(v),
            Bind::Bytes(v) => q.bind(v),
            Bind::Uuid(v) => q.bind(v),
            Bind::Timestamp(v) => q.bind(v),
            Bind::Date(v) => q.bind(v),
            Bind::IntArray(v) => q.bind(v),
            Bind::TextArray(v) => q.bind(v),
            Bind::UuidArray(v) => q.bind(v),
        };
    }
    q
}

/// Decodes column `i` of a SQLite row from its raw value, in one lookup.
#[cfg(feature = "sqlite")]
fn sqlite_decode<'r, T: sqlx::Decode<'r, sqlx::Sqlite>>(
    raw: sqlx::sqlite::SqliteValueRef<'r>,
    i: usize,
) -> Result<T, sqlx::Error> {
    T::decode(raw).map_err(|source| sqlx::Error::ColumnDecode { index: i.to_string(), source })
}

/// Decodes a SQLite row by its values' storage classes. Text is parsed from the borrowed
/// value (JSON, timestamps, numbers) and copied only when it stays text.
#[cfg(feature = "sqlite")]
fn decode_sqlite(row: &sqlx::sqlite::SqliteRow, cols: &[&Col]) -> Result<Vec<Value>, sqlx::Error> {
    let mut out = Vec::with_capacity(cols.len());
    for (i, col) in cols.iter().enumerate() {
        let raw = row.try_get_raw(i)?;
        if raw.is_null() {
            out.push(Value::Null);
            continue;
        }
        let v = match raw.type_info().name() {
            "INTEGER" => from_int(sqlite_decode::<i64>(raw, i)?, col.ty),
            "REAL" => from_float(sqlite_decode::<f64>(raw, i)?, col.ty),
            "BLOB" => from_bytes(sqlite_decode::<Vec<u8>>(raw, i)?, col.ty),
            _ => from_str(sqlite_decode::<&str>(raw, i)?, col.ty),
        };
        out.push(v);
    }
    Ok(out)
}

#[cfg(feature = "postgres")]
fn decode_pg(row: &sqlx::postgres::PgRow, cols: &[&Col]) -> Result<Vec<Value>, sqlx::Error> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
    let mut out = Vec::with_capacity(cols.len());
    for (i, col) in cols.iter().enumerate() {
        let raw = row.try_get_raw(i)?;
        if raw.is_null() {
            out.push(Value::Null);
            continue;
        }
        let kind = raw.type_info().name().to_owned();
        let arr = |v: Vec<serde_json::Value>| Value::Json(serde_json::Value::Array(v));
        let v = match kind.as_str() {
            "BOOL" => Value::Bool(row.try_get_unchecked(i)?),
            "INT2" => from_int(i64::from(row.try_get_unchecked::<i16, _>(i)?), col.ty),
            "INT4" => from_int(i64::from(row.try_get_unchecked::<i32, _>(i)?), col.ty),
            "INT8" => from_int(row.try_get_unchecked::<i64, _>(i)?, col.ty),
            "FLOAT4" => from_float(f64::from(row.try_get_unchecked::<f32, _>(i)?), col.ty),
            "FLOAT8" => from_float(row.try_get_unchecked::<f64, _>(i)?, col.ty),
            "BYTEA" => from_bytes(row.try_get_unchecked(i)?, col.ty),
            "UUID" => Value::Uuid(row.try_get_unchecked(i)?),
            "TIMESTAMPTZ" => Value::Timestamp(row.try_get_unchecked::<DateTime<Utc>, _>(i)?),
            "TIMESTAMP" => Value::Timestamp(row.try_get_unchecked::<NaiveDateTime, _>(i)?.and_utc()),
            "DATE" => Value::Date(row.try_get_unchecked::<NaiveDate, _>(i)?),
            "JSON" | "JSONB" => Value::Json(row.try_get_unchecked::<serde_json::Value, _>(i)?),
            "INT8[]" => arr(row.try_get_unchecked::<Vec<i64>, _>(i)?.into_iter().map(Into::into).collect()),
            "INT4[]" => arr(row.try_get_unchecked::<Vec<i32>, _>(i)?.into_iter().map(Into::into).collect()),
            "TEXT[]" | "VARCHAR[]" => {
                arr(row.try_get_unchecked::<Vec<String>, _>(i)?.into_iter().map(Into::into).collect())
            }
            "UUID[]" => arr(row
                .try_get_unchecked::<Vec<uuid::Uuid>, _>(i)?
                .into_iter()
                .map(|u| u.to_string().into())
                .collect()),
            _ => from_text(row.try_get_unchecked::<String, _>(i)?, col.ty),
        };
        out.push(v);
    }
    Ok(out)
}

/// The connection under a [`Handle`], whether pooled or inside a transaction: every query method
/// matches on this, one arm per backend.
pub(crate) enum Conn<'a> {
    #[cfg(feature = "sqlite")]
    Sqlite(&'a mut sqlx::SqliteConnection),
    #[cfg(feature = "postgres")]
    Postgres(&'a mut sqlx::PgConnection),
}

impl Handle {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(c) => Conn::Sqlite(c),
            #[cfg(feature = "sqlite")]
            Self::SqliteTx(c) => Conn::Sqlite(c),
            #[cfg(feature = "postgres")]
            Self::Postgres(c) => Conn::Postgres(c),
            #[cfg(feature = "postgres")]
            Self::PostgresTx(c) => Conn::Postgres(c),
        }
    }

    /// Runs a statement; returns the number of rows affected.
    pub(crate) async fn execute(&mut self, sql: Sql) -> Result<u64, sqlx::Error> {
        match self.conn() {
            #[cfg(feature = "sqlite")]
            Conn::Sqlite(c) => Ok(sqlite_query(sql, true).execute(c).await?.rows_affected()),
            #[cfg(feature = "postgres")]
            Conn::Postgres(c) => {
                let (text, binds) = sql.finish_signed();
                Ok(bind_pg(sqlx::query(text), binds).persistent(true).execute(c).await?.rows_affected())
            }
        }
    }

    /// Runs a SQLite statement already bound (see [`sqlite_query`]); returns the number of rows
    /// affected.
    #[cfg(feature = "sqlite")]
    pub(crate) async fn execute_sqlite(&mut self, query: SqliteQuery) -> Result<u64, sqlx::Error> {
        match self.conn() {
            Conn::Sqlite(c) => Ok(query.execute(c).await?.rows_affected()),
            #[allow(unreachable_patterns)]
            _ => Err(sqlx::Error::Protocol("a SQLite statement on another database".into())),
        }
    }

    /// Runs a statement that is not kept prepared on SQLite (one whose text is unlikely to
    /// recur, such as a multi-row insert of an odd row count: cached, its compiled program would
    /// take memory and evict statements that do recur); returns the number of rows affected.
    pub(crate) async fn execute_once(&mut self, sql: Sql) -> Result<u64, sqlx::Error> {
        match self.conn() {
            #[cfg(feature = "sqlite")]
            Conn::Sqlite(c) => Ok(sqlite_query(sql, false).execute(c).await?.rows_affected()),
            #[cfg(feature = "postgres")]
            Conn::Postgres(c) => {
                let (text, binds) = sql.finish();
                Ok(bind_pg(sqlx::query(text), binds).execute(c).await?.rows_affected())
            }
        }
    }

    /// Runs a query whose select list is `cols`, in order; returns the decoded rows.
    pub(crate) async fn fetch(&mut self, sql: Sql, cols: &[&Col]) -> Result<Vec<Vec<Value>>, sqlx::Error> {
        self.fetch_rows(sql, cols, true).await
    }

    /// `fetch`, kept prepared on PostgreSQL or not (SQLite always keeps it).
    async fn fetch_rows(
        &mut self,
        sql: Sql,
        cols: &[&Col],
        kept: bool,
    ) -> Result<Vec<Vec<Value>>, sqlx::Error> {
        let (text, binds) = if kept { sql.finish_signed() } else { sql.finish() };
        match self.conn() {
            #[cfg(feature = "sqlite")]
            Conn::Sqlite(c) => bind_sqlite(sqlx::query(text), binds)
                .fetch_all(c)
                .await?
                .iter()
                .map(|r| decode_sqlite(r, cols))
                .collect(),
            #[cfg(feature = "postgres")]
            Conn::Postgres(c) => bind_pg(sqlx::query(text), binds)
                .persistent(kept)
                .fetch_all(c)
                .await?
                .iter()
                .map(|r| decode_pg(r, cols))
                .collect(),
        }
    }

    /// Runs a query returning text columns (catalog queries).
    pub(crate) async fn fetch_text(
        &mut self,
        sql: Sql,
        width: usize,
    ) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
        self.fetch_texts(sql, width, true).await
    }

    /// `fetch_text`, kept prepared or not (on both backends).
    async fn fetch_texts(
        &mut self,
        sql: Sql,
        width: usize,
        kept: bool,
    ) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
        let (text, binds) = if kept { sql.finish_signed() } else { sql.finish() };
        fn rows<R: Row>(rows: Vec<R>, width: usize) -> Result<Vec<Vec<Option<String>>>, sqlx::Error>
        where
            for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
            usize: sqlx::ColumnIndex<R>,
        {
            rows.iter()
                .map(|r| (0..width).map(|i| r.try_get_unchecked::<Option<String>, _>(i)).collect())
                .collect()
        }
        match self.conn() {
            #[cfg(feature = "sqlite")]
            Conn::Sqlite(c) => {
                rows(bind_sqlite(sqlx::query(text), binds).persistent(kept).fetch_all(c).await?, width)
            }
            #[cfg(feature = "postgres")]
            Conn::Postgres(c) => {
                rows(bind_pg(sqlx::query(text), binds).persistent(kept).fetch_all(c).await?, width)
            }
        }
    }

    /// [`fetch_text`](Self::fetch_text) for a statement whose text varies with its number of
    /// binds: not kept prepared (see [`execute_once`](Self::execute_once)).
    pub(crate) async fn fetch_text_once(
        &mut self,
        sql: Sql,
        width: usize,
    ) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
        self.fetch_texts(sql, width, false).await
    }

    /// Runs a statement without binds through the simple query protocol, outside any prepared
    /// statement (PostgreSQL's `CREATE DATABASE` and `DROP DATABASE`).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) async fn execute_unprepared(&mut self, sql: Sql) -> Result<(), sqlx::Error> {
        let (text, _) = sql.finish();
        match self.conn() {
            #[cfg(feature = "sqlite")]
            Conn::Sqlite(c) => sqlx::raw_sql(text).execute(c).await.map(drop),
            #[cfg(feature = "postgres")]
            Conn::Postgres(c) => sqlx::raw_sql(text).execute(c).await.map(drop),
        }
    }

    /// Runs constant SQL that may hold several statements (migrations).
    pub(crate) async fn execute_script(&mut self, script: &'static str) -> Result<(), sqlx::Error> {
        match self.conn() {
            #[cfg(feature = "sqlite")]
            Conn::Sqlite(c) => sqlx::raw_sql(script).execute(c).await.map(drop),
            #[cfg(feature = "postgres")]
            Conn::Postgres(c) => sqlx::raw_sql(script).execute(c).await.map(drop),
        }
    }

    /// Commits a transaction (a no-op on a plain connection).
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_) => Ok(()),
            #[cfg(feature = "sqlite")]
            Self::SqliteTx(tx) => tx.commit().await,
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => Ok(()),
            #[cfg(feature = "postgres")]
            Self::PostgresTx(tx) => tx.commit().await,
        }
    }

    /// Rolls a transaction back (a no-op on a plain connection).
    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_) => Ok(()),
            #[cfg(feature = "sqlite")]
            Self::SqliteTx(tx) => tx.rollback().await,
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => Ok(()),
            #[cfg(feature = "postgres")]
            Self::PostgresTx(tx) => tx.rollback().await,
        }
    }
}

/// A Rust type that a column of pdpo's own tables decodes to on every compiled backend.
#[cfg(all(feature = "sqlite", feature = "postgres"))]
pub(crate) trait OwnColumn:
    for<'r> sqlx::Decode<'r, sqlx::Sqlite>
    + sqlx::Type<sqlx::Sqlite>
    + for<'r> sqlx::Decode<'r, sqlx::Postgres>
    + sqlx::Type<sqlx::Postgres>
{
}
#[cfg(all(feature = "sqlite", feature = "postgres"))]
impl<T> OwnColumn for T where
    T: for<'r> sqlx::Decode<'r, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>
        + for<'r> sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
{
}
#[cfg(all(feature = "sqlite", not(feature = "postgres")))]
pub(crate) trait OwnColumn: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> {}
#[cfg(all(feature = "sqlite", not(feature = "postgres")))]
impl<T> OwnColumn for T where T: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> {}
#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
pub(crate) trait OwnColumn:
    for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>
{
}
#[cfg(all(feature = "postgres", not(feature = "sqlite")))]
impl<T> OwnColumn for T where T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> {}

/// A row of one of pdpo's own tables (keys, requests), read by position with typed getters: the
/// tables are pdpo's, so their column types are known and need no schema.
pub(crate) enum OwnRow {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::sqlite::SqliteRow),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::postgres::PgRow),
}

impl OwnRow {
    /// Column `i`, decoded as `T` (type-checked by the driver).
    pub(crate) fn get<T: OwnColumn>(&self, i: usize) -> Result<T, sqlx::Error> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(r) => r.try_get(i),
            #[cfg(feature = "postgres")]
            Self::Postgres(r) => r.try_get(i),
        }
    }
}

impl Handle {
    /// Runs a query on pdpo's own tables; returns its rows for [`OwnRow::get`].
    pub(crate) async fn fetch_own(&mut self, sql: Sql) -> Result<Vec<OwnRow>, sqlx::Error> {
        let (text, binds) = sql.finish_signed();
        match self.conn() {
            #[cfg(feature = "sqlite")]
            Conn::Sqlite(c) => Ok(bind_sqlite(sqlx::query(text), binds)
                .fetch_all(c)
                .await?
                .into_iter()
                .map(OwnRow::Sqlite)
                .collect()),
            #[cfg(feature = "postgres")]
            Conn::Postgres(c) => Ok(bind_pg(sqlx::query(text), binds)
                .persistent(true)
                .fetch_all(c)
                .await?
                .into_iter()
                .map(OwnRow::Postgres)
                .collect()),
        }
    }
}

impl Handle {
    /// [`fetch`](Self::fetch) for a statement that should not be kept prepared on PostgreSQL:
    /// one whose text varies with its number of binds (an `IN` list: it would take a place in the
    /// connection's statement cache and evict statements that recur), or whose best plan depends
    /// on the values bound (a lookup by an array of keys: a prepared statement soon runs a
    /// generic plan). On SQLite, where plans do not depend on bound values, the same as `fetch`.
    pub(crate) async fn fetch_once(
        &mut self,
        sql: Sql,
        cols: &[&Col],
    ) -> Result<Vec<Vec<Value>>, sqlx::Error> {
        self.fetch_rows(sql, cols, false).await
    }
}

/// Runs the synchronous `work` while `statement` is in flight, and returns both results.
///
/// `statement` is polled once first, which hands a SQLite statement to the driver's worker
/// thread (or writes a PostgreSQL one to the socket); `work` then runs on this thread while the
/// database executes, and only then does this wait for the statement. Preparing the next
/// statement this way overlaps this thread's work with the database's instead of adding to it.
pub(crate) async fn overlap<F: Future, T>(statement: F, work: impl FnOnce() -> T) -> (F::Output, T) {
    let mut statement = std::pin::pin!(statement);
    let first = std::future::poll_fn(|cx| std::task::Poll::Ready(statement.as_mut().poll(cx))).await;
    let done = work();
    let output = match first {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => statement.await,
    };
    (output, done)
}
