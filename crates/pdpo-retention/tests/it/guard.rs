//! The DisposalGuard: holds beat everything, unexpired keep rules beat disposal.

use std::sync::Arc;

use chrono::Duration;
use pdpo_core::{Disposal, DisposalGuard, DisposalQuery, Hold, HoldScope, Key, RecordRef, RetainerKind};
use pdpo_retention::{HoldSet, Policy, RetentionGuard};

use crate::{contact, id, invoice, policy, utc};

fn guard(holds: impl IntoIterator<Item = Hold>) -> RetentionGuard {
    RetentionGuard::new(Arc::new(policy()), holds.into_iter().collect())
}

#[test]
fn an_unexpired_keep_rule_retains_until_its_period_runs_out() {
    let g = guard([]);
    let inv = invoice(1, 7, utc(2019, 3, 15));
    let d = g.check(&DisposalQuery::new(&inv, utc(2026, 3, 15)));
    let [r] = d.retainers() else { panic!("one retainer expected: {d:?}") };
    assert_eq!((r.kind, r.name.as_str(), r.statutory), (RetainerKind::KeepRule, "invoices-iro-7y", true));
    // Kept through 15 Mar 2026 (Hong Kong); allowed from 00:00 HK on 16 Mar = 16:00 UTC on 15 Mar.
    assert_eq!(d.retained_until(), Some(utc(2026, 3, 15) + Duration::hours(16)));
    assert!(
        !g.check(&DisposalQuery::new(&inv, utc(2026, 3, 15) + Duration::hours(16) - Duration::seconds(1)))
            .is_allowed()
    );
    assert!(g.check(&DisposalQuery::new(&inv, utc(2026, 3, 15) + Duration::hours(16))).is_allowed());
}

#[test]
fn a_hold_beats_everything_and_comes_first() {
    let inv = invoice(1, 7, utc(2019, 3, 15));
    let now = utc(2025, 1, 1);
    let hold = Hold::new(HoldScope::Record(inv.reference()), "Tax audit 2025-17", utc(2024, 12, 1))
        .until(utc(2027, 1, 1));
    let g = guard([hold.clone()]);
    let d = g.check(&DisposalQuery::new(&inv, now));
    let kinds: Vec<_> = d.retainers().iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [RetainerKind::LegalHold, RetainerKind::KeepRule]);
    assert_eq!(d.retainers()[0].name, hold.id.to_string());
    assert_eq!(d.retainers()[0].reason, "Tax audit 2025-17");
    assert_eq!(d.retained_until(), Some(utc(2027, 1, 1)), "the later of hold and keep");
    // After the keep has run, the hold alone still retains; after its expiry nothing does.
    let d = g.check(&DisposalQuery::new(&inv, utc(2026, 6, 1)));
    assert_eq!(d.retainers().len(), 1);
    assert_eq!(d.retainers()[0].kind, RetainerKind::LegalHold);
    assert!(g.check(&DisposalQuery::new(&inv, utc(2027, 1, 1))).is_allowed());
}

#[test]
fn a_hold_retains_records_no_rule_covers_and_records_due_for_disposal() {
    let lead = contact(3, "lead", utc(2020, 1, 1));
    let now = utc(2026, 1, 1);
    assert!(guard([]).check(&DisposalQuery::new(&lead, now)).is_allowed(), "disposal rules never retain");
    let g = guard([Hold::new(HoldScope::Entity(id("contacts")), "Regulator inquiry", utc(2025, 1, 1))]);
    let d = g.check(&DisposalQuery::new(&lead, now));
    assert!(!d.is_allowed());
    assert_eq!(d.retained_until(), None, "a hold without expiry has no end");
    // A hold not yet placed does not retain.
    let g = guard([Hold::new(HoldScope::Entity(id("contacts")), "Planned", utc(2027, 1, 1))]);
    assert!(g.check(&DisposalQuery::new(&lead, now)).is_allowed());
}

#[test]
fn subject_holds_use_the_query_subject_or_the_records_own_link() {
    let now = utc(2030, 1, 1);
    let inv = invoice(1, 7, utc(2019, 3, 15));
    let g = guard([Hold::new(HoldScope::Subject(Key::from(7)), "Litigation 2026-031", utc(2026, 1, 1))]);
    // Derived from invoices.contact_id.
    assert!(!g.check(&DisposalQuery::new(&inv, now)).is_allowed());
    // The subject record itself.
    assert!(!g.check(&DisposalQuery::new(&contact(7, "customer", utc(2020, 1, 1)), now)).is_allowed());
    assert!(g.check(&DisposalQuery::new(&contact(8, "customer", utc(2020, 1, 1)), now)).is_allowed());
    // An explicit subject wins over the derived one (a shared record, disposed of for one person).
    let other = Key::from(8);
    assert!(g.check(&DisposalQuery::new(&inv, now).for_subject(&other)).is_allowed());
    let seven = Key::from(7);
    let unrelated = invoice(2, 9, utc(2019, 3, 15));
    assert!(!g.check(&DisposalQuery::new(&unrelated, now).for_subject(&seven)).is_allowed());
}

#[test]
fn lifting_a_hold_releases_the_record() {
    let inv = invoice(1, 7, utc(2010, 1, 1));
    let h = Hold::new(HoldScope::Record(RecordRef::new(id("invoices"), Key::from(1))), "x", utc(2020, 1, 1));
    let mut g = guard([h.clone()]);
    assert!(!g.check(&DisposalQuery::new(&inv, utc(2025, 1, 1))).is_allowed());
    assert_eq!(g.holds_mut().lift(h.id).map(|x| x.id), Some(h.id));
    assert!(g.holds().is_empty());
    assert!(g.check(&DisposalQuery::new(&inv, utc(2025, 1, 1))).is_allowed());
}

#[test]
fn keep_rules_limited_to_fields_only_retain_those_fields() {
    let schema = crate::schema();
    let text = r#"
        [[rules]]
        name = "keep-amounts"
        entity = "invoices"
        anchor = "issued_at"
        period = "P7Y"
        action = "keep"
        basis = "IRO (Cap. 112) s.51C"
        statutory = true
        fields = ["total"]
    "#;
    let p = Policy::from_toml_str(text, None, &schema).unwrap();
    let inv = invoice(1, 7, utc(2024, 1, 1));
    let now = utc(2025, 1, 1);
    let name = vec!["billing_name".to_owned()];
    let total = vec!["total".to_owned(), "billing_name".to_owned()];
    assert!(p.check(&DisposalQuery::new(&inv, now).for_fields(&name)).is_allowed());
    assert!(!p.check(&DisposalQuery::new(&inv, now).for_fields(&total)).is_allowed());
    assert!(!p.check(&DisposalQuery::new(&inv, now)).is_allowed(), "the whole record includes `total`");
}

#[test]
fn a_keep_rule_with_an_empty_anchor_retains_with_no_end() {
    let g = guard([]);
    let inv = pdpo_core::Record::new(id("invoices"), Key::from(5)).with("contact_id", 1);
    let d = g.check(&DisposalQuery::new(&inv, utc(2090, 1, 1)));
    assert_eq!(d.retainers().len(), 1);
    assert_eq!(d.retained_until(), None);
}

#[test]
fn the_guard_combines_with_other_guards() {
    // An open-request guard from elsewhere (here: a plain hold list) combined with ours.
    let inv = invoice(1, 7, utc(2010, 1, 1));
    let other = vec![Hold::new(HoldScope::Record(inv.reference()), "Open access request", utc(2025, 1, 1))];
    let both = (guard([]), other);
    let d = both.check(&DisposalQuery::new(&inv, utc(2025, 2, 1)));
    assert!(matches!(d, Disposal::Retained(ref r) if r.len() == 1));
    assert!(HoldSet::new().check(&DisposalQuery::new(&inv, utc(2025, 2, 1))).is_allowed());
}
