//! The subject access export: the copy of a person's data supplied under a data access request
//! (s.18(1)(b), s.19), with other individuals' data redacted (s.20(1)(b), s.20(2)).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;

use chrono::{DateTime, Utc};
use pdpo_core::{
    Actor, AuditAction, AuditEvent, BlobStore, Clock, DataStore, Entity, Identifier, Key, KeyValue, LinkKind,
    PiiCategory, Record, Schema, SubjectGraph, Value,
};
use pdpo_requests::{Due, Language, Request};
use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer as _};

use crate::archive::{Archive, Compression, ExportKind, MANIFEST_FORMAT, Manifest};
use crate::glossary::{Bilingual, REDACTION_NOTE, action_meaning, actor_meaning, category_meaning};
use crate::names::{MAX_NAME_BYTES, NameSet};
use crate::{DownloadLink, Error, ReportTemplate, Result};

/// Columns tried, in order, for an attachment's original file name.
pub(crate) const NAME_COLUMNS: [&str; 4] = ["file_name", "filename", "name", "title"];

/// What a finished export returns.
#[derive(Debug)]
#[non_exhaustive]
pub struct ExportSummary<W> {
    /// The output writer, flushed.
    pub output: W,
    /// The manifest written as `manifest.json`.
    pub manifest: Manifest,
    /// The audit event describing the export (action `export`, with counts): append it to the
    /// audit log.
    pub event: AuditEvent,
    /// A download link signed to expire after 24 hours: always set for a workspace export, and for
    /// a subject export given a signer ([`SubjectAccess::link_signer`]).
    pub link: Option<DownloadLink>,
}

/// Builds and writes a subject access export.
///
/// The archive holds `data.json` (records by entity; each field with its category, the purposes it
/// serves and their descriptions, and the meaning of codes), `audit.json` (events about the
/// person), `attachments/` (safe names), `report.html` (one self-contained page, headings in
/// English and Traditional Chinese, prose in the request's language) and `manifest.json`. Fields
/// about other individuals in shared records, the keys of those individuals, and their entries in
/// arrays of people are withheld, each with a note (s.20(1)(b), s.20(2)).
///
/// Data is read when the export runs; the manifest states the receipt time the copy speaks for
/// (s.19(3)) and the time it was generated. Run it promptly after receipt.
///
/// Audit events are taken as input (`events`): pass the result of `pdpo-audit`'s query by subject.
/// Only events whose subject is one of the request's subjects are written.
pub struct SubjectAccess<'a> {
    request: &'a Request,
    due: &'a Due,
    actor: &'a Actor,
    clock: &'a dyn Clock,
    events: &'a [AuditEvent],
    template: Option<&'a ReportTemplate>,
    signer: Option<&'a pdpo_crypto::TokenSigner>,
    compression: Compression,
    max_name_bytes: usize,
    meanings: HashMap<(String, String), BTreeMap<String, String>>,
}

impl std::fmt::Debug for SubjectAccess<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubjectAccess")
            .field("request", &self.request.id)
            .field("actor", self.actor)
            .field("events", &self.events.len())
            .field("compression", &self.compression)
            .finish_non_exhaustive()
    }
}

impl<'a> SubjectAccess<'a> {
    /// An export for `request` (its subjects are the keys to export), due on `due` (from
    /// `Ledger::due`), run by `actor`, timed on `clock`.
    pub fn new(request: &'a Request, due: &'a Due, actor: &'a Actor, clock: &'a dyn Clock) -> Self {
        Self {
            request,
            due,
            actor,
            clock,
            events: &[],
            template: None,
            signer: None,
            compression: Compression::default(),
            max_name_bytes: MAX_NAME_BYTES,
            meanings: HashMap::new(),
        }
    }

    /// The audit events to report (events about other people are dropped).
    #[must_use]
    pub fn events(mut self, events: &'a [AuditEvent]) -> Self {
        self.events = events;
        self
    }

    /// The report template (default: [`DEFAULT_REPORT_TEMPLATE`](crate::DEFAULT_REPORT_TEMPLATE)).
    #[must_use]
    pub fn template(mut self, template: &'a ReportTemplate) -> Self {
        self.template = Some(template);
        self
    }

    /// How entries are compressed.
    #[must_use]
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Signs a 24-hour download link for the finished export with `signer`.
    #[must_use]
    pub fn link_signer(mut self, signer: &'a pdpo_crypto::TokenSigner) -> Self {
        self.signer = Some(signer);
        self
    }

    /// Bound on attachment file names in bytes (default [`MAX_NAME_BYTES`]).
    #[must_use]
    pub fn max_name_bytes(mut self, n: usize) -> Self {
        self.max_name_bytes = n;
        self
    }

    /// Explains a code stored in `entity.field` (e.g. `contacts.status = "lead"` means "an enquiry
    /// not yet a customer"), so the copy is intelligible (s.19(3)(b)).
    #[must_use]
    pub fn explain(
        mut self,
        entity: impl Into<String>,
        field: impl Into<String>,
        code: impl Into<String>,
        meaning: impl Into<String>,
    ) -> Self {
        self.meanings.entry((entity.into(), field.into())).or_default().insert(code.into(), meaning.into());
        self
    }

    /// Collects the request's subjects from `store`, reads their attachments from `blobs`, and
    /// writes the archive to `out`, streaming. Calls `finish` on the archive itself and returns the
    /// output; nothing relies on `Drop`.
    pub async fn write<D: DataStore, B: BlobStore, W: Write>(
        &self,
        store: &D,
        blobs: &B,
        out: W,
    ) -> Result<ExportSummary<W>> {
        let schema = store.schema();
        let subjects = &self.request.subjects;
        if subjects.is_empty() {
            return Err(Error::NoSubject { request: self.request.id });
        }
        let mut graphs = Vec::with_capacity(subjects.len());
        for key in subjects {
            let g = SubjectGraph::collect(store, key).await.map_err(|e| Error::store(schema.subject(), e))?;
            graphs.push(g);
        }
        let merged = merge(schema, &graphs);
        let generated_at = self.clock.now();

        // Plan: views of every record, and the attachments with their archive names.
        let mut names = NameSet::new(self.max_name_bytes);
        let mut attachments = Vec::new();
        let mut entities: Vec<EntityView<'_>> = Vec::new();
        let mut redacted = 0u64;
        let mut records = 0u64;
        for m in &merged {
            let entity = schema.entity(&m.record.entity);
            let view = self.record_view(schema, entity, m, &mut names, &mut attachments);
            redacted += view.fields.iter().filter(|f| f.redacted).count() as u64;
            records += 1;
            match entities.last_mut() {
                Some(e) if e.entity == m.record.entity.as_str() => e.records.push(view),
                _ => entities.push(EntityView { entity: m.record.entity.as_str(), records: vec![view] }),
            }
        }
        let events: Vec<&AuditEvent> =
            self.events.iter().filter(|e| e.subject.as_ref().is_some_and(|s| subjects.contains(s))).collect();

        let mut zip = Archive::new(out, self.compression, generated_at);

        // data.json, streamed record by record.
        zip.start("data.json", None)?;
        self.write_data(schema, &entities, generated_at, &mut zip)
            .map_err(|e| Error::write("data.json", e))?;
        zip.end()?;

        // audit.json
        zip.start("audit.json", None)?;
        write_audit(schema, &events, &mut zip).map_err(|e| Error::write("audit.json", e))?;
        zip.end()?;

        // attachments/
        let mut attachment_list = Vec::with_capacity(attachments.len());
        for a in &attachments {
            let blob_err = |source: Box<dyn std::error::Error + Send + Sync>| Error::Blob {
                entity: a.entity.to_owned(),
                key: a.key.to_string(),
                field: a.field.to_owned(),
                source,
            };
            let mut reader = blobs.open(&a.blob_id).await.map_err(|e| blob_err(Box::new(e)))?;
            let source = format!("{}[{}]", a.entity, a.key);
            let size = zip.copy_file(&a.path, Some(source.clone()), &mut reader)?;
            attachment_list.push(AttachmentView { path: &a.path, size, record: source });
        }

        // report.html
        let context =
            self.report_context(schema, &entities, &events, &attachment_list, redacted, generated_at);
        zip.start("report.html", None)?;
        self.template.cloned().unwrap_or_default().render_to(&context, &mut zip)?;
        zip.end()?;

        let mut counts = BTreeMap::new();
        counts.insert("records".to_owned(), records);
        counts.insert("attachments".to_owned(), attachments.len() as u64);
        counts.insert("redacted_fields".to_owned(), redacted);
        counts.insert("audit_events".to_owned(), events.len() as u64);
        let manifest = Manifest {
            format: MANIFEST_FORMAT.to_owned(),
            kind: ExportKind::SubjectAccess,
            export_id: export_id(generated_at),
            request_id: Some(self.request.id),
            subjects: subjects.iter().map(ToString::to_string).collect(),
            snapshot_at: Some(self.request.received_at),
            generated_at,
            due_date: Some(self.due.date),
            due_basis: Some(self.due.basis.clone()),
            counts,
            notes: notes(redacted),
            files: Vec::new(),
        };
        let bytes_before_manifest = zip.bytes_written();
        let (output, manifest) = zip.finish(manifest)?;

        let mut event = AuditEvent::new(AuditAction::Export, self.actor.clone(), generated_at)
            .with_request(self.request.id)
            .with_count(Identifier::from_static("records"), records)
            .with_count(Identifier::from_static("attachments"), attachments.len() as u64)
            .with_count(Identifier::from_static("redacted_fields"), redacted)
            .with_count(Identifier::from_static("bytes"), bytes_before_manifest);
        if let Some(s) = subjects.first() {
            event = event.with_subject(s.clone());
        }
        let link = match self.signer {
            Some(signer) => Some(crate::workspace::sign_link(signer, manifest.export_id, generated_at)?),
            None => None,
        };
        Ok(ExportSummary { output, manifest, event, link })
    }

    fn record_view<'g>(
        &self,
        schema: &'g Schema,
        entity: Option<&'g Entity>,
        m: &'g Merged,
        names: &mut NameSet,
        attachments: &mut Vec<PlannedAttachment<'g>>,
    ) -> RecordView<'g> {
        let record = &m.record;
        let subject_entity = schema.subject();
        // Columns holding another individual's key: foreign keys of links to the subject entity
        // through which none of the request's subjects was reached.
        let mut other_keys: BTreeSet<&str> = BTreeSet::new();
        let mut people_arrays: BTreeSet<&str> = BTreeSet::new();
        if let Some(e) = entity {
            for link in e.links.iter().filter(|l| l.to == *subject_entity) {
                match &link.kind {
                    LinkKind::ForeignKey { columns } if !m.via.contains(&link.name) => {
                        other_keys.extend(columns.iter().map(Identifier::as_str));
                    }
                    LinkKind::Array { column } => {
                        people_arrays.insert(column.as_str());
                    }
                    _ => {}
                }
            }
        }
        let mut fields = Vec::with_capacity(record.values.len());
        for (column, value) in &record.values {
            let field = entity.and_then(|e| e.field(column));
            let is_key = entity.is_some_and(|e| e.is_key_column(column));
            let others = m.others.contains(column.as_str())
                || (!is_key && other_keys.contains(column.as_str()) && !value.is_null());
            let mut view = FieldView {
                name: column,
                value: if others { FieldValue::Withheld } else { FieldValue::Plain(value) },
                categories: field.map(categories).unwrap_or_default(),
                purposes: field
                    .map(|f| {
                        f.purposes
                            .iter()
                            .map(|p| PurposeView {
                                code: p.as_str().to_owned(),
                                description: schema.purposes().get(&p.0).cloned().unwrap_or_default(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                redacted: others,
                note: others.then_some(REDACTION_NOTE),
                meaning: None,
                exported_as: None,
            };
            if !others
                && people_arrays.contains(column.as_str())
                && let Some(kept) = keep_only(value, &m.subjects)
            {
                view.value = FieldValue::Filtered(kept);
                view.redacted = true;
                view.note = Some(REDACTION_NOTE);
            }
            if !others
                && let (Some(text), Some(table)) =
                    (value.as_text(), self.meanings.get(&(record.entity.to_string(), column.clone())))
            {
                view.meaning = table.get(text).cloned();
            }
            let is_attachment = field.is_some_and(|f| f.category == Some(PiiCategory::Attachment));
            if is_attachment
                && !others
                && let Some(blob_id) = value.as_text()
            {
                {
                    let original = NAME_COLUMNS
                        .iter()
                        .find_map(|c| record.get(c).and_then(Value::as_text))
                        .unwrap_or(blob_id);
                    let path = format!("attachments/{}", names.claim(original));
                    view.exported_as = Some(path.clone());
                    attachments.push(PlannedAttachment {
                        entity: record.entity.as_str(),
                        key: &record.key,
                        field: column,
                        blob_id: blob_id.to_owned(),
                        path,
                    });
                }
            }
            fields.push(view);
        }
        RecordView { key: record.key.to_string(), fields }
    }

    fn write_data<W: Write>(
        &self,
        schema: &Schema,
        entities: &[EntityView<'_>],
        generated_at: DateTime<Utc>,
        out: &mut W,
    ) -> std::io::Result<()> {
        let doc = DataDoc {
            format: MANIFEST_FORMAT,
            about: DATA_ABOUT,
            request: self.request_view(),
            snapshot_at: self.request.received_at,
            generated_at,
            subject_entity: schema.subject().as_str(),
            purposes: schema.purposes(),
            redaction_note: REDACTION_NOTE,
            entities,
        };
        serde_json::to_writer_pretty(out, &doc).map_err(std::io::Error::other)
    }

    fn request_view(&self) -> RequestView<'_> {
        RequestView {
            id: self.request.id,
            received_at: self.request.received_at,
            received_on: self.request.received_on.to_string(),
            language: self.request.language.tag(),
            due_date: self.due.date.to_string(),
            due_basis: &self.due.basis,
            due_explanation: &self.due.explanation,
        }
    }

    fn report_context<'c>(
        &'c self,
        schema: &'c Schema,
        entities: &'c [EntityView<'c>],
        events: &'c [&'c AuditEvent],
        attachments: &'c [AttachmentView<'c>],
        redacted: u64,
        generated_at: DateTime<Utc>,
    ) -> ReportContext<'c> {
        let zh = self.request.language == Language::ZhHant;
        let pick = |b: Bilingual| if zh { b.zh_hant } else { b.en };
        let entities = entities
            .iter()
            .map(|e| ReportEntity {
                name: e.entity,
                records: e
                    .records
                    .iter()
                    .map(|r| ReportRecord {
                        key: &r.key,
                        fields: r
                            .fields
                            .iter()
                            .map(|f| ReportField {
                                name: f.name,
                                text: match &f.value {
                                    FieldValue::Plain(v) => v.render(),
                                    FieldValue::Filtered(j) => j.to_string(),
                                    FieldValue::Withheld => String::new(),
                                },
                                categories: f
                                    .categories
                                    .iter()
                                    .map(|c| pick(c.meaning))
                                    .collect::<Vec<_>>()
                                    .join("; "),
                                purposes: f
                                    .purposes
                                    .iter()
                                    .map(|p| {
                                        if p.description.is_empty() {
                                            p.code.as_str()
                                        } else {
                                            &p.description
                                        }
                                    })
                                    .collect::<Vec<_>>()
                                    .join("; "),
                                redacted: f.redacted,
                                meaning: f.meaning.as_deref(),
                                exported_as: f.exported_as.as_deref(),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect();
        let events = events
            .iter()
            .map(|e| ReportEvent {
                at: hk_time(e.at),
                actor: e.actor.to_string(),
                actor_meaning: pick(actor_meaning(e.actor.kind)),
                action: e.action.as_str(),
                action_meaning: pick(action_meaning(e.action)),
                fields: e.fields.iter().map(Identifier::as_str).collect::<Vec<_>>().join(", "),
                record: e.record.as_ref().map(|r| r.entity.to_string()),
                recipient: e.recipient.as_ref().map(Identifier::as_str),
                purpose: e
                    .purpose
                    .as_ref()
                    .map(|p| schema.purposes().get(&p.0).cloned().unwrap_or_else(|| p.as_str().to_owned())),
            })
            .collect();
        ReportContext {
            lang: self.request.language.tag(),
            request: self.request_view(),
            generated_at: hk_time(generated_at),
            snapshot_at: hk_time(self.request.received_at),
            subject_entity: schema.subject().as_str(),
            entities,
            events,
            attachments,
            redacted_count: redacted,
            redaction_note: pick(REDACTION_NOTE),
            notes: notes(redacted),
        }
    }
}

/// The export's id: a UUID v7 at the generation time.
pub(crate) fn export_id(at: DateTime<Utc>) -> uuid::Uuid {
    let ts = uuid::Timestamp::from_unix(
        uuid::NoContext,
        u64::try_from(at.timestamp()).unwrap_or(0),
        at.timestamp_subsec_nanos(),
    );
    uuid::Uuid::new_v7(ts)
}

/// A time for the report's readers: Hong Kong local time to the second, labelled `HKT` (UTC+8;
/// Hong Kong has no daylight saving). `data.json` keeps full RFC 3339 times.
fn hk_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&pdpo_core::HONG_KONG).format("%Y-%m-%d %H:%M:%S HKT").to_string()
}

fn notes(redacted: u64) -> Vec<String> {
    let mut n = vec![
        "The copy speaks for the data held when the request was received (PDPO s.19(3)); it was read when \
         generated and may reflect routine processing since."
            .to_owned(),
    ];
    if redacted > 0 {
        n.push(format!(
            "{redacted} field(s) about other individuals were withheld (PDPO s.20(1)(b)); the rest of each \
             record is supplied (s.20(2))."
        ));
    }
    n
}

const DATA_ABOUT: Bilingual = Bilingual {
    en: "A copy of the personal data we hold about you, by kind of record. Each field lists the category of \
         personal data, the purposes it is used for, and what any code means.",
    zh_hant: "我們所持有關於你的個人資料副本，按紀錄類別排列。每個欄位列出個人資料類別、使用目的及代碼的意思。",
};

/// Categories of a field: its own and those of its JSON path tags, without repeats.
fn categories(field: &pdpo_core::Field) -> Vec<CategoryView> {
    let mut out: Vec<CategoryView> = Vec::new();
    for c in field.category.iter().chain(field.json.iter().map(|t| &t.category)) {
        let code = c.to_string();
        if !out.iter().any(|v| v.code == code) {
            out.push(CategoryView { meaning: category_meaning(c), code });
        }
    }
    out
}

/// An array of people's keys (e.g. `deals.contact_ids`) with every key but the subjects' replaced
/// by `null`; `None` if nothing had to be withheld.
fn keep_only(value: &Value, subjects: &BTreeSet<Key>) -> Option<serde_json::Value> {
    let items = value.as_json()?.as_array()?;
    let mut changed = false;
    let kept = items
        .iter()
        .map(|item| {
            let mine = KeyValue::from_json(item).is_some_and(|k| subjects.contains(&Key::from(k)));
            if mine {
                item.clone()
            } else {
                changed = true;
                serde_json::Value::Null
            }
        })
        .collect();
    changed.then_some(serde_json::Value::Array(kept))
}

/// One record reached from any of the request's subjects, with what concerns them merged.
struct Merged {
    record: Record,
    via: BTreeSet<Identifier>,
    others: BTreeSet<String>,
    subjects: BTreeSet<Key>,
}

/// Merges the graphs of several subject keys (duplicate records of one person): a field is the
/// person's if it concerns them through any key.
fn merge(schema: &Schema, graphs: &[SubjectGraph]) -> Vec<Merged> {
    let order: HashMap<&str, usize> =
        schema.traversal_order().enumerate().map(|(i, e)| (e.name.as_str(), i)).collect();
    let subjects: BTreeSet<Key> = graphs.iter().map(|g| g.subject.clone()).collect();
    let mut by_ref: BTreeMap<(usize, Identifier, Key), (Merged, BTreeSet<String>)> = BTreeMap::new();
    for g in graphs {
        for sr in &g.records {
            let rank = order.get(sr.record.entity.as_str()).copied().unwrap_or(usize::MAX);
            let slot =
                by_ref.entry((rank, sr.record.entity.clone(), sr.record.key.clone())).or_insert_with(|| {
                    (
                        Merged {
                            record: sr.record.clone(),
                            via: BTreeSet::new(),
                            others: BTreeSet::new(),
                            subjects: subjects.clone(),
                        },
                        BTreeSet::new(),
                    )
                });
            slot.0.via.extend(sr.via.iter().cloned());
            slot.0.others.extend(sr.others_fields.iter().map(ToString::to_string));
            slot.1.extend(sr.fields.iter().map(ToString::to_string));
        }
    }
    by_ref
        .into_values()
        .map(|(mut m, mine)| {
            m.others.retain(|f| !mine.contains(f));
            m
        })
        .collect()
}

fn write_audit<W: Write>(schema: &Schema, events: &[&AuditEvent], out: &mut W) -> std::io::Result<()> {
    let mut ser = serde_json::Serializer::pretty(out);
    let mut seq = ser.serialize_seq(Some(events.len())).map_err(std::io::Error::other)?;
    for e in events {
        let view = EventView {
            id: e.id,
            at: e.at,
            who: ActorView {
                kind: e.actor.kind.as_str(),
                id: e.actor.id.as_str(),
                meaning: actor_meaning(e.actor.kind),
            },
            action: e.action.as_str(),
            action_meaning: action_meaning(e.action),
            record: e
                .record
                .as_ref()
                .map(|r| RecordRefView { entity: r.entity.as_str(), key: r.key.to_string() }),
            fields: e.fields.iter().map(Identifier::as_str).collect(),
            purpose: e.purpose.as_ref().map(|p| PurposeView {
                code: p.as_str().to_owned(),
                description: schema.purposes().get(&p.0).cloned().unwrap_or_default(),
            }),
            recipient_class: e.recipient.as_ref().map(Identifier::as_str),
            origin: e.origin.as_ref().map(Identifier::as_str),
            request: e.request,
            counts: e.counts.iter().map(|(k, v)| (k.as_str(), *v)).collect(),
            sealed_detail_withheld: e.sealed.is_some(),
        };
        seq.serialize_element(&view).map_err(std::io::Error::other)?;
    }
    SerializeSeq::end(seq).map_err(std::io::Error::other)
}

#[derive(Serialize)]
struct DataDoc<'a> {
    format: &'static str,
    about: Bilingual,
    request: RequestView<'a>,
    snapshot_at: DateTime<Utc>,
    generated_at: DateTime<Utc>,
    subject_entity: &'a str,
    purposes: &'a BTreeMap<Identifier, String>,
    redaction_note: Bilingual,
    entities: &'a [EntityView<'a>],
}

#[derive(Serialize)]
struct RequestView<'a> {
    id: uuid::Uuid,
    received_at: DateTime<Utc>,
    received_on: String,
    language: &'static str,
    due_date: String,
    due_basis: &'a str,
    due_explanation: &'a str,
}

#[derive(Serialize)]
struct EntityView<'g> {
    entity: &'g str,
    records: Vec<RecordView<'g>>,
}

#[derive(Serialize)]
struct RecordView<'g> {
    key: String,
    fields: Vec<FieldView<'g>>,
}

enum FieldValue<'g> {
    Plain(&'g Value),
    Filtered(serde_json::Value),
    Withheld,
}

impl Serialize for FieldValue<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Plain(v) => v.serialize(s),
            Self::Filtered(j) => j.serialize(s),
            Self::Withheld => s.serialize_none(),
        }
    }
}

#[derive(Serialize)]
struct FieldView<'g> {
    name: &'g str,
    value: FieldValue<'g>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    categories: Vec<CategoryView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    purposes: Vec<PurposeView>,
    redacted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<Bilingual>,
    #[serde(skip_serializing_if = "Option::is_none")]
    meaning: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exported_as: Option<String>,
}

#[derive(Serialize)]
struct CategoryView {
    code: String,
    meaning: Bilingual,
}

#[derive(Serialize)]
struct PurposeView {
    code: String,
    description: String,
}

struct PlannedAttachment<'g> {
    entity: &'g str,
    key: &'g Key,
    field: &'g str,
    blob_id: String,
    path: String,
}

#[derive(Serialize)]
struct AttachmentView<'a> {
    path: &'a str,
    size: u64,
    record: String,
}

#[derive(Serialize)]
struct ActorView<'a> {
    kind: &'static str,
    id: &'a str,
    meaning: Bilingual,
}

#[derive(Serialize)]
struct RecordRefView<'a> {
    entity: &'a str,
    key: String,
}

#[derive(Serialize)]
struct EventView<'a> {
    id: uuid::Uuid,
    at: DateTime<Utc>,
    who: ActorView<'a>,
    action: &'static str,
    action_meaning: Bilingual,
    record: Option<RecordRefView<'a>>,
    fields: Vec<&'a str>,
    purpose: Option<PurposeView>,
    recipient_class: Option<&'a str>,
    origin: Option<&'a str>,
    request: Option<uuid::Uuid>,
    counts: BTreeMap<&'a str, u64>,
    sealed_detail_withheld: bool,
}

#[derive(Serialize)]
struct ReportContext<'c> {
    lang: &'static str,
    request: RequestView<'c>,
    generated_at: String,
    snapshot_at: String,
    subject_entity: &'c str,
    entities: Vec<ReportEntity<'c>>,
    events: Vec<ReportEvent<'c>>,
    attachments: &'c [AttachmentView<'c>],
    redacted_count: u64,
    redaction_note: &'static str,
    notes: Vec<String>,
}

#[derive(Serialize)]
struct ReportEntity<'c> {
    name: &'c str,
    records: Vec<ReportRecord<'c>>,
}

#[derive(Serialize)]
struct ReportRecord<'c> {
    key: &'c str,
    fields: Vec<ReportField<'c>>,
}

#[derive(Serialize)]
struct ReportField<'c> {
    name: &'c str,
    text: String,
    categories: String,
    purposes: String,
    redacted: bool,
    meaning: Option<&'c str>,
    exported_as: Option<&'c str>,
}

#[derive(Serialize)]
struct ReportEvent<'c> {
    at: String,
    actor: String,
    actor_meaning: &'static str,
    action: &'static str,
    action_meaning: &'static str,
    fields: String,
    record: Option<String>,
    recipient: Option<&'c str>,
    purpose: Option<String>,
}
