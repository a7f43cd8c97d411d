//! Time sources. Every deadline, retention period and grace period is computed on a [`Clock`], so
//! tests can fix or advance time.

use std::sync::Mutex;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;

    /// Today's date in Hong Kong (UTC+8 all year; no daylight saving since 1979).
    fn today_hk(&self) -> NaiveDate {
        hong_kong_date(self.now())
    }
}

/// Hong Kong's offset from UTC: +08:00 (checked at compile time).
pub const HONG_KONG: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("+08:00 is a valid offset"),
};

/// Hong Kong's offset from UTC: +08:00.
pub fn hong_kong_offset() -> FixedOffset {
    HONG_KONG
}

/// The Hong Kong calendar date of an instant (saturating at the end of chrono's range instead of
/// panicking).
pub fn hong_kong_date(at: DateTime<Utc>) -> NaiveDate {
    at.checked_add_signed(Duration::hours(8)).map_or(NaiveDate::MAX, |t| t.date_naive())
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told to move: for tests, demos and simulations.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use pdpo_core::{Clock, FixedClock};
/// let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 31, 16, 0, 0).unwrap());
/// assert_eq!(clock.today_hk().to_string(), "2026-02-01"); // already Sunday morning in Hong Kong
/// clock.advance(Duration::days(1));
/// assert_eq!(clock.today_hk().to_string(), "2026-02-02");
/// ```
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    /// A clock fixed at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = at;
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *t += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for Box<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}
