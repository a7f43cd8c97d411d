//! Loading generated data into any [`DataStore`] and [`BlobStore`], in [`ChangeSet`] batches.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use pdpo_core::{BlobStore, ChangeSet, DataStore, MemoryBlobStore, MemoryStore, StoreError};

use crate::{ContactGroup, Generator, schema};

/// Records per change set used by [`load_memory`].
pub const DEFAULT_BATCH: usize = 5_000;

/// What a load wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadStats {
    /// Contact groups loaded.
    pub groups: u64,
    /// Records inserted (staff users included).
    pub records: u64,
    /// Blobs stored.
    pub blobs: u64,
    /// Bytes of blobs stored.
    pub blob_bytes: u64,
    /// Change sets applied.
    pub change_sets: u64,
}

/// Loads the staff users, then every contact group of `generator`, into `store` and `blobs`.
///
/// Groups are never split: a change set holds whole groups and is applied once it reaches
/// `batch` records (a single group larger than `batch` goes alone). A batch's blobs are stored
/// before its change set, so no committed record names a missing blob. The change sets carry no
/// audit events: loading fixtures is not an operation on personal data worth auditing.
pub async fn load<D: DataStore, B: BlobStore>(
    generator: &Generator,
    store: &D,
    blobs: &B,
    batch: usize,
) -> Result<LoadStats, StoreError> {
    load_groups(store, blobs, generator, generator.groups(), batch).await
}

/// Like [`load`], for a chosen sequence of groups (they must come in key order and start at
/// contact 1, or foreign keys to earlier contacts may dangle).
pub async fn load_groups<D: DataStore, B: BlobStore>(
    store: &D,
    blobs: &B,
    generator: &Generator,
    groups: impl IntoIterator<Item = ContactGroup>,
    batch: usize,
) -> Result<LoadStats, StoreError> {
    let mut stats = LoadStats::default();
    let mut cs = ChangeSet::new();
    for r in generator.staff() {
        cs.insert(r);
    }
    let mut pending_blobs = Vec::new();
    for group in groups {
        stats.groups += 1;
        for r in group.records {
            cs.insert(r);
        }
        pending_blobs.extend(group.blobs);
        if cs.changes.len() >= batch.max(1) {
            flush(store, blobs, &mut cs, &mut pending_blobs, &mut stats).await?;
        }
    }
    flush(store, blobs, &mut cs, &mut pending_blobs, &mut stats).await?;
    Ok(stats)
}

async fn flush<D: DataStore, B: BlobStore>(
    store: &D,
    blobs: &B,
    cs: &mut ChangeSet,
    pending: &mut Vec<crate::Blob>,
    stats: &mut LoadStats,
) -> Result<(), StoreError> {
    for b in pending.drain(..) {
        stats.blobs += 1;
        stats.blob_bytes += b.bytes.len() as u64;
        blobs.put(&b.id, b.bytes).await?;
    }
    if cs.changes.is_empty() {
        return Ok(());
    }
    let applied = store.apply(std::mem::take(cs)).await?;
    stats.records += applied.inserted;
    stats.change_sets += 1;
    Ok(())
}

/// A [`MemoryStore`] and [`MemoryBlobStore`] holding a generator's data.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Loaded {
    /// The records.
    pub store: MemoryStore,
    /// The attachment bytes.
    pub blobs: MemoryBlobStore,
    /// What was written.
    pub stats: LoadStats,
}

/// Generates and loads everything into fresh in-memory stores (schema: [`schema()`]).
///
/// Memory grows with the data: about 34 records per contact on average, so keep to tens of
/// thousands of contacts here and stream [`Generator::groups`] for larger runs.
///
/// ```
/// let loaded = pdpo_testkit::load_memory(&pdpo_testkit::Generator::new(50, 1))?;
/// assert_eq!(loaded.store.count("contacts"), 50);
/// # Ok::<(), pdpo_core::StoreError>(())
/// ```
pub fn load_memory(generator: &Generator) -> Result<Loaded, StoreError> {
    let store = MemoryStore::new(schema());
    let blobs = MemoryBlobStore::new();
    let stats = block_on(load(generator, &store, &blobs, DEFAULT_BATCH))?;
    Ok(Loaded { store, blobs, stats })
}

/// Drives a future that never waits on I/O (the in-memory stores' futures are ready at once) to
/// completion on this thread. Busy-polls otherwise, so it is not a general executor.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}
