//! Data correction (s.22–23): apply corrected values with an audit trail, and list the third
//! parties the data were disclosed to in the previous 12 months (s.23(1)(c)).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Months, Utc};
use pdpo_core::{
    Actor, AuditAction, AuditEvent, ChangeSet, DataStore, Identifier, Key, RecordRef, SubjectGraph, Value,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::plan::link_columns;
use crate::{Error, Result};

/// Corrected values for one record. `Debug` shows column names, never values.
#[derive(Debug, Clone, PartialEq)]
pub struct Correction {
    /// The record to correct.
    pub record: RecordRef,
    /// New values by column.
    pub values: BTreeMap<String, Value>,
}

impl Correction {
    /// A correction of `record`.
    pub fn new(record: RecordRef) -> Self {
        Self { record, values: BTreeMap::new() }
    }

    /// Sets a corrected value, builder style.
    #[must_use]
    pub fn set(mut self, column: impl Into<String>, value: impl Into<Value>) -> Self {
        self.values.insert(column.into(), value.into());
        self
    }
}

/// A third party to send the corrected data to, with written reasons (s.23(1)(c)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// The recipient class named in the disclosure events.
    pub recipient: Identifier,
    /// The latest disclosure within the 12 months.
    pub last_disclosed: DateTime<Utc>,
    /// How many disclosures within the 12 months.
    pub disclosures: usize,
    /// Corrected fields that were disclosed (empty when the events did not say which fields).
    pub fields: Vec<Identifier>,
}

/// What [`correct`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CorrectionReport {
    /// The data subject.
    pub subject: Key,
    /// When.
    pub at: DateTime<Utc>,
    /// Records corrected.
    pub records: Vec<RecordRef>,
    /// Fields corrected, over all records.
    pub fields: Vec<Identifier>,
    /// Recipients to send the corrected data to (s.23(1)(c)). The ordinance requires this only
    /// where there is no reason to believe the recipient has stopped using the data, and
    /// inspection of a register does not count as disclosure (s.23(3)): review the list.
    pub notify: Vec<Recipient>,
}

/// The recipients of `subject`'s data to notify of a correction made at `now`: every
/// [`AuditAction::Disclose`] event with a recipient, about the subject or one of `records`, in
/// the 12 months before `now`, whose fields (if the event lists any) include a corrected field.
pub fn recipients_to_notify(
    subject: &Key,
    records: &[RecordRef],
    fields: &[Identifier],
    disclosures: &[AuditEvent],
    now: DateTime<Utc>,
) -> Vec<Recipient> {
    let since = now.checked_sub_months(Months::new(12)).unwrap_or(DateTime::<Utc>::MIN_UTC);
    let mut out: BTreeMap<Identifier, Recipient> = BTreeMap::new();
    for e in disclosures {
        let Some(to) = &e.recipient else { continue };
        let about =
            e.subject.as_ref() == Some(subject) || e.record.as_ref().is_some_and(|r| records.contains(r));
        if e.action != AuditAction::Disclose || !about || e.at < since || e.at > now {
            continue;
        }
        let overlap: Vec<Identifier> = e.fields.iter().filter(|f| fields.contains(f)).cloned().collect();
        if !e.fields.is_empty() && overlap.is_empty() {
            continue;
        }
        let r = out.entry(to.clone()).or_insert_with(|| Recipient {
            recipient: to.clone(),
            last_disclosed: e.at,
            disclosures: 0,
            fields: Vec::new(),
        });
        r.disclosures += 1;
        r.last_disclosed = r.last_disclosed.max(e.at);
        r.fields.extend(overlap);
        r.fields.sort();
        r.fields.dedup();
    }
    out.into_values().collect()
}

/// Applies `corrections` to `subject`'s records in one atomic change set with one
/// [`AuditAction::Correct`] event per record (field names only, never values), and lists the
/// recipients to notify from `disclosures` (the caller's audit log query for
/// [`AuditAction::Disclose`] events).
///
/// Refused, with nothing written, if a record is not about the subject, a column is a key or
/// link, a column is another person's field in a shared record, or a column is not in the
/// schema.
pub async fn correct<D: DataStore>(
    store: &D,
    subject: &Key,
    corrections: &[Correction],
    disclosures: &[AuditEvent],
    actor: Actor,
    now: DateTime<Utc>,
    request: Option<Uuid>,
) -> Result<CorrectionReport> {
    let graph =
        SubjectGraph::collect(store, subject).await.map_err(Error::store("collecting the subject graph"))?;
    let schema = store.schema();
    let mut cs = ChangeSet::new();
    let mut records = Vec::new();
    let mut all_fields = BTreeSet::new();
    for c in corrections {
        let entity_name = c.record.entity.to_string();
        let key = c.record.key.to_string();
        let Some(sr) =
            graph.records.iter().find(|r| r.record.entity == c.record.entity && r.record.key == c.record.key)
        else {
            return Err(Error::NotAboutSubject { entity: entity_name, key, field: "*".into() });
        };
        let entity = schema
            .entity(&c.record.entity)
            .ok_or_else(|| Error::UnknownField { entity: entity_name.clone(), field: "*".into() })?;
        let fixed = link_columns(entity);
        let mut fields = Vec::new();
        for col in c.values.keys() {
            if fixed.contains(col) {
                return Err(Error::KeyColumn { entity: entity_name, key, field: col.clone() });
            }
            let Some(field) = entity.field(col) else {
                return Err(Error::UnknownField { entity: entity_name, field: col.clone() });
            };
            if sr.others_fields.contains(&field.name) {
                return Err(Error::NotAboutSubject { entity: entity_name, key, field: col.clone() });
            }
            fields.push(field.name.clone());
        }
        if fields.is_empty() {
            continue;
        }
        cs.update(c.record.clone(), c.values.clone());
        let mut e = AuditEvent::new(AuditAction::Correct, actor.clone(), now)
            .with_subject(subject.clone())
            .with_record(c.record.clone())
            .with_origin(Identifier::from_static("correction"));
        e.fields.clone_from(&fields);
        if let Some(r) = request {
            e = e.with_request(r);
        }
        cs.event(e);
        all_fields.extend(fields);
        records.push(c.record.clone());
    }
    if !cs.is_empty() {
        store.apply(cs).await.map_err(Error::store("applying the correction"))?;
    }
    let fields: Vec<Identifier> = all_fields.into_iter().collect();
    let notify = recipients_to_notify(subject, &records, &fields, disclosures, now);
    Ok(CorrectionReport { subject: subject.clone(), at: now, records, fields, notify })
}
