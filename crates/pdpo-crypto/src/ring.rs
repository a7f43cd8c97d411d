//! [`FieldCipher`] and its AES-256-GCM implementation [`KeyRing`]: data keys per subject or per
//! workspace, wrapped by a [`KeyEncryptionKey`], cached unwrapped, shredded and rotated.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use pdpo_core::{
    Actor, AuditAction, AuditEvent, Clock, Identifier, Key, KeyScope, RecordRef, StoreErrorKind,
};
use zeroize::Zeroizing;

use crate::blind::{BlindIndex, BlindIndexer, IndexKind};
use crate::envelope::{DataKey, Envelope, FieldContext};
use crate::keystore::{BlindIndexRow, KeyLookup, KeyOwner, KeyStore, WrappedKey};
use crate::nonce::{NonceBlock, NoncePolicy, Reservation};
use crate::secret::random;
use crate::{Error, KeyEncryptionKey, KeyId, Result, SecretKey, TokenSigner};

/// The result of a decryption.
#[non_exhaustive]
pub enum Decrypted {
    /// The plaintext (zeroized when dropped).
    Plaintext(Zeroizing<Vec<u8>>),
    /// The data key was destroyed: the value is gone for good.
    Shredded,
}

impl fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Plaintext(p) => write!(f, "Plaintext(<{} bytes>)", p.len()),
            Self::Shredded => f.write_str("Shredded"),
        }
    }
}

/// Encrypts and decrypts field values bound to their [`FieldContext`].
///
/// Async because a key may have to be fetched from a [`KeyStore`] and unwrapped by a KMS; once a key
/// is cached and has nonces reserved, the futures complete without waiting on anything.
pub trait FieldCipher: Send + Sync {
    /// Seals `plaintext` into an envelope for `field`.
    fn encrypt(
        &self,
        field: &FieldContext<'_>,
        plaintext: &[u8],
    ) -> impl Future<Output = Result<Vec<u8>>> + Send;

    /// Opens an envelope sealed for `field`. [`Decrypted::Shredded`] if its key was destroyed.
    fn decrypt(
        &self,
        field: &FieldContext<'_>,
        envelope: &[u8],
    ) -> impl Future<Output = Result<Decrypted>> + Send;
}

/// Forwards [`FieldCipher`] through references and smart pointers.
macro_rules! forward_field_cipher {
    ($($ty:ty),*) => {$(
        impl<C: FieldCipher + ?Sized> FieldCipher for $ty {
            fn encrypt(
                &self,
                field: &FieldContext<'_>,
                plaintext: &[u8],
            ) -> impl Future<Output = Result<Vec<u8>>> + Send {
                (**self).encrypt(field, plaintext)
            }
            fn decrypt(
                &self,
                field: &FieldContext<'_>,
                envelope: &[u8],
            ) -> impl Future<Output = Result<Decrypted>> + Send {
                (**self).decrypt(field, envelope)
            }
        }
    )*};
}

forward_field_cipher!(&C, Arc<C>);

/// What [`KeyRing::shred`] did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ShredReport {
    /// Data keys destroyed (0 when the subject had none or was already shredded).
    pub keys: u64,
    /// Blind-index rows deleted.
    pub index_rows: u64,
    /// The [`AuditAction::Shred`] event to append to the audit log.
    pub event: AuditEvent,
}

/// What [`KeyRing::rewrap`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RewrapReport {
    /// The KEK version the keys were wrapped under.
    pub from_version: u32,
    /// The version they are wrapped under now.
    pub to_version: u32,
    /// Keys rewrapped.
    pub rewrapped: u64,
}

/// One unwrapped key in the cache.
struct CachedKey {
    key: DataKey,
    tenant: Option<String>,
    owner: KeyOwner,
    generation: u32,
    nonces: Mutex<NonceBlock>,
}

impl CachedKey {
    fn take_nonce(&self) -> Option<[u8; 12]> {
        self.nonces.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    fn install(&self, block: NonceBlock) {
        *self.nonces.lock().unwrap_or_else(PoisonError::into_inner) = block;
    }

    /// Whether this key may open a value of `ctx` (tenant and owner agree with the context).
    fn serves(&self, ctx: &FieldContext<'_>) -> bool {
        self.tenant.as_deref() == ctx.tenant
            && match (&self.owner, ctx.scope) {
                (KeyOwner::Subject(s), KeyScope::Subject) => ctx.subject == Some(s),
                (KeyOwner::Workspace, KeyScope::Workspace) => true,
                _ => false,
            }
    }
}

#[derive(Default)]
struct TenantKeys {
    workspace: Option<KeyId>,
    subjects: HashMap<Key, KeyId>,
    indexer: Option<Arc<BlindIndexer>>,
}

#[derive(Default)]
struct Cache {
    keys: HashMap<KeyId, Arc<CachedKey>>,
    no_tenant: TenantKeys,
    tenants: HashMap<String, TenantKeys>,
}

impl Cache {
    fn tenant(&self, tenant: Option<&str>) -> Option<&TenantKeys> {
        match tenant {
            None => Some(&self.no_tenant),
            Some(t) => self.tenants.get(t),
        }
    }

    fn tenant_mut(&mut self, tenant: Option<&str>) -> &mut TenantKeys {
        match tenant {
            None => &mut self.no_tenant,
            Some(t) => self.tenants.entry(t.to_owned()).or_default(),
        }
    }

    fn remove(&mut self, id: KeyId) {
        if let Some(k) = self.keys.remove(&id) {
            let tk = self.tenant_mut(k.tenant.as_deref());
            match &k.owner {
                KeyOwner::Subject(s) if tk.subjects.get(s) == Some(&id) => {
                    tk.subjects.remove(s);
                }
                KeyOwner::Workspace if tk.workspace == Some(id) => tk.workspace = None,
                _ => {}
            }
            // Dropping the last `Arc` drops the AES key schedule, which zeroizes itself.
        }
    }
}

/// Where a field key of a context belongs.
enum OwnerRef<'a> {
    Subject(&'a Key),
    Workspace,
}

impl OwnerRef<'_> {
    fn to_owner(&self) -> KeyOwner {
        match self {
            Self::Subject(k) => KeyOwner::Subject((*k).clone()),
            Self::Workspace => KeyOwner::Workspace,
        }
    }
}

/// The AES-256-GCM [`FieldCipher`]: a key hierarchy over a [`KeyStore`] and a
/// [`KeyEncryptionKey`].
///
/// - **Keys.** Each `(tenant, subject)` gets its own random 256-bit data key on first use
///   ([`KeyScope::Subject`]); [`KeyScope::Workspace`] fields share the tenant's workspace key.
///   Keys are stored only wrapped by the KEK ([`WrappedKey`]).
/// - **Cache.** Unwrapped keys are cached with their AES key schedule (up to
///   [`with_cache_capacity`](Self::with_cache_capacity) keys, 10,000 by default); an evicted key's
///   schedule is zeroized when its last user drops it. A key shredded by *another* process stays
///   usable here until it leaves this cache: call [`evict_subject`](Self::evict_subject) or
///   [`clear_cache`](Self::clear_cache) when told of a shred.
/// - **Nonces.** Counters reserved from the store in blocks ([`NoncePolicy`]); a key whose counter
///   reaches 2^28 is replaced by a new generation for new encryptions (old data stays readable);
///   no key encrypts at or beyond 2^32.
/// - **Shredding.** [`shred`](Self::shred) destroys the subject's keys (one store operation,
///   whatever the number of records) and blind-index rows.
/// - **KEK rotation.** [`rewrap`](Self::rewrap), then [`destroy_kek_version`](Self::destroy_kek_version).
///
/// # What shredding reaches
///
/// Shredding makes unreadable every value sealed under the subject's key: the `encrypt = true`,
/// `key_scope = "subject"` fields, wherever their envelopes were copied (replicas, exports of the
/// ciphertext, the live database's free pages). It does **not** reach fields that are not encrypted,
/// workspace-scoped fields, plaintext the CRM copied elsewhere (logs, search indexes, e-mails), or
/// blobs. **Backups** taken before the shred still hold the wrapped key; they become unreadable
/// when the KEK version that wrapped it is destroyed: rotate the KEK at least once per backup
/// retention period, [`rewrap`](Self::rewrap), and [`destroy_kek_version`](Self::destroy_kek_version)
/// the old version once no backup you keep needs it. Erasure is then complete within
/// `backup retention + rotation period`.
pub struct KeyRing<S, K> {
    store: S,
    kek: K,
    clock: Arc<dyn Clock>,
    policy: NoncePolicy,
    capacity: usize,
    cache: RwLock<Cache>,
}

impl<S, K> fmt::Debug for KeyRing<S, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cached = self.cache.read().unwrap_or_else(PoisonError::into_inner).keys.len();
        f.debug_struct("KeyRing")
            .field("policy", &self.policy)
            .field("capacity", &self.capacity)
            .field("cached_keys", &cached)
            .finish_non_exhaustive()
    }
}

const PAGE: usize = 256;
const ATTEMPTS: usize = 4;

impl<S: KeyStore, K: KeyEncryptionKey> KeyRing<S, K> {
    /// A key ring over `store`, wrapping with `kek`, timing events on `clock`.
    pub fn new(store: S, kek: K, clock: Arc<dyn Clock>) -> Self {
        Self { store, kek, clock, policy: NoncePolicy::default(), capacity: 10_000, cache: RwLock::default() }
    }

    /// Sets the nonce policy.
    #[must_use]
    pub fn with_policy(mut self, policy: NoncePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets how many unwrapped keys are cached (at least 1).
    #[must_use]
    pub fn with_cache_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// The key store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The KEK.
    pub fn kek(&self) -> &K {
        &self.kek
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Cache> {
        self.cache.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Cache> {
        self.cache.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Number of unwrapped keys in the cache.
    pub fn cached_keys(&self) -> usize {
        self.read().keys.len()
    }

    /// Drops every cached key (their schedules are zeroized).
    pub fn clear_cache(&self) {
        *self.write() = Cache::default();
    }

    /// Drops the cached keys of one subject.
    pub fn evict_subject(&self, tenant: Option<&str>, subject: &Key) {
        let mut cache = self.write();
        let ids: Vec<KeyId> = cache
            .keys
            .values()
            .filter(|k| k.tenant.as_deref() == tenant && k.owner.subject() == Some(subject))
            .map(|k| k.key.id())
            .collect();
        for id in ids {
            cache.remove(id);
        }
    }

    fn cached(&self, id: KeyId) -> Option<Arc<CachedKey>> {
        self.read().keys.get(&id).cloned()
    }

    fn cached_active(&self, tenant: Option<&str>, owner: &OwnerRef<'_>) -> Option<Arc<CachedKey>> {
        let cache = self.read();
        let tk = cache.tenant(tenant)?;
        let id = match owner {
            OwnerRef::Subject(s) => tk.subjects.get(*s)?,
            OwnerRef::Workspace => tk.workspace.as_ref()?,
        };
        cache.keys.get(id).cloned()
    }

    fn insert(&self, key: CachedKey, active: bool) -> Arc<CachedKey> {
        let key = Arc::new(key);
        let id = key.key.id();
        let mut cache = self.write();
        if !cache.keys.contains_key(&id) && cache.keys.len() >= self.capacity {
            // Evict an arbitrary eighth of the cache (at least one key).
            let n = (self.capacity / 8).max(1);
            let victims: Vec<KeyId> = cache.keys.keys().take(n).copied().collect();
            for v in victims {
                cache.remove(v);
            }
        }
        let key = Arc::clone(cache.keys.entry(id).or_insert(key));
        if active {
            let tk = cache.tenant_mut(key.tenant.as_deref());
            match &key.owner {
                KeyOwner::Subject(s) => {
                    tk.subjects.insert(s.clone(), id);
                }
                KeyOwner::Workspace => tk.workspace = Some(id),
                _ => {}
            }
        }
        key
    }

    fn cache_row(&self, row: &WrappedKey, secret: &SecretKey, active: bool) -> Arc<CachedKey> {
        self.insert(
            CachedKey {
                key: DataKey::new(row.id, secret),
                tenant: row.tenant.clone(),
                owner: row.owner.clone(),
                generation: row.generation,
                nonces: Mutex::new(NonceBlock::default()),
            },
            active,
        )
    }

    /// The active key of `(tenant, owner)` with generation at least `min_generation`, loading it or
    /// creating it (generation `min_generation`, or 0) as needed.
    async fn active_secret(
        &self,
        tenant: Option<&str>,
        owner: &KeyOwner,
        min_generation: u32,
    ) -> Result<(WrappedKey, SecretKey)> {
        for _ in 0..ATTEMPTS {
            let current =
                self.store.active(tenant, owner).await.map_err(Error::key_store("load active key"))?;
            if let Some(row) = current
                && row.generation >= min_generation
            {
                let secret = self.kek.unwrap(&row).await?;
                return Ok((row, secret));
            }
            let secret = SecretKey::generate()?;
            let mut row = WrappedKey::new(
                KeyId::generate()?,
                tenant.map(str::to_owned),
                owner.clone(),
                min_generation,
                0,
                Vec::new(),
                self.clock.now(),
            );
            let (version, wrapped) = self.kek.wrap(&secret, &row.binding()).await?;
            row.kek_version = version;
            row.wrapped = wrapped;
            match self.store.insert(&row).await {
                Ok(()) => return Ok((row, secret)),
                // Another process created it first: load theirs.
                Err(e) if e.kind() == StoreErrorKind::Conflict => continue,
                Err(e) => return Err(Error::key_store("insert key")(e)),
            }
        }
        Err(Error::KeyStore {
            operation: "create key",
            source: pdpo_core::StoreError::new(StoreErrorKind::Conflict, "key creation kept conflicting"),
        })
    }

    async fn active_field_key(&self, tenant: Option<&str>, owner: &OwnerRef<'_>) -> Result<Arc<CachedKey>> {
        if let Some(k) = self.cached_active(tenant, owner) {
            return Ok(k);
        }
        let (row, secret) = self.active_secret(tenant, &owner.to_owner(), 0).await?;
        Ok(self.cache_row(&row, &secret, true))
    }

    async fn rotate(&self, old: &CachedKey) -> Result<()> {
        let (row, secret) =
            self.active_secret(old.tenant.as_deref(), &old.owner, old.generation.saturating_add(1)).await?;
        self.cache_row(&row, &secret, true);
        Ok(())
    }

    async fn seal(&self, ctx: &FieldContext<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
        let owner = match ctx.scope {
            KeyScope::Subject => OwnerRef::Subject(ctx.subject.ok_or_else(|| Error::NoSubject {
                entity: ctx.entity.to_owned(),
                field: ctx.field.to_owned(),
                record: ctx.record_text(),
            })?),
            KeyScope::Workspace => OwnerRef::Workspace,
        };
        let mut last_id = None;
        for _ in 0..ATTEMPTS {
            let key = self.active_field_key(ctx.tenant, &owner).await?;
            if let Some(nonce) = key.take_nonce() {
                return key.key.seal(ctx, &nonce, plaintext);
            }
            last_id = Some(key.key.id());
            let start = self
                .store
                .reserve_nonces(key.key.id(), self.policy.block())
                .await
                .map_err(Error::key_store("reserve nonces"))?;
            match self.policy.plan(start) {
                Reservation::Use { start, end } => {
                    let mut salt = [0u8; 4];
                    random(&mut salt)?;
                    key.install(NonceBlock::new(salt, start, end));
                }
                Reservation::Rotate | Reservation::Exhausted => self.rotate(&key).await?,
            }
        }
        Err(Error::NonceLimit {
            key_id: last_id.unwrap_or(KeyId::from_bytes([0; 16])),
            limit: crate::NONCE_LIMIT,
        })
    }

    async fn open(&self, ctx: &FieldContext<'_>, envelope: &[u8]) -> Result<Decrypted> {
        let env = Envelope::parse(envelope)?;
        let id = env.key_id();
        let key = match self.cached(id) {
            Some(k) => k,
            None => match self.store.get(id).await.map_err(Error::key_store("load key"))? {
                KeyLookup::Found(row) => {
                    let secret = self.kek.unwrap(&row).await?;
                    self.cache_row(&row, &secret, false)
                }
                KeyLookup::Destroyed => return Ok(Decrypted::Shredded),
                _ => {
                    return Err(Error::UnknownKey {
                        key_id: id,
                        entity: ctx.entity.to_owned(),
                        field: ctx.field.to_owned(),
                    });
                }
            },
        };
        let fail = || Error::Decrypt {
            entity: ctx.entity.to_owned(),
            field: ctx.field.to_owned(),
            record: ctx.record_text(),
            key_id: id,
        };
        if !key.serves(ctx) {
            return Err(fail());
        }
        key.key.open(ctx, &env).map(Decrypted::Plaintext)
    }

    /// Crypto-shreds a data subject: destroys every data key of `(tenant, subject)` and deletes
    /// their blind-index rows in one [`KeyStore::shred`] call (O(1) key operations whatever the
    /// number of records), drops them from this cache, and returns the
    /// [`AuditAction::Shred`] event for the caller to append to the audit log. Idempotent.
    ///
    /// See [What shredding reaches](Self#what-shredding-reaches).
    pub async fn shred(&self, tenant: Option<&str>, subject: &Key, actor: Actor) -> Result<ShredReport> {
        let count = self.store.shred(tenant, subject).await.map_err(Error::key_store("shred"))?;
        self.evict_subject(tenant, subject);
        let mut event = AuditEvent::new(AuditAction::Shred, actor, self.clock.now())
            .with_subject(subject.clone())
            .with_count(Identifier::from_static("keys"), count.keys)
            .with_count(Identifier::from_static("index_rows"), count.index_rows);
        if let Some(t) = tenant.and_then(|t| Identifier::new(t).ok()) {
            event = event.with_tenant(t);
        }
        Ok(ShredReport { keys: count.keys, index_rows: count.index_rows, event })
    }

    /// Re-wraps every data key wrapped under KEK `from_version` with the current KEK version.
    /// Ciphertexts are not touched. Resumable: run it again after a failure.
    pub async fn rewrap(&self, from_version: u32) -> Result<RewrapReport> {
        let to_version = self.kek.current_version();
        let mut report = RewrapReport { from_version, to_version, rewrapped: 0 };
        if from_version == to_version {
            return Ok(report);
        }
        let mut after = None;
        loop {
            let page = self
                .store
                .wrapped_under(from_version, after, PAGE)
                .await
                .map_err(Error::key_store("list keys to rewrap"))?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            for row in &page {
                let secret = self.kek.unwrap(row).await?;
                let (version, wrapped) = self.kek.wrap(&secret, &row.binding()).await?;
                let done = self
                    .store
                    .rewrap(row.id, from_version, version, wrapped)
                    .await
                    .map_err(Error::key_store("rewrap"))?;
                report.rewrapped += u64::from(done);
                report.to_version = version;
            }
        }
        Ok(report)
    }

    /// Destroys KEK `version` once no data key is wrapped under it any more ([`rewrap`](Self::rewrap)
    /// first), and returns the [`AuditAction::KeyRotation`] event. From then on nothing it wrapped
    /// (the wrapped keys in old backups included) can be unwrapped.
    pub async fn destroy_kek_version(&self, version: u32, actor: Actor) -> Result<AuditEvent> {
        let mut count = 0u64;
        let mut after = None;
        loop {
            let page = self
                .store
                .wrapped_under(version, after, PAGE)
                .await
                .map_err(Error::key_store("count wrapped keys"))?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            count += page.len() as u64;
        }
        if count > 0 {
            return Err(Error::KekInUse { version, count });
        }
        self.kek.destroy_version(version).await?;
        Ok(AuditEvent::new(AuditAction::KeyRotation, actor, self.clock.now())
            .with_count(Identifier::from_static("destroyed_kek_version"), u64::from(version))
            .with_count(
                Identifier::from_static("current_kek_version"),
                u64::from(self.kek.current_version()),
            ))
    }

    async fn indexer(&self, tenant: Option<&str>) -> Result<Arc<BlindIndexer>> {
        if let Some(ix) = self.read().tenant(tenant).and_then(|t| t.indexer.clone()) {
            return Ok(ix);
        }
        let (_, secret) = self.active_secret(tenant, &KeyOwner::BlindIndex, 0).await?;
        let ix = Arc::new(BlindIndexer::new(&secret));
        self.write().tenant_mut(tenant).indexer = Some(Arc::clone(&ix));
        Ok(ix)
    }

    /// The blind index of `value` under the tenant's index key (created on first use).
    pub async fn blind_index(
        &self,
        tenant: Option<&str>,
        kind: &IndexKind,
        value: &str,
    ) -> Result<BlindIndex> {
        self.indexer(tenant).await?.index(kind, value)
    }

    /// Indexes one field value of one record about `subject`, replacing the record's previous
    /// index row for that field.
    pub async fn index_value(
        &self,
        tenant: Option<&str>,
        subject: &Key,
        record: RecordRef,
        field: Identifier,
        kind: &IndexKind,
        value: &str,
    ) -> Result<()> {
        let digest = self.blind_index(tenant, kind, value).await?;
        let row = BlindIndexRow {
            tenant: tenant.map(str::to_owned),
            record,
            field,
            kind: kind.as_str().to_owned(),
            digest,
            subject: subject.clone(),
        };
        self.store.put_index(vec![row]).await.map_err(Error::key_store("write blind index"))
    }

    /// The index rows whose value equals `value` as `kind`: which records, about whom.
    pub async fn lookup(
        &self,
        tenant: Option<&str>,
        kind: &IndexKind,
        value: &str,
    ) -> Result<Vec<BlindIndexRow>> {
        let digest = self.blind_index(tenant, kind, value).await?;
        self.store
            .find_index(tenant, kind.as_str(), &digest)
            .await
            .map_err(Error::key_store("find blind index"))
    }

    /// A [`TokenSigner`] under the tenant's token key (created on first use), on this ring's clock.
    pub async fn token_signer(&self, tenant: Option<&str>) -> Result<TokenSigner> {
        let (_, secret) = self.active_secret(tenant, &KeyOwner::Token, 0).await?;
        Ok(TokenSigner::new(&secret, Arc::clone(&self.clock)))
    }

    /// The id of the key that currently encrypts new values of `(tenant, owner)`, if any exists.
    pub async fn active_key_id(&self, tenant: Option<&str>, owner: &KeyOwner) -> Result<Option<KeyId>> {
        Ok(self.store.active(tenant, owner).await.map_err(Error::key_store("load active key"))?.map(|r| r.id))
    }
}

impl<S: KeyStore, K: KeyEncryptionKey> FieldCipher for KeyRing<S, K> {
    async fn encrypt(&self, field: &FieldContext<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
        self.seal(field, plaintext).await
    }

    async fn decrypt(&self, field: &FieldContext<'_>, envelope: &[u8]) -> Result<Decrypted> {
        self.open(field, envelope).await
    }
}
