//! Integration tests for pdpo-retention.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod default_policy;
mod evaluate;
mod guard;
mod period;
mod plan;
mod policy_errors;

use chrono::{DateTime, TimeZone, Utc};
use pdpo_core::{Identifier, Key, Record, Schema};
use pdpo_retention::Policy;

/// The test CRM schema (shaped like the testkit's).
pub(crate) const CRM: &str = include_str!("data/crm.toml");

pub(crate) fn schema() -> Schema {
    Schema::from_toml_str(CRM, Some(std::path::Path::new("crm.toml"))).unwrap()
}

/// The policy used by most tests: statutory invoice keep, stale leads, a catch-all for contacts,
/// consent refresh, log-book keep.
pub(crate) const POLICY: &str = r#"
[[rules]]
name = "invoices-iro-7y"
entity = "invoices"
anchor = "issued_at"
period = "P7Y"
action = "keep"
basis = "IRO (Cap. 112) s.51C"
statutory = true

[[rules]]
name = "invoice-names-after-7y"
entity = "invoices"
anchor = "issued_at"
period = "P0D"
action = "anonymise"
basis = "Billing names are not needed once the statutory keep has run"
statutory = false
fields = ["billing_name"]

[[rules]]
name = "stale-leads"
entity = "contacts"
when = { status = "lead" }
anchor = "last_activity"
period = "P2Y"
action = "anonymise"
basis = "Leads with no activity for 2 years"
statutory = false

[[rules]]
name = "dormant-contacts"
entity = "contacts"
anchor = "last_activity"
period = "P6Y"
action = "delete"
basis = "Contacts dormant for 6 years"
statutory = false

[[rules]]
name = "consent-refresh"
entity = "marketing_consents"
anchor = "given_at"
period = "P12M"
action = "refresh_consent"
basis = "Ask again after 12 months"
statutory = false

[[rules]]
name = "log-book-4y"
entity = "request_log_book"
anchor = "entered_at"
period = "P4Y"
action = "keep"
basis = "PDPO s.27"
statutory = true
"#;

pub(crate) fn policy() -> Policy {
    Policy::from_toml_str(POLICY, Some(std::path::Path::new("policy.toml")), &schema()).unwrap()
}

/// 00:00 UTC on a date (08:00 in Hong Kong, the same calendar day).
pub(crate) fn utc(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

pub(crate) fn id(s: &str) -> Identifier {
    Identifier::new(s).unwrap()
}

pub(crate) fn contact(key: i64, status: &str, last_activity: DateTime<Utc>) -> Record {
    Record::new(id("contacts"), Key::from(key)).with("status", status).with("last_activity_at", last_activity)
}

pub(crate) fn invoice(key: i64, contact: i64, issued: DateTime<Utc>) -> Record {
    Record::new(id("invoices"), Key::from(key)).with("contact_id", contact).with("issued_at", issued)
}
