//! The statutory clock: FACTS.md B1 vectors and our own around Easter, Chinese New Year, typhoons
//! and year ends.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use pdpo_requests::{CalendarError, HolidayCalendar, NonWorkingReason, Warning};
use proptest::prelude::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn due(cal: &HolidayCalendar, received: &str) -> String {
    cal.period_end(d(received), 40).unwrap().date.to_string()
}

#[test]
fn facts_b1_vectors() {
    let cal = HolidayCalendar::hong_kong();
    assert_eq!(due(&cal, "2025-01-02"), "2025-02-11"); // no roll-forward
    assert_eq!(due(&cal, "2025-03-02"), "2025-04-11"); // a Sunday receipt day is only day 0
    assert_eq!(due(&cal, "2025-03-10"), "2025-04-22"); // Sat 19 (holiday), Sun 20, Easter Monday 21
    assert_eq!(due(&cal, "2025-02-23"), "2025-04-05"); // Ching Ming Fri 4 -> Sat 5 (not a holiday)
}

#[test]
fn easter_2026_rolls_over_five_days() {
    let cal = HolidayCalendar::hong_kong();
    let p = cal.period_end(d("2026-02-22"), 40).unwrap();
    assert_eq!(p.nominal, d("2026-04-03")); // Good Friday
    assert_eq!(p.date, d("2026-04-08"));
    let rolled: Vec<String> = p.rolled_over.iter().map(|(x, _)| x.to_string()).collect();
    assert_eq!(rolled, ["2026-04-03", "2026-04-04", "2026-04-05", "2026-04-06", "2026-04-07"]);
    assert!(p.explain().contains("so the last day is 2026-04-08"), "{}", p.explain());
}

#[test]
fn chinese_new_year_christmas_and_year_end() {
    let cal = HolidayCalendar::hong_kong();
    assert_eq!(due(&cal, "2026-01-08"), "2026-02-20"); // CNY 17, 18, 19 February 2026
    assert_eq!(due(&cal, "2026-11-15"), "2026-12-28"); // Christmas Fri 25, Sat 26 (holiday), Sun 27
    assert_eq!(due(&cal, "2026-11-22"), "2027-01-02"); // New Year's Day Fri -> Sat 2 January 2027
    assert_eq!(due(&cal, "2027-11-16"), "2027-12-28"); // Christmas Sat 25, Sun 26, Mon 27 (observed)
}

#[test]
fn warning_days_on_the_last_day_move_it() {
    let mut cal = HolidayCalendar::hong_kong();
    assert_eq!(due(&cal, "2026-06-01"), "2026-07-11"); // a Saturday: not a holiday
    cal.record_warning(d("2026-07-10"), Warning::BlackRainstorm); // not the last day: no effect
    assert_eq!(due(&cal, "2026-06-01"), "2026-07-11");
    cal.record_warning(d("2026-07-11"), Warning::Gale); // signal No. 8 on the last day
    assert_eq!(due(&cal, "2026-06-01"), "2026-07-13"); // Sunday 12 is a holiday too
    cal.record_warning(d("2026-07-13"), Warning::BlackRainstorm);
    let p = cal.period_end(d("2026-06-01"), 40).unwrap();
    assert_eq!(p.date, d("2026-07-14"));
    assert_eq!(p.rolled_over[0].1, NonWorkingReason::Warning(Warning::Gale));
    assert_eq!(p.rolled_over[1].1, NonWorkingReason::Sunday);
    assert!(p.explain().contains("gale warning") && p.explain().contains("black rainstorm warning"));
}

#[test]
fn years_outside_the_calendar_are_errors_not_guesses() {
    let cal = HolidayCalendar::hong_kong();
    assert_eq!(cal.years().collect::<Vec<_>>(), (2020..=2030).collect::<Vec<_>>());
    let err = cal.period_end(d("2030-12-01"), 40).unwrap_err();
    assert_eq!(err, CalendarError::YearNotCovered { year: 2031 });
    assert!(err.to_string().contains("2031"));
}

#[test]
fn bad_holiday_files_name_file_and_line() {
    let text = "[[year]]\nyear = 2026\ndays = [\n  { date = 2026-13-01, name = \"x\" },\n]\n";
    let err = HolidayCalendar::from_toml_str(text, "h.toml".as_ref()).unwrap_err();
    assert!(err.to_string().starts_with("h.toml:4:"), "{err}");
    let text = "[[year]]\nyear = 2026\ndays = [{ date = 2027-01-01, name = \"x\" }]\n";
    let err = HolidayCalendar::from_toml_str(text, "h.toml".as_ref()).unwrap_err();
    assert!(err.to_string().contains("listed under year 2026"), "{err}");
}

proptest! {
    #[test]
    fn the_last_day_is_always_a_working_day_and_nothing_working_is_skipped(offset in 0u64..(365 * 10 + 300)) {
        let cal = HolidayCalendar::hong_kong();
        let received = d("2020-01-01").checked_add_days(Days::new(offset)).unwrap();
        let p = cal.period_end(received, 40).unwrap();
        prop_assert_eq!(p.nominal, received.checked_add_days(Days::new(40)).unwrap());
        prop_assert!(p.date >= p.nominal);
        prop_assert!(cal.non_working(p.date).unwrap().is_none());
        prop_assert!(p.date.weekday() != Weekday::Sun);
        // Every day from the nominal last day up to the due date was rolled over for a reason.
        let mut day = p.nominal;
        let mut i = 0;
        while day < p.date {
            prop_assert_eq!(p.rolled_over[i].0, day);
            prop_assert!(cal.non_working(day).unwrap().is_some());
            day = day.succ_opt().unwrap();
            i += 1;
        }
        prop_assert_eq!(i, p.rolled_over.len());
        prop_assert!(p.rolled_over.len() <= 6, "{} days rolled", p.rolled_over.len());
    }
}
