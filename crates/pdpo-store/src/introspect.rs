//! Reading the live database's catalog.

use pdpo_core::{ColumnInfo, ColumnType};

use crate::backend::Handle;
use crate::column::{PgType, pg_column_type, sqlite_column_type};
use crate::sql::{Bind, Dialect, Sql};

/// One column as the catalog describes it.
#[derive(Debug, Clone)]
pub(crate) struct LiveColumn {
    pub(crate) info: ColumnInfo,
    pub(crate) pg: PgType,
}

/// The columns of `table`, in table order; empty if the table does not exist.
pub(crate) async fn live_columns(
    h: &mut Handle,
    dialect: Dialect,
    table: &str,
) -> Result<Vec<LiveColumn>, sqlx::Error> {
    let mut sql = Sql::new(dialect);
    match dialect {
        Dialect::Sqlite => {
            sql.push(
                "SELECT name, type, CAST(\"notnull\" AS TEXT), CAST(pk AS TEXT), NULL FROM pragma_table_info(",
            )
            .bind(Bind::text(table), None)
            .push(") ORDER BY cid");
        }
        Dialect::Postgres => {
            sql.push(
                "SELECT column_name::text, data_type::text, udt_name::text, is_nullable::text, \
                 character_maximum_length::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = ",
            )
            .bind(Bind::text(table), Some("text"))
            .push(" ORDER BY ordinal_position");
        }
    }
    let rows = h.fetch_text(sql, 5).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut it = row.into_iter();
        let mut next = || it.next().flatten().unwrap_or_default();
        let (name, a, b, c, d) = (next(), next(), next(), next(), next());
        let col = match dialect {
            Dialect::Sqlite => {
                let (ty, max_len) = sqlite_column_type(&a);
                let nullable = b == "0" && c == "0";
                LiveColumn { info: ColumnInfo { name, ty, nullable, max_len }, pg: PgType::Unknown }
            }
            Dialect::Postgres => {
                let ty = pg_column_type(&a, &b);
                let max_len = if ty == ColumnType::Text { d.parse().ok() } else { None };
                LiveColumn {
                    info: ColumnInfo { name, ty, nullable: c == "YES", max_len },
                    pg: PgType::from_udt(&b),
                }
            }
        };
        out.push(col);
    }
    Ok(out)
}
/// Names of the user tables in the current database / schema.
pub(crate) async fn live_tables(h: &mut Handle, dialect: Dialect) -> Result<Vec<String>, sqlx::Error> {
    let mut sql = Sql::new(dialect);
    match dialect {
        Dialect::Sqlite => sql.push(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        ),
        Dialect::Postgres => sql.push(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() \
             AND table_type = 'BASE TABLE' ORDER BY table_name",
        ),
    };
    Ok(h.fetch_text(sql, 1).await?.into_iter().filter_map(|r| r.into_iter().next().flatten()).collect())
}

/// A foreign key of a live table: its columns, the referenced table and columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LiveForeignKey {
    pub(crate) columns: Vec<String>,
    pub(crate) table: String,
    pub(crate) to_columns: Vec<String>,
}

/// The foreign keys declared on `table`.
pub(crate) async fn live_foreign_keys(
    h: &mut Handle,
    dialect: Dialect,
    table: &str,
) -> Result<Vec<LiveForeignKey>, sqlx::Error> {
    let mut sql = Sql::new(dialect);
    match dialect {
        Dialect::Sqlite => {
            sql.push("SELECT CAST(id AS TEXT), \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(")
                .bind(Bind::text(table), None)
                .push(") ORDER BY id, seq");
        }
        Dialect::Postgres => {
            sql.push(
                "SELECT c.conname::text, rt.relname::text, a.attname::text, ra.attname::text \
                 FROM pg_constraint c \
                 JOIN pg_class t ON t.oid = c.conrelid \
                 JOIN pg_namespace n ON n.oid = t.relnamespace \
                 JOIN pg_class rt ON rt.oid = c.confrelid \
                 CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(attnum, refnum, ord) \
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
                 JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.refnum \
                 WHERE c.contype = 'f' AND n.nspname = current_schema() AND t.relname = ",
            )
            .bind(Bind::text(table), Some("text"))
            .push(" ORDER BY c.conname, k.ord");
        }
    }
    let mut out: Vec<(String, LiveForeignKey)> = Vec::new();
    for row in h.fetch_text(sql, 4).await? {
        let mut it = row.into_iter();
        let mut next = || it.next().flatten().unwrap_or_default();
        let (id, to_table, from, to) = (next(), next(), next(), next());
        match out.last_mut() {
            Some((last, fk)) if *last == id => {
                fk.columns.push(from);
                fk.to_columns.push(to);
            }
            _ => {
                out.push((id, LiveForeignKey { columns: vec![from], table: to_table, to_columns: vec![to] }))
            }
        }
    }
    Ok(out.into_iter().map(|(_, fk)| fk).collect())
}

/// The primary-key columns of `table`, in key order.
pub(crate) async fn live_primary_key(
    h: &mut Handle,
    dialect: Dialect,
    table: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let mut sql = Sql::new(dialect);
    match dialect {
        Dialect::Sqlite => {
            sql.push("SELECT name FROM pragma_table_info(")
                .bind(Bind::text(table), None)
                .push(") WHERE pk > 0 ORDER BY pk");
        }
        Dialect::Postgres => {
            sql.push(
                "SELECT a.attname::text FROM pg_index i \
                 JOIN pg_class t ON t.oid = i.indrelid \
                 JOIN pg_namespace n ON n.oid = t.relnamespace \
                 CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) \
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
                 WHERE i.indisprimary AND n.nspname = current_schema() AND t.relname = ",
            )
            .bind(Bind::text(table), Some("text"))
            .push(" ORDER BY k.ord");
        }
    }
    Ok(h.fetch_text(sql, 1).await?.into_iter().filter_map(|r| r.into_iter().next().flatten()).collect())
}
