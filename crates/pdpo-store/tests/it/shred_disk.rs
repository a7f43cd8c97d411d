//! Crypto-shredding reaches the disk: after `shred` on SQLite (with `secure_delete` and the WAL
//! checkpoint `SqlKeyStore::shred` runs), neither the wrapped data key, nor the raw key, nor the
//! blind-index digest, nor the plaintext is anywhere in the database file or its WAL.

use std::path::Path;
use std::sync::Arc;

use pdpo_core::{
    Actor, ChangeSet, DataStore, Identifier, Key, Record, RecordRef, Schema, SystemClock, Value,
};
use pdpo_crypto::{EncryptingStore, IndexKind, KeyEncryptionKey, KeyFileKek, KeyOwner, KeyRing, KeyStore};
use pdpo_store::{SqlKeyStore, SqlStore, sqlx};

use crate::common::SqliteHarness;

const SCHEMA: &str = r#"
subject = "contacts"
[purposes]
service = "Serving the customer"
[entities.contacts]
key = "id"
fields.hkid = { category = "hkid", encrypt = true, purposes = ["service"] }
fields.email = { category = "email", encrypt = true, purposes = ["service"] }
"#;

/// Whether `needle` occurs in the file at `path` (a missing file holds nothing).
fn file_holds(path: &Path, needle: &[u8]) -> bool {
    let bytes = std::fs::read(path).unwrap_or_default();
    !needle.is_empty() && bytes.windows(needle.len()).any(|w| w == needle)
}

fn anywhere(db: &Path, needle: &[u8]) -> Vec<String> {
    let wal = db.with_extension("db-wal");
    [db, wal.as_path()].iter().filter(|p| file_holds(p, needle)).map(|p| p.display().to_string()).collect()
}

#[tokio::test(flavor = "current_thread")]
async fn shredded_keys_leave_the_sqlite_files() {
    let h = SqliteHarness::new();
    let db = Path::new(h.url.trim_start_matches("sqlite://")).to_path_buf();
    let pool = h.pool().await;
    sqlx::raw_sql("CREATE TABLE contacts (id INTEGER PRIMARY KEY, hkid BLOB, email BLOB)")
        .execute(&pool)
        .await
        .unwrap();
    let keys = SqlKeyStore::open(pool.clone()).await.unwrap();
    let ring = Arc::new(KeyRing::new(keys.clone(), KeyFileKek::generate().unwrap(), Arc::new(SystemClock)));
    let data = SqlStore::open(pool.clone(), Schema::from_toml_str(SCHEMA, None).unwrap()).await.unwrap();
    let store = EncryptingStore::new(data, Arc::clone(&ring)).unwrap();

    let (chan, wong) = (Key::from(1), Key::from(2));
    let contacts = Identifier::new("contacts").unwrap();
    let mut cs = ChangeSet::new();
    for (k, hkid, email) in
        [(&chan, "A123456(3)", "chan.taiman@example.hk"), (&wong, "B765432(1)", "wong@example.hk")]
    {
        cs.insert(Record::new(contacts.clone(), k.clone()).with("hkid", hkid).with("email", email));
    }
    store.apply(cs).await.unwrap();
    ring.index_value(
        None,
        &chan,
        RecordRef::new(contacts.clone(), chan.clone()),
        Identifier::new("email").unwrap(),
        &IndexKind::Email,
        "chan.taiman@example.hk",
    )
    .await
    .unwrap();

    // What must disappear: Chan's wrapped key, the raw key under it, the digest of his email.
    let row = keys.active(None, &KeyOwner::Subject(chan.clone())).await.unwrap().unwrap();
    let raw = ring.kek().unwrap(&row).await.unwrap();
    let digest = ring.blind_index(None, &IndexKind::Email, "chan.taiman@example.hk").await.unwrap();
    let wong_row = keys.active(None, &KeyOwner::Subject(wong.clone())).await.unwrap().unwrap();
    let secrets: [(&str, &[u8]); 3] =
        [("wrapped key", &row.wrapped), ("blind index", digest.as_bytes()), ("raw key", raw.expose_secret())];

    // Before: the wrapped key and the digest are on disk (the scan can see them); the raw key and
    // plaintexts never are.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&pool).await.unwrap();
    assert!(
        !anywhere(&db, &row.wrapped).is_empty(),
        "control: the wrapped key is not on disk before the shred"
    );
    assert!(
        !anywhere(&db, digest.as_bytes()).is_empty(),
        "control: the digest is not on disk before the shred"
    );
    for plain in ["A123456(3)", "chan.taiman@example.hk", "B765432(1)"] {
        assert_eq!(anywhere(&db, plain.as_bytes()), Vec::<String>::new(), "plaintext {plain:?} on disk");
    }
    assert_eq!(anywhere(&db, raw.expose_secret()), Vec::<String>::new(), "raw key on disk");

    let report = ring.shred(None, &chan, Actor::system("erasure").unwrap()).await.unwrap();
    assert_eq!((report.keys, report.index_rows), (1, 1));

    // After: no trace, with no checkpoint but the one `shred` runs; Wong's key is untouched.
    for (what, bytes) in secrets {
        assert_eq!(anywhere(&db, bytes), Vec::<String>::new(), "{what} still on disk after the shred");
    }
    assert!(!anywhere(&db, &wong_row.wrapped).is_empty(), "another subject's key went too");
    let read = store.fetch("contacts", &[chan.clone(), wong.clone()]).await.unwrap();
    assert_eq!(read[0].get("hkid"), Some(&Value::Shredded));
    assert_eq!(read[1].get("hkid"), Some(&Value::from("B765432(1)")));
}
