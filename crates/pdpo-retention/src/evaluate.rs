//! Evaluation: a pure function of a record's metadata, the holds and `now`, giving a
//! [`Decision`] that says what to do, under which rule, from when, and why in plain words.

use std::fmt::{self, Write as _};

use chrono::{DateTime, NaiveDate, Utc};
use pdpo_core::{Identifier, Record, RecordRef, Retainer, RetainerKind};
use serde::{Deserialize, Serialize};

use crate::guard::retainers_into;
use crate::{Action, HoldSet, Policy, Rule};

/// Where a record stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// The action is due now (anonymise, delete, review or refresh consent).
    Due,
    /// A disposal is due but a legal hold or a keep rule retains the record.
    Retained,
    /// Only keep rules apply and at least one has not run: nothing to do before `due`.
    Kept,
    /// A rule applies but is not due yet; `due` says when.
    Scheduled,
    /// A rule applies but the record's anchor column is empty: no due date can be computed.
    MissingAnchor,
    /// No rule covers the record (best practice under DPP2(2)/s.26 is to add one; not a
    /// statutory requirement).
    NoPolicy,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Outcome; 6] =
        [Self::Due, Self::Retained, Self::Kept, Self::Scheduled, Self::MissingAnchor, Self::NoPolicy];

    /// The snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Due => "due",
            Self::Retained => "retained",
            Self::Kept => "kept",
            Self::Scheduled => "scheduled",
            Self::MissingAnchor => "missing_anchor",
            Self::NoPolicy => "no_policy",
        }
    }
}

/// What the policy says about one record at one instant.
///
/// Holds record references, rule names, dates and rule bases; never a field value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Decision {
    /// The record.
    pub record: RecordRef,
    /// Where it stands.
    pub outcome: Outcome,
    /// The deciding rule's action (`None` for [`Outcome::NoPolicy`]).
    pub action: Option<Action>,
    /// The deciding rule.
    pub rule: Option<Identifier>,
    /// When the deciding rule's period runs (or ran) out; for [`Outcome::Kept`], when the last
    /// keep runs out (`None` if one has no end).
    pub due: Option<DateTime<Utc>>,
    /// Whether the deciding rule is statutory.
    pub statutory: bool,
    /// What retains the record (holds first, then keep rules).
    pub retainers: Vec<Retainer>,
    /// The fields the deciding rule is about (`None`: the whole record).
    pub fields: Option<Vec<Identifier>>,
    /// The decision in a sentence a compliance officer can read.
    pub reason: String,
}

impl Decision {
    /// Whether an executor should act now: the outcome is [`Outcome::Due`] and the action
    /// disposes of data (anonymise or delete).
    pub fn is_executable(&self) -> bool {
        self.outcome == Outcome::Due && self.action.is_some_and(Action::is_disposal)
    }
}

/// The Hong Kong date of an instant, for sentences (the UTC date at the end of the calendar).
fn hk_date(t: DateTime<Utc>) -> NaiveDate {
    crate::period::hk_date(t).unwrap_or_else(|| t.date_naive())
}

/// A date for sentences, or "no end date"; formats without allocating.
struct DateOrNever(Option<DateTime<Utc>>);

impl fmt::Display for DateOrNever {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(t) => write!(f, "{}", hk_date(t)),
            None => f.write_str("no end date"),
        }
    }
}

/// "rule `x` (P2Y from `col` on 2023-01-05); basis: ... (business choice)", formatted in place.
struct Describe<'a>(&'a Rule, &'a Record);

impl fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self(rule, record) = *self;
        write!(f, "rule `{}` ({} from `{}`", rule.name, rule.period, rule.anchor_column())?;
        if let Some(d) = Policy::anchor_date(rule, record) {
            write!(f, " on {d}")?;
        }
        write!(f, "); basis: {} ({})", rule.basis, rule.label())
    }
}

/// The retainers, holds first, joined by "; ".
struct DescribeRetainers<'a>(&'a [Retainer]);

impl fmt::Display for DescribeRetainers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            match r.kind {
                RetainerKind::LegalHold => write!(f, "legal hold {} ({})", r.name, r.reason)?,
                RetainerKind::KeepRule => {
                    let label = if r.statutory { "statutory" } else { "business choice" };
                    write!(f, "keep rule `{}` ({}; {label})", r.name, r.reason)?;
                }
                _ => write!(f, "{} ({})", r.name, r.reason)?,
            }
            match (r.kind, r.until) {
                (RetainerKind::KeepRule, Some(t)) => write!(f, " until {}", LastDay(t))?,
                (_, Some(t)) => write!(f, " until {}", hk_date(t))?,
                (RetainerKind::KeepRule, None) => f.write_str(" until its anchor date is recorded")?,
                (_, None) => f.write_str(" with no end date")?,
            }
        }
        Ok(())
    }
}

/// Non-keep rules at equal footing: higher priority first, then the more protective action,
/// then the name (so the choice never depends on file order).
fn better<'a>(a: &'a Rule, b: &'a Rule) -> &'a Rule {
    let key = |r: &Rule| (std::cmp::Reverse(r.priority), r.action, r.name.clone());
    if key(b) < key(a) { b } else { a }
}

impl Policy {
    /// Evaluates one record at `now`.
    ///
    /// 1. No rule selects the record: [`Outcome::NoPolicy`].
    /// 2. Among the non-keep rules whose period has run, the highest priority wins, then the
    ///    most protective action ([`Action`]'s order), then the name. If it disposes of data
    ///    and a hold or an unexpired keep rule applies: [`Outcome::Retained`]; otherwise
    ///    [`Outcome::Due`]. (Holds and keep rules never stop a review or a consent refresh.)
    /// 3. Otherwise, a non-keep rule with an empty anchor: [`Outcome::MissingAnchor`].
    /// 4. Otherwise, the non-keep rule that falls due first: [`Outcome::Scheduled`].
    /// 5. Only keep rules: [`Outcome::Kept`] while one has not run; once all have, a
    ///    [`Action::Review`] is [`Outcome::Due`]: the statutory minimum is over and no rule says
    ///    what comes next, so DPP2(2) and s.26 call for a decision.
    ///
    /// The record's subject, for holds by subject, is derived from the record when the schema
    /// allows ([`Policy::subject_of`]).
    pub fn evaluate(&self, record: &Record, holds: &HoldSet, now: DateTime<Utc>) -> Decision {
        let mut retainers = Vec::new();
        let mut any = false;
        let mut due_best: Option<&Rule> = None;
        let mut missing: Option<&Rule> = None;
        let mut next: Option<(&Rule, DateTime<Utc>)> = None;
        let mut keeps: Vec<(&Rule, Option<DateTime<Utc>>)> = Vec::new();
        for rule in self.matching(record) {
            any = true;
            let due = Policy::due(rule, record);
            if rule.action == Action::Keep {
                keeps.push((rule, due));
                continue;
            }
            match due {
                Some(d) if d <= now => due_best = Some(due_best.map_or(rule, |b| better(b, rule))),
                Some(d) => {
                    if next.is_none_or(|(n, nd)| d < nd || (d == nd && std::ptr::eq(better(n, rule), rule))) {
                        next = Some((rule, d));
                    }
                }
                None => missing = Some(missing.map_or(rule, |m| better(m, rule))),
            }
        }
        let base = |outcome, rule: Option<&Rule>, due, retainers, reason| Decision {
            record: record.reference(),
            outcome,
            action: rule.map(|r| r.action),
            rule: rule.map(|r| r.name.clone()),
            due,
            statutory: rule.is_some_and(|r| r.statutory),
            retainers,
            fields: rule.and_then(|r| r.fields.clone()),
            reason,
        };
        if !any {
            let reason = format!(
                "No retention rule covers this `{}` record. The PDPO sets no retention period, but DPP2(2) and s.26 \
                 require erasing personal data once it is no longer needed: adding a rule is best practice, not a \
                 statutory requirement.",
                record.entity
            );
            return base(Outcome::NoPolicy, None, None, Vec::new(), reason);
        }
        retainers_into(self, holds, record, None, None, now, &mut retainers);

        if let Some(rule) = due_best {
            let due = Policy::due(rule, record);
            let since = DateOrNever(due);
            let blocking = match (&rule.fields, rule.action.is_disposal()) {
                (_, false) => Vec::new(),
                (None, true) => retainers.clone(),
                (Some(fields), true) => {
                    // A keep rule about other fields does not stop disposing of these ones.
                    let fields: Vec<String> = fields.iter().map(ToString::to_string).collect();
                    let mut b = Vec::new();
                    retainers_into(self, holds, record, None, Some(&fields), now, &mut b);
                    b
                }
            };
            if !blocking.is_empty() {
                let reason = format!(
                    "Due for {} since {since} under {}, but retained by {}.",
                    rule.action.noun(),
                    Describe(rule, record),
                    DescribeRetainers(&blocking)
                );
                return base(Outcome::Retained, Some(rule), due, retainers, reason);
            }
            let reason =
                format!("Due for {} since {since} under {}.", rule.action.noun(), Describe(rule, record));
            return base(Outcome::Due, Some(rule), due, retainers, reason);
        }
        if let Some(rule) = missing {
            let reason = format!(
                "Rule `{}` ({} after {}) covers this record but its `{}` is empty, so no due date can be computed: \
                 review the record.",
                rule.name,
                rule.action.noun(),
                rule.period,
                rule.anchor_column()
            );
            return base(Outcome::MissingAnchor, Some(rule), None, retainers, reason);
        }
        if let Some((rule, due)) = next {
            let mut reason = format!(
                "Due for {} on {} under {}.",
                rule.action.noun(),
                hk_date(due),
                Describe(rule, record)
            );
            if !retainers.is_empty() {
                let _ = write!(reason, " Meanwhile retained by {}.", DescribeRetainers(&retainers));
            }
            return base(Outcome::Scheduled, Some(rule), Some(due), retainers, reason);
        }
        // Only keep rules.
        let active: Vec<&(&Rule, Option<DateTime<Utc>>)> =
            keeps.iter().filter(|(_, d)| d.is_none_or(|d| now < d)).collect();
        if let Some(&&(longest, longest_until)) = active.iter().max_by_key(|(_, d)| (d.is_none(), *d)) {
            let until = longest_until;
            let mut reason = match until {
                Some(u) => format!("Kept until {} under {}.", LastDay(u), Describe(longest, record)),
                None => format!(
                    "Kept under {}: its `{}` is empty, so the keep period cannot be shown to have run.",
                    Describe(longest, record),
                    longest.anchor_column()
                ),
            };
            if retainers.len() > 1 {
                let _ = write!(reason, " Retained by {}.", DescribeRetainers(&retainers));
            }
            return base(Outcome::Kept, Some(longest), until, retainers, reason);
        }
        // Every keep rule has run: ask for a review.
        let (last, ended) =
            keeps.iter().max_by_key(|(_, d)| *d).map_or((None, None), |(r, d)| (Some(*r), *d));
        let mut d = base(Outcome::Due, last, ended, retainers, String::new());
        d.action = Some(Action::Review);
        d.reason = match last {
            Some(rule) => format!(
                "The keep period ended on {} under {}. No rule says what happens next: review whether the record \
                 is still needed (DPP2(2), s.26).",
                LastDayOr(ended),
                Describe(rule, record)
            ),
            None => {
                "No rule says what happens next: review whether the record is still needed (DPP2(2), s.26)."
                    .into()
            }
        };
        d
    }

    /// Evaluates many records (a convenience over [`evaluate`](Self::evaluate)).
    pub fn evaluate_all<'a>(
        &'a self,
        records: impl IntoIterator<Item = &'a Record> + 'a,
        holds: &'a HoldSet,
        now: DateTime<Utc>,
    ) -> impl Iterator<Item = Decision> + 'a {
        records.into_iter().map(move |r| self.evaluate(r, holds, now))
    }
}

/// The last day a period covers, given the instant it runs out (00:00 Hong Kong the day after).
struct LastDay(DateTime<Utc>);

impl fmt::Display for LastDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = hk_date(self.0);
        write!(f, "{}", d.pred_opt().unwrap_or(d))
    }
}

/// [`LastDay`], or "an unknown date".
struct LastDayOr(Option<DateTime<Utc>>);

impl fmt::Display for LastDayOr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(t) => LastDay(t).fmt(f),
            None => f.write_str("an unknown date"),
        }
    }
}
