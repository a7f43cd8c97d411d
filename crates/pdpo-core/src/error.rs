//! Store errors.

use std::error::Error as StdError;
use std::fmt;

/// What kind of failure a [`StoreError`] is, so callers never match driver codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// A record, entity, blob or tenant does not exist.
    NotFound,
    /// A write conflicts with existing data (duplicate key, concurrent change).
    Conflict,
    /// A delete would cascade into rows outside the change set (or leave a dangling reference).
    WouldCascade,
    /// A written record would refer to a record that does not exist (a foreign key violation).
    MissingReference,
    /// The request is malformed: unknown entity or column, wrong key arity, a key column changed.
    Invalid,
    /// The workspace is closed: writes are refused.
    Closed,
    /// The audit event sink refused the events; nothing was applied.
    Audit,
    /// The backend is unreachable.
    Unavailable,
    /// Any other backend failure.
    Backend,
}

impl StoreErrorKind {
    /// The snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "not found",
            Self::Conflict => "conflict",
            Self::WouldCascade => "would cascade",
            Self::MissingReference => "missing reference",
            Self::Invalid => "invalid request",
            Self::Closed => "workspace closed",
            Self::Audit => "audit failure",
            Self::Unavailable => "unavailable",
            Self::Backend => "backend failure",
        }
    }
}

/// A failure of a [`DataStore`](crate::DataStore), [`BlobStore`](crate::BlobStore) or
/// [`EventSink`](crate::EventSink).
///
/// The message names entities, columns and record keys, never a value.
#[derive(Debug)]
pub struct StoreError {
    kind: StoreErrorKind,
    message: String,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

impl StoreError {
    /// A new error. `message` must not contain personal data.
    pub fn new(kind: StoreErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), source: None }
    }

    /// Attaches the underlying cause.
    #[must_use]
    pub fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// The message (without the kind).
    pub fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StoreErrorKind::NotFound, message)
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(StoreErrorKind::Invalid, message)
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)
    }
}

impl StdError for StoreError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}
