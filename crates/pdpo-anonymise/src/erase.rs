//! [`Eraser`]: plans and executes a data subject's erasure, and proves it with an
//! [`ErasureCertificate`].

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use pdpo_core::{
    Actor, AuditAction, AuditEvent, Change, ChangeSet, Clock, DataStore, DisposalGuard, Identifier, Key,
    LinkKind, Lookup, RecordRef, Schema, SubjectGraph,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::operator::Anonymiser;
use crate::plan::{EffectName, ErasurePlan, RecordAction, RetainedRecord};
use crate::{Error, Result};

/// Destroys a data subject's data keys (crypto-shredding). Implemented for
/// [`pdpo_crypto::KeyRing`]; [`NoKeys`] for stores without encrypted fields.
pub trait KeyShredder: Send + Sync {
    /// Destroys `subject`'s keys in `tenant`; idempotent. Returns the `shred` audit event to
    /// append, or `None` if this shredder has no keys at all.
    fn shred(
        &self,
        tenant: Option<&str>,
        subject: &Key,
        actor: Actor,
    ) -> impl Future<Output = Result<Option<AuditEvent>>> + Send;
}

/// A [`KeyShredder`] for stores without encrypted fields: shreds nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoKeys;

impl KeyShredder for NoKeys {
    async fn shred(&self, _: Option<&str>, _: &Key, _: Actor) -> Result<Option<AuditEvent>> {
        Ok(None)
    }
}

impl<S: pdpo_crypto::KeyStore, K: pdpo_crypto::KeyEncryptionKey> KeyShredder for pdpo_crypto::KeyRing<S, K> {
    async fn shred(&self, tenant: Option<&str>, subject: &Key, actor: Actor) -> Result<Option<AuditEvent>> {
        let report = pdpo_crypto::KeyRing::shred(self, tenant, subject, actor)
            .await
            .map_err(|e| Error::Shred { subject: subject.to_string(), source: Box::new(e) })?;
        Ok(Some(report.event))
    }
}

impl<T: KeyShredder + ?Sized> KeyShredder for &T {
    fn shred(
        &self,
        tenant: Option<&str>,
        subject: &Key,
        actor: Actor,
    ) -> impl Future<Output = Result<Option<AuditEvent>>> + Send {
        (**self).shred(tenant, subject, actor)
    }
}

/// One record in a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertifiedRecord {
    /// The record.
    pub record: RecordRef,
    /// Anonymised or deleted.
    pub action: RecordAction,
    /// Fields changed (for a delete: the personal fields removed with the row).
    pub fields: Vec<Identifier>,
}

/// Proof of one erasure, to hand to the requester and keep with the request: who erased whose
/// data when, which records and fields changed, which fields were **only pseudonymised**
/// (reversible by the key holder: not erasure), which records were kept and why, and the plan's
/// hash. Holds record keys and field names, never a personal value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErasureCertificate {
    /// Certificate id.
    pub id: Uuid,
    /// The data subject (key of their subject record).
    pub subject: Key,
    /// When the erasure was committed.
    pub at: DateTime<Utc>,
    /// Who ran it.
    pub actor: Actor,
    /// The request it served, if any.
    pub request: Option<Uuid>,
    /// Records anonymised or deleted (irreversibly).
    pub records_changed: Vec<CertifiedRecord>,
    /// Fields replaced by keyed pseudonyms: pseudonymisation, **not erasure**.
    pub pseudonymised: Vec<CertifiedRecord>,
    /// Encrypted fields made unreadable by destroying the subject's data key.
    pub shredded: Vec<(RecordRef, Identifier)>,
    /// Whether the subject's data keys were destroyed in this run.
    pub keys_shredded: bool,
    /// Records kept, with the reason and the date they become erasable.
    pub retained: Vec<RetainedRecord>,
    /// Attachment blobs queued for deletion (deleted by `flush_blob_outbox`).
    pub blobs_deleted: usize,
    /// Whether a re-read after the commit found none of the subject's values in the changed
    /// records (keys, links, other people's fields and pseudonymised fields excepted).
    pub verified: bool,
    /// Whether there was nothing left to change (a repeated erasure).
    pub already_erased: bool,
    /// SHA-256 of the plan ([`ErasurePlan::hash`]).
    pub plan_hash: String,
}

impl ErasureCertificate {
    /// The certificate as pretty JSON.
    pub fn to_json(&self) -> String {
        // Invariant: the certificate holds only strings, numbers, keys and dates, which always
        // serialise.
        pdpo_core::serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Records changed irreversibly.
    pub fn fields_changed(&self) -> usize {
        self.records_changed.iter().map(|r| r.fields.len()).sum()
    }
}

/// Erases data subjects: plan from the graph, one atomic change set with its audit events,
/// verification, shredding, certificate.
///
/// ```
/// use std::sync::Arc;
/// use pdpo_core::{Actor, AllowAll, ChangeSet, DataStore, FixedClock, Identifier, Key, MemoryStore, Record, Schema};
/// use pdpo_anonymise::{Anonymiser, Eraser, NoKeys};
///
/// let schema = Schema::from_toml_str(r#"
///     subject = "contacts"
///     [entities.contacts]
///     key = "id"
///     fields.email = { category = "email", type = "text", nullable = false, max_len = 254 }
///     [entities.invoices]
///     key = "id"
///     links = [{ to = "contacts", foreign_key = "contact_id" }]
///     fields.bill_to = { category = "name", type = "text" }
/// "#, None)?;
/// let store = MemoryStore::new(schema);
/// let mut cs = ChangeSet::new();
/// cs.insert(Record::new(Identifier::new("contacts")?, Key::from(1)).with("email", "chan@example.hk"));
/// cs.insert(Record::new(Identifier::new("invoices")?, Key::from(9)).with("contact_id", 1).with("bill_to", "CHAN Tai Man"));
/// pollster::block_on(store.apply(cs))?;
///
/// let clock = Arc::new(FixedClock::new(chrono::Utc::now()));
/// let eraser = Eraser::new(Anonymiser::hong_kong()?, AllowAll, clock, Actor::user("dpo")?);
/// let cert = pollster::block_on(eraser.erase(&store, &Key::from(1), &NoKeys))?;
/// assert!(cert.verified);
/// assert_eq!(cert.records_changed.len(), 2);
/// let again = pollster::block_on(eraser.erase(&store, &Key::from(1), &NoKeys))?;
/// assert!(again.already_erased);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Eraser<G> {
    anonymiser: Anonymiser,
    guard: G,
    clock: Arc<dyn Clock>,
    pub(crate) actor: Actor,
    pub(crate) tenant: Option<String>,
    request: Option<Uuid>,
    origin: Identifier,
}

impl<G> std::fmt::Debug for Eraser<G> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Eraser")
            .field("actor", &self.actor)
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

impl<G: DisposalGuard> Eraser<G> {
    /// An eraser with these operators, guard, clock and actor.
    pub fn new(anonymiser: Anonymiser, guard: G, clock: Arc<dyn Clock>, actor: Actor) -> Self {
        Self {
            anonymiser,
            guard,
            clock,
            actor,
            tenant: None,
            request: None,
            origin: Identifier::from_static("erasure"),
        }
    }

    /// Sets the tenant (for key shredding and audit events).
    #[must_use]
    pub fn with_tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// Sets the request the erasure serves (recorded in events and the certificate).
    #[must_use]
    pub fn with_request(mut self, request: Uuid) -> Self {
        self.request = Some(request);
        self
    }

    /// The guard.
    pub fn guard(&self) -> &G {
        &self.guard
    }

    /// Collects `subject`'s graph, finds which delete candidates other records still point at,
    /// and builds the plan.
    pub async fn plan<D: DataStore>(&self, store: &D, subject: &Key) -> Result<ErasurePlan> {
        let graph = SubjectGraph::collect(store, subject)
            .await
            .map_err(Error::store("collecting the subject graph"))?;
        self.plan_graph(store, &graph).await
    }

    /// Builds the plan for a collected `graph`: finds which delete candidates other records
    /// still point at, then [`ErasurePlan::build`].
    pub(crate) async fn plan_graph<D: DataStore>(
        &self,
        store: &D,
        graph: &SubjectGraph,
    ) -> Result<ErasurePlan> {
        let now = self.clock.now();
        let schema = store.schema();
        let candidates: Vec<RecordRef> = graph
            .records
            .iter()
            .filter(|r| {
                schema.entity(&r.record.entity).is_some_and(|e| e.erase == pdpo_core::EraseMode::Delete)
            })
            .map(|r| r.record.reference())
            .collect();
        let referenced = if candidates.is_empty() {
            HashSet::new()
        } else {
            referenced_outside(store, &candidates).await?
        };
        Ok(ErasurePlan::build(schema, graph, &self.guard, &self.anonymiser, now, &referenced))
    }

    /// The change set that carries out `plan`: updates, deletes, blob deletions and one audit
    /// event per record (`anonymise`, `pseudonymise` or `delete`, with field names only).
    pub fn change_set(&self, plan: &ErasurePlan) -> ChangeSet {
        let mut cs = ChangeSet::new();
        let event = |action: AuditAction, record: &RecordRef, fields: Vec<Identifier>| {
            let mut e = AuditEvent::new(action, self.actor.clone(), plan.now)
                .with_subject(plan.subject.clone())
                .with_record(record.clone())
                .with_origin(self.origin.clone());
            e.fields = fields;
            if let Some(r) = self.request {
                e = e.with_request(r);
            }
            if let Some(t) = self.tenant.as_deref().and_then(|t| Identifier::new(t).ok()) {
                e = e.with_tenant(t);
            }
            e
        };
        for c in &plan.changes {
            match c.action {
                RecordAction::Anonymise => {
                    cs.update(c.record.clone(), c.set.clone());
                    let of = |want: EffectName| -> Vec<Identifier> {
                        c.fields.iter().filter(|f| f.effect == want).map(|f| f.field.clone()).collect()
                    };
                    let anon = of(EffectName::Anonymised);
                    let pseudo = of(EffectName::Pseudonymised);
                    if !anon.is_empty() {
                        cs.event(event(AuditAction::Anonymise, &c.record, anon));
                    }
                    if !pseudo.is_empty() {
                        cs.event(event(AuditAction::Pseudonymise, &c.record, pseudo));
                    }
                }
                RecordAction::Delete => {
                    cs.delete(c.record.clone());
                    cs.event(event(
                        AuditAction::Delete,
                        &c.record,
                        c.fields.iter().map(|f| f.field.clone()).collect(),
                    ));
                }
            }
        }
        for b in &plan.blob_deletes {
            cs.delete_blob(b.clone());
        }
        cs
    }

    /// Executes `plan`: checks the planned values, applies one atomic change set (data, audit
    /// events and blob deletions together), re-reads the changed records to verify them, then
    /// destroys the subject's data keys if encrypted fields were left as ciphertext.
    ///
    /// A failure before the commit changes nothing; a failure of the shred after it leaves the
    /// data changes committed, and running the erasure again retries the shred.
    pub async fn execute<D: DataStore, S: KeyShredder>(
        &self,
        store: &D,
        plan: &ErasurePlan,
        shredder: &S,
    ) -> Result<ErasureCertificate> {
        plan.check()?;
        let cs = self.change_set(plan);
        if !cs.is_empty() {
            store.apply(write_order(cs)).await.map_err(Error::store("applying the erasure"))?;
        }
        // Verify: re-read every updated record.
        let mut by_entity: BTreeMap<&str, Vec<Key>> = BTreeMap::new();
        for c in plan.changes.iter().filter(|c| c.action == RecordAction::Anonymise) {
            by_entity.entry(c.record.entity.as_str()).or_default().push(c.record.key.clone());
        }
        for (entity, keys) in by_entity {
            let now = store.fetch(entity, &keys).await.map_err(Error::store("verifying the erasure"))?;
            plan.check_records(&now)?;
        }
        let mut keys_shredded = false;
        if let Some((r, f)) = plan.shredded.first() {
            match shredder.shred(self.tenant.as_deref(), &plan.subject, self.actor.clone()).await? {
                Some(event) => {
                    let mut cs = ChangeSet::new();
                    cs.event(event);
                    store.apply(cs).await.map_err(Error::store("recording the shred"))?;
                    keys_shredded = true;
                }
                None => {
                    return Err(Error::NoShredder {
                        entity: r.entity.to_string(),
                        key: r.key.to_string(),
                        field: f.to_string(),
                    });
                }
            }
        }
        Ok(self.certificate(plan, keys_shredded))
    }

    /// The certificate of an executed and verified `plan`.
    pub(crate) fn certificate(&self, plan: &ErasurePlan, keys_shredded: bool) -> ErasureCertificate {
        let certified = |want: &[EffectName]| -> Vec<CertifiedRecord> {
            plan.changes
                .iter()
                .filter_map(|c| {
                    let fields: Vec<Identifier> = c
                        .fields
                        .iter()
                        .filter(|f| want.contains(&f.effect))
                        .map(|f| f.field.clone())
                        .collect();
                    (!fields.is_empty()
                        || (c.action == RecordAction::Delete && want.contains(&EffectName::Deleted)))
                    .then(|| CertifiedRecord { record: c.record.clone(), action: c.action, fields })
                })
                .collect()
        };
        ErasureCertificate {
            id: Uuid::new_v4(),
            subject: plan.subject.clone(),
            at: plan.now,
            actor: self.actor.clone(),
            request: self.request,
            records_changed: certified(&[EffectName::Anonymised, EffectName::Deleted]),
            pseudonymised: certified(&[EffectName::Pseudonymised]),
            shredded: plan.shredded.clone(),
            keys_shredded,
            retained: plan.retained.clone(),
            blobs_deleted: plan.blob_count(),
            verified: true,
            already_erased: plan.is_empty(),
            plan_hash: plan.hash(),
        }
    }

    /// Plans and executes the erasure of `subject`.
    pub async fn erase<D: DataStore, S: KeyShredder>(
        &self,
        store: &D,
        subject: &Key,
        shredder: &S,
    ) -> Result<ErasureCertificate> {
        let plan = self.plan(store, subject).await?;
        self.execute(store, &plan, shredder).await
    }
}

/// Where a record's key is held by other records: `(entity holding it, how)`.
pub(crate) enum RefBy {
    Columns(Vec<String>),
    Array(String),
}

/// Every `(referrer entity, columns)` that can point at a record of `target`.
pub(crate) fn referrers(schema: &Schema, target: &str) -> Vec<(Identifier, RefBy)> {
    let s = |ids: &[Identifier]| ids.iter().map(ToString::to_string).collect::<Vec<_>>();
    let mut out = Vec::new();
    for e in schema.entities() {
        for l in &e.links {
            match &l.kind {
                LinkKind::ForeignKey { columns } if l.to == target => {
                    out.push((e.name.clone(), RefBy::Columns(s(columns))));
                }
                LinkKind::ReferencedBy { columns } if e.name == target => {
                    out.push((l.to.clone(), RefBy::Columns(s(columns))));
                }
                LinkKind::Join { through, columns, to_columns } => {
                    if e.name == target {
                        out.push((through.clone(), RefBy::Columns(s(columns))));
                    }
                    if l.to == target {
                        out.push((through.clone(), RefBy::Columns(s(to_columns))));
                    }
                }
                LinkKind::Array { column } if l.to == target => {
                    out.push((e.name.clone(), RefBy::Array(column.to_string())));
                }
                _ => {}
            }
        }
    }
    out
}

/// The candidates that some record outside `candidates` refers to (one batched lookup per
/// referring link).
pub(crate) async fn referenced_outside<D: DataStore>(
    store: &D,
    candidates: &[RecordRef],
) -> Result<HashSet<RecordRef>> {
    let mut out = HashSet::new();
    let set: HashSet<&RecordRef> = candidates.iter().collect();
    let mut by_entity: BTreeMap<&Identifier, Vec<&RecordRef>> = BTreeMap::new();
    for c in candidates {
        by_entity.entry(&c.entity).or_default().push(c);
    }
    for (entity, refs) in by_entity {
        for (from, by) in referrers(store.schema(), entity) {
            let lookup = match &by {
                RefBy::Columns(columns) => Lookup::Columns {
                    columns: columns.clone(),
                    keys: refs.iter().map(|r| r.key.clone()).collect(),
                },
                RefBy::Array(column) => Lookup::ArrayContains {
                    column: column.clone(),
                    values: refs.iter().filter_map(|r| r.key.parts().first().cloned()).collect(),
                },
            };
            let found = store.find(&from, &lookup).await.map_err(Error::store("checking references"))?;
            for f in found {
                if set.contains(&f.reference()) {
                    continue;
                }
                let targets: BTreeSet<Key> = match &by {
                    RefBy::Columns(columns) => {
                        Key::from_values(columns.iter().map(|c| f.get(c).unwrap_or(&pdpo_core::Value::Null)))
                            .into_iter()
                            .collect()
                    }
                    RefBy::Array(column) => array_keys(f.get(column)),
                };
                for r in &refs {
                    if targets.contains(&r.key) {
                        out.insert((*r).clone());
                    }
                }
            }
        }
    }
    Ok(out)
}

fn array_keys(v: Option<&pdpo_core::Value>) -> BTreeSet<Key> {
    let Some(pdpo_core::Value::Json(pdpo_core::serde_json::Value::Array(a))) = v else {
        return BTreeSet::new();
    };
    a.iter().filter_map(pdpo_core::KeyValue::from_json).map(|k| Key::composite([k])).collect()
}

/// Orders an erasure's changes for writing: every update before every delete, and within each,
/// the changes of one entity together (entities in order of first appearance). The sort is
/// stable, so the changes of one record keep their order. Erasure never changes a key or foreign
/// key column (keys are kept), so its updates of different records commute with each other and
/// with its deletes, and the end state is the one the plan order gives; the store can then write
/// each entity's updates with few statements (see `pdpo_store`'s grouped updates).
pub(crate) fn write_order(mut cs: ChangeSet) -> ChangeSet {
    let mut first: Vec<&Identifier> = Vec::new();
    let rank: Vec<(u8, usize)> = cs
        .changes
        .iter()
        .map(|c| {
            let (kind, entity) = match c {
                Change::Update { target, .. } => (0, &target.entity),
                Change::Delete(target) => (1, &target.entity),
                Change::Insert(r) => (2, &r.entity),
                _ => return (3, usize::MAX),
            };
            let i = first.iter().position(|e| *e == entity).unwrap_or_else(|| {
                first.push(entity);
                first.len() - 1
            });
            (kind, i)
        })
        .collect();
    let mut order: Vec<usize> = (0..cs.changes.len()).collect();
    order.sort_by_key(|&i| rank[i]);
    let mut changes: Vec<Option<Change>> = std::mem::take(&mut cs.changes).into_iter().map(Some).collect();
    cs.changes = order.into_iter().filter_map(|i| changes[i].take()).collect();
    cs
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use pdpo_core::{Change, ChangeSet, Identifier, Key, RecordRef, Value};

    use super::write_order;

    fn at(entity: &'static str, key: i64) -> RecordRef {
        RecordRef::new(Identifier::from_static(entity), Key::from(key))
    }

    fn set(v: &str) -> BTreeMap<String, Value> {
        [("f".to_owned(), Value::from(v))].into_iter().collect()
    }

    #[test]
    fn updates_first_by_entity_then_deletes_and_each_records_order_kept() {
        let mut cs = ChangeSet::new();
        cs.update(at("contacts", 1), set("a"))
            .delete(at("attachments", 7))
            .update(at("messages", 3), set("b"))
            .update(at("contacts", 2), set("c"))
            .update(at("messages", 3), set("d"))
            .delete(at("attachments", 8))
            .update(at("contacts", 1), set("e"));
        let got: Vec<String> = write_order(cs)
            .changes
            .iter()
            .map(|c| match c {
                Change::Update { target, set } => format!("U {target} {}", set["f"].render()),
                Change::Delete(target) => format!("D {target}"),
                _ => "?".to_owned(),
            })
            .collect();
        assert_eq!(
            got,
            [
                "U contacts[1] a",
                "U contacts[2] c",
                "U contacts[1] e",
                "U messages[3] b",
                "U messages[3] d",
                "D attachments[7]",
                "D attachments[8]",
            ]
        );
    }
}
