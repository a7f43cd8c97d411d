//! pdpo's own migrations, recorded in `_pdpo_migrations`, apart from the CRM's (sqlx's
//! `_sqlx_migrations`, Rails' `schema_migrations`, ...), so two migration tools never trip over each
//! other's history.

use crate::backend::{Handle, Pool};
use crate::error::{Error, Result};
use crate::sql::{Bind, Dialect, Sql};

/// One embedded migration of pdpo's own tables, with its SQL for each backend.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Migration {
    /// Version: migrations apply in ascending order, once each.
    pub version: i64,
    /// Short name.
    pub name: &'static str,
    /// SQL for SQLite.
    pub sqlite: &'static str,
    /// SQL for PostgreSQL.
    pub postgres: &'static str,
}

impl Migration {
    fn sql(&self, dialect: Dialect) -> &'static str {
        match dialect {
            Dialect::Sqlite => self.sqlite,
            Dialect::Postgres => self.postgres,
        }
    }
}

/// pdpo's migrations, in order. Later capabilities (SQL audit log, key store, request ledger) add
/// theirs here.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "blob_outbox_and_events",
        sqlite: include_str!("../migrations/sqlite/0001_outbox_events.sql"),
        postgres: include_str!("../migrations/postgres/0001_outbox_events.sql"),
    },
    Migration {
        version: 2,
        name: "audit_log",
        sqlite: include_str!("../migrations/sqlite/0002_audit.sql"),
        postgres: include_str!("../migrations/postgres/0002_audit.sql"),
    },
    Migration {
        version: 3,
        name: "keys",
        sqlite: include_str!("../migrations/sqlite/0003_keys.sql"),
        postgres: include_str!("../migrations/postgres/0003_keys.sql"),
    },
    Migration {
        version: 4,
        name: "requests",
        sqlite: include_str!("../migrations/sqlite/0004_requests.sql"),
        postgres: include_str!("../migrations/postgres/0004_requests.sql"),
    },
];

const CREATE_SQLITE: &str = "CREATE TABLE IF NOT EXISTS _pdpo_migrations (\
    version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL, checksum TEXT NOT NULL, \
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))";
const CREATE_POSTGRES: &str = "CREATE TABLE IF NOT EXISTS _pdpo_migrations (\
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, \
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now())";
/// Serialises concurrent migrators on PostgreSQL (an arbitrary constant).
const PG_LOCK: &str = "SELECT pg_advisory_xact_lock(7064706)";

/// FNV-1a 64 of the SQL text: detects a migration edited after it was applied.
fn checksum(sql: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in sql.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Applies the pdpo migrations not yet recorded in `_pdpo_migrations`, in one transaction
/// (serialised against concurrent runs). Idempotent. Returns the versions applied now.
///
/// Fails with [`Error::MigrationChanged`] if an applied migration's SQL differs from this build's.
pub async fn migrate(pool: &Pool) -> Result<Vec<i64>> {
    run(pool, MIGRATIONS).await
}

pub(crate) async fn run(pool: &Pool, migrations: &[Migration]) -> Result<Vec<i64>> {
    let dialect = pool.dialect();
    let mut h = pool.begin().await.map_err(Error::db("starting the migration transaction"))?;
    let create = match dialect {
        Dialect::Sqlite => CREATE_SQLITE,
        Dialect::Postgres => {
            h.execute_script(PG_LOCK).await.map_err(Error::db("locking the migrations table"))?;
            CREATE_POSTGRES
        }
    };
    h.execute_script(create).await.map_err(Error::db("creating _pdpo_migrations"))?;
    let applied = applied(&mut h, dialect).await?;
    let mut now = Vec::new();
    for m in migrations {
        let sql = m.sql(dialect);
        let sum = checksum(sql);
        if let Some((_, recorded)) = applied.iter().find(|(v, _)| *v == m.version) {
            if *recorded != sum {
                return Err(Error::MigrationChanged { version: m.version, name: m.name });
            }
            continue;
        }
        let failed = |source| Error::Migration { version: m.version, name: m.name, source };
        h.execute_script(sql).await.map_err(failed)?;
        let mut ins = Sql::new(dialect);
        ins.push("INSERT INTO _pdpo_migrations (version, name, checksum) VALUES (")
            .bind(Bind::Int(m.version), None)
            .push(", ")
            .bind(Bind::text(m.name), None)
            .push(", ")
            .bind(Bind::text(sum), None)
            .push(")");
        h.execute(ins).await.map_err(failed)?;
        now.push(m.version);
    }
    h.commit().await.map_err(Error::db("committing migrations"))?;
    Ok(now)
}

async fn applied(h: &mut Handle, dialect: Dialect) -> Result<Vec<(i64, String)>> {
    let mut sql = Sql::new(dialect);
    sql.push("SELECT CAST(version AS TEXT), checksum FROM _pdpo_migrations ORDER BY version");
    let rows = h.fetch_text(sql, 2).await.map_err(Error::db("reading _pdpo_migrations"))?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let mut it = r.into_iter().flatten();
            Some((it.next()?.parse().ok()?, it.next()?))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn checksum_is_stable() {
        assert_eq!(super::checksum(""), "cbf29ce484222325");
        assert_ne!(super::checksum("a"), super::checksum("b"));
    }
}
