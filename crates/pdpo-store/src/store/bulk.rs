//! PostgreSQL bulk statements: a batch of rows bound as one array per column and read back with
//! `unnest`, so a statement's text depends only on its table and columns (it stays prepared) and
//! the server parses a few placeholders instead of thousands. Used by multi-row inserts
//! ([`super::insert`]) and grouped updates ([`super::update`]).

// Only PostgreSQL takes bulk statements; a SQLite-only build keeps the types unused.
#![cfg_attr(not(feature = "postgres"), allow(dead_code, unused_variables))]

use crate::backend::Handle;
use crate::column::{Col, PgType};
use crate::sql::{Bind, Dialect, Sql};

/// One column of a PostgreSQL bulk statement: the values of every row, as one array bind.
#[derive(Debug)]
pub(super) enum BulkColumn {
    /// `bigint[]`.
    Int(Vec<Option<i64>>),
    /// `double precision[]`.
    Float(Vec<Option<f64>>),
    /// `boolean[]`.
    Bool(Vec<Option<bool>>),
    /// `text[]`: text, and values the column parses from text (numeric, JSON, array literals).
    Text(Vec<Option<String>>),
    /// `bytea[]`.
    Bytes(Vec<Option<Vec<u8>>>),
    /// `uuid[]`.
    Uuid(Vec<Option<uuid::Uuid>>),
    /// `timestamptz[]`.
    Timestamp(Vec<Option<chrono::DateTime<chrono::Utc>>>),
    /// `date[]`.
    Date(Vec<Option<chrono::NaiveDate>>),
}

impl BulkColumn {
    /// The array type the bind is cast to (a constant).
    fn array_type(&self) -> &'static str {
        match self {
            Self::Int(_) => "bigint[]",
            Self::Float(_) => "double precision[]",
            Self::Bool(_) => "boolean[]",
            Self::Text(_) => "text[]",
            Self::Bytes(_) => "bytea[]",
            Self::Uuid(_) => "uuid[]",
            Self::Timestamp(_) => "timestamptz[]",
            Self::Date(_) => "date[]",
        }
    }
}

/// A PostgreSQL bulk statement: its text (placeholders `$1..$n`, one per column, written with
/// [`unnest_from`]) and the column arrays to bind to them, in order.
#[derive(Debug)]
pub(super) struct Bulk {
    pub(super) sql: Sql,
    pub(super) columns: Vec<BulkColumn>,
}

/// A PostgreSQL array literal (`{1,2}`, `{"a","b"}`) for an array bind, to be cast to the
/// column's array type by the server.
fn array_literal(b: &Bind) -> Option<String> {
    fn join(items: impl Iterator<Item = String>) -> String {
        let mut out = String::from("{");
        for (i, s) in items.enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&s);
        }
        out.push('}');
        out
    }
    Some(match b {
        Bind::IntArray(v) => join(v.iter().map(ToString::to_string)),
        Bind::UuidArray(v) => join(v.iter().map(|u| u.hyphenated().to_string())),
        Bind::TextArray(v) => join(v.iter().map(|s| {
            let mut q = String::with_capacity(s.len() + 2);
            q.push('"');
            for c in s.chars() {
                if c == '"' || c == '\\' {
                    q.push('\\');
                }
                q.push(c);
            }
            q.push('"');
            q
        })),
        _ => return None,
    })
}

/// The bulk column for `col` holding `binds` (one per row), or `None` if a value does not have
/// the column's native kind or the column's type has no cast.
pub(super) fn bulk_column<'a>(col: &Col, binds: impl Iterator<Item = &'a Bind>) -> Option<BulkColumn> {
    macro_rules! collect {
        ($variant:ident, $($pat:pat => $v:expr),+) => {
            binds
                .map(|b| match b {
                    Bind::Null => Some(None),
                    $($pat => Some(Some($v)),)+
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
                .map(BulkColumn::$variant)
        };
    }
    match col.pg {
        PgType::Int2 | PgType::Int4 | PgType::Int8 => collect!(Int, Bind::Int(v) => *v),
        PgType::Float4 | PgType::Float8 => collect!(Float, Bind::Float(v) => *v),
        PgType::Bool => collect!(Bool, Bind::Bool(v) => *v),
        PgType::Text | PgType::Varchar => collect!(Text, Bind::Text(v) => v.to_string()),
        PgType::Numeric => collect!(Text, Bind::Text(v) => v.to_string(), Bind::Int(v) => v.to_string()),
        PgType::Json | PgType::Jsonb => collect!(Text, Bind::Text(v) => v.to_string()),
        PgType::Bytea => collect!(Bytes, Bind::Bytes(v) => v.clone()),
        PgType::Uuid => collect!(Uuid, Bind::Uuid(v) => *v),
        PgType::Timestamptz | PgType::Timestamp => collect!(Timestamp, Bind::Timestamp(v) => *v),
        PgType::Date => collect!(Date, Bind::Date(v) => *v),
        PgType::Int4Array | PgType::Int8Array | PgType::TextArray | PgType::UuidArray => binds
            .map(|b| match b {
                Bind::Null => Some(None),
                Bind::Text(s) => Some(Some(s.to_string())),
                other => array_literal(other).map(Some),
            })
            .collect::<Option<Vec<_>>>()
            .map(BulkColumn::Text),
        PgType::Unknown => None,
    }
}

/// Runs a [`Bulk`] statement, kept prepared (its text fixes every bind's type: the array type of
/// its column); returns the rows affected.
pub(super) async fn execute_bulk(h: &mut Handle, bulk: Bulk) -> Result<u64, sqlx::Error> {
    let (text, _) = bulk.sql.finish();
    match h.conn() {
        #[cfg(feature = "postgres")]
        crate::backend::Conn::Postgres(c) => {
            let mut q = sqlx::query(text).persistent(true);
            for column in bulk.columns {
                q = match column {
                    BulkColumn::Int(v) => q.bind(v),
                    BulkColumn::Float(v) => q.bind(v),
                    BulkColumn::Bool(v) => q.bind(v),
                    BulkColumn::Text(v) => q.bind(v),
                    BulkColumn::Bytes(v) => q.bind(v),
                    BulkColumn::Uuid(v) => q.bind(v),
                    BulkColumn::Timestamp(v) => q.bind(v),
                    BulkColumn::Date(v) => q.bind(v),
                };
            }
            q.execute(c).await.map(|r| r.rows_affected())
        }
        #[allow(unreachable_patterns)]
        _ => Err(sqlx::Error::Protocol("a bulk statement needs PostgreSQL".into())),
    }
}

/// Appends ` FROM unnest(CAST($1 AS t1[]), ..) AS u(c0, c1, ..)`: column `j` of the batch is
/// `u.c{j}`, bound at placeholder `j + 1` by [`execute_bulk`].
pub(super) fn unnest_from(sql: &mut Sql, columns: &[BulkColumn]) {
    sql.push(" FROM unnest(");
    for (j, column) in columns.iter().enumerate() {
        if j > 0 {
            sql.push(", ");
        }
        sql.push("CAST($").int(j as i64 + 1).push(" AS ").push(column.array_type()).push(")");
    }
    sql.push(") AS u(");
    for j in 0..columns.len() {
        if j > 0 {
            sql.push(", ");
        }
        sql.push("c").int(j as i64);
    }
    sql.push(")");
}

/// Appends `CAST(u.c{j} AS cast)`, column `j` of an [`unnest_from`] batch as its column's type.
pub(super) fn unnested(sql: &mut Sql, j: usize, cast: &'static str) {
    sql.push("CAST(u.c").int(j as i64).push(" AS ").push(cast).push(")");
}

/// A multi-row statement on PostgreSQL runs inside this savepoint: a failed statement aborts a
/// PostgreSQL transaction, and rolling back to the savepoint makes it usable again, so the rows
/// can be replayed one by one to name the record at fault. SQLite needs none (a failed statement
/// leaves its transaction usable).
#[derive(Debug, Clone, Copy)]
pub(super) struct Savepoint {
    active: bool,
}

impl Savepoint {
    /// Opens the savepoint when `rows` > 1 on PostgreSQL (simple-query protocol: one round trip,
    /// nothing to prepare); otherwise does nothing.
    pub(super) async fn open(h: &mut Handle, dialect: Dialect, rows: usize) -> Result<Self, sqlx::Error> {
        let active = rows > 1 && dialect == Dialect::Postgres;
        if active {
            Self::run(h, "SAVEPOINT pdpo_batch").await?;
        }
        Ok(Self { active })
    }

    /// Releases the savepoint after the statement succeeded.
    pub(super) async fn release(self, h: &mut Handle) -> Result<(), sqlx::Error> {
        if self.active { Self::run(h, "RELEASE SAVEPOINT pdpo_batch").await } else { Ok(()) }
    }

    /// After the statement failed: rolls back to the savepoint; whether the transaction is
    /// usable for a replay.
    pub(super) async fn recover(self, h: &mut Handle) -> bool {
        !self.active || Self::run(h, "ROLLBACK TO SAVEPOINT pdpo_batch").await.is_ok()
    }

    async fn run(h: &mut Handle, text: &'static str) -> Result<(), sqlx::Error> {
        let mut sql = Sql::new(Dialect::Postgres);
        sql.push(text);
        h.execute_unprepared(sql).await
    }
}

/// Whether the driver error is a constraint violation (duplicate key, missing reference,
/// NOT NULL, CHECK): replaying the rows one by one then names the record at fault.
pub(super) fn is_constraint(e: &sqlx::Error) -> bool {
    use sqlx::error::ErrorKind::{CheckViolation, ForeignKeyViolation, NotNullViolation, UniqueViolation};
    matches!(e, sqlx::Error::Database(db)
        if matches!(db.kind(), UniqueViolation | ForeignKeyViolation | NotNullViolation | CheckViolation))
}
