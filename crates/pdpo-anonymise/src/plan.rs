//! [`ErasurePlan`]: what erasing one data subject will change, keep and delete, computed from
//! their [`SubjectGraph`] after asking the [`DisposalGuard`]. Pure: no store access.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;

use chrono::{DateTime, Utc};
use pdpo_core::serde_json::Value as Json;
use pdpo_core::{
    DisposalGuard, DisposalQuery, Entity, EraseMode, FieldOperator, Identifier, Key, LinkKind, PiiCategory,
    Record, RecordRef, Retainer, Schema, SubjectGraph, Value,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::operator::{
    Anonymiser, Effect, Known, Needle, NeedleSet, REDACTED, ScanCache, Site, is_pseudonym,
};
use crate::{Error, Result};

/// Needles shorter than this (in characters) are not searched for: too many false matches.
pub(crate) const MIN_NEEDLE: usize = 5;

/// What happens to one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordAction {
    /// Personal fields overwritten; the row, its keys and its links stay.
    Anonymise,
    /// The row is deleted (its entity's erase mode is `delete` and nothing references it).
    Delete,
}

/// One field changed by a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field.
    pub field: Identifier,
    /// The operator that ran.
    pub operator: FieldOperator,
    /// Whether the result is anonymised, only pseudonymised, or left as ciphertext to shred.
    pub effect: EffectName,
}

/// [`Effect`] as it appears in plans and certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectName {
    /// Irreversibly anonymised.
    Anonymised,
    /// Replaced by a keyed pseudonym: **not erasure**.
    Pseudonymised,
    /// Ciphertext whose data key is destroyed.
    Shredded,
    /// The whole record is deleted.
    Deleted,
}

/// The changes to one record. Carries no personal value in its serialised form.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordChange {
    /// The record.
    pub record: RecordRef,
    /// Update or delete.
    pub action: RecordAction,
    /// The subject's fields changed (for a delete: the personal fields removed with the row).
    pub fields: Vec<FieldChange>,
    /// New values by column (placeholders and pseudonyms only).
    #[serde(skip)]
    pub(crate) set: BTreeMap<String, Value>,
}

impl fmt::Debug for RecordChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordChange")
            .field("record", &self.record)
            .field("action", &self.action)
            .field("fields", &self.fields)
            .finish_non_exhaustive()
    }
}

impl RecordChange {
    /// The new values by column.
    pub fn set(&self) -> &BTreeMap<String, Value> {
        &self.set
    }
}

/// A record of the subject left untouched, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetainedRecord {
    /// The record.
    pub record: RecordRef,
    /// The subject's personal fields it keeps.
    pub fields: Vec<Identifier>,
    /// Whether the schema keeps the entity on erasure (`erase = "keep"`).
    pub erase_mode_keep: bool,
    /// Holds, keep rules and open requests retaining it (from the [`DisposalGuard`]).
    pub retainers: Vec<Retainer>,
    /// When the guard's reasons lapse (`None`: no known end, or only the schema keeps it).
    pub erasable_from: Option<DateTime<Utc>>,
    /// The reason in words.
    pub reason: String,
}

/// Everything erasing one data subject will do. Build it with [`ErasurePlan::build`] (pure) or
/// [`Eraser::plan`](crate::Eraser::plan) (collects the graph and checks references first).
///
/// `Debug` and serialisation show records, fields, operators and reasons, never a value.
#[derive(Clone, Serialize)]
pub struct ErasurePlan {
    /// The data subject.
    pub subject: Key,
    /// The instant the guard was asked at.
    pub now: DateTime<Utc>,
    /// Records updated, in graph order, then records deleted, children first.
    pub changes: Vec<RecordChange>,
    /// Encrypted fields left as ciphertext: the subject's data key must be destroyed.
    pub shredded: Vec<(RecordRef, Identifier)>,
    /// Records kept, with reasons.
    pub retained: Vec<RetainedRecord>,
    /// Attachment blobs to delete through the store's outbox.
    #[serde(skip)]
    pub(crate) blob_deletes: Vec<String>,
    /// The subject's values, for scrubbing and verification. Never serialised.
    #[serde(skip)]
    pub(crate) needles: NeedleSet,
    /// Per changed record: columns not to search (keys, links, other people's fields).
    #[serde(skip)]
    pub(crate) skip: BTreeMap<RecordRef, BTreeSet<String>>,
    /// Post-images of changed records, for the pre-commit check.
    #[serde(skip)]
    pub(crate) posts: Vec<Record>,
}

impl fmt::Debug for ErasurePlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErasurePlan")
            .field("subject", &self.subject)
            .field("now", &self.now)
            .field("changes", &self.changes)
            .field("shredded", &self.shredded)
            .field("retained", &self.retained)
            .field("blob_deletes", &self.blob_deletes.len())
            .finish_non_exhaustive()
    }
}

/// The link columns of an entity (foreign keys and arrays of keys): never changed by erasure.
pub(crate) fn link_columns(entity: &Entity) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for l in &entity.links {
        match &l.kind {
            LinkKind::ForeignKey { columns } => out.extend(columns.iter().map(ToString::to_string)),
            LinkKind::Array { column } => {
                out.insert(column.to_string());
            }
            _ => {}
        }
    }
    out.extend(entity.key.iter().map(ToString::to_string));
    out
}

fn is_placeholder(s: &str) -> bool {
    s == REDACTED || is_pseudonym(s) || s.ends_with("@invalid") || (s.starts_with('[') && s.ends_with(']'))
}

fn push_needle(out: &mut Vec<Needle>, text: &str, category: &PiiCategory) {
    let t = text.trim();
    if t.chars().count() < MIN_NEEDLE || is_placeholder(t) {
        return;
    }
    out.push(Needle { text: t.to_owned(), label: format!("[{}]", category.label()) });
}

fn json_strings<'a>(j: &'a Json, out: &mut Vec<&'a str>) {
    match j {
        Json::String(s) => out.push(s),
        Json::Array(a) => a.iter().for_each(|x| json_strings(x, out)),
        Json::Object(o) => o.values().for_each(|x| json_strings(x, out)),
        _ => {}
    }
}

/// The subject's known values in their records: structured fields, JSON tags, and the pieces
/// of personal data the scanner finds in their free text (those findings are kept in `scans`
/// for scrubbing the same texts). Longest first.
pub(crate) fn collect_needles<'a>(
    schema: &Schema,
    anonymiser: &Anonymiser,
    records: impl IntoIterator<Item = (&'a Record, &'a [Identifier])>,
    scans: &mut ScanCache<'a>,
) -> Vec<Needle> {
    let mut out = Vec::new();
    for (record, fields) in records {
        let Some(entity) = schema.entity(&record.entity) else { continue };
        for name in fields {
            let Some(field) = entity.field(name) else { continue };
            let Some(value) = record.get(name) else { continue };
            match (value, &field.category) {
                (Value::Json(doc), _) if !field.json.is_empty() => {
                    for tag in &field.json {
                        for hit in tag.path.select(doc) {
                            let mut strings = Vec::new();
                            json_strings(hit, &mut strings);
                            for s in strings {
                                push_needle(&mut out, s, &tag.category);
                            }
                        }
                    }
                }
                (Value::Text(s), Some(PiiCategory::FreeText)) => {
                    let found = scans.entry(s.as_str()).or_insert_with(|| anonymiser.findings(s));
                    for f in found.iter() {
                        if let Some(piece) = s.get(f.start..f.end) {
                            let label = f.label.trim_matches(['[', ']']).to_ascii_lowercase();
                            let cat = label.parse().unwrap_or(PiiCategory::FreeText);
                            push_needle(&mut out, piece, &cat);
                        }
                    }
                }
                (Value::Json(doc), Some(c)) => {
                    let mut strings = Vec::new();
                    json_strings(doc, &mut strings);
                    if *c != PiiCategory::FreeText {
                        strings.into_iter().for_each(|s| push_needle(&mut out, s, c));
                    }
                }
                (Value::Bytes(_) | Value::Null | Value::Shredded, _) => {}
                (Value::Text(s), Some(c)) => push_needle(&mut out, s, c),
                (v, Some(c)) => push_needle(&mut out, &v.render(), c),
                _ => {}
            }
        }
    }
    out.sort_by(|a, b| b.text.len().cmp(&a.text.len()).then_with(|| a.text.cmp(&b.text)));
    out.dedup_by(|a, b| a.text.eq_ignore_ascii_case(&b.text));
    out
}

/// Whether `value` contains one of `needles` (ASCII case-insensitive; JSON leaves searched).
pub(crate) fn leaks(value: &Value, needles: &NeedleSet) -> bool {
    let hit = |s: &str| needles.found_in(s);
    match value {
        Value::Null | Value::Shredded | Value::Bytes(_) => false,
        Value::Json(j) => {
            let mut strings = Vec::new();
            json_strings(j, &mut strings);
            strings.into_iter().any(hit)
        }
        Value::Text(s) => hit(s),
        other => hit(&other.render()),
    }
}

impl ErasurePlan {
    /// Plans the erasure of `graph`'s subject at `now`.
    ///
    /// - A record whose entity is `erase = "keep"`, or that `guard` retains (a hold, a keep rule
    ///   whose period has not run, an open request), is left and listed with the reason and the
    ///   date it becomes erasable.
    /// - A record of an `erase = "delete"` entity is deleted if it holds nobody else's data and is
    ///   not in `referenced` (records outside the plan point at it); otherwise it is anonymised.
    /// - Otherwise each of the subject's personal fields gets its operator; keys, links and
    ///   other people's fields (`about`) are never touched.
    /// - Attachment fields of changed records queue their blob for deletion.
    pub fn build(
        schema: &Schema,
        graph: &SubjectGraph,
        guard: &dyn DisposalGuard,
        anonymiser: &Anonymiser,
        now: DateTime<Utc>,
        referenced: &HashSet<RecordRef>,
    ) -> Self {
        let subject = &graph.subject;
        let mut scans = ScanCache::new();
        let needles = NeedleSet::new(collect_needles(
            schema,
            anonymiser,
            graph.records.iter().map(|r| (&r.record, r.fields.as_slice())),
            &mut scans,
        ));
        let mut plan = Self {
            subject: subject.clone(),
            now,
            changes: Vec::new(),
            shredded: Vec::new(),
            retained: Vec::new(),
            blob_deletes: Vec::new(),
            needles,
            skip: BTreeMap::new(),
            posts: Vec::new(),
        };
        let mut deletes = Vec::new();
        for sr in &graph.records {
            let Some(entity) = schema.entity(&sr.record.entity) else { continue };
            if sr.fields.is_empty() && entity.erase != EraseMode::Delete {
                continue;
            }
            let rref = sr.record.reference();
            let names: Vec<String> = if sr.others_fields.is_empty() {
                Vec::new()
            } else {
                sr.fields.iter().map(ToString::to_string).collect()
            };
            let mut q = DisposalQuery::new(&sr.record, now).for_subject(subject);
            if !sr.others_fields.is_empty() {
                q = q.for_fields(&names);
            }
            let answer = guard.check(&q);
            if entity.erase == EraseMode::Keep || !answer.is_allowed() {
                let keep = entity.erase == EraseMode::Keep;
                let mut reason = String::new();
                if keep {
                    reason.push_str(&format!(
                        "the schema keeps `{}` records on erasure (erase = keep)",
                        entity.name
                    ));
                }
                for r in answer.retainers() {
                    if !reason.is_empty() {
                        reason.push_str("; ");
                    }
                    reason.push_str(&r.reason);
                    if r.statutory {
                        reason.push_str(" (statutory)");
                    }
                }
                plan.retained.push(RetainedRecord {
                    record: rref,
                    fields: sr.fields.clone(),
                    erase_mode_keep: keep,
                    retainers: answer.retainers().to_vec(),
                    erasable_from: answer.retained_until(),
                    reason,
                });
                continue;
            }
            let attachment_blobs = |plan: &mut Self| {
                for name in &sr.fields {
                    let is_blob =
                        entity.field(name).is_some_and(|f| f.category == Some(PiiCategory::Attachment));
                    if let (true, Some(Value::Text(id))) = (is_blob, sr.record.get(name))
                        && !is_placeholder(id)
                    {
                        plan.blob_deletes.push(id.clone());
                    }
                }
            };
            if entity.erase == EraseMode::Delete && sr.others_fields.is_empty() && !referenced.contains(&rref)
            {
                attachment_blobs(&mut plan);
                let fields = entity
                    .personal_fields()
                    .map(|f| FieldChange {
                        field: f.name.clone(),
                        operator: FieldOperator::Null,
                        effect: EffectName::Deleted,
                    })
                    .collect();
                deletes.push(RecordChange {
                    record: rref,
                    action: RecordAction::Delete,
                    fields,
                    set: BTreeMap::new(),
                });
                continue;
            }
            let mut set = BTreeMap::new();
            let mut fields = Vec::new();
            for name in &sr.fields {
                let Some(field) = entity.field(name) else { continue };
                let Some(value) = sr.record.get(name) else { continue };
                let site = Site { record: &rref, field: name };
                let known = Known { needles: &plan.needles, scans: Some(&scans) };
                let (new, effect) = anonymiser.apply_field_in(&entity.name, field, value, site, known);
                match effect {
                    Effect::Unchanged => {}
                    Effect::Shredded => plan.shredded.push((rref.clone(), name.clone())),
                    Effect::Anonymised | Effect::Pseudonymised => {
                        let effect = if effect == Effect::Anonymised {
                            EffectName::Anonymised
                        } else {
                            EffectName::Pseudonymised
                        };
                        let operator = anonymiser.effective(anonymiser.policy().resolve(&entity.name, field));
                        fields.push(FieldChange { field: name.clone(), operator, effect });
                        set.insert(name.to_string(), new);
                    }
                }
            }
            if set.is_empty() {
                continue;
            }
            attachment_blobs(&mut plan);
            let mut post = sr.record.clone();
            post.values.extend(set.iter().map(|(k, v)| (k.clone(), v.clone())));
            let mut skip = link_columns(entity);
            skip.extend(sr.others_fields.iter().map(ToString::to_string));
            // Pseudonymised and shredded fields are reported apart, not searched.
            skip.extend(
                fields.iter().filter(|f| f.effect == EffectName::Pseudonymised).map(|f| f.field.to_string()),
            );
            skip.extend(plan.shredded.iter().filter(|(r, _)| *r == rref).map(|(_, f)| f.to_string()));
            plan.skip.insert(rref.clone(), skip);
            plan.posts.push(post);
            plan.changes.push(RecordChange { record: rref, action: RecordAction::Anonymise, fields, set });
        }
        deletes.reverse();
        plan.changes.extend(deletes);
        plan
    }

    /// Whether the plan changes nothing (a second run after a complete erasure).
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.blob_deletes.is_empty()
    }

    /// Number of attachment blobs the plan deletes.
    pub fn blob_count(&self) -> usize {
        self.blob_deletes.len()
    }

    /// Checks records (post-images) for any of the subject's values, skipping keys, links,
    /// other people's fields, pseudonymised and shredded fields.
    pub(crate) fn check_records<'a>(&self, records: impl IntoIterator<Item = &'a Record>) -> Result<()> {
        for r in records {
            let rref = r.reference();
            let skip = self.skip.get(&rref);
            for (col, v) in &r.values {
                if skip.is_some_and(|s| s.contains(col)) {
                    continue;
                }
                if leaks(v, &self.needles) {
                    return Err(Error::Verification {
                        entity: r.entity.to_string(),
                        key: r.key.to_string(),
                        field: col.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Checks the planned post-images before anything is written.
    pub fn check(&self) -> Result<()> {
        self.check_records(&self.posts)
    }

    /// SHA-256 (hex) of the plan's canonical JSON: records, fields, operators, effects and
    /// retained records, no values. Two plans with the same hash make the same changes.
    pub fn hash(&self) -> String {
        #[derive(Serialize)]
        struct Canon<'a> {
            subject: &'a Key,
            changes: &'a [RecordChange],
            shredded: &'a [(RecordRef, Identifier)],
            retained: Vec<(&'a RecordRef, &'a [Identifier])>,
            blobs: usize,
        }
        let canon = Canon {
            subject: &self.subject,
            changes: &self.changes,
            shredded: &self.shredded,
            retained: self.retained.iter().map(|r| (&r.record, r.fields.as_slice())).collect(),
            blobs: self.blob_deletes.len(),
        };
        // The JSON is streamed into the hasher. Serialising these plain data types cannot fail;
        // a failure would only make the hash weaker, never expose a value.
        struct Hashing(Sha256);
        impl std::io::Write for Hashing {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.update(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut h = Hashing(Sha256::new());
        pdpo_core::serde_json::to_writer(&mut h, &canon).ok();
        hex::encode(h.0.finalize())
    }
}
