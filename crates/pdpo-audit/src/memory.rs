//! [`MemoryAuditStore`]: the in-memory reference [`AuditStore`].

use std::collections::BTreeMap;
use std::fmt;
use std::future::{Future, ready};
use std::ops::ControlFlow;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use pdpo_core::{AuditEvent, Clock, EventSink, Identifier, StoreError, StoreErrorKind, SystemClock};
use serde::{Deserialize, Serialize};

use crate::{AuditStore, Body, Chain, EntryRow, Error, Head, Month, Partition, Result, Seal};

/// Rows visited per read-lock acquisition by [`AuditStore::scan`].
const SCAN_CHUNK: usize = 65_536;

/// A copy of everything a log stores: its head, its seals and its kept partitions. Serialisable
/// (for backups and workspace exports) and loadable with [`MemoryAuditStore::from_snapshot`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The log's origin.
    pub origin: Identifier,
    /// The head row.
    pub head: Head,
    /// The seals, oldest first.
    pub seals: Vec<Seal>,
    /// The kept partitions' rows, in stored order.
    pub partitions: BTreeMap<Month, Vec<EntryRow>>,
}

struct State {
    head: Head,
    seals: Vec<Seal>,
    partitions: BTreeMap<Month, Vec<EntryRow>>,
}

struct Inner {
    chain: Chain,
    clock: Arc<dyn Clock>,
    state: RwLock<State>,
}

/// A thread-safe in-memory audit log: the reference [`AuditStore`], and an [`EventSink`] so that
/// a [`MemoryStore`](pdpo_core::MemoryStore) commits its data changes and their events together.
///
/// Events are encoded outside the lock; the lock is held only to chain and insert, so concurrent
/// writers get one linear log. Clones share the same log.
///
/// ```
/// use std::sync::Arc;
/// use pdpo_core::{Actor, AuditAction, AuditEvent, ChangeSet, DataStore, Identifier, MemoryStore, Schema};
/// use pdpo_audit::{AuditStore, MemoryAuditStore};
///
/// let log = MemoryAuditStore::new(Identifier::from_static("acme"));
/// let schema = Schema::from_toml_str("subject = \"contacts\"\n[entities.contacts]\nkey = \"id\"\n", None)?;
/// let store = MemoryStore::with_sink(schema, Arc::new(log.clone()));
/// let mut cs = ChangeSet::new();
/// cs.event(AuditEvent::new(AuditAction::Login, Actor::user("staff-17")?, chrono::Utc::now()));
/// pollster::block_on(store.apply(cs))?;
/// assert_eq!(pollster::block_on(log.head())?.size, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct MemoryAuditStore {
    inner: Arc<Inner>,
}

impl fmt::Debug for MemoryAuditStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.read_state();
        f.debug_struct("MemoryAuditStore")
            .field("origin", self.inner.chain.origin())
            .field("size", &st.head.size)
            .field("partitions", &st.partitions.len())
            .field("seals", &st.seals.len())
            .finish()
    }
}

impl MemoryAuditStore {
    /// An empty log named `origin`, recording times from the system clock.
    pub fn new(origin: Identifier) -> Self {
        Self::with_clock(origin, Arc::new(SystemClock))
    }

    /// An empty log recording times from `clock` (a [`FixedClock`](pdpo_core::FixedClock) in
    /// tests and simulations).
    pub fn with_clock(origin: Identifier, clock: Arc<dyn Clock>) -> Self {
        let chain = Chain::new(origin);
        let head = chain.head();
        Self::build(chain, clock, State { head, seals: Vec::new(), partitions: BTreeMap::new() })
    }

    /// A log holding exactly what `snapshot` holds, unchecked: run [`verify`](crate::verify) to
    /// find out whether it is intact.
    pub fn from_snapshot(snapshot: Snapshot, clock: Arc<dyn Clock>) -> Self {
        let Snapshot { origin, head, seals, partitions } = snapshot;
        Self::build(Chain::new(origin), clock, State { head, seals, partitions })
    }

    fn build(chain: Chain, clock: Arc<dyn Clock>, state: State) -> Self {
        Self { inner: Arc::new(Inner { chain, clock, state: RwLock::new(state) }) }
    }

    /// A copy of the stored state.
    pub fn snapshot(&self) -> Snapshot {
        let st = self.read_state();
        Snapshot {
            origin: self.inner.chain.origin().clone(),
            head: st.head.clone(),
            seals: st.seals.clone(),
            partitions: st.partitions.clone(),
        }
    }

    /// [`AuditStore::append`] without the future: appends a batch atomically and returns the
    /// new head.
    pub fn append_now(&self, events: &[AuditEvent]) -> Result<Head> {
        let bodies = events.iter().map(Body::encode).collect::<Result<Vec<_>, _>>()?;
        let now = self.inner.clock.now();
        let mut st = self.write_state();
        let State { head, seals, partitions } = &mut *st;
        // Most batches land in the head's month: make room once rather than growing row by row.
        if let Some(rows) = head.month.filter(|&m| m == Month::of(now)).and_then(|m| partitions.get_mut(&m)) {
            rows.reserve(bodies.len());
        }
        for body in bodies {
            let a = self.inner.chain.append(head, body, now);
            if let Some(seal) = a.seal {
                seals.push(seal);
            }
            partitions.entry(a.month).or_default().push(a.row);
        }
        Ok(head.clone())
    }

    fn read_state(&self) -> RwLockReadGuard<'_, State> {
        self.inner.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_state(&self) -> RwLockWriteGuard<'_, State> {
        self.inner.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl EventSink for MemoryAuditStore {
    fn append(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        self.append_now(events).map(drop).map_err(|e| {
            StoreError::new(StoreErrorKind::Invalid, "the audit log refused the events").with_source(e)
        })
    }
}

impl AuditStore for MemoryAuditStore {
    fn chain(&self) -> &Chain {
        &self.inner.chain
    }

    fn append(&self, events: &[AuditEvent]) -> impl Future<Output = Result<Head>> + Send {
        ready(self.append_now(events))
    }

    fn head(&self) -> impl Future<Output = Result<Head>> + Send {
        ready(Ok(self.read_state().head.clone()))
    }

    fn seals(&self) -> impl Future<Output = Result<Vec<Seal>>> + Send {
        ready(Ok(self.read_state().seals.clone()))
    }

    fn partitions(&self) -> impl Future<Output = Result<Vec<Partition>>> + Send {
        let st = self.read_state();
        ready(Ok(st
            .partitions
            .iter()
            .map(|(&month, rows)| Partition { month, rows: rows.len() as u64 })
            .collect()))
    }

    fn read(
        &self,
        month: Month,
        offset: u64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<EntryRow>>> + Send {
        let st = self.read_state();
        let rows = st.partitions.get(&month).map_or(&[][..], Vec::as_slice);
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(rows.len());
        let end = start.saturating_add(limit).min(rows.len());
        ready(Ok(rows[start..end].to_vec()))
    }

    fn scan<F>(&self, month: Month, mut visit: F) -> impl Future<Output = Result<()>> + Send
    where
        F: FnMut(&EntryRow) -> ControlFlow<()> + Send,
    {
        // Visits rows in place, under the read lock, a chunk at a time so appends are not held
        // up for long. Partitions only grow at the end, so offsets stay valid between chunks.
        let mut offset = 0;
        loop {
            let st = self.read_state();
            let rows = st.partitions.get(&month).map_or(&[][..], Vec::as_slice);
            let chunk = rows.get(offset..).unwrap_or_default();
            if chunk.is_empty() {
                break;
            }
            let chunk = &chunk[..chunk.len().min(SCAN_CHUNK)];
            offset += chunk.len();
            if chunk.iter().any(|row| visit(row).is_break()) {
                break;
            }
        }
        ready(Ok(()))
    }

    fn seal_ended(&self) -> impl Future<Output = Result<Option<Seal>>> + Send {
        let now = self.inner.clock.now();
        let mut st = self.write_state();
        let seal = self.inner.chain.seal_ended(&mut st.head, now);
        if let Some(s) = &seal {
            st.seals.push(s.clone());
        }
        ready(Ok(seal))
    }

    fn drop_partition(&self, month: Month) -> impl Future<Output = Result<bool>> + Send {
        let mut st = self.write_state();
        let oldest = st.partitions.keys().next().copied();
        let result = if !st.partitions.contains_key(&month) {
            Ok(false)
        } else if !st.seals.iter().any(|s| s.month == month) {
            Err(Error::NotSealed { month })
        } else if let Some(oldest) = oldest.filter(|&o| o != month) {
            Err(Error::NotOldest { month, oldest })
        } else {
            Ok(st.partitions.remove(&month).is_some())
        };
        ready(result)
    }
}
