//! The SQL [`Backend`]: a [`Workspace`] over the CRM's own SQLite or PostgreSQL database.

use std::sync::Arc;

use pdpo_core::{Clock, DirBlobStore, Identifier, Schema};
use pdpo_crypto::KeyFileKek;
use pdpo_store::{Pool, SqlAuditStore, SqlKeyStore, SqlRequestStore, SqlStore};

use crate::workspace::{Backend, Parts, Result, Workspace};

/// The SQL [`Backend`] (features `sqlite`, `postgres`): records in the CRM's own tables
/// ([`SqlStore`]), pdpo's audit log, keys and request ledger in its own tables beside them
/// (migrated on open), attachments as files ([`DirBlobStore`]), and a key-encryption key from
/// a key file. Every change set and ledger write commits its audit events in its own
/// transaction.
#[derive(Debug, Clone, Copy)]
pub struct Sql;

impl Backend for Sql {
    type Data = SqlStore;
    type Blobs = DirBlobStore;
    type Audit = SqlAuditStore;
    type Keys = SqlKeyStore;
    type Kek = KeyFileKek;
    type Requests = SqlRequestStore;
}

impl Workspace<Sql> {
    /// Opens a workspace over the database behind `pool`: checks `schema` against the live
    /// tables, applies pdpo's migrations, and wires the audit log (named `origin`) into the
    /// data store and the request store so their writes commit with their events.
    pub async fn open_sql(
        pool: impl Into<Pool>,
        schema: Schema,
        blobs: DirBlobStore,
        kek: KeyFileKek,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let pool = pool.into();
        let audit =
            SqlAuditStore::open(pool.clone(), Identifier::from_static("workspace"), Arc::clone(&clock))
                .await
                .map_err(store_error)?;
        let data = SqlStore::open(pool.clone(), schema).await.map_err(store_error)?.with_audit(audit.clone());
        let keys = SqlKeyStore::open(pool.clone()).await.map_err(store_error)?;
        let requests = SqlRequestStore::open(pool).await.map_err(store_error)?.with_audit(audit.clone());
        Self::from_parts(Parts::new(data, blobs, audit, keys, kek, requests), clock)
    }
}

/// pdpo-store's opening errors (missing table or column, migration problems) as store errors,
/// keeping their message.
fn store_error(e: pdpo_store::Error) -> crate::Error {
    match e {
        pdpo_store::Error::Store(s) => crate::Error::Store(s),
        other => crate::Error::Open(Box::new(other)),
    }
}
