//! Building a schema in code.

use std::collections::BTreeMap;

use super::validate::{Source, validate};
use super::{Entity, Schema, SchemaError};
use crate::Identifier;

/// Builds a [`Schema`] in code; [`build`](Self::build) runs the same validation as the TOML loader.
///
/// ```
/// use pdpo_core::{Entity, Field, Identifier as Id, Link, LinkKind, PiiCategory, Purpose, Schema};
/// let id = |s| Id::new(s).unwrap();
/// let schema = Schema::builder(id("contacts"))
///     .purpose(id("billing"), "Invoicing")
///     .entity(
///         Entity::new(id("contacts"), [id("id")])
///             .with_field(Field::new(id("email")).with_category(PiiCategory::Email).with_purpose(Purpose(id("billing")))),
///     )
///     .entity(
///         Entity::new(id("invoices"), [id("id")])
///             .with_link(Link::new(id("contacts"), LinkKind::ForeignKey { columns: vec![id("contact_id")] })),
///     )
///     .build()?;
/// assert_eq!(schema.traversal_order().count(), 2);
/// # Ok::<(), pdpo_core::SchemaError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SchemaBuilder {
    subject: Identifier,
    tenant_column: Option<Identifier>,
    purposes: BTreeMap<Identifier, String>,
    entities: Vec<Entity>,
}

impl SchemaBuilder {
    pub(super) fn new(subject: Identifier) -> Self {
        Self { subject, tenant_column: None, purposes: BTreeMap::new(), entities: Vec::new() }
    }

    /// Declares a purpose.
    #[must_use]
    pub fn purpose(mut self, name: Identifier, description: impl Into<String>) -> Self {
        self.purposes.insert(name, description.into());
        self
    }

    /// Sets the tenant column of shared multi-tenant tables.
    #[must_use]
    pub fn tenant_column(mut self, column: Identifier) -> Self {
        self.tenant_column = Some(column);
        self
    }

    /// Adds an entity.
    #[must_use]
    pub fn entity(mut self, entity: Entity) -> Self {
        self.entities.push(entity);
        self
    }

    /// Validates and returns the schema.
    pub fn build(self) -> Result<Schema, SchemaError> {
        validate(
            self.subject,
            self.tenant_column,
            self.purposes,
            self.entities,
            &Source { file: None, text: None },
            Vec::new(),
        )
    }
}
