//! [`Month`]: the unit of partitioning, sealing and retention, in Hong Kong time.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use pdpo_core::HONG_KONG;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar month in Hong Kong time (UTC+8 all year, no daylight saving since 1979).
///
/// Every audit entry belongs to the month in which it was *recorded*, as a Hong Kong calendar
/// month: the partition for January 2026 runs from 2026-01-01T00:00+08:00 (2025-12-31T16:00Z) to
/// 2026-02-01T00:00+08:00. Hong Kong months are used because the retention period, the 12-month
/// window of s.23(1)(c) and the reports that staff and the Privacy Commissioner read are all in
/// Hong Kong dates; a UTC month would file the first eight hours of every Hong Kong month under the
/// previous one. The month is hashed into every entry, so it is fixed by the format, not configurable.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use pdpo_audit::Month;
/// let m = Month::of(Utc.with_ymd_and_hms(2025, 12, 31, 16, 0, 0).unwrap());
/// assert_eq!(m.to_string(), "2026-01"); // already 1 January in Hong Kong
/// assert_eq!(m.start(), Utc.with_ymd_and_hms(2025, 12, 31, 16, 0, 0).unwrap());
/// assert_eq!(m.plus(13).to_string(), "2027-02");
/// assert_eq!("2026-01".parse::<Month>()?, m);
/// # Ok::<(), pdpo_audit::InvalidMonth>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    // Field order matters: the derived `Ord` compares the year first.
    year: i32,
    month: u8,
}

/// A month that cannot exist (month outside 1..=12, or a year outside 0..=9999).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a month: use YYYY-MM with a year in 0..=9999 and a month in 01..=12")]
pub struct InvalidMonth;

impl Month {
    /// The month `month` (1..=12) of `year` (0..=9999).
    pub fn new(year: i32, month: u32) -> Result<Self, InvalidMonth> {
        if (0..=9999).contains(&year) && (1..=12).contains(&month) {
            // `month` is 1..=12, so it fits a u8.
            Ok(Self { year, month: month as u8 })
        } else {
            Err(InvalidMonth)
        }
    }

    /// The Hong Kong month containing the instant `at`. Years past 9999 are clamped to December
    /// 9999, and years before 0 to January 0 (no clock returns either).
    pub fn of(at: DateTime<Utc>) -> Self {
        let local = at.with_timezone(&HONG_KONG);
        match local.year() {
            y if y < 0 => Self { year: 0, month: 1 },
            y if y > 9999 => Self { year: 9999, month: 12 },
            // `Datelike::month` is 1..=12.
            y => Self { year: y, month: local.month() as u8 },
        }
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month of the year, 1..=12.
    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    /// The month as the integer `YYYYMM` (`202601`), as used in partition table names.
    pub fn yyyymm(self) -> u32 {
        // `year` is 0..=9999, so it is non-negative.
        self.year.unsigned_abs() * 100 + u32::from(self.month)
    }

    /// The month from a `YYYYMM` integer.
    pub fn from_yyyymm(n: u32) -> Result<Self, InvalidMonth> {
        let year = i32::try_from(n / 100).map_err(|_| InvalidMonth)?;
        Self::new(year, n % 100)
    }

    /// Months since January of year 0: a linear number for arithmetic.
    fn ordinal(self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month) - 1
    }

    fn from_ordinal(n: i64) -> Self {
        let n = n.clamp(0, 9999 * 12 + 11);
        // Clamped to 0..=9999*12+11, so the year fits an i32 and the month is 1..=12.
        Self { year: (n / 12) as i32, month: (n % 12 + 1) as u8 }
    }

    /// The month `n` months later (saturating at December 9999).
    #[must_use]
    pub fn plus(self, n: u32) -> Self {
        Self::from_ordinal(self.ordinal() + i64::from(n))
    }

    /// The month `n` months earlier (saturating at January 0).
    #[must_use]
    pub fn minus(self, n: u32) -> Self {
        Self::from_ordinal(self.ordinal() - i64::from(n))
    }

    /// The next month.
    #[must_use]
    pub fn next(self) -> Self {
        self.plus(1)
    }

    /// The previous month.
    #[must_use]
    pub fn prev(self) -> Self {
        self.minus(1)
    }

    /// How many months `later` is after `self` (negative if earlier).
    pub fn months_until(self, later: Month) -> i64 {
        later.ordinal() - self.ordinal()
    }

    /// The first instant of the month: midnight on the 1st, Hong Kong time.
    pub fn start(self) -> DateTime<Utc> {
        let day = NaiveDate::from_ymd_opt(self.year, u32::from(self.month), 1).unwrap_or(NaiveDate::MIN);
        HONG_KONG
            .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
            .single()
            .map_or(DateTime::<Utc>::MIN_UTC, |t| t.with_timezone(&Utc))
    }

    /// The first instant after the month (the start of the next month; for December 9999, the
    /// largest representable instant).
    pub fn end(self) -> DateTime<Utc> {
        if self == Self::from_ordinal(i64::MAX) {
            return DateTime::<Utc>::MAX_UTC;
        }
        self.next().start()
    }

    /// Whether `at` falls in this month.
    pub fn contains(self, at: DateTime<Utc>) -> bool {
        Self::of(at) == self
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl fmt::Debug for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Month({self})")
    }
}

impl FromStr for Month {
    type Err = InvalidMonth;

    /// Parses `YYYY-MM`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (y, m) = s.split_once('-').ok_or(InvalidMonth)?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(InvalidMonth);
        }
        Self::new(y.parse().map_err(|_| InvalidMonth)?, m.parse().map_err(|_| InvalidMonth)?)
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_are_hong_kong_midnight() {
        let jan = Month::new(2026, 1).unwrap();
        assert_eq!(jan.start(), Utc.with_ymd_and_hms(2025, 12, 31, 16, 0, 0).unwrap());
        assert_eq!(jan.end(), Utc.with_ymd_and_hms(2026, 1, 31, 16, 0, 0).unwrap());
        assert_eq!(Month::of(jan.end() - chrono::Duration::microseconds(1)), jan);
        assert_eq!(Month::of(jan.end()), jan.next());
        assert_eq!(Month::of(jan.start()), jan);
    }

    #[test]
    fn arithmetic_wraps_years() {
        let m = Month::new(2025, 11).unwrap();
        assert_eq!(m.plus(2), Month::new(2026, 1).unwrap());
        assert_eq!(m.minus(11), Month::new(2024, 12).unwrap());
        assert_eq!(m.months_until(Month::new(2027, 1).unwrap()), 14);
        assert_eq!(Month::from_yyyymm(m.yyyymm()).unwrap(), m);
        assert!(Month::from_yyyymm(202513).is_err());
        assert!("2025-1".parse::<Month>().is_err());
        assert!("2025-13".parse::<Month>().is_err());
    }
}
