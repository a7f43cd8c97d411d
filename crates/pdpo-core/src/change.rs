//! Change sets: the unit of atomic writing.

use std::collections::BTreeMap;

use crate::{AuditEvent, Record, RecordRef, Value};

/// One write.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Change {
    /// Insert a new record (its key columns must be among its values or are filled from its key).
    Insert(Record),
    /// Set some columns of an existing record. Key columns cannot change.
    Update {
        /// The record to change.
        target: RecordRef,
        /// New values by column.
        set: BTreeMap<String, Value>,
    },
    /// Delete a record. Refused if a record outside the change set still refers to it.
    Delete(RecordRef),
}

impl Change {
    /// The record the change is about.
    pub fn target(&self) -> RecordRef {
        match self {
            Self::Insert(r) => r.reference(),
            Self::Update { target, .. } | Self::Delete(target) => target.clone(),
        }
    }
}

/// Writes and the audit events that describe them, applied all-or-nothing by
/// [`DataStore::apply`](crate::DataStore::apply): the data changes, the events and the blob
/// deletions (queued in the store's outbox) commit together or not at all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeSet {
    /// The writes, applied in order.
    pub changes: Vec<Change>,
    /// The audit events describing them.
    pub events: Vec<AuditEvent>,
    /// Blobs to delete once the change set has committed (see [`flush_blob_outbox`](crate::flush_blob_outbox)).
    pub blob_deletes: Vec<String>,
}

impl ChangeSet {
    /// An empty change set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an insert.
    pub fn insert(&mut self, record: Record) -> &mut Self {
        self.changes.push(Change::Insert(record));
        self
    }

    /// Adds an update.
    pub fn update(&mut self, target: RecordRef, set: BTreeMap<String, Value>) -> &mut Self {
        self.changes.push(Change::Update { target, set });
        self
    }

    /// Adds a delete.
    pub fn delete(&mut self, target: RecordRef) -> &mut Self {
        self.changes.push(Change::Delete(target));
        self
    }

    /// Adds an audit event.
    pub fn event(&mut self, event: AuditEvent) -> &mut Self {
        self.events.push(event);
        self
    }

    /// Queues a blob deletion.
    pub fn delete_blob(&mut self, id: impl Into<String>) -> &mut Self {
        self.blob_deletes.push(id.into());
        self
    }

    /// Appends `other`'s changes, events and blob deletions after this one's, so both commit in
    /// one [`apply`](crate::DataStore::apply) (batch erasure joins one change set per subject).
    ///
    /// ```
    /// use pdpo_core::{ChangeSet, Identifier, Key, Record};
    ///
    /// let mut all = ChangeSet::new();
    /// let mut one = ChangeSet::new();
    /// one.insert(Record::new(Identifier::new("contacts")?, Key::from(1))).delete_blob("b1");
    /// all.append(one.clone()).append(one);
    /// assert_eq!((all.changes.len(), all.blob_deletes.len()), (2, 2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn append(&mut self, other: ChangeSet) -> &mut Self {
        let ChangeSet { changes, events, blob_deletes } = other;
        self.changes.extend(changes);
        self.events.extend(events);
        self.blob_deletes.extend(blob_deletes);
        self
    }

    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.events.is_empty() && self.blob_deletes.is_empty()
    }
}

/// What an applied change set did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Records inserted.
    pub inserted: u64,
    /// Records updated.
    pub updated: u64,
    /// Records deleted.
    pub deleted: u64,
    /// Audit events appended.
    pub events: u64,
}
