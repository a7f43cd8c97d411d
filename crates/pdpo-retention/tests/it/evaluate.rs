//! Evaluation: precedence and reason sentences.

use chrono::NaiveDate;
use pdpo_core::{Hold, HoldScope, Key, Record, RetainerKind, Value};
use pdpo_retention::{Action, HoldSet, Outcome, Policy};

use crate::{contact, id, invoice, policy, schema, utc};

fn none() -> HoldSet {
    HoldSet::new()
}

#[test]
fn a_due_disposal_says_what_since_when_under_which_rule_and_why() {
    let p = policy();
    let lead = contact(1, "lead", utc(2023, 5, 2));
    let d = p.evaluate(&lead, &none(), utc(2026, 1, 1));
    assert_eq!(d.outcome, Outcome::Due);
    assert_eq!(d.action, Some(Action::Anonymise));
    assert_eq!(d.rule.as_deref(), Some("stale-leads"));
    assert!(!d.statutory);
    assert!(d.is_executable());
    // Last day 2 May 2025; due from 3 May 2025.
    assert_eq!(
        d.reason,
        "Due for anonymisation since 2025-05-03 under rule `stale-leads` (P2Y from `last_activity_at` on 2023-05-02); \
         basis: Leads with no activity for 2 years (business choice)."
    );
}

#[test]
fn not_yet_due_is_scheduled_with_the_first_rule_to_fall_due() {
    let p = policy();
    let lead = contact(1, "lead", utc(2025, 5, 2));
    let d = p.evaluate(&lead, &none(), utc(2026, 1, 1));
    assert_eq!(d.outcome, Outcome::Scheduled);
    assert_eq!(d.rule.as_deref(), Some("stale-leads"), "P2Y falls due before dormant-contacts' P6Y");
    assert_eq!(d.due, Policy::due(p.rule("stale-leads").unwrap(), &lead));
    assert!(
        d.reason.starts_with("Due for anonymisation on 2027-05-03 under rule `stale-leads`"),
        "{}",
        d.reason
    );
    assert!(!d.is_executable());
}

#[test]
fn among_due_rules_priority_then_the_most_protective_action_wins() {
    let schema = schema();
    let text = |delete_priority: i32| {
        format!(
            r#"
            [[rules]]
            name = "stale-leads"
            entity = "contacts"
            when = {{ status = "lead" }}
            anchor = "last_activity"
            period = "P2Y"
            action = "anonymise"
            basis = "b"
            statutory = false

            [[rules]]
            name = "dormant"
            entity = "contacts"
            anchor = "last_activity"
            period = "P6Y"
            action = "delete"
            basis = "b"
            statutory = false
            priority = {delete_priority}

            [[rules]]
            name = "vip-review"
            entity = "contacts"
            when = {{ vip = true }}
            anchor = "last_activity"
            period = "P1Y"
            action = "review"
            basis = "b"
            statutory = false
        "#
        )
    };
    let old_lead = contact(1, "lead", utc(2015, 1, 1));
    let now = utc(2026, 1, 1);
    let equal = Policy::from_toml_str(&text(0), None, &schema).unwrap();
    let d = equal.evaluate(&old_lead, &none(), now);
    assert_eq!(
        (d.rule.as_deref(), d.action),
        (Some("stale-leads"), Some(Action::Anonymise)),
        "anonymise is gentler than delete"
    );
    let vip = old_lead.clone().with("vip", true);
    assert_eq!(
        equal.evaluate(&vip, &none(), now).action,
        Some(Action::Review),
        "review is the most protective"
    );
    let delete_first = Policy::from_toml_str(&text(5), None, &schema).unwrap();
    let d = delete_first.evaluate(&old_lead, &none(), now);
    assert_eq!(
        (d.rule.as_deref(), d.action),
        (Some("dormant"), Some(Action::Delete)),
        "priority beats protectiveness"
    );
    // At 3 years only the lead rule is due, whatever the priorities.
    let younger = contact(2, "lead", utc(2023, 1, 1));
    assert_eq!(delete_first.evaluate(&younger, &none(), now).rule.as_deref(), Some("stale-leads"));
}

#[test]
fn a_hold_retains_a_due_disposal_and_the_reason_names_it() {
    let p = policy();
    let lead = contact(7, "lead", utc(2020, 1, 1));
    let hold = Hold::new(HoldScope::Subject(Key::from(7)), "Litigation 2026-031", utc(2025, 6, 1))
        .until(utc(2027, 6, 1));
    let holds: HoldSet = [hold.clone()].into_iter().collect();
    let d = p.evaluate(&lead, &holds, utc(2026, 1, 1));
    assert_eq!(d.outcome, Outcome::Retained);
    assert_eq!(d.action, Some(Action::Anonymise));
    assert!(!d.is_executable());
    assert_eq!(d.retainers.len(), 1);
    assert!(
        d.reason.starts_with("Due for anonymisation since 2022-01-02 under rule `stale-leads`"),
        "{}",
        d.reason
    );
    assert!(
        d.reason.ends_with(&format!(
            "but retained by legal hold {} (Litigation 2026-031) until 2027-06-01.",
            hold.id
        )),
        "{}",
        d.reason
    );
}

#[test]
fn holds_do_not_stop_a_consent_refresh() {
    let p = policy();
    let consent = Record::new(id("marketing_consents"), Key::from(1))
        .with("contact_id", 7)
        .with("given_at", utc(2024, 1, 31));
    let holds: HoldSet =
        [Hold::new(HoldScope::Subject(Key::from(7)), "Litigation", utc(2024, 1, 1))].into_iter().collect();
    let d = p.evaluate(&consent, &holds, utc(2025, 2, 1));
    assert_eq!((d.outcome, d.action), (Outcome::Due, Some(Action::RefreshConsent)));
    assert!(!d.is_executable(), "a consent refresh is not a disposal");
    assert!(d.reason.starts_with("Due for a consent refresh since 2025-02-01"), "{}", d.reason);
    // 31 Jan 2024 + P12M = 31 Jan 2025 (last day); not due on that day.
    assert_eq!(p.evaluate(&consent, &holds, utc(2025, 1, 31)).outcome, Outcome::Scheduled);
}

#[test]
fn an_unexpired_keep_rule_retains_a_due_field_disposal() {
    let p = policy();
    let inv = invoice(1, 7, utc(2020, 2, 29));
    let d = p.evaluate(&inv, &none(), utc(2026, 1, 1));
    assert_eq!((d.outcome, d.rule.as_deref()), (Outcome::Retained, Some("invoice-names-after-7y")));
    assert_eq!(d.fields.as_ref().map(Vec::len), Some(1));
    assert_eq!(d.retainers[0].kind, RetainerKind::KeepRule);
    assert!(
        d.reason.contains("keep rule `invoices-iro-7y` (IRO (Cap. 112) s.51C; statutory) until 2027-02-28"),
        "{}",
        d.reason
    );
    // Once the 7 years have run, the anonymisation of the billing name is due.
    let d = p.evaluate(&inv, &none(), utc(2027, 3, 1));
    assert_eq!((d.outcome, d.action), (Outcome::Due, Some(Action::Anonymise)));
}

#[test]
fn keep_only_records_are_kept_then_reviewed() {
    let p = policy();
    let entry = Record::new(id("request_log_book"), Key::from(1))
        .with("contact_id", 7)
        .with("entered_at", utc(2022, 1, 10));
    let d = p.evaluate(&entry, &none(), utc(2025, 1, 1));
    assert_eq!((d.outcome, d.action, d.statutory), (Outcome::Kept, Some(Action::Keep), true));
    assert_eq!(
        d.reason,
        "Kept until 2026-01-10 under rule `log-book-4y` (P4Y from `entered_at` on 2022-01-10); basis: PDPO s.27 (statutory)."
    );
    let d = p.evaluate(&entry, &none(), utc(2026, 1, 11));
    assert_eq!((d.outcome, d.action), (Outcome::Due, Some(Action::Review)));
    assert!(
        d.reason.starts_with("The keep period ended on 2026-01-10 under rule `log-book-4y`"),
        "{}",
        d.reason
    );
    assert!(d.reason.contains("review whether the record is still needed (DPP2(2), s.26)"));
    assert!(!d.is_executable(), "a review is never executed automatically");
}

#[test]
fn an_empty_anchor_is_reported_not_guessed() {
    let p = policy();
    let lead = Record::new(id("contacts"), Key::from(1))
        .with("status", "lead")
        .with("last_activity_at", Value::Null);
    let d = p.evaluate(&lead, &none(), utc(2026, 1, 1));
    assert_eq!(d.outcome, Outcome::MissingAnchor);
    assert_eq!(d.due, None);
    assert!(d.reason.contains("its `last_activity_at` is empty"), "{}", d.reason);
}

#[test]
fn records_no_rule_covers_are_no_policy_labelled_best_practice() {
    let p = Policy::from_rules(Vec::new(), &schema()).unwrap();
    let c = contact(1, "customer", utc(2020, 1, 1));
    let d = p.evaluate(&c, &none(), utc(2026, 1, 1));
    assert_eq!((d.outcome, d.action, d.rule.as_ref()), (Outcome::NoPolicy, None, None));
    assert!(d.reason.contains("The PDPO sets no retention period"));
    assert!(d.reason.contains("best practice, not a statutory requirement"));
}

#[test]
fn dates_and_text_anchors_are_read_on_the_hong_kong_calendar() {
    let p = policy();
    let now = utc(2026, 1, 1);
    let as_date = contact(1, "lead", utc(2000, 1, 1))
        .with("last_activity_at", NaiveDate::from_ymd_opt(2023, 12, 31).unwrap());
    let d = p.evaluate(&as_date, &none(), now);
    assert_eq!(d.due, Some(utc(2025, 12, 31) + chrono::Duration::hours(16)));
    // 2023-12-31T20:00Z is already 1 Jan 2024 in Hong Kong.
    let as_text = contact(2, "lead", utc(2000, 1, 1)).with("last_activity_at", "2023-12-31T20:00:00Z");
    assert_eq!(p.evaluate(&as_text, &none(), now).outcome, Outcome::Scheduled);
    let garbage = contact(3, "lead", utc(2000, 1, 1)).with("last_activity_at", "yesterday");
    assert_eq!(p.evaluate(&garbage, &none(), now).outcome, Outcome::MissingAnchor);
}

#[test]
fn evaluation_is_pure() {
    let p = policy();
    let lead = contact(1, "lead", utc(2023, 5, 2));
    let now = utc(2026, 1, 1);
    let a: Vec<_> = p.evaluate_all([&lead, &lead], &none(), now).collect();
    assert_eq!(a[0], a[1]);
    assert_eq!(a[0], p.evaluate(&lead, &none(), now));
}
