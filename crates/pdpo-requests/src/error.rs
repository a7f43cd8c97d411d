//! Errors.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::{CalendarError, RefusalGround, RequestKind, RequestState};

/// Why a ledger operation was refused. Messages name requests by id and never hold personal data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The holiday calendar is missing data or malformed.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// No request has this id.
    #[error("no request {0}")]
    NotFound(Uuid),
    /// No log-book entry has this id.
    #[error("no log-book entry {0}")]
    NoLogEntry(Uuid),
    /// The state change is not allowed.
    #[error("request {id}: cannot move from {from} to {to}")]
    Transition {
        /// Request id.
        id: Uuid,
        /// Current state.
        from: RequestState,
        /// Wanted state.
        to: RequestState,
    },
    /// A correction request must follow an access request whose copy was supplied (s.22(1)).
    #[error(
        "a data correction request must follow a data access request whose copy was supplied (s.22(1)): {why}"
    )]
    NoPrecedingCopy {
        /// What is missing.
        why: String,
    },
    /// A refusal needs at least one ground.
    #[error("request {0}: a refusal needs at least one ground (s.21(1)(b), s.25(1))")]
    NoGrounds(Uuid),
    /// The ground does not apply to this kind of request.
    #[error("request {id}: ground {ground} does not apply to {kind} requests")]
    GroundNotApplicable {
        /// Request id.
        id: Uuid,
        /// The ground.
        ground: RefusalGround,
        /// The request's kind.
        kind: RequestKind,
    },
    /// Grounds s.20(3)(d) / s.24(3)(e) need the other data user's name and address.
    #[error(
        "request {id}: ground {ground} requires the other data user's name and address in the notice (s.21(1)(c), s.25(1))"
    )]
    OtherDataUserMissing {
        /// Request id.
        id: Uuid,
        /// The ground.
        ground: RefusalGround,
    },
    /// The log-book entry would be made after the notice is served (s.27(3)).
    #[error(
        "request {request}: the log-book entry would be made on {entered_on}, after the notice is served on {served_on} (s.27(3) requires it on or before)"
    )]
    EntryAfterNotice {
        /// Request id.
        request: Uuid,
        /// Date of entry.
        entered_on: NaiveDate,
        /// Date of service.
        served_on: NaiveDate,
    },
    /// The s.19(2) notice must be served before the period expires.
    #[error("request {id}: the s.19(2) notice must be served by {due}; {served_on} is too late")]
    PartialNoticeLate {
        /// Request id.
        id: Uuid,
        /// The last day of the period.
        due: NaiveDate,
        /// The proposed day of service.
        served_on: NaiveDate,
    },
    /// No fee may be charged for a correction request (s.28(1)), nor for the non-statutory kinds here.
    #[error("request {0}: no fee may be charged for this kind of request (s.28(1))")]
    FeeNotAllowed(Uuid),
    /// A log-book entry must be kept four years (s.27(1)(c)).
    #[error("log-book entry {id} must be kept until {until} (s.27(1)(c))")]
    LogBookRetention {
        /// Entry id.
        id: Uuid,
        /// First day it may be erased.
        until: NaiveDate,
    },
    /// A notice template failed.
    #[error("notice template `{name}`: {message}")]
    Template {
        /// Template name.
        name: String,
        /// What went wrong.
        message: String,
    },
    /// The store failed.
    #[error("request store failed")]
    Store(#[from] pdpo_core::StoreError),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
