//! The crate's error type.

use pdpo_core::StoreError;

/// Why an export failed. Messages name the entity, file and record key involved, never a
/// personal value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The data store failed while reading an entity.
    #[error("store failed while reading `{entity}`")]
    Store {
        /// Entity being read.
        entity: String,
        /// Underlying cause.
        #[source]
        source: StoreError,
    },
    /// The audit log failed while its partitions, seals or head were read.
    #[error("audit log failed while reading {part}")]
    Audit {
        /// What was being read (`head`, `seals`, `partitions` or a month such as `2026-01`).
        part: String,
        /// Underlying cause.
        #[source]
        source: pdpo_audit::Error,
    },
    /// An attachment could not be opened or read from the blob store.
    #[error("attachment of `{entity}` record {key} (blob field `{field}`) could not be read")]
    Blob {
        /// Entity of the record naming the blob.
        entity: String,
        /// Record key.
        key: String,
        /// The attachment field.
        field: String,
        /// Underlying cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Writing a file of the archive (or the archive itself) failed.
    #[error("writing `{file}` failed")]
    Write {
        /// Path inside the archive (`archive` for the container itself).
        file: String,
        /// Underlying cause (an I/O or ZIP error).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Reading an archive back (for verification) failed.
    #[error("reading `{file}` from the archive failed")]
    Read {
        /// Path inside the archive (`archive` for the container itself).
        file: String,
        /// Underlying cause (an I/O, ZIP or JSON error).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The report template could not be parsed or rendered.
    #[error("report template `{name}`: {message}")]
    Template {
        /// Template name or file.
        name: String,
        /// What went wrong (template syntax or an undefined variable; never a field value).
        message: String,
    },
    /// The request names no data subject.
    #[error("request {request} names no data subject")]
    NoSubject {
        /// Request id.
        request: uuid::Uuid,
    },
    /// The download link could not be signed.
    #[error("signing the download link for export {export} failed")]
    Token {
        /// Export id.
        export: uuid::Uuid,
        /// Underlying cause.
        #[source]
        source: pdpo_crypto::Error,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn write(file: &str, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Write { file: file.to_owned(), source: source.into() }
    }

    pub(crate) fn read(file: &str, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Read { file: file.to_owned(), source: source.into() }
    }

    pub(crate) fn store(entity: &str, source: StoreError) -> Self {
        Self::Store { entity: entity.to_owned(), source }
    }
}
