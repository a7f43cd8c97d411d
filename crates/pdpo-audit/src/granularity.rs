//! How many events an operation writes.
//!
//! - **Bulk operations** (inventory scans, workspace exports, retention runs) write *one* event
//!   with counts ([`bulk_event`]), not one per record: the log stays proportional to what people
//!   do, and a retention run over a million rows does not write a million rows.
//! - **Reads scoped to people** (a contact screen, an access-request copy, a disclosure) write
//!   *one event per person* ([`PerSubject`]), naming the fields and records read: that is what an
//!   access request (s.18) and a breach assessment need to answer "who saw my data", and it
//!   stays small because a screen rarely shows more than a handful of people.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use pdpo_core::{Actor, AuditAction, AuditEvent, Identifier, Key, Purpose, RecordRef};
use uuid::Uuid;

/// The count name for records touched.
pub const RECORDS: Identifier = Identifier::from_static("records");

/// One event for a bulk operation: no subject, only counts.
///
/// ```
/// use pdpo_core::{Actor, AuditAction, Identifier};
/// use pdpo_audit::granularity::{RECORDS, bulk_event};
/// let e = bulk_event(AuditAction::Inventory, Actor::system("scanner")?, chrono::Utc::now(),
///     [(RECORDS, 120_000), (Identifier::from_static("subjects"), 8_400)]);
/// assert_eq!(e.counts[&RECORDS], 120_000);
/// assert!(e.subject.is_none());
/// # Ok::<(), pdpo_core::InvalidIdentifier>(())
/// ```
pub fn bulk_event(
    action: AuditAction,
    actor: Actor,
    at: DateTime<Utc>,
    counts: impl IntoIterator<Item = (Identifier, u64)>,
) -> AuditEvent {
    counts.into_iter().fold(AuditEvent::new(action, actor, at), |e, (name, n)| e.with_count(name, n))
}

#[derive(Debug, Default)]
struct Access {
    records: BTreeSet<RecordRef>,
    fields: BTreeSet<Identifier>,
    whole: bool,
}

/// Collects the reads (or exports, or disclosures) of one screen, request or job and turns them
/// into one event per data subject.
///
/// Each event names the subject, the union of fields read, the record when there was exactly one
/// (otherwise a `records` count) and the shared purpose, origin, recipient and request. A read
/// that names no field exposes the whole record, so that subject's event names no field either.
///
/// ```
/// use pdpo_core::{Actor, AuditAction, Identifier, Key, RecordRef};
/// use pdpo_audit::granularity::PerSubject;
/// let contacts = Identifier::from_static("contacts");
/// let deals = Identifier::from_static("deals");
/// let mut reads = PerSubject::new(AuditAction::View, Actor::user("staff-17")?, chrono::Utc::now());
/// reads.add(Key::from(1), RecordRef::new(contacts.clone(), Key::from(1)), [Identifier::from_static("email")]);
/// reads.add(Key::from(1), RecordRef::new(deals, Key::from(9)), [Identifier::from_static("amount")]);
/// reads.add(Key::from(2), RecordRef::new(contacts, Key::from(2)), [Identifier::from_static("phone")]);
/// let events = reads.into_events();
/// assert_eq!(events.len(), 2); // one per person, not one per record
/// assert_eq!(events[0].fields.len(), 2);
/// # Ok::<(), pdpo_core::InvalidIdentifier>(())
/// ```
#[derive(Debug)]
pub struct PerSubject {
    action: AuditAction,
    actor: Actor,
    at: DateTime<Utc>,
    purpose: Option<Purpose>,
    origin: Option<Identifier>,
    recipient: Option<Identifier>,
    request: Option<Uuid>,
    subjects: BTreeMap<Key, Access>,
}

impl PerSubject {
    /// Collects accesses of kind `action` (usually view, export or disclose).
    pub fn new(action: AuditAction, actor: Actor, at: DateTime<Utc>) -> Self {
        Self {
            action,
            actor,
            at,
            purpose: None,
            origin: None,
            recipient: None,
            request: None,
            subjects: BTreeMap::new(),
        }
    }

    /// The purpose of the access (DPP3).
    #[must_use]
    pub fn with_purpose(mut self, purpose: Purpose) -> Self {
        self.purpose = Some(purpose);
        self
    }

    /// Where the access came from.
    #[must_use]
    pub fn with_origin(mut self, origin: Identifier) -> Self {
        self.origin = Some(origin);
        self
    }

    /// The recipient class, for disclosures.
    #[must_use]
    pub fn with_recipient(mut self, recipient: Identifier) -> Self {
        self.recipient = Some(recipient);
        self
    }

    /// The PDPO request served.
    #[must_use]
    pub fn with_request(mut self, request: Uuid) -> Self {
        self.request = Some(request);
        self
    }

    /// Records that `fields` of `record`, about `subject`, were accessed (no fields: all of them).
    pub fn add(
        &mut self,
        subject: Key,
        record: RecordRef,
        fields: impl IntoIterator<Item = Identifier>,
    ) -> &mut Self {
        let a = self.subjects.entry(subject).or_default();
        a.records.insert(record);
        let mut named = false;
        for f in fields {
            a.fields.insert(f);
            named = true;
        }
        a.whole |= !named;
        self
    }

    /// How many people were accessed.
    pub fn len(&self) -> usize {
        self.subjects.len()
    }

    /// Whether nothing was accessed.
    pub fn is_empty(&self) -> bool {
        self.subjects.is_empty()
    }

    /// One event per person, in subject key order.
    pub fn into_events(self) -> Vec<AuditEvent> {
        self.subjects
            .into_iter()
            .map(|(subject, a)| {
                let mut e = AuditEvent::new(self.action, self.actor.clone(), self.at).with_subject(subject);
                let n = a.records.len() as u64;
                match (n, a.records.into_iter().next()) {
                    (1, Some(record)) => e = e.with_record(record),
                    _ => e = e.with_count(RECORDS, n),
                }
                if !a.whole {
                    e.fields = a.fields.into_iter().collect();
                }
                if let Some(p) = &self.purpose {
                    e = e.with_purpose(p.clone());
                }
                if let Some(o) = &self.origin {
                    e = e.with_origin(o.clone());
                }
                if let Some(r) = &self.recipient {
                    e = e.with_recipient(r.clone());
                }
                if let Some(q) = self.request {
                    e = e.with_request(q);
                }
                e
            })
            .collect()
    }
}
