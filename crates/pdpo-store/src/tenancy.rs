//! Tenancy: many customers' workspaces behind one deployment.
//!
//! pdpo supports the two ways CRMs host many customers:
//!
//! - **Shared tables, a tenant column.** Every table carries a column (named by the schema's
//!   `tenant_column`) holding the workspace; [`SqlStore::scoped`](crate::SqlStore::scoped) gives a
//!   handle that filters every read and stamps every insert with one tenant. Cheap per workspace,
//!   but a workspace's data is only as separate as the filters, and closing or purging a workspace
//!   means deleting its rows across every table (a retention or erasure plan).
//! - **A database per workspace** ([`Tenancy`], this module). Each workspace is its own SQLite file
//!   under a root directory, or its own PostgreSQL database (`CREATE DATABASE`) on one server. A
//!   catalog (the SQLite file `_pdpo_workspaces.db` in the root directory, or the table
//!   `_pdpo_workspaces` in the admin database) records each workspace's name, state and dates.
//!   Separation is physical, and purging a workspace deletes the file or drops the database.
//!
//! The lifecycle, on a [`Clock`]:
//!
//! ```text
//! create ──► open ──close──► closed ──purge (after the grace period)──► purged
//!              ▲               │
//!              └───restore─────┘ (within the grace period)
//! ```
//!
//! Closing refuses writes from then on ([`Tenancy::open`] fails, and the pool the registry handed out
//! is closed) but keeps the data for a grace period (30 days by default) in case the customer
//! returns (DPP2(2), s.26: personal data not kept longer than necessary; the grace period is the
//! "necessary" for an account closed by mistake). [`restore`](Tenancy::restore) works only within
//! the grace period, [`purge`](Tenancy::purge) only after it. A purged name can be created again,
//! as a new, empty workspace; the catalog keeps the dates of the purge.
//!
//! Every change returns a [`WorkspaceChange`] that turns into an [`AuditEvent`] of action
//! [`AuditAction::Workspace`] for the audit log (DPP4).
//!
//! Open pools are cached, at most [`DEFAULT_POOL_CACHE`] by default, least recently used first out.
//! An evicted pool is only dropped from the cache, not closed, so callers still holding it keep
//! working; its connections close when the last holder drops it. Ask [`Tenancy::open`] for the pool
//! per unit of work rather than keeping it.
//!
//! ```
//! use std::sync::Arc;
//! use chrono::{Duration, TimeZone, Utc};
//! use pdpo_core::{Actor, FixedClock};
//! use pdpo_store::{Tenancy, TenancyError};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let root = tempfile::tempdir()?;
//! let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 1, 0, 0).unwrap()));
//! let tenancy = Tenancy::sqlite(root.path(), clock.clone()).await?;
//! tenancy.create("wing_on").await?;
//! let pool = tenancy.open("wing_on").await?; // give it to SqlStore::open
//! # drop(pool);
//! let closed = tenancy.close("wing_on").await?;
//! let event = closed.audit_event(Actor::user("admin-1")?); // append to the audit log
//! # let _ = event;
//! assert!(matches!(tenancy.open("wing_on").await, Err(TenancyError::Closed { .. })));
//! clock.advance(Duration::days(30));
//! tenancy.purge("wing_on").await?;
//! assert!(!root.path().join("wing_on.db").exists());
//! # Ok(())
//! # }
//! ```

#[cfg(feature = "sqlite")]
use std::path::Path;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use pdpo_core::{Actor, AuditAction, AuditEvent, Clock, Identifier, Key, RecordRef};

use crate::backend::{Handle, Pool};
#[cfg(feature = "postgres")]
use crate::sql::quote;
use crate::sql::{Bind, Dialect, Sql};

/// Pools kept open by default.
pub const DEFAULT_POOL_CACHE: usize = 16;
/// The default grace period between closing a workspace and purging it: 30 days.
pub const DEFAULT_GRACE_DAYS: i64 = 30;
/// The longest workspace name.
pub const MAX_WORKSPACE_NAME: usize = 48;
/// The prefix of each workspace's PostgreSQL database: workspace `wing_on` is database
/// `pdpo_ws_wing_on`.
pub const DATABASE_PREFIX: &str = "pdpo_ws_";
/// The catalog: a SQLite file in the root directory, or a table in the admin database.
const CATALOG: &str = "_pdpo_workspaces";
/// Serialises catalog creation on PostgreSQL (an arbitrary constant).
#[cfg(feature = "postgres")]
const PG_LOCK: &str = "SELECT pg_advisory_xact_lock(7064707)";

#[cfg(feature = "sqlite")]
const CREATE_SQLITE: &str = "CREATE TABLE IF NOT EXISTS _pdpo_workspaces (\
    name TEXT PRIMARY KEY NOT NULL, \
    state TEXT NOT NULL CHECK (state IN ('open', 'closed', 'purging', 'purged')), \
    created_at TEXT NOT NULL, closed_at TEXT, purged_at TEXT)";
#[cfg(feature = "postgres")]
const CREATE_POSTGRES: &str = "CREATE TABLE IF NOT EXISTS _pdpo_workspaces (\
    name TEXT PRIMARY KEY, \
    state TEXT NOT NULL CHECK (state IN ('open', 'closed', 'purging', 'purged')), \
    created_at TIMESTAMPTZ NOT NULL, closed_at TIMESTAMPTZ, purged_at TIMESTAMPTZ)";
const SELECT_SQLITE: &str = "SELECT name, state, created_at, closed_at, purged_at FROM _pdpo_workspaces";
const SELECT_POSTGRES: &str = "SELECT name, state, \
    to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), \
    to_char(closed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), \
    to_char(purged_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM _pdpo_workspaces";

/// Why a workspace operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TenancyError {
    /// The name cannot be a workspace name (it becomes a file and a database name).
    #[error(
        "invalid workspace name {name:?}: {why} (use 1 to 48 of a-z, 0-9 and `_`, starting with a letter)"
    )]
    InvalidName {
        /// The rejected name.
        name: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// No workspace has that name.
    #[error("workspace `{name}` does not exist")]
    NotFound {
        /// Workspace name.
        name: String,
    },
    /// A workspace (or a stray file or database) already has that name.
    #[error("workspace `{name}` already exists")]
    AlreadyExists {
        /// Workspace name.
        name: String,
    },
    /// The workspace is closed: it cannot be opened or closed again, only restored or purged.
    #[error("workspace `{name}` is closed (since {closed_at}): restore it to use it")]
    Closed {
        /// Workspace name.
        name: String,
        /// When it was closed.
        closed_at: DateTime<Utc>,
    },
    /// Restore and purge apply to closed workspaces only.
    #[error("workspace `{name}` is {state}, not closed")]
    NotClosed {
        /// Workspace name.
        name: String,
        /// Its state.
        state: WorkspaceState,
    },
    /// The workspace was purged (or its purge is under way): its data is gone.
    #[error("workspace `{name}` was purged")]
    Purged {
        /// Workspace name.
        name: String,
    },
    /// Restore refused: the grace period is over.
    #[error(
        "workspace `{name}`: its grace period ended at {ended}; it can no longer be restored, only purged"
    )]
    GraceOver {
        /// Workspace name.
        name: String,
        /// When the grace period ended.
        ended: DateTime<Utc>,
    },
    /// Purge refused: the workspace is still within its grace period.
    #[error("workspace `{name}` is within its grace period: it can be purged from {purge_from}")]
    InGrace {
        /// Workspace name.
        name: String,
        /// When the grace period ends.
        purge_from: DateTime<Utc>,
    },
    /// A file operation on a workspace or the catalog failed.
    #[error("{doing} `{}`", path.display())]
    Io {
        /// What was being done.
        doing: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A database operation failed.
    #[error("database error while {doing}")]
    Database {
        /// What was being done.
        doing: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The catalog holds a row this build cannot read.
    #[error("the workspace catalog is corrupt: {0}")]
    Catalog(String),
}

fn db(doing: &'static str) -> impl FnOnce(sqlx::Error) -> TenancyError {
    move |source| TenancyError::Database { doing, source }
}

/// Checks a workspace name: `^[a-z][a-z0-9_]{0,47}$`. Lower case only, so file systems that
/// ignore case and PostgreSQL's case folding cannot make two workspaces one.
pub fn validate_workspace_name(name: &str) -> Result<(), TenancyError> {
    let bad = |why| Err(TenancyError::InvalidName { name: name.to_owned(), why });
    let b = name.as_bytes();
    if b.is_empty() {
        return bad("empty");
    }
    if b.len() > MAX_WORKSPACE_NAME {
        return bad("too long");
    }
    if !b[0].is_ascii_lowercase() {
        return bad("must start with a lower-case letter");
    }
    if !b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_') {
        return bad("holds a character other than a-z, 0-9 and `_`");
    }
    Ok(())
}

/// Where a workspace is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum WorkspaceState {
    /// In use.
    Open,
    /// Closed: writes refused, data kept until the grace period ends.
    Closed,
    /// A purge started and did not finish (run [`Tenancy::purge`] again).
    Purging,
    /// Its database was deleted.
    Purged,
}

impl WorkspaceState {
    /// The state's code in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Purging => "purging",
            Self::Purged => "purged",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "open" => Self::Open,
            "closed" => Self::Closed,
            "purging" => Self::Purging,
            "purged" => Self::Purged,
            _ => return None,
        })
    }
}

impl std::fmt::Display for WorkspaceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A workspace's catalog entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkspaceInfo {
    /// The name.
    pub name: String,
    /// The state.
    pub state: WorkspaceState,
    /// When it was (last) created.
    pub created_at: DateTime<Utc>,
    /// When it was closed, while closed, purging or purged.
    pub closed_at: Option<DateTime<Utc>>,
    /// When its database was deleted.
    pub purged_at: Option<DateTime<Utc>>,
}

/// A lifecycle operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WorkspaceOp {
    /// [`Tenancy::create`].
    Create,
    /// [`Tenancy::close`].
    Close,
    /// [`Tenancy::restore`].
    Restore,
    /// [`Tenancy::purge`].
    Purge,
}

impl WorkspaceOp {
    /// `create`, `close`, `restore` or `purge`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Close => "close",
            Self::Restore => "restore",
            Self::Purge => "purge",
        }
    }
}

/// What a lifecycle operation did, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkspaceChange {
    /// The operation.
    pub op: WorkspaceOp,
    /// When it happened (on the registry's clock).
    pub at: DateTime<Utc>,
    /// The catalog entry after it.
    pub workspace: WorkspaceInfo,
    /// The grace period in force (after a close: the workspace can be purged from
    /// `at + grace`).
    pub grace: Duration,
}

impl WorkspaceChange {
    /// The audit event recording this change, done by `actor`: action
    /// [`AuditAction::Workspace`], the workspace as tenant, the catalog entry
    /// `_pdpo_workspaces[<name>]` as record, and the operation as a count of 1 under its name
    /// (`create`, `close`, `restore`, `purge`); a close also counts `grace_days`.
    pub fn audit_event(&self, actor: Actor) -> AuditEvent {
        let name = Identifier::new(&self.workspace.name)
            .unwrap_or_else(|_| Identifier::from_static("invalid_workspace_name"));
        let mut e = AuditEvent::new(AuditAction::Workspace, actor, self.at)
            .with_tenant(name)
            .with_record(RecordRef::new(
                Identifier::from_static(CATALOG),
                Key::from(self.workspace.name.as_str()),
            ))
            .with_count(Identifier::from_static(self.op.as_str()), 1);
        if self.op == WorkspaceOp::Close {
            e = e.with_count(
                Identifier::from_static("grace_days"),
                u64::try_from(self.grace.num_days()).unwrap_or(0),
            );
        }
        e
    }
}

/// Where the workspaces live.
enum Place {
    #[cfg(feature = "sqlite")]
    Sqlite { root: PathBuf },
    #[cfg(feature = "postgres")]
    Postgres { server: Box<sqlx::postgres::PgConnectOptions> },
}

/// A registry of workspaces, each in its own database; see the [module docs](self).
///
/// Every operation reads the time from the registry's [`Clock`].
pub struct Tenancy {
    place: Place,
    catalog: Pool,
    clock: Arc<dyn Clock>,
    grace: Duration,
    capacity: usize,
    connections: u32,
    /// Open pools, least recently used first.
    cache: Mutex<Vec<(String, Pool)>>,
}

impl std::fmt::Debug for Tenancy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let place = match &self.place {
            #[cfg(feature = "sqlite")]
            Place::Sqlite { root } => format!("sqlite:{}", root.display()),
            #[cfg(feature = "postgres")]
            Place::Postgres { .. } => "postgres".to_owned(),
        };
        f.debug_struct("Tenancy")
            .field("place", &place)
            .field("grace", &self.grace)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

fn to_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Tenancy {
    fn new(place: Place, catalog: Pool, clock: Arc<dyn Clock>) -> Self {
        Self {
            place,
            catalog,
            clock,
            grace: Duration::days(DEFAULT_GRACE_DAYS),
            capacity: DEFAULT_POOL_CACHE,
            connections: 4,
            cache: Mutex::new(Vec::new()),
        }
    }

    /// A registry of SQLite workspaces under `root` (created if missing): workspace `x` is the
    /// file `root/x.db`; the catalog is `root/_pdpo_workspaces.db`.
    #[cfg(feature = "sqlite")]
    pub async fn sqlite(root: impl AsRef<Path>, clock: Arc<dyn Clock>) -> Result<Self, TenancyError> {
        let root = root.as_ref().to_path_buf();
        std::fs::create_dir_all(&root).map_err(|source| TenancyError::Io {
            doing: "creating the workspace root",
            path: root.clone(),
            source,
        })?;
        let file = root.join(format!("{CATALOG}.db"));
        let opts = crate::configure_sqlite(sqlx::sqlite::SqliteConnectOptions::new().filename(&file));
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(opts)
            .await
            .map_err(db("opening the workspace catalog"))?;
        let catalog = Pool::Sqlite(pool);
        let mut h = catalog.acquire().await.map_err(db("opening the workspace catalog"))?;
        h.execute_script(CREATE_SQLITE).await.map_err(db("creating the workspace catalog"))?;
        drop(h);
        Ok(Self::new(Place::Sqlite { root }, catalog, clock))
    }

    /// A registry of PostgreSQL workspaces on the server of `admin_url`: workspace `x` is the
    /// database `pdpo_ws_x` (see [`DATABASE_PREFIX`]); the catalog is the table
    /// `_pdpo_workspaces` in the admin URL's database. The admin role needs `CREATEDB`.
    #[cfg(feature = "postgres")]
    pub async fn postgres(admin_url: &str, clock: Arc<dyn Clock>) -> Result<Self, TenancyError> {
        let opts: sqlx::postgres::PgConnectOptions =
            admin_url.parse().map_err(db("parsing the admin URL"))?;
        Self::postgres_with(opts, clock).await
    }

    /// Like [`postgres`](Self::postgres), from connection options.
    #[cfg(feature = "postgres")]
    pub async fn postgres_with(
        admin: sqlx::postgres::PgConnectOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, TenancyError> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect_with(admin.clone())
            .await
            .map_err(db("connecting to the admin database"))?;
        let catalog = Pool::Postgres(pool);
        let mut h = catalog.begin().await.map_err(db("opening the workspace catalog"))?;
        h.execute_script(PG_LOCK).await.map_err(db("locking the workspace catalog"))?;
        h.execute_script(CREATE_POSTGRES).await.map_err(db("creating the workspace catalog"))?;
        h.commit().await.map_err(db("creating the workspace catalog"))?;
        Ok(Self::new(Place::Postgres { server: Box::new(admin) }, catalog, clock))
    }

    /// Sets the grace period between close and purge (default 30 days).
    #[must_use]
    pub fn with_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Sets how many open pools are cached (default [`DEFAULT_POOL_CACHE`], at least 1).
    #[must_use]
    pub fn with_pool_cache(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// Sets the most connections each workspace pool opens (default 4, at least 1).
    #[must_use]
    pub fn with_connections_per_pool(mut self, n: u32) -> Self {
        self.connections = n.max(1);
        self
    }

    /// The grace period.
    pub fn grace(&self) -> Duration {
        self.grace
    }

    /// The names of the workspaces whose pools are cached, least recently used first.
    pub fn cached(&self) -> Vec<String> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner).iter().map(|(n, _)| n.clone()).collect()
    }

    fn dialect(&self) -> Dialect {
        self.catalog.dialect()
    }

    fn time_bind(&self, t: DateTime<Utc>) -> Bind {
        match self.dialect() {
            Dialect::Sqlite => Bind::text(to_text(t)),
            Dialect::Postgres => Bind::Timestamp(t),
        }
    }

    async fn catalog(&self) -> Result<Handle, TenancyError> {
        self.catalog.acquire().await.map_err(db("connecting to the workspace catalog"))
    }

    async fn rows(&self, name: Option<&str>) -> Result<Vec<WorkspaceInfo>, TenancyError> {
        let mut sql = Sql::new(self.dialect());
        sql.push(match self.dialect() {
            Dialect::Sqlite => SELECT_SQLITE,
            Dialect::Postgres => SELECT_POSTGRES,
        });
        if let Some(n) = name {
            sql.push(" WHERE name = ").bind(Bind::text(n), None);
        }
        sql.push(" ORDER BY name");
        let rows =
            self.catalog().await?.fetch_text(sql, 5).await.map_err(db("reading the workspace catalog"))?;
        rows.into_iter().map(parse_row).collect()
    }

    /// The catalog entry of `name`.
    pub async fn info(&self, name: &str) -> Result<WorkspaceInfo, TenancyError> {
        validate_workspace_name(name)?;
        self.rows(Some(name))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| TenancyError::NotFound { name: name.to_owned() })
    }

    /// Every workspace in the catalog (purged ones included), by name.
    pub async fn list(&self) -> Result<Vec<WorkspaceInfo>, TenancyError> {
        self.rows(None).await
    }

    /// Creates workspace `name`: an empty database, and an open catalog entry. A purged name
    /// can be created again. Fails with [`TenancyError::AlreadyExists`] if the workspace exists,
    /// or a file or database of that name does.
    ///
    /// The database has no tables yet: create the CRM's, then give [`open`](Self::open)'s pool
    /// to [`SqlStore::open`](crate::SqlStore::open), which adds pdpo's own.
    pub async fn create(&self, name: &str) -> Result<WorkspaceChange, TenancyError> {
        validate_workspace_name(name)?;
        let now = self.clock.now();
        let existing = self.rows(Some(name)).await?.into_iter().next();
        if existing.as_ref().is_some_and(|w| w.state != WorkspaceState::Purged) {
            return Err(TenancyError::AlreadyExists { name: name.to_owned() });
        }
        self.create_database(name).await?;
        let mut sql = Sql::new(self.dialect());
        if existing.is_some() {
            sql.push("UPDATE _pdpo_workspaces SET state = 'open', created_at = ")
                .bind(self.time_bind(now), None)
                .push(", closed_at = NULL, purged_at = NULL WHERE state = 'purged' AND name = ")
                .bind(Bind::text(name), None);
        } else {
            sql.push("INSERT INTO _pdpo_workspaces (name, state, created_at) VALUES (")
                .bind(Bind::text(name), None)
                .push(", 'open', ")
                .bind(self.time_bind(now), None)
                .push(")");
        }
        let recorded = self.catalog().await?.execute(sql).await;
        if !matches!(recorded, Ok(1)) {
            // Another creator won the race for the catalog entry, or the catalog failed: the
            // database just made is ours and empty.
            self.drop_database(name).await.ok();
            return Err(match recorded {
                Err(source) if !is_unique_violation(&source) => {
                    TenancyError::Database { doing: "recording the workspace", source }
                }
                _ => TenancyError::AlreadyExists { name: name.to_owned() },
            });
        }
        let workspace = WorkspaceInfo {
            name: name.to_owned(),
            state: WorkspaceState::Open,
            created_at: now,
            closed_at: None,
            purged_at: None,
        };
        Ok(WorkspaceChange { op: WorkspaceOp::Create, at: now, workspace, grace: self.grace })
    }

    /// A pool on workspace `name`'s database, from the cache or newly connected. Refused while
    /// the workspace is closed ([`TenancyError::Closed`]) or after a purge.
    pub async fn open(&self, name: &str) -> Result<Pool, TenancyError> {
        let info = self.info(name).await?;
        match info.state {
            WorkspaceState::Open => {}
            WorkspaceState::Closed => {
                return Err(TenancyError::Closed {
                    name: info.name,
                    closed_at: info.closed_at.unwrap_or(info.created_at),
                });
            }
            WorkspaceState::Purging | WorkspaceState::Purged => {
                return Err(TenancyError::Purged { name: info.name });
            }
        }
        if let Some(pool) = self.cache_get(name) {
            return Ok(pool);
        }
        let pool = self.connect(name).await?;
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(i) = cache.iter().position(|(n, _)| n == name) {
            // Opened concurrently: keep the first pool.
            let entry = cache.remove(i);
            let pool = entry.1.clone();
            cache.push(entry);
            return Ok(pool);
        }
        cache.push((name.to_owned(), pool.clone()));
        while cache.len() > self.capacity {
            cache.remove(0);
        }
        Ok(pool)
    }

    fn cache_get(&self, name: &str) -> Option<Pool> {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let i = cache.iter().position(|(n, _)| n == name)?;
        let entry = cache.remove(i);
        let pool = entry.1.clone();
        cache.push(entry);
        Some(pool)
    }

    /// Removes `name`'s pool from the cache and closes it (waiting for connections in use).
    async fn evict(&self, name: &str) {
        let pool = {
            let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            cache.iter().position(|(n, _)| n == name).map(|i| cache.remove(i).1)
        };
        if let Some(pool) = pool {
            pool.close().await;
        }
    }

    /// Closes workspace `name`: from now on it cannot be opened and the cached pool is closed;
    /// its data is kept for the grace period.
    pub async fn close(&self, name: &str) -> Result<WorkspaceChange, TenancyError> {
        validate_workspace_name(name)?;
        let now = self.clock.now();
        let mut sql = Sql::new(self.dialect());
        sql.push("UPDATE _pdpo_workspaces SET state = 'closed', closed_at = ")
            .bind(self.time_bind(now), None)
            .push(" WHERE state = 'open' AND name = ")
            .bind(Bind::text(name), None);
        let n = self.catalog().await?.execute(sql).await.map_err(db("closing the workspace"))?;
        if n == 0 {
            let info = self.info(name).await?;
            return Err(match info.state {
                WorkspaceState::Closed => TenancyError::Closed {
                    name: info.name,
                    closed_at: info.closed_at.unwrap_or(info.created_at),
                },
                _ => TenancyError::Purged { name: info.name },
            });
        }
        self.evict(name).await;
        let workspace = self.info(name).await?;
        Ok(WorkspaceChange { op: WorkspaceOp::Close, at: now, workspace, grace: self.grace })
    }

    /// A closed workspace's catalog entry and the end of its grace period, or the reason it is
    /// not closed.
    async fn closed(&self, name: &str) -> Result<(WorkspaceInfo, DateTime<Utc>), TenancyError> {
        let info = self.info(name).await?;
        match (info.state, info.closed_at) {
            (WorkspaceState::Closed | WorkspaceState::Purging, Some(at)) => {
                let ends = at.checked_add_signed(self.grace).unwrap_or(DateTime::<Utc>::MAX_UTC);
                Ok((info, ends))
            }
            (WorkspaceState::Purged, _) => Err(TenancyError::Purged { name: info.name }),
            (state, _) => Err(TenancyError::NotClosed { name: info.name, state }),
        }
    }

    /// Reopens a closed workspace within its grace period ([`TenancyError::GraceOver`] after).
    pub async fn restore(&self, name: &str) -> Result<WorkspaceChange, TenancyError> {
        validate_workspace_name(name)?;
        let now = self.clock.now();
        let (info, ends) = self.closed(name).await?;
        if info.state == WorkspaceState::Purging {
            return Err(TenancyError::Purged { name: info.name });
        }
        if now >= ends {
            return Err(TenancyError::GraceOver { name: info.name, ended: ends });
        }
        let mut sql = Sql::new(self.dialect());
        sql.push(
            "UPDATE _pdpo_workspaces SET state = 'open', closed_at = NULL WHERE state = 'closed' AND name = ",
        )
        .bind(Bind::text(name), None);
        let n = self.catalog().await?.execute(sql).await.map_err(db("restoring the workspace"))?;
        if n == 0 {
            // Purged or restored meanwhile: report the state now.
            let info = self.info(name).await?;
            return Err(TenancyError::NotClosed { name: info.name, state: info.state });
        }
        let workspace = self.info(name).await?;
        Ok(WorkspaceChange { op: WorkspaceOp::Restore, at: now, workspace, grace: self.grace })
    }

    /// Deletes a closed workspace's database once its grace period is over
    /// ([`TenancyError::InGrace`] before): the SQLite file (and its `-wal`, `-shm` and
    /// `-journal` files) or the PostgreSQL database (`DROP DATABASE ... WITH (FORCE)`). The
    /// catalog keeps the entry, marked purged. An interrupted purge can be run again.
    pub async fn purge(&self, name: &str) -> Result<WorkspaceChange, TenancyError> {
        validate_workspace_name(name)?;
        let now = self.clock.now();
        let (info, ends) = self.closed(name).await?;
        if now < ends {
            return Err(TenancyError::InGrace { name: info.name, purge_from: ends });
        }
        if info.state == WorkspaceState::Closed {
            let mut sql = Sql::new(self.dialect());
            sql.push("UPDATE _pdpo_workspaces SET state = 'purging' WHERE state = 'closed' AND name = ")
                .bind(Bind::text(name), None);
            let n = self.catalog().await?.execute(sql).await.map_err(db("starting the purge"))?;
            if n == 0 {
                let info = self.info(name).await?;
                return Err(TenancyError::NotClosed { name: info.name, state: info.state });
            }
        }
        self.evict(name).await;
        self.drop_database(name).await?;
        let mut sql = Sql::new(self.dialect());
        sql.push("UPDATE _pdpo_workspaces SET state = 'purged', purged_at = ")
            .bind(self.time_bind(now), None)
            .push(" WHERE state = 'purging' AND name = ")
            .bind(Bind::text(name), None);
        self.catalog().await?.execute(sql).await.map_err(db("recording the purge"))?;
        let workspace = self.info(name).await?;
        Ok(WorkspaceChange { op: WorkspaceOp::Purge, at: now, workspace, grace: self.grace })
    }

    #[cfg(feature = "sqlite")]
    fn file(root: &Path, name: &str) -> PathBuf {
        root.join(format!("{name}.db"))
    }

    #[cfg(feature = "postgres")]
    fn database(name: &str) -> String {
        format!("{DATABASE_PREFIX}{name}")
    }

    async fn create_database(&self, name: &str) -> Result<(), TenancyError> {
        match &self.place {
            #[cfg(feature = "sqlite")]
            Place::Sqlite { root } => {
                // An empty file is an empty SQLite database; `create_new` claims the name atomically.
                let path = Self::file(root, name);
                std::fs::OpenOptions::new().write(true).create_new(true).open(&path).map(drop).map_err(
                    |source| match source.kind() {
                        std::io::ErrorKind::AlreadyExists => {
                            TenancyError::AlreadyExists { name: name.to_owned() }
                        }
                        _ => TenancyError::Io { doing: "creating the workspace file", path, source },
                    },
                )
            }
            #[cfg(feature = "postgres")]
            Place::Postgres { .. } => {
                let db_name = Self::database(name);
                let q = quote(&db_name).ok_or_else(|| TenancyError::InvalidName {
                    name: name.to_owned(),
                    why: "too long for a database name",
                })?;
                let mut sql = Sql::new(Dialect::Postgres);
                sql.push("CREATE DATABASE ").ident(&q);
                match self.catalog().await?.execute_unprepared(sql).await {
                    Ok(()) => Ok(()),
                    Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => {
                        Err(TenancyError::AlreadyExists { name: name.to_owned() })
                    }
                    Err(source) => Err(TenancyError::Database { doing: "creating the database", source }),
                }
            }
        }
    }

    async fn drop_database(&self, name: &str) -> Result<(), TenancyError> {
        match &self.place {
            #[cfg(feature = "sqlite")]
            Place::Sqlite { root } => {
                let path = Self::file(root, name);
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let p = PathBuf::from(p);
                    match std::fs::remove_file(&p) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(source) => {
                            return Err(TenancyError::Io {
                                doing: "deleting the workspace file",
                                path: p,
                                source,
                            });
                        }
                    }
                }
                Ok(())
            }
            #[cfg(feature = "postgres")]
            Place::Postgres { .. } => {
                let db_name = Self::database(name);
                let Some(q) = quote(&db_name) else { return Ok(()) };
                let mut sql = Sql::new(Dialect::Postgres);
                sql.push("DROP DATABASE IF EXISTS ").ident(&q).push(" WITH (FORCE)");
                self.catalog().await?.execute_unprepared(sql).await.map_err(db("dropping the database"))
            }
        }
    }

    async fn connect(&self, name: &str) -> Result<Pool, TenancyError> {
        match &self.place {
            #[cfg(feature = "sqlite")]
            Place::Sqlite { root } => {
                let opts = crate::configure_sqlite(
                    sqlx::sqlite::SqliteConnectOptions::new().filename(Self::file(root, name)),
                )
                .create_if_missing(false);
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(self.connections)
                    .connect_with(opts)
                    .await
                    .map_err(db("opening the workspace database"))?;
                Ok(Pool::Sqlite(pool))
            }
            #[cfg(feature = "postgres")]
            Place::Postgres { server } => {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(self.connections)
                    .connect_with((**server).clone().database(&Self::database(name)))
                    .await
                    .map_err(db("opening the workspace database"))?;
                Ok(Pool::Postgres(pool))
            }
        }
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

fn parse_row(row: Vec<Option<String>>) -> Result<WorkspaceInfo, TenancyError> {
    let corrupt = |what: &str| TenancyError::Catalog(what.to_owned());
    let time = |s: &Option<String>| -> Result<Option<DateTime<Utc>>, TenancyError> {
        s.as_deref()
            .map(|t| {
                DateTime::parse_from_rfc3339(t)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| corrupt("a date is not RFC 3339"))
            })
            .transpose()
    };
    let [name, state, created, closed, purged] =
        <[Option<String>; 5]>::try_from(row).map_err(|_| corrupt("a row does not have five columns"))?;
    let name = name.ok_or_else(|| corrupt("a name is NULL"))?;
    let state =
        state.as_deref().and_then(WorkspaceState::from_code).ok_or_else(|| corrupt("a state is unknown"))?;
    Ok(WorkspaceInfo {
        state,
        created_at: time(&created)?.ok_or_else(|| corrupt("a created_at is NULL"))?,
        closed_at: time(&closed)?,
        purged_at: time(&purged)?,
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for good in ["a", "wing_on", "shop_2", &"x".repeat(48)] {
            assert!(validate_workspace_name(good).is_ok(), "{good}");
        }
        for bad in ["", "Wing", "1shop", "_x", "a-b", "a.b", "../a", "a/b", "a b", "é", &"x".repeat(49)] {
            assert!(
                matches!(validate_workspace_name(bad), Err(TenancyError::InvalidName { .. })),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn catalog_rows_parse() {
        let row = |s: &str| {
            vec![
                Some("a".to_owned()),
                Some(s.to_owned()),
                Some("2026-03-01T01:00:00.000000Z".to_owned()),
                None,
                None,
            ]
        };
        let w = parse_row(row("open")).unwrap();
        assert_eq!(
            (w.state, w.created_at.to_rfc3339()),
            (WorkspaceState::Open, "2026-03-01T01:00:00+00:00".into())
        );
        assert!(matches!(parse_row(row("gone")), Err(TenancyError::Catalog(_))));
    }
}
