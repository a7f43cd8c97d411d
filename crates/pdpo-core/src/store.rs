//! The storage ports: [`DataStore`], [`BlobStore`] and [`EventSink`].
//!
//! Stores are used through generics, not `dyn`: the async methods return `impl Future + Send`
//! (the form the `async_fn_in_trait` lint recommends for public traits), which costs no boxing and
//! lets callers spawn the futures. A program that picks its backend at run time wraps the stores it
//! supports in an enum that implements the trait (the `pdpo` CLI does).

use std::future::Future;
use std::io::Read;

use crate::{Applied, AuditEvent, ChangeSet, Key, KeyValue, Record, Schema, StoreError};

/// How [`DataStore::find`] selects records.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lookup {
    /// Records whose `columns` (as a tuple) equal one of `keys`: the batched `IN` of one hop.
    Columns {
        /// Columns compared, in order.
        columns: Vec<String>,
        /// Wanted tuples; each has one value per column.
        keys: Vec<Key>,
    },
    /// Records whose array-of-keys `column` contains any of `values`.
    ArrayContains {
        /// The array column (a PostgreSQL array or a JSON array).
        column: String,
        /// Wanted elements.
        values: Vec<KeyValue>,
    },
}

/// One page of a keyset scan.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    /// Records in ascending key order.
    pub records: Vec<Record>,
    /// Where to continue (`after` for the next call), or `None` when the scan is complete.
    pub next: Option<Key>,
}

/// The type of a column, as a store reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ColumnType {
    /// Boolean.
    Bool,
    /// Integer.
    Int,
    /// Exact decimal.
    Decimal,
    /// Floating point.
    Float,
    /// Text.
    Text,
    /// Bytes.
    Bytes,
    /// UUID.
    Uuid,
    /// Timestamp.
    Timestamp,
    /// Date.
    Date,
    /// JSON document.
    Json,
    /// Array of keys (PostgreSQL array).
    Array,
    /// Anything else.
    Other,
}

/// A column's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnInfo {
    /// Column name.
    pub name: String,
    /// Column type.
    pub ty: ColumnType,
    /// Whether `NULL` is allowed.
    pub nullable: bool,
    /// Maximum length in characters, for bounded text columns.
    pub max_len: Option<u32>,
}

/// Reads and changes the records a [`Schema`] describes.
///
/// Implement it to plug `pdpo` into any storage; `pdpo-store` implements it over SQL tables and
/// [`MemoryStore`](crate::MemoryStore) in memory. Every implementation should pass the conformance
/// suite (feature `conformance`). A store bound to a tenant sees and changes only that tenant's
/// records.
pub trait DataStore: Send + Sync {
    /// The schema the store serves.
    fn schema(&self) -> &Schema;

    /// Records of `entity` with these keys; missing keys are skipped. One batched lookup.
    fn fetch(
        &self,
        entity: &str,
        keys: &[Key],
    ) -> impl Future<Output = Result<Vec<Record>, StoreError>> + Send;

    /// Records of `entity` selected by `lookup`. One batched lookup.
    fn find(
        &self,
        entity: &str,
        lookup: &Lookup,
    ) -> impl Future<Output = Result<Vec<Record>, StoreError>> + Send;

    /// Up to `limit` records of `entity` with keys greater than `after`, in key order. A scan
    /// resumes from any `next` it returned, even after a restart.
    fn scan_page(
        &self,
        entity: &str,
        after: Option<&Key>,
        limit: usize,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send;

    /// Applies a change set atomically, its audit events included.
    fn apply(&self, changes: ChangeSet) -> impl Future<Output = Result<Applied, StoreError>> + Send;

    /// The columns of `entity`'s table.
    fn columns(&self, entity: &str) -> impl Future<Output = Result<Vec<ColumnInfo>, StoreError>> + Send;

    /// Blob ids queued for deletion by committed change sets and not yet acknowledged.
    fn pending_blob_deletes(&self) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    /// Marks queued blob deletions as done.
    fn ack_blob_deletes(&self, ids: &[String]) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Attachment bytes kept outside the database.
pub trait BlobStore: Send + Sync {
    /// Stores `bytes` under `id`, replacing any previous content.
    fn put(&self, id: &str, bytes: Vec<u8>) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Opens a blob for streaming reads.
    fn open(&self, id: &str) -> impl Future<Output = Result<Box<dyn Read + Send>, StoreError>> + Send;

    /// The size of a blob in bytes.
    fn size(&self, id: &str) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Deletes a blob. Idempotent: returns `false` if it was already gone.
    fn delete(&self, id: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// Receives the audit events of each change set, inside the store's commit: if `append` fails,
/// the change set is not applied. `pdpo-audit`'s logs implement it. It must append all of `events`
/// or none.
pub trait EventSink: Send + Sync {
    /// Appends a batch atomically.
    fn append(&self, events: &[AuditEvent]) -> Result<(), StoreError>;
}

/// Deletes the blobs queued by committed change sets, then acknowledges them. Safe to run again
/// after a crash: a blob already gone counts as deleted. Returns how many were processed.
pub async fn flush_blob_outbox<D: DataStore, B: BlobStore>(
    store: &D,
    blobs: &B,
) -> Result<usize, StoreError> {
    let pending = store.pending_blob_deletes().await?;
    for id in &pending {
        blobs.delete(id).await?;
    }
    store.ack_blob_deletes(&pending).await?;
    Ok(pending.len())
}

macro_rules! forward_data_store {
    ($($ty:ty),*) => {$(
        impl<D: DataStore + ?Sized> DataStore for $ty {
            fn schema(&self) -> &Schema {
                (**self).schema()
            }
            fn fetch(&self, entity: &str, keys: &[Key]) -> impl Future<Output = Result<Vec<Record>, StoreError>> + Send {
                (**self).fetch(entity, keys)
            }
            fn find(&self, entity: &str, lookup: &Lookup) -> impl Future<Output = Result<Vec<Record>, StoreError>> + Send {
                (**self).find(entity, lookup)
            }
            fn scan_page(&self, entity: &str, after: Option<&Key>, limit: usize) -> impl Future<Output = Result<Page, StoreError>> + Send {
                (**self).scan_page(entity, after, limit)
            }
            fn apply(&self, changes: ChangeSet) -> impl Future<Output = Result<Applied, StoreError>> + Send {
                (**self).apply(changes)
            }
            fn columns(&self, entity: &str) -> impl Future<Output = Result<Vec<ColumnInfo>, StoreError>> + Send {
                (**self).columns(entity)
            }
            fn pending_blob_deletes(&self) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send {
                (**self).pending_blob_deletes()
            }
            fn ack_blob_deletes(&self, ids: &[String]) -> impl Future<Output = Result<(), StoreError>> + Send {
                (**self).ack_blob_deletes(ids)
            }
        }
    )*};
}

forward_data_store!(&D, std::sync::Arc<D>, Box<D>);

impl<S: EventSink + ?Sized> EventSink for std::sync::Arc<S> {
    fn append(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        (**self).append(events)
    }
}

impl<S: EventSink + ?Sized> EventSink for &S {
    fn append(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        (**self).append(events)
    }
}
