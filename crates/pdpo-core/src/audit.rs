//! The audit event: what was done to whose data, by whom, when and why.
//!
//! This is vocabulary only; `pdpo-audit` chains events into a tamper-evident log. An event has no
//! field that can hold a personal value in clear: names are [`Identifier`]s, records are
//! [`RecordRef`]s (entity and key), bulk work is counts, and old or new values can only travel as
//! [`SealedDetail`], bytes the caller has encrypted under the data subject's key (so that shredding
//! the key erases them while the chain still verifies).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Actor, Identifier, Key, Purpose, RecordRef};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuditAction {
    /// Personal data was read (one event per person for reads scoped to a person).
    View,
    /// A record was created.
    Create,
    /// A record was changed.
    Update,
    /// A record was deleted.
    Delete,
    /// Data left the system in an export (subject access copy, workspace export).
    Export,
    /// Data was disclosed to a third party; `recipient` names the recipient class (s.23(1)(c)).
    Disclose,
    /// Personal fields were irreversibly anonymised.
    Anonymise,
    /// Personal fields were replaced by keyed pseudonyms (reversible by the key holder).
    Pseudonymise,
    /// A data subject's key was destroyed (crypto-shredding).
    Shred,
    /// Data was corrected under a data correction request (s.23).
    Correct,
    /// A retention plan was evaluated or executed (one event with counts).
    RetentionRun,
    /// A PDPO request (access, correction, erasure, opt-out) changed state.
    Request,
    /// A staff member signed in.
    Login,
    /// A schema, retention policy, mask policy or key policy changed.
    PolicyChange,
    /// An audit partition past retention was dropped (its seal is kept).
    PartitionDropped,
    /// A personal-data inventory scan ran (one event with counts).
    Inventory,
    /// A legal hold was placed or lifted.
    Hold,
    /// Keys were rotated or retired.
    KeyRotation,
    /// A workspace (tenant) was created, closed, restored or purged.
    Workspace,
}

impl AuditAction {
    /// Every action, in declaration order.
    pub const ALL: [AuditAction; 19] = [
        Self::View,
        Self::Create,
        Self::Update,
        Self::Delete,
        Self::Export,
        Self::Disclose,
        Self::Anonymise,
        Self::Pseudonymise,
        Self::Shred,
        Self::Correct,
        Self::RetentionRun,
        Self::Request,
        Self::Login,
        Self::PolicyChange,
        Self::PartitionDropped,
        Self::Inventory,
        Self::Hold,
        Self::KeyRotation,
        Self::Workspace,
    ];

    /// The stable snake-case code (used in canonical encodings and files; never renamed).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Export => "export",
            Self::Disclose => "disclose",
            Self::Anonymise => "anonymise",
            Self::Pseudonymise => "pseudonymise",
            Self::Shred => "shred",
            Self::Correct => "correct",
            Self::RetentionRun => "retention_run",
            Self::Request => "request",
            Self::Login => "login",
            Self::PolicyChange => "policy_change",
            Self::PartitionDropped => "partition_dropped",
            Self::Inventory => "inventory",
            Self::Hold => "hold",
            Self::KeyRotation => "key_rotation",
            Self::Workspace => "workspace",
        }
    }

    /// The action with this code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == code)
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Opaque bytes sealed by the caller (for instance an old value encrypted under the data subject's
/// key), with the id of the key that sealed them. The audit log hashes them but never opens them.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SealedDetail {
    /// Id of the key the bytes are sealed under.
    pub key_id: Identifier,
    /// The sealed bytes.
    pub bytes: Vec<u8>,
}

impl fmt::Debug for SealedDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealedDetail(key {}, {} bytes)", self.key_id, self.bytes.len())
    }
}

/// One audited action. Build with [`AuditEvent::new`] and the `with_*` methods.
///
/// ```
/// use chrono::Utc;
/// use pdpo_core::{Actor, AuditAction, AuditEvent, Identifier, Key, RecordRef};
/// let contacts = Identifier::new("contacts")?;
/// let e = AuditEvent::new(AuditAction::View, Actor::user("staff-17")?, Utc::now())
///     .with_subject(Key::from(42))
///     .with_record(RecordRef::new(contacts, Key::from(42)))
///     .with_fields(["email", "phone"])?;
/// assert_eq!(e.fields.len(), 2);
/// # Ok::<(), pdpo_core::InvalidIdentifier>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuditEvent {
    /// Unique id (UUID v7, so ids sort by time).
    pub id: Uuid,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it.
    pub actor: Actor,
    /// What was done.
    pub action: AuditAction,
    /// The tenant (workspace) it happened in, for multi-tenant stores.
    pub tenant: Option<Identifier>,
    /// The data subject concerned (the key of their subject record).
    pub subject: Option<Key>,
    /// The record concerned.
    pub record: Option<RecordRef>,
    /// Names of the fields read or changed.
    pub fields: Vec<Identifier>,
    /// The purpose of the access (DPP3).
    pub purpose: Option<Purpose>,
    /// Where the action came from (`cli`, `api`, `retention-job`, ...).
    pub origin: Option<Identifier>,
    /// For [`AuditAction::Disclose`]: the class of recipient (s.23(1)(c)).
    pub recipient: Option<Identifier>,
    /// The PDPO request this action serves, if any.
    pub request: Option<Uuid>,
    /// Counts for bulk operations (`records`, `subjects`, `bytes`, ...).
    pub counts: BTreeMap<Identifier, u64>,
    /// Detail sealed by the caller (old and new values encrypted under the subject's key).
    pub sealed: Option<SealedDetail>,
}

impl AuditEvent {
    /// A new event with a fresh time-ordered id.
    pub fn new(action: AuditAction, actor: Actor, at: DateTime<Utc>) -> Self {
        let ts = uuid::Timestamp::from_unix(
            uuid::NoContext,
            u64::try_from(at.timestamp()).unwrap_or(0),
            at.timestamp_subsec_nanos(),
        );
        Self {
            id: Uuid::new_v7(ts),
            at,
            actor,
            action,
            tenant: None,
            subject: None,
            record: None,
            fields: Vec::new(),
            purpose: None,
            origin: None,
            recipient: None,
            request: None,
            counts: BTreeMap::new(),
            sealed: None,
        }
    }

    /// Sets the id (for replays and tests; ids must stay unique).
    #[must_use]
    pub fn with_id(mut self, id: Uuid) -> Self {
        self.id = id;
        self
    }

    /// Sets the tenant.
    #[must_use]
    pub fn with_tenant(mut self, tenant: Identifier) -> Self {
        self.tenant = Some(tenant);
        self
    }

    /// Sets the data subject.
    #[must_use]
    pub fn with_subject(mut self, subject: Key) -> Self {
        self.subject = Some(subject);
        self
    }

    /// Sets the record.
    #[must_use]
    pub fn with_record(mut self, record: RecordRef) -> Self {
        self.record = Some(record);
        self
    }

    /// Sets the field names; each must be an [`Identifier`].
    pub fn with_fields<I, S>(mut self, fields: I) -> Result<Self, crate::InvalidIdentifier>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.fields = fields.into_iter().map(Identifier::new).collect::<Result<_, _>>()?;
        Ok(self)
    }

    /// Sets the purpose.
    #[must_use]
    pub fn with_purpose(mut self, purpose: Purpose) -> Self {
        self.purpose = Some(purpose);
        self
    }

    /// Sets the origin.
    #[must_use]
    pub fn with_origin(mut self, origin: Identifier) -> Self {
        self.origin = Some(origin);
        self
    }

    /// Sets the recipient class (for disclosures).
    #[must_use]
    pub fn with_recipient(mut self, recipient: Identifier) -> Self {
        self.recipient = Some(recipient);
        self
    }

    /// Sets the request id.
    #[must_use]
    pub fn with_request(mut self, request: Uuid) -> Self {
        self.request = Some(request);
        self
    }

    /// Adds a count (`records`, `subjects`, ...); the name must be an [`Identifier`], e.g.
    /// `Identifier::from_static("records")`.
    #[must_use]
    pub fn with_count(mut self, name: Identifier, n: u64) -> Self {
        self.counts.insert(name, n);
        self
    }

    /// Attaches sealed detail.
    #[must_use]
    pub fn with_sealed(mut self, sealed: SealedDetail) -> Self {
        self.sealed = Some(sealed);
        self
    }
}
