//! Legal holds and the [`DisposalGuard`] port: "may this record's personal data be disposed of
//! now; if not, why and until when".
//!
//! Every erasure and every retention run asks a guard first. `pdpo-retention` implements it from
//! keep rules and legal holds; the request ledger adds a hold while an access request about the
//! person is open (the copy must be as at receipt, s.19(3)). Guards combine: a tuple `(a, b)` is a
//! guard that retains whatever either retains.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Identifier, Key, Record, RecordRef};

/// What a [`Hold`] covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "target")]
pub enum HoldScope {
    /// Every record about one data subject.
    Subject(Key),
    /// One record.
    Record(RecordRef),
    /// Every record of one entity.
    Entity(Identifier),
}

/// A legal hold: data that must not be disposed of, whatever the retention policy says
/// (litigation, an investigation, an open access request).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// Hold id.
    pub id: Uuid,
    /// What it covers.
    pub scope: HoldScope,
    /// Why, in words a compliance officer can read (no personal data).
    pub reason: String,
    /// When it was placed.
    pub placed_at: DateTime<Utc>,
    /// When it lapses by itself, if ever.
    pub expires: Option<DateTime<Utc>>,
}

impl Hold {
    /// A hold placed at `placed_at` with no expiry.
    pub fn new(scope: HoldScope, reason: impl Into<String>, placed_at: DateTime<Utc>) -> Self {
        Self { id: Uuid::new_v4(), scope, reason: reason.into(), placed_at, expires: None }
    }

    /// Sets an expiry.
    #[must_use]
    pub fn until(mut self, expires: DateTime<Utc>) -> Self {
        self.expires = Some(expires);
        self
    }

    /// Whether the hold is in force at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.placed_at <= now && self.expires.is_none_or(|e| now < e)
    }

    /// The hold as a [`Retainer`] (what a guard reports when the hold applies).
    pub fn retainer(&self) -> Retainer {
        hold_retainer(self)
    }

    /// Whether the hold covers `record`, which is about `subject` (if known).
    pub fn covers(&self, record: &Record, subject: Option<&Key>) -> bool {
        match &self.scope {
            HoldScope::Subject(k) => subject == Some(k),
            HoldScope::Record(r) => r.entity == record.entity && r.key == record.key,
            HoldScope::Entity(e) => *e == record.entity,
        }
    }
}

impl fmt::Debug for Hold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hold")
            .field("id", &self.id)
            .field("scope", &self.scope)
            .field("placed_at", &self.placed_at)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// The question a [`DisposalGuard`] answers.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct DisposalQuery<'a> {
    /// The record to dispose of (its values give the guard lifecycle dates and rule predicates).
    pub record: &'a Record,
    /// The data subject the disposal is for, when disposing of one person's data.
    pub subject: Option<&'a Key>,
    /// For a shared record, the fields of this person that would change; `None` for the whole record.
    pub fields: Option<&'a [String]>,
    /// The time of the decision.
    pub now: DateTime<Utc>,
}

impl<'a> DisposalQuery<'a> {
    /// A query for a whole record at `now`.
    pub fn new(record: &'a Record, now: DateTime<Utc>) -> Self {
        Self { record, subject: None, fields: None, now }
    }

    /// Scopes the query to one data subject.
    #[must_use]
    pub fn for_subject(mut self, subject: &'a Key) -> Self {
        self.subject = Some(subject);
        self
    }

    /// Scopes the query to some fields of a shared record.
    #[must_use]
    pub fn for_fields(mut self, fields: &'a [String]) -> Self {
        self.fields = Some(fields);
        self
    }
}

/// Why something keeps a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RetainerKind {
    /// A legal hold.
    LegalHold,
    /// A retention keep rule whose period has not run.
    KeepRule,
    /// An open PDPO request about the person.
    OpenRequest,
}

/// One reason a record must be kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retainer {
    /// What kind of reason.
    pub kind: RetainerKind,
    /// The hold id, rule name or request id.
    pub name: String,
    /// The reason in words (e.g. "IRO s.51C: business records 7 years").
    pub reason: String,
    /// Whether the reason is a statutory duty (as opposed to a business choice).
    pub statutory: bool,
    /// When the reason lapses; `None` for no known end (a hold without expiry).
    pub until: Option<DateTime<Utc>>,
}

/// A guard's answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision", content = "retainers")]
pub enum Disposal {
    /// Nothing stops disposal now.
    #[default]
    Allowed,
    /// Disposal must wait; the reasons are listed, holds first.
    Retained(Vec<Retainer>),
}

impl Disposal {
    /// Whether disposal may proceed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Self::Allowed)
    }

    /// The reasons for keeping, empty when allowed.
    pub fn retainers(&self) -> &[Retainer] {
        match self {
            Self::Allowed => &[],
            Self::Retained(r) => r,
        }
    }

    /// The earliest time disposal could be allowed: the latest `until` of all retainers, or `None`
    /// if allowed now or if any retainer has no end.
    pub fn retained_until(&self) -> Option<DateTime<Utc>> {
        let r = self.retainers();
        if r.is_empty() || r.iter().any(|x| x.until.is_none()) {
            return None;
        }
        r.iter().filter_map(|x| x.until).max()
    }

    /// Combines two answers: retained if either retains, with all reasons.
    #[must_use]
    pub fn and(self, other: Disposal) -> Disposal {
        match (self, other) {
            (Self::Allowed, Self::Allowed) => Self::Allowed,
            (Self::Allowed, r) | (r, Self::Allowed) => r,
            (Self::Retained(mut a), Self::Retained(b)) => {
                a.extend(b);
                a.sort_by_key(|r| r.kind);
                Self::Retained(a)
            }
        }
    }
}

/// Decides whether a record's personal data may be disposed of now.
///
/// Synchronous and cheap (target: under a microsecond a record), so erasure and retention can ask
/// it for every record; anything that needs a store (open requests, holds kept in a database) loads
/// what it needs beforehand. Dyn-compatible.
///
/// ```
/// use chrono::Utc;
/// use pdpo_core::{DisposalGuard, DisposalQuery, Hold, HoldScope, Identifier, Key, Record};
/// let now = Utc::now();
/// let holds = vec![Hold::new(HoldScope::Subject(Key::from(7)), "litigation 2026-031", now)];
/// let invoice = Record::new(Identifier::new("invoices")?, Key::from(1));
/// let answer = holds.check(&DisposalQuery::new(&invoice, now).for_subject(&Key::from(7)));
/// assert!(!answer.is_allowed());
/// assert!(holds.check(&DisposalQuery::new(&invoice, now).for_subject(&Key::from(8))).is_allowed());
/// # Ok::<(), pdpo_core::InvalidIdentifier>(())
/// ```
pub trait DisposalGuard: Send + Sync {
    /// The answer for one record.
    fn check(&self, query: &DisposalQuery<'_>) -> Disposal;
}

/// A guard that allows everything: for tests and for data no policy covers.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowAll;

impl DisposalGuard for AllowAll {
    fn check(&self, _: &DisposalQuery<'_>) -> Disposal {
        Disposal::Allowed
    }
}

fn hold_retainer(h: &Hold) -> Retainer {
    Retainer {
        kind: RetainerKind::LegalHold,
        name: h.id.to_string(),
        reason: h.reason.clone(),
        statutory: false,
        until: h.expires,
    }
}

impl DisposalGuard for [Hold] {
    fn check(&self, q: &DisposalQuery<'_>) -> Disposal {
        let r: Vec<Retainer> = self
            .iter()
            .filter(|h| h.is_active(q.now) && h.covers(q.record, q.subject))
            .map(hold_retainer)
            .collect();
        if r.is_empty() { Disposal::Allowed } else { Disposal::Retained(r) }
    }
}

impl DisposalGuard for Vec<Hold> {
    fn check(&self, q: &DisposalQuery<'_>) -> Disposal {
        self.as_slice().check(q)
    }
}

impl<A: DisposalGuard, B: DisposalGuard> DisposalGuard for (A, B) {
    fn check(&self, q: &DisposalQuery<'_>) -> Disposal {
        self.0.check(q).and(self.1.check(q))
    }
}

impl<G: DisposalGuard + ?Sized> DisposalGuard for &G {
    fn check(&self, q: &DisposalQuery<'_>) -> Disposal {
        (**self).check(q)
    }
}

impl<G: DisposalGuard + ?Sized> DisposalGuard for Box<G> {
    fn check(&self, q: &DisposalQuery<'_>) -> Disposal {
        (**self).check(q)
    }
}

impl<G: DisposalGuard + ?Sized> DisposalGuard for Arc<G> {
    fn check(&self, q: &DisposalQuery<'_>) -> Disposal {
        (**self).check(q)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    #[test]
    fn expired_and_future_holds_do_not_retain() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let rec = Record::new(Identifier::new("contacts").unwrap(), Key::from(1));
        let holds = vec![
            Hold::new(HoldScope::Entity(Identifier::new("contacts").unwrap()), "audit", t0)
                .until(t0 + Duration::days(10)),
        ];
        assert!(!holds.check(&DisposalQuery::new(&rec, t0 + Duration::days(9))).is_allowed());
        assert!(holds.check(&DisposalQuery::new(&rec, t0 + Duration::days(10))).is_allowed());
        assert!(holds.check(&DisposalQuery::new(&rec, t0 - Duration::days(1))).is_allowed());
    }

    #[test]
    fn combined_guards_keep_all_reasons_and_latest_date() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let rec = Record::new(Identifier::new("invoices").unwrap(), Key::from(9));
        let a = vec![Hold::new(HoldScope::Record(rec.reference()), "x", t0).until(t0 + Duration::days(3))];
        let b = vec![Hold::new(HoldScope::Entity(rec.entity.clone()), "y", t0).until(t0 + Duration::days(5))];
        let d = (a, b).check(&DisposalQuery::new(&rec, t0));
        assert_eq!(d.retainers().len(), 2);
        assert_eq!(d.retained_until(), Some(t0 + Duration::days(5)));
        let forever = vec![Hold::new(HoldScope::Record(rec.reference()), "z", t0)];
        assert_eq!(forever.check(&DisposalQuery::new(&rec, t0)).retained_until(), None);
    }
}
