//! [`SqlKeyStore`]: pdpo-crypto's [`KeyStore`] in pdpo's own SQL tables
//! (migration 3; the tables are documented on the type).

use std::fmt;

use chrono::{DateTime, Utc};
use pdpo_core::{Identifier, Key, RecordRef, StoreError, StoreErrorKind};
use pdpo_crypto::{BlindIndex, BlindIndexRow, KeyId, KeyLookup, KeyOwner, KeyStore, ShredCount, WrappedKey};

use crate::backend::{Handle, OwnRow, Pool};
use crate::error::{Result, store_error};
use crate::migrate::migrate;
use crate::sql::{Bind, Dialect, Sql, invalid};

/// pdpo-crypto's [`KeyStore`] over SQLite or PostgreSQL: wrapped data keys, nonce counters,
/// tombstones and blind-index rows in pdpo's own tables.
///
/// ```
/// use std::sync::Arc;
/// use pdpo_core::{Actor, Key, SystemClock};
/// use pdpo_crypto::{Decrypted, FieldCipher, FieldContext, KeyFileKek, KeyRing};
/// use pdpo_store::{SqlKeyStore, sqlite_options};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = pdpo_store::sqlx::SqlitePool::connect_with(sqlite_options("sqlite::memory:")?).await?;
/// let keys = SqlKeyStore::open(pool).await?;
/// let ring = KeyRing::new(keys, KeyFileKek::generate()?, Arc::new(SystemClock));
/// let chan = Key::from(42);
/// let ctx = FieldContext::new("contacts", "hkid").subject(&chan).record(&chan);
/// let sealed = ring.encrypt(&ctx, b"A123456(3)").await?;
/// ring.shred(None, &chan, Actor::system("erasure")?).await?;
/// assert!(matches!(ring.decrypt(&ctx, &sealed).await?, Decrypted::Shredded));
/// # Ok(())
/// # }
/// ```
///
/// Clones share the pool. `Debug` shows only the backend.
///
/// # Tables
///
/// ```sql
/// CREATE TABLE pdpo_data_keys (            -- one row per data key, wrapped by a KEK version
///     key_id      BLOB / BYTEA PRIMARY KEY,  -- KeyId, 16 bytes
///     tenant      TEXT NOT NULL,             -- '' when the store has no tenants
///     owner_kind  TEXT NOT NULL,             -- subject | workspace | blind_index | token
///     subject     TEXT NOT NULL,             -- JSON of the subject Key for `subject`, else ''
///     generation  INTEGER / BIGINT NOT NULL, -- 0, 1, 2... per (tenant, owner); the highest is active
///     kek_version INTEGER / BIGINT NOT NULL, -- the KEK version that wrapped it
///     wrapped     BLOB / BYTEA NOT NULL,     -- the wrapped data key (ciphertext)
///     nonce_next  INTEGER / BIGINT NOT NULL DEFAULT 0, -- first nonce counter not yet reserved
///     created_at  TEXT (RFC 3339) / TIMESTAMPTZ NOT NULL,
///     UNIQUE (tenant, owner_kind, subject, generation)
/// );
/// CREATE INDEX pdpo_data_keys_kek ON pdpo_data_keys (kek_version, key_id);
///
/// CREATE TABLE pdpo_destroyed_keys (       -- tombstones: "shredded", not "unknown"
///     key_id       BLOB / BYTEA PRIMARY KEY,
///     destroyed_at TEXT / TIMESTAMPTZ NOT NULL DEFAULT now
/// );
///
/// CREATE TABLE pdpo_blind_index (          -- equality lookups on encrypted values
///     tenant  TEXT NOT NULL,                 -- '' when the store has no tenants
///     entity  TEXT NOT NULL,                 -- the indexed record's entity
///     record  TEXT NOT NULL,                 -- JSON of the record Key
///     field   TEXT NOT NULL,
///     kind    TEXT NOT NULL,                 -- email | hk_phone | hkid | a custom kind
///     digest  BLOB / BYTEA NOT NULL,         -- BlindIndex, 16 bytes
///     subject TEXT NOT NULL,                 -- JSON of the subject Key
///     PRIMARY KEY (tenant, entity, record, field)
/// );
/// CREATE INDEX pdpo_blind_index_digest ON pdpo_blind_index (tenant, kind, digest);
/// CREATE INDEX pdpo_blind_index_subject ON pdpo_blind_index (tenant, subject);
/// ```
///
/// # Operations
///
/// - `insert`: one statement, refused (`Conflict`) when the id is live or tombstoned, or the
///   `(tenant, owner, generation)` is taken (the unique constraint).
/// - `reserve_nonces`: one auto-committed statement,
///   `UPDATE pdpo_data_keys SET nonce_next = nonce_next + n WHERE key_id = id RETURNING nonce_next - n`,
///   so concurrent reservers (threads or processes) always get disjoint ranges and a reservation
///   survives a crash once it has returned.
/// - `rewrap`: a compare-and-set, `UPDATE ... WHERE key_id = id AND kek_version = from`.
/// - `shred`: one transaction: delete the subject's keys (returning their ids), insert their
///   tombstones, delete the subject's blind-index rows. On SQLite it then checkpoints the WAL
///   (`PRAGMA wal_checkpoint(TRUNCATE)`): with `secure_delete=ON` (see
///   [`sqlite_options`](crate::sqlite_options)) the deleted cells are zeroed in the database file,
///   and the checkpoint copies those zeroed pages in and truncates the WAL, whose older frames
///   still held the wrapped key. If a long-running reader keeps the checkpoint from finishing
///   within the busy timeout, the shred still stands and the old frames go at a later checkpoint.
///   On PostgreSQL, deleted tuples stay in heap pages until `VACUUM` and in WAL segments and base
///   backups: there the wrapped key is protected by its KEK, and destroying the old KEK version
///   (`KeyRing::destroy_kek_version`) is the step that makes those copies unreadable.
///
/// # Differences from `MemoryKeyStore`
///
/// - The empty tenant `Some("")` is refused (`Invalid`): `''` stands for "no tenant".
/// - `find_index` returns rows ordered by entity, record and field (the memory store keeps
///   insertion order).
/// - Nonce counters saturate at `i64::MAX` (the memory store at `u64::MAX`); keys are refused long
///   before, at 2^32.
/// - On PostgreSQL `created_at` keeps microseconds.
#[derive(Clone)]
pub struct SqlKeyStore {
    pool: Pool,
    dialect: Dialect,
}

impl fmt::Debug for SqlKeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlKeyStore").field("dialect", &self.dialect).finish_non_exhaustive()
    }
}

const KEY_COLS: &str = "SELECT key_id, tenant, owner_kind, subject, generation, kek_version, wrapped, created_at FROM pdpo_data_keys";
const INDEX_COLS: &str = "SELECT tenant, entity, record, field, kind, digest, subject FROM pdpo_blind_index";
/// How far a nonce counter can go.
const COUNTER_MAX: i64 = i64::MAX;

fn tenant_text(tenant: Option<&str>) -> Result<String, StoreError> {
    match tenant {
        None => Ok(String::new()),
        Some("") => Err(invalid("the key store's tenant cannot be empty ('' means no tenant)".to_owned())),
        Some(t) => Ok(t.to_owned()),
    }
}

fn key_json(key: &Key) -> Result<String, StoreError> {
    serde_json::to_string(key)
        .map_err(|_| StoreError::new(StoreErrorKind::Invalid, "a record key cannot be serialised"))
}

fn subject_text(owner: &KeyOwner) -> Result<String, StoreError> {
    owner.subject().map_or(Ok(String::new()), key_json)
}

fn to_i64(v: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| invalid(format!("{what} {v} is out of range for the key store")))
}

/// A malformed row (edited by hand, or a newer format): named by table and column, never a value.
fn malformed(table: &str, column: &str) -> StoreError {
    StoreError::new(StoreErrorKind::Backend, format!("{table}: a row has a malformed `{column}` column"))
}

fn col<T: crate::backend::OwnColumn>(
    row: &OwnRow,
    i: usize,
    table: &str,
    column: &str,
) -> Result<T, StoreError> {
    row.get(i).map_err(|_| malformed(table, column))
}

fn key_id(bytes: &[u8], table: &str) -> Result<KeyId, StoreError> {
    <[u8; 16]>::try_from(bytes).map(KeyId::from_bytes).map_err(|_| malformed(table, "key_id"))
}

fn parse_key(json: &str, table: &str, column: &str) -> Result<Key, StoreError> {
    serde_json::from_str(json).map_err(|_| malformed(table, column))
}

fn decode_key(row: &OwnRow) -> Result<WrappedKey, StoreError> {
    const T: &str = "pdpo_data_keys";
    let id = key_id(&col::<Vec<u8>>(row, 0, T, "key_id")?, T)?;
    let tenant: String = col(row, 1, T, "tenant")?;
    let kind: String = col(row, 2, T, "owner_kind")?;
    let subject: String = col(row, 3, T, "subject")?;
    let owner = match kind.as_str() {
        "subject" => KeyOwner::Subject(parse_key(&subject, T, "subject")?),
        "workspace" => KeyOwner::Workspace,
        "blind_index" => KeyOwner::BlindIndex,
        "token" => KeyOwner::Token,
        _ => return Err(malformed(T, "owner_kind")),
    };
    let generation =
        u32::try_from(col::<i64>(row, 4, T, "generation")?).map_err(|_| malformed(T, "generation"))?;
    let kek_version =
        u32::try_from(col::<i64>(row, 5, T, "kek_version")?).map_err(|_| malformed(T, "kek_version"))?;
    let wrapped: Vec<u8> = col(row, 6, T, "wrapped")?;
    let created_at: DateTime<Utc> = col(row, 7, T, "created_at")?;
    Ok(WrappedKey::new(
        id,
        (!tenant.is_empty()).then_some(tenant),
        owner,
        generation,
        kek_version,
        wrapped,
        created_at,
    ))
}

fn decode_index(row: &OwnRow) -> Result<BlindIndexRow, StoreError> {
    const T: &str = "pdpo_blind_index";
    let tenant: String = col(row, 0, T, "tenant")?;
    let entity = Identifier::new(col::<String>(row, 1, T, "entity")?).map_err(|_| malformed(T, "entity"))?;
    let record = parse_key(&col::<String>(row, 2, T, "record")?, T, "record")?;
    let field = Identifier::new(col::<String>(row, 3, T, "field")?).map_err(|_| malformed(T, "field"))?;
    let kind: String = col(row, 4, T, "kind")?;
    let digest =
        <[u8; pdpo_crypto::BLIND_INDEX_LEN]>::try_from(col::<Vec<u8>>(row, 5, T, "digest")?.as_slice())
            .map(BlindIndex::from_bytes)
            .map_err(|_| malformed(T, "digest"))?;
    let subject = parse_key(&col::<String>(row, 6, T, "subject")?, T, "subject")?;
    Ok(BlindIndexRow {
        tenant: (!tenant.is_empty()).then_some(tenant),
        record: RecordRef::new(entity, record),
        field,
        kind,
        digest,
        subject,
    })
}

impl SqlKeyStore {
    /// A key store on `pool` (your application's `SqlitePool` or `PgPool`, `.into()`), after
    /// applying pdpo's [migrations](crate::migrate). On SQLite, open the pool with
    /// [`sqlite_options`](crate::sqlite_options) so deleted keys are overwritten (`secure_delete`).
    pub async fn open(pool: impl Into<Pool>) -> Result<Self> {
        let pool = pool.into();
        migrate(&pool).await?;
        let dialect = pool.dialect();
        Ok(Self { pool, dialect })
    }

    /// The pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    fn sql(&self) -> Sql {
        Sql::new(self.dialect)
    }

    async fn handle(&self) -> Result<Handle, StoreError> {
        self.pool.acquire().await.map_err(|e| store_error(&e, "key store: connecting", false))
    }

    async fn begin(&self) -> Result<Handle, StoreError> {
        self.pool.begin().await.map_err(|e| store_error(&e, "key store: starting a transaction", false))
    }

    /// `WHERE tenant = ? AND owner_kind = ? AND subject = ?`.
    fn owner_filter(&self, sql: &mut Sql, tenant: Option<&str>, owner: &KeyOwner) -> Result<(), StoreError> {
        sql.push(" WHERE tenant = ")
            .bind(Bind::text(tenant_text(tenant)?), None)
            .push(" AND owner_kind = ")
            .bind(Bind::text(owner.kind()), None)
            .push(" AND subject = ")
            .bind(Bind::text(subject_text(owner)?), None);
        Ok(())
    }

    async fn keys(&self, h: &mut Handle, sql: Sql, what: &str) -> Result<Vec<WrappedKey>, StoreError> {
        let rows = h.fetch_own(sql).await.map_err(|e| store_error(&e, what, false))?;
        rows.iter().map(decode_key).collect()
    }

    /// The saturating path of [`KeyStore::reserve_nonces`]: the counter would pass
    /// [`COUNTER_MAX`]; set it there with a compare-and-set on the value read.
    async fn reserve_saturating(&self, h: &mut Handle, id: KeyId) -> Result<u64, StoreError> {
        let what = format!("reserving nonces of key {id}");
        for _ in 0..16 {
            let mut sql = self.sql();
            sql.push("SELECT nonce_next FROM pdpo_data_keys WHERE key_id = ")
                .bind(Bind::Bytes(id.as_bytes().to_vec()), None);
            let rows = h.fetch_own(sql).await.map_err(|e| store_error(&e, &what, false))?;
            let Some(row) = rows.first() else {
                return Err(StoreError::new(StoreErrorKind::NotFound, format!("no data key {id}")));
            };
            let current: i64 = col(row, 0, "pdpo_data_keys", "nonce_next")?;
            let mut sql = self.sql();
            sql.push("UPDATE pdpo_data_keys SET nonce_next = ")
                .bind(Bind::Int(COUNTER_MAX), None)
                .push(" WHERE key_id = ")
                .bind(Bind::Bytes(id.as_bytes().to_vec()), None)
                .push(" AND nonce_next = ")
                .bind(Bind::Int(current), None);
            if h.execute(sql).await.map_err(|e| store_error(&e, &what, false))? == 1 {
                return u64::try_from(current).map_err(|_| malformed("pdpo_data_keys", "nonce_next"));
            }
        }
        Err(StoreError::new(StoreErrorKind::Conflict, format!("{what}: the counter kept changing")))
    }

    /// Copies the WAL into the database file and truncates it (SQLite only), so bytes deleted
    /// with `secure_delete` leave the WAL too.
    async fn checkpoint(&self) -> Result<(), StoreError> {
        if self.dialect != Dialect::Sqlite {
            return Ok(());
        }
        let mut h = self.handle().await?;
        let mut sql = self.sql();
        sql.push("PRAGMA wal_checkpoint(TRUNCATE)");
        h.fetch_own(sql).await.map_err(|e| store_error(&e, "checkpointing the WAL after a shred", false))?;
        Ok(())
    }
}

impl KeyStore for SqlKeyStore {
    async fn insert(&self, key: &WrappedKey) -> Result<(), StoreError> {
        let id = key.id.as_bytes().to_vec();
        let mut sql = self.sql();
        sql.push(
            "INSERT INTO pdpo_data_keys \
             (key_id, tenant, owner_kind, subject, generation, kek_version, wrapped, created_at) SELECT ",
        )
        .bind(Bind::Bytes(id.clone()), None)
        .push(", ")
        .bind(Bind::text(tenant_text(key.tenant.as_deref())?), None)
        .push(", ")
        .bind(Bind::text(key.owner.kind()), None)
        .push(", ")
        .bind(Bind::text(subject_text(&key.owner)?), None)
        .push(", ")
        .bind(Bind::Int(i64::from(key.generation)), None)
        .push(", ")
        .bind(Bind::Int(i64::from(key.kek_version)), None)
        .push(", ")
        .bind(Bind::Bytes(key.wrapped.clone()), None)
        .push(", ")
        .bind(Bind::Timestamp(key.created_at), None)
        .push(" WHERE NOT EXISTS (SELECT 1 FROM pdpo_destroyed_keys WHERE key_id = ")
        .bind(Bind::Bytes(id), None)
        .push(")");
        let what = format!("inserting key {}", key.id);
        let rows = self.handle().await?.execute(sql).await.map_err(|e| store_error(&e, &what, false))?;
        if rows == 0 {
            return Err(StoreError::new(StoreErrorKind::Conflict, format!("key {} was destroyed", key.id)));
        }
        Ok(())
    }

    async fn active(&self, tenant: Option<&str>, owner: &KeyOwner) -> Result<Option<WrappedKey>, StoreError> {
        let mut sql = self.sql();
        sql.push(KEY_COLS);
        self.owner_filter(&mut sql, tenant, owner)?;
        sql.push(" ORDER BY generation DESC LIMIT 1");
        let mut h = self.handle().await?;
        Ok(self.keys(&mut h, sql, "loading the active key").await?.into_iter().next())
    }

    async fn get(&self, id: KeyId) -> Result<KeyLookup, StoreError> {
        let what = format!("loading key {id}");
        let mut h = self.handle().await?;
        let mut sql = self.sql();
        sql.push(KEY_COLS).push(" WHERE key_id = ").bind(Bind::Bytes(id.as_bytes().to_vec()), None);
        if let Some(key) = self.keys(&mut h, sql, &what).await?.into_iter().next() {
            return Ok(KeyLookup::Found(key));
        }
        // A shred deletes the key and writes its tombstone in one transaction, so a key missing
        // above is either tombstoned now or never existed.
        let mut sql = self.sql();
        sql.push("SELECT 1 FROM pdpo_destroyed_keys WHERE key_id = ")
            .bind(Bind::Bytes(id.as_bytes().to_vec()), None);
        let rows = h.fetch_own(sql).await.map_err(|e| store_error(&e, &what, false))?;
        Ok(if rows.is_empty() { KeyLookup::Unknown } else { KeyLookup::Destroyed })
    }

    async fn reserve_nonces(&self, id: KeyId, count: u64) -> Result<u64, StoreError> {
        let n = i64::try_from(count).unwrap_or(COUNTER_MAX);
        let mut sql = self.sql();
        sql.push("UPDATE pdpo_data_keys SET nonce_next = nonce_next + ")
            .bind(Bind::Int(n), None)
            .push(" WHERE key_id = ")
            .bind(Bind::Bytes(id.as_bytes().to_vec()), None)
            .push(" AND nonce_next <= ")
            .bind(Bind::Int(COUNTER_MAX - n), None)
            .push(" RETURNING nonce_next - ")
            .bind(Bind::Int(n), None);
        let mut h = self.handle().await?;
        let what = format!("reserving nonces of key {id}");
        let rows = h.fetch_own(sql).await.map_err(|e| store_error(&e, &what, false))?;
        match rows.first() {
            Some(row) => u64::try_from(col::<i64>(row, 0, "pdpo_data_keys", "nonce_next")?)
                .map_err(|_| malformed("pdpo_data_keys", "nonce_next")),
            None => self.reserve_saturating(&mut h, id).await,
        }
    }

    async fn wrapped_under(
        &self,
        kek_version: u32,
        after: Option<KeyId>,
        limit: usize,
    ) -> Result<Vec<WrappedKey>, StoreError> {
        let mut sql = self.sql();
        sql.push(KEY_COLS).push(" WHERE kek_version = ").bind(Bind::Int(i64::from(kek_version)), None);
        if let Some(a) = after {
            sql.push(" AND key_id > ").bind(Bind::Bytes(a.as_bytes().to_vec()), None);
        }
        sql.push(" ORDER BY key_id LIMIT ").bind(Bind::Int(to_i64(limit as u64, "limit")?), None);
        let mut h = self.handle().await?;
        self.keys(&mut h, sql, "listing keys by KEK version").await
    }

    async fn rewrap(
        &self,
        id: KeyId,
        from_version: u32,
        to_version: u32,
        wrapped: Vec<u8>,
    ) -> Result<bool, StoreError> {
        let mut sql = self.sql();
        sql.push("UPDATE pdpo_data_keys SET kek_version = ")
            .bind(Bind::Int(i64::from(to_version)), None)
            .push(", wrapped = ")
            .bind(Bind::Bytes(wrapped), None)
            .push(" WHERE key_id = ")
            .bind(Bind::Bytes(id.as_bytes().to_vec()), None)
            .push(" AND kek_version = ")
            .bind(Bind::Int(i64::from(from_version)), None);
        let what = format!("rewrapping key {id}");
        let rows = self.handle().await?.execute(sql).await.map_err(|e| store_error(&e, &what, false))?;
        Ok(rows == 1)
    }

    async fn shred(&self, tenant: Option<&str>, subject: &Key) -> Result<ShredCount, StoreError> {
        let tenant_t = tenant_text(tenant)?;
        let subject_t = key_json(subject)?;
        let what = "shredding a subject's keys";
        let mut h = self.begin().await?;
        let mut sql = self.sql();
        sql.push("DELETE FROM pdpo_data_keys");
        self.owner_filter(&mut sql, tenant, &KeyOwner::Subject(subject.clone()))?;
        sql.push(" RETURNING key_id");
        let ids = h.fetch_own(sql).await.map_err(|e| store_error(&e, what, false))?;
        for row in &ids {
            let id: Vec<u8> = col(row, 0, "pdpo_data_keys", "key_id")?;
            let mut sql = self.sql();
            sql.push("INSERT INTO pdpo_destroyed_keys (key_id) VALUES (")
                .bind(Bind::Bytes(id), None)
                .push(") ON CONFLICT (key_id) DO NOTHING");
            h.execute(sql).await.map_err(|e| store_error(&e, what, false))?;
        }
        let mut sql = self.sql();
        sql.push("DELETE FROM pdpo_blind_index WHERE tenant = ")
            .bind(Bind::text(tenant_t), None)
            .push(" AND subject = ")
            .bind(Bind::text(subject_t), None);
        let index_rows = h.execute(sql).await.map_err(|e| store_error(&e, what, false))?;
        h.commit().await.map_err(|e| store_error(&e, what, false))?;
        if !ids.is_empty() || index_rows > 0 {
            self.checkpoint().await?;
        }
        Ok(ShredCount { keys: ids.len() as u64, index_rows })
    }

    async fn put_index(&self, rows: Vec<BlindIndexRow>) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut h = self.begin().await?;
        for row in rows {
            let mut sql = self.sql();
            sql.push("INSERT INTO pdpo_blind_index (tenant, entity, record, field, kind, digest, subject) VALUES (")
                .bind(Bind::text(tenant_text(row.tenant.as_deref())?), None)
                .push(", ")
                .bind(Bind::text(row.record.entity.to_string()), None)
                .push(", ")
                .bind(Bind::text(key_json(&row.record.key)?), None)
                .push(", ")
                .bind(Bind::text(row.field.to_string()), None)
                .push(", ")
                .bind(Bind::text(row.kind), None)
                .push(", ")
                .bind(Bind::Bytes(row.digest.as_bytes().to_vec()), None)
                .push(", ")
                .bind(Bind::text(key_json(&row.subject)?), None)
                .push(
                    ") ON CONFLICT (tenant, entity, record, field) DO UPDATE SET \
                     kind = excluded.kind, digest = excluded.digest, subject = excluded.subject",
                );
            let what = format!("writing the blind index of {}", row.record);
            h.execute(sql).await.map_err(|e| store_error(&e, &what, false))?;
        }
        h.commit().await.map_err(|e| store_error(&e, "writing blind-index rows", false))
    }

    async fn find_index(
        &self,
        tenant: Option<&str>,
        kind: &str,
        digest: &BlindIndex,
    ) -> Result<Vec<BlindIndexRow>, StoreError> {
        let mut sql = self.sql();
        sql.push(INDEX_COLS)
            .push(" WHERE tenant = ")
            .bind(Bind::text(tenant_text(tenant)?), None)
            .push(" AND kind = ")
            .bind(Bind::text(kind), None)
            .push(" AND digest = ")
            .bind(Bind::Bytes(digest.as_bytes().to_vec()), None)
            .push(" ORDER BY entity, record, field");
        let mut h = self.handle().await?;
        let rows = h.fetch_own(sql).await.map_err(|e| store_error(&e, "reading the blind index", false))?;
        rows.iter().map(decode_index).collect()
    }

    async fn has_index(&self, tenant: Option<&str>, kind: &str) -> Result<bool, StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT 1 FROM pdpo_blind_index WHERE tenant = ")
            .bind(Bind::text(tenant_text(tenant)?), None)
            .push(" AND kind = ")
            .bind(Bind::text(kind), None)
            .push(" LIMIT 1");
        let mut h = self.handle().await?;
        let rows = h.fetch_own(sql).await.map_err(|e| store_error(&e, "reading the blind index", false))?;
        Ok(!rows.is_empty())
    }
}
