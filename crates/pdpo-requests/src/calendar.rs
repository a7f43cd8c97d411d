//! The statutory clock: periods counted under the Interpretation and General Clauses Ordinance
//! (Cap. 1) s.71(1), with Hong Kong general holidays (General Holidays Ordinance, Cap. 149).
//!
//! s.71(1): (a) the day of receipt is excluded; (b) if the last day of the period is a general
//! holiday (every Sunday is one), a gale warning day or a black rainstorm warning day, the period
//! runs to the next day that is none of these. Saturdays are not general holidays. The holiday
//! list is data (the gazetted list, one year at a time); warning days are events recorded as they
//! happen. A date outside the years the calendar knows is an error, never a guess.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// The Hong Kong general holidays 2020–2030 shipped with this crate (generated from the gazetted
/// rules; check later years against the Government Gazette when published).
pub const HONG_KONG_HOLIDAYS_TOML: &str = include_str!("../data/hk-general-holidays.toml");

/// A weather warning that, on the last day of a period, carries the period to the next day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Warning {
    /// Tropical cyclone warning signal No. 8 or above (a "gale warning").
    Gale,
    /// Black rainstorm warning.
    BlackRainstorm,
}

/// Why a day is not a day on which a period may end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum NonWorkingReason {
    /// Every Sunday is a general holiday.
    Sunday,
    /// A gazetted general holiday.
    GeneralHoliday(String),
    /// A gale or black rainstorm warning day.
    Warning(Warning),
}

/// A problem with the calendar data or a date outside it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// The holiday file could not be parsed.
    #[error("{file}:{line}: {message}")]
    Parse {
        /// The file (or `<embedded>`).
        file: PathBuf,
        /// 1-based line.
        line: u32,
        /// What is wrong.
        message: String,
    },
    /// A date falls in a year the calendar has no holiday list for.
    #[error(
        "no general-holiday list for {year}: load the gazetted holidays for that year before counting a deadline into it"
    )]
    YearNotCovered {
        /// The year.
        year: i32,
    },
    /// Date arithmetic left chrono's range.
    #[error("date out of range")]
    OutOfRange,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    year: Vec<RawYear>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYear {
    year: i32,
    days: Vec<RawDay>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDay {
    date: toml::value::Datetime,
    name: String,
}

/// General holidays by date, and the years they cover.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayCalendar {
    days: BTreeMap<NaiveDate, String>,
    years: BTreeSet<i32>,
    warnings: BTreeMap<NaiveDate, Warning>,
}

impl HolidayCalendar {
    /// The embedded Hong Kong calendar (2020–2030).
    pub fn hong_kong() -> Self {
        // Invariant: the embedded file is checked by this crate's tests.
        Self::from_toml_str(HONG_KONG_HOLIDAYS_TOML, Path::new("<embedded hk-general-holidays.toml>"))
            .unwrap_or_default()
    }

    /// Parses a holiday file: `[[year]] year = 2026, days = [{ date = 2026-01-01, name = "..." }]`.
    pub fn from_toml_str(text: &str, file: &Path) -> Result<Self, CalendarError> {
        let line_of = |offset: usize| {
            u32::try_from(
                text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1,
            )
            .unwrap_or(u32::MAX)
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| CalendarError::Parse {
            file: file.to_owned(),
            line: e.span().map_or(0, |s| line_of(s.start)),
            message: e.message().to_owned(),
        })?;
        let mut cal = Self::default();
        for y in raw.year {
            for d in y.days {
                let date = d.date.date.and_then(|x| {
                    NaiveDate::from_ymd_opt(i32::from(x.year), u32::from(x.month), u32::from(x.day))
                });
                let Some(date) = date else {
                    return Err(CalendarError::Parse {
                        file: file.to_owned(),
                        line: 0,
                        message: format!("year {}: `{}` has no valid date", y.year, d.name),
                    });
                };
                if date.year() != y.year {
                    return Err(CalendarError::Parse {
                        file: file.to_owned(),
                        line: 0,
                        message: format!("{date} is listed under year {}", y.year),
                    });
                }
                cal.days.insert(date, d.name);
            }
            cal.years.insert(y.year);
        }
        Ok(cal)
    }

    /// The years with a holiday list.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// Records a gale or black rainstorm warning day (an event, recorded when it happens).
    pub fn record_warning(&mut self, date: NaiveDate, warning: Warning) {
        self.warnings.insert(date, warning);
    }

    /// The recorded warning days.
    pub fn warnings(&self) -> &BTreeMap<NaiveDate, Warning> {
        &self.warnings
    }

    /// Why a period may not end on `date`, or `None` if it may.
    pub fn non_working(&self, date: NaiveDate) -> Result<Option<NonWorkingReason>, CalendarError> {
        if !self.years.contains(&date.year()) {
            return Err(CalendarError::YearNotCovered { year: date.year() });
        }
        if let Some(w) = self.warnings.get(&date) {
            return Ok(Some(NonWorkingReason::Warning(*w)));
        }
        if let Some(name) = self.days.get(&date) {
            return Ok(Some(NonWorkingReason::GeneralHoliday(name.clone())));
        }
        if date.weekday() == Weekday::Sun {
            return Ok(Some(NonWorkingReason::Sunday));
        }
        Ok(None)
    }

    /// The last day of a period of `days` days after `received` (IGCO s.71(1)), with the days it
    /// rolled over.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use pdpo_requests::HolidayCalendar;
    /// let cal = HolidayCalendar::hong_kong();
    /// let d = |s: &str| s.parse::<NaiveDate>().unwrap();
    /// // 40 days after 10 March 2025 is Saturday 19 April, the day following Good Friday (a general
    /// // holiday); Sunday 20 and Easter Monday 21 follow, so the period ends on Tuesday 22 April.
    /// let due = cal.period_end(d("2025-03-10"), 40)?;
    /// assert_eq!(due.date, d("2025-04-22"));
    /// assert_eq!(due.rolled_over.len(), 3);
    /// # Ok::<(), pdpo_requests::CalendarError>(())
    /// ```
    pub fn period_end(&self, received: NaiveDate, days: u32) -> Result<PeriodEnd, CalendarError> {
        let nominal =
            received.checked_add_days(Days::new(u64::from(days))).ok_or(CalendarError::OutOfRange)?;
        let mut date = nominal;
        let mut rolled_over = Vec::new();
        while let Some(reason) = self.non_working(date)? {
            rolled_over.push((date, reason));
            date = date.succ_opt().ok_or(CalendarError::OutOfRange)?;
            if rolled_over.len() > 366 {
                return Err(CalendarError::OutOfRange);
            }
        }
        Ok(PeriodEnd { received, days, nominal, date, rolled_over })
    }
}

/// The end of a statutory period, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeriodEnd {
    /// The day of receipt (excluded from the count).
    pub received: NaiveDate,
    /// The period in days.
    pub days: u32,
    /// `received + days`, before rolling forward.
    pub nominal: NaiveDate,
    /// The last day of the period.
    pub date: NaiveDate,
    /// The days the period rolled over, and why.
    pub rolled_over: Vec<(NaiveDate, NonWorkingReason)>,
}

impl PeriodEnd {
    /// A sentence explaining the date.
    pub fn explain(&self) -> String {
        let mut s = format!(
            "{} days after receipt on {} (the day of receipt excluded, IGCO s.71(1)(a)) is {}",
            self.days, self.received, self.nominal
        );
        if self.rolled_over.is_empty() {
            s.push_str(", the last day.");
        } else {
            let why: Vec<String> = self
                .rolled_over
                .iter()
                .map(|(d, r)| match r {
                    NonWorkingReason::Sunday => format!("{d} (Sunday)"),
                    NonWorkingReason::GeneralHoliday(n) => format!("{d} ({n})"),
                    NonWorkingReason::Warning(Warning::Gale) => format!("{d} (gale warning)"),
                    NonWorkingReason::Warning(Warning::BlackRainstorm) => {
                        format!("{d} (black rainstorm warning)")
                    }
                })
                .collect();
            s.push_str(&format!(
                "; it rolls over {} (IGCO s.71(1)(b)), so the last day is {}.",
                why.join(", "),
                self.date
            ));
        }
        s
    }
}
