//! Requests, their states and their clocks.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use pdpo_core::{Decimal, Key};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{PeriodEnd, RefusalGround};

/// What the person asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RequestKind {
    /// A data access request (s.18): whether data are held, and a copy. 40-day statutory clock (s.19(1)).
    Access,
    /// A data correction request (s.22), after a copy was supplied under an access request.
    /// 40-day statutory clock (s.23(1)); free of charge (s.28(1)).
    Correction,
    /// A request to erase data. The PDPO gives no right to erasure on request (s.26 is the data
    /// user's own duty), so its clock is a business choice.
    Erasure,
    /// A request to stop using data in direct marketing (s.35G): act at once. The statute gives no
    /// period; the clock is a business choice.
    MarketingOptOut,
}

impl RequestKind {
    /// Whether the PDPO sets the clock (access and correction requests only).
    pub fn is_statutory(self) -> bool {
        matches!(self, Self::Access | Self::Correction)
    }

    /// The snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Correction => "correction",
            Self::Erasure => "erasure",
            Self::MarketingOptOut => "marketing_opt_out",
        }
    }
}

impl fmt::Display for RequestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RequestState {
    /// Received; the clock runs from the day after receipt.
    Received,
    /// The requestor's identity (or authority) is established (s.20(1)(a), s.24(1)).
    IdentityVerified,
    /// Being worked on.
    InProgress,
    /// Partly complied with, after a s.19(2) (or s.23(2)) notice served before the deadline; the rest
    /// must follow as soon as practicable.
    PartiallyComplied,
    /// Complied with.
    Completed,
    /// Refused, with a log-book entry and a notice (s.21, s.25).
    Refused,
}

impl RequestState {
    /// Whether the request is still open (the clock matters and erasure is held).
    pub fn is_open(self) -> bool {
        matches!(self, Self::Received | Self::IdentityVerified | Self::InProgress | Self::PartiallyComplied)
    }

    /// The snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::IdentityVerified => "identity_verified",
            Self::InProgress => "in_progress",
            Self::PartiallyComplied => "partially_complied",
            Self::Completed => "completed",
            Self::Refused => "refused",
        }
    }

    /// Whether a request may move from `self` to `to`.
    pub fn can_move_to(self, to: RequestState) -> bool {
        use RequestState::{Completed, IdentityVerified, InProgress, PartiallyComplied, Received, Refused};
        matches!(
            (self, to),
            (Received, IdentityVerified | Refused)
                | (IdentityVerified, InProgress | Completed | PartiallyComplied | Refused)
                | (InProgress, Completed | PartiallyComplied | Refused)
                | (PartiallyComplied, Completed | Refused)
        )
    }
}

impl fmt::Display for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The language of the request and of its notices (s.19(3)(c); the log book is kept in Chinese or
/// English, s.27(1)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// English.
    #[default]
    En,
    /// Traditional Chinese.
    ZhHant,
}

impl Language {
    /// The tag used in template names: `en`, `zh-Hant`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::ZhHant => "zh-Hant",
        }
    }
}

/// A fee for complying with an access request (s.28(2)–(4): not excessive; never for a correction).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    /// Amount in Hong Kong dollars.
    pub amount_hkd: Decimal,
    /// What it covers (costs directly related to and necessary for complying, AAB 37/2009).
    pub basis: String,
    /// When it was paid, if it has been.
    pub paid_on: Option<NaiveDate>,
}

/// When a request must be answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Due {
    /// The last day.
    pub date: NaiveDate,
    /// Whether the PDPO sets it (access and correction requests), or it is the business's own
    /// service level (erasure and opt-out requests).
    pub statutory: bool,
    /// The basis: "PDPO s.19(1); IGCO s.71(1)" or "business choice: ...".
    pub basis: String,
    /// How the date was counted.
    pub explanation: String,
    /// For statutory clocks, the counted period.
    #[serde(skip)]
    pub period: Option<PeriodEnd>,
}

/// One state change, kept in the request's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// From state.
    pub from: RequestState,
    /// To state.
    pub to: RequestState,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (an actor id).
    pub by: String,
}

/// A refusal: its grounds and reasons, and when the notice was served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The grounds.
    pub grounds: Vec<RefusalGround>,
    /// The reasons, specific enough to allow a challenge (s.21(1)(b)).
    pub reasons: String,
    /// For s.20(3)(d) / s.24(3)(e): the other data user's name and address.
    pub other_data_user: Option<String>,
    /// The day the notice was served.
    pub notice_served_on: NaiveDate,
    /// The s.27 log-book entry made for it.
    pub log_book_entry: Uuid,
}

/// A s.19(2) (or s.23(2)) notice: unable to comply in time, complying in part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialNotice {
    /// Why the data user cannot comply in full within the period.
    pub reasons: String,
    /// The day the notice was served (before the deadline).
    pub served_on: NaiveDate,
}

/// A request in the ledger.
///
/// `Debug` omits the requestor's contact details; the subject is a record key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Request {
    /// Request id.
    pub id: Uuid,
    /// Kind.
    pub kind: RequestKind,
    /// The data subject's record(s): the subject keys resolved for this requestor.
    pub subjects: Vec<Key>,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// The Hong Kong date of receipt (the day excluded from the count).
    pub received_on: NaiveDate,
    /// Language of the request and its notices.
    pub language: Language,
    /// State.
    pub state: RequestState,
    /// For a correction request: the access request whose copy was supplied (s.22(1)).
    pub follows: Option<Uuid>,
    /// Fee, for access requests.
    pub fee: Option<Fee>,
    /// Refusal, if refused.
    pub refusal: Option<Refusal>,
    /// s.19(2) notice, if served.
    pub partial_notice: Option<PartialNotice>,
    /// The day the copy (or the correction) was supplied, when completed.
    pub completed_on: Option<NaiveDate>,
    /// History of state changes.
    pub history: Vec<Transition>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("subjects", &self.subjects)
            .field("received_on", &self.received_on)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}
