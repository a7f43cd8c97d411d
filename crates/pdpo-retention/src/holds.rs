//! Legal holds, indexed for a cheap per-record check.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use pdpo_core::{Disposal, DisposalGuard, DisposalQuery, Hold, HoldScope, Identifier, Key, Record, Retainer};

/// A set of legal holds ([`pdpo_core::Hold`]) by data subject, record or entity, indexed so that
/// checking a record costs a few hash lookups however many holds there are.
///
/// A hold is in force from `placed_at` until its optional `expires`; it beats every retention
/// rule. As a [`DisposalGuard`] on its own, a `HoldSet` knows a record's subject only from the
/// query ([`DisposalQuery::for_subject`]); [`RetentionGuard`](crate::RetentionGuard) also derives
/// it from the record through the policy's schema.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use pdpo_core::{Hold, HoldScope, Identifier, Key, Record};
/// use pdpo_retention::HoldSet;
/// let t = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap();
/// let mut holds = HoldSet::new();
/// holds.insert(Hold::new(HoldScope::Subject(Key::from(7)), "Litigation 2026-031", t));
/// let invoice = Record::new(Identifier::new("invoices")?, Key::from(1));
/// assert_eq!(holds.covering(&invoice, Some(&Key::from(7)), t).count(), 1);
/// assert_eq!(holds.covering(&invoice, Some(&Key::from(8)), t).count(), 0);
/// # Ok::<(), pdpo_core::InvalidIdentifier>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct HoldSet {
    holds: Vec<Hold>,
    by_subject: HashMap<Key, Vec<usize>>,
    by_record: HashMap<Identifier, HashMap<Key, Vec<usize>>>,
    by_entity: HashMap<Identifier, Vec<usize>>,
}

impl HoldSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a hold.
    pub fn insert(&mut self, hold: Hold) {
        let i = self.holds.len();
        match &hold.scope {
            HoldScope::Subject(k) => self.by_subject.entry(k.clone()).or_default().push(i),
            HoldScope::Record(r) => {
                self.by_record.entry(r.entity.clone()).or_default().entry(r.key.clone()).or_default().push(i)
            }
            HoldScope::Entity(e) => self.by_entity.entry(e.clone()).or_default().push(i),
        }
        self.holds.push(hold);
    }

    /// Lifts (removes) the hold with this id, returning it.
    pub fn lift(&mut self, id: uuid::Uuid) -> Option<Hold> {
        let pos = self.holds.iter().position(|h| h.id == id)?;
        let hold = self.holds.remove(pos);
        let rest = std::mem::take(&mut self.holds);
        *self = rest.into_iter().collect();
        Some(hold)
    }

    /// Every hold, active or not, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &Hold> {
        self.holds.iter()
    }

    /// Number of holds.
    pub fn len(&self) -> usize {
        self.holds.len()
    }

    /// Whether there are no holds.
    pub fn is_empty(&self) -> bool {
        self.holds.is_empty()
    }

    /// Whether any hold is by subject (so callers know whether deriving a subject is worth it).
    pub fn has_subject_holds(&self) -> bool {
        !self.by_subject.is_empty()
    }

    /// The holds in force at `now` that cover `record`, which is about `subject` (if known).
    pub fn covering<'a>(
        &'a self,
        record: &'a Record,
        subject: Option<&'a Key>,
        now: DateTime<Utc>,
    ) -> impl Iterator<Item = &'a Hold> + 'a {
        let by_subject = subject.and_then(|s| self.by_subject.get(s));
        let by_record = self.by_record.get(record.entity.as_str()).and_then(|m| m.get(&record.key));
        let by_entity = self.by_entity.get(record.entity.as_str());
        [by_subject, by_record, by_entity]
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|&i| self.holds.get(i))
            .filter(move |h| h.is_active(now))
    }

    /// The retainers for `record` (holds in force at `now`), appended to `out`.
    pub(crate) fn retainers_into(
        &self,
        record: &Record,
        subject: Option<&Key>,
        now: DateTime<Utc>,
        out: &mut Vec<Retainer>,
    ) {
        if self.holds.is_empty() {
            return;
        }
        out.extend(self.covering(record, subject, now).map(Hold::retainer));
    }
}

impl FromIterator<Hold> for HoldSet {
    fn from_iter<I: IntoIterator<Item = Hold>>(iter: I) -> Self {
        let mut set = Self::new();
        for h in iter {
            set.insert(h);
        }
        set
    }
}

impl Extend<Hold> for HoldSet {
    fn extend<I: IntoIterator<Item = Hold>>(&mut self, iter: I) {
        for h in iter {
            self.insert(h);
        }
    }
}

impl DisposalGuard for HoldSet {
    fn check(&self, q: &DisposalQuery<'_>) -> Disposal {
        let mut r = Vec::new();
        self.retainers_into(q.record, q.subject, q.now, &mut r);
        if r.is_empty() { Disposal::Allowed } else { Disposal::Retained(r) }
    }
}
