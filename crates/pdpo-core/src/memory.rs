//! [`MemoryStore`] and [`MemoryBlobStore`]: the in-memory reference implementations.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Cursor, Read};
use std::ops::Bound;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::{
    Applied, AuditEvent, BlobStore, Change, ChangeSet, ColumnInfo, ColumnType, DataStore, EventSink,
    Identifier, Key, KeyValue, Lookup, Page, Record, Reference, ReferenceBy, Schema, StoreError,
    StoreErrorKind, Value,
};

/// A hash map with a fast, randomly seeded hasher (the one `hashbrown` uses): index lookups are
/// on the hot path of `SubjectGraph::collect`.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

#[derive(Default)]
struct Table {
    rows: BTreeMap<Key, Record>,
    /// Secondary indexes: column tuple -> value tuple -> record keys.
    indexes: HashMap<Vec<String>, FastMap<Key, BTreeSet<Key>>>,
    /// Array indexes: column -> element -> record keys.
    arrays: HashMap<String, FastMap<KeyValue, BTreeSet<Key>>>,
}

fn tuple(record: &Record, columns: &[String]) -> Option<Key> {
    Key::from_values(columns.iter().map(|c| record.get(c).unwrap_or(&Value::Null)))
}

fn array_elements(v: Option<&Value>) -> Vec<KeyValue> {
    match v {
        Some(Value::Json(serde_json::Value::Array(a))) => a.iter().filter_map(KeyValue::from_json).collect(),
        _ => Vec::new(),
    }
}

impl Table {
    fn index(&mut self, r: &Record, add: bool) {
        for (cols, idx) in &mut self.indexes {
            if let Some(t) = tuple(r, cols) {
                let set = idx.entry(t.clone()).or_default();
                if add {
                    set.insert(r.key.clone());
                } else {
                    set.remove(&r.key);
                    if set.is_empty() {
                        idx.remove(&t);
                    }
                }
            }
        }
        for (col, idx) in &mut self.arrays {
            for el in array_elements(r.get(col)) {
                let set = idx.entry(el.clone()).or_default();
                if add {
                    set.insert(r.key.clone());
                } else {
                    set.remove(&r.key);
                    if set.is_empty() {
                        idx.remove(&el);
                    }
                }
            }
        }
    }

    /// Keys of records whose `by` refers to `key`.
    fn referrers(&self, by: &ReferenceBy, key: &Key) -> Vec<Key> {
        match by {
            ReferenceBy::Columns(cols) => match self.indexes.get(cols) {
                Some(idx) => idx.get(key).map(|s| s.iter().cloned().collect()).unwrap_or_default(),
                None => self
                    .rows
                    .values()
                    .filter(|r| tuple(r, cols).as_ref() == Some(key))
                    .map(|r| r.key.clone())
                    .collect(),
            },
            ReferenceBy::Array(col) => {
                let Some(first) = key.parts().first() else { return Vec::new() };
                match self.arrays.get(col) {
                    Some(idx) => idx.get(first).map(|s| s.iter().cloned().collect()).unwrap_or_default(),
                    None => Vec::new(),
                }
            }
        }
    }
}

#[derive(Default)]
struct State {
    tables: HashMap<Identifier, Table>,
    outbox: BTreeSet<String>,
    events: Vec<AuditEvent>,
}

struct Shared {
    schema: Schema,
    references: Vec<Reference>,
    state: RwLock<State>,
    sink: Option<Arc<dyn EventSink>>,
    fail_at: Mutex<Option<usize>>,
}

/// A thread-safe in-memory [`DataStore`]: the reference implementation every other store is
/// compared with, and a fast store for tests, examples and benches.
///
/// - Change sets apply atomically: every change is checked first, then the events go to the
///   [`EventSink`] (or the store's own event list), then the data changes; any failure leaves
///   everything as it was.
/// - Deletes that would leave a record pointing at nothing (a cascade outside the change set) are
///   refused with [`StoreErrorKind::WouldCascade`].
/// - Every link column is indexed, so [`SubjectGraph::collect`](crate::SubjectGraph::collect)
///   costs one hash lookup per parent record and link.
/// - With a schema that has a `tenant_column`, use [`scoped`](Self::scoped) handles: each sees
///   and changes only its tenant's records.
///
/// Clones share the same data.
#[derive(Clone)]
pub struct MemoryStore {
    shared: Arc<Shared>,
    tenant: Option<String>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").field("tenant", &self.tenant).finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store for `schema`, keeping audit events in its own list (see [`events`](Self::events)).
    pub fn new(schema: Schema) -> Self {
        Self::build(schema, None)
    }

    /// An empty store whose change sets append their events to `sink` inside the commit.
    pub fn with_sink(schema: Schema, sink: Arc<dyn EventSink>) -> Self {
        Self::build(schema, Some(sink))
    }

    fn build(schema: Schema, sink: Option<Arc<dyn EventSink>>) -> Self {
        let references = schema.references();
        let mut state = State::default();
        for e in schema.entities() {
            state.tables.entry(e.name.clone()).or_default();
        }
        for r in &references {
            let table = state.tables.entry(r.from.clone()).or_default();
            match &r.by {
                ReferenceBy::Columns(cols) => {
                    table.indexes.entry(cols.clone()).or_default();
                }
                ReferenceBy::Array(col) => {
                    table.arrays.entry(col.clone()).or_default();
                }
            }
        }
        let shared =
            Shared { schema, references, state: RwLock::new(state), sink, fail_at: Mutex::new(None) };
        Self { shared: Arc::new(shared), tenant: None }
    }

    /// A handle on the same data that sees only `tenant`'s records (schemas with a `tenant_column`).
    pub fn scoped(&self, tenant: impl Into<String>) -> Self {
        Self { shared: Arc::clone(&self.shared), tenant: Some(tenant.into()) }
    }

    /// The events appended by change sets when the store has no sink.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.read().events.clone()
    }

    /// Number of records of `entity` (all tenants).
    pub fn count(&self, entity: &str) -> usize {
        self.read().tables.get(entity).map_or(0, |t| t.rows.len())
    }

    /// Testing aid: the next change set fails when it reaches change number `at` (0-based), as if
    /// the backend failed on that statement. Cleared after one use.
    pub fn inject_failure_at(&self, at: usize) {
        *self.shared.fail_at.lock().unwrap_or_else(PoisonError::into_inner) = Some(at);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.shared.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.shared.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn entity(&self, name: &str) -> Result<&crate::Entity, StoreError> {
        self.shared.schema.entity(name).ok_or_else(|| StoreError::invalid(format!("unknown entity `{name}`")))
    }

    /// The tenant filter: `Some((column, tenant))` when scoped; an error when the schema needs a scope.
    fn scope(&self) -> Result<Option<(&str, &str)>, StoreError> {
        match (self.shared.schema.tenant_column(), &self.tenant) {
            (None, _) => Ok(None),
            (Some(c), Some(t)) => Ok(Some((c.as_str(), t.as_str()))),
            (Some(c), None) => Err(StoreError::invalid(format!(
                "the schema has tenant column `{c}`: use MemoryStore::scoped(tenant)"
            ))),
        }
    }

    fn visible(scope: Option<(&str, &str)>, r: &Record) -> bool {
        scope.is_none_or(|(c, t)| r.get(c).and_then(Value::as_text) == Some(t))
    }

    fn do_fetch(&self, entity: &str, keys: &[Key]) -> Result<Vec<Record>, StoreError> {
        self.entity(entity)?;
        let scope = self.scope()?;
        let st = self.read();
        let Some(t) = st.tables.get(entity) else { return Ok(Vec::new()) };
        let mut out: Vec<Record> =
            keys.iter().filter_map(|k| t.rows.get(k)).filter(|r| Self::visible(scope, r)).cloned().collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out.dedup_by(|a, b| a.key == b.key);
        Ok(out)
    }

    fn do_find(&self, entity: &str, lookup: &Lookup) -> Result<Vec<Record>, StoreError> {
        self.entity(entity)?;
        let scope = self.scope()?;
        let st = self.read();
        let Some(t) = st.tables.get(entity) else { return Ok(Vec::new()) };
        let mut keys: Vec<&Key> = Vec::new();
        match lookup {
            Lookup::Columns { columns, keys: wanted } => {
                if let Some(idx) = t.indexes.get(columns) {
                    for w in wanted {
                        if let Some(s) = idx.get(w) {
                            keys.extend(s.iter());
                        }
                    }
                } else {
                    let wanted: BTreeSet<&Key> = wanted.iter().collect();
                    for r in t.rows.values() {
                        if tuple(r, columns).is_some_and(|k| wanted.contains(&k)) {
                            keys.push(&r.key);
                        }
                    }
                }
            }
            Lookup::ArrayContains { column, values } => {
                if let Some(idx) = t.arrays.get(column) {
                    for v in values {
                        if let Some(s) = idx.get(v) {
                            keys.extend(s.iter());
                        }
                    }
                } else {
                    let wanted: BTreeSet<&KeyValue> = values.iter().collect();
                    for r in t.rows.values() {
                        if array_elements(r.get(column)).iter().any(|e| wanted.contains(e)) {
                            keys.push(&r.key);
                        }
                    }
                }
            }
        }
        keys.sort_unstable();
        keys.dedup();
        Ok(keys
            .into_iter()
            .filter_map(|k| t.rows.get(k))
            .filter(|r| Self::visible(scope, r))
            .cloned()
            .collect())
    }

    fn do_scan(&self, entity: &str, after: Option<&Key>, limit: usize) -> Result<Page, StoreError> {
        self.entity(entity)?;
        let scope = self.scope()?;
        let st = self.read();
        let Some(t) = st.tables.get(entity) else { return Ok(Page::default()) };
        let lower = after.map_or(Bound::Unbounded, Bound::Excluded);
        let records: Vec<Record> = t
            .rows
            .range((lower, Bound::Unbounded))
            .map(|(_, r)| r)
            .filter(|r| Self::visible(scope, r))
            .take(limit)
            .cloned()
            .collect();
        let next =
            if records.len() == limit && limit > 0 { records.last().map(|r| r.key.clone()) } else { None };
        Ok(Page { records, next })
    }

    fn do_apply(&self, cs: ChangeSet) -> Result<Applied, StoreError> {
        let scope = self.scope()?;
        let fail_at = self.shared.fail_at.lock().unwrap_or_else(PoisonError::into_inner).take();
        let mut st = self.write();

        // 1. Check every change against the state as it will be after the earlier changes.
        let mut gone: BTreeSet<(Identifier, Key)> = BTreeSet::new();
        let mut added: BTreeSet<(Identifier, Key)> = BTreeSet::new();
        let mut prepared = Vec::with_capacity(cs.changes.len());
        // The reference columns of records written by this change set, as they will be (for the
        // reference check): only those columns are kept, so large inserts copy no record.
        let mut written: BTreeMap<(Identifier, Key), BTreeMap<String, Value>> = BTreeMap::new();
        let ref_columns =
            |entity: &Identifier, values: &BTreeMap<String, Value>| -> BTreeMap<String, Value> {
                let mut out = BTreeMap::new();
                for rf in self.shared.references.iter().filter(|rf| rf.from == *entity) {
                    if let ReferenceBy::Columns(cols) = &rf.by {
                        for c in cols {
                            if let Some(v) = values.get(c) {
                                out.insert(c.clone(), v.clone());
                            }
                        }
                    }
                }
                out
            };
        for (i, change) in cs.changes.into_iter().enumerate() {
            if fail_at == Some(i) {
                return Err(StoreError::new(
                    StoreErrorKind::Backend,
                    format!("injected failure at change {i}"),
                ));
            }
            let target = change.target();
            let entity = self.entity(&target.entity)?;
            let table = st.tables.get(&target.entity);
            let id = (target.entity.clone(), target.key.clone());
            let exists = |st_rows: Option<&Table>| {
                added.contains(&id)
                    || (!gone.contains(&id)
                        && st_rows
                            .and_then(|t| t.rows.get(&target.key))
                            .is_some_and(|r| Self::visible(scope, r)))
            };
            match change {
                Change::Insert(mut r) => {
                    r.fill_key_columns(entity)?;
                    if let Some((c, t)) = scope {
                        match r.values.get(c) {
                            None => {
                                r.values.insert(c.to_owned(), Value::Text(t.to_owned()));
                            }
                            Some(v) if v.as_text() == Some(t) => {}
                            Some(_) => {
                                return Err(StoreError::invalid(format!(
                                    "{target}: tenant column `{c}` names another tenant"
                                )));
                            }
                        }
                    }
                    let taken = added.contains(&id)
                        || (!gone.contains(&id) && table.is_some_and(|t| t.rows.contains_key(&r.key)));
                    if taken {
                        return Err(StoreError::new(
                            StoreErrorKind::Conflict,
                            format!("{target} already exists"),
                        ));
                    }
                    gone.remove(&id);
                    added.insert(id.clone());
                    written.insert(id, ref_columns(&r.entity, &r.values));
                    prepared.push(Change::Insert(r));
                }
                Change::Update { target, set } => {
                    if !exists(table) {
                        return Err(StoreError::not_found(format!("{target} does not exist")));
                    }
                    for col in set.keys() {
                        if entity.is_key_column(col) {
                            return Err(StoreError::invalid(format!(
                                "{target}: key column `{col}` cannot change"
                            )));
                        }
                        if scope.is_some_and(|(c, _)| c == col) {
                            return Err(StoreError::invalid(format!(
                                "{target}: tenant column `{col}` cannot change"
                            )));
                        }
                        if !crate::ident::is_identifier(col) {
                            return Err(StoreError::invalid(format!(
                                "{target}: a column name is not an identifier"
                            )));
                        }
                    }
                    let touches_reference = self.shared.references.iter().any(|r| {
                        r.from == target.entity && matches!(&r.by, ReferenceBy::Columns(cols) if cols.iter().any(|c| set.contains_key(c)))
                    });
                    if touches_reference {
                        let mut cols = match written.get(&id) {
                            Some(w) => w.clone(),
                            None => table
                                .and_then(|t| t.rows.get(&target.key))
                                .map(|r| ref_columns(&r.entity, &r.values))
                                .unwrap_or_default(),
                        };
                        cols.extend(ref_columns(&target.entity, &set));
                        written.insert(id, cols);
                    }
                    prepared.push(Change::Update { target, set });
                }
                Change::Delete(target) => {
                    if !exists(table) {
                        return Err(StoreError::not_found(format!("{target} does not exist")));
                    }
                    added.remove(&id);
                    written.remove(&id);
                    gone.insert(id);
                    prepared.push(Change::Delete(target));
                }
            }
        }
        // 2. No delete may leave a reference dangling.
        for (entity, key) in &gone {
            for r in self.shared.references.iter().filter(|r| r.to == *entity) {
                let Some(t) = st.tables.get(&r.from) else { continue };
                for k in t.referrers(&r.by, key) {
                    if !gone.contains(&(r.from.clone(), k.clone())) {
                        return Err(StoreError::new(
                            StoreErrorKind::WouldCascade,
                            format!(
                                "deleting {entity}[{key}] would cascade into {}[{k}], which the change set does not delete",
                                r.from
                            ),
                        ));
                    }
                }
            }
        }
        // 3. Every reference written points at a record that will exist (foreign keys; arrays of
        //    keys are not constrained, as in SQL).
        for ((entity, key), values) in &written {
            for rf in self.shared.references.iter().filter(|rf| rf.from == *entity) {
                let ReferenceBy::Columns(cols) = &rf.by else { continue };
                // NULL (or an absent column) references nothing.
                let Some(target) =
                    Key::from_values(cols.iter().map(|c| values.get(c).unwrap_or(&Value::Null)))
                else {
                    continue;
                };
                let tid = (rf.to.clone(), target);
                let present = added.contains(&tid)
                    || (!gone.contains(&tid)
                        && st
                            .tables
                            .get(&rf.to)
                            .and_then(|t| t.rows.get(&tid.1))
                            .is_some_and(|x| Self::visible(scope, x)));
                if !present {
                    return Err(StoreError::new(
                        StoreErrorKind::MissingReference,
                        format!(
                            "{entity}[{key}].{} refers to {}[{}], which does not exist",
                            cols.join("+"),
                            rf.to,
                            tid.1
                        ),
                    ));
                }
            }
        }
        // 4. Events, inside the commit.
        let n_events = cs.events.len() as u64;
        match &self.shared.sink {
            Some(sink) => sink.append(&cs.events).map_err(|e| {
                StoreError::new(
                    StoreErrorKind::Audit,
                    "the audit sink refused the events; nothing was applied",
                )
                .with_source(e)
            })?,
            None => st.events.extend(cs.events),
        }
        // 5. Data: nothing below can fail.
        let mut applied = Applied { events: n_events, ..Applied::default() };
        for change in prepared {
            match change {
                Change::Insert(r) => {
                    let t = st.tables.entry(r.entity.clone()).or_default();
                    t.index(&r, true);
                    t.rows.insert(r.key.clone(), r);
                    applied.inserted += 1;
                }
                Change::Update { target, set } => {
                    let t = st.tables.entry(target.entity.clone()).or_default();
                    if let Some(mut r) = t.rows.remove(&target.key) {
                        t.index(&r, false);
                        r.values.extend(set);
                        t.index(&r, true);
                        t.rows.insert(r.key.clone(), r);
                        applied.updated += 1;
                    }
                }
                Change::Delete(target) => {
                    let t = st.tables.entry(target.entity.clone()).or_default();
                    if let Some(r) = t.rows.remove(&target.key) {
                        t.index(&r, false);
                        applied.deleted += 1;
                    }
                }
            }
        }
        st.outbox.extend(cs.blob_deletes);
        Ok(applied)
    }

    fn do_columns(&self, entity: &str) -> Result<Vec<ColumnInfo>, StoreError> {
        let e = self.entity(entity)?;
        let st = self.read();
        let sample = st.tables.get(entity).and_then(|t| t.rows.values().next());
        let infer = |v: Option<&Value>| match v {
            Some(Value::Bool(_)) => ColumnType::Bool,
            Some(Value::Int(_)) => ColumnType::Int,
            Some(Value::Decimal(_)) => ColumnType::Decimal,
            Some(Value::Float(_)) => ColumnType::Float,
            Some(Value::Text(_)) => ColumnType::Text,
            Some(Value::Bytes(_)) => ColumnType::Bytes,
            Some(Value::Uuid(_)) => ColumnType::Uuid,
            Some(Value::Timestamp(_)) => ColumnType::Timestamp,
            Some(Value::Date(_)) => ColumnType::Date,
            Some(Value::Json(_)) => ColumnType::Json,
            _ => ColumnType::Other,
        };
        let mut cols: BTreeMap<String, ColumnInfo> = BTreeMap::new();
        if let Some(r) = sample {
            for (name, v) in &r.values {
                cols.insert(
                    name.clone(),
                    ColumnInfo { name: name.clone(), ty: infer(Some(v)), nullable: true, max_len: None },
                );
            }
        }
        for k in &e.key {
            let ty = infer(sample.and_then(|r| r.get(k)));
            cols.insert(
                k.to_string(),
                ColumnInfo { name: k.to_string(), ty, nullable: false, max_len: None },
            );
        }
        for f in &e.fields {
            let ty = f.column_type.unwrap_or_else(|| infer(sample.and_then(|r| r.get(&f.name))));
            cols.insert(
                f.name.to_string(),
                ColumnInfo { name: f.name.to_string(), ty, nullable: f.nullable, max_len: f.max_len },
            );
        }
        Ok(cols.into_values().collect())
    }
}

impl DataStore for MemoryStore {
    fn schema(&self) -> &Schema {
        &self.shared.schema
    }

    async fn fetch(&self, entity: &str, keys: &[Key]) -> Result<Vec<Record>, StoreError> {
        self.do_fetch(entity, keys)
    }

    async fn find(&self, entity: &str, lookup: &Lookup) -> Result<Vec<Record>, StoreError> {
        self.do_find(entity, lookup)
    }

    async fn scan_page(&self, entity: &str, after: Option<&Key>, limit: usize) -> Result<Page, StoreError> {
        self.do_scan(entity, after, limit)
    }

    async fn apply(&self, changes: ChangeSet) -> Result<Applied, StoreError> {
        self.do_apply(changes)
    }

    async fn columns(&self, entity: &str) -> Result<Vec<ColumnInfo>, StoreError> {
        self.do_columns(entity)
    }

    async fn pending_blob_deletes(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.read().outbox.iter().cloned().collect())
    }

    async fn ack_blob_deletes(&self, ids: &[String]) -> Result<(), StoreError> {
        let mut st = self.write();
        for id in ids {
            st.outbox.remove(id);
        }
        Ok(())
    }
}

/// An in-memory [`BlobStore`].
#[derive(Debug, Clone, Default)]
pub struct MemoryBlobStore {
    blobs: Arc<RwLock<BTreeMap<String, Arc<Vec<u8>>>>>,
}

impl MemoryBlobStore {
    /// An empty blob store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a blob exists.
    pub fn contains(&self, id: &str) -> bool {
        self.blobs.read().unwrap_or_else(PoisonError::into_inner).contains_key(id)
    }

    /// Number of blobs.
    pub fn len(&self) -> usize {
        self.blobs.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether there are no blobs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, id: &str) -> Result<Arc<Vec<u8>>, StoreError> {
        self.blobs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
            .ok_or_else(|| StoreError::not_found(format!("no blob `{}`", id.escape_debug())))
    }
}

struct ArcReader(Cursor<Arc<Vec<u8>>>);

impl Read for ArcReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let pos = usize::try_from(self.0.position()).unwrap_or(usize::MAX);
        let data = self.0.get_ref();
        let rest = data.get(pos..).unwrap_or(&[]);
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.0.set_position((pos + n) as u64);
        Ok(n)
    }
}

impl BlobStore for MemoryBlobStore {
    async fn put(&self, id: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.blobs.write().unwrap_or_else(PoisonError::into_inner).insert(id.to_owned(), Arc::new(bytes));
        Ok(())
    }

    async fn open(&self, id: &str) -> Result<Box<dyn Read + Send>, StoreError> {
        Ok(Box::new(ArcReader(Cursor::new(self.get(id)?))))
    }

    async fn size(&self, id: &str) -> Result<u64, StoreError> {
        Ok(self.get(id)?.len() as u64)
    }

    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self.blobs.write().unwrap_or_else(PoisonError::into_inner).remove(id).is_some())
    }
}
