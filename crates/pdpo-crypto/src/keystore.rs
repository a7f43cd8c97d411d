//! Where wrapped data keys and blind-index rows live: [`KeyStore`] and [`MemoryKeyStore`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use pdpo_core::{Identifier, Key, RecordRef, StoreError, StoreErrorKind};

use crate::envelope::{put_opt_key, put_opt_str, put_str};
use crate::{BlindIndex, KeyId};

/// Whom a key belongs to, within a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyOwner {
    /// One data subject's field key: destroying it shreds their encrypted fields.
    Subject(Key),
    /// The workspace's field key.
    Workspace,
    /// The workspace's blind-index (HMAC) key.
    BlindIndex,
    /// The workspace's token-signing (HMAC) key.
    Token,
}

impl KeyOwner {
    /// The stable code (`subject`, `workspace`, `blind_index`, `token`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Subject(_) => "subject",
            Self::Workspace => "workspace",
            Self::BlindIndex => "blind_index",
            Self::Token => "token",
        }
    }

    /// The subject, for subject keys.
    pub fn subject(&self) -> Option<&Key> {
        match self {
            Self::Subject(k) => Some(k),
            _ => None,
        }
    }
}

/// One row of the key store: a data key wrapped by a KEK version, with whom it belongs to.
///
/// The wrapped bytes are ciphertext; `Debug` shows only their length.
#[non_exhaustive]
pub struct WrappedKey {
    /// The key's id.
    pub id: KeyId,
    /// The tenant, for multi-tenant stores.
    pub tenant: Option<String>,
    /// Whom it belongs to.
    pub owner: KeyOwner,
    /// 0 for the first key of `(tenant, owner)`, then one more per rotation; the highest is active.
    pub generation: u32,
    /// The KEK version that wrapped it.
    pub kek_version: u32,
    /// The wrapped key.
    pub wrapped: Vec<u8>,
    /// When the key was created.
    pub created_at: DateTime<Utc>,
}

impl WrappedKey {
    /// A row.
    pub fn new(
        id: KeyId,
        tenant: Option<String>,
        owner: KeyOwner,
        generation: u32,
        kek_version: u32,
        wrapped: Vec<u8>,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self { id, tenant, owner, generation, kek_version, wrapped, created_at }
    }

    /// The associated data a KEK binds the wrapped key to: id, tenant, owner and generation, so a
    /// wrapped key copied onto another row does not unwrap.
    pub fn binding(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(96);
        out.extend_from_slice(b"pdpo-crypto/wrap/v1\0");
        out.extend_from_slice(self.id.as_bytes());
        put_opt_str(&mut out, self.tenant.as_deref());
        put_str(&mut out, self.owner.kind());
        put_opt_key(&mut out, self.owner.subject());
        out.extend_from_slice(&self.generation.to_be_bytes());
        out
    }

    /// A copy of the row (what a database backup holds).
    pub fn copy_row(&self) -> Self {
        Self {
            id: self.id,
            tenant: self.tenant.clone(),
            owner: self.owner.clone(),
            generation: self.generation,
            kek_version: self.kek_version,
            wrapped: self.wrapped.clone(),
            created_at: self.created_at,
        }
    }
}

impl fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrappedKey")
            .field("id", &self.id)
            .field("tenant", &self.tenant)
            .field("owner", &self.owner.kind())
            .field("generation", &self.generation)
            .field("kek_version", &self.kek_version)
            .field("wrapped", &format_args!("<{} bytes>", self.wrapped.len()))
            .finish()
    }
}

/// The result of looking a key up by id.
#[derive(Debug)]
#[non_exhaustive]
pub enum KeyLookup {
    /// The key.
    Found(WrappedKey),
    /// The key was destroyed (crypto-shredded): what it sealed reads as `Value::Shredded`.
    Destroyed,
    /// The store never held this key.
    Unknown,
}

/// What a [`KeyStore::shred`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShredCount {
    /// Data keys destroyed.
    pub keys: u64,
    /// Blind-index rows deleted.
    pub index_rows: u64,
}

/// One blind-index row: "this record's field, about this subject, has this digest".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlindIndexRow {
    /// The tenant.
    pub tenant: Option<String>,
    /// The indexed record.
    pub record: RecordRef,
    /// The indexed field.
    pub field: Identifier,
    /// The index kind ([`IndexKind::as_str`](crate::IndexKind::as_str)).
    pub kind: String,
    /// The digest.
    pub digest: BlindIndex,
    /// The data subject the value belongs to.
    pub subject: Key,
}

/// Stores wrapped data keys, their nonce counters, tombstones of destroyed keys, and blind-index
/// rows. Every method is one atomic operation.
///
/// # Tables a SQL key store needs
///
/// `pdpo-store` implements [`KeyStore`] over three tables of its own (never the CRM's):
///
/// ```sql
/// CREATE TABLE pdpo_data_keys (
///     key_id      BLOB    PRIMARY KEY,     -- KeyId, 16 bytes
///     tenant      TEXT    NOT NULL,        -- '' when the store has no tenants
///     owner_kind  TEXT    NOT NULL,        -- KeyOwner::kind(): subject | workspace | blind_index | token
///     subject     TEXT    NOT NULL,        -- JSON of the subject Key (serde) for `subject`, else ''
///     generation  INTEGER NOT NULL,        -- 0, 1, 2... per (tenant, owner); the highest is active
///     kek_version INTEGER NOT NULL,        -- KEK version that wrapped it
///     wrapped     BLOB    NOT NULL,        -- the data key wrapped by that KEK version
///     nonce_next  BIGINT  NOT NULL DEFAULT 0, -- first nonce counter value not yet reserved
///     created_at  TIMESTAMP NOT NULL,
///     UNIQUE (tenant, owner_kind, subject, generation)
/// );
/// CREATE INDEX pdpo_data_keys_kek ON pdpo_data_keys (kek_version, key_id);
///
/// CREATE TABLE pdpo_destroyed_keys (        -- tombstones: "shredded", not "unknown"
///     key_id       BLOB PRIMARY KEY,
///     destroyed_at TIMESTAMP NOT NULL
/// );
///
/// CREATE TABLE pdpo_blind_index (
///     tenant  TEXT NOT NULL,                -- '' when the store has no tenants
///     entity  TEXT NOT NULL,
///     record  TEXT NOT NULL,                -- JSON of the record Key
///     field   TEXT NOT NULL,
///     kind    TEXT NOT NULL,                -- IndexKind::as_str(): email | hk_phone | hkid | custom
///     digest  BLOB NOT NULL,                -- BlindIndex, 16 bytes
///     subject TEXT NOT NULL,                -- JSON of the subject Key
///     PRIMARY KEY (tenant, entity, record, field)
/// );
/// CREATE INDEX pdpo_blind_index_digest ON pdpo_blind_index (tenant, kind, digest);
/// CREATE INDEX pdpo_blind_index_subject ON pdpo_blind_index (tenant, subject);
/// ```
///
/// - [`reserve_nonces`](KeyStore::reserve_nonces) is one committed statement:
///   `UPDATE pdpo_data_keys SET nonce_next = nonce_next + $n WHERE key_id = $id RETURNING nonce_next - $n`.
/// - [`shred`](KeyStore::shred) is one transaction: insert the tombstones, delete the subject's
///   `pdpo_data_keys` rows and its `pdpo_blind_index` rows. On SQLite, run with
///   `PRAGMA secure_delete = ON` and checkpoint the WAL afterwards, or the deleted bytes stay in
///   free pages and in the WAL.
/// - [`rewrap`](KeyStore::rewrap) is a compare-and-set on `kek_version`.
pub trait KeyStore: Send + Sync {
    /// Inserts a new key. Fails with [`StoreErrorKind::Conflict`] if the id, or the
    /// `(tenant, owner, generation)`, is taken (another process created it first).
    fn insert(&self, key: &WrappedKey) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The highest generation of `(tenant, owner)`, if any.
    fn active(
        &self,
        tenant: Option<&str>,
        owner: &KeyOwner,
    ) -> impl Future<Output = Result<Option<WrappedKey>, StoreError>> + Send;

    /// A key by id.
    fn get(&self, id: KeyId) -> impl Future<Output = Result<KeyLookup, StoreError>> + Send;

    /// Atomically advances the key's persisted nonce counter by `count` and returns its value
    /// before the advance: the caller owns `start..start + count`. Committed before it returns.
    /// [`StoreErrorKind::NotFound`] if the key does not exist (or was destroyed).
    fn reserve_nonces(&self, id: KeyId, count: u64) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Up to `limit` keys wrapped under `kek_version`, in id order, after `after`.
    fn wrapped_under(
        &self,
        kek_version: u32,
        after: Option<KeyId>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<WrappedKey>, StoreError>> + Send;

    /// Replaces a key's wrapping if it is still under `from_version`; `false` if it was not (already
    /// rewrapped, or destroyed).
    fn rewrap(
        &self,
        id: KeyId,
        from_version: u32,
        to_version: u32,
        wrapped: Vec<u8>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Destroys every key of `(tenant, KeyOwner::Subject(subject))`, leaving tombstones, and deletes
    /// the subject's blind-index rows, in one transaction. Idempotent.
    fn shred(
        &self,
        tenant: Option<&str>,
        subject: &Key,
    ) -> impl Future<Output = Result<ShredCount, StoreError>> + Send;

    /// Writes blind-index rows, each replacing any row for the same `(tenant, record, field)`.
    fn put_index(&self, rows: Vec<BlindIndexRow>) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Rows of `tenant` with this kind and digest.
    fn find_index(
        &self,
        tenant: Option<&str>,
        kind: &str,
        digest: &BlindIndex,
    ) -> impl Future<Output = Result<Vec<BlindIndexRow>, StoreError>> + Send;

    /// Whether `tenant` has any blind-index row of this kind: lookups of a kind nobody indexed
    /// cannot match, and a caller can fall back to comparing values (requester resolution does).
    fn has_index(
        &self,
        tenant: Option<&str>,
        kind: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

macro_rules! forward_key_store {
    ($($ty:ty),*) => {$(
        impl<S: KeyStore + ?Sized> KeyStore for $ty {
            fn insert(&self, key: &WrappedKey) -> impl Future<Output = Result<(), StoreError>> + Send {
                (**self).insert(key)
            }
            fn active(&self, tenant: Option<&str>, owner: &KeyOwner) -> impl Future<Output = Result<Option<WrappedKey>, StoreError>> + Send {
                (**self).active(tenant, owner)
            }
            fn get(&self, id: KeyId) -> impl Future<Output = Result<KeyLookup, StoreError>> + Send {
                (**self).get(id)
            }
            fn reserve_nonces(&self, id: KeyId, count: u64) -> impl Future<Output = Result<u64, StoreError>> + Send {
                (**self).reserve_nonces(id, count)
            }
            fn wrapped_under(&self, kek_version: u32, after: Option<KeyId>, limit: usize) -> impl Future<Output = Result<Vec<WrappedKey>, StoreError>> + Send {
                (**self).wrapped_under(kek_version, after, limit)
            }
            fn rewrap(&self, id: KeyId, from_version: u32, to_version: u32, wrapped: Vec<u8>) -> impl Future<Output = Result<bool, StoreError>> + Send {
                (**self).rewrap(id, from_version, to_version, wrapped)
            }
            fn shred(&self, tenant: Option<&str>, subject: &Key) -> impl Future<Output = Result<ShredCount, StoreError>> + Send {
                (**self).shred(tenant, subject)
            }
            fn put_index(&self, rows: Vec<BlindIndexRow>) -> impl Future<Output = Result<(), StoreError>> + Send {
                (**self).put_index(rows)
            }
            fn find_index(&self, tenant: Option<&str>, kind: &str, digest: &BlindIndex) -> impl Future<Output = Result<Vec<BlindIndexRow>, StoreError>> + Send {
                (**self).find_index(tenant, kind, digest)
            }
            fn has_index(&self, tenant: Option<&str>, kind: &str) -> impl Future<Output = Result<bool, StoreError>> + Send {
                (**self).has_index(tenant, kind)
            }
        }
    )*};
}

forward_key_store!(&S, Arc<S>);

struct Row {
    key: WrappedKey,
    nonce_next: u64,
}

#[derive(Default)]
struct State {
    keys: BTreeMap<KeyId, Row>,
    destroyed: BTreeSet<KeyId>,
    index: Vec<BlindIndexRow>,
    fail_reservations: u32,
}

/// A thread-safe in-memory [`KeyStore`], for tests, demos and benches. Clones share the same data.
#[derive(Clone, Default)]
pub struct MemoryKeyStore {
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for MemoryKeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.lock();
        f.debug_struct("MemoryKeyStore")
            .field("keys", &st.keys.len())
            .field("destroyed", &st.destroyed.len())
            .field("index_rows", &st.index.len())
            .finish()
    }
}

impl MemoryKeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Number of live keys.
    pub fn len(&self) -> usize {
        self.lock().keys.len()
    }

    /// Whether the store holds no live key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of blind-index rows.
    pub fn index_len(&self) -> usize {
        self.lock().index.len()
    }

    /// A key's persisted nonce counter.
    pub fn nonce_counter(&self, id: KeyId) -> Option<u64> {
        self.lock().keys.get(&id).map(|r| r.nonce_next)
    }

    /// Sets a key's persisted nonce counter: for tests of the limits (inject a near-limit
    /// counter) and for importing keys. Returns `false` if the key does not exist.
    pub fn set_nonce_counter(&self, id: KeyId, value: u64) -> bool {
        self.lock().keys.get_mut(&id).map(|r| r.nonce_next = value).is_some()
    }

    /// Makes the next `n` nonce reservations fail, as an unreachable database would.
    pub fn fail_reservations(&self, n: u32) {
        self.lock().fail_reservations = n;
    }

    /// Copies of every live row (what a backup of the table would hold).
    pub fn rows(&self) -> Vec<WrappedKey> {
        self.lock().keys.values().map(|r| r.key.copy_row()).collect()
    }

    /// Puts a row back as it was (a restore from backup), replacing any row with its id and
    /// clearing its tombstone. The restored nonce counter starts at 0: encrypting with a restored
    /// key is exactly the rolled-back-counter case the per-block nonce salt guards against, so use
    /// restored keys to read, and let new writes rotate to a fresh key generation.
    pub fn restore(&self, key: WrappedKey) {
        let mut st = self.lock();
        st.destroyed.remove(&key.id);
        st.keys.insert(key.id, Row { key, nonce_next: 0 });
    }
}

fn same_owner(row: &WrappedKey, tenant: Option<&str>, owner: &KeyOwner) -> bool {
    row.tenant.as_deref() == tenant && row.owner == *owner
}

impl KeyStore for MemoryKeyStore {
    async fn insert(&self, key: &WrappedKey) -> Result<(), StoreError> {
        let mut st = self.lock();
        let taken = st.keys.contains_key(&key.id)
            || st.destroyed.contains(&key.id)
            || st.keys.values().any(|r| {
                same_owner(&r.key, key.tenant.as_deref(), &key.owner) && r.key.generation == key.generation
            });
        if taken {
            return Err(StoreError::new(
                StoreErrorKind::Conflict,
                format!("key {} or its generation exists", key.id),
            ));
        }
        st.keys.insert(key.id, Row { key: key.copy_row(), nonce_next: 0 });
        Ok(())
    }

    async fn active(&self, tenant: Option<&str>, owner: &KeyOwner) -> Result<Option<WrappedKey>, StoreError> {
        let st = self.lock();
        Ok(st
            .keys
            .values()
            .filter(|r| same_owner(&r.key, tenant, owner))
            .max_by_key(|r| r.key.generation)
            .map(|r| r.key.copy_row()))
    }

    async fn get(&self, id: KeyId) -> Result<KeyLookup, StoreError> {
        let st = self.lock();
        Ok(match st.keys.get(&id) {
            Some(r) => KeyLookup::Found(r.key.copy_row()),
            None if st.destroyed.contains(&id) => KeyLookup::Destroyed,
            None => KeyLookup::Unknown,
        })
    }

    async fn reserve_nonces(&self, id: KeyId, count: u64) -> Result<u64, StoreError> {
        let mut st = self.lock();
        if st.fail_reservations > 0 {
            st.fail_reservations -= 1;
            return Err(StoreError::new(
                StoreErrorKind::Unavailable,
                format!("injected failure reserving nonces of key {id}"),
            ));
        }
        let row = st
            .keys
            .get_mut(&id)
            .ok_or_else(|| StoreError::new(StoreErrorKind::NotFound, format!("no data key {id}")))?;
        let start = row.nonce_next;
        row.nonce_next = start.saturating_add(count);
        Ok(start)
    }

    async fn wrapped_under(
        &self,
        kek_version: u32,
        after: Option<KeyId>,
        limit: usize,
    ) -> Result<Vec<WrappedKey>, StoreError> {
        let st = self.lock();
        Ok(st
            .keys
            .values()
            .filter(|r| r.key.kek_version == kek_version && after.is_none_or(|a| r.key.id > a))
            .take(limit)
            .map(|r| r.key.copy_row())
            .collect())
    }

    async fn rewrap(
        &self,
        id: KeyId,
        from_version: u32,
        to_version: u32,
        wrapped: Vec<u8>,
    ) -> Result<bool, StoreError> {
        let mut st = self.lock();
        match st.keys.get_mut(&id) {
            Some(r) if r.key.kek_version == from_version => {
                r.key.kek_version = to_version;
                r.key.wrapped = wrapped;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn shred(&self, tenant: Option<&str>, subject: &Key) -> Result<ShredCount, StoreError> {
        let mut st = self.lock();
        let owner = KeyOwner::Subject(subject.clone());
        let ids: Vec<KeyId> =
            st.keys.values().filter(|r| same_owner(&r.key, tenant, &owner)).map(|r| r.key.id).collect();
        for id in &ids {
            if let Some(mut row) = st.keys.remove(id) {
                // Overwrite the wrapped bytes before the row is dropped.
                zeroize::Zeroize::zeroize(&mut row.key.wrapped);
            }
            st.destroyed.insert(*id);
        }
        let before = st.index.len();
        st.index.retain(|r| !(r.tenant.as_deref() == tenant && r.subject == *subject));
        Ok(ShredCount { keys: ids.len() as u64, index_rows: (before - st.index.len()) as u64 })
    }

    async fn put_index(&self, rows: Vec<BlindIndexRow>) -> Result<(), StoreError> {
        let mut st = self.lock();
        for row in rows {
            st.index.retain(|r| !(r.tenant == row.tenant && r.record == row.record && r.field == row.field));
            st.index.push(row);
        }
        Ok(())
    }

    async fn find_index(
        &self,
        tenant: Option<&str>,
        kind: &str,
        digest: &BlindIndex,
    ) -> Result<Vec<BlindIndexRow>, StoreError> {
        let st = self.lock();
        Ok(st
            .index
            .iter()
            .filter(|r| r.tenant.as_deref() == tenant && r.kind == kind && r.digest == *digest)
            .cloned()
            .collect())
    }

    async fn has_index(&self, tenant: Option<&str>, kind: &str) -> Result<bool, StoreError> {
        Ok(self.lock().index.iter().any(|r| r.tenant.as_deref() == tenant && r.kind == kind))
    }
}
