//! Loading generated data into any [`DataStore`] and [`BlobStore`], in [`ChangeSet`] batches.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use pdpo_core::{BlobStore, ChangeSet, DataStore, MemoryBlobStore, MemoryStore, StoreError, StoreErrorKind};

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
///
/// Generation runs on a thread of its own, up to [`AHEAD`] change sets ahead of the writes, so
/// building the data overlaps writing it. The result is the same as [`load_groups`] over
/// [`Generator::groups`].
pub async fn load<D: DataStore, B: BlobStore>(
    generator: &Generator,
    store: &D,
    blobs: &B,
    batch: usize,
) -> Result<LoadStats, StoreError> {
    load_with_progress(generator, store, blobs, batch, |_| {}).await
}

/// Like [`load`], calling `progress` with the running totals after each change set (for a
/// progress bar: [`LoadStats::groups`] counts the contacts loaded so far).
///
/// ```
/// use pdpo_core::{MemoryBlobStore, MemoryStore};
/// use pdpo_testkit::{Generator, load::block_on, load_with_progress, schema};
///
/// let (store, blobs) = (MemoryStore::new(schema()), MemoryBlobStore::new());
/// let mut contacts_so_far = Vec::new();
/// let stats = block_on(load_with_progress(&Generator::new(40, 1), &store, &blobs, 500, |s| {
///     contacts_so_far.push(s.groups)
/// }))?;
/// assert_eq!(contacts_so_far.last(), Some(&40));
/// assert_eq!(contacts_so_far.len() as u64, stats.change_sets);
/// # Ok::<(), pdpo_core::StoreError>(())
/// ```
pub async fn load_with_progress<D: DataStore, B: BlobStore>(
    generator: &Generator,
    store: &D,
    blobs: &B,
    batch: usize,
    mut progress: impl FnMut(&LoadStats),
) -> Result<LoadStats, StoreError> {
    let (tx, rx) = flume::bounded(AHEAD);
    let g = generator.clone();
    let producer = std::thread::Builder::new()
        .name("pdpo-testkit-generate".into())
        .spawn(move || {
            // A closed channel means the writer stopped (an error): stop generating.
            for next in Batches::new(&g, g.groups(), batch) {
                if tx.send(next).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| {
            StoreError::new(StoreErrorKind::Backend, format!("starting the generator thread: {e}"))
        })?;
    let mut stats = LoadStats::default();
    let mut outcome = Ok(());
    while let Ok(next) = rx.recv_async().await {
        if let Err(e) = write(store, blobs, next, &mut stats).await {
            outcome = Err(e);
            break;
        }
        progress(&stats);
    }
    drop(rx);
    if let Err(panic) = producer.join() {
        std::panic::resume_unwind(panic);
    }
    outcome.map(|()| stats)
}

/// How many change sets [`load`] generates ahead of the one being written.
pub const AHEAD: usize = 2;

/// Like [`load`], for a chosen sequence of groups (they must come in key order and start at
/// contact 1, or foreign keys to earlier contacts may dangle), generated on the caller's task.
pub async fn load_groups<D: DataStore, B: BlobStore>(
    store: &D,
    blobs: &B,
    generator: &Generator,
    groups: impl IntoIterator<Item = ContactGroup>,
    batch: usize,
) -> Result<LoadStats, StoreError> {
    let mut stats = LoadStats::default();
    for next in Batches::new(generator, groups, batch) {
        write(store, blobs, next, &mut stats).await?;
    }
    Ok(stats)
}

/// One change set of a load, with the blobs its records name and how many groups it holds.
struct Batch {
    changes: ChangeSet,
    blobs: Vec<crate::Blob>,
    groups: u64,
}

/// Cuts a sequence of groups into [`Batch`]es: the staff users first, then whole groups until
/// a change set holds `batch` records.
struct Batches<I> {
    staff: Option<Vec<pdpo_core::Record>>,
    groups: I,
    batch: usize,
}

impl<I: Iterator<Item = ContactGroup>> Batches<I> {
    fn new(generator: &Generator, groups: impl IntoIterator<IntoIter = I>, batch: usize) -> Self {
        Self { staff: Some(generator.staff()), groups: groups.into_iter(), batch: batch.max(1) }
    }
}

impl<I: Iterator<Item = ContactGroup>> Iterator for Batches<I> {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        let mut next = Batch { changes: ChangeSet::new(), blobs: Vec::new(), groups: 0 };
        for r in self.staff.take().into_iter().flatten() {
            next.changes.insert(r);
        }
        while next.changes.changes.len() < self.batch {
            let Some(group) = self.groups.next() else { break };
            next.groups += 1;
            for r in group.records {
                next.changes.insert(r);
            }
            next.blobs.extend(group.blobs);
        }
        (!next.changes.changes.is_empty() || !next.blobs.is_empty()).then_some(next)
    }
}

/// Stores a batch's blobs, then applies its change set.
async fn write<D: DataStore, B: BlobStore>(
    store: &D,
    blobs: &B,
    next: Batch,
    stats: &mut LoadStats,
) -> Result<(), StoreError> {
    stats.groups += next.groups;
    for b in next.blobs {
        stats.blobs += 1;
        stats.blob_bytes += b.bytes.len() as u64;
        blobs.put(&b.id, b.bytes).await?;
    }
    if next.changes.changes.is_empty() {
        return Ok(());
    }
    let applied = store.apply(next.changes).await?;
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
    // Generated on this thread: `block_on` would only spin while another thread generates.
    let stats = block_on(load_groups(&store, &blobs, generator, generator.groups(), DEFAULT_BATCH))?;
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
