//! [`SqlStore`]: the [`DataStore`] over a CRM's own SQL tables.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use pdpo_core::{
    Applied, Change, ChangeSet, ColumnInfo, ColumnType, DataStore, Entity, EventSink, Identifier, Key,
    KeyValue, LinkKind, Lookup, Page, Record, RecordRef, Reference, ReferenceBy, Schema, StoreError,
    StoreErrorKind, Value,
};

use crate::SqlAuditStore;
use crate::backend::{Handle, Pool};
use crate::column::{Col, to_bind};
use crate::error::{Error, Result, store_error};
use crate::events::{EventTarget, OWN_ROWS_PER_STATEMENT, write_events};
use crate::introspect::{live_columns, live_foreign_keys};
use crate::migrate::migrate;
use crate::sql::{Bind, Dialect, MAX_BINDS, Quoted, Sql, invalid, quote};

/// A hash map with a fast, non-cryptographic hasher: column and table names per statement row.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

mod bulk;
mod delete;
mod insert;
mod update;

/// A table of the schema, with its live columns.
#[derive(Debug)]
struct Table {
    entity: Identifier,
    /// The entity's position in the schema's entities (see [`SqlStore::entity_of`]).
    schema_index: usize,
    name: String,
    quoted: Quoted,
    cols: Vec<Col>,
    index: FastMap<String, usize>,
    key: Vec<usize>,
    tenant: Option<usize>,
}

impl Table {
    fn col(&self, name: &str) -> Result<&Col, StoreError> {
        self.column_index(name).map(|i| &self.cols[i])
    }

    /// The index of column `name` in `cols`, or an error naming the entity, table and column.
    fn column_index(&self, name: &str) -> Result<usize, StoreError> {
        self.index.get(name).copied().ok_or_else(|| {
            invalid(format!("entity `{}`: table `{}` has no column `{name}`", self.entity, self.name))
        })
    }

    /// `v` converted for column `i`, or an error naming the entity and column (never the value).
    fn bind(&self, i: usize, v: &Value, dialect: Dialect) -> Result<Bind, StoreError> {
        let col = &self.cols[i];
        to_bind(v, col, dialect)
            .map_err(|why| invalid(format!("entity `{}`: column `{}`: {why}", self.entity, col.name)))
    }

    fn key_cols(&self) -> Vec<&Col> {
        self.key.iter().map(|&i| &self.cols[i]).collect()
    }
}

#[derive(Debug)]
struct Inner {
    pool: Pool,
    dialect: Dialect,
    schema: Schema,
    tables: FastMap<Identifier, Table>,
    references: Vec<Reference>,
    fail_at: Mutex<Option<usize>>,
    /// Statements run by the last `apply` (see `SqlStore::last_statement_count`).
    statements: AtomicUsize,
}

/// A [`DataStore`] over the tables a [`Schema`] names, in SQLite or PostgreSQL.
///
/// - Opening checks the schema against the live database (a missing table or column is refused,
///   naming both) and runs pdpo's own [migrations](crate::migrate) (blob outbox, event table).
/// - Identifiers come only from the validated schema and pass one quoting helper; values are always
///   bound. Lookups are batched `IN` lists, chunked under the backends' bind limits.
/// - [`apply`](DataStore::apply) runs a [`ChangeSet`] in one transaction: deletes that would
///   cascade into records outside the change set are refused before any statement runs; constraint
///   violations map to [`StoreErrorKind`]s; the events go to the [`EventSink`], the
///   [`SqlAuditStore`] (see [`with_audit`](Self::with_audit)) or the `_pdpo_events` table, and
///   blob deletions to the outbox, inside the same transaction.
/// - With a schema that has a `tenant_column`, use [`scoped`](Self::scoped) handles: reads are
///   filtered and inserts stamped with the tenant.
///
/// Clones share the pool and metadata.
#[derive(Clone)]
pub struct SqlStore {
    inner: Arc<Inner>,
    tenant: Option<String>,
    events: EventTarget,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("dialect", &self.inner.dialect)
            .field("tenant", &self.tenant)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

/// The columns an entity needs: `(entity, column)` pairs, in its own table and, for
/// `referenced_by` and `join` links, in other entities' tables.
fn required_columns(schema: &Schema, e: &Entity) -> Vec<(Identifier, Identifier)> {
    let mut own: Vec<&Identifier> = e.key.iter().chain(e.fields.iter().map(|f| &f.name)).collect();
    let l = &e.lifecycle;
    own.extend([&l.created, &l.updated, &l.last_activity, &l.closed].into_iter().flatten());
    own.extend(schema.tenant_column());
    let mut other: Vec<(Identifier, Identifier)> = Vec::new();
    for link in &e.links {
        match &link.kind {
            LinkKind::ForeignKey { columns } => own.extend(columns),
            LinkKind::Array { column } => own.push(column),
            LinkKind::ReferencedBy { columns } => {
                other.extend(columns.iter().map(|c| (link.to.clone(), c.clone())));
            }
            LinkKind::Join { through, columns, to_columns } => {
                other.extend(columns.iter().chain(to_columns).map(|c| (through.clone(), c.clone())));
            }
            _ => {}
        }
    }
    own.into_iter().map(|c| (e.name.clone(), c.clone())).chain(other).collect()
}

/// The type used to read and write a column: the schema's declared type wins (SQLite's declared
/// types are loose), array link columns are arrays, else the introspected type.
fn effective_type(e: &Entity, live: &ColumnInfo, dialect: Dialect) -> ColumnType {
    if let Some(ty) = e.field(&live.name).and_then(|f| f.column_type) {
        return ty;
    }
    let is_array_link =
        e.links.iter().any(|l| matches!(&l.kind, LinkKind::Array { column } if column.as_str() == live.name));
    if is_array_link && dialect == Dialect::Sqlite {
        return ColumnType::Array;
    }
    live.ty
}

impl SqlStore {
    /// Opens a store for `schema` on `pool`: checks every table and column the schema names
    /// against the live database, then applies pdpo's own migrations.
    ///
    /// Fails with [`Error::MissingTable`] / [`Error::MissingColumn`] naming the entity, table and
    /// column; [`Error::Identifier`] for a name that cannot be an SQL identifier; on SQLite,
    /// [`Error::ForeignKeysOff`] if the pool does not enforce foreign keys.
    pub async fn open(pool: impl Into<Pool>, schema: Schema) -> Result<Self> {
        let pool = pool.into();
        let dialect = pool.dialect();
        let mut h = pool.acquire().await.map_err(Error::db("connecting"))?;
        if dialect == Dialect::Sqlite {
            let mut sql = Sql::new(dialect);
            sql.push("SELECT CAST(foreign_keys AS TEXT) FROM pragma_foreign_keys");
            let rows = h.fetch_text(sql, 1).await.map_err(Error::db("reading PRAGMA foreign_keys"))?;
            if rows.first().and_then(|r| r.first()).cloned().flatten().as_deref() != Some("1") {
                return Err(Error::ForeignKeysOff);
            }
        }
        let mut tables = FastMap::default();
        for (schema_index, e) in schema.entities().iter().enumerate() {
            let table_q = quote(&e.table).ok_or_else(|| Error::Identifier { name: e.table.to_string() })?;
            let mut live =
                live_columns(&mut h, dialect, &e.table).await.map_err(Error::db("reading the catalog"))?;
            // Sorted by name, as records hold them: rows decode straight into a record's map.
            live.sort_by(|a, b| a.info.name.cmp(&b.info.name));
            if live.is_empty() {
                return Err(Error::MissingTable { entity: e.name.to_string(), table: e.table.to_string() });
            }
            let mut cols = Vec::with_capacity(live.len());
            let mut index = FastMap::default();
            for lc in live {
                // Columns whose names cannot be quoted safely are never read or written.
                let Some(quoted) = quote(&lc.info.name) else { continue };
                let ty = effective_type(e, &lc.info, dialect);
                index.insert(lc.info.name.clone(), cols.len());
                cols.push(Col { name: lc.info.name.clone(), quoted, ty, live: lc.info, pg: lc.pg });
            }
            let key = e
                .key
                .iter()
                .map(|k| index.get(k.as_str()).copied())
                .collect::<Option<Vec<_>>>()
                .unwrap_or_default();
            let tenant = schema.tenant_column().and_then(|t| index.get(t.as_str()).copied());
            tables.insert(
                e.name.clone(),
                Table {
                    entity: e.name.clone(),
                    schema_index,
                    name: e.table.to_string(),
                    quoted: table_q,
                    cols,
                    index,
                    key,
                    tenant,
                },
            );
        }
        for e in schema.entities() {
            for (entity, column) in required_columns(&schema, e) {
                let Some(t) = tables.get(&entity) else { continue };
                if !t.index.contains_key(column.as_str()) {
                    if quote(&column).is_none() {
                        return Err(Error::Identifier { name: column.to_string() });
                    }
                    return Err(Error::MissingColumn {
                        entity: entity.to_string(),
                        table: t.name.clone(),
                        column: column.to_string(),
                    });
                }
            }
        }
        // The database's own foreign keys between schema tables count too: an `ON DELETE CASCADE`
        // the schema does not mention must not remove records behind the plan's back.
        let mut references = schema.references();
        for e in schema.entities() {
            let fks = live_foreign_keys(&mut h, dialect, &e.table)
                .await
                .map_err(Error::db("reading foreign keys"))?;
            for fk in fks {
                let Some(to) = schema.entities().iter().find(|t| t.table.as_str() == fk.table) else {
                    continue;
                };
                let to_key: Vec<String> = to.key.iter().map(ToString::to_string).collect();
                let to_cols =
                    if fk.to_columns.iter().any(String::is_empty) { to_key.clone() } else { fk.to_columns };
                let known = references.iter().any(|r| {
                    r.from == e.name
                        && r.to == to.name
                        && matches!(&r.by, ReferenceBy::Columns(c) if *c == fk.columns)
                });
                let readable =
                    fk.columns.iter().all(|c| tables.get(&e.name).is_some_and(|t| t.index.contains_key(c)));
                if to_cols == to_key && !known && readable {
                    references.push(Reference::new(
                        e.name.clone(),
                        to.name.clone(),
                        ReferenceBy::Columns(fk.columns),
                    ));
                }
            }
        }
        drop(h);
        migrate(&pool).await?;
        let inner = Inner {
            pool,
            dialect,
            schema,
            tables,
            references,
            fail_at: Mutex::new(None),
            statements: AtomicUsize::new(0),
        };
        Ok(Self { inner: Arc::new(inner), tenant: None, events: EventTarget::Table })
    }

    /// Connects to `url` (`sqlite:` or `postgres:`) and [opens](Self::open) a store. SQLite
    /// connections get [`sqlite_options`](crate::sqlite_options).
    pub async fn connect(url: &str, schema: Schema) -> Result<Self> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            #[cfg(feature = "sqlite")]
            "sqlite" => {
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .connect_with(crate::sqlite_options(url)?)
                    .await
                    .map_err(Error::db("connecting"))?;
                Self::open(pool, schema).await
            }
            #[cfg(feature = "postgres")]
            "postgres" | "postgresql" => {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .connect(url)
                    .await
                    .map_err(Error::db("connecting"))?;
                Self::open(pool, schema).await
            }
            other => Err(Error::UnsupportedUrl { scheme: other.to_owned() }),
        }
    }

    /// A handle on the same database that sees and writes only `tenant`'s records (schemas with
    /// a `tenant_column`).
    #[must_use]
    pub fn scoped(&self, tenant: impl Into<String>) -> Self {
        Self { inner: Arc::clone(&self.inner), tenant: Some(tenant.into()), events: self.events.clone() }
    }

    /// This handle, sending each change set's audit events to `sink` inside its transaction (if
    /// `append` fails, nothing is applied). Without a sink, events are kept in the
    /// `_pdpo_events` table.
    #[must_use]
    pub fn with_sink(mut self, sink: Arc<dyn EventSink>) -> Self {
        self.events = EventTarget::Sink(sink);
        self
    }

    /// This handle, chaining each change set's audit events into `audit` inside the change set's
    /// own transaction: the head row is locked, the events appended, and the data changes and
    /// the events commit together or not at all (a failure anywhere rolls back both). `audit`
    /// must be open on the same database as this store (its pool is used only for reads).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pdpo_audit::AuditStore;
    /// use pdpo_core::{Actor, AuditAction, AuditEvent, ChangeSet, DataStore, Identifier, Key, Record, Schema, SystemClock};
    /// use pdpo_store::{SqlAuditStore, SqlStore, sqlite_options, sqlx};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = sqlx::SqlitePool::connect_with(sqlite_options("sqlite::memory:")?).await?;
    /// sqlx::raw_sql("CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT)").execute(&pool).await?;
    /// let schema = Schema::from_toml_str("subject = \"contacts\"\n[entities.contacts]\nkey = \"id\"\n", None)?;
    /// let log = SqlAuditStore::open(pool.clone(), Identifier::new("acme-crm")?, Arc::new(SystemClock)).await?;
    /// let store = SqlStore::open(pool, schema).await?.with_audit(log.clone());
    /// let mut cs = ChangeSet::new();
    /// cs.insert(Record::new(Identifier::new("contacts")?, Key::from(1)).with("email", "chan@example.hk"));
    /// cs.event(AuditEvent::new(AuditAction::Create, Actor::user("staff-17")?, chrono::Utc::now()));
    /// store.apply(cs).await?;
    /// assert_eq!(log.head().await?.size, 1);
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn with_audit(mut self, audit: SqlAuditStore) -> Self {
        self.events = EventTarget::Audit(audit);
        self
    }

    /// The pool.
    pub fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    /// Testing aid: the next change set fails just before its statement number `at` (0-based,
    /// counting data statements, then the event statements (with an audit log: head lock, seal,
    /// partition, rows, head write; or, when the log's handle knows the committed head and the
    /// events stay in its month, head write and rows as one statement), then outbox inserts),
    /// after the earlier statements ran, as if the backend failed there. Cleared after one use.
    /// On PostgreSQL with a known head, a change set of one update and its events is one
    /// statement in all.
    ///
    /// Consecutive inserts are written as multi-row statements, so a run of inserts counts one
    /// statement per entity and column list (at most 1,000 rows each), not one per record;
    /// consecutive updates count one per table and list of columns set (at most 1,000 rows
    /// each); each delete counts one; events and blob deletions one per 500.
    /// [`last_statement_count`](Self::last_statement_count) says how many a change set ran.
    pub fn inject_failure_at(&self, at: usize) {
        *self.inner.fail_at.lock().unwrap_or_else(PoisonError::into_inner) = Some(at);
    }

    /// Testing aid: how many statements the last change set that this store (or a clone) ran
    /// without error ran, in the numbering of [`inject_failure_at`](Self::inject_failure_at)
    /// (0 before any).
    pub fn last_statement_count(&self) -> usize {
        self.inner.statements.load(Ordering::Relaxed)
    }

    fn table(&self, entity: &str) -> Result<&Table, StoreError> {
        self.inner.tables.get(entity).ok_or_else(|| invalid(format!("unknown entity `{entity}`")))
    }

    /// The schema's entity of `table`.
    fn entity_of(&self, table: &Table) -> &Entity {
        &self.inner.schema.entities()[table.schema_index]
    }

    fn scope(&self) -> Result<Option<&str>, StoreError> {
        match (self.inner.schema.tenant_column(), &self.tenant) {
            (None, _) => Ok(None),
            (Some(_), Some(t)) => Ok(Some(t.as_str())),
            (Some(c), None) => {
                Err(invalid(format!("the schema has tenant column `{c}`: use SqlStore::scoped(tenant)")))
            }
        }
    }

    async fn handle(&self) -> Result<Handle, StoreError> {
        self.inner.pool.acquire().await.map_err(|e| store_error(&e, "connecting", false))
    }

    fn bind(&self, sql: &mut Sql, table: &Table, col: &Col, v: &Value) -> Result<(), StoreError> {
        let b = to_bind(v, col, self.inner.dialect)
            .map_err(|why| invalid(format!("entity `{}`: column `{}`: {why}", table.entity, col.name)))?;
        sql.bind(b, col.pg.cast());
        Ok(())
    }

    /// `SELECT <all columns> FROM <table> AS t`.
    fn select(&self, sql: &mut Sql, table: &Table) {
        sql.push("SELECT ");
        for (i, c) in table.cols.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            if self.inner.dialect == Dialect::Postgres && c.pg.read_as_text() {
                sql.push("CAST(").qualified("t", &c.quoted).push(" AS text) AS ").ident(&c.quoted);
            } else {
                sql.qualified("t", &c.quoted);
            }
        }
        sql.push(" FROM ").ident(&table.quoted).push(" AS t WHERE 1 = 1");
    }

    fn tenant_filter(&self, sql: &mut Sql, table: &Table, tenant: Option<&str>) -> Result<(), StoreError> {
        if let (Some(t), Some(i)) = (tenant, table.tenant) {
            let col = &table.cols[i];
            sql.push(" AND ").qualified("t", &col.quoted).push(" = ");
            self.bind(sql, table, col, &Value::Text(t.to_owned()))?;
        }
        Ok(())
    }

    fn order_by_key(sql: &mut Sql, table: &Table) {
        sql.push(" ORDER BY ");
        for (i, c) in table.key_cols().into_iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.qualified("t", &c.quoted);
        }
    }

    fn to_record(table: &Table, row: Vec<Value>) -> Result<Record, StoreError> {
        let key = Key::from_values(table.key.iter().map(|&i| &row[i])).ok_or_else(|| {
            StoreError::new(
                StoreErrorKind::Backend,
                format!("table `{}`: a row's key columns hold values that cannot be keys", table.name),
            )
        })?;
        let mut r = Record::new(table.entity.clone(), key);
        // The columns are sorted by name (see `open`), so this is a bulk build, not an insert
        // per column.
        r.values = table.cols.iter().map(|c| c.name.clone()).zip(row).collect();
        Ok(r)
    }

    /// Runs a select of `table`'s columns and builds its records. `kept` keeps the statement
    /// prepared on PostgreSQL: for text that does not vary with the number of binds and whose
    /// plan does not depend on the values bound (see [`Handle::fetch_once`]).
    async fn select_records(
        &self,
        h: &mut Handle,
        table: &Table,
        sql: Sql,
        kept: bool,
    ) -> Result<Vec<Record>, StoreError> {
        let cols: Vec<&Col> = table.cols.iter().collect();
        let rows = if kept { h.fetch(sql, &cols).await } else { h.fetch_once(sql, &cols).await }
            .map_err(|e| store_error(&e, &format!("reading `{}`", table.entity), false))?;
        rows.into_iter().map(|r| Self::to_record(table, r)).collect()
    }

    /// Records of `table` whose `columns` tuple is one of `keys`: one array-bound statement on
    /// PostgreSQL when the keys have the columns' native kinds, chunked `IN` lists otherwise.
    async fn select_in(
        &self,
        h: &mut Handle,
        table: &Table,
        columns: &[&Col],
        keys: &[Key],
        tenant: Option<&str>,
    ) -> Result<Vec<Record>, StoreError> {
        check_key_widths(table, columns, keys)?;
        let mut arrays = pg_key_arrays(self.inner.dialect, columns, keys);
        let per_chunk = if arrays.is_some() { keys.len().max(1) } else { (MAX_BINDS / columns.len()).max(1) };
        let mut out = Vec::new();
        for chunk in keys.chunks(per_chunk) {
            let mut sql = Sql::new(self.inner.dialect);
            self.select(&mut sql, table);
            self.tenant_filter(&mut sql, table, tenant)?;
            match arrays.take() {
                Some(arrays) => keys_in_arrays(&mut sql, columns, arrays),
                None => self.keys_in(&mut sql, table, columns, chunk)?,
            }
            Self::order_by_key(&mut sql, table);
            // Not kept prepared: `IN` lists vary with the number of keys, and for the array form
            // PostgreSQL soon switches a prepared statement to a generic plan, which for an array
            // of unknown length plans worse than a custom plan does (the testkit CRM's `collect`
            // took 8.2 ms p50 prepared, 6.4 ms unprepared).
            out.extend(self.select_records(h, table, sql, false).await?);
        }
        Ok(out)
    }

    /// ` AND t.c IN (?, ..)` (one column) or ` AND (t.a, t.b) IN (VALUES (?, ?), ..)`: rows of
    /// `table` (aliased `t`) whose `columns` tuple is one of `keys`, each bound for its column.
    fn keys_in(
        &self,
        sql: &mut Sql,
        table: &Table,
        columns: &[&Col],
        keys: &[Key],
    ) -> Result<(), StoreError> {
        sql.push(" AND ");
        let composite = columns.len() > 1;
        qualified_list(sql, columns, composite);
        sql.push(if composite { " IN (VALUES " } else { " IN (" });
        for (i, k) in keys.iter().enumerate() {
            sql.push(if i > 0 { ", " } else { "" }).push(if composite { "(" } else { "" });
            for (j, (c, part)) in columns.iter().zip(k.parts()).enumerate() {
                if j > 0 {
                    sql.push(", ");
                }
                self.bind(sql, table, c, &part.to_value())?;
            }
            sql.push(if composite { ")" } else { "" });
        }
        sql.push(")");
        Ok(())
    }

    /// Records of `table` whose array column `col` holds any of `values`.
    async fn select_array(
        &self,
        h: &mut Handle,
        table: &Table,
        col: &Col,
        values: &[KeyValue],
        tenant: Option<&str>,
    ) -> Result<Vec<Record>, StoreError> {
        let mut out = Vec::new();
        for chunk in values.chunks(MAX_BINDS) {
            let mut sql = Sql::new(self.inner.dialect);
            self.select(&mut sql, table);
            self.tenant_filter(&mut sql, table, tenant)?;
            match self.inner.dialect {
                Dialect::Sqlite => {
                    sql.push(" AND CASE WHEN json_valid(").qualified("t", &col.quoted);
                    sql.push(") THEN EXISTS (SELECT 1 FROM json_each(").qualified("t", &col.quoted);
                    sql.push(") AS je WHERE je.value IN (");
                    for (i, v) in chunk.iter().enumerate() {
                        if i > 0 {
                            sql.push(", ");
                        }
                        let b = match v {
                            KeyValue::Int(i) => Bind::Int(*i),
                            KeyValue::Uuid(u) => Bind::text(u.hyphenated().to_string()),
                            KeyValue::Text(s) => Bind::text(s.to_string()),
                        };
                        sql.bind(b, None);
                    }
                    sql.push(")) ELSE 0 END");
                }
                Dialect::Postgres if col.live.ty == ColumnType::Array => {
                    let json = serde_json::Value::Array(
                        chunk
                            .iter()
                            .map(|v| match v {
                                KeyValue::Int(i) => (*i).into(),
                                other => other.to_string().into(),
                            })
                            .collect(),
                    );
                    sql.push(" AND ").qualified("t", &col.quoted).push(" && ");
                    self.bind(&mut sql, table, col, &Value::Json(json))?;
                }
                Dialect::Postgres => {
                    let elems: Vec<String> = chunk
                        .iter()
                        .map(|v| match v {
                            KeyValue::Int(i) => i.to_string(),
                            other => serde_json::Value::String(other.to_string()).to_string(),
                        })
                        .collect();
                    sql.push(" AND EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(CAST(");
                    sql.qualified("t", &col.quoted).push(" AS jsonb)) = 'array' THEN CAST(");
                    sql.qualified("t", &col.quoted)
                        .push(" AS jsonb) ELSE '[]'::jsonb END) AS je(v) WHERE je.v = ANY(");
                    sql.bind(Bind::TextArray(elems), Some("jsonb[]")).push("))");
                }
            }
            Self::order_by_key(&mut sql, table);
            // Not kept prepared on PostgreSQL: see `select_in`.
            out.extend(self.select_records(h, table, sql, false).await?);
        }
        Ok(out)
    }

    fn sorted(mut records: Vec<Record>) -> Vec<Record> {
        records.sort_by(|a, b| a.key.cmp(&b.key));
        records.dedup_by(|a, b| a.key == b.key);
        records
    }

    async fn do_find(
        &self,
        h: &mut Handle,
        entity: &str,
        lookup: &Lookup,
        tenant: Option<&str>,
    ) -> Result<Vec<Record>, StoreError> {
        let table = self.table(entity)?;
        let records = match lookup {
            Lookup::Columns { columns, keys } => {
                let cols = columns.iter().map(|c| table.col(c)).collect::<Result<Vec<_>, _>>()?;
                self.select_in(h, table, &cols, keys, tenant).await?
            }
            Lookup::ArrayContains { column, values } => {
                let col = table.col(column)?;
                self.select_array(h, table, col, values, tenant).await?
            }
            _ => return Err(invalid(format!("entity `{entity}`: unsupported lookup"))),
        };
        Ok(Self::sorted(records))
    }

    /// The key's values converted for the table's key columns, in order.
    fn key_binds(&self, table: &Table, target: &RecordRef) -> Result<Vec<Bind>, StoreError> {
        let key = &target.key;
        if key.len() != table.key.len() {
            return Err(invalid(format!(
                "{target}: key has {} column(s), `{}` has {}",
                key.len(),
                table.entity,
                table.key.len()
            )));
        }
        table
            .key_cols()
            .into_iter()
            .zip(key.parts())
            .map(|(c, part)| {
                to_bind(&part.to_value(), c, self.inner.dialect)
                    .map_err(|why| invalid(format!("entity `{}`: column `{}`: {why}", table.entity, c.name)))
            })
            .collect()
    }

    /// ` AND t.k1 = ? AND t.k2 = ?`, then the tenant filter: one record of `table` (aliased
    /// `t`), its key already bound for the key columns (see [`key_binds`](Self::key_binds)).
    fn key_condition(
        &self,
        sql: &mut Sql,
        table: &Table,
        key: Vec<Bind>,
        tenant: Option<&str>,
    ) -> Result<(), StoreError> {
        for (&c, b) in table.key.iter().zip(key) {
            let col = &table.cols[c];
            sql.push(" AND ").qualified("t", &col.quoted).push(" = ").bind(b, col.pg.cast());
        }
        self.tenant_filter(sql, table, tenant)
    }

    /// Refuses the change set if deleting its `deletes` would cascade into (or orphan) a record
    /// it does not delete. Runs before any statement of the change set.
    async fn check_cascades(&self, h: &mut Handle, deletes: &BTreeSet<RecordRef>) -> Result<(), StoreError> {
        let mut by_entity: BTreeMap<&Identifier, Vec<Key>> = BTreeMap::new();
        for d in deletes {
            by_entity.entry(&d.entity).or_default().push(d.key.clone());
        }
        for (entity, keys) in by_entity {
            for r in self.inner.references.iter().filter(|r| r.to == *entity) {
                let from = self.table(&r.from)?;
                let referrers = match &r.by {
                    ReferenceBy::Columns(cols) => {
                        let cols = cols.iter().map(|c| from.col(c)).collect::<Result<Vec<_>, _>>()?;
                        self.select_in(h, from, &cols, &keys, None).await?
                    }
                    ReferenceBy::Array(col) => {
                        let values: Vec<KeyValue> =
                            keys.iter().filter_map(|k| k.parts().first().cloned()).collect();
                        self.select_array(h, from, from.col(col)?, &values, None).await?
                    }
                };
                if let Some(outside) = referrers.iter().find(|x| !deletes.contains(&x.reference())) {
                    return Err(StoreError::new(
                        StoreErrorKind::WouldCascade,
                        format!(
                            "deleting a `{entity}` record would cascade into {}, which the change set does not delete",
                            outside.reference()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn step(&self, fail_at: Option<usize>, n: &mut usize) -> Result<(), StoreError> {
        let at = *n;
        *n += 1;
        if fail_at == Some(at) {
            return Err(StoreError::new(
                StoreErrorKind::Backend,
                format!("injected failure at statement {at}"),
            ));
        }
        Ok(())
    }

    /// PostgreSQL with an audit log: a change set of one update and its events runs as one
    /// statement (see [`AppendAfter::run`](crate::audit::AppendAfter::run)), one round trip
    /// instead of two. `None` when the change set has another shape or the audit log's fast
    /// path does not apply; then nothing ran.
    #[cfg(feature = "postgres")]
    async fn apply_fused(
        &self,
        h: &mut Handle,
        cs: &ChangeSet,
        tenant: Option<&str>,
        fail_at: Option<usize>,
        head: &mut Option<pdpo_audit::Head>,
    ) -> Result<Option<Applied>, StoreError> {
        let (Dialect::Postgres, EventTarget::Audit(log)) = (self.inner.dialect, &self.events) else {
            return Ok(None);
        };
        let [Change::Update { target, set }] = &cs.changes[..] else { return Ok(None) };
        if set.is_empty() || !cs.blob_deletes.is_empty() {
            return Ok(None);
        }
        let Some(append) = log.plan_after(&cs.events)? else { return Ok(None) };
        let table = self.table(&target.entity)?;
        let row = self.prepare_update(table, target.clone(), set.clone())?;
        let mut sql = Sql::new(Dialect::Postgres);
        sql.push("WITH d AS (");
        self.push_update_one(&mut sql, table, &row, tenant)?;
        sql.push(" RETURNING 1)");
        let mut n = 0;
        self.step(fail_at, &mut n)?;
        let what = format!("updating {target} and appending its audit events");
        let (changed, appended) = append.run(&mut h.conn(), sql, &what).await?;
        if changed == 0 {
            return Err(not_found(target));
        }
        *head = match appended {
            Some(new) => Some(new),
            // Another writer moved the head: append the usual way, in this transaction, reading the
            // head under lock (the known one is stale).
            None => {
                log.forget();
                write_events(h, Dialect::Postgres, &self.events, &cs.events, &mut || {
                    self.step(fail_at, &mut n)
                })
                .await?
            }
        };
        self.inner.statements.store(n, Ordering::Relaxed);
        Ok(Some(Applied { updated: 1, events: cs.events.len() as u64, ..Applied::default() }))
    }

    async fn apply_in(
        &self,
        h: &mut Handle,
        cs: ChangeSet,
        tenant: Option<&str>,
        fail_at: Option<usize>,
        head: &mut Option<pdpo_audit::Head>,
    ) -> Result<Applied, StoreError> {
        #[cfg(feature = "postgres")]
        if let Some(applied) = self.apply_fused(h, &cs, tenant, fail_at, head).await? {
            return Ok(applied);
        }
        let dialect = self.inner.dialect;
        let mut applied = Applied::default();
        let deletes: BTreeSet<RecordRef> = cs
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::Delete(r) => Some(r.clone()),
                _ => None,
            })
            .collect();
        for d in &deletes {
            self.table(&d.entity)?;
        }
        if !deletes.is_empty() {
            self.check_cascades(h, &deletes).await?;
        }
        let mut n = 0;
        let mut pending = Vec::new();
        let mut updates = Vec::new();
        let mut deletes = Vec::new();
        let mut changes = cs.changes.into_iter().peekable();
        while let Some(change) = changes.next() {
            match change {
                Change::Insert(r) => {
                    pending.push(r);
                    if !matches!(changes.peek(), Some(Change::Insert(_))) {
                        applied.inserted +=
                            self.insert_run(h, std::mem::take(&mut pending), tenant, fail_at, &mut n).await?;
                    }
                }
                Change::Update { target, set } if set.is_empty() => {
                    // Nothing to write: the change only asserts that the record exists.
                    let table = self.table(&target.entity)?;
                    let mut sql = Sql::new(dialect);
                    sql.push("SELECT 1 FROM ").ident(&table.quoted).push(" AS t WHERE 1 = 1");
                    self.key_condition(&mut sql, table, self.key_binds(table, &target)?, tenant)?;
                    self.step(fail_at, &mut n)?;
                    let found = h
                        .fetch_text(sql, 1)
                        .await
                        .map_err(|e| store_error(&e, &format!("reading {target}"), false))?;
                    if found.is_empty() {
                        return Err(not_found(&target));
                    }
                    applied.updated += 1;
                }
                Change::Update { target, set } => {
                    updates.push(self.prepare_update(self.table(&target.entity)?, target, set)?);
                }
                Change::Delete(target) => {
                    let table = self.table(&target.entity)?;
                    let next_same =
                        matches!(changes.peek(), Some(Change::Delete(t)) if t.entity == target.entity);
                    deletes.push(target);
                    if !next_same {
                        applied.deleted += self
                            .delete_run(h, table, std::mem::take(&mut deletes), tenant, fail_at, &mut n)
                            .await?;
                    }
                }
                other => return Err(invalid(format!("{}: unsupported change", other.target()))),
            }
            if !updates.is_empty() && !matches!(changes.peek(), Some(Change::Update { .. })) {
                applied.updated +=
                    self.update_run(h, std::mem::take(&mut updates), tenant, fail_at, &mut n).await?;
            }
        }
        applied.events = cs.events.len() as u64;
        *head =
            write_events(h, dialect, &self.events, &cs.events, &mut || self.step(fail_at, &mut n)).await?;
        for ids in cs.blob_deletes.chunks(OWN_ROWS_PER_STATEMENT) {
            let mut sql = Sql::new(dialect);
            sql.push("INSERT INTO _pdpo_blob_outbox (blob_id) VALUES ");
            for (i, id) in ids.iter().enumerate() {
                sql.push(if i > 0 { ", (" } else { "(" }).bind(Bind::text(id.clone()), None).push(")");
            }
            sql.push(" ON CONFLICT (blob_id) DO NOTHING");
            self.step(fail_at, &mut n)?;
            let run = if ids.len() == 1 { h.execute(sql).await } else { h.execute_once(sql).await };
            run.map_err(|e| store_error(&e, "queueing blob deletions", false))?;
        }
        self.inner.statements.store(n, Ordering::Relaxed);
        Ok(applied)
    }

    /// Rows of pdpo's own tables, for logical comparisons in tests and tools: the blob outbox
    /// and the event table, as sorted text lines.
    pub async fn pdpo_rows(&self) -> Result<Vec<String>, StoreError> {
        let mut h = self.handle().await?;
        let mut sql = Sql::new(self.inner.dialect);
        sql.push(
            "SELECT 'outbox ' || blob_id FROM _pdpo_blob_outbox UNION ALL \
             SELECT 'event ' || CAST(id AS TEXT) FROM _pdpo_events ORDER BY 1",
        );
        let rows = h.fetch_text(sql, 1).await.map_err(|e| store_error(&e, "reading pdpo tables", false))?;
        Ok(rows.into_iter().filter_map(|r| r.into_iter().next().flatten()).collect())
    }
}

/// What a statement over `count` records of one entity does, for error messages: record
/// references, never values (`updating people[3]`, or `updating 12 `people` records (the first
/// people[3])`).
fn describe(verb: &str, first: &RecordRef, count: usize) -> String {
    if count == 1 {
        format!("{verb} {first}")
    } else {
        format!("{verb} {count} `{}` records (the first {first})", first.entity)
    }
}

/// The error for a change to a record that does not exist (or belongs to another tenant).
fn not_found(target: &RecordRef) -> StoreError {
    StoreError::new(StoreErrorKind::NotFound, format!("{target} does not exist"))
}

/// Refuses keys whose width is not the number of `columns` (and an empty column list).
fn check_key_widths(table: &Table, columns: &[&Col], keys: &[Key]) -> Result<(), StoreError> {
    if columns.is_empty() {
        return Err(invalid(format!("entity `{}`: a lookup needs at least one column", table.entity)));
    }
    match keys.iter().find(|k| k.len() != columns.len()) {
        Some(k) => Err(invalid(format!(
            "entity `{}`: key {k} has {} column(s), the lookup has {}",
            table.entity,
            k.len(),
            columns.len()
        ))),
        None => Ok(()),
    }
}

/// `t.a, t.b`, in parentheses if `parenthesised`.
fn qualified_list(sql: &mut Sql, columns: &[&Col], parenthesised: bool) {
    sql.push(if parenthesised { "(" } else { "" });
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.qualified("t", &c.quoted);
    }
    sql.push(if parenthesised { ")" } else { "" });
}

/// PostgreSQL: ` AND t.c = ANY($1)` (one column) or ` AND (t.a, t.b) IN (SELECT * FROM
/// unnest($1, $2))`, the keys given as one array per column ([`pg_key_arrays`]): one statement
/// text whatever the number of keys.
fn keys_in_arrays(sql: &mut Sql, columns: &[&Col], arrays: Vec<(Bind, &'static str)>) {
    sql.push(" AND ");
    let composite = columns.len() > 1;
    qualified_list(sql, columns, composite);
    sql.push(if composite { " IN (SELECT * FROM unnest(" } else { " = ANY(" });
    for (i, (bind, cast)) in arrays.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(bind, Some(cast));
    }
    sql.push(if composite { "))" } else { ")" });
}

/// PostgreSQL key lookups as one array bind per column, when every key part has the kind the
/// column compares with natively: integers for integer columns (`bigint[]`), text for text
/// columns (`text[]`), UUIDs for UUID columns (`uuid[]`). `None` otherwise (SQLite, no keys,
/// other column types, mixed kinds): the lookup then uses `IN` lists of cast placeholders.
fn pg_key_arrays(dialect: Dialect, columns: &[&Col], keys: &[Key]) -> Option<Vec<(Bind, &'static str)>> {
    use crate::column::PgType;
    if dialect != Dialect::Postgres || keys.is_empty() {
        return None;
    }
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let parts = keys.iter().map(|k| k.parts().get(i));
            match c.pg {
                PgType::Int2 | PgType::Int4 | PgType::Int8 => parts
                    .map(|p| match p {
                        Some(KeyValue::Int(v)) => Some(*v),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()
                    .map(|v| (Bind::IntArray(v), "bigint[]")),
                PgType::Text | PgType::Varchar => parts
                    .map(|p| match p {
                        Some(KeyValue::Text(v)) => Some(v.to_string()),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()
                    .map(|v| (Bind::TextArray(v), "text[]")),
                PgType::Uuid => parts
                    .map(|p| match p {
                        Some(KeyValue::Uuid(v)) => Some(*v),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()
                    .map(|v| (Bind::UuidArray(v), "uuid[]")),
                _ => None,
            }
        })
        .collect()
}

impl DataStore for SqlStore {
    fn schema(&self) -> &Schema {
        &self.inner.schema
    }

    async fn fetch(&self, entity: &str, keys: &[Key]) -> Result<Vec<Record>, StoreError> {
        let table = self.table(entity)?;
        let tenant = self.scope()?;
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut h = self.handle().await?;
        let cols = table.key_cols();
        Ok(Self::sorted(self.select_in(&mut h, table, &cols, keys, tenant).await?))
    }

    async fn find(&self, entity: &str, lookup: &Lookup) -> Result<Vec<Record>, StoreError> {
        self.table(entity)?;
        let tenant = self.scope()?;
        let empty = match lookup {
            Lookup::Columns { keys, .. } => keys.is_empty(),
            Lookup::ArrayContains { values, .. } => values.is_empty(),
            _ => false,
        };
        if empty {
            return Ok(Vec::new());
        }
        let mut h = self.handle().await?;
        self.do_find(&mut h, entity, lookup, tenant).await
    }

    async fn scan_page(&self, entity: &str, after: Option<&Key>, limit: usize) -> Result<Page, StoreError> {
        let table = self.table(entity)?;
        let tenant = self.scope()?;
        if limit == 0 {
            return Ok(Page::default());
        }
        let mut sql = Sql::new(self.inner.dialect);
        self.select(&mut sql, table);
        self.tenant_filter(&mut sql, table, tenant)?;
        if let Some(after) = after {
            if after.len() != table.key.len() {
                return Err(invalid(format!(
                    "entity `{entity}`: resume key {after} has {} column(s), the key has {}",
                    after.len(),
                    table.key.len()
                )));
            }
            let cols = table.key_cols();
            sql.push(" AND (");
            for (i, c) in cols.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.qualified("t", &c.quoted);
            }
            sql.push(") > (");
            for (i, (c, part)) in cols.iter().zip(after.parts()).enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                self.bind(&mut sql, table, c, &part.to_value())?;
            }
            sql.push(")");
        }
        Self::order_by_key(&mut sql, table);
        sql.push(" LIMIT ").bind(Bind::Int(i64::try_from(limit).unwrap_or(i64::MAX)), None);
        let mut h = self.handle().await?;
        let records = self.select_records(&mut h, table, sql, true).await?;
        let next = if records.len() == limit { records.last().map(|r| r.key.clone()) } else { None };
        Ok(Page { records, next })
    }

    async fn apply(&self, changes: ChangeSet) -> Result<Applied, StoreError> {
        let tenant = self.scope()?;
        let fail_at = self.inner.fail_at.lock().unwrap_or_else(PoisonError::into_inner).take();
        let mut h =
            self.inner.pool.begin().await.map_err(|e| store_error(&e, "starting a transaction", false))?;
        let mut head = None;
        match self.apply_in(&mut h, changes, tenant, fail_at, &mut head).await {
            Ok(applied) => {
                h.commit().await.map_err(|e| store_error(&e, "committing", false))?;
                if let (EventTarget::Audit(log), Some(head)) = (&self.events, head) {
                    log.remember(head);
                }
                Ok(applied)
            }
            Err(e) => {
                // Dropping the transaction rolls it back; say so explicitly to release locks now.
                h.rollback().await.ok();
                Err(e)
            }
        }
    }

    async fn columns(&self, entity: &str) -> Result<Vec<ColumnInfo>, StoreError> {
        let table = self.table(entity)?;
        let entity_def =
            self.inner.schema.entity(entity).ok_or_else(|| invalid(format!("unknown entity `{entity}`")))?;
        let mut h = self.handle().await?;
        let live = live_columns(&mut h, self.inner.dialect, &table.name)
            .await
            .map_err(|e| store_error(&e, &format!("reading the columns of `{entity}`"), false))?;
        Ok(live
            .into_iter()
            .map(|lc| {
                let ty = effective_type(entity_def, &lc.info, self.inner.dialect);
                ColumnInfo { ty, ..lc.info }
            })
            .collect())
    }

    async fn pending_blob_deletes(&self) -> Result<Vec<String>, StoreError> {
        let mut h = self.handle().await?;
        let mut sql = Sql::new(self.inner.dialect);
        sql.push("SELECT blob_id FROM _pdpo_blob_outbox ORDER BY queued_at, blob_id");
        let rows =
            h.fetch_text(sql, 1).await.map_err(|e| store_error(&e, "reading the blob outbox", false))?;
        Ok(rows.into_iter().filter_map(|r| r.into_iter().next().flatten()).collect())
    }

    async fn ack_blob_deletes(&self, ids: &[String]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut h =
            self.inner.pool.begin().await.map_err(|e| store_error(&e, "starting a transaction", false))?;
        for chunk in ids.chunks(MAX_BINDS) {
            let mut sql = Sql::new(self.inner.dialect);
            sql.push("DELETE FROM _pdpo_blob_outbox WHERE blob_id IN (");
            for (i, id) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(Bind::text(id.clone()), None);
            }
            sql.push(")");
            h.execute(sql).await.map_err(|e| store_error(&e, "acknowledging blob deletions", false))?;
        }
        h.commit().await.map_err(|e| store_error(&e, "committing", false))
    }
}
