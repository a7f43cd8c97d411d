//! Records: one row of one entity.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Entity, Identifier, Key, KeyValue, StoreError, Value};

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

    /// Makes the key columns agree with the key, as every store does before an insert: a key
    /// column missing from the values is filled from the key, and one present must hold the key's
    /// value. `entity` is this record's entity in the schema.
    ///
    /// # Errors
    ///
    /// [`StoreErrorKind::Invalid`](crate::StoreErrorKind::Invalid) when the key has a different
    /// number of columns than the entity's key, or a key column holds another value than the key.
    ///
    /// ```
    /// use pdpo_core::{Identifier, Key, Record, Schema, Value};
    ///
    /// let schema = Schema::from_toml_str(
    ///     "subject = \"contacts\"\n[entities.contacts]\nkey = \"id\"\n",
    ///     None,
    /// )?;
    /// let contacts = schema.entity("contacts").unwrap();
    /// let mut r = Record::new(Identifier::new("contacts")?, Key::from(7));
    /// r.fill_key_columns(contacts)?;
    /// assert_eq!(r.get("id"), Some(&Value::Int(7)));
    ///
    /// let mut wrong = Record::new(Identifier::new("contacts")?, Key::from(7)).with("id", 8);
    /// assert!(wrong.fill_key_columns(contacts).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fill_key_columns(&mut self, entity: &Entity) -> Result<(), StoreError> {
        if self.key.len() != entity.key.len() {
            return Err(StoreError::invalid(format!(
                "{}: key has {} column(s), `{}` has {}",
                self.reference(),
                self.key.len(),
                entity.name,
                entity.key.len()
            )));
        }
        for (col, part) in entity.key.iter().zip(self.key.parts()) {
            match self.values.get(col.as_str()) {
                None => {
                    self.values.insert(col.to_string(), part.to_value());
                }
                Some(v) if KeyValue::from_value(v).as_ref() == Some(part) => {}
                Some(_) => {
                    return Err(StoreError::invalid(format!(
                        "{}: key column `{col}` differs from the key",
                        self.reference()
                    )));
                }
            }
        }
        Ok(())
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
