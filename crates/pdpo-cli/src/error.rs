//! One-line errors with documented exit codes.

use std::fmt;
use std::path::Path;
use std::process::ExitCode;

use pdpo::core::StoreErrorKind;

/// Exit code: a check failed (the audit log does not verify).
pub(crate) const CHECK_FAILED: u8 = 1;
/// Exit code: bad input (a missing or garbled file, a wrong URL, an invalid value).
pub(crate) const BAD_INPUT: u8 = 3;
/// Exit code: an unknown subject, request or workspace.
pub(crate) const NOT_FOUND: u8 = 4;
/// Exit code: a rule forbids it (a hold, a closed workspace, a grace period not over).
pub(crate) const REFUSED: u8 = 5;
/// Exit code: the database or the file system failed.
pub(crate) const FAILED: u8 = 10;

/// An error the CLI prints as one line on standard error, with its exit code. The message
/// comes from the libraries' errors, which name records, fields, files and lines, never a
/// personal value; sources (driver messages) are not printed.
#[derive(Debug)]
pub(crate) struct CliError {
    pub(crate) code: u8,
    pub(crate) message: String,
}

impl CliError {
    pub(crate) fn new(code: u8, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    pub(crate) fn input(message: impl Into<String>) -> Self {
        Self::new(BAD_INPUT, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(NOT_FOUND, message)
    }

    pub(crate) fn io(doing: &str, path: &Path, e: &std::io::Error) -> Self {
        let code = match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::AlreadyExists => BAD_INPUT,
            _ => FAILED,
        };
        Self::new(code, format!("{doing} `{}`: {e}", path.display()))
    }

    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line, whatever the message holds.
        let one_line = self.message.split_whitespace().collect::<Vec<_>>().join(" ");
        f.write_str(&one_line)
    }
}

fn store_code(kind: StoreErrorKind) -> u8 {
    match kind {
        StoreErrorKind::NotFound => NOT_FOUND,
        StoreErrorKind::Invalid => BAD_INPUT,
        StoreErrorKind::Conflict
        | StoreErrorKind::WouldCascade
        | StoreErrorKind::MissingReference
        | StoreErrorKind::Closed => REFUSED,
        _ => FAILED,
    }
}

impl From<pdpo::Error> for CliError {
    fn from(e: pdpo::Error) -> Self {
        use pdpo::Error as E;
        let code = match &e {
            E::Store(s) => store_code(s.kind()),
            E::UnknownRequest(_) | E::UnknownSubject { .. } => NOT_FOUND,
            E::NoPolicy | E::Identifier(_) | E::Retention(_) => BAD_INPUT,
            E::Requests(r) => match r {
                pdpo::requests::Error::NotFound(_) => NOT_FOUND,
                pdpo::requests::Error::Calendar(_) => BAD_INPUT,
                _ => REFUSED,
            },
            E::Anonymise(a) => match a {
                pdpo::anonymise::Error::Store { .. } | pdpo::anonymise::Error::Random => FAILED,
                pdpo::anonymise::Error::Verification { .. } => CHECK_FAILED,
                _ => BAD_INPUT,
            },
            _ => FAILED,
        };
        Self::new(code, e.to_string())
    }
}

impl From<pdpo::core::StoreError> for CliError {
    fn from(e: pdpo::core::StoreError) -> Self {
        Self::new(store_code(e.kind()), e.to_string())
    }
}

impl From<pdpo::core::SchemaError> for CliError {
    fn from(e: pdpo::core::SchemaError) -> Self {
        Self::input(e.to_string())
    }
}

impl From<pdpo::store::Error> for CliError {
    fn from(e: pdpo::store::Error) -> Self {
        let code = match &e {
            pdpo::store::Error::Database { .. } => FAILED,
            _ => BAD_INPUT,
        };
        Self::new(code, e.to_string())
    }
}

impl From<pdpo::audit::Error> for CliError {
    fn from(e: pdpo::audit::Error) -> Self {
        Self::new(FAILED, e.to_string())
    }
}

impl From<pdpo::crypto::Error> for CliError {
    fn from(e: pdpo::crypto::Error) -> Self {
        Self::new(BAD_INPUT, e.to_string())
    }
}

impl From<pdpo::pii::Error> for CliError {
    fn from(e: pdpo::pii::Error) -> Self {
        Self::new(FAILED, e.to_string())
    }
}

impl From<pdpo::retention::Error> for CliError {
    fn from(e: pdpo::retention::Error) -> Self {
        Self::input(e.to_string())
    }
}

impl From<pdpo::core::InvalidIdentifier> for CliError {
    fn from(e: pdpo::core::InvalidIdentifier) -> Self {
        Self::input(e.to_string())
    }
}

/// `Result` with [`CliError`].
pub(crate) type Result<T, E = CliError> = std::result::Result<T, E>;
