//! The crate's one error type.

use pdpo_core::StoreError;

/// Why an erasure, a retention run or a correction could not be done.
///
/// Messages name entities, fields and record keys, never a personal value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The store failed (nothing was changed: every write is one atomic change set).
    #[error("store failed while {during}")]
    Store {
        /// What was being done (`collecting the subject graph`, `applying the erasure`, ...).
        during: &'static str,
        /// Underlying cause.
        source: StoreError,
    },
    /// A field names an entity or column the schema does not describe.
    #[error("no field `{field}` in entity `{entity}`")]
    UnknownField {
        /// Entity name.
        entity: String,
        /// Field name.
        field: String,
    },
    /// A correction tried to change a key column or a link column.
    #[error("{entity}[{key}]: `{field}` is a key or link column and cannot be corrected")]
    KeyColumn {
        /// Entity name.
        entity: String,
        /// Record key.
        key: String,
        /// Field name.
        field: String,
    },
    /// A correction names a record that is not about the data subject, or a field about
    /// another person.
    #[error("{entity}[{key}]: field `{field}` is not about the data subject")]
    NotAboutSubject {
        /// Entity name.
        entity: String,
        /// Record key.
        key: String,
        /// Field name (`*` for the whole record).
        field: String,
    },
    /// After erasure a value of the data subject was still found in one of their records.
    #[error("verification failed: {entity}[{key}] field `{field}` still holds a value of the data subject")]
    Verification {
        /// Entity name.
        entity: String,
        /// Record key.
        key: String,
        /// Field name.
        field: String,
    },
    /// A pseudonymisation key is too short.
    #[error("a pseudonymisation key needs at least 32 bytes, got {len}")]
    WeakKey {
        /// Length given.
        len: usize,
    },
    /// The operating system's random source failed.
    #[error("the random source failed")]
    Random,
    /// Destroying the data subject's key failed (the data changes, already committed, stand;
    /// run the erasure again to retry the shred).
    #[error("shredding the data key of subject {subject} failed")]
    Shred {
        /// Subject key.
        subject: String,
        /// Underlying cause.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The free-text scanner could not be built.
    #[error("the free-text scanner could not be built")]
    Scanner(#[source] pdpo_pii::Error),
    /// The plan has encrypted fields to shred but no key shredder was given.
    #[error("{entity}[{key}] field `{field}` is to be shredded but no key shredder was given")]
    NoShredder {
        /// Entity name.
        entity: String,
        /// Record key.
        key: String,
        /// Field name.
        field: String,
    },
    /// The retention plan refused to continue (policy changed, store failed).
    #[error("retention plan failed")]
    Retention(#[from] pdpo_retention::Error),
}

impl Error {
    pub(crate) fn store(during: &'static str) -> impl FnOnce(StoreError) -> Self {
        move |source| Self::Store { during, source }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
