//! The schema: how a CRM's own data model maps onto the PDPO's three slices of data (everything
//! about one person, everything of one kind, every touch).
//!
//! A schema names the **subject entity** (the table whose rows are the data subjects, usually
//! contacts) and, for every other entity, how its records reach a subject through **links**:
//!
//! | link | meaning | example |
//! |---|---|---|
//! | `foreign_key` | this entity's columns hold the target's key | `invoices.contact_id → contacts` |
//! | `referenced_by` | the target's columns hold this entity's key | `contacts.company_id → companies` |
//! | `join` | rows of a join entity pair this entity's key with the target's | `conversation_participants` |
//! | `array` | this entity's array column holds target keys | `deals.contact_ids` |
//!
//! Fields carry a [`PiiCategory`], the purposes they serve (DPP1, DPP3), and optional erasure,
//! encryption and JSON path settings. A field of a record about several people may say which link
//! it is `about`, so erasure and s.20(1)(b) redaction touch only that person's data.
//!
//! Load one from `pdpo.toml` with [`Schema::from_toml_str`] / [`Schema::from_file`] (the format is
//! documented in `docs/schema.md`), or build one in code with [`Schema::builder`]. Both paths run
//! the same validation, and a TOML error names the file, line and item.

mod builder;
mod load;
mod validate;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use builder::SchemaBuilder;
pub use load::SCHEMA_VERSION;

use crate::{ColumnType, Identifier, JsonPath, Key, PiiCategory, Purpose, Record};

/// What erasure does to an entity's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EraseMode {
    /// Overwrite the personal fields and keep the row (keys and links intact). The default.
    #[default]
    Anonymise,
    /// Delete the row, where nothing references it.
    Delete,
    /// Never change the row by erasure (retention rules may still apply).
    Keep,
}

/// Which data key encrypts a field marked `encrypt = true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyScope {
    /// One key per data subject, so shredding the person's key makes every copy unreadable.
    #[default]
    Subject,
    /// One key for the workspace.
    Workspace,
}

/// The anonymisation operator a field asks for, overriding the category default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FieldOperator {
    /// Replace with a placeholder that respects the column.
    Redact,
    /// Set to `NULL`.
    Null,
    /// Partially mask (keep a few characters).
    Mask,
    /// Replace with a keyed pseudonym (reversible by the key holder: not erasure).
    Pseudonymise,
    /// Coarsen (a date to its year, a number to a band).
    Generalise,
    /// Replace each piece of personal data found in free text by its label.
    Scrub,
    /// Destroy the data subject's key (for encrypted fields).
    Shred,
    /// Leave unchanged.
    Keep,
}

/// A tag on a place inside a JSON column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonTag {
    /// Where, e.g. `$.emails[*].address`.
    pub path: JsonPath,
    /// What it holds.
    pub category: PiiCategory,
}

/// How an entity's records reach another entity's records (one hop).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkKind {
    /// This entity's `columns` hold the target's key.
    ForeignKey {
        /// Columns of this entity, one per target key column.
        columns: Vec<Identifier>,
    },
    /// The target's `columns` hold this entity's key.
    ReferencedBy {
        /// Columns of the target entity, one per key column of this entity.
        columns: Vec<Identifier>,
    },
    /// Rows of `through` pair this entity's key (`columns`) with the target's (`to_columns`).
    Join {
        /// The join entity.
        through: Identifier,
        /// Columns of the join entity holding this entity's key.
        columns: Vec<Identifier>,
        /// Columns of the join entity holding the target's key.
        to_columns: Vec<Identifier>,
    },
    /// This entity's array `column` holds keys of the target (single-column keys).
    Array {
        /// The array column.
        column: Identifier,
    },
}

/// A named hop from an entity towards the data subject.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Link {
    /// Name, unique within the entity (used by fields' `about`).
    pub name: Identifier,
    /// Target entity.
    pub to: Identifier,
    /// How the hop works.
    pub kind: LinkKind,
}

impl Link {
    /// A link of the given kind to `to`, named after its first column (or the join entity).
    pub fn new(to: Identifier, kind: LinkKind) -> Self {
        let name = match &kind {
            LinkKind::ForeignKey { columns } | LinkKind::ReferencedBy { columns } => {
                columns.first().cloned().unwrap_or_else(|| to.clone())
            }
            LinkKind::Join { through, .. } => through.clone(),
            LinkKind::Array { column } => column.clone(),
        };
        Self { name, to, kind }
    }

    /// Renames the link.
    #[must_use]
    pub fn named(mut self, name: Identifier) -> Self {
        self.name = name;
        self
    }
}

/// A column described by the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Field {
    /// Column name.
    pub name: Identifier,
    /// Category of personal data held, if any.
    pub category: Option<PiiCategory>,
    /// Purposes the field serves (DPP1(1), DPP3).
    pub purposes: Vec<Purpose>,
    /// For records about several people: the link whose person this field is about.
    pub about: Option<Identifier>,
    /// Anonymisation operator overriding the category default.
    pub operator: Option<FieldOperator>,
    /// Whether values are stored encrypted (`pdpo-crypto`).
    pub encrypt: bool,
    /// Which key encrypts it.
    pub key_scope: KeyScope,
    /// Tags inside a JSON column.
    pub json: Vec<JsonTag>,
    /// Declared column type, for stores that cannot introspect and for placeholders.
    pub column_type: Option<ColumnType>,
    /// Whether the column accepts `NULL` (default `true`).
    pub nullable: bool,
    /// Maximum length in characters.
    pub max_len: Option<u32>,
    pub(crate) span: Option<Range<usize>>,
}

impl Field {
    /// A field with no category (declare its type or JSON tags with the `with_*` methods).
    pub fn new(name: Identifier) -> Self {
        Self {
            name,
            category: None,
            purposes: Vec::new(),
            about: None,
            operator: None,
            encrypt: false,
            key_scope: KeyScope::Subject,
            json: Vec::new(),
            column_type: None,
            nullable: true,
            max_len: None,
            span: None,
        }
    }

    /// Sets the category.
    #[must_use]
    pub fn with_category(mut self, category: PiiCategory) -> Self {
        self.category = Some(category);
        self
    }

    /// Adds a purpose.
    #[must_use]
    pub fn with_purpose(mut self, purpose: Purpose) -> Self {
        self.purposes.push(purpose);
        self
    }

    /// Sets the link this field is about.
    #[must_use]
    pub fn about(mut self, link: Identifier) -> Self {
        self.about = Some(link);
        self
    }

    /// Sets the operator.
    #[must_use]
    pub fn with_operator(mut self, op: FieldOperator) -> Self {
        self.operator = Some(op);
        self
    }

    /// Marks the field encrypted under the given key scope.
    #[must_use]
    pub fn encrypted(mut self, scope: KeyScope) -> Self {
        self.encrypt = true;
        self.key_scope = scope;
        self
    }

    /// Adds a JSON path tag.
    #[must_use]
    pub fn with_json_tag(mut self, path: JsonPath, category: PiiCategory) -> Self {
        self.json.push(JsonTag { path, category });
        self
    }

    /// Declares the column type.
    #[must_use]
    pub fn with_type(mut self, ty: ColumnType) -> Self {
        self.column_type = Some(ty);
        self
    }

    /// Declares the column `NOT NULL`.
    #[must_use]
    pub fn not_null(mut self) -> Self {
        self.nullable = false;
        self
    }

    /// Declares a maximum length.
    #[must_use]
    pub fn with_max_len(mut self, n: u32) -> Self {
        self.max_len = Some(n);
        self
    }

    /// Whether the field holds personal data (a category, or tagged JSON paths).
    pub fn is_personal(&self) -> bool {
        self.category.is_some() || !self.json.is_empty()
    }
}

/// The columns that date a record's life, used as retention anchors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    /// When the record was created.
    pub created: Option<Identifier>,
    /// When it was last changed.
    pub updated: Option<Identifier>,
    /// When the person last interacted.
    pub last_activity: Option<Identifier>,
    /// When the matter closed (a deal won or lost, an invoice settled).
    pub closed: Option<Identifier>,
}

/// One table of the CRM.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entity {
    /// Entity name (used everywhere else).
    pub name: Identifier,
    /// Table name in the database (may be mixed case).
    pub table: Identifier,
    /// Key columns (several for a composite key).
    pub key: Vec<Identifier>,
    /// Hops towards the data subject.
    pub links: Vec<Link>,
    /// Described columns.
    pub fields: Vec<Field>,
    /// Lifecycle columns.
    pub lifecycle: Lifecycle,
    /// What erasure does.
    pub erase: EraseMode,
    pub(crate) span: Option<Range<usize>>,
    pub(crate) link_spans: Vec<Option<Range<usize>>>,
}

impl Entity {
    /// An entity stored in a table of the same name, keyed by `key`.
    pub fn new(name: Identifier, key: impl IntoIterator<Item = Identifier>) -> Self {
        Self {
            table: name.clone(),
            name,
            key: key.into_iter().collect(),
            links: Vec::new(),
            fields: Vec::new(),
            lifecycle: Lifecycle::default(),
            erase: EraseMode::Anonymise,
            span: None,
            link_spans: Vec::new(),
        }
    }

    /// Sets the table name.
    #[must_use]
    pub fn with_table(mut self, table: Identifier) -> Self {
        self.table = table;
        self
    }

    /// Adds a link.
    #[must_use]
    pub fn with_link(mut self, link: Link) -> Self {
        self.links.push(link);
        self.link_spans.push(None);
        self
    }

    /// Adds a field.
    #[must_use]
    pub fn with_field(mut self, field: Field) -> Self {
        self.fields.push(field);
        self
    }

    /// Sets the lifecycle columns.
    #[must_use]
    pub fn with_lifecycle(mut self, lifecycle: Lifecycle) -> Self {
        self.lifecycle = lifecycle;
        self
    }

    /// Sets the erase mode.
    #[must_use]
    pub fn with_erase(mut self, mode: EraseMode) -> Self {
        self.erase = mode;
        self
    }

    /// A described field by name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// A link by name.
    pub fn link(&self, name: &str) -> Option<&Link> {
        self.links.iter().find(|l| l.name == name)
    }

    /// The fields holding personal data.
    pub fn personal_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.is_personal())
    }

    /// Whether `column` is a key column.
    pub fn is_key_column(&self, column: &str) -> bool {
        self.key.iter().any(|k| k == column)
    }

    /// The key of a record of this entity read from its values, if every key column is present.
    pub fn key_of(&self, record: &Record) -> Option<Key> {
        Key::from_values(self.key.iter().map(|c| record.get(c).unwrap_or(&crate::Value::Null)))
    }
}

/// How records of one entity refer to records of another, derived from the links: what a store
/// checks so that no delete leaves a reference dangling and no write creates one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reference {
    /// The entity holding the reference.
    pub from: Identifier,
    /// The referenced entity.
    pub to: Identifier,
    /// Which columns of `from` hold `to`'s key.
    pub by: ReferenceBy,
}

impl Reference {
    /// A reference from `from` to `to`.
    pub fn new(from: Identifier, to: Identifier, by: ReferenceBy) -> Self {
        Self { from, to, by }
    }
}

/// The columns holding a [`Reference`]. Deliberately exhaustive: a store must handle every kind,
/// so a new kind of link breaks stores at compile time rather than letting deletes cascade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceBy {
    /// Columns whose values, as a tuple, are the referenced key (a foreign key).
    Columns(Vec<String>),
    /// An array column of referenced keys (not enforced as a foreign key, as in SQL).
    Array(String),
}

/// A validated schema. Cheap to share behind an `Arc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    subject: Identifier,
    tenant_column: Option<Identifier>,
    purposes: BTreeMap<Identifier, String>,
    entities: Vec<Entity>,
    by_name: HashMap<Identifier, usize>,
    order: Vec<usize>,
    source: Option<PathBuf>,
}

impl Schema {
    /// Starts building a schema in code whose data subjects are records of `subject`.
    pub fn builder(subject: Identifier) -> SchemaBuilder {
        SchemaBuilder::new(subject)
    }

    /// Loads and validates a schema from TOML text. `file` names the source in errors.
    pub fn from_toml_str(text: &str, file: Option<&Path>) -> Result<Self, SchemaError> {
        load::from_toml_str(text, file)
    }

    /// Loads and validates `pdpo.toml` (or any schema file).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, SchemaError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| SchemaError {
            problems: vec![Problem {
                file: Some(path.to_owned()),
                line: None,
                item: String::new(),
                message: format!("cannot read schema file: {e}"),
            }],
        })?;
        load::from_toml_str(&text, Some(path))
    }

    /// The subject entity's name.
    pub fn subject(&self) -> &Identifier {
        &self.subject
    }

    /// The subject entity.
    pub fn subject_entity(&self) -> &Entity {
        // Invariant: validation guarantees the subject entity exists.
        &self.entities[self.by_name[&self.subject]]
    }

    /// The tenant column, for CRMs keeping many workspaces in shared tables.
    pub fn tenant_column(&self) -> Option<&Identifier> {
        self.tenant_column.as_ref()
    }

    /// Declared purposes with their descriptions.
    pub fn purposes(&self) -> &BTreeMap<Identifier, String> {
        &self.purposes
    }

    /// All entities, in declaration order.
    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    /// An entity by name.
    pub fn entity(&self, name: &str) -> Option<&Entity> {
        self.by_name.get(name).map(|&i| &self.entities[i])
    }

    /// Entities reachable from the subject, subject first, each after every entity its links
    /// point to: the order in which [`SubjectGraph::collect`](crate::SubjectGraph::collect) visits them.
    pub fn traversal_order(&self) -> impl Iterator<Item = &Entity> {
        self.order.iter().map(|&i| &self.entities[i])
    }

    /// The data subject a record is directly about, when that can be read off the record alone:
    /// its own key for a subject record, or the value of the entity's only foreign-key link to the
    /// subject entity. `None` for records about several people or reached over several hops (use
    /// [`SubjectGraph`](crate::SubjectGraph) from the subject's side instead).
    pub fn direct_subject(&self, record: &Record) -> Option<Key> {
        if record.entity == self.subject {
            return Some(record.key.clone());
        }
        let entity = self.entity(&record.entity)?;
        let mut fks = entity.links.iter().filter(|l| l.to == self.subject).filter_map(|l| match &l.kind {
            LinkKind::ForeignKey { columns } => Some(columns),
            _ => None,
        });
        let columns = fks.next()?;
        if fks.next().is_some() {
            return None;
        }
        Key::from_values(columns.iter().map(|c| record.get(c).unwrap_or(&crate::Value::Null)))
    }

    /// Every reference between entities that the links imply: a `foreign_key` or `array` link
    /// refers from the entity to its target, a `referenced_by` link from the target to the entity,
    /// and a `join` link from the join entity to both sides.
    pub fn references(&self) -> Vec<Reference> {
        let cols = |ids: &[Identifier]| ReferenceBy::Columns(ids.iter().map(ToString::to_string).collect());
        let mut out = Vec::new();
        for e in &self.entities {
            for l in &e.links {
                match &l.kind {
                    LinkKind::ForeignKey { columns } => {
                        out.push(Reference::new(e.name.clone(), l.to.clone(), cols(columns)))
                    }
                    LinkKind::ReferencedBy { columns } => {
                        out.push(Reference::new(l.to.clone(), e.name.clone(), cols(columns)))
                    }
                    LinkKind::Join { through, columns, to_columns } => {
                        out.push(Reference::new(through.clone(), e.name.clone(), cols(columns)));
                        out.push(Reference::new(through.clone(), l.to.clone(), cols(to_columns)));
                    }
                    LinkKind::Array { column } => {
                        out.push(Reference::new(
                            e.name.clone(),
                            l.to.clone(),
                            ReferenceBy::Array(column.to_string()),
                        ));
                    }
                }
            }
        }
        out
    }

    /// The file the schema was loaded from, if any.
    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }
}

/// One problem found while loading or validating a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The schema file, if loaded from one.
    pub file: Option<PathBuf>,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// The item, e.g. `entities.invoices.links.contact_id`.
    pub item: String,
    /// What is wrong, and how to fix it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{}:{line}: ", file.display())?,
            (Some(file), None) => write!(f, "{}: ", file.display())?,
            (None, Some(line)) => write!(f, "line {line}: ")?,
            (None, None) => {}
        }
        if !self.item.is_empty() {
            write!(f, "{}: ", self.item)?;
        }
        f.write_str(&self.message)
    }
}

/// Why a schema was refused: every problem found, each naming file, line and item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SchemaError {
    /// The problems, in file order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [] => f.write_str("invalid schema"),
            [one] => write!(f, "invalid schema: {one}"),
            many => {
                write!(f, "invalid schema ({} problems):", many.len())?;
                for p in many {
                    write!(f, "\n  {p}")?;
                }
                Ok(())
            }
        }
    }
}
