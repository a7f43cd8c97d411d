//! [`EncryptingStore`]: a [`DataStore`] decorator that encrypts `encrypt = true` fields on the way
//! in and decrypts them on the way out, plus [`encrypt_value`] / [`decrypt_value`] for a CRM's own
//! write path.

use std::collections::HashMap;
use std::fmt;

use pdpo_core::{
    Applied, Change, ChangeSet, ColumnInfo, DataStore, Identifier, Key, KeyScope, LinkKind, Lookup, Page,
    Record, Schema, StoreError, Value,
};

use crate::codec::{decode_value, encode_value};
use crate::{Decrypted, Error, FieldCipher, FieldContext, Result};

/// Encrypts `value` for `ctx` into a [`Value::Bytes`] envelope that [`EncryptingStore`] (and
/// [`decrypt_value`]) can read back. `Null` stays `Null`.
pub async fn encrypt_value<C: FieldCipher + ?Sized>(
    cipher: &C,
    ctx: &FieldContext<'_>,
    value: &Value,
) -> Result<Value> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let plaintext = encode_value(value).ok_or_else(|| Error::NotEncryptable {
        entity: ctx.entity.to_owned(),
        field: ctx.field.to_owned(),
        record: ctx.record_text(),
        kind: value.kind(),
    })?;
    Ok(Value::Bytes(cipher.encrypt(ctx, &plaintext).await?))
}

/// Decrypts a value written by [`encrypt_value`]: [`Value::Shredded`] if its key was destroyed.
/// Values that are not [`Value::Bytes`] (`Null`, or rows written before encryption was turned on)
/// are returned as they are.
pub async fn decrypt_value<C: FieldCipher + ?Sized>(
    cipher: &C,
    ctx: &FieldContext<'_>,
    value: Value,
) -> Result<Value> {
    let Value::Bytes(envelope) = value else { return Ok(value) };
    match cipher.decrypt(ctx, &envelope).await? {
        Decrypted::Shredded => Ok(Value::Shredded),
        Decrypted::Plaintext(p) => decode_value(&p).ok_or_else(|| Error::Malformed {
            entity: ctx.entity.to_owned(),
            field: ctx.field.to_owned(),
            record: ctx.record_text(),
        }),
    }
}

/// How to find the data subject of a record of one entity.
#[derive(Debug, Clone)]
enum SubjectOf {
    /// The record is the subject.
    Itself,
    /// These columns hold the subject's key.
    Columns(Vec<Identifier>),
    /// Unknown (only workspace-scoped fields are allowed then).
    Unknown,
}

#[derive(Debug, Clone)]
struct FieldPlan {
    name: Identifier,
    scope: KeyScope,
    subject: SubjectOf,
}

/// A [`DataStore`] decorator: fields marked `encrypt = true` in the schema are encrypted on
/// [`apply`](DataStore::apply) and decrypted on [`fetch`](DataStore::fetch),
/// [`find`](DataStore::find) and [`scan_page`](DataStore::scan_page); the inner store only ever
/// sees [`Value::Bytes`] envelopes. A value whose key was shredded reads as [`Value::Shredded`].
///
/// Every envelope is bound to the tenant, entity, field, subject and record key. The subject of a
/// record is found this way (checked when the store is built):
///
/// - records of the subject entity are their own subject;
/// - records of an entity with a **direct `foreign_key` link to the subject entity**: the link's
///   columns (the link named by the field's `about`, else the first such link);
/// - anything else (a `referenced_by`, `join` or `array` link, or a path through another entity)
///   is not supported for subject-scoped fields: [`new`](Self::new) refuses the schema. Declare
///   such fields `key_scope = "workspace"` or encrypt them in the CRM's write path.
///
/// Limits: lookups ([`Lookup`]) on encrypted columns cannot match (ciphertexts are randomised; use
/// a blind index, [`KeyRing::lookup`](crate::KeyRing::lookup)); an update of an encrypted field of
/// a non-subject entity fetches the record first to learn its subject; a schema with a
/// `tenant_column` needs one `EncryptingStore` per tenant ([`with_tenant`](Self::with_tenant)).
///
/// # The CRM's own write path
///
/// A CRM that writes rows itself (its own SQL) calls the cipher directly, with the same context the
/// store would use, so both paths read each other's values:
///
/// ```
/// # use std::sync::Arc;
/// use pdpo_core::{DataStore, Identifier, Key, MemoryStore, Record, Schema, SystemClock, Value};
/// use pdpo_crypto::{EncryptingStore, FieldContext, KeyFileKek, KeyRing, MemoryKeyStore, encrypt_value};
///
/// let schema = Schema::from_toml_str(r#"
///     subject = "contacts"
///     [entities.contacts]
///     key = "id"
///     fields.hkid = { category = "hkid", encrypt = true }
/// "#, None)?;
/// let ring = Arc::new(KeyRing::new(MemoryKeyStore::new(), KeyFileKek::generate()?, Arc::new(SystemClock)));
/// let store = EncryptingStore::new(MemoryStore::new(schema), ring.clone())?;
///
/// // The CRM's write path: encrypt, then store the bytes in its own `contacts.hkid` column.
/// let id = Key::from(7);
/// let ctx = FieldContext::new("contacts", "hkid").subject(&id).record(&id);
/// let sealed = pollster::block_on(encrypt_value(&*ring, &ctx, &Value::from("A123456(3)")))?;
/// assert!(matches!(sealed, Value::Bytes(_)));
/// let row = Record::new(Identifier::new("contacts")?, id.clone()).with("hkid", sealed);
/// let mut cs = pdpo_core::ChangeSet::new();
/// cs.insert(row);
/// pollster::block_on(store.inner().apply(cs))?; // straight into the inner store: no re-encryption
///
/// // Any pdpo reader going through the EncryptingStore sees the plaintext.
/// let read = pollster::block_on(store.fetch("contacts", &[id]))?;
/// assert_eq!(read[0].get("hkid"), Some(&Value::from("A123456(3)")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct EncryptingStore<D, C> {
    inner: D,
    cipher: C,
    tenant: Option<String>,
    plans: HashMap<Identifier, Vec<FieldPlan>>,
}

impl<D, C> fmt::Debug for EncryptingStore<D, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptingStore")
            .field("tenant", &self.tenant)
            .field("encrypted_fields", &self.plans.values().map(Vec::len).sum::<usize>())
            .finish_non_exhaustive()
    }
}

fn plan(schema: &Schema) -> Result<HashMap<Identifier, Vec<FieldPlan>>> {
    let subject_entity = schema.subject();
    let mut plans = HashMap::new();
    for entity in schema.entities() {
        let mut fields = Vec::new();
        for f in entity.fields.iter().filter(|f| f.encrypt) {
            let subject = if entity.name == *subject_entity {
                SubjectOf::Itself
            } else {
                let direct = |l: &&pdpo_core::Link| {
                    l.to == *subject_entity && matches!(l.kind, LinkKind::ForeignKey { .. })
                };
                let link = match &f.about {
                    Some(name) => entity.link(name).filter(direct),
                    None => entity.links.iter().find(direct),
                };
                match link.map(|l| &l.kind) {
                    Some(LinkKind::ForeignKey { columns }) => SubjectOf::Columns(columns.clone()),
                    _ => SubjectOf::Unknown,
                }
            };
            if matches!(subject, SubjectOf::Unknown) && f.key_scope == KeyScope::Subject {
                return Err(Error::Unsupported {
                    entity: entity.name.to_string(),
                    field: f.name.to_string(),
                    reason: "subject-scoped encryption needs the subject entity or a direct foreign key to it; \
                             use key_scope = \"workspace\" or encrypt in the CRM's write path",
                });
            }
            fields.push(FieldPlan { name: f.name.clone(), scope: f.key_scope, subject });
        }
        if !fields.is_empty() {
            plans.insert(entity.name.clone(), fields);
        }
    }
    Ok(plans)
}

fn subject_of(plan: &FieldPlan, key: &Key, values: &dyn Fn(&str) -> Option<Value>) -> Option<Key> {
    match &plan.subject {
        SubjectOf::Itself => Some(key.clone()),
        SubjectOf::Columns(cols) => {
            let vals: Vec<Value> = cols.iter().map(|c| values(c).unwrap_or(Value::Null)).collect();
            Key::from_values(vals.iter())
        }
        SubjectOf::Unknown => None,
    }
}

impl<D: DataStore, C: FieldCipher> EncryptingStore<D, C> {
    /// Wraps `inner`, encrypting with `cipher` the fields its schema marks `encrypt = true`.
    /// Fails if a subject-scoped encrypted field's subject cannot be found (see the type docs).
    pub fn new(inner: D, cipher: C) -> Result<Self> {
        let plans = plan(inner.schema())?;
        Ok(Self { inner, cipher, tenant: None, plans })
    }

    /// Binds every envelope to `tenant` (use one store per tenant).
    #[must_use]
    pub fn with_tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// The inner store (which holds envelopes).
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The cipher.
    pub fn cipher(&self) -> &C {
        &self.cipher
    }

    fn ctx<'a>(
        &'a self,
        entity: &'a str,
        plan: &'a FieldPlan,
        subject: Option<&'a Key>,
        record: &'a Key,
    ) -> FieldContext<'a> {
        let mut ctx = FieldContext::new(entity, plan.name.as_str())
            .tenant_opt(self.tenant.as_deref())
            .scope(plan.scope)
            .record(record);
        ctx.subject = subject;
        ctx
    }

    async fn seal_values(
        &self,
        entity: &str,
        key: &Key,
        set: &mut std::collections::BTreeMap<String, Value>,
        current: Option<&Record>,
    ) -> Result<()> {
        let Some(plans) = self.plans.get(entity) else { return Ok(()) };
        for plan in plans {
            let Some(value) = set.get(plan.name.as_str()) else { continue };
            let subject = {
                let lookup =
                    |c: &str| set.get(c).cloned().or_else(|| current.and_then(|r| r.get(c).cloned()));
                subject_of(plan, key, &lookup)
            };
            let ctx = self.ctx(entity, plan, subject.as_ref(), key);
            if plan.scope == KeyScope::Subject && subject.is_none() && !value.is_null() {
                return Err(Error::NoSubject {
                    entity: entity.to_owned(),
                    field: plan.name.to_string(),
                    record: Some(key.to_string()),
                });
            }
            let sealed = encrypt_value(&self.cipher, &ctx, value).await?;
            set.insert(plan.name.to_string(), sealed);
        }
        Ok(())
    }

    async fn open_record(&self, mut record: Record) -> Result<Record> {
        let Some(plans) = self.plans.get(record.entity.as_str()) else { return Ok(record) };
        for plan in plans {
            let Some(value) = record.values.get_mut(plan.name.as_str()) else { continue };
            if !matches!(value, Value::Bytes(_)) {
                continue;
            }
            let value = std::mem::take(value);
            let subject = {
                let lookup = |c: &str| record.values.get(c).cloned();
                subject_of(plan, &record.key, &lookup)
            };
            let ctx = self.ctx(record.entity.as_str(), plan, subject.as_ref(), &record.key);
            let opened = decrypt_value(&self.cipher, &ctx, value).await?;
            record.values.insert(plan.name.to_string(), opened);
        }
        Ok(record)
    }

    async fn open_all(&self, records: Vec<Record>) -> Result<Vec<Record>, StoreError> {
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            out.push(self.open_record(r).await.map_err(Error::into_store_error)?);
        }
        Ok(out)
    }

    async fn seal_changes(&self, mut changes: ChangeSet) -> Result<ChangeSet> {
        for change in &mut changes.changes {
            match change {
                Change::Insert(record) => {
                    let key = record.key.clone();
                    self.seal_values(record.entity.as_str(), &key, &mut record.values, None).await?;
                }
                Change::Update { target, set } => {
                    let Some(plans) = self.plans.get(target.entity.as_str()) else { continue };
                    let touched = plans.iter().any(|p| set.contains_key(p.name.as_str()));
                    if !touched {
                        continue;
                    }
                    let needs_current = plans.iter().any(|p| match &p.subject {
                        SubjectOf::Columns(cols) => {
                            set.contains_key(p.name.as_str())
                                && cols.iter().any(|c| !set.contains_key(c.as_str()))
                        }
                        _ => false,
                    });
                    let current = if needs_current {
                        self.inner
                            .fetch(target.entity.as_str(), std::slice::from_ref(&target.key))
                            .await
                            .map_err(Error::Store)?
                            .into_iter()
                            .next()
                    } else {
                        None
                    };
                    self.seal_values(target.entity.as_str(), &target.key, set, current.as_ref()).await?;
                }
                _ => {}
            }
        }
        Ok(changes)
    }
}

impl<D: DataStore, C: FieldCipher> DataStore for EncryptingStore<D, C> {
    fn schema(&self) -> &Schema {
        self.inner.schema()
    }

    async fn fetch(&self, entity: &str, keys: &[Key]) -> Result<Vec<Record>, StoreError> {
        let records = self.inner.fetch(entity, keys).await?;
        self.open_all(records).await
    }

    async fn find(&self, entity: &str, lookup: &Lookup) -> Result<Vec<Record>, StoreError> {
        let records = self.inner.find(entity, lookup).await?;
        self.open_all(records).await
    }

    async fn scan_page(&self, entity: &str, after: Option<&Key>, limit: usize) -> Result<Page, StoreError> {
        let page = self.inner.scan_page(entity, after, limit).await?;
        Ok(Page { records: self.open_all(page.records).await?, next: page.next })
    }

    async fn apply(&self, changes: ChangeSet) -> Result<Applied, StoreError> {
        let sealed = self.seal_changes(changes).await.map_err(Error::into_store_error)?;
        self.inner.apply(sealed).await
    }

    async fn columns(&self, entity: &str) -> Result<Vec<ColumnInfo>, StoreError> {
        self.inner.columns(entity).await
    }

    async fn pending_blob_deletes(&self) -> Result<Vec<String>, StoreError> {
        self.inner.pending_blob_deletes().await
    }

    async fn ack_blob_deletes(&self, ids: &[String]) -> Result<(), StoreError> {
        self.inner.ack_blob_deletes(ids).await
    }
}
