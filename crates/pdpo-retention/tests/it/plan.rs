//! Plans over a MemoryStore: dry runs, resumption after an interruption, audit counts.

use chrono::Duration;
use pdpo_core::{
    Actor, AuditAction, ChangeSet, DataStore, Hold, HoldScope, Identifier, Key, MemoryStore, Record,
};
use pdpo_retention::{Decision, Error, HoldSet, NO_POLICY, Outcome, Policy, RetentionPlan, dry_run};

use crate::{contact, id, invoice, policy, schema, utc};

/// A store with `n` contacts (leads and customers), one or two invoices each, some consents and
/// log-book entries, with dates spread over 12 years (a small LCG keeps it deterministic).
fn store(n: i64) -> MemoryStore {
    let store = MemoryStore::new(schema());
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |m: i64| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        i64::try_from(seed >> 33).unwrap() % m
    };
    let base = utc(2014, 1, 1);
    let mut cs = ChangeSet::new();
    for i in 1..=n {
        let status = if next(3) == 0 { "customer" } else { "lead" };
        let mut c = contact(i, status, base + Duration::days(next(4400)));
        if next(20) == 0 {
            c = c.with("last_activity_at", pdpo_core::Value::Null);
        }
        cs.insert(c);
    }
    // A stale lead under a subject hold (see `holds`).
    cs.insert(contact(HELD, "lead", utc(2015, 1, 1)));
    let mut inv = 0;
    for i in 1..=n {
        for _ in 0..=next(2) {
            inv += 1;
            cs.insert(invoice(inv, i, base + Duration::days(next(4400))));
        }
        if next(2) == 0 {
            cs.insert(
                Record::new(id("marketing_consents"), Key::from(i))
                    .with("contact_id", i)
                    .with("given_at", base + Duration::days(next(4400))),
            );
        }
        if next(10) == 0 {
            cs.insert(
                Record::new(id("request_log_book"), Key::from(i))
                    .with("contact_id", i)
                    .with("entered_at", base + Duration::days(next(4400))),
            );
        }
    }
    pollster::block_on(store.apply(cs)).unwrap();
    store
}

/// The contact under a litigation hold.
const HELD: i64 = 1_000_000;

fn holds() -> HoldSet {
    [
        Hold::new(HoldScope::Subject(Key::from(HELD)), "Litigation 2026-031", utc(2025, 1, 1)),
        Hold::new(HoldScope::Entity(id("request_log_book")), "Regulator inquiry", utc(2025, 1, 1))
            .until(utc(2027, 1, 1)),
    ]
    .into_iter()
    .collect()
}

fn run_all(
    plan: &mut RetentionPlan,
    p: &Policy,
    h: &HoldSet,
    s: &MemoryStore,
    limit: usize,
) -> Vec<Decision> {
    let mut out = Vec::new();
    while let Some(chunk) = pollster::block_on(plan.next_chunk(p, h, s, limit)).unwrap() {
        out.extend(chunk.decisions);
    }
    out
}

#[test]
fn a_resumed_plan_gives_the_same_decisions_as_an_uninterrupted_one() {
    let (p, h, s) = (policy(), holds(), store(150));
    let now = utc(2026, 1, 1);
    let mut whole = RetentionPlan::new(&p, now, 5);
    let expected = run_all(&mut whole, &p, &h, &s, 16);
    let total: usize = p.entities().iter().map(|e| s.count(e)).sum();
    assert_eq!(expected.len(), total);
    assert!(whole.is_finished());

    for stop_after in [0, 1, 3, 9, 10, 17, 25] {
        let mut plan = RetentionPlan::new(&p, now, 5);
        let mut got = Vec::new();
        for _ in 0..stop_after {
            match pollster::block_on(plan.next_chunk(&p, &h, &s, 16)).unwrap() {
                Some(c) => got.extend(c.decisions),
                None => break,
            }
        }
        // "Crash": keep only the saved state, reload the policy, and resume in a new plan value.
        let saved = serde_json::to_string(&plan).unwrap();
        drop(plan);
        let p2 = policy();
        let mut resumed: RetentionPlan = serde_json::from_str(&saved).unwrap();
        got.extend(run_all(&mut resumed, &p2, &h, &s, 16));
        assert_eq!(got, expected, "stopped after {stop_after} chunks");
        assert_eq!(resumed.summary(), whole.summary());
        assert_eq!(resumed.chunks(), whole.chunks());
    }
}

#[test]
fn chunk_size_does_not_change_decisions() {
    let (p, h, s) = (policy(), holds(), store(60));
    let now = utc(2026, 1, 1);
    let a = run_all(&mut RetentionPlan::new(&p, now, 0), &p, &h, &s, 1);
    let b = run_all(&mut RetentionPlan::new(&p, now, 0), &p, &h, &s, 1000);
    assert_eq!(a, b);
}

#[test]
fn the_dry_run_counts_add_up_and_match_the_decisions() {
    let (p, h, s) = (policy(), holds(), store(200));
    let now = utc(2026, 1, 1);
    let summary = pollster::block_on(dry_run(&p, &h, &s, now, 7)).unwrap();
    let decisions = run_all(&mut RetentionPlan::new(&p, now, 0), &p, &h, &s, 50);
    let n = decisions.len() as u64;
    assert_eq!(summary.records, n);
    assert_eq!(summary.by_outcome.values().sum::<u64>(), n);
    assert_eq!(summary.by_rule.values().sum::<u64>(), n);
    assert_eq!(summary.by_entity.values().sum::<u64>(), n);
    assert_eq!(summary.sample, decisions[..7]);
    for o in Outcome::ALL {
        let count = decisions.iter().filter(|d| d.outcome == o).count() as u64;
        assert_eq!(summary.outcome(o), count, "{o:?}");
    }
    assert_eq!(summary.executable, decisions.iter().filter(|d| d.is_executable()).count() as u64);
    assert_eq!(summary.due_by_action.values().sum::<u64>(), summary.outcome(Outcome::Due));
    // Customers are not covered by `stale-leads`, but `dormant-contacts` covers every contact,
    // so "no policy" can only come from entities without rules: none here.
    assert_eq!(summary.by_rule.get(NO_POLICY), None);
    // The held stale lead is retained, not executable, and says why.
    let held =
        decisions.iter().find(|d| d.record.entity == "contacts" && d.record.key == Key::from(HELD)).unwrap();
    assert_eq!(held.outcome, Outcome::Retained);
    assert!(held.reason.contains("Litigation 2026-031"));
    assert!(decisions.iter().filter(|d| d.outcome == Outcome::Retained).all(|d| !d.retainers.is_empty()));
    assert!(
        summary.executable > 0
            && summary.outcome(Outcome::Kept) > 0
            && summary.outcome(Outcome::Scheduled) > 0
    );
}

#[test]
fn the_audit_event_is_one_retention_run_with_counts_and_no_record() {
    let (p, h, s) = (policy(), holds(), store(40));
    let now = utc(2026, 1, 1);
    let mut plan = RetentionPlan::new(&p, now, 0);
    run_all(&mut plan, &p, &h, &s, 25);
    let e = plan.audit_event(Actor::system("retention").unwrap());
    assert_eq!(e.action, AuditAction::RetentionRun);
    assert_eq!((e.record.as_ref(), e.subject.as_ref()), (None, None));
    assert!(e.fields.is_empty() && e.sealed.is_none());
    let count = |k: &str| e.counts.get(&Identifier::new(k).unwrap()).copied();
    assert_eq!(count("records"), Some(plan.summary().records));
    assert_eq!(count("chunks"), Some(plan.chunks()));
    assert_eq!(count("entity.contacts"), Some(s.count("contacts") as u64));
    assert_eq!(count("rule.stale-leads"), plan.summary().by_rule.get("stale-leads").copied());
    assert_eq!(e.at, now);
}

#[test]
fn resuming_under_another_policy_is_refused() {
    let (p, h, s) = (policy(), holds(), store(10));
    let mut plan = RetentionPlan::new(&p, utc(2026, 1, 1), 0);
    pollster::block_on(plan.next_chunk(&p, &h, &s, 3)).unwrap();
    let changed = Policy::from_toml_str(&crate::POLICY.replace("P2Y", "P3Y"), None, &schema()).unwrap();
    let before = plan.clone();
    let err = pollster::block_on(plan.next_chunk(&changed, &h, &s, 3)).unwrap_err();
    assert!(matches!(err, Error::PlanMismatch { .. }), "{err}");
    assert_eq!(plan, before, "a refused chunk leaves the plan unchanged");
}

#[test]
fn entities_without_rules_are_reported_as_no_policy() {
    let (h, s) = (HoldSet::new(), store(20));
    let only_invoices = Policy::from_rules(
        policy().rules().iter().filter(|r| r.entity == "invoices").cloned().collect::<Vec<_>>(),
        &schema(),
    )
    .unwrap();
    let summary = pollster::block_on(dry_run(&only_invoices, &h, &s, utc(2026, 1, 1), 0)).unwrap();
    assert_eq!(summary.by_rule.get(NO_POLICY).copied(), Some(summary.records - s.count("invoices") as u64));
    let mut plan = RetentionPlan::new(&only_invoices, utc(2026, 1, 1), 0).only([id("invoices")]);
    let d = run_all(&mut plan, &only_invoices, &h, &s, 100);
    assert_eq!(d.len(), s.count("invoices"));
}
