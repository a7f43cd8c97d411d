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
            .bind(Bind::Text(table.to_owned()), None)
            .push(") ORDER BY cid");
        }
        Dialect::Postgres => {
            sql.push(
                "SELECT column_name::text, data_type::text, udt_name::text, is_nullable::text, \
                 character_maximum_length::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = ",
            )
            .bind(Bind::Text(table.to_owned()), Some("text"))
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
