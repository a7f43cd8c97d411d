//! The insert path of [`SqlStore::apply`]: consecutive inserts become multi-row
//! `INSERT ... VALUES (...), (...)` statements.
//!
//! A run of consecutive [`Change::Insert`](pdpo_core::Change::Insert)s is written entity by
//! entity: parents before children along the schema's and the database's foreign keys, so a child
//! row never precedes the row it refers to (when the entities of the run refer to each other in a
//! cycle, the run keeps its order and only neighbouring rows of one entity share a statement). Rows
//! of one entity keep their order. A statement holds rows with the same column list, up to the
//! backend's bind limit ([`Dialect::max_binds`]) and [`MAX_ROWS`]. Each row is checked (key
//! columns, tenant stamp, column names and value types) and converted as its statement is put
//! together, which happens while the previous statement runs (see [`overlap`]).
//!
//! On PostgreSQL, a statement of several rows is `INSERT INTO t (cols) SELECT CAST(u.c0 AS ..), ..
//! FROM unnest($1, $2, ..) AS u(c0, c1, ..)`: one array bind per column ([`Bulk`]), so the text
//! depends only on the table and column list and stays prepared, and the server parses and plans
//! a few placeholders instead of thousands. A batch whose values do not all have their column's
//! native kind (text bound into an integer column, say), or a column of a type without a cast,
//! falls back to `VALUES` lists.
//!
//! When a multi-row statement hits a constraint (duplicate key, missing reference, NOT NULL,
//! CHECK), its rows are replayed one per statement to name the record at fault; on PostgreSQL the
//! statement runs under a savepoint so the transaction stays usable for that replay. The change set
//! fails either way and its transaction rolls back.

use pdpo_core::{Identifier, Record, RecordRef, ReferenceBy, StoreError, Value};

use super::bulk::{Bulk, Savepoint, bulk_column, execute_bulk, is_constraint, unnest_from, unnested};
use super::{FastMap, SqlStore, Table, describe};
use crate::backend::{Handle, overlap};
#[cfg(feature = "sqlite")]
use crate::backend::{SqliteQuery, sqlite_query};
use crate::error::store_error;
use crate::sql::{Bind, Dialect, Sql, invalid};

/// The most rows one `INSERT` holds, whatever the bind limit allows: larger statements gain
/// nothing measurable and cost parse time and memory.
pub(super) const MAX_ROWS: usize = 1_000;

/// Binds an update or delete statement may hold besides its rows': the tenant condition.
pub(super) const SCOPE_BINDS: usize = 1;

/// The most rows of `width` binds each that one statement holds: [`MAX_ROWS`], or fewer to stay
/// within the backend's bind limit once `other` binds (see [`SCOPE_BINDS`]) are set aside.
pub(super) fn rows_per_statement(dialect: Dialect, width: usize, other: usize) -> usize {
    MAX_ROWS.min(dialect.max_binds().saturating_sub(other) / width.max(1))
}

/// One validated row, ready to bind.
#[derive(Debug)]
pub(super) struct Row {
    target: RecordRef,
    /// Indexes into the table's columns, in the row's (sorted) column order.
    cols: Vec<usize>,
    binds: Vec<Bind>,
}

impl SqlStore {
    /// Checks an inserted record against its table and turns it into a [`Row`]: key columns
    /// filled from the key (or checked against it), the tenant column stamped (or checked),
    /// every value converted for its column.
    pub(super) fn prepare_insert(
        &self,
        table: &Table,
        mut r: Record,
        tenant: Option<&str>,
    ) -> Result<Row, StoreError> {
        r.fill_key_columns(self.entity_of(table))?;
        let target = r.reference();
        if let (Some(t), Some(c)) = (tenant, self.inner.schema.tenant_column()) {
            match r.values.get(c.as_str()) {
                None => {
                    r.values.insert(c.to_string(), Value::Text(t.to_owned()));
                }
                Some(v) if v.as_text() == Some(t) => {}
                Some(_) => {
                    return Err(invalid(format!("{target}: tenant column `{c}` names another tenant")));
                }
            }
        }
        let mut cols = Vec::with_capacity(r.values.len());
        let mut binds = Vec::with_capacity(r.values.len());
        for (name, v) in &r.values {
            let i = table.column_index(name)?;
            binds.push(table.bind(i, v, self.inner.dialect)?);
            cols.push(i);
        }
        Ok(Row { target, cols, binds })
    }

    /// The order to write a run of inserts in: entity by entity, referenced entities first,
    /// records of one entity in their given order. `None` when the run's entities refer to each
    /// other in a cycle (then the run is written as given).
    fn insert_order(&self, inserts: &[Record]) -> Option<Vec<usize>> {
        let mut entities: Vec<&Identifier> = Vec::new();
        for r in inserts {
            if !entities.contains(&&r.entity) {
                entities.push(&r.entity);
            }
        }
        if entities.len() < 2 {
            return Some((0..inserts.len()).collect());
        }
        let pos = |e: &Identifier| entities.iter().position(|x| *x == e);
        // parents[i]: the entities of the run that entity i refers to through columns.
        let mut parents: Vec<Vec<usize>> = vec![Vec::new(); entities.len()];
        for r in &self.inner.references {
            if r.from == r.to || !matches!(r.by, ReferenceBy::Columns(_)) {
                continue;
            }
            if let (Some(from), Some(to)) = (pos(&r.from), pos(&r.to)) {
                parents[from].push(to);
            }
        }
        // Kahn's algorithm, picking the earliest-seen ready entity each time.
        let mut rank = vec![usize::MAX; entities.len()];
        for next in 0..entities.len() {
            let ready = (0..entities.len())
                .find(|&i| rank[i] == usize::MAX && parents[i].iter().all(|&p| rank[p] != usize::MAX))?;
            rank[ready] = next;
        }
        let rank_of: FastMap<&Identifier, usize> = entities.iter().copied().zip(rank).collect();
        let mut order: Vec<usize> = (0..inserts.len()).collect();
        order.sort_by_key(|&i| rank_of[&inserts[i].entity]);
        Some(order)
    }

    /// Writes a run of consecutive inserts; returns how many rows were inserted. Each statement
    /// counts once for [`inject_failure_at`](SqlStore::inject_failure_at).
    ///
    /// Rows are validated and converted batch by batch: while one statement runs (on SQLite's
    /// worker thread, or on the PostgreSQL server), the next batch is prepared on this thread
    /// (see [`overlap`]). A bad record therefore fails the change set after the statements
    /// before it ran; the transaction rolls back either way.
    pub(super) async fn insert_run(
        &self,
        h: &mut Handle,
        inserts: Vec<Record>,
        tenant: Option<&str>,
        fail_at: Option<usize>,
        n: &mut usize,
    ) -> Result<u64, StoreError> {
        let total = inserts.len() as u64;
        let order = self.insert_order(&inserts).unwrap_or_else(|| (0..inserts.len()).collect());
        let mut slots: Vec<Option<Record>> = inserts.into_iter().map(Some).collect();
        let mut queue = order.into_iter().filter_map(move |i| slots[i].take());
        let mut carry = None;
        let mut next = self.next_batch(&mut queue, &mut carry, tenant)?;
        while let Some(batch) = next {
            self.step(fail_at, n)?;
            // Opened first, so that what overlaps the next batch's preparation is the insert itself.
            let savepoint = Savepoint::open(h, self.inner.dialect, batch.rows.len())
                .await
                .map_err(|e| store_error(&e, &batch.what(), false))?;
            let (done, following) = overlap(self.insert_batch(h, batch, savepoint), || {
                self.next_batch(&mut queue, &mut carry, tenant)
            })
            .await;
            done?;
            next = following?;
        }
        Ok(total)
    }

    /// Prepares the next statement from `queue`: rows of one entity with one column list, up to
    /// [`MAX_ROWS`] and the bind limit, and the statement that inserts them. A prepared row that
    /// starts another statement waits in `carry`. `None` once `queue` and `carry` are empty.
    fn next_batch(
        &self,
        queue: &mut impl Iterator<Item = Record>,
        carry: &mut Option<Row>,
        tenant: Option<&str>,
    ) -> Result<Option<Batch>, StoreError> {
        let dialect = self.inner.dialect;
        let mut batch: Vec<Row> = carry.take().into_iter().collect();
        let full = |batch: &[Row]| {
            batch.first().is_some_and(|first| batch.len() >= rows_per_statement(dialect, first.cols.len(), 0))
        };
        while !full(&batch) {
            let Some(record) = queue.next() else { break };
            let row = self.prepare_insert(self.table(&record.entity)?, record, tenant)?;
            match batch.first() {
                Some(first) if first.target.entity != row.target.entity || first.cols != row.cols => {
                    *carry = Some(row);
                    break;
                }
                _ => batch.push(row),
            }
        }
        if batch.is_empty() {
            return Ok(None);
        }
        let statement = self.insert_statement(&batch)?;
        Ok(Some(Batch { rows: batch, statement }))
    }

    /// `INSERT INTO table (cols) VALUES (...), (...)` for rows of one entity with one column list.
    fn insert_sql(&self, table: &Table, rows: &[Row]) -> Sql {
        let mut sql = Sql::new(self.inner.dialect);
        sql.push("INSERT INTO ").ident(&table.quoted).push(" (");
        let cols = rows.first().map_or(&[][..], |r| &r.cols[..]);
        for (i, &c) in cols.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.ident(&table.cols[c].quoted);
        }
        sql.push(") VALUES ");
        for (j, row) in rows.iter().enumerate() {
            sql.push(if j > 0 { ", (" } else { "(" });
            for (i, (&c, b)) in row.cols.iter().zip(&row.binds).enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(b.clone(), table.cols[c].pg.cast());
            }
            sql.push(")");
        }
        sql
    }

    /// Runs one (multi-row) insert; on a constraint violation, names the record at fault.
    async fn insert_batch(
        &self,
        h: &mut Handle,
        batch: Batch,
        savepoint: Savepoint,
    ) -> Result<(), StoreError> {
        let Batch { rows, statement } = batch;
        let Some(first) = rows.first() else { return Ok(()) };
        let table = self.table(&first.target.entity)?;
        let what = || describe("inserting", &first.target, rows.len());
        let run = match statement {
            Statement::Bulk(bulk) => execute_bulk(h, bulk).await,
            Statement::Kept(sql) => h.execute(sql).await,
            Statement::Once(sql) => h.execute_once(sql).await,
            #[cfg(feature = "sqlite")]
            Statement::Sqlite(query) => h.execute_sqlite(query).await,
        };
        let Err(err) = run else {
            return savepoint.release(h).await.map_err(|e| store_error(&e, &what(), false));
        };
        if rows.len() > 1 && is_constraint(&err) && savepoint.recover(h).await {
            for row in &rows {
                if let Err(e) = h.execute(self.insert_sql(table, std::slice::from_ref(row))).await {
                    return Err(store_error(&e, &describe("inserting", &row.target, 1), false));
                }
            }
        }
        Err(store_error(&err, &what(), false))
    }

    /// The statement that inserts `rows` (one entity, one column list).
    ///
    /// PostgreSQL takes a run as one `INSERT .. SELECT FROM unnest(..)` whose text does not
    /// depend on the row count. On SQLite, full statements recur from one change set to the next
    /// and stay prepared; the odd-sized rest of a run rarely recurs, so it is not cached (see
    /// `Handle::execute_once`).
    fn insert_statement(&self, rows: &[Row]) -> Result<Statement, StoreError> {
        let Some(first) = rows.first() else { return Err(invalid("an insert statement needs a row".into())) };
        let table = self.table(&first.target.entity)?;
        if self.inner.dialect == Dialect::Postgres
            && let Some(bulk) = unnest_insert(table, rows)
        {
            return Ok(Statement::Bulk(bulk));
        }
        let full = rows_per_statement(self.inner.dialect, first.cols.len(), 0);
        let sql = self.insert_sql(table, rows);
        let kept = rows.len() == full || rows.len() == 1;
        #[cfg(feature = "sqlite")]
        if self.inner.dialect == Dialect::Sqlite {
            return Ok(Statement::Sqlite(sqlite_query(sql, kept)));
        }
        Ok(if kept { Statement::Kept(sql) } else { Statement::Once(sql) })
    }
}

/// The rows of one insert statement, and the statement.
struct Batch {
    rows: Vec<Row>,
    statement: Statement,
}

impl Batch {
    /// What the statement does, for errors.
    fn what(&self) -> String {
        self.rows
            .first()
            .map_or_else(String::new, |first| describe("inserting", &first.target, self.rows.len()))
    }
}

/// An insert statement: kept prepared, run once, a PostgreSQL bulk statement, or a SQLite
/// statement already bound (so binding, too, happens while the previous statement runs).
enum Statement {
    Kept(Sql),
    Once(Sql),
    Bulk(Bulk),
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteQuery),
}

/// The PostgreSQL bulk insert of `rows` (one entity, one column list), or `None` on SQLite,
/// for a single row, or when a column cannot go through arrays (see [`bulk_column`]).
fn unnest_insert(table: &Table, rows: &[Row]) -> Option<Bulk> {
    let first = rows.first()?;
    if rows.len() < 2 || first.binds.is_empty() {
        return None;
    }
    let mut columns = Vec::with_capacity(first.cols.len());
    for (j, &c) in first.cols.iter().enumerate() {
        let col = &table.cols[c];
        col.pg.cast()?;
        columns.push(bulk_column(col, rows.iter().map(|r| &r.binds[j]))?);
    }
    let mut sql = Sql::new(Dialect::Postgres);
    sql.push("INSERT INTO ").ident(&table.quoted).push(" (");
    for (j, &c) in first.cols.iter().enumerate() {
        if j > 0 {
            sql.push(", ");
        }
        sql.ident(&table.cols[c].quoted);
    }
    sql.push(") SELECT ");
    for (j, &c) in first.cols.iter().enumerate() {
        if j > 0 {
            sql.push(", ");
        }
        unnested(&mut sql, j, table.cols[c].pg.cast()?);
    }
    unnest_from(&mut sql, &columns);
    Some(Bulk { sql, columns })
}
