//! Retention periods: ISO 8601 durations (`P7Y`, `P18M`, `P1Y6M`, `P2W`, `P30D`), counted on the
//! Hong Kong calendar.
//!
//! See [`Period`] for how a period is counted.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Days, Months, NaiveDate, TimeDelta, Utc};
use pdpo_core::HONG_KONG;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

/// Largest number of years (and, scaled, of months, weeks or days) a period may name: far beyond
/// any retention period, small enough that no arithmetic can overflow.
pub const MAX_YEARS: u32 = 1000;

/// A calendar period: years, months, weeks and days (ISO 8601 duration, date part only).
///
/// Parse with [`str::parse`]; `Display` gives the canonical form back (`parse(format(p)) == p`).
///
/// # How a period is counted
///
/// 1. The anchor instant (a record's `issued_at`, `last_activity_at`, ...) is turned into its
///    **Hong Kong calendar date** (UTC+8 all year, so there is no daylight-saving ambiguity).
/// 2. Years and months are added first, as one number of months. When the day does not exist in the
///    target month, the **last day of that month** is used: 31 Jan + `P1M` = 28 Feb (29 Feb in a leap
///    year), and 29 Feb + `P1Y` = 28 Feb. Clamping never carries a period into the next month.
/// 3. Then weeks and days are added.
/// 4. The result is the **last day of the period**. The period has run at the start (00:00 Hong
///    Kong time) of the following day: the anchor day itself is not counted (the way the
///    Interpretation and General Clauses Ordinance (Cap. 1) s.71(1)(a) counts statutory periods,
///    FACTS.md B1), so a record is never disposed of a day early. Unlike statutory response
///    periods, retention periods do not roll forward over holidays: nobody has to act by the
///    last day, the record simply becomes disposable after it. An invoice issued on 15 Mar 2019 under `P7Y` is kept through
///    15 Mar 2026 and may be disposed of from 16 Mar 2026.
///
/// ```
/// use chrono::NaiveDate;
/// use pdpo_retention::Period;
/// let month: Period = "P1M".parse()?;
/// let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
/// assert_eq!(month.last_day(d(2025, 1, 31)), Some(d(2025, 2, 28)));
/// assert_eq!(month.last_day(d(2024, 1, 31)), Some(d(2024, 2, 29)));
/// let year: Period = "P1Y".parse()?;
/// assert_eq!(year.last_day(d(2024, 2, 29)), Some(d(2025, 2, 28)));
/// assert_eq!("P1Y6M".parse::<Period>()?.to_string(), "P1Y6M");
/// # Ok::<(), pdpo_retention::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Period {
    years: u32,
    months: u32,
    weeks: u32,
    days: u32,
}

impl Period {
    /// A period of years, months, weeks and days. `None` if a component exceeds its bound
    /// ([`MAX_YEARS`] years, or the same span in months, weeks or days).
    pub fn new(years: u32, months: u32, weeks: u32, days: u32) -> Option<Self> {
        let ok = years <= MAX_YEARS
            && months <= MAX_YEARS * 12
            && weeks <= MAX_YEARS * 53
            && days <= MAX_YEARS * 366;
        ok.then_some(Self { years, months, weeks, days })
    }

    /// `n` years.
    pub fn years(n: u32) -> Option<Self> {
        Self::new(n, 0, 0, 0)
    }

    /// `n` months.
    pub fn months(n: u32) -> Option<Self> {
        Self::new(0, n, 0, 0)
    }

    /// `n` days.
    pub fn days(n: u32) -> Option<Self> {
        Self::new(0, 0, 0, n)
    }

    /// The components: years, months, weeks, days.
    pub fn parts(&self) -> (u32, u32, u32, u32) {
        (self.years, self.months, self.weeks, self.days)
    }

    /// Whether the period is empty (`P0D`).
    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }

    fn total_months(&self) -> u32 {
        // Bounded by `new`: at most 1000 * 12 + 12000 months.
        self.years * 12 + self.months
    }

    fn total_days(&self) -> u64 {
        u64::from(self.weeks) * 7 + u64::from(self.days)
    }

    /// The last day of a period starting on `anchor` (see [How a period is counted](Period#how-a-period-is-counted)); `None` only
    /// past the end of the calendar chrono supports (year 262142).
    pub fn last_day(&self, anchor: NaiveDate) -> Option<NaiveDate> {
        anchor
            .checked_add_months(Months::new(self.total_months()))?
            .checked_add_days(Days::new(self.total_days()))
    }

    /// The instant from which a period anchored at `anchor` has run: 00:00 Hong Kong time on the
    /// day after its [last day](Self::last_day). `None` past the end of the calendar.
    pub fn runs_out(&self, anchor: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.runs_out_from_date(hk_date(anchor)?)
    }

    /// Like [`runs_out`](Self::runs_out) for an anchor that is already a Hong Kong calendar date.
    pub fn runs_out_from_date(&self, anchor: NaiveDate) -> Option<DateTime<Utc>> {
        let next = self.last_day(anchor)?.succ_opt()?;
        let offset = TimeDelta::seconds(i64::from(HONG_KONG.local_minus_utc()));
        Some(next.and_hms_opt(0, 0, 0)?.checked_sub_signed(offset)?.and_utc())
    }
}

/// The Hong Kong calendar date of an instant; `None` at the very end of chrono's range (where
/// `with_timezone` would panic).
pub(crate) fn hk_date(t: DateTime<Utc>) -> Option<NaiveDate> {
    t.naive_utc()
        .checked_add_signed(TimeDelta::seconds(i64::from(HONG_KONG.local_minus_utc())))
        .map(|n| n.date())
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("P0D");
        }
        f.write_str("P")?;
        for (n, unit) in [(self.years, 'Y'), (self.months, 'M'), (self.weeks, 'W'), (self.days, 'D')] {
            if n > 0 {
                write!(f, "{n}{unit}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Period({self})")
    }
}

impl FromStr for Period {
    type Err = Error;

    /// Parses `P` followed by one or more of `nY`, `nM`, `nW`, `nD`, in that order, each at most
    /// once, with whole non-negative numbers. Time parts (`PT12H`), fractions, signs and lower case
    /// are refused: retention is counted in calendar days.
    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = |reason: &'static str| Error::InvalidPeriod { text: s.chars().take(40).collect(), reason };
        let Some(body) = s.strip_prefix('P') else {
            return Err(bad("an ISO 8601 duration starts with `P`, e.g. `P7Y`, `P18M`, `P30D`"));
        };
        if body.is_empty() {
            return Err(bad("`P` needs at least one component, e.g. `P7Y`"));
        }
        if body.contains('T') {
            return Err(bad(
                "time components (`T...H/M/S`) are not supported: count retention in days, months or years",
            ));
        }
        let mut parts = [None::<u32>; 4];
        let mut last = None::<usize>;
        let mut digits = String::new();
        for c in body.chars() {
            if c.is_ascii_digit() {
                if digits.len() >= 7 {
                    return Err(bad("a component has too many digits"));
                }
                digits.push(c);
                continue;
            }
            let idx = match c {
                'Y' => 0,
                'M' => 1,
                'W' => 2,
                'D' => 3,
                '.' | ',' => {
                    return Err(bad("fractions are not supported: use a smaller unit (`P18M`, not `P1.5Y`)"));
                }
                '-' | '+' => return Err(bad("periods cannot be signed")),
                _ => return Err(bad("unknown unit: use `Y`, `M`, `W` or `D` (upper case)")),
            };
            if digits.is_empty() {
                return Err(bad("a unit needs a number before it, e.g. `7Y`"));
            }
            if last.is_some_and(|l| l >= idx) {
                return Err(bad("components must appear once each, in the order Y, M, W, D"));
            }
            // Invariant: `digits` holds 1 to 7 ASCII digits, which always fit in a u32.
            let n: u32 = digits.parse().map_err(|_| bad("a component is not a whole number"))?;
            if let Some(slot) = parts.get_mut(idx) {
                *slot = Some(n);
            }
            digits.clear();
            last = Some(idx);
        }
        if !digits.is_empty() {
            return Err(bad("a number needs a unit after it (`Y`, `M`, `W` or `D`)"));
        }
        let [y, m, w, d] = parts.map(Option::unwrap_or_default);
        Self::new(y, m, w, d).ok_or_else(|| bad("the period is longer than 1000 years"))
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn parses_combinations_and_refuses_malformed() {
        let p: Period = "P1Y2M3W4D".parse().unwrap();
        assert_eq!(p.parts(), (1, 2, 3, 4));
        for bad in [
            "",
            "7Y",
            "P",
            "PT1H",
            "P1.5Y",
            "P-1Y",
            "P1M1Y",
            "P1Y1Y",
            "P7y",
            "P7",
            "PY",
            "P12345678D",
            "P1001Y",
        ] {
            assert!(bad.parse::<Period>().is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn runs_out_at_hong_kong_midnight_after_the_last_day() {
        let p: Period = "P7Y".parse().unwrap();
        // 2019-03-15 20:00 UTC is already 16 Mar in Hong Kong.
        let anchor = d(2019, 3, 15).and_hms_opt(20, 0, 0).unwrap().and_utc();
        let out = p.runs_out(anchor).unwrap();
        assert_eq!(out.with_timezone(&HONG_KONG).date_naive(), d(2026, 3, 17));
        assert_eq!(out, d(2026, 3, 16).and_hms_opt(16, 0, 0).unwrap().and_utc());
    }

    #[test]
    fn zero_period_formats_as_p0d() {
        assert_eq!(Period::default().to_string(), "P0D");
        assert_eq!("P0Y".parse::<Period>().unwrap(), Period::default());
    }
}
