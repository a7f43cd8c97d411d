//! Dynamic SQL, in one audited place.
//!
//! Every statement this crate builds at run time goes through [`Sql`]: its text is made only of
//! `&'static str` fragments, identifiers that passed [`quote`] (which accepts nothing but ASCII
//! letters, digits and `_`), casts from a fixed list, and placeholders. Values are always bound.
//! [`Sql::finish`] is the only place that wraps text in `AssertSqlSafe`.

use pdpo_core::{StoreError, StoreErrorKind};
use sqlx::AssertSqlSafe;

/// The SQL dialect of a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// SQLite: `?` placeholders.
    Sqlite,
    /// PostgreSQL: `$n` placeholders.
    Postgres,
}

impl Dialect {
    /// The most placeholders one statement may hold: SQLite's `SQLITE_MAX_VARIABLE_NUMBER` (32 766
    /// in the bundled library), PostgreSQL's protocol limit (65 535).
    pub(crate) fn max_binds(self) -> usize {
        match self {
            Self::Sqlite => 32_766,
            Self::Postgres => 65_535,
        }
    }
}

/// The longest identifier accepted (PostgreSQL truncates at 63 bytes).
pub(crate) const MAX_IDENT: usize = 63;

/// Whether `name` may be used as an SQL identifier: `^[A-Za-z_][A-Za-z0-9_]{0,62}$`.
pub(crate) fn is_sql_identifier(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_IDENT
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// An identifier that passed [`quote`]: double-quoted, case preserved (`"contactNotes"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Quoted(String);

impl Quoted {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// Quotes a table or column name taken from the validated schema or the catalog. Both dialects
/// use standard double quotes; since only `[A-Za-z0-9_]` is accepted, no escaping is needed.
pub(crate) fn quote(name: &str) -> Option<Quoted> {
    is_sql_identifier(name).then(|| Quoted(format!("\"{name}\"")))
}

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bind {
    /// SQL `NULL`.
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Text, shared: a statement and the rows kept to replay it hold one copy (SQLite's driver
    /// binds it without another; PostgreSQL encodes it into the message).
    Text(std::sync::Arc<str>),
    Bytes(Vec<u8>),
    Uuid(uuid::Uuid),
    Timestamp(chrono::DateTime<chrono::Utc>),
    Date(chrono::NaiveDate),
    IntArray(Vec<i64>),
    TextArray(Vec<String>),
    UuidArray(Vec<uuid::Uuid>),
}

impl Bind {
    /// A text bind.
    pub(crate) fn text(s: impl Into<std::sync::Arc<str>>) -> Self {
        Self::Text(s.into())
    }

    /// One letter per variant, for [`Sql::finish_signed`].
    fn kind(&self) -> char {
        match self {
            Self::Null => 'n',
            Self::Bool(_) => 'b',
            Self::Int(_) => 'i',
            Self::Float(_) => 'f',
            Self::Text(_) => 't',
            Self::Bytes(_) => 'y',
            Self::Uuid(_) => 'u',
            Self::Timestamp(_) => 's',
            Self::Date(_) => 'd',
            Self::IntArray(_) => 'I',
            Self::TextArray(_) => 'T',
            Self::UuidArray(_) => 'U',
        }
    }
}

/// A statement under construction: text from audited parts, plus its binds.
#[derive(Debug)]
pub(crate) struct Sql {
    dialect: Dialect,
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    pub(crate) fn new(dialect: Dialect) -> Self {
        Self { dialect, text: String::with_capacity(128), binds: Vec::new() }
    }

    /// Appends constant SQL.
    pub(crate) fn push(&mut self, fragment: &'static str) -> &mut Self {
        self.text.push_str(fragment);
        self
    }

    /// Appends a quoted identifier.
    pub(crate) fn ident(&mut self, q: &Quoted) -> &mut Self {
        self.text.push_str(q.as_str());
        self
    }

    /// Appends `alias.ident`, where `alias` is a constant.
    pub(crate) fn qualified(&mut self, alias: &'static str, q: &Quoted) -> &mut Self {
        self.text.push_str(alias);
        self.text.push('.');
        self.text.push_str(q.as_str());
        self
    }

    /// Appends an integer literal, for DDL, which cannot take placeholders (partition bounds).
    pub(crate) fn int(&mut self, v: i64) -> &mut Self {
        self.text.push_str(&v.to_string());
        self
    }

    /// The statement's dialect.
    pub(crate) fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// How many binds the statement holds so far (PostgreSQL placeholders `$1..$n`).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn bind_count(&self) -> usize {
        self.binds.len()
    }

    /// Appends a placeholder for `bind`, cast to `cast` (a constant type name) on PostgreSQL.
    pub(crate) fn bind(&mut self, bind: Bind, cast: Option<&'static str>) -> &mut Self {
        self.binds.push(bind);
        match (self.dialect, cast) {
            (Dialect::Sqlite, _) => self.text.push('?'),
            (Dialect::Postgres, None) => {
                self.text.push('$');
                self.text.push_str(&self.binds.len().to_string());
            }
            (Dialect::Postgres, Some(ty)) => {
                self.text.push_str("CAST($");
                self.text.push_str(&self.binds.len().to_string());
                self.text.push_str(" AS ");
                self.text.push_str(ty);
                self.text.push(')');
            }
        }
        self
    }

    /// The statement text, for tests.
    #[cfg(test)]
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The statement, ready for `sqlx::query`.
    ///
    /// This is the crate's only `AssertSqlSafe`: the text was built from constants, identifiers
    /// accepted by [`quote`], casts from the constant list in `column.rs`, and placeholders.
    pub(crate) fn finish(self) -> (AssertSqlSafe<String>, Vec<Bind>) {
        (AssertSqlSafe(self.text), self.binds)
    }

    /// [`finish`](Self::finish) for a statement kept prepared on PostgreSQL: there the text ends with
    /// a comment naming the kind of each bind (`/*itn*/`). sqlx caches a prepared statement by
    /// its text, with the parameter types of its first use; with the kinds in the text, a text
    /// is never bound with other types (a `NULL`, sent as text, where an integer was before).
    pub(crate) fn finish_signed(mut self) -> (AssertSqlSafe<String>, Vec<Bind>) {
        if self.dialect == Dialect::Postgres && !self.binds.is_empty() {
            self.text.push_str(" /*");
            self.text.extend(self.binds.iter().map(Bind::kind));
            self.text.push_str("*/");
        }
        self.finish()
    }
}

/// Binds per statement: below SQLite's 32 766 and PostgreSQL's 65 535.
pub(crate) const MAX_BINDS: usize = 10_000;

/// An `Invalid` store error.
pub(crate) fn invalid(message: String) -> StoreError {
    StoreError::new(StoreErrorKind::Invalid, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_accepts_only_plain_identifiers() {
        assert_eq!(quote("contactNotes").map(|q| q.0), Some("\"contactNotes\"".to_owned()));
        assert_eq!(quote("_pdpo_migrations").map(|q| q.0), Some("\"_pdpo_migrations\"".to_owned()));
        for bad in ["", "1abc", "a-b", "a.b", "a\"b", "a b", "a;drop", "é", &"x".repeat(64)] {
            assert!(quote(bad).is_none(), "{bad:?} accepted");
        }
    }

    #[test]
    fn placeholders_per_dialect() {
        let id = quote("id").unwrap();
        let mut s = Sql::new(Dialect::Postgres);
        s.push("SELECT 1 WHERE ").ident(&id).push(" = ").bind(Bind::Int(1), Some("bigint"));
        s.push(" AND ").ident(&id).push(" = ").bind(Bind::Null, None);
        assert_eq!(s.text(), "SELECT 1 WHERE \"id\" = CAST($1 AS bigint) AND \"id\" = $2");
        let mut s = Sql::new(Dialect::Sqlite);
        s.push("SELECT ").bind(Bind::Int(1), Some("bigint"));
        assert_eq!(s.text(), "SELECT ?");
    }
}
