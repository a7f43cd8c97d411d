//! The delete path of [`SqlStore::apply`]: consecutive deletes of one table become one
//! `DELETE .. WHERE key IN (..)` per 1,000 records.
//!
//! Keys are matched as lookups match them (`= ANY` of arrays on PostgreSQL, `IN` lists otherwise).
//! The statement returns the keys it deleted (`RETURNING`, as text), so a record that does not
//! exist (or belongs to another tenant) is named, as a single delete names it; the change set then
//! fails and its transaction rolls back. A record named twice in a run goes into a later statement,
//! where it is found missing, as one-by-one deletes would find it.

use std::collections::HashSet;

use pdpo_core::{Key, RecordRef, StoreError};

use super::insert::{SCOPE_BINDS, rows_per_statement};
use super::{SqlStore, Table, check_key_widths, describe, keys_in_arrays, not_found, pg_key_arrays};
use crate::backend::Handle;
use crate::error::store_error;
use crate::sql::Sql;

impl SqlStore {
    /// Deletes `targets` (all of `table`, in order); returns how many records were deleted.
    /// Each statement counts once for [`inject_failure_at`](SqlStore::inject_failure_at).
    pub(super) async fn delete_run(
        &self,
        h: &mut Handle,
        table: &Table,
        targets: Vec<RecordRef>,
        tenant: Option<&str>,
        fail_at: Option<usize>,
        n: &mut usize,
    ) -> Result<u64, StoreError> {
        let per_statement = rows_per_statement(self.inner.dialect, table.key.len(), SCOPE_BINDS);
        let mut rest = &targets[..];
        while !rest.is_empty() {
            // A statement holds distinct records only.
            let mut seen = HashSet::new();
            let len = rest.iter().take(per_statement).take_while(|t| seen.insert(*t)).count();
            let (group, tail) = rest.split_at(len);
            rest = tail;
            self.step(fail_at, n)?;
            self.delete_group(h, table, group, tenant).await?;
        }
        Ok(targets.len() as u64)
    }

    async fn delete_group(
        &self,
        h: &mut Handle,
        table: &Table,
        group: &[RecordRef],
        tenant: Option<&str>,
    ) -> Result<(), StoreError> {
        let Some(first) = group.first() else { return Ok(()) };
        let what = || describe("deleting", first, group.len());
        let keys: Vec<Key> = group.iter().map(|t| t.key.clone()).collect();
        let columns = table.key_cols();
        check_key_widths(table, &columns, &keys)?;
        let mut sql = Sql::new(self.inner.dialect);
        sql.push("DELETE FROM ").ident(&table.quoted).push(" AS t WHERE 1 = 1");
        self.tenant_filter(&mut sql, table, tenant)?;
        // One text whatever the number of keys with PostgreSQL arrays (kept prepared); `IN` lists
        // otherwise, kept only for a single record.
        let kept = match pg_key_arrays(self.inner.dialect, &columns, &keys) {
            Some(arrays) => {
                keys_in_arrays(&mut sql, &columns, arrays);
                true
            }
            None => {
                self.keys_in(&mut sql, table, &columns, &keys)?;
                group.len() == 1
            }
        };
        // Unqualified: SQLite's RETURNING does not take the table's alias.
        sql.push(" RETURNING ");
        for (i, c) in columns.iter().enumerate() {
            sql.push(if i > 0 { ", CAST(" } else { "CAST(" }).ident(&c.quoted).push(" AS TEXT)");
        }
        let deleted = if kept {
            h.fetch_text(sql, columns.len()).await
        } else {
            h.fetch_text_once(sql, columns.len()).await
        }
        .map_err(|e| store_error(&e, &what(), true))?;
        if deleted.len() == group.len() {
            return Ok(());
        }
        // Name the first record not deleted (the transaction rolls back).
        let gone: HashSet<Vec<String>> =
            deleted.into_iter().map(|row| row.into_iter().map(Option::unwrap_or_default).collect()).collect();
        let missing = group
            .iter()
            .find(|t| !gone.contains(&t.key.parts().iter().map(ToString::to_string).collect::<Vec<_>>()))
            .unwrap_or(first);
        Err(not_found(missing))
    }
}
