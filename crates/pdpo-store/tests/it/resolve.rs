//! Requester resolution through the blind index kept by `SqlKeyStore`: duplicate contacts found by
//! email, phone and HKID while the CRM's columns hold only ciphertext.

use std::sync::Arc;

use pdpo_core::{ChangeSet, DataStore, Identifier, Key, Record, RecordRef, Schema, SystemClock};
use pdpo_crypto::{EncryptingStore, IndexKind, KeyFileKek, KeyRing};
use pdpo_requests::{Evidence, MatchedOn, Resolver};
use pdpo_store::{Pool, SqlKeyStore, SqlStore, sqlx};

use crate::common::{PgSchemas, SqliteHarness, pg_admin};

const SCHEMA: &str = r#"
subject = "contacts"
[entities.contacts]
key = "id"
fields.name = { category = "name" }
fields.email = { category = "email", encrypt = true }
fields.phone = { category = "phone", encrypt = true }
fields.hkid = { category = "hkid", encrypt = true }
"#;

const CONTACTS: [(i64, &str, &str, &str); 6] = [
    (1, "TM.Chan@Example.hk", "+852 9123 4567", ""),
    (2, "tm.chan@example.hk", "", ""),
    (3, "", "9123-4567", ""),
    (4, "", "", "A123456(3)"),
    (5, "", "", "a123456 (3)"),
    (6, "wong@example.hk", "6123 4567", "B765432(1)"),
];

async fn duplicates_by_index(pool: Pool, blob: &str) {
    let ddl = format!(
        "CREATE TABLE contacts (id BIGINT PRIMARY KEY, name TEXT, email {blob}, phone {blob}, hkid {blob})"
    );
    match &pool {
        Pool::Sqlite(p) => sqlx::raw_sql(sqlx::AssertSqlSafe(ddl)).execute(p).await.map(drop),
        Pool::Postgres(p) => sqlx::raw_sql(sqlx::AssertSqlSafe(ddl)).execute(p).await.map(drop),
        _ => unreachable!(),
    }
    .unwrap();
    let keys = SqlKeyStore::open(pool.clone()).await.unwrap();
    let ring = Arc::new(KeyRing::new(keys, KeyFileKek::generate().unwrap(), Arc::new(SystemClock)));
    let raw = SqlStore::open(pool, Schema::from_toml_str(SCHEMA, None).unwrap()).await.unwrap();
    let store = EncryptingStore::new(raw.clone(), Arc::clone(&ring)).unwrap();
    let contacts = Identifier::new("contacts").unwrap();
    let mut cs = ChangeSet::new();
    for (k, email, phone, hkid) in CONTACTS {
        let mut r = Record::new(contacts.clone(), Key::from(k)).with("name", format!("Person {k}"));
        for (field, kind, v) in [
            ("email", IndexKind::Email, email),
            ("phone", IndexKind::HkPhone, phone),
            ("hkid", IndexKind::Hkid, hkid),
        ] {
            if !v.is_empty() {
                r = r.with(field, v);
                let at = RecordRef::new(contacts.clone(), Key::from(k));
                ring.index_value(None, &Key::from(k), at, Identifier::new(field).unwrap(), &kind, v)
                    .await
                    .unwrap();
            }
        }
        cs.insert(r);
    }
    store.apply(cs).await.unwrap();

    let evidence = Evidence {
        email: Some("tm.chan@EXAMPLE.hk".into()),
        phone: Some("91234567".into()),
        hkid: Some("A123456(3)".into()),
        ..Evidence::default()
    };
    // Through the raw store the columns are ciphertext: every match below comes from the index.
    let found = Resolver::new().resolve_indexed(&raw, &*ring, None, &evidence).await.unwrap();
    let shown: Vec<(String, Vec<MatchedOn>)> =
        found.into_iter().map(|m| (m.key.to_string(), m.matched_on)).collect();
    assert_eq!(
        shown,
        vec![
            ("1".into(), vec![MatchedOn::Email, MatchedOn::Phone]),
            ("2".into(), vec![MatchedOn::Email]),
            ("3".into(), vec![MatchedOn::Phone]),
            ("4".into(), vec![MatchedOn::Hkid]),
            ("5".into(), vec![MatchedOn::Hkid]),
        ]
    );
    assert!(
        Resolver::new().resolve(&raw, &evidence).await.unwrap().is_empty(),
        "the scan matched ciphertext"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn sqlite_resolution_uses_the_blind_index() {
    let h = SqliteHarness::new();
    duplicates_by_index(h.pool().await.into(), "BLOB").await;
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_resolution_uses_the_blind_index() {
    let Some(admin) = pg_admin().await else { return };
    let schemas = PgSchemas::new(admin);
    duplicates_by_index(schemas.harness().pool().await.into(), "BYTEA").await;
    schemas.drop_all().await;
}
