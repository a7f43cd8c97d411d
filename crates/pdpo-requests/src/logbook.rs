//! The s.27 log book of refusals.

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Language, RefusalGround, RequestKind};

/// How long a log-book entry must be kept: 4 years after the day it was entered (s.27(1)(c)(i)).
pub const LOG_BOOK_RETENTION_YEARS: u32 = 4;

/// One entry of the log book (s.27(2)): the reasons for a refusal, made on or before the day the
/// refusal notice is served (s.27(3)), kept at least four years, in Chinese or English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LogBookEntry {
    /// Entry id.
    pub id: Uuid,
    /// The request refused.
    pub request: Uuid,
    /// Access (s.27(2)(a)) or correction (s.27(2)(c)).
    pub kind: RequestKind,
    /// When the request was received.
    pub received_on: NaiveDate,
    /// The grounds.
    pub grounds: Vec<RefusalGround>,
    /// The reasons (s.27(2)(a), (c)).
    pub reasons: String,
    /// Where s.21(2) is relied on: the prejudice to a Part 8 interest (s.27(2)(b)).
    pub prejudice: Option<String>,
    /// When the entry was made.
    pub entered_at: DateTime<Utc>,
    /// The Hong Kong date it was made (must be on or before `notice_served_on`).
    pub entered_on: NaiveDate,
    /// The day the refusal notice is (to be) served.
    pub notice_served_on: NaiveDate,
    /// Language of the entry.
    pub language: Language,
}

impl LogBookEntry {
    /// The first day the entry may be erased: four years after it was entered.
    pub fn erasable_from(&self) -> NaiveDate {
        self.entered_on
            .checked_add_months(Months::new(12 * LOG_BOOK_RETENTION_YEARS))
            .unwrap_or(NaiveDate::MAX)
    }
}
