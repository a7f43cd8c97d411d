//! Retention rules: what they select, what they count from, and what they ask for.

use std::fmt;

use pdpo_core::{Identifier, Record, Value};
use serde::{Deserialize, Serialize};

use crate::Period;

/// What a rule asks for once its period has run.
///
/// The order of the variants is the order of protectiveness, most protective first: when several
/// rules of the same priority are due at once, the earliest in this list wins (nothing is
/// disposed of when a review or a lighter action was also asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// Keep at least for the period (a statutory minimum or a business need). A keep rule whose
    /// period has not run blocks every disposal.
    Keep,
    /// Ask a person to decide whether the data is still needed.
    Review,
    /// Ask the data subject to confirm their consent again (e.g. direct-marketing consent).
    RefreshConsent,
    /// Irreversibly anonymise the personal fields, keeping the row and its links.
    Anonymise,
    /// Delete the row.
    Delete,
}

impl Action {
    /// Every action, most protective first.
    pub const ALL: [Action; 5] =
        [Self::Keep, Self::Review, Self::RefreshConsent, Self::Anonymise, Self::Delete];

    /// The snake-case name used in policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Keep => "keep",
            Self::Review => "review",
            Self::RefreshConsent => "refresh_consent",
            Self::Anonymise => "anonymise",
            Self::Delete => "delete",
        }
    }

    /// The action named `s` in a policy file.
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Whether the action disposes of personal data (anonymise, delete): only these are held
    /// back by legal holds and keep rules.
    pub fn is_disposal(self) -> bool {
        matches!(self, Self::Anonymise | Self::Delete)
    }

    /// The noun used in reason sentences ("due for anonymisation").
    pub fn noun(self) -> &'static str {
        match self {
            Self::Keep => "keeping",
            Self::Review => "review",
            Self::RefreshConsent => "a consent refresh",
            Self::Anonymise => "anonymisation",
            Self::Delete => "deletion",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value a predicate compares a column with.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Literal {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// Text (compared exactly, case-sensitive).
    Text(String),
}

impl Literal {
    /// Whether `v` equals this literal. `NULL` and absent values never match.
    pub fn matches(&self, v: &Value) -> bool {
        match (self, v) {
            (Self::Text(a), Value::Text(b)) => a == b,
            (Self::Int(a), Value::Int(b)) => a == b,
            (Self::Bool(a), Value::Bool(b)) => a == b,
            (Self::Int(a), Value::Decimal(d)) => d.as_str() == a.to_string(),
            (Self::Text(a), Value::Json(serde_json_value)) => serde_json_value.as_str() == Some(a.as_str()),
            _ => false,
        }
    }

    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Bool(_) => "bool",
            Self::Int(_) => "int",
            Self::Text(_) => "text",
        }
    }
}

impl From<&str> for Literal {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}
impl From<i64> for Literal {
    fn from(i: i64) -> Self {
        Self::Int(i)
    }
}
impl From<bool> for Literal {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

/// A field predicate: the column equals one of `values` (`status = "lead"`, or
/// `status = ["lead", "prospect"]` in a policy file).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Predicate {
    /// The column.
    pub column: Identifier,
    /// Accepted values (any of).
    pub values: Vec<Literal>,
}

impl Predicate {
    /// Whether `record` satisfies the predicate.
    pub fn matches(&self, record: &Record) -> bool {
        record.get(&self.column).is_some_and(|v| self.values.iter().any(|l| l.matches(v)))
    }
}

/// One retention rule.
///
/// In a policy file:
///
/// ```toml
/// [[rules]]
/// name = "stale-leads"
/// entity = "contacts"
/// when = { status = "lead" }     # optional field predicates (all must hold)
/// anchor = "last_activity"       # a lifecycle name (created, updated, last_activity, closed) or a column
/// period = "P2Y"                 # ISO 8601 duration
/// action = "anonymise"           # keep | review | refresh_consent | anonymise | delete
/// basis = "Business choice: leads with no contact for two years are no longer needed"
/// statutory = false              # required: a legal minimum (true) or a business choice (false)
/// priority = 0                   # optional; higher wins among non-keep rules
/// fields = ["name", "email"]     # optional; the fields the rule is about (default: the whole record)
/// optional = false               # optional; `true` skips the rule when the schema lacks the entity
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Rule {
    /// Unique name, used in decisions, retainers and audit counts.
    pub name: Identifier,
    /// The entity it selects.
    pub entity: Identifier,
    /// Field predicates; all must hold.
    pub when: Vec<Predicate>,
    /// The anchor as written: a lifecycle name or a column.
    pub anchor: Identifier,
    /// The period counted from the anchor.
    pub period: Period,
    /// What to do once the period has run.
    pub action: Action,
    /// Why, in words a compliance officer can read (cite the law for statutory rules).
    pub basis: String,
    /// Whether the rule restates a legal duty (`true`) or is the data user's own choice.
    pub statutory: bool,
    /// Higher wins among non-keep rules that are due at the same time.
    pub priority: i32,
    /// The fields the rule is about; `None` for the whole record.
    pub fields: Option<Vec<Identifier>>,
    /// Whether the rule is skipped (rather than refused) when the schema has no such entity: for
    /// shared default policies applied to CRMs that lack some tables. Columns of an entity that
    /// exists are always checked.
    pub optional: bool,
    /// The column the anchor resolves to (filled when the policy is validated).
    #[serde(skip)]
    pub(crate) anchor_column: Option<Identifier>,
    #[serde(skip)]
    pub(crate) line: Option<u32>,
}

impl Rule {
    /// A rule with no predicates, priority 0, an empty basis and `statutory = false`; set the
    /// basis with [`with_basis`](Self::with_basis) (validation refuses an empty one).
    pub fn new(
        name: Identifier,
        entity: Identifier,
        anchor: Identifier,
        period: Period,
        action: Action,
    ) -> Self {
        Self {
            name,
            entity,
            when: Vec::new(),
            anchor,
            period,
            action,
            basis: String::new(),
            statutory: false,
            priority: 0,
            fields: None,
            optional: false,
            anchor_column: None,
            line: None,
        }
    }

    /// Sets the basis and whether it is statutory.
    #[must_use]
    pub fn with_basis(mut self, basis: impl Into<String>, statutory: bool) -> Self {
        self.basis = basis.into();
        self.statutory = statutory;
        self
    }

    /// Adds a predicate: `column` equals `value`.
    #[must_use]
    pub fn when(mut self, column: Identifier, value: impl Into<Literal>) -> Self {
        self.when.push(Predicate { column, values: vec![value.into()] });
        self
    }

    /// Sets the priority.
    #[must_use]
    pub fn with_priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// Marks the rule optional (skipped when the schema lacks its entity).
    #[must_use]
    pub fn optional(mut self, optional: bool) -> Self {
        self.optional = optional;
        self
    }

    /// Limits the rule to some fields.
    #[must_use]
    pub fn with_fields(mut self, fields: impl IntoIterator<Item = Identifier>) -> Self {
        self.fields = Some(fields.into_iter().collect());
        self
    }

    /// The column the anchor resolves to in the schema (set once the rule is in a [`Policy`](crate::Policy)).
    pub fn anchor_column(&self) -> &Identifier {
        self.anchor_column.as_ref().unwrap_or(&self.anchor)
    }

    /// The line of the policy file the rule starts on, if loaded from a file.
    pub fn line(&self) -> Option<u32> {
        self.line
    }

    /// Whether the rule's predicates hold for `record` (the entity is not checked).
    pub fn selects(&self, record: &Record) -> bool {
        self.when.iter().all(|p| p.matches(record))
    }

    /// Whether the rule concerns any of `fields` (`None` meaning the whole record).
    pub fn touches(&self, fields: Option<&[String]>) -> bool {
        match (&self.fields, fields) {
            (None, _) | (_, None) => true,
            (Some(mine), Some(theirs)) => mine.iter().any(|m| theirs.iter().any(|t| t == m.as_str())),
        }
    }

    /// "statutory" or "business choice", for reason sentences.
    pub fn label(&self) -> &'static str {
        if self.statutory { "statutory" } else { "business choice" }
    }
}
