//! Where a change set's audit events go, inside the change set's transaction: an
//! [`EventSink`], a [`SqlAuditStore`], or pdpo's `_pdpo_events` table.
//!
//! [`SqlStore::apply`](crate::SqlStore) and the other SQL stores of this crate call
//! [`write_events`] after their data statements, on the same [`Handle`], so the events commit or
//! roll back with the data.

use std::sync::Arc;

use pdpo_audit::Head;
use pdpo_core::{AuditEvent, EventSink, StoreError, StoreErrorKind};

use crate::SqlAuditStore;
use crate::backend::Handle;
use crate::error::store_error;
use crate::sql::{Bind, Dialect, Sql};

/// Where events are written.
#[derive(Clone)]
pub(crate) enum EventTarget {
    /// The `_pdpo_events` table (migration 1), one row per event.
    Table,
    /// A caller's sink; if it refuses the batch, the transaction rolls back.
    Sink(Arc<dyn EventSink>),
    /// A [`SqlAuditStore`] on the same database: the events are chained into it on the same
    /// transaction, with the head row locked.
    Audit(SqlAuditStore),
}

impl std::fmt::Debug for EventTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Table => f.write_str("Table"),
            Self::Sink(_) => f.write_str("Sink(..)"),
            Self::Audit(log) => f.debug_tuple("Audit").field(log).finish(),
        }
    }
}

/// The most rows one multi-row insert into pdpo's own tables holds: events in `_pdpo_events`
/// (three binds each) and blob-outbox entries (one).
pub(crate) const OWN_ROWS_PER_STATEMENT: usize = 500;

/// Writes `events` to `target` on `h` (a transaction): the event table takes them as multi-row
/// inserts of up to [`OWN_ROWS_PER_STATEMENT`] rows. `step` is called before each statement
/// (the fault-injection hook of [`SqlStore::inject_failure_at`](crate::SqlStore::inject_failure_at));
/// an error from it aborts the write. With an audit log, returns its new head: pass it to
/// [`SqlAuditStore::remember`] once the transaction committed.
pub(crate) async fn write_events(
    h: &mut Handle,
    dialect: Dialect,
    target: &EventTarget,
    events: &[AuditEvent],
    step: &mut (dyn FnMut() -> Result<(), StoreError> + Send),
) -> Result<Option<Head>, StoreError> {
    match target {
        EventTarget::Sink(sink) => {
            step()?;
            sink.append(events).map(|()| None).map_err(|e| {
                StoreError::new(
                    StoreErrorKind::Audit,
                    "the audit sink refused the events; nothing was applied",
                )
                .with_source(e)
            })
        }
        // A change set without events leaves the log (and its head lock) alone.
        EventTarget::Audit(_) if events.is_empty() => Ok(None),
        EventTarget::Audit(log) => log.append_on(&mut h.conn(), events, step).await.map(Some),
        EventTarget::Table => {
            for chunk in events.chunks(OWN_ROWS_PER_STATEMENT) {
                let mut sql = Sql::new(dialect);
                sql.push("INSERT INTO _pdpo_events (id, at, event) VALUES ");
                for (i, ev) in chunk.iter().enumerate() {
                    let json = serde_json::to_string(ev).map_err(|_| {
                        StoreError::new(
                            StoreErrorKind::Backend,
                            format!("audit event {} cannot be serialised", ev.id),
                        )
                    })?;
                    sql.push(if i > 0 { ", (" } else { "(" });
                    match dialect {
                        Dialect::Sqlite => {
                            sql.bind(Bind::text(ev.id.to_string()), None).push(", ");
                            sql.bind(
                                Bind::text(ev.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
                                None,
                            );
                        }
                        Dialect::Postgres => {
                            sql.bind(Bind::Uuid(ev.id), None).push(", ").bind(Bind::Timestamp(ev.at), None);
                        }
                    }
                    sql.push(", ").bind(Bind::text(json), Some("jsonb")).push(")");
                }
                step()?;
                let what = || match chunk {
                    [one] => format!("appending audit event {}", one.id),
                    [first, ..] => format!("appending {} audit events (the first {})", chunk.len(), first.id),
                    [] => String::new(),
                };
                // Full and single-row statements recur and stay prepared; an odd-sized rest does not.
                let run = if chunk.len() == 1 || chunk.len() == OWN_ROWS_PER_STATEMENT {
                    h.execute(sql).await
                } else {
                    h.execute_once(sql).await
                };
                run.map_err(|e| store_error(&e, &what(), false))?;
            }
            Ok(None)
        }
    }
}
