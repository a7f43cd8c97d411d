//! Where the ledger keeps requests and the log book.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};

use pdpo_core::{AuditEvent, EventSink, StoreError, StoreErrorKind};
use uuid::Uuid;

use crate::{LogBookEntry, Request};

/// One atomic write of the ledger: requests (inserted or replaced), new log-book entries, and the
/// audit events describing them.
#[derive(Debug, Default)]
pub struct LedgerWrite {
    /// Requests to insert or replace (matched by id).
    pub requests: Vec<Request>,
    /// Log-book entries to add.
    pub log_entries: Vec<LogBookEntry>,
    /// Audit events.
    pub events: Vec<AuditEvent>,
}

/// Storage for the request ledger. `MemoryRequestStore` implements it; `pdpo-store` adds SQL.
pub trait RequestStore: Send + Sync {
    /// Applies a write atomically.
    fn write(&self, write: LedgerWrite) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// One request.
    fn get(&self, id: Uuid) -> impl Future<Output = Result<Option<Request>, StoreError>> + Send;
    /// Every request (the ledger filters).
    fn list(&self) -> impl Future<Output = Result<Vec<Request>, StoreError>> + Send;
    /// The whole log book, oldest first.
    fn log_book(&self) -> impl Future<Output = Result<Vec<LogBookEntry>, StoreError>> + Send;
    /// Removes a log-book entry (the ledger checks the four-year rule first).
    fn erase_log_entry(&self, id: Uuid) -> impl Future<Output = Result<(), StoreError>> + Send;
}

#[derive(Default)]
struct State {
    requests: BTreeMap<Uuid, Request>,
    log: BTreeMap<Uuid, LogBookEntry>,
    events: Vec<AuditEvent>,
}

/// An in-memory [`RequestStore`]; events go to an [`EventSink`] inside the write, or to its own list.
#[derive(Clone, Default)]
pub struct MemoryRequestStore {
    state: Arc<RwLock<State>>,
    sink: Option<Arc<dyn EventSink>>,
}

impl std::fmt::Debug for MemoryRequestStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryRequestStore").finish_non_exhaustive()
    }
}

impl MemoryRequestStore {
    /// An empty store keeping events in its own list.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store appending events to `sink` inside each write.
    pub fn with_sink(sink: Arc<dyn EventSink>) -> Self {
        Self { state: Arc::default(), sink: Some(sink) }
    }

    /// The events written (when there is no sink).
    pub fn events(&self) -> Vec<AuditEvent> {
        self.state.read().unwrap_or_else(PoisonError::into_inner).events.clone()
    }
}

impl RequestStore for MemoryRequestStore {
    async fn write(&self, write: LedgerWrite) -> Result<(), StoreError> {
        let mut st = self.state.write().unwrap_or_else(PoisonError::into_inner);
        for e in &write.log_entries {
            if st.log.contains_key(&e.id) {
                return Err(StoreError::new(
                    StoreErrorKind::Conflict,
                    format!("log-book entry {} exists", e.id),
                ));
            }
        }
        match &self.sink {
            Some(sink) => sink.append(&write.events)?,
            None => st.events.extend(write.events),
        }
        for r in write.requests {
            st.requests.insert(r.id, r);
        }
        for e in write.log_entries {
            st.log.insert(e.id, e);
        }
        Ok(())
    }

    async fn get(&self, id: Uuid) -> Result<Option<Request>, StoreError> {
        Ok(self.state.read().unwrap_or_else(PoisonError::into_inner).requests.get(&id).cloned())
    }

    async fn list(&self) -> Result<Vec<Request>, StoreError> {
        Ok(self.state.read().unwrap_or_else(PoisonError::into_inner).requests.values().cloned().collect())
    }

    async fn log_book(&self) -> Result<Vec<LogBookEntry>, StoreError> {
        let st = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let mut v: Vec<LogBookEntry> = st.log.values().cloned().collect();
        v.sort_by_key(|e| e.entered_at);
        Ok(v)
    }

    async fn erase_log_entry(&self, id: Uuid) -> Result<(), StoreError> {
        let mut st = self.state.write().unwrap_or_else(PoisonError::into_inner);
        st.log
            .remove(&id)
            .map(|_| ())
            .ok_or_else(|| StoreError::new(StoreErrorKind::NotFound, format!("no log-book entry {id}")))
    }
}
