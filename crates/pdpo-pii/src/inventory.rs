//! [`Inventory`]: what personal data a store holds, field by field, through its schema.
//!
//! Serves DPP1 (collect only what a purpose needs; the PCPD Code of Practice on the Identity Card
//! Number asks the same of HKID numbers) and DPP5 (be able to say what kinds of personal data are
//! held). The report holds entity and field names, categories, counts and record keys, never a
//! value.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use pdpo_core::{
    Actor, AuditAction, AuditEvent, DataStore, Identifier, JsonPath, Key, PiiCategory, Record, Value,
};
use serde::Serialize;

use crate::{Error, Result, Scanner};

/// How many record keys a report keeps per field and category, as pointers for follow-up.
const SAMPLE_KEYS: usize = 10;

/// Scans every record of every entity of a store's schema.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use pdpo_core::{ChangeSet, DataStore, Entity, Field, Identifier as Id, MemoryStore, PiiCategory, Record, Schema, Key};
/// use pdpo_pii::{Inventory, Scanner};
///
/// let id = |s: &str| Id::new(s).unwrap();
/// let schema = Schema::builder(id("contacts"))
///     .entity(
///         Entity::new(id("contacts"), [id("id")])
///             .with_field(Field::new(id("hkid")).with_category(PiiCategory::Hkid))
///             .with_field(Field::new(id("notes"))),
///     )
///     .build()?;
/// let store = MemoryStore::new(schema);
/// let mut changes = ChangeSet::new();
/// changes.insert(Record::new(id("contacts"), Key::from(1)).with("id", 1).with("hkid", "A123456(3)")
///     .with("notes", "customer gave HKID B234567(1) by phone"));
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     use std::task::{Context, Poll, Waker};
/// #     let mut f = std::pin::pin!(f);
/// #     let mut cx = Context::from_waker(Waker::noop());
/// #     loop { if let Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
/// # }
/// block_on(store.apply(changes))?;
///
/// let scanner = Scanner::hong_kong()?;
/// let report = block_on(Inventory::new(&scanner).run(&store))?;
/// assert_eq!(report.entities[0].records, 1);
/// // The identifier has no declared purpose, and the notes hold an HKID nobody tagged.
/// assert_eq!(report.findings.len(), 2);
/// assert!(report.to_text().contains("untagged field `contacts.notes` holds HKID numbers in 1 of 1 records"));
/// assert!(!report.to_text().contains("B234567"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Inventory<'s> {
    scanner: &'s Scanner,
    page_size: usize,
    only: Option<Vec<String>>,
}

/// The result of an [`Inventory`] run.
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct InventoryReport {
    /// One entry per entity, in schema order.
    pub entities: Vec<EntityReport>,
    /// What needs attention.
    pub findings: Vec<InventoryFinding>,
}

/// Counts for one entity.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct EntityReport {
    /// Entity name.
    pub entity: Identifier,
    /// Records scanned.
    pub records: u64,
    /// Fields (columns, and `column.$.path` for JSON path tags) that hold personal data.
    pub fields: Vec<FieldReport>,
}

/// Counts for one field.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct FieldReport {
    /// Column name, or `column` + JSON path for a path tag (`custom.$.emails[*].address`).
    pub field: String,
    /// The category the schema tags it with, if any.
    pub tagged: Option<PiiCategory>,
    /// Records in which a tagged field holds a value (not null, not empty).
    pub records_with_value: u64,
    /// For untagged and free-text fields: categories the scanner found, with counts.
    pub detected: BTreeMap<PiiCategory, Detected>,
}

/// Where a category was found in an untagged or free-text field.
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct Detected {
    /// Records with at least one finding of the category.
    pub records: u64,
    /// The first few of those records' keys (never the values).
    pub sample_keys: Vec<Key>,
}

/// Something an inventory flags.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum InventoryFinding {
    /// Personal data found in a field the schema does not tag with that category.
    UntaggedPersonalData {
        /// Entity name.
        entity: Identifier,
        /// Field name.
        field: String,
        /// Category found.
        category: PiiCategory,
        /// Records where it was found.
        records: u64,
        /// Records scanned.
        of: u64,
    },
    /// An identifier category (HKID, passport, national ID, card, bank account, tax ID) is collected
    /// but the field declares no purpose (DPP1(1); HKID Code of Practice 2.3).
    IdentifierWithoutPurpose {
        /// Entity name.
        entity: Identifier,
        /// Field name.
        field: String,
        /// Category tagged.
        category: PiiCategory,
        /// Records holding a value.
        records: u64,
    },
}

fn category_phrase(c: &PiiCategory) -> String {
    match c {
        PiiCategory::Hkid => "HKID numbers".into(),
        PiiCategory::Phone => "phone numbers".into(),
        PiiCategory::Email => "email addresses".into(),
        PiiCategory::Passport => "passport numbers".into(),
        PiiCategory::NationalId => "national identity numbers".into(),
        PiiCategory::CardNumber => "payment card numbers".into(),
        PiiCategory::DateOfBirth => "dates of birth".into(),
        PiiCategory::IpAddress => "IP addresses".into(),
        PiiCategory::Name => "names".into(),
        PiiCategory::Address => "addresses".into(),
        other => format!("`{other}` data"),
    }
}

impl std::fmt::Display for InventoryFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UntaggedPersonalData { entity, field, category, records, of } => write!(
                f,
                "untagged field `{entity}.{field}` holds {} in {records} of {of} records",
                category_phrase(category)
            ),
            Self::IdentifierWithoutPurpose { entity, field, category, records } => write!(
                f,
                "`{entity}.{field}` ({category}) is collected on {records} records but no declared purpose needs it \
                 (DPP1; HKID Code of Practice)"
            ),
        }
    }
}

fn has_value(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Text(s) => !s.trim().is_empty(),
        Value::Json(j) => !(j.is_null() || j.as_str().is_some_and(|s| s.trim().is_empty())),
        _ => true,
    }
}

/// Text leaves of a value (JSON string leaves included), borrowed.
fn texts<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
    fn json<'v>(j: &'v serde_json::Value, out: &mut Vec<&'v str>) {
        match j {
            serde_json::Value::String(s) => out.push(s),
            serde_json::Value::Array(a) => a.iter().for_each(|x| json(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| json(x, out)),
            _ => {}
        }
    }
    match v {
        Value::Text(s) => out.push(s),
        Value::Json(j) => json(j, out),
        _ => {}
    }
}

#[derive(Default)]
struct FieldAcc {
    tagged: Option<PiiCategory>,
    with_value: u64,
    detected: BTreeMap<PiiCategory, Detected>,
}

impl<'s> Inventory<'s> {
    /// An inventory that scans untagged and free-text fields with `scanner`.
    pub fn new(scanner: &'s Scanner) -> Self {
        Self { scanner, page_size: 500, only: None }
    }

    /// Scans only the entities named here (default: every entity of the schema); names the schema
    /// does not have are ignored.
    #[must_use]
    pub fn entities<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.only = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Records fetched per page (default 500).
    #[must_use]
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = n.max(1);
        self
    }

    /// Scans every entity of `store`'s schema, page by page.
    pub async fn run<D: DataStore>(&self, store: &D) -> Result<InventoryReport> {
        let schema = store.schema();
        let mut report = InventoryReport::default();
        for entity in schema.entities() {
            if let Some(only) = &self.only
                && !only.iter().any(|n| n == entity.name.as_str())
            {
                continue;
            }
            let mut fields: BTreeMap<String, FieldAcc> = BTreeMap::new();
            let mut paths: Vec<(String, String, JsonPath, PiiCategory)> = Vec::new();
            for f in &entity.fields {
                if let Some(c) = &f.category {
                    fields.entry(f.name.to_string()).or_default().tagged = Some(c.clone());
                }
                for t in &f.json {
                    let name = format!("{}.{}", f.name, t.path);
                    fields.entry(name.clone()).or_default().tagged = Some(t.category.clone());
                    paths.push((name, f.name.to_string(), t.path.clone(), t.category.clone()));
                }
            }
            let mut records = 0u64;
            let mut after: Option<Key> = None;
            loop {
                let page = store
                    .scan_page(entity.name.as_str(), after.as_ref(), self.page_size)
                    .await
                    .map_err(|source| Error::Store { entity: entity.name.to_string(), source })?;
                for record in &page.records {
                    records += 1;
                    self.record(entity, record, &paths, &mut fields);
                }
                match page.next {
                    Some(next) if !page.records.is_empty() => after = Some(next),
                    _ => break,
                }
            }
            let mut out = Vec::new();
            for (name, acc) in fields {
                let declared = entity.field(&name);
                if let (Some(c), Some(f)) = (&acc.tagged, declared)
                    && c.is_identifier()
                    && f.purposes.is_empty()
                    && acc.with_value > 0
                {
                    report.findings.push(InventoryFinding::IdentifierWithoutPurpose {
                        entity: entity.name.clone(),
                        field: name.clone(),
                        category: c.clone(),
                        records: acc.with_value,
                    });
                }
                for (c, d) in &acc.detected {
                    if acc.tagged.as_ref() != Some(c) {
                        report.findings.push(InventoryFinding::UntaggedPersonalData {
                            entity: entity.name.clone(),
                            field: name.clone(),
                            category: c.clone(),
                            records: d.records,
                            of: records,
                        });
                    }
                }
                if acc.tagged.is_some() || !acc.detected.is_empty() {
                    out.push(FieldReport {
                        field: name,
                        tagged: acc.tagged,
                        records_with_value: acc.with_value,
                        detected: acc.detected,
                    });
                }
            }
            report.entities.push(EntityReport { entity: entity.name.clone(), records, fields: out });
        }
        Ok(report)
    }

    fn record(
        &self,
        entity: &pdpo_core::Entity,
        record: &Record,
        paths: &[(String, String, JsonPath, PiiCategory)],
        fields: &mut BTreeMap<String, FieldAcc>,
    ) {
        let mut buf: Vec<&str> = Vec::new();
        let mut seen: Vec<PiiCategory> = Vec::new();
        for (column, value) in &record.values {
            if entity.is_key_column(column) || !has_value(value) {
                continue;
            }
            // Looked up before inserting, so the column name is cloned once per field, not per record.
            let acc = match fields.get_mut(column.as_str()) {
                Some(acc) => acc,
                None => fields.entry(column.clone()).or_default(),
            };
            let scan_it = match &acc.tagged {
                Some(PiiCategory::FreeText) => {
                    acc.with_value += 1;
                    true
                }
                Some(_) => {
                    acc.with_value += 1;
                    false
                }
                None => !paths.iter().any(|(_, c, _, _)| c == column),
            };
            if !scan_it {
                continue;
            }
            buf.clear();
            texts(value, &mut buf);
            seen.clear();
            for t in &buf {
                for f in self.scanner.scan(t) {
                    if !seen.contains(&f.category) {
                        seen.push(f.category);
                    }
                }
            }
            for c in seen.drain(..) {
                let d = acc.detected.entry(c).or_default();
                d.records += 1;
                if d.sample_keys.len() < SAMPLE_KEYS {
                    d.sample_keys.push(record.key.clone());
                }
            }
        }
        for (name, column, path, _) in paths {
            if let Some(Value::Json(doc)) = record.values.get(column)
                && path.select(doc).iter().any(|j| !j.is_null())
            {
                fields.entry(name.clone()).or_default().with_value += 1;
            }
        }
    }
}

impl InventoryReport {
    /// The report as JSON (entity and field names, categories, counts, record keys).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The report as text for people: findings first, then counts per entity and field.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        if self.findings.is_empty() {
            s.push_str("no findings\n");
        }
        for f in &self.findings {
            let _ = writeln!(s, "- {f}");
        }
        for e in &self.entities {
            let _ = writeln!(s, "\n{} ({} records)", e.entity, e.records);
            for f in &e.fields {
                let tag = f.tagged.as_ref().map_or_else(|| "untagged".to_owned(), ToString::to_string);
                let _ = write!(s, "  {:<32} {:<14} {:>8} with a value", f.field, tag, f.records_with_value);
                for (c, d) in &f.detected {
                    let _ = write!(s, "; {c} found in {}", d.records);
                }
                s.push('\n');
            }
        }
        s
    }

    /// The one audit event recording this run: action `inventory`, counts of entities, records
    /// and findings.
    pub fn audit_event(
        &self,
        actor: Actor,
        at: pdpo_core::chrono::DateTime<pdpo_core::chrono::Utc>,
    ) -> AuditEvent {
        let records: u64 = self.entities.iter().map(|e| e.records).sum();
        let mut ev = AuditEvent::new(AuditAction::Inventory, actor, at)
            .with_count(Identifier::from_static("entities"), self.entities.len() as u64)
            .with_count(Identifier::from_static("records"), records)
            .with_count(Identifier::from_static("findings"), self.findings.len() as u64);
        let fields: Vec<String> = self
            .entities
            .iter()
            .flat_map(|e| e.fields.iter().map(move |f| format!("{}.{}", e.entity, f.field)))
            .filter(|f| pdpo_core::ident::is_identifier(f))
            .collect();
        if let Ok(with) = ev.clone().with_fields(fields) {
            ev = with;
        }
        ev
    }
}
