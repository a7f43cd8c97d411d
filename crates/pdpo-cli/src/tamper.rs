//! The demo's tampering step: alter one audit row with plain SQL, as someone with database
//! access could, then put it back. This knows pdpo-store's audit tables (`_pdpo_audit_YYYY_MM`
//! on SQLite, `_pdpo_audit_entries` partitioned by month on PostgreSQL); nothing else in pdpo
//! writes them except through the chain.

use pdpo::store::Pool;
use pdpo::store::sqlx::{self, Row};

use crate::error::{CliError, FAILED, Result};

/// The altered row: where it is and its original body.
#[derive(Debug)]
pub(crate) struct Altered {
    table: String,
    month: Option<i32>,
    idx: i64,
    body: Vec<u8>,
}

impl std::fmt::Display for Altered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.month {
            Some(m) => write!(f, "{} month {m} index {}", self.table, self.idx),
            None => write!(f, "{} index {}", self.table, self.idx),
        }
    }
}

fn db(e: sqlx::Error) -> CliError {
    CliError::new(FAILED, format!("tampering with the audit table: {e}"))
}

/// Flips one byte in the body of the middle row of the newest month.
pub(crate) async fn alter_one_row(pool: &Pool) -> Result<Altered> {
    match pool {
        Pool::Sqlite(p) => {
            let table: String = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB '_pdpo_audit_[0-9][0-9][0-9][0-9]_[0-9][0-9]' ORDER BY name DESC LIMIT 1",
            )
            .fetch_one(p)
            .await
            .map_err(db)?;
            // `table` comes from the catalog and matches the GLOB above: digits and underscores.
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT idx, body FROM \"{table}\" ORDER BY idx LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM \"{table}\")"
            )))
            .fetch_one(p)
            .await
            .map_err(db)?;
            let idx: i64 = row.try_get(0).map_err(db)?;
            let body: Vec<u8> = row.try_get(1).map_err(db)?;
            sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE \"{table}\" SET body = ? WHERE idx = ?")))
                .bind(flipped(&body))
                .bind(idx)
                .execute(p)
                .await
                .map_err(db)?;
            Ok(Altered { table, month: None, idx, body })
        }
        Pool::Postgres(p) => {
            let row = sqlx::query(
                "SELECT month, idx, body FROM _pdpo_audit_entries WHERE month = (SELECT max(month) FROM _pdpo_audit_entries) \
                 ORDER BY idx OFFSET (SELECT count(*) / 2 FROM _pdpo_audit_entries WHERE month = (SELECT max(month) FROM _pdpo_audit_entries)) LIMIT 1",
            )
            .fetch_one(p)
            .await
            .map_err(db)?;
            let month: i32 = row.try_get(0).map_err(db)?;
            let idx: i64 = row.try_get(1).map_err(db)?;
            let body: Vec<u8> = row.try_get(2).map_err(db)?;
            sqlx::query("UPDATE _pdpo_audit_entries SET body = $1 WHERE month = $2 AND idx = $3")
                .bind(flipped(&body))
                .bind(month)
                .bind(idx)
                .execute(p)
                .await
                .map_err(db)?;
            Ok(Altered { table: "_pdpo_audit_entries".to_owned(), month: Some(month), idx, body })
        }
        _ => Err(CliError::new(FAILED, "tampering is shown on SQLite and PostgreSQL only")),
    }
}

/// Puts the original body back.
pub(crate) async fn restore(pool: &Pool, a: &Altered) -> Result<()> {
    match pool {
        Pool::Sqlite(p) => {
            sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE \"{}\" SET body = ? WHERE idx = ?", a.table)))
                .bind(&a.body)
                .bind(a.idx)
                .execute(p)
                .await
                .map_err(db)?;
        }
        Pool::Postgres(p) => {
            sqlx::query("UPDATE _pdpo_audit_entries SET body = $1 WHERE month = $2 AND idx = $3")
                .bind(&a.body)
                .bind(a.month)
                .bind(a.idx)
                .execute(p)
                .await
                .map_err(db)?;
        }
        _ => {}
    }
    Ok(())
}

/// The body with its last byte changed: a count or a field name edited after the fact.
fn flipped(body: &[u8]) -> Vec<u8> {
    let mut b = body.to_vec();
    if let Some(last) = b.last_mut() {
        *last ^= 0x01;
    }
    b
}
