//! Batch erasure: many data subjects planned one after the other against one prefetched view of
//! the store, then applied as one change set (one transaction) per chunk.
//!
//! Each subject is planned exactly as [`Eraser::erase`] would plan it after the subjects before
//! it in the chunk had been erased: the view applies every planned change (post-images, deleted
//! rows) before the next subject is planned, so records shared by two subjects of a chunk (a
//! message between them, a deal with both) end in the same state as with one erasure after the
//! other, and each subject's certificate is the one a single erasure would have produced.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use pdpo_core::{
    Applied, ChangeSet, ColumnInfo, DataStore, Identifier, Key, KeyValue, LinkKind, Lookup, Page, Record,
    RecordRef, Schema, StoreError, StoreErrorKind, SubjectGraph, Value,
};
use serde::{Deserialize, Serialize};

use crate::erase::{Eraser, ErasureCertificate, KeyShredder, write_order};
use crate::plan::{ErasurePlan, RecordAction};
use crate::{Error, Result};

/// A resumable batch erasure: the subjects to erase and how many of them are done.
///
/// Call [`Eraser::run_batch_chunk`] until it returns `None`, saving the batch (serde) after each
/// call. A chunk only advances the batch once its change set has committed (and its subjects'
/// keys are shredded), so after a crash, reload the last saved batch and continue: a chunk run
/// twice finds its subjects already erased and certifies them again (`already_erased`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureBatch {
    subjects: Vec<Key>,
    done: usize,
}

impl ErasureBatch {
    /// A batch erasing `subjects` in this order (repeated keys are erased once).
    pub fn new(subjects: impl IntoIterator<Item = Key>) -> Self {
        let mut seen = HashSet::new();
        let subjects = subjects.into_iter().filter(|k| seen.insert(k.clone())).collect();
        Self { subjects, done: 0 }
    }

    /// Every subject of the batch.
    pub fn subjects(&self) -> &[Key] {
        &self.subjects
    }

    /// The subjects not yet erased.
    pub fn remaining(&self) -> &[Key] {
        self.subjects.get(self.done..).unwrap_or_default()
    }

    /// How many subjects are done.
    pub fn done(&self) -> usize {
        self.done
    }

    /// Whether every subject is done.
    pub fn is_finished(&self) -> bool {
        self.done >= self.subjects.len()
    }
}

/// What a batch erasure (or one chunk of it) did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchReport {
    /// One certificate per erased subject, in the batch's order. Records kept under a hold or a
    /// statutory keep are listed in each certificate's `retained`, as for a single erasure.
    pub certificates: Vec<ErasureCertificate>,
    /// Subjects with no record in the store (never created, or deleted earlier): skipped.
    pub missing: Vec<Key>,
}

impl BatchReport {
    /// Adds another chunk's report.
    pub fn extend(&mut self, other: BatchReport) {
        self.certificates.extend(other.certificates);
        self.missing.extend(other.missing);
    }

    /// The certificates of subjects some of whose records were kept (a hold, a statutory keep,
    /// an open request, or the schema's `erase = "keep"`).
    pub fn with_retained(&self) -> impl Iterator<Item = &ErasureCertificate> {
        self.certificates.iter().filter(|c| !c.retained.is_empty())
    }
}

impl<G: pdpo_core::DisposalGuard> Eraser<G> {
    /// Erases `subjects` in one atomic change set: all of their data changes and audit events
    /// commit together or not at all.
    ///
    /// The records about all of them are read with one batched lookup per link (as
    /// [`SubjectGraph::collect`] does for one subject), each subject is planned against that
    /// view with the changes planned for the subjects before it applied, the change sets are
    /// applied as one, the changed records are re-read to verify every subject's erasure, and
    /// the data keys of subjects with encrypted fields are destroyed. The end state and the
    /// certificates are those of erasing the subjects one after the other with
    /// [`erase`](Self::erase).
    ///
    /// A subject with no record is listed in [`BatchReport::missing`]; records kept under a hold
    /// or a keep rule are listed in the certificates and do not fail the batch. Any other
    /// failure before the commit writes nothing; a failure to shred after it leaves the data
    /// changes committed, and running the erasure again retries the shred.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pdpo_core::{Actor, AllowAll, FixedClock, Key};
    /// use pdpo_anonymise::{Anonymiser, Eraser, ErasureBatch, NoKeys};
    /// use pdpo_testkit::{Generator, load_memory};
    ///
    /// let loaded = load_memory(&Generator::new(20, 7))?;
    /// let clock = Arc::new(FixedClock::new(pdpo_testkit::reference_now()));
    /// let eraser = Eraser::new(Anonymiser::hong_kong()?, AllowAll, clock, Actor::user("dpo-1")?);
    ///
    /// // Three subjects and one that does not exist, in one transaction.
    /// let keys = [Key::from(3), Key::from(4), Key::from(5), Key::from(999_999)];
    /// let report = pollster::block_on(eraser.erase_many(&loaded.store, &keys, &NoKeys))?;
    /// assert_eq!(report.certificates.len(), 3);
    /// assert!(report.certificates.iter().all(|c| c.verified));
    /// assert_eq!(report.missing, [Key::from(999_999)]);
    ///
    /// // The same, resumable: chunks of 2, the batch saved (as JSON, say) after each.
    /// let mut batch = ErasureBatch::new((6..=10).map(Key::from));
    /// let mut saved = Vec::new();
    /// let all = pollster::block_on(eraser.run_batch(&loaded.store, &mut batch, 2, &NoKeys, |b| {
    ///     saved.push(b.done());
    /// }))?;
    /// assert_eq!((all.certificates.len(), saved), (5, vec![2, 4, 5]));
    /// assert!(batch.is_finished());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn erase_many<D: DataStore, S: KeyShredder>(
        &self,
        store: &D,
        subjects: &[Key],
        shredder: &S,
    ) -> Result<BatchReport> {
        let mut seen = HashSet::new();
        let subjects: Vec<&Key> = subjects.iter().filter(|k| seen.insert(*k)).collect();
        let mut view =
            View::load(store, &subjects).await.map_err(Error::store("collecting the subject graphs"))?;
        let mut report = BatchReport::default();
        let mut plans = Vec::with_capacity(subjects.len());
        let mut cs = ChangeSet::new();
        for subject in subjects {
            let graph = match SubjectGraph::collect(&view, subject).await {
                Ok(g) => g,
                Err(e) if e.kind() == StoreErrorKind::NotFound => {
                    report.missing.push(subject.clone());
                    continue;
                }
                Err(e) => return Err(Error::store("collecting the subject graph")(e)),
            };
            let plan = self.plan_graph(&view, &graph).await?;
            plan.check()?;
            cs.append(self.change_set(&plan));
            view.absorb(&plan);
            plans.push(plan);
        }
        drop(view);
        if !cs.is_empty() {
            store.apply(write_order(cs)).await.map_err(Error::store("applying the batch erasure"))?;
        }
        verify(store, &plans).await?;

        // Destroy the data keys of subjects whose encrypted fields were left as ciphertext; the
        // shred events of the keys destroyed are recorded even if a later subject fails.
        let mut shredded = vec![false; plans.len()];
        let mut events = ChangeSet::new();
        let mut failed = None;
        for (i, plan) in plans.iter().enumerate() {
            let Some((r, f)) = plan.shredded.first() else { continue };
            match shredder.shred(self.tenant.as_deref(), &plan.subject, self.actor.clone()).await {
                Ok(Some(event)) => {
                    events.event(event);
                    shredded[i] = true;
                }
                Ok(None) => {
                    failed = Some(Error::NoShredder {
                        entity: r.entity.to_string(),
                        key: r.key.to_string(),
                        field: f.to_string(),
                    });
                    break;
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        if !events.is_empty() {
            store.apply(events).await.map_err(Error::store("recording the shred"))?;
        }
        if let Some(e) = failed {
            return Err(e);
        }
        report.certificates =
            plans.iter().zip(shredded).map(|(plan, keys)| self.certificate(plan, keys)).collect();
        Ok(report)
    }

    /// Erases the next chunk of up to `limit` subjects of `batch` with
    /// [`erase_many`](Self::erase_many); `None` once the batch is finished. The batch advances
    /// only when the chunk succeeded; on error it is unchanged.
    pub async fn run_batch_chunk<D: DataStore, S: KeyShredder>(
        &self,
        store: &D,
        batch: &mut ErasureBatch,
        limit: usize,
        shredder: &S,
    ) -> Result<Option<BatchReport>> {
        let chunk = &batch.remaining()[..batch.remaining().len().min(limit.max(1))];
        if chunk.is_empty() {
            return Ok(None);
        }
        let report = self.erase_many(store, chunk, shredder).await?;
        batch.done += chunk.len();
        Ok(Some(report))
    }

    /// Runs `batch` to its end in chunks of up to `limit` subjects, calling `saved` with the
    /// batch after each committed chunk (persist it there). Returns every chunk's report.
    pub async fn run_batch<D: DataStore, S: KeyShredder>(
        &self,
        store: &D,
        batch: &mut ErasureBatch,
        limit: usize,
        shredder: &S,
        mut saved: impl FnMut(&ErasureBatch),
    ) -> Result<BatchReport> {
        let mut total = BatchReport::default();
        while let Some(r) = self.run_batch_chunk(store, batch, limit, shredder).await? {
            total.extend(r);
            saved(batch);
        }
        Ok(total)
    }
}

/// Re-reads every record the plans anonymised (one fetch per entity) and checks each plan's
/// records for its subject's values.
async fn verify<D: DataStore>(store: &D, plans: &[ErasurePlan]) -> Result<()> {
    let mut by_entity: BTreeMap<&str, BTreeSet<&Key>> = BTreeMap::new();
    for plan in plans {
        for c in plan.changes.iter().filter(|c| c.action == RecordAction::Anonymise) {
            by_entity.entry(c.record.entity.as_str()).or_default().insert(&c.record.key);
        }
    }
    let mut now: HashMap<RecordRef, Record> = HashMap::new();
    for (entity, keys) in by_entity {
        let keys: Vec<Key> = keys.into_iter().cloned().collect();
        let records = store.fetch(entity, &keys).await.map_err(Error::store("verifying the erasure"))?;
        now.extend(records.into_iter().map(|r| (r.reference(), r)));
    }
    for plan in plans {
        let records = plan
            .changes
            .iter()
            .filter(|c| c.action == RecordAction::Anonymise)
            .filter_map(|c| now.get(&c.record));
        plan.check_records(records)?;
    }
    Ok(())
}

/// The records about a set of subjects, read once with batched lookups, with the changes
/// planned so far applied. Serves the lookups [`SubjectGraph::collect`] makes for any one of
/// those subjects from memory; anything else is read from the store (with the planned changes
/// applied to what it returns).
struct View<'s, D> {
    store: &'s D,
    /// Records read, by entity and key, with planned updates applied and planned deletes removed.
    records: HashMap<Identifier, BTreeMap<Key, Record>>,
    /// Keys fetched per entity (a key fetched and not in `records` does not exist).
    fetched: HashMap<Identifier, HashSet<Key>>,
    /// Column lookups served in full (every record matching these tuples is in `records`), and
    /// the index of `records` by those columns.
    columns: HashMap<(Identifier, Vec<String>), Covered<Key>>,
    /// Array lookups served in full, and the index of `records` by array element.
    arrays: HashMap<(Identifier, String), Covered<KeyValue>>,
    /// Planned deletes.
    deleted: HashMap<Identifier, HashSet<Key>>,
    /// Planned updates, for records read from the store after planning started.
    updated: HashMap<RecordRef, BTreeMap<String, Value>>,
}

/// The values a lookup was served for, and the records read, by looked-up value.
struct Covered<T> {
    done: HashSet<T>,
    index: HashMap<T, Vec<Key>>,
}

impl<T> Default for Covered<T> {
    fn default() -> Self {
        Self { done: HashSet::new(), index: HashMap::new() }
    }
}

fn strings(ids: &[Identifier]) -> Vec<String> {
    ids.iter().map(ToString::to_string).collect()
}

fn tuple(r: &Record, columns: &[String]) -> Option<Key> {
    Key::from_values(columns.iter().map(|c| r.get(c).unwrap_or(&Value::Null)))
}

fn array_elements(v: Option<&Value>) -> impl Iterator<Item = KeyValue> + '_ {
    let items = match v {
        Some(Value::Json(pdpo_core::serde_json::Value::Array(a))) => a.as_slice(),
        _ => &[],
    };
    items.iter().filter_map(KeyValue::from_json)
}

impl<'s, D: DataStore> View<'s, D> {
    /// Reads every record reachable from `subjects`, link by link in the schema's traversal
    /// order (one batched lookup per link, as [`SubjectGraph::collect`] does for one subject, so
    /// each lookup covers the one any single subject's collection makes).
    async fn load(store: &'s D, subjects: &[&Key]) -> std::result::Result<Self, StoreError> {
        let schema = store.schema();
        let mut view = Self {
            store,
            records: HashMap::new(),
            fetched: HashMap::new(),
            columns: HashMap::new(),
            arrays: HashMap::new(),
            deleted: HashMap::new(),
            updated: HashMap::new(),
        };
        let keys: Vec<Key> = subjects.iter().map(|k| (*k).clone()).collect();
        let subject_entity = schema.subject().clone();
        let own = store.fetch(&subject_entity, &keys).await?;
        view.fetched.entry(subject_entity).or_default().extend(keys);
        view.add(own);
        for entity in schema.traversal_order().skip(1) {
            for link in &entity.links {
                let parents: Vec<&Record> = match view.records.get(&link.to) {
                    Some(m) if !m.is_empty() => m.values().collect(),
                    _ => continue,
                };
                let parent_keys: Vec<Key> = parents.iter().map(|r| r.key.clone()).collect();
                match &link.kind {
                    LinkKind::ForeignKey { columns } => {
                        let columns = strings(columns);
                        let lookup = Lookup::Columns { columns: columns.clone(), keys: parent_keys.clone() };
                        let found = store.find(&entity.name, &lookup).await?;
                        view.columns
                            .entry((entity.name.clone(), columns))
                            .or_default()
                            .done
                            .extend(parent_keys);
                        view.add(found);
                    }
                    LinkKind::ReferencedBy { columns } => {
                        let columns = strings(columns);
                        let keys: BTreeSet<Key> = parents.iter().filter_map(|r| tuple(r, &columns)).collect();
                        view.fetch_keys(&entity.name, keys).await?;
                    }
                    LinkKind::Array { column } => {
                        let values: Vec<KeyValue> =
                            parent_keys.iter().filter_map(|k| k.parts().first().cloned()).collect();
                        let lookup =
                            Lookup::ArrayContains { column: column.to_string(), values: values.clone() };
                        let found = store.find(&entity.name, &lookup).await?;
                        view.arrays
                            .entry((entity.name.clone(), column.to_string()))
                            .or_default()
                            .done
                            .extend(values);
                        view.add(found);
                    }
                    LinkKind::Join { through, columns, to_columns } => {
                        let to_columns = strings(to_columns);
                        let lookup =
                            Lookup::Columns { columns: to_columns.clone(), keys: parent_keys.clone() };
                        let rows = store.find(through, &lookup).await?;
                        view.columns
                            .entry((through.clone(), to_columns))
                            .or_default()
                            .done
                            .extend(parent_keys);
                        let columns = strings(columns);
                        let keys: BTreeSet<Key> = rows.iter().filter_map(|r| tuple(r, &columns)).collect();
                        view.add(rows);
                        view.fetch_keys(&entity.name, keys).await?;
                    }
                    _ => {}
                }
            }
        }
        // Index every record read by the columns (and arrays) of the lookups served, so each
        // subject's lookups cost what their answer costs, not a scan of every record read.
        for ((entity, columns), covered) in &mut view.columns {
            for r in view.records.get(entity).into_iter().flat_map(BTreeMap::values) {
                if let Some(t) = tuple(r, columns) {
                    covered.index.entry(t).or_default().push(r.key.clone());
                }
            }
        }
        for ((entity, column), covered) in &mut view.arrays {
            for r in view.records.get(entity).into_iter().flat_map(BTreeMap::values) {
                for e in array_elements(r.get(column)) {
                    covered.index.entry(e).or_default().push(r.key.clone());
                }
            }
        }
        Ok(view)
    }

    /// Fetches the records of `entity` with these keys (none: no query) into the view and marks
    /// the keys as covered.
    async fn fetch_keys(
        &mut self,
        entity: &Identifier,
        keys: BTreeSet<Key>,
    ) -> std::result::Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        let keys: Vec<Key> = keys.into_iter().collect();
        let found = self.store.fetch(entity, &keys).await?;
        self.fetched.entry(entity.clone()).or_default().extend(keys);
        self.add(found);
        Ok(())
    }

    fn add(&mut self, records: Vec<Record>) {
        for r in records {
            self.records.entry(r.entity.clone()).or_default().entry(r.key.clone()).or_insert(r);
        }
    }

    /// Applies a plan's changes, so the next subject is planned on the state after it.
    fn absorb(&mut self, plan: &ErasurePlan) {
        for c in &plan.changes {
            let (entity, key) = (&c.record.entity, &c.record.key);
            match c.action {
                RecordAction::Anonymise => {
                    if let Some(r) = self.records.get_mut(entity).and_then(|m| m.get_mut(key)) {
                        r.values.extend(c.set.iter().map(|(k, v)| (k.clone(), v.clone())));
                    }
                    self.updated
                        .entry(c.record.clone())
                        .or_default()
                        .extend(c.set.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
                RecordAction::Delete => {
                    if let Some(m) = self.records.get_mut(entity) {
                        m.remove(key);
                    }
                    self.deleted.entry(entity.clone()).or_default().insert(key.clone());
                }
            }
        }
    }

    fn is_deleted(&self, r: &Record) -> bool {
        self.deleted.get(&r.entity).is_some_and(|d| d.contains(&r.key))
    }

    /// Records read from the store, with the planned changes applied.
    fn overlay(&self, records: Vec<Record>) -> Vec<Record> {
        if self.deleted.is_empty() && self.updated.is_empty() {
            return records;
        }
        records
            .into_iter()
            .filter(|r| !self.is_deleted(r))
            .map(|mut r| {
                if let Some(set) = self.updated.get(&r.reference()) {
                    r.values.extend(set.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
                r
            })
            .collect()
    }

    fn sorted(mut records: Vec<Record>) -> Vec<Record> {
        records.sort_by(|a, b| a.key.cmp(&b.key));
        records.dedup_by(|a, b| a.key == b.key);
        records
    }

    /// The records of `entity` indexed under any of `wanted` (deleted ones are gone).
    fn indexed<'a, T: std::hash::Hash + Eq + 'a>(
        &self,
        entity: &str,
        covered: &Covered<T>,
        wanted: impl IntoIterator<Item = &'a T>,
    ) -> Vec<Record> {
        let Some(records) = self.records.get(entity) else { return Vec::new() };
        let keys: BTreeSet<&Key> =
            wanted.into_iter().filter_map(|w| covered.index.get(w)).flatten().collect();
        keys.into_iter().filter_map(|k| records.get(k)).cloned().collect()
    }
}

impl<D: DataStore> DataStore for View<'_, D> {
    fn schema(&self) -> &Schema {
        self.store.schema()
    }

    async fn fetch(&self, entity: &str, keys: &[Key]) -> std::result::Result<Vec<Record>, StoreError> {
        let cached = self.records.get(entity);
        let fetched = self.fetched.get(entity);
        let deleted = self.deleted.get(entity);
        let mut out = Vec::with_capacity(keys.len());
        let mut missed = Vec::new();
        for k in keys {
            if let Some(r) = cached.and_then(|m| m.get(k)) {
                out.push(r.clone());
            } else if !fetched.is_some_and(|f| f.contains(k)) && !deleted.is_some_and(|d| d.contains(k)) {
                missed.push(k.clone());
            }
        }
        if !missed.is_empty() {
            out.extend(self.overlay(self.store.fetch(entity, &missed).await?));
        }
        Ok(Self::sorted(out))
    }

    async fn find(&self, entity: &str, lookup: &Lookup) -> std::result::Result<Vec<Record>, StoreError> {
        let served = match lookup {
            Lookup::Columns { columns, keys } => self
                .columns
                .iter()
                .find(|((e, c), _)| e.as_str() == entity && c == columns)
                .filter(|(_, covered)| keys.iter().all(|k| covered.done.contains(k)))
                .map(|(_, covered)| self.indexed(entity, covered, keys)),
            Lookup::ArrayContains { column, values } => self
                .arrays
                .iter()
                .find(|((e, c), _)| e.as_str() == entity && c == column)
                .filter(|(_, covered)| values.iter().all(|v| covered.done.contains(v)))
                .map(|(_, covered)| self.indexed(entity, covered, values)),
            _ => None,
        };
        match served {
            Some(records) => Ok(records),
            None => Ok(Self::sorted(self.overlay(self.store.find(entity, lookup).await?))),
        }
    }

    async fn scan_page(
        &self,
        entity: &str,
        after: Option<&Key>,
        limit: usize,
    ) -> std::result::Result<Page, StoreError> {
        let mut page = self.store.scan_page(entity, after, limit).await?;
        page.records = self.overlay(page.records);
        Ok(page)
    }

    async fn apply(&self, _: ChangeSet) -> std::result::Result<Applied, StoreError> {
        Err(StoreError::new(StoreErrorKind::Invalid, "the planning view of a batch erasure is read-only"))
    }

    async fn columns(&self, entity: &str) -> std::result::Result<Vec<ColumnInfo>, StoreError> {
        self.store.columns(entity).await
    }

    async fn pending_blob_deletes(&self) -> std::result::Result<Vec<String>, StoreError> {
        self.store.pending_blob_deletes().await
    }

    async fn ack_blob_deletes(&self, _: &[String]) -> std::result::Result<(), StoreError> {
        Err(StoreError::new(StoreErrorKind::Invalid, "the planning view of a batch erasure is read-only"))
    }
}
