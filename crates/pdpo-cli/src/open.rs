//! Opening the workspace the global options describe.

use std::path::Path;
use std::sync::Arc;

use pdpo::core::{Actor, Clock, DirBlobStore, Schema, SystemClock};
use pdpo::crypto::KeyFileKek;
use pdpo::retention::Policy;
use pdpo::store::Pool;
use pdpo::{Sql, Workspace};

use crate::args::Global;
use crate::error::{CliError, Result};

/// Whether `url` names a PostgreSQL database.
pub(crate) fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The SQLite file a `--database-url` names, if it names one.
fn sqlite_path(url: &str) -> Option<&str> {
    if is_postgres(url) {
        return None;
    }
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    Some(path.split('?').next().unwrap_or(path))
}

/// Connects to the database. A SQLite file must exist unless `create` (only the demo creates
/// one), so a mistyped path is an error, not a new empty database.
pub(crate) async fn connect(url: &str, create: bool) -> Result<Pool> {
    if let Some(path) = sqlite_path(url) {
        if path.is_empty() || path == ":memory:" {
            return Err(CliError::input("--database-url: give a SQLite file path or a postgres:// URL"));
        }
        if !create && !Path::new(path).is_file() {
            return Err(CliError::input(format!(
                "database `{path}` does not exist (run `pdpo demo`, or give --database-url)"
            )));
        }
        let mut opts = pdpo::store::sqlite_options(&format!("sqlite://{path}"))?.create_if_missing(create);
        if create {
            // The demo's own new database: in WAL mode, NORMAL loses at most the last
            // transactions on power loss, never consistency, and skips an fsync per commit.
            opts = opts.synchronous(pdpo::store::sqlx::sqlite::SqliteSynchronous::Normal);
        }
        let pool = pdpo::store::sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await
            .map_err(|e| CliError::input(format!("cannot open SQLite database `{path}`: {e}")))?;
        return Ok(Pool::from(pool));
    }
    let pool = pdpo::store::sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect(url)
        .await
        .map_err(|e| CliError::input(format!("cannot connect to PostgreSQL at --database-url: {e}")))?;
    Ok(Pool::from(pool))
}

/// Reads the schema file, with errors naming the file and line.
pub(crate) fn schema(path: &Path) -> Result<Schema> {
    if !path.is_file() {
        return Err(CliError::input(format!(
            "schema `{}` does not exist (draft one with `pdpo schema init`, or give --schema)",
            path.display()
        )));
    }
    Ok(Schema::from_file(path)?)
}

/// Reads the policy file if it exists; `required` makes a missing file an error.
pub(crate) fn policy(path: &Path, schema: &Schema, required: bool) -> Result<Option<Policy>> {
    if !path.is_file() {
        if required {
            return Err(CliError::input(format!(
                "retention policy `{}` does not exist (give --policy)",
                path.display()
            )));
        }
        return Ok(None);
    }
    Ok(Some(Policy::from_file(path, schema)?))
}

/// Parses `--actor` / an actor argument: `user:ID`, `system:ID`, `service:ID`, or a bare user id.
pub(crate) fn actor(text: &str) -> Result<Actor> {
    let actor = match text.split_once(':') {
        Some(("user", id)) => Actor::user(id),
        Some(("system", id)) => Actor::system(id),
        Some(("service", id)) => Actor::service(id),
        Some((kind, _)) => {
            return Err(CliError::input(format!("actor kind `{kind}`: expected user, system or service")));
        }
        None => Actor::user(text),
    };
    actor.map_err(|e| CliError::input(format!("actor: {e}")))
}

/// Opens the workspace: database, schema (checked against it), policy if present, key file,
/// attachment directory.
pub(crate) async fn workspace(g: &Global, policy_required: bool) -> Result<Workspace<Sql>> {
    let schema = schema(&g.schema)?;
    let policy = policy(&g.policy, &schema, policy_required)?;
    if !g.key_file.is_file() {
        return Err(CliError::input(format!(
            "key file `{}` does not exist (the demo writes one; give --key-file)",
            g.key_file.display()
        )));
    }
    let kek = KeyFileKek::open(&g.key_file)?;
    let pool = connect(&g.database_url, false).await?;
    let blobs = DirBlobStore::create(&g.blobs)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut ws = Workspace::open_sql(pool, schema, blobs, kek, clock).await?.with_actor(actor(&g.actor)?);
    if let Some(p) = policy {
        ws = ws.with_policy(p);
    }
    Ok(ws)
}
