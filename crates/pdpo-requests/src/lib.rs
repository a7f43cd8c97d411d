//! # pdpo-requests
//!
//! The ledger of Hong Kong PDPO (Cap. 486) requests: data access requests (s.18–21, 27–28) and
//! data correction requests (s.22–25), with the statutory clock counted exactly as the law says,
//! the s.27 log book of refusals, refusal grounds as codes, fees, written notices in English and
//! Traditional Chinese, requester resolution across duplicate records, and an automatic hold on a
//! person's data while their request is open.
//!
//! ## The clock
//! A data user must answer an access request within **40 days after receiving it** (s.19(1));
//! refusals (s.21(1)), corrections (s.23(1)) and correction refusals (s.25(1)) share the period.
//! Days are counted under the Interpretation and General Clauses Ordinance s.71(1): the day of
//! receipt is excluded, and a last day that is a Sunday, a general holiday, or a gale or black
//! rainstorm warning day moves to the next day that is none of these. Holidays come from a data
//! file (2020–2030 embedded; a year it does not cover is an error, never a guess); warning days are
//! recorded as they happen. Erasure and direct-marketing opt-out requests have no statutory clock:
//! their due dates come from [`ServiceLevels`] and are labelled business choices.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use pdpo_core::{Actor, FixedClock, Key};
//! use pdpo_requests::{Ledger, MemoryRequestStore, NewRequest, RequestKind};
//!
//! let clock = FixedClock::new(Utc.with_ymd_and_hms(2025, 3, 10, 2, 0, 0).unwrap());
//! let ledger = Ledger::new(MemoryRequestStore::new(), clock);
//! let staff = Actor::user("staff-7")?;
//! let dar = pollster::block_on(ledger.receive(NewRequest::new(RequestKind::Access, vec![Key::from(42)]), &staff))?;
//! let due = ledger.due(&dar)?;
//! assert_eq!(due.date.to_string(), "2025-04-22"); // over Good Friday's Saturday, Sunday and Easter Monday
//! assert!(due.statutory);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What this crate does not decide: whether the 40 days pause while a quoted fee is unpaid
//! (FACTS: unverified; the conservative reading is no), and the exact list of holidays for years
//! after the latest gazette (check the Government Gazette).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod calendar;
mod error;
mod grounds;
mod guard;
mod ledger;
mod logbook;
mod model;
mod notices;
mod resolve;
mod store;

pub use calendar::{
    CalendarError, HONG_KONG_HOLIDAYS_TOML, HolidayCalendar, NonWorkingReason, PeriodEnd, Warning,
};
pub use error::{Error, Result};
pub use grounds::RefusalGround;
pub use guard::OpenRequestHolds;
pub use ledger::{Ledger, NewRequest, RefusalInput, STATUTORY_DAYS, ServiceLevels, due_for};
pub use logbook::{LOG_BOOK_RETENTION_YEARS, LogBookEntry};
pub use model::{Due, Fee, Language, PartialNotice, Refusal, Request, RequestKind, RequestState, Transition};
pub use notices::{NoticeContext, NoticeGround, NoticeKind, Notices};
pub use resolve::{
    Evidence, MatchedOn, Resolver, SubjectMatch, normalise_email, normalise_hkid, normalise_phone,
};
pub use store::{LedgerWrite, MemoryRequestStore, RequestStore};
