//! Periods: calendar edge cases, properties.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use pdpo_core::HONG_KONG;
use pdpo_retention::Period;
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn p(s: &str) -> Period {
    s.parse().unwrap()
}

#[test]
fn month_ends_clamp_to_the_last_day_of_the_target_month() {
    assert_eq!(p("P1M").last_day(d(2025, 1, 31)), Some(d(2025, 2, 28)));
    assert_eq!(p("P1M").last_day(d(2024, 1, 31)), Some(d(2024, 2, 29)));
    assert_eq!(p("P1M").last_day(d(2025, 3, 31)), Some(d(2025, 4, 30)));
    assert_eq!(p("P1Y").last_day(d(2024, 2, 29)), Some(d(2025, 2, 28)));
    assert_eq!(p("P4Y").last_day(d(2024, 2, 29)), Some(d(2028, 2, 29)));
    assert_eq!(p("P12M").last_day(d(2024, 2, 29)), p("P1Y").last_day(d(2024, 2, 29)));
    assert_eq!(p("P18M").last_day(d(2024, 8, 31)), Some(d(2026, 2, 28)));
}

#[test]
fn months_are_added_before_days() {
    // Months first: 30 Jan + 1M = 28 Feb, + 1D = 1 Mar. (Days first would give 31 Jan + 1M = 28 Feb.)
    assert_eq!(p("P1M1D").last_day(d(2025, 1, 30)), Some(d(2025, 3, 1)));
    assert_eq!(p("P1M1D").last_day(d(2025, 1, 31)), Some(d(2025, 3, 1)));
    assert_eq!(p("P30D").last_day(d(2025, 12, 15)), Some(d(2026, 1, 14)));
    assert_eq!(p("P2W").last_day(d(2025, 2, 20)), Some(d(2025, 3, 6)));
    assert_eq!(p("P1Y2M3W4D").last_day(d(2020, 1, 1)), Some(d(2021, 3, 26)));
}

#[test]
fn a_period_runs_out_at_hong_kong_midnight_after_its_last_day() {
    // 2019-03-15 16:30 UTC is 00:30 on 16 Mar in Hong Kong: the anchor day is 16 Mar.
    let anchor = Utc.with_ymd_and_hms(2019, 3, 15, 16, 30, 0).unwrap();
    let out = p("P7Y").runs_out(anchor).unwrap();
    assert_eq!(out.with_timezone(&HONG_KONG).date_naive(), d(2026, 3, 17));
    assert_eq!(out.with_timezone(&HONG_KONG).time(), chrono::NaiveTime::MIN);
    // A zero period runs out at the end of the anchor day.
    let out = p("P0D").runs_out(anchor).unwrap();
    assert_eq!(out.with_timezone(&HONG_KONG).date_naive(), d(2019, 3, 17));
}

#[test]
fn the_end_of_the_calendar_is_none_not_a_panic() {
    assert_eq!(p("P1000Y").last_day(NaiveDate::MAX), None);
    assert_eq!(p("P1D").runs_out(DateTime::<Utc>::MAX_UTC), None);
    assert!(p("P0D").last_day(NaiveDate::MAX).is_some());
}

#[test]
fn malformed_periods_are_refused_with_the_reason() {
    for (text, needle) in [
        ("7Y", "starts with `P`"),
        ("P", "at least one component"),
        ("PT12H", "time components"),
        ("P1.5Y", "fractions"),
        ("P-1Y", "signed"),
        ("P1M2Y", "order Y, M, W, D"),
        ("P2Y2Y", "order Y, M, W, D"),
        ("P7y", "unknown unit"),
        ("P7", "needs a unit"),
        ("PM", "needs a number"),
        ("P1001Y", "longer than 1000 years"),
    ] {
        let err = text.parse::<Period>().unwrap_err().to_string();
        assert!(err.contains(needle), "{text}: {err}");
        assert!(err.starts_with("invalid period"), "{err}");
    }
}

fn period() -> impl Strategy<Value = Period> {
    (0u32..=60, 0u32..=40, 0u32..=10, 0u32..=400).prop_map(|(y, m, w, d)| Period::new(y, m, w, d).unwrap())
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (1900i32..=2200, 1u32..=12, 1u32..=31).prop_map(|(y, m, day)| {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_else(|| NaiveDate::from_ymd_opt(y, m, 28).unwrap())
    })
}

proptest! {
    #[test]
    fn adding_a_period_is_monotonic_in_the_anchor(p in period(), a in date(), b in date()) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(p.last_day(lo).unwrap() <= p.last_day(hi).unwrap());
    }

    #[test]
    fn runs_out_is_monotonic_in_instants(p in period(), a in -2_000_000_000i64..6_000_000_000, b in -2_000_000_000i64..6_000_000_000) {
        let (lo, hi) = (a.min(b), a.max(b));
        let t = |s| DateTime::<Utc>::from_timestamp(s, 0).unwrap();
        let (x, y) = (p.runs_out(t(lo)).unwrap(), p.runs_out(t(hi)).unwrap());
        prop_assert!(x <= y);
        // and never early: the whole anchor day plus the period has passed
        prop_assert!(x > t(lo));
    }

    #[test]
    fn a_longer_period_never_ends_earlier(a in date(), y in 0u32..50, m in 0u32..24, extra in 0u32..400) {
        let short = Period::new(y, m, 0, 0).unwrap();
        let long = Period::new(y, m, 0, extra).unwrap();
        prop_assert!(short.last_day(a) <= long.last_day(a));
    }

    #[test]
    fn format_then_parse_is_identity(p in period()) {
        prop_assert_eq!(p.to_string().parse::<Period>().unwrap(), p);
    }

    #[test]
    fn parse_then_format_round_trips_canonical_text(y in 1u32..100, m in 1u32..100, w in 1u32..100, d in 1u32..100) {
        let text = format!("P{y}Y{m}M{w}W{d}D");
        prop_assert_eq!(text.parse::<Period>().unwrap().to_string(), text);
    }

    #[test]
    fn parsing_never_panics(s in "\\PC{0,20}", t in "P[0-9YMWDT.,-]{0,12}") {
        let _ = s.parse::<Period>();
        let _ = t.parse::<Period>();
    }

    #[test]
    fn adding_any_period_to_any_date_never_panics(y in 0u32..=1000, m in 0u32..=12000, w in 0u32..=53000, d in 0u32..=366000, days in any::<i32>()) {
        let p = Period::new(y, m, w, d).unwrap();
        let anchor = NaiveDate::from_num_days_from_ce_opt(days).unwrap_or(NaiveDate::MIN);
        let _ = p.last_day(anchor);
        let _ = p.runs_out_from_date(anchor);
    }
}
