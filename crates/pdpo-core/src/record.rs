//! Records: one row of one entity.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Identifier, Key, Value};

/// A reference to one record: entity and key. Carries no personal data.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RecordRef {
    /// Entity name from the schema.
    pub entity: Identifier,
    /// Primary key.
    pub key: Key,
}

impl RecordRef {
    /// A reference to `entity` record `key`.
    pub fn new(entity: Identifier, key: Key) -> Self {
        Self { entity, key }
    }
}

impl fmt::Display for RecordRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]", self.entity, self.key)
    }
}

impl fmt::Debug for RecordRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordRef({self})")
    }
}

/// One row: its entity, its key, and its column values by column name.
///
/// `values` holds every column read, key columns included. `Debug` shows the column names and
/// value kinds, never the values.
#[derive(Clone, PartialEq)]
pub struct Record {
    /// Entity name from the schema.
    pub entity: Identifier,
    /// Primary key.
    pub key: Key,
    /// Column values by column name.
    pub values: BTreeMap<String, Value>,
}

impl Record {
    /// A record with no values yet.
    pub fn new(entity: Identifier, key: Key) -> Self {
        Self { entity, key, values: BTreeMap::new() }
    }

    /// Sets a column, builder style.
    #[must_use]
    pub fn with(mut self, column: impl Into<String>, value: impl Into<Value>) -> Self {
        self.values.insert(column.into(), value.into());
        self
    }

    /// The value of a column, or `None` if it was not read.
    pub fn get(&self, column: &str) -> Option<&Value> {
        self.values.get(column)
    }

    /// A reference to this record.
    pub fn reference(&self) -> RecordRef {
        RecordRef::new(self.entity.clone(), self.key.clone())
    }
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("entity", &self.entity)
            .field("key", &self.key)
            .field("values", &self.values)
            .finish()
    }
}
