//! The delete path of [`SqlStore::apply`]: consecutive deletes of one table become one
//! `DELETE .. WHERE key IN (..)` per 1,000 records.
//!
//! The statement returns the keys it deleted (`RETURNING`, as text), so a record that does not
//! exist (or belongs to another tenant) is named, as a single delete names it; the change set then
//! fails and its transaction rolls back. A record named twice in a run goes into a later statement,
//! where it is found missing, as one-by-one deletes would find it.

use std::collections::HashSet;

use pdpo_core::{RecordRef, StoreError, StoreErrorKind};

use super::insert::MAX_ROWS;
use super::{SqlStore, Table};
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
        let width = table.key.len().max(1);
        let per_statement = MAX_ROWS.min((self.inner.dialect.max_binds() - 1) / width);
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
        let what = if group.len() == 1 {
            format!("deleting {first}")
        } else {
            format!("deleting {} `{}` records (the first {first})", group.len(), table.entity)
        };
        let mut sql = Sql::new(self.inner.dialect);
        sql.push("DELETE FROM ").ident(&table.quoted).push(" WHERE ");
        let composite = table.key.len() > 1;
        sql.push(if composite { "(" } else { "" });
        for (i, &c) in table.key.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.ident(&table.cols[c].quoted);
        }
        sql.push(if composite { ") IN (VALUES " } else { " IN (" });
        for (j, target) in group.iter().enumerate() {
            if j > 0 {
                sql.push(", ");
            }
            sql.push(if composite { "(" } else { "" });
            for (i, (&c, b)) in table.key.iter().zip(self.key_binds(table, target)?).enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(b, table.cols[c].pg.cast());
            }
            sql.push(if composite { ")" } else { "" });
        }
        sql.push(")");
        self.tenant_condition(&mut sql, table, tenant, false)?;
        sql.push(" RETURNING ");
        for (i, &c) in table.key.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("CAST(").ident(&table.cols[c].quoted).push(" AS TEXT)");
        }
        let deleted = if group.len() == 1 {
            h.fetch_text(sql, table.key.len()).await
        } else {
            h.fetch_text_once(sql, table.key.len()).await
        }
        .map_err(|e| store_error(&e, &what, true))?;
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
        Err(StoreError::new(StoreErrorKind::NotFound, format!("{missing} does not exist")))
    }
}
