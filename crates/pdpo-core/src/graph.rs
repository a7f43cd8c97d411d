//! Everything about one person: [`SubjectGraph::collect`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::{DataStore, Entity, Identifier, Key, LinkKind, Lookup, Record, StoreError, StoreErrorKind};

/// One record about the data subject, with how it was reached and which of its fields concern them.
#[derive(Debug, Clone, PartialEq)]
pub struct SubjectRecord {
    /// The record.
    pub record: Record,
    /// Names of the links (of the record's entity) through which it reached the subject; empty
    /// for the subject's own record.
    pub via: BTreeSet<Identifier>,
    /// Personal fields that concern the subject (no `about`, or `about` a link in `via`).
    pub fields: Vec<Identifier>,
    /// Personal fields about other people (`about` a link the subject was not reached through):
    /// redact them in the subject's access copy (s.20(1)(b), s.20(2)) and leave them on erasure.
    pub others_fields: Vec<Identifier>,
}

impl SubjectRecord {
    /// Whether `field` concerns the subject.
    pub fn concerns(&self, field: &str) -> bool {
        self.fields.iter().any(|f| f == field)
    }
}

/// Every record about one data subject, found by following every link path of the schema.
///
/// Each link costs one batched lookup whatever the number of records (a `join` link costs two:
/// the join rows, then the records they point to), so collecting a subject with thousands of
/// messages takes as many store round trips as a subject with one.
///
/// ```
/// # use pdpo_core::*;
/// # let schema = Schema::from_toml_str(r#"
/// # subject = "contacts"
/// # [entities.contacts]
/// # key = "id"
/// # fields.email = { category = "email" }
/// # [entities.invoices]
/// # key = "id"
/// # links = [{ to = "contacts", foreign_key = "contact_id" }]
/// # "#, None)?;
/// let store = MemoryStore::new(schema);
/// let mut cs = ChangeSet::new();
/// cs.insert(Record::new(Identifier::new("contacts")?, Key::from(1)).with("email", "chan@example.hk"));
/// cs.insert(Record::new(Identifier::new("invoices")?, Key::from(10)).with("contact_id", 1));
/// pollster::block_on(store.apply(cs))?;
/// let graph = pollster::block_on(SubjectGraph::collect(&store, &Key::from(1)))?;
/// assert_eq!(graph.records.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SubjectGraph {
    /// The subject's key.
    pub subject: Key,
    /// The records: the subject's own first, then by entity in traversal order, by key within.
    pub records: Vec<SubjectRecord>,
}

impl SubjectGraph {
    /// Collects every record about `subject` (a key of the schema's subject entity).
    ///
    /// Fails with [`StoreErrorKind::NotFound`] if the subject record does not exist.
    pub async fn collect<D: DataStore>(store: &D, subject: &Key) -> Result<Self, StoreError> {
        let schema = store.schema();
        let subject_entity = schema.subject();
        let mut found: HashMap<Identifier, BTreeMap<Key, SubjectRecord>> = HashMap::new();

        let own = store.fetch(subject_entity, std::slice::from_ref(subject)).await?;
        let Some(own) = own.into_iter().next() else {
            return Err(StoreError::new(
                StoreErrorKind::NotFound,
                format!("no `{subject_entity}` record with key {subject}"),
            ));
        };
        found.entry(subject_entity.clone()).or_default().insert(own.key.clone(), fresh(own));

        for entity in schema.traversal_order().skip(1) {
            for link in &entity.links {
                let parents: Vec<(&Key, &Record)> = match found.get(&link.to) {
                    Some(m) if !m.is_empty() => m.iter().map(|(k, r)| (k, &r.record)).collect(),
                    _ => continue,
                };
                let parent_keys: Vec<Key> = parents.iter().map(|(k, _)| (*k).clone()).collect();
                let (records, joins) = match &link.kind {
                    LinkKind::ForeignKey { columns } => {
                        let lookup = Lookup::Columns { columns: strings(columns), keys: parent_keys };
                        (store.find(&entity.name, &lookup).await?, Vec::new())
                    }
                    LinkKind::ReferencedBy { columns } => {
                        let keys: BTreeSet<Key> = parents
                            .iter()
                            .filter_map(|(_, r)| {
                                Key::from_values(
                                    columns.iter().map(|c| r.get(c).unwrap_or(&crate::Value::Null)),
                                )
                            })
                            .collect();
                        if keys.is_empty() {
                            continue;
                        }
                        (store.fetch(&entity.name, &keys.into_iter().collect::<Vec<_>>()).await?, Vec::new())
                    }
                    LinkKind::Array { column } => {
                        let values = parent_keys.iter().filter_map(|k| k.parts().first().cloned()).collect();
                        let lookup = Lookup::ArrayContains { column: column.to_string(), values };
                        (store.find(&entity.name, &lookup).await?, Vec::new())
                    }
                    LinkKind::Join { through, columns, to_columns } => {
                        let lookup = Lookup::Columns { columns: strings(to_columns), keys: parent_keys };
                        let rows = store.find(through, &lookup).await?;
                        let keys: BTreeSet<Key> = rows
                            .iter()
                            .filter_map(|r| {
                                Key::from_values(
                                    columns.iter().map(|c| r.get(c).unwrap_or(&crate::Value::Null)),
                                )
                            })
                            .collect();
                        let records = if keys.is_empty() {
                            Vec::new()
                        } else {
                            store.fetch(&entity.name, &keys.into_iter().collect::<Vec<_>>()).await?
                        };
                        (records, rows)
                    }
                };
                for r in joins {
                    found
                        .entry(r.entity.clone())
                        .or_default()
                        .entry(r.key.clone())
                        .or_insert_with(|| fresh(r));
                }
                let slot = found.entry(entity.name.clone()).or_default();
                for r in records {
                    slot.entry(r.key.clone()).or_insert_with(|| fresh(r)).via.insert(link.name.clone());
                }
            }
        }

        let mut records = Vec::new();
        for entity in schema.traversal_order() {
            let Some(recs) = found.remove(&entity.name) else { continue };
            let is_subject = entity.name == *subject_entity;
            for (_, mut sr) in recs {
                attribute(entity, &mut sr, is_subject);
                records.push(sr);
            }
        }
        // Join rows of entities outside the traversal order (no links of their own).
        for (name, recs) in found {
            let entity = schema.entity(&name);
            for (_, mut sr) in recs {
                if let Some(e) = entity {
                    attribute(e, &mut sr, false);
                }
                records.push(sr);
            }
        }
        Ok(Self { subject: subject.clone(), records })
    }

    /// The records of one entity.
    pub fn records_of<'a>(&'a self, entity: &'a str) -> impl Iterator<Item = &'a SubjectRecord> + 'a {
        self.records.iter().filter(move |r| r.record.entity == entity)
    }

    /// The subject's own record.
    pub fn subject_record(&self) -> Option<&SubjectRecord> {
        self.records.first()
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are no records (never true for a collected graph).
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

fn strings(ids: &[Identifier]) -> Vec<String> {
    ids.iter().map(ToString::to_string).collect()
}

fn fresh(record: Record) -> SubjectRecord {
    SubjectRecord { record, via: BTreeSet::new(), fields: Vec::new(), others_fields: Vec::new() }
}

fn attribute(entity: &Entity, sr: &mut SubjectRecord, is_subject: bool) {
    for f in entity.personal_fields() {
        let mine = is_subject || f.about.as_ref().is_none_or(|a| sr.via.contains(a));
        if mine {
            sr.fields.push(f.name.clone());
        } else {
            sr.others_fields.push(f.name.clone());
        }
    }
}
