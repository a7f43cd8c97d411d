//! The crate's error type.

use pdpo_core::{Identifier, StoreError};

use crate::Month;
use crate::encoding::{DecodeError, TooLarge};

/// Why an audit operation failed. Messages name months, indexes and key ids, never an event's
/// content.
///
/// Tampering is not an error: [`verify`](crate::verify) reports it as [`Fault`](crate::Fault)s in
/// a [`Report`](crate::Report).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The backing store failed.
    #[error("audit store `{backend}` failed")]
    Store {
        /// Adapter name.
        backend: &'static str,
        /// Underlying cause.
        #[source]
        source: StoreError,
    },
    /// An event is too large for the encoding.
    #[error(transparent)]
    TooLarge(#[from] TooLarge),
    /// A stored entry cannot be decoded (run [`verify`](crate::verify) to locate tampering).
    #[error("audit entry {month} #{index} cannot be decoded")]
    Undecodable {
        /// Partition.
        month: Month,
        /// Entry index.
        index: u64,
        /// What was wrong.
        #[source]
        source: DecodeError,
    },
    /// Only sealed months can be dropped.
    #[error("audit partition {month} is not sealed; only sealed months can be dropped")]
    NotSealed {
        /// The month.
        month: Month,
    },
    /// Partitions are dropped oldest first, so the kept ones stay contiguous.
    #[error("audit partition {month} is not the oldest kept partition ({oldest}); drop {oldest} first")]
    NotOldest {
        /// The month asked for.
        month: Month,
        /// The oldest kept partition.
        oldest: Month,
    },
    /// A checkpoint key is too short.
    #[error("checkpoint key `{id}` is {len} bytes; use at least 32 random bytes")]
    WeakKey {
        /// The key's id.
        id: Identifier,
        /// Its length.
        len: usize,
    },
    /// A checkpoint's text form is malformed.
    #[error("checkpoint line {line}: {reason}")]
    CheckpointFormat {
        /// 1-based line (0: the text ended early).
        line: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// A retention policy is unusable.
    #[error("retention of {months} months is too short: keep at least 1 month")]
    Retention {
        /// The configured number of months.
        months: u32,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
