//! `pdpo workspace`: one database per workspace, with a grace period between close and purge.
//! Each lifecycle change is appended to a control audit log beside the workspaces (the
//! workspace's own log would vanish with a purge): `audit.sqlite` in the root directory, or
//! pdpo's audit tables in the PostgreSQL admin database.

use std::process::ExitCode;
use std::sync::Arc;

use pdpo::audit::AuditStore;
use pdpo::core::{Clock, Identifier, SystemClock};
use pdpo::store::{SqlAuditStore, Tenancy, TenancyError, WorkspaceChange};
use serde_json::json;

use crate::args::{Global, WorkspaceCmd, WorkspaceRoot};
use crate::error::{BAD_INPUT, CliError, FAILED, NOT_FOUND, REFUSED, Result};
use crate::open;
use crate::out::Out;

impl From<TenancyError> for CliError {
    fn from(e: TenancyError) -> Self {
        let code = match &e {
            TenancyError::InvalidName { .. } => BAD_INPUT,
            TenancyError::NotFound { .. } | TenancyError::Purged { .. } => NOT_FOUND,
            TenancyError::AlreadyExists { .. }
            | TenancyError::Closed { .. }
            | TenancyError::NotClosed { .. }
            | TenancyError::GraceOver { .. }
            | TenancyError::InGrace { .. } => REFUSED,
            _ => FAILED,
        };
        Self::new(code, e.to_string())
    }
}

async fn tenancy(root: &WorkspaceRoot, clock: Arc<dyn Clock>) -> Result<Tenancy> {
    if open::is_postgres(&root.root) {
        Ok(Tenancy::postgres(&root.root, clock).await?)
    } else {
        Ok(Tenancy::sqlite(&root.root, clock).await?)
    }
}

/// The control audit log for lifecycle events.
async fn control_log(root: &WorkspaceRoot, clock: Arc<dyn Clock>) -> Result<SqlAuditStore> {
    let url = if open::is_postgres(&root.root) {
        root.root.clone()
    } else {
        std::path::Path::new(&root.root).join("audit.sqlite").display().to_string()
    };
    let create = !open::is_postgres(&url) && !std::path::Path::new(&url).exists();
    let pool = open::connect(&url, create).await?;
    let log = SqlAuditStore::open(pool, Identifier::from_static("workspaces"), clock).await?;
    Ok(log)
}

pub(crate) async fn run(g: &Global, cmd: WorkspaceCmd, out: &Out) -> Result<ExitCode> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let actor = open::actor(&g.actor)?;
    let (root, change) = match &cmd {
        WorkspaceCmd::List(root) => {
            let t = tenancy(root, Arc::clone(&clock)).await?;
            let all = t.list().await?;
            let mut rows = Vec::new();
            for w in &all {
                let closed = w.closed_at.map(|c| format!(", closed {}", c.date_naive())).unwrap_or_default();
                out.result(format!(
                    "{:<24} {:<8} created {}{closed}",
                    w.name,
                    w.state.as_str(),
                    w.created_at.date_naive()
                ));
                rows.push(json!({ "name": w.name, "state": w.state.as_str(), "created_at": w.created_at, "closed_at": w.closed_at }));
            }
            out.say(format!("{} workspaces", all.len()));
            out.json(&rows);
            return Ok(ExitCode::SUCCESS);
        }
        WorkspaceCmd::Create(n)
        | WorkspaceCmd::Close(n)
        | WorkspaceCmd::Restore(n)
        | WorkspaceCmd::Purge(n) => {
            let t = tenancy(&n.root, Arc::clone(&clock)).await?;
            let change: WorkspaceChange = match &cmd {
                WorkspaceCmd::Create(_) => t.create(&n.name).await?,
                WorkspaceCmd::Close(_) => t.close(&n.name).await?,
                WorkspaceCmd::Restore(_) => t.restore(&n.name).await?,
                _ => t.purge(&n.name).await?,
            };
            (&n.root, change)
        }
    };
    let log = control_log(root, clock).await?;
    log.append(&[change.audit_event(actor)]).await?;
    let w = &change.workspace;
    let note = match change.op {
        pdpo::store::WorkspaceOp::Close => format!(
            "; writes refused, data kept until {} (restore before then)",
            (change.at + change.grace).date_naive()
        ),
        _ => String::new(),
    };
    out.result(format!("workspace `{}`: {} ({}){note}", w.name, change.op.as_str(), w.state.as_str()));
    out.json(
        &json!({ "name": w.name, "op": change.op.as_str(), "state": w.state.as_str(), "at": change.at }),
    );
    Ok(ExitCode::SUCCESS)
}
