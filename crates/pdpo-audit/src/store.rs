//! The [`AuditStore`] port.

use std::future::Future;
use std::ops::ControlFlow;

use pdpo_core::AuditEvent;
use serde::{Deserialize, Serialize};

use crate::{Chain, EntryRow, Head, Month, Result, Seal};

/// Rows per page when [`AuditStore::scan`] falls back to [`AuditStore::read`].
const SCAN_PAGE: usize = 4096;

/// One kept partition: a month whose entries are still stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    /// The month.
    pub month: Month,
    /// Rows stored for it.
    pub rows: u64,
}

/// Where a log is kept: monthly partitions of [`EntryRow`]s, the [`Seal`]s, and the [`Head`].
///
/// [`MemoryAuditStore`](crate::MemoryAuditStore) implements it in memory; `pdpo-store` over
/// SQLite and PostgreSQL, with [`Chain`] doing the hashing inside its own transactions. Everything
/// else in this crate (verification, retention, queries, reports) works on any implementation.
///
/// Implementations keep these rules:
/// - `append` is atomic and serialised: all events of a batch get consecutive positions and
///   commit together, or none does; concurrent batches never interleave or fork.
/// - Seals are never changed or deleted.
/// - `drop_partition` deletes only a sealed month, and only the oldest kept one.
pub trait AuditStore: Send + Sync {
    /// The chaining rules (origin and genesis value).
    fn chain(&self) -> &Chain;

    /// Appends a batch atomically, sealing the previous month first if the batch starts a new
    /// one, and returns the new head.
    fn append(&self, events: &[AuditEvent]) -> impl Future<Output = Result<Head>> + Send;

    /// The stored head.
    fn head(&self) -> impl Future<Output = Result<Head>> + Send;

    /// Every seal, in the order stored (oldest first).
    fn seals(&self) -> impl Future<Output = Result<Vec<Seal>>> + Send;

    /// The kept partitions, oldest first.
    fn partitions(&self) -> impl Future<Output = Result<Vec<Partition>>> + Send;

    /// Up to `limit` rows of `month` starting at position `offset`, in the order the store keeps
    /// them (index order for SQL stores). An empty result means the end of the partition.
    fn read(
        &self,
        month: Month,
        offset: u64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<EntryRow>>> + Send;

    /// Calls `visit` on every row of `month` in stored order until it returns
    /// [`ControlFlow::Break`]. The default reads pages with [`read`](Self::read); a store that
    /// can stream rows without copying them overrides it (verification and queries use this).
    fn scan<F>(&self, month: Month, mut visit: F) -> impl Future<Output = Result<()>> + Send
    where
        F: FnMut(&EntryRow) -> ControlFlow<()> + Send,
    {
        async move {
            let mut offset = 0;
            loop {
                let rows = self.read(month, offset, SCAN_PAGE).await?;
                if rows.is_empty() {
                    return Ok(());
                }
                offset += rows.len() as u64;
                for row in &rows {
                    if visit(row).is_break() {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Seals the head's month if it has ended (by the store's clock); returns the new seal.
    fn seal_ended(&self) -> impl Future<Output = Result<Option<Seal>>> + Send;

    /// Deletes a sealed month's rows, keeping its seal. Refuses an unsealed month or one that is
    /// not the oldest kept; returns `false` if the month was already gone (safe to repeat).
    /// Go through [`Retention::run`](crate::Retention::run), which logs the drop first.
    fn drop_partition(&self, month: Month) -> impl Future<Output = Result<bool>> + Send;
}

macro_rules! forward_audit_store {
    ($($ty:ty),*) => {$(
        #[deny(clippy::missing_trait_methods)]
        impl<S: AuditStore + ?Sized> AuditStore for $ty {
            fn chain(&self) -> &Chain {
                (**self).chain()
            }
            fn append(&self, events: &[AuditEvent]) -> impl Future<Output = Result<Head>> + Send {
                (**self).append(events)
            }
            fn head(&self) -> impl Future<Output = Result<Head>> + Send {
                (**self).head()
            }
            fn seals(&self) -> impl Future<Output = Result<Vec<Seal>>> + Send {
                (**self).seals()
            }
            fn partitions(&self) -> impl Future<Output = Result<Vec<Partition>>> + Send {
                (**self).partitions()
            }
            fn read(&self, month: Month, offset: u64, limit: usize) -> impl Future<Output = Result<Vec<EntryRow>>> + Send {
                (**self).read(month, offset, limit)
            }
            fn scan<F>(&self, month: Month, visit: F) -> impl Future<Output = Result<()>> + Send
            where
                F: FnMut(&EntryRow) -> ControlFlow<()> + Send,
            {
                (**self).scan(month, visit)
            }
            fn seal_ended(&self) -> impl Future<Output = Result<Option<Seal>>> + Send {
                (**self).seal_ended()
            }
            fn drop_partition(&self, month: Month) -> impl Future<Output = Result<bool>> + Send {
                (**self).drop_partition(month)
            }
        }
    )*};
}

forward_audit_store!(&S, std::sync::Arc<S>, Box<S>);
