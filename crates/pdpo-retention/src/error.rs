//! The crate's error type.

use std::fmt;
use std::path::PathBuf;

use pdpo_core::StoreError;

/// One problem found in a retention policy: where (file, line, rule, field) and what.
///
/// Messages name rules, entities and columns, never a record's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The policy file, when loaded from one.
    pub file: Option<PathBuf>,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// The rule's name (or `#n`, its position, when it has no usable name).
    pub rule: Option<String>,
    /// The rule's key at fault (`anchor`, `period`, `when.status`, ...).
    pub field: Option<String>,
    /// What is wrong, and how to fix it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{}:{line}: ", file.display())?,
            (Some(file), None) => write!(f, "{}: ", file.display())?,
            (None, Some(line)) => write!(f, "line {line}: ")?,
            (None, None) => {}
        }
        if let Some(rule) = &self.rule {
            write!(f, "rule `{rule}`: ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "`{field}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Every problem of a refused policy, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [] => f.write_str("invalid retention policy"),
            [one] => write!(f, "invalid retention policy: {one}"),
            many => {
                write!(f, "invalid retention policy ({} problems):", many.len())?;
                for p in many {
                    write!(f, "\n  {p}")?;
                }
                Ok(())
            }
        }
    }
}

/// Why a policy could not be loaded or a plan could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A period is not an ISO 8601 duration this crate accepts.
    #[error("invalid period `{text}`: {reason}")]
    InvalidPeriod {
        /// The text (a policy literal, never record data), cut to 40 characters.
        text: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The policy file could not be read.
    #[error("cannot read retention policy {}", file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// Underlying cause.
        source: std::io::Error,
    },
    /// The policy is malformed or does not fit the schema; every problem names file, line and rule.
    #[error("{0}")]
    Invalid(Problems),
    /// The store failed while a plan scanned an entity.
    #[error("store failed while planning entity `{entity}`")]
    Store {
        /// The entity being scanned.
        entity: String,
        /// Underlying cause.
        source: StoreError,
    },
    /// A saved plan was resumed with a different policy than the one it was made with.
    #[error("cannot resume retention plan: {reason}")]
    PlanMismatch {
        /// What differs.
        reason: String,
    },
}

impl Error {
    /// The problems of an [`Error::Invalid`]; empty for other errors.
    pub fn problems(&self) -> &[Problem] {
        match self {
            Self::Invalid(p) => &p.0,
            _ => &[],
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
