//! The update path of [`SqlStore::apply`]: a run of consecutive updates becomes one statement per
//! table and set of columns.
//!
//! A run of consecutive [`Change::Update`](pdpo_core::Change::Update)s is validated row by row
//! first (key length, no key or tenant column changed, every value converted for its column), then
//! grouped: updates of one table that set the same columns share a statement, up to [`MAX_ROWS`](super::insert::MAX_ROWS)
//! and the backend's bind limit. Updates of different records commute, so a group may run before
//! an update given earlier in the run; the updates of one record always run in their given order
//! (an update joins a group only if no later group already touched its record, and a group never
//! holds one record twice).
//!
//! A group of one row is the plain `UPDATE t SET .. WHERE key = ..`. Several rows are joined from a
//! derived table: on SQLite `UPDATE t SET c = v.column3 FROM (VALUES (?, ?, ?), ..) AS v WHERE
//! t.k = v.column1 ..`; on PostgreSQL the rows come from `unnest` of one array per column (see
//! [`super::bulk`]), or from a `VALUES` list of cast placeholders when a value does not have its
//! column's native kind. A group that updates fewer rows than it holds is replayed row by row to
//! name the record that does not exist (or belongs to another tenant), and one that violates a
//! constraint is replayed likewise to name the record at fault (on PostgreSQL the group runs under
//! a savepoint, so the transaction stays usable for that replay); the change set then fails and
//! its transaction rolls back.

use std::collections::BTreeMap;

use pdpo_core::{Identifier, RecordRef, StoreError, Value};

use super::bulk::{Bulk, Savepoint, bulk_column, execute_bulk, unnest_from, unnested};
use super::insert::{SCOPE_BINDS, rows_per_statement};
use super::{FastMap, SqlStore, Table, describe, not_found};
use crate::backend::Handle;
use crate::error::store_error;
use crate::sql::{Bind, Dialect, Sql, invalid};

/// One validated update, ready to bind.
#[derive(Debug)]
pub(super) struct UpdateRow {
    target: RecordRef,
    /// The key's values, converted for the key columns.
    key: Vec<Bind>,
    /// Indexes into the table's columns of the columns set, in the set's (sorted) order.
    cols: Vec<usize>,
    /// The new values, one per entry of `cols`.
    binds: Vec<Bind>,
}

impl SqlStore {
    /// Checks an update against its table and turns it into an [`UpdateRow`].
    pub(super) fn prepare_update(
        &self,
        table: &Table,
        target: RecordRef,
        set: BTreeMap<String, Value>,
    ) -> Result<UpdateRow, StoreError> {
        let key = self.key_binds(table, &target)?;
        let mut cols = Vec::with_capacity(set.len());
        let mut binds = Vec::with_capacity(set.len());
        for (name, v) in &set {
            let i = table.column_index(name)?;
            if table.key.contains(&i) {
                return Err(invalid(format!("{target}: key column `{name}` cannot change")));
            }
            if table.tenant == Some(i) {
                return Err(invalid(format!("{target}: tenant column `{name}` cannot change")));
            }
            binds.push(table.bind(i, v, self.inner.dialect)?);
            cols.push(i);
        }
        Ok(UpdateRow { target, key, cols, binds })
    }

    /// Writes a run of consecutive updates (none with an empty set); returns how many records
    /// were updated. Each statement counts once for
    /// [`inject_failure_at`](SqlStore::inject_failure_at).
    pub(super) async fn update_run(
        &self,
        h: &mut Handle,
        rows: Vec<UpdateRow>,
        tenant: Option<&str>,
        fail_at: Option<usize>,
        n: &mut usize,
    ) -> Result<u64, StoreError> {
        for group in self.update_groups(&rows) {
            let group: Vec<&UpdateRow> = group.iter().map(|&i| &rows[i]).collect();
            self.step(fail_at, n)?;
            self.update_group(h, &group, tenant).await?;
        }
        Ok(rows.len() as u64)
    }

    /// Splits a run into groups of indexes into `rows` (updates of one table setting one list of
    /// columns; see the module documentation), in the order they must run.
    fn update_groups(&self, rows: &[UpdateRow]) -> Vec<Vec<usize>> {
        let dialect = self.inner.dialect;
        let mut groups: Vec<Vec<usize>> = Vec::new();
        // The latest group of each (entity, column list), and the latest group of each record.
        let mut open: FastMap<(&Identifier, &[usize]), usize> = FastMap::default();
        let mut last: FastMap<&RecordRef, usize> = FastMap::default();
        for (i, row) in rows.iter().enumerate() {
            let width = row.key.len() + row.cols.len();
            let joins = open.get(&(&row.target.entity, &row.cols[..])).copied().filter(|&g| {
                last.get(&row.target).is_none_or(|&l| l < g)
                    && groups[g].len() < rows_per_statement(dialect, width, SCOPE_BINDS)
            });
            let g = match joins {
                Some(g) => g,
                None => {
                    groups.push(Vec::new());
                    open.insert((&row.target.entity, &row.cols[..]), groups.len() - 1);
                    groups.len() - 1
                }
            };
            groups[g].push(i);
            last.insert(&row.target, g);
        }
        groups
    }

    /// Runs one group; fails with `NotFound` naming a record the group did not update.
    async fn update_group(
        &self,
        h: &mut Handle,
        rows: &[&UpdateRow],
        tenant: Option<&str>,
    ) -> Result<(), StoreError> {
        let Some(first) = rows.first() else { return Ok(()) };
        let table = self.table(&first.target.entity)?;
        let what = || describe("updating", &first.target, rows.len());
        let savepoint = Savepoint::open(h, self.inner.dialect, rows.len())
            .await
            .map_err(|e| store_error(&e, &what(), false))?;
        let updated = if rows.len() == 1 {
            h.execute(self.update_one_sql(table, first, tenant)?).await
        } else {
            let bulk = match self.inner.dialect {
                Dialect::Postgres => unnest_update(table, rows, tenant),
                Dialect::Sqlite => None,
            };
            match bulk {
                Some(bulk) => execute_bulk(h, bulk).await,
                None => {
                    let sql = self.update_values_sql(table, rows, tenant)?;
                    let width = first.key.len() + first.cols.len();
                    let full = rows_per_statement(self.inner.dialect, width, SCOPE_BINDS);
                    if rows.len() == full { h.execute(sql).await } else { h.execute_once(sql).await }
                }
            }
        };
        let updated = match updated {
            Ok(n) => {
                savepoint.release(h).await.map_err(|e| store_error(&e, &what(), false))?;
                n
            }
            Err(e) => {
                // Any database error (a constraint, a trigger's abort, a type check): name the row.
                if rows.len() > 1 && matches!(e, sqlx::Error::Database(_)) && savepoint.recover(h).await {
                    // Name the record at fault: replay the rows one by one.
                    for row in rows {
                        h.execute(self.update_one_sql(table, row, tenant)?)
                            .await
                            .map_err(|e| store_error(&e, &describe("updating", &row.target, 1), false))?;
                    }
                }
                return Err(store_error(&e, &what(), false));
            }
        };
        if updated == rows.len() as u64 {
            return Ok(());
        }
        // Some record is missing: find it (the transaction rolls back, so replaying is harmless).
        if rows.len() > 1 {
            for row in rows {
                let one = h
                    .execute(self.update_one_sql(table, row, tenant)?)
                    .await
                    .map_err(|e| store_error(&e, &describe("updating", &row.target, 1), false))?;
                if one == 0 {
                    return Err(not_found(&row.target));
                }
            }
        }
        Err(not_found(&first.target))
    }

    /// `UPDATE table AS t SET a = ?, .. WHERE 1 = 1 AND t.k = ? ..` for one row.
    fn update_one_sql(
        &self,
        table: &Table,
        row: &UpdateRow,
        tenant: Option<&str>,
    ) -> Result<Sql, StoreError> {
        let mut sql = Sql::new(self.inner.dialect);
        self.push_update_one(&mut sql, table, row, tenant)?;
        Ok(sql)
    }

    /// Appends the statement of [`update_one_sql`](Self::update_one_sql) to `sql` (which may
    /// hold a statement's beginning, such as `WITH d AS (`).
    pub(super) fn push_update_one(
        &self,
        sql: &mut Sql,
        table: &Table,
        row: &UpdateRow,
        tenant: Option<&str>,
    ) -> Result<(), StoreError> {
        sql.push("UPDATE ").ident(&table.quoted).push(" AS t SET ");
        for (i, (&c, b)) in row.cols.iter().zip(&row.binds).enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let col = &table.cols[c];
            sql.ident(&col.quoted).push(" = ").bind(b.clone(), col.pg.cast());
        }
        sql.push(" WHERE 1 = 1");
        self.key_condition(sql, table, row.key.clone(), tenant)
    }

    /// `UPDATE table AS t SET a = v.c2, .. FROM (VALUES (..), ..) AS v WHERE 1 = 1 AND t.k =
    /// v.c0 ..` for several rows (`rows` is not empty) with one column list. Columns of `v`: the
    /// key's, then the set ones.
    fn update_values_sql(
        &self,
        table: &Table,
        rows: &[&UpdateRow],
        tenant: Option<&str>,
    ) -> Result<Sql, StoreError> {
        let dialect = self.inner.dialect;
        let (keys, cols) = rows.first().map_or((0, &[][..]), |r| (r.key.len(), &r.cols[..]));
        let mut sql = Sql::new(dialect);
        sql.push("UPDATE ").ident(&table.quoted).push(" AS t SET ");
        for (i, &c) in cols.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.ident(&table.cols[c].quoted).push(" = ");
            derived_column(&mut sql, dialect, keys + i);
        }
        sql.push(" FROM (VALUES ");
        for (j, row) in rows.iter().enumerate() {
            sql.push(if j > 0 { ", (" } else { "(" });
            let values = table.key.iter().zip(&row.key).chain(row.cols.iter().zip(&row.binds));
            for (i, (&c, b)) in values.enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(b.clone(), table.cols[c].pg.cast());
            }
            sql.push(")");
        }
        sql.push(") AS v");
        if dialect == Dialect::Postgres {
            // SQLite names the columns of a VALUES list `column1, column2, ..`; PostgreSQL takes
            // an alias list.
            sql.push("(");
            for i in 0..keys + cols.len() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("c").int(i as i64);
            }
            sql.push(")");
        }
        sql.push(" WHERE 1 = 1");
        for (i, &c) in table.key.iter().enumerate() {
            sql.push(" AND ").qualified("t", &table.cols[c].quoted).push(" = ");
            derived_column(&mut sql, dialect, i);
        }
        self.tenant_filter(&mut sql, table, tenant)?;
        Ok(sql)
    }
}

/// Column `i` of the derived table `v` of [`SqlStore::update_values_sql`].
fn derived_column(sql: &mut Sql, dialect: Dialect, i: usize) {
    match dialect {
        Dialect::Sqlite => sql.push("v.column").int(i as i64 + 1),
        Dialect::Postgres => sql.push("v.c").int(i as i64),
    };
}

/// The PostgreSQL bulk update of `rows` (one table, one column list, several rows): `UPDATE t SET
/// a = CAST(u.c1 AS ..) FROM unnest(..) AS u(c0, c1) WHERE t.k = CAST(u.c0 AS ..)`; a scoped
/// store's tenant is one more array, so every placeholder is an array and the text depends only on
/// the table and columns. `None` when a column cannot go through arrays (see [`bulk_column`]).
fn unnest_update(table: &Table, rows: &[&UpdateRow], tenant: Option<&str>) -> Option<Bulk> {
    let first = rows.first()?;
    let keys = first.key.len();
    let mut columns = Vec::with_capacity(keys + first.cols.len() + 1);
    for (j, &c) in table.key.iter().chain(&first.cols).enumerate() {
        let col = &table.cols[c];
        col.pg.cast()?;
        let values = rows.iter().map(|r| if j < keys { &r.key[j] } else { &r.binds[j - keys] });
        columns.push(bulk_column(col, values)?);
    }
    let scope = match (tenant, table.tenant) {
        (Some(t), Some(i)) => {
            let stamps: Vec<Bind> = rows.iter().map(|_| Bind::text(t)).collect();
            columns.push(bulk_column(&table.cols[i], stamps.iter())?);
            Some(i)
        }
        _ => None,
    };
    let mut sql = Sql::new(Dialect::Postgres);
    sql.push("UPDATE ").ident(&table.quoted).push(" AS t SET ");
    for (i, &c) in first.cols.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        let col = &table.cols[c];
        sql.ident(&col.quoted).push(" = ");
        unnested(&mut sql, keys + i, col.pg.cast()?);
    }
    unnest_from(&mut sql, &columns);
    let conditions = table.key.iter().copied().enumerate().chain(scope.map(|i| (columns.len() - 1, i)));
    for (n, (j, c)) in conditions.enumerate() {
        let col = &table.cols[c];
        sql.push(if n > 0 { " AND " } else { " WHERE " });
        sql.qualified("t", &col.quoted).push(" = ");
        unnested(&mut sql, j, col.pg.cast()?);
    }
    Some(Bulk { sql, columns })
}
