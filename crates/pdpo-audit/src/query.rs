//! Queries over the kept partitions: by subject, record, actor, action and time; the breach
//! reconstruction report; the per-subject disclosure log of s.23(1)(c).
//!
//! Queries filter each row on a borrowed view of its body and decode only the rows that match.
//! A row that cannot be decoded fails the query with [`Error::Undecodable`] naming it: run
//! [`verify`](crate::verify) to find out what happened to it.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

use chrono::{DateTime, Months, TimeDelta, TimeZone, Utc};
use pdpo_core::{Actor, AuditAction, AuditEvent, HONG_KONG, Identifier, Key, Purpose, RecordRef};
use serde::Serialize;
use uuid::Uuid;

use crate::encoding::{EventView, key_bytes};
use crate::{AuditStore, Error, Month, Result};

/// Which events to find. Every criterion set must match; an empty query matches everything.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use pdpo_core::{AuditAction, Key};
/// use pdpo_audit::Query;
/// let q = Query::new()
///     .subject(Key::from(42))
///     .action(AuditAction::Disclose)
///     .between(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap());
/// # let _ = q;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    subject: Option<Key>,
    record: Option<RecordRef>,
    actor: Option<Actor>,
    actions: BTreeSet<AuditAction>,
    tenant: Option<Identifier>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

impl Query {
    /// A query matching every event.
    pub fn new() -> Self {
        Self::default()
    }

    /// Events about this data subject (for access requests).
    #[must_use]
    pub fn subject(mut self, subject: Key) -> Self {
        self.subject = Some(subject);
        self
    }

    /// Events about this record.
    #[must_use]
    pub fn record(mut self, record: RecordRef) -> Self {
        self.record = Some(record);
        self
    }

    /// Events by this actor.
    #[must_use]
    pub fn actor(mut self, actor: Actor) -> Self {
        self.actor = Some(actor);
        self
    }

    /// Events with this action (may be called several times: any of them).
    #[must_use]
    pub fn action(mut self, action: AuditAction) -> Self {
        self.actions.insert(action);
        self
    }

    /// Events in this tenant.
    #[must_use]
    pub fn tenant(mut self, tenant: Identifier) -> Self {
        self.tenant = Some(tenant);
        self
    }

    /// Events that happened (their `at`) in `[from, to)`.
    #[must_use]
    pub fn between(mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        self.from = Some(from);
        self.to = Some(to);
        self
    }

    /// Events that happened at or after `from`.
    #[must_use]
    pub fn since(mut self, from: DateTime<Utc>) -> Self {
        self.from = Some(from);
        self
    }
}

/// An event found in the log, with where and when it was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedEvent {
    /// Partition.
    pub month: Month,
    /// Index in the month.
    pub index: u64,
    /// When the log recorded it.
    pub recorded_at: DateTime<Utc>,
    /// The event.
    pub event: AuditEvent,
}

/// A query with its keys encoded once, matched against borrowed views.
struct Matcher<'q> {
    q: &'q Query,
    subject: Option<Vec<u8>>,
    record: Option<(&'q str, Vec<u8>)>,
    actions: Vec<&'static str>,
}

impl<'q> Matcher<'q> {
    fn new(q: &'q Query) -> Result<Self> {
        Ok(Self {
            q,
            subject: q.subject.as_ref().map(key_bytes).transpose()?,
            record: q
                .record
                .as_ref()
                .map(|r| key_bytes(&r.key).map(|k| (r.entity.as_str(), k)))
                .transpose()?,
            actions: q.actions.iter().map(|a| a.as_str()).collect(),
        })
    }

    fn matches(&self, v: &EventView<'_>) -> bool {
        let q = self.q;
        if let Some(s) = &self.subject
            && v.subject != Some(s.as_slice())
        {
            return false;
        }
        if let Some((entity, key)) = &self.record
            && v.record != Some((*entity, key.as_slice()))
        {
            return false;
        }
        if let Some(a) = &q.actor
            && (v.actor_kind != a.kind.as_str() || v.actor_id != a.id.as_str())
        {
            return false;
        }
        if !self.actions.is_empty() && !self.actions.contains(&v.action) {
            return false;
        }
        if let Some(t) = &q.tenant
            && v.tenant != Some(t.as_str())
        {
            return false;
        }
        if q.from.is_some() || q.to.is_some() {
            let Some(at) = v.at() else { return false };
            if q.from.is_some_and(|f| at < f) || q.to.is_some_and(|t| at >= t) {
                return false;
            }
        }
        true
    }
}

/// Finds the events matching `q` in the kept partitions, in log order.
///
/// A time range skips partitions recorded more than a month before `from` (an event is recorded
/// at or after it happens; the month of slack covers callers whose clocks run ahead).
pub async fn query<S: AuditStore + ?Sized>(store: &S, q: &Query) -> Result<Vec<LoggedEvent>> {
    let matcher = Matcher::new(q)?;
    let first = q.from.map(|f| Month::of(f).prev());
    let mut out = Vec::new();
    for p in store.partitions().await? {
        if first.is_some_and(|f| p.month < f) {
            continue;
        }
        let mut failed = None;
        store
            .scan(p.month, |row| {
                let found = EventView::parse(&row.body).and_then(|view| {
                    if matcher.matches(&view) { view.to_event().map(Some) } else { Ok(None) }
                });
                match found {
                    Ok(Some(event)) => {
                        out.push(LoggedEvent {
                            month: p.month,
                            index: row.index,
                            recorded_at: row.recorded_at,
                            event,
                        });
                        ControlFlow::Continue(())
                    }
                    Ok(None) => ControlFlow::Continue(()),
                    Err(source) => {
                        failed = Some(Error::Undecodable { month: p.month, index: row.index, source });
                        ControlFlow::Break(())
                    }
                }
            })
            .await?;
        if let Some(e) = failed {
            return Err(e);
        }
    }
    Ok(out)
}

/// Whether the kept partitions cover everything recorded since `from`: no dropped month ends after
/// it.
async fn covers<S: AuditStore + ?Sized>(store: &S, from: DateTime<Utc>) -> Result<bool> {
    let kept: BTreeSet<Month> = store.partitions().await?.into_iter().map(|p| p.month).collect();
    Ok(store.seals().await?.iter().filter(|s| !kept.contains(&s.month)).all(|s| s.month.end() <= from))
}

/// What one actor saw or sent out about one data subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectExposure {
    /// The data subject.
    pub subject: Key,
    /// Field names named by the events.
    pub fields: BTreeSet<Identifier>,
    /// Whether some event named no field: treat its whole record as exposed.
    pub whole_records: bool,
    /// Records named by the events.
    pub records: BTreeSet<RecordRef>,
    /// Which of view, export and disclose happened.
    pub actions: BTreeSet<AuditAction>,
    /// Recipient classes of disclosures.
    pub recipients: BTreeSet<Identifier>,
    /// Events counted.
    pub events: u64,
    /// The first event's time.
    pub first: DateTime<Utc>,
    /// The last event's time.
    pub last: DateTime<Utc>,
}

/// Which subjects and fields an actor viewed, exported or disclosed in a period: the starting
/// point of a data breach assessment (DPP4; the PCPD's breach notification guidance asks which
/// data subjects and kinds of data were affected).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreachReport {
    /// The actor.
    pub actor: Actor,
    /// Start of the period (included).
    pub from: DateTime<Utc>,
    /// End of the period (excluded).
    pub to: DateTime<Utc>,
    /// Per data subject, in key order.
    pub subjects: Vec<SubjectExposure>,
    /// Events naming no subject (bulk exports, inventories), with their counts.
    pub bulk: Vec<LoggedEvent>,
    /// Events examined.
    pub events: u64,
    /// Whether the kept partitions cover the whole period (none of it was dropped by retention).
    pub complete: bool,
}

/// Reconstructs what `actor` viewed, exported or disclosed between `from` (included) and `to`
/// (excluded).
pub async fn breach_report<S: AuditStore + ?Sized>(
    store: &S,
    actor: &Actor,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<BreachReport> {
    let q = Query::new()
        .actor(actor.clone())
        .action(AuditAction::View)
        .action(AuditAction::Export)
        .action(AuditAction::Disclose)
        .between(from, to);
    let found = query(store, &q).await?;
    let events = found.len() as u64;
    let mut subjects: BTreeMap<Key, SubjectExposure> = BTreeMap::new();
    let mut bulk = Vec::new();
    for f in found {
        let e = &f.event;
        let Some(subject) = &e.subject else {
            bulk.push(f);
            continue;
        };
        let x = subjects.entry(subject.clone()).or_insert_with(|| SubjectExposure {
            subject: subject.clone(),
            fields: BTreeSet::new(),
            whole_records: false,
            records: BTreeSet::new(),
            actions: BTreeSet::new(),
            recipients: BTreeSet::new(),
            events: 0,
            first: e.at,
            last: e.at,
        });
        x.fields.extend(e.fields.iter().cloned());
        x.whole_records |= e.fields.is_empty();
        x.records.extend(e.record.iter().cloned());
        x.actions.insert(e.action);
        x.recipients.extend(e.recipient.iter().cloned());
        x.events += 1;
        x.first = x.first.min(e.at);
        x.last = x.last.max(e.at);
    }
    Ok(BreachReport {
        actor: actor.clone(),
        from,
        to,
        subjects: subjects.into_values().collect(),
        bulk,
        events,
        complete: covers(store, from).await?,
    })
}

/// One disclosure of a data subject's data to a third party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disclosure {
    /// When.
    pub at: DateTime<Utc>,
    /// The class of recipient.
    pub recipient: Option<Identifier>,
    /// Who disclosed.
    pub actor: Actor,
    /// The record disclosed.
    pub record: Option<RecordRef>,
    /// The fields disclosed (none named: the whole record).
    pub fields: Vec<Identifier>,
    /// Why.
    pub purpose: Option<Purpose>,
    /// The request served, if any.
    pub request: Option<Uuid>,
    /// Partition of the event.
    pub month: Month,
    /// Index of the event.
    pub index: u64,
}

/// The disclosures of one data subject's data in the 12 months before a correction: under
/// s.23(1)(c), a data user who corrects personal data must supply the correction to every third
/// party the data were disclosed to in the 12 months immediately preceding the day of correction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisclosureLog {
    /// The data subject.
    pub subject: Key,
    /// Start of the window: midnight (Hong Kong) 12 months before the day of `to`.
    pub from: DateTime<Utc>,
    /// End of the window (the time of the query).
    pub to: DateTime<Utc>,
    /// The disclosures, oldest first.
    pub disclosures: Vec<Disclosure>,
    /// Recipient classes, for the notices.
    pub recipients: BTreeSet<Identifier>,
    /// Whether the kept partitions cover the whole window (retention of at least 13 months does).
    pub complete: bool,
}

/// The disclosure log of `subject` for the 12 months before `now` (s.23(1)(c)).
pub async fn disclosure_log<S: AuditStore + ?Sized>(
    store: &S,
    subject: &Key,
    now: DateTime<Utc>,
) -> Result<DisclosureLog> {
    let today = now.with_timezone(&HONG_KONG).date_naive();
    let first_day = today.checked_sub_months(Months::new(12)).unwrap_or(today);
    let from = HONG_KONG
        .from_local_datetime(&first_day.and_time(chrono::NaiveTime::MIN))
        .single()
        .map_or(now, |t| t.with_timezone(&Utc));
    let q = Query::new()
        .subject(subject.clone())
        .action(AuditAction::Disclose)
        .between(from, now + TimeDelta::nanoseconds(1));
    let mut disclosures: Vec<Disclosure> = query(store, &q)
        .await?
        .into_iter()
        .map(|f| Disclosure {
            at: f.event.at,
            recipient: f.event.recipient,
            actor: f.event.actor,
            record: f.event.record,
            fields: f.event.fields,
            purpose: f.event.purpose,
            request: f.event.request,
            month: f.month,
            index: f.index,
        })
        .collect();
    disclosures.sort_by_key(|d| d.at);
    let recipients = disclosures.iter().filter_map(|d| d.recipient.clone()).collect();
    Ok(DisclosureLog {
        subject: subject.clone(),
        from,
        to: now,
        disclosures,
        recipients,
        complete: covers(store, from).await?,
    })
}
