//! The default testkit policy, checked against this crate's own CRM schema.

use pdpo_core::{Key, Record, Schema};
use pdpo_retention::{Action, HoldSet, Outcome, Policy, TESTKIT_POLICY};

use crate::{contact, id, invoice, schema, utc};

#[test]
fn it_validates_and_labels_every_rule() {
    let p = Policy::testkit_default(&schema()).unwrap();
    let labels: Vec<_> =
        p.rules().iter().map(|r| (r.name.as_str(), r.action, r.statutory, r.period.to_string())).collect();
    assert_eq!(
        labels,
        [
            ("invoices-iro-7y", Action::Keep, true, "P7Y".to_owned()),
            ("stale-leads", Action::Anonymise, false, "P2Y".to_owned()),
            ("marketing-consent-refresh", Action::RefreshConsent, false, "P12M".to_owned()),
            ("refusal-log-book-4y", Action::Keep, true, "P4Y".to_owned()),
        ]
    );
    for r in p.rules() {
        if r.statutory {
            assert!(r.basis.contains("s.51C") || r.basis.contains("s.27"), "{}", r.basis);
        } else {
            assert!(r.basis.starts_with("Business choice"), "{}", r.basis);
        }
    }
}

#[test]
fn it_decides_the_testkit_cases() {
    let p = Policy::testkit_default(&schema()).unwrap();
    let holds = HoldSet::new();
    let now = utc(2026, 6, 1);
    let ev = |r: &Record| p.evaluate(r, &holds, now);
    // Invoices: kept 7 years after issue, then reviewed (no disposal rule in the default policy).
    assert_eq!(ev(&invoice(1, 1, utc(2020, 6, 1))).outcome, Outcome::Kept);
    let old = ev(&invoice(2, 1, utc(2019, 5, 1)));
    assert_eq!((old.outcome, old.action), (Outcome::Due, Some(Action::Review)));
    // Leads idle for 2 years are anonymised; customers are not covered.
    assert!(ev(&contact(1, "lead", utc(2024, 5, 31))).is_executable());
    assert_eq!(ev(&contact(2, "lead", utc(2024, 6, 1))).outcome, Outcome::Scheduled);
    assert_eq!(ev(&contact(3, "customer", utc(2010, 1, 1))).outcome, Outcome::NoPolicy);
    // Consent refreshed after 12 months.
    let consent = Record::new(id("marketing_consents"), Key::from(1)).with("given_at", utc(2025, 5, 1));
    assert_eq!(ev(&consent).action, Some(Action::RefreshConsent));
    assert_eq!(ev(&consent).outcome, Outcome::Due);
    // Log-book entries kept 4 years.
    let entry = Record::new(id("request_log_book"), Key::from(1)).with("entered_at", utc(2023, 1, 1));
    let d = ev(&entry);
    assert_eq!((d.outcome, d.statutory), (Outcome::Kept, true));
}

#[test]
fn names_that_do_not_fit_the_schema_are_reported_per_rule() {
    // A CRM whose contacts have no `status` and whose log book is called differently.
    let other = Schema::from_toml_str(
        r#"
        subject = "contacts"
        [entities.contacts]
        key = "id"
        lifecycle = { last_activity = "last_seen" }
        [entities.invoices]
        key = "id"
        fields.issued_at = { type = "timestamp" }
        [entities.marketing_consents]
        key = "id"
        fields.given_at = { type = "timestamp" }
        [entities.dar_log]
        key = "id"
        "#,
        None,
    )
    .unwrap();
    let err = Policy::testkit_default(&other).unwrap_err();
    let rules: Vec<_> = err.problems().iter().map(|p| p.rule.as_deref().unwrap()).collect();
    // The log-book rule is optional: skipped, not refused, when the schema has no log book.
    assert_eq!(rules, ["stale-leads"]);
    for p in err.problems() {
        let line = p.line.unwrap() as usize;
        assert!(TESTKIT_POLICY.lines().nth(line - 1).is_some());
        assert!(p.file.as_ref().unwrap().ends_with("testkit.toml"));
    }
}

#[test]
fn it_fits_the_testkit_crm_schema() {
    // The testkit CRM (crates/pdpo-testkit/pdpo.toml) has no log-book table: that optional rule is skipped.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../pdpo-testkit/pdpo.toml");
    let testkit = Schema::from_file(&path).unwrap();
    let p = Policy::testkit_default(&testkit).unwrap();
    let names: Vec<_> = p.rules().iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["invoices-iro-7y", "stale-leads", "marketing-consent-refresh"]);
    assert_eq!(p.rule("stale-leads").unwrap().anchor_column().as_str(), "last_activity_at");
}
