//! [`RetentionGuard`]: the [`DisposalGuard`] built from keep rules and legal holds.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use pdpo_core::{Disposal, DisposalGuard, DisposalQuery, Record, Retainer, RetainerKind};

use crate::{Action, HoldSet, Policy};

/// Answers "may this record's personal data be disposed of now; if not, why and until when" from
/// a [`Policy`]'s keep rules and a [`HoldSet`].
///
/// Precedence:
/// 1. **Legal holds beat everything.** A hold in force that covers the record (by record, by
///    entity, or by data subject) retains it until the hold expires, or with no end date.
/// 2. **A keep rule whose period has not run beats disposal.** Every keep rule that selects the
///    record (and, for a query about some fields of a shared record, concerns one of them)
///    retains it until its period runs out. A keep rule whose anchor is empty retains with no
///    end date: nothing shows that its period has run.
/// 3. Otherwise disposal is allowed. Disposal rules never retain: choosing *which* disposal
///    applies is [evaluation](Policy::evaluate)'s job, where among due rules the highest priority
///    and then the most protective action wins.
///
/// Retainers come holds first, then keep rules in file order; [`Disposal::retained_until`] gives
/// the date disposal could be allowed.
///
/// ```
/// use std::sync::Arc;
/// use chrono::{TimeZone, Utc};
/// use pdpo_core::{DisposalGuard, DisposalQuery, Hold, HoldScope, Identifier, Key, Record, Schema};
/// use pdpo_retention::{HoldSet, Policy, RetentionGuard};
///
/// let schema = Schema::from_toml_str(r#"
///     subject = "contacts"
///     [entities.contacts]
///     key = "id"
///     [entities.invoices]
///     key = "id"
///     links = [{ to = "contacts", foreign_key = "contact_id" }]
///     fields.issued_at = { type = "timestamp" }
/// "#, None)?;
/// let policy = Policy::from_toml_str(r#"
///     [[rules]]
///     name = "invoices-iro-7y"
///     entity = "invoices"
///     anchor = "issued_at"
///     period = "P7Y"
///     action = "keep"
///     basis = "IRO (Cap. 112) s.51C: business records kept 7 years after the transaction"
///     statutory = true
/// "#, None, &schema)?;
/// let issued = Utc.with_ymd_and_hms(2019, 3, 15, 2, 0, 0).unwrap();
/// let invoice = Record::new(Identifier::new("invoices")?, Key::from(1))
///     .with("contact_id", 7)
///     .with("issued_at", issued);
/// let guard = RetentionGuard::new(Arc::new(policy), HoldSet::new());
///
/// // 2025: the statutory keep has not run.
/// let now = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap();
/// let answer = guard.check(&DisposalQuery::new(&invoice, now));
/// assert!(!answer.is_allowed());
/// assert_eq!(answer.retainers()[0].name, "invoices-iro-7y");
/// // Kept through 15 Mar 2026 (Hong Kong), disposable from 00:00 on 16 Mar.
/// assert_eq!(answer.retained_until(), Some(Utc.with_ymd_and_hms(2026, 3, 15, 16, 0, 0).unwrap()));
///
/// // 2027: allowed, unless a hold on the invoice's contact is in force (derived from `contact_id`).
/// let later = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
/// assert!(guard.check(&DisposalQuery::new(&invoice, later)).is_allowed());
/// let mut held = guard.clone();
/// held.holds_mut().insert(Hold::new(HoldScope::Subject(Key::from(7)), "Litigation 2026-031", later));
/// assert!(!held.check(&DisposalQuery::new(&invoice, later)).is_allowed());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RetentionGuard {
    policy: Arc<Policy>,
    holds: HoldSet,
}

impl RetentionGuard {
    /// A guard over `policy`'s keep rules and `holds`.
    pub fn new(policy: Arc<Policy>, holds: HoldSet) -> Self {
        Self { policy, holds }
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The holds.
    pub fn holds(&self) -> &HoldSet {
        &self.holds
    }

    /// The holds, to place or lift one.
    pub fn holds_mut(&mut self) -> &mut HoldSet {
        &mut self.holds
    }
}

impl DisposalGuard for RetentionGuard {
    fn check(&self, q: &DisposalQuery<'_>) -> Disposal {
        let mut r = Vec::new();
        retainers_into(&self.policy, &self.holds, q.record, q.subject, q.fields, q.now, &mut r);
        if r.is_empty() { Disposal::Allowed } else { Disposal::Retained(r) }
    }
}

/// A policy alone guards with its keep rules (no holds).
impl DisposalGuard for Policy {
    fn check(&self, q: &DisposalQuery<'_>) -> Disposal {
        let mut r = Vec::new();
        keep_retainers_into(self, q.record, q.fields, q.now, &mut r);
        if r.is_empty() { Disposal::Allowed } else { Disposal::Retained(r) }
    }
}

/// Holds first (subject from the query, else derived from the record), then keep rules.
pub(crate) fn retainers_into(
    policy: &Policy,
    holds: &HoldSet,
    record: &Record,
    subject: Option<&pdpo_core::Key>,
    fields: Option<&[String]>,
    now: DateTime<Utc>,
    out: &mut Vec<Retainer>,
) {
    if !holds.is_empty() {
        let derived = match subject {
            None if holds.has_subject_holds() => policy.subject_of(record),
            _ => None,
        };
        holds.retainers_into(record, subject.or(derived.as_ref()), now, out);
    }
    keep_retainers_into(policy, record, fields, now, out);
}

/// Keep rules selecting `record` whose period has not run at `now`.
pub(crate) fn keep_retainers_into(
    policy: &Policy,
    record: &Record,
    fields: Option<&[String]>,
    now: DateTime<Utc>,
    out: &mut Vec<Retainer>,
) {
    let keeps = policy.rules_for(&record.entity).filter(|r| r.action == Action::Keep);
    for rule in keeps.filter(|r| r.touches(fields) && r.selects(record)) {
        let until = Policy::due(rule, record);
        if until.is_none_or(|u| now < u) {
            out.push(Retainer {
                kind: RetainerKind::KeepRule,
                name: rule.name.to_string(),
                reason: rule.basis.clone(),
                statutory: rule.statutory,
                until,
            });
        }
    }
}
