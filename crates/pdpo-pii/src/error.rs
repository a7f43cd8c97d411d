//! The crate's error type.

/// Why building a scanner, scanning a line-format stream or running an inventory failed.
///
/// Messages are lower case and name where the problem is (detector, pattern index, line, entity,
/// field), never the personal data being scanned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A detector's pattern is not a valid regular expression.
    #[error("detector `{detector}` pattern {index}: invalid regular expression: {message}")]
    Pattern {
        /// The detector's kind.
        detector: String,
        /// Index in the detector's pattern list.
        index: usize,
        /// The regex parser's message (about the pattern, not about scanned text).
        message: String,
    },
    /// A detector's pattern has no maximum length, or matches the empty string; either would break
    /// the linear-time guarantee of [`Scanner::scan`](crate::Scanner::scan).
    #[error("detector `{detector}` pattern {index}: {problem}")]
    UnboundedPattern {
        /// The detector's kind.
        detector: String,
        /// Index in the detector's pattern list.
        index: usize,
        /// What is wrong.
        problem: &'static str,
    },
    /// The combined automaton could not be built (for example, it exceeds the size limit).
    #[error("could not build the scanner automaton: {message}")]
    Build {
        /// The regex builder's message.
        message: String,
    },
    /// A line of a JSONL input stream is not a JSON object with string `id` (or a number) and
    /// string `text`.
    #[error("line {line}: {problem}")]
    Line {
        /// 1-based line number.
        line: u64,
        /// What is wrong with the line (never its content).
        problem: String,
    },
    /// Reading or writing a stream failed.
    #[error("line {line}: i/o error")]
    Io {
        /// 1-based line number being read or written.
        line: u64,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The data store failed during an inventory.
    #[error("inventory of entity `{entity}` failed in the store")]
    Store {
        /// Entity being scanned.
        entity: String,
        /// The store's error.
        #[source]
        source: pdpo_core::StoreError,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
