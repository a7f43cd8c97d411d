//! The crate's error type.

use pdpo_core::{StoreError, StoreErrorKind};

/// Why a [`SqlStore`](crate::SqlStore) could not be opened, migrated or introspected.
///
/// Messages name entities, tables, columns and migration versions, never a stored value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The schema names a table the database lacks.
    #[error("entity `{entity}`: table `{table}` does not exist in the database")]
    MissingTable {
        /// Entity name from the schema.
        entity: String,
        /// Table name from the schema.
        table: String,
    },
    /// The schema names a column the table lacks.
    #[error("entity `{entity}`: column `{column}` does not exist in table `{table}`")]
    MissingColumn {
        /// Entity name from the schema.
        entity: String,
        /// Table name.
        table: String,
        /// Column name.
        column: String,
    },
    /// A table or column name the schema uses cannot be an SQL identifier here.
    #[error(
        "`{name}` cannot be used as an SQL identifier: use ASCII letters, digits and `_`, starting with a letter or `_`, at most 63 bytes"
    )]
    Identifier {
        /// The rejected name (a schema identifier, never a value).
        name: String,
    },
    /// A SQLite pool was configured without `PRAGMA foreign_keys=ON`.
    #[error("the SQLite connections do not enforce foreign keys: open them with `sqlite_options`")]
    ForeignKeysOff,
    /// The URL names no backend compiled into this build.
    #[error("unsupported database URL scheme `{scheme}` (features: sqlite, postgres)")]
    UnsupportedUrl {
        /// The URL scheme.
        scheme: String,
    },
    /// Connecting or running an introspection query failed.
    #[error("database error while {doing}")]
    Database {
        /// What was being done.
        doing: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A pdpo migration failed; nothing of it was applied.
    #[error("pdpo migration {version} (`{name}`) failed")]
    Migration {
        /// Migration version.
        version: i64,
        /// Migration name.
        name: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A pdpo migration recorded as applied has different SQL in this build.
    #[error("pdpo migration {version} (`{name}`) was applied with different SQL (checksum mismatch)")]
    MigrationChanged {
        /// Migration version.
        version: i64,
        /// Migration name.
        name: &'static str,
    },
    /// A store operation failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Error {
    pub(crate) fn db(doing: &'static str) -> impl FnOnce(sqlx::Error) -> Self {
        move |source| Self::Database { doing, source }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Error> for StoreError {
    fn from(e: Error) -> Self {
        match e {
            Error::Store(s) => s,
            Error::MissingTable { .. } | Error::MissingColumn { .. } | Error::Identifier { .. } => {
                StoreError::new(StoreErrorKind::Invalid, e.to_string())
            }
            Error::Database { .. } => StoreError::new(StoreErrorKind::Unavailable, e.to_string()),
            other => StoreError::new(StoreErrorKind::Backend, other.to_string()),
        }
    }
}

/// Maps a driver error met while doing `what` (a phrase naming table and record key) to a
/// [`StoreError`]. The driver's message is not kept, since some drivers quote values in it; the
/// SQLSTATE / SQLite code is.
pub(crate) fn store_error(e: &sqlx::Error, what: &str, deleting: bool) -> StoreError {
    match e {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            let (kind, why) = match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => (StoreErrorKind::Conflict, "duplicate key"),
                sqlx::error::ErrorKind::ForeignKeyViolation if deleting => {
                    (StoreErrorKind::WouldCascade, "still referenced by another record")
                }
                sqlx::error::ErrorKind::ForeignKeyViolation => {
                    (StoreErrorKind::MissingReference, "refers to a record that does not exist")
                }
                sqlx::error::ErrorKind::NotNullViolation => {
                    (StoreErrorKind::Invalid, "a NOT NULL column is null")
                }
                sqlx::error::ErrorKind::CheckViolation => {
                    (StoreErrorKind::Invalid, "a CHECK constraint failed")
                }
                _ => (StoreErrorKind::Backend, "database error"),
            };
            StoreError::new(kind, format!("{what}: {why} (code {code})"))
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
            StoreError::new(StoreErrorKind::Unavailable, format!("{what}: database unavailable"))
        }
        _ => StoreError::new(StoreErrorKind::Backend, format!("{what}: driver error")),
    }
}
