//! Opening: schema checks against the live database, migrations, mixed-case CRM tables.

use std::collections::BTreeMap;

use pdpo_core::{
    ChangeSet, DataStore, Identifier, Key, KeyValue, Lookup, Record, RecordRef, Schema, SubjectGraph, Value,
};
use pdpo_store::{Error, MIGRATIONS, SqlStore, migrate, sqlx};

use crate::common::SqliteHarness;

const CRM_DDL: &str = r#"
CREATE TABLE "Contacts" (
  "id" INTEGER PRIMARY KEY,
  "fullName" TEXT NOT NULL,
  "customFields" JSON
);
CREATE TABLE "contactNotes" (
  "id" INTEGER PRIMARY KEY,
  "contactId" INTEGER NOT NULL REFERENCES "Contacts" ("id") ON DELETE CASCADE,
  "body" TEXT
);
CREATE TABLE "Deals" (
  "dealId" TEXT PRIMARY KEY,
  "contactIds" JSON,
  "title" TEXT
);
"#;

const CRM_TOML: &str = r#"
subject = "contacts"
[purposes]
service = "Serving the customer"
[entities.contacts]
table = "Contacts"
key = "id"
fields.fullName = { category = "name", purposes = ["service"] }
fields.customFields = { type = "json", json = { "$.phones[*]" = "phone" } }
[entities.notes]
table = "contactNotes"
key = "id"
links = [{ to = "contacts", foreign_key = "contactId" }]
fields.body = { category = "free_text" }
[entities.deals]
table = "Deals"
key = "dealId"
links = [{ to = "contacts", array = "contactIds" }]
"#;

async fn crm(h: &SqliteHarness) -> sqlx::SqlitePool {
    let pool = h.pool().await;
    sqlx::raw_sql(CRM_DDL).execute(&pool).await.unwrap();
    pool
}

fn id(s: &str) -> Identifier {
    Identifier::new(s).unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn mixed_case_crm_round_trips() {
    let h = SqliteHarness::new();
    let store = SqlStore::open(crm(&h).await, Schema::from_toml_str(CRM_TOML, None).unwrap()).await.unwrap();
    let mut cs = ChangeSet::new();
    cs.insert(
        Record::new(id("contacts"), Key::from(1))
            .with("fullName", "CHAN Tai Man")
            .with("customFields", serde_json::json!({ "phones": ["9123 4567"], "vip": true })),
    );
    cs.insert(Record::new(id("contacts"), Key::from(2)).with("fullName", "LEE Siu Ming"));
    cs.insert(Record::new(id("notes"), Key::from(10)).with("contactId", 1).with("body", "call back"));
    cs.insert(Record::new(id("deals"), Key::from("D-1")).with("contactIds", serde_json::json!([1, 2])));
    cs.insert(Record::new(id("deals"), Key::from("D-2")).with("contactIds", serde_json::json!([2])));
    store.apply(cs).await.unwrap();

    let g = SubjectGraph::collect(&store, &Key::from(1)).await.unwrap();
    let refs: Vec<String> = g.records.iter().map(|r| r.record.reference().to_string()).collect();
    assert_eq!(refs, ["contacts[1]", "notes[10]", "deals[D-1]"]);
    let contact = &g.records[0].record;
    assert_eq!(
        contact.get("customFields").and_then(Value::as_json),
        Some(&serde_json::json!({ "phones": ["9123 4567"], "vip": true }))
    );

    let l = Lookup::ArrayContains { column: "contactIds".into(), values: vec![KeyValue::Int(2)] };
    let deals = store.find("deals", &l).await.unwrap();
    assert_eq!(deals.len(), 2);

    // The database's own ON DELETE CASCADE would remove the note: refused before it runs.
    let mut cs = ChangeSet::new();
    cs.delete(RecordRef::new(id("contacts"), Key::from(1)));
    let err = store.apply(cs).await.unwrap_err();
    assert_eq!(err.kind(), pdpo_core::StoreErrorKind::WouldCascade, "{err}");
    assert_eq!(store.fetch("notes", &[Key::from(10)]).await.unwrap().len(), 1);

    let mut set = BTreeMap::new();
    set.insert("customFields".to_owned(), Value::Json(serde_json::json!({ "phones": [] })));
    let mut cs = ChangeSet::new();
    cs.update(RecordRef::new(id("contacts"), Key::from(1)), set);
    store.apply(cs).await.unwrap();
    let got = store.fetch("contacts", &[Key::from(1)]).await.unwrap();
    assert_eq!(
        got[0].get("customFields").and_then(Value::as_json),
        Some(&serde_json::json!({ "phones": [] }))
    );
}

#[tokio::test(flavor = "current_thread")]
async fn missing_table_and_column_are_refused_by_name() {
    let h = SqliteHarness::new();
    let pool = crm(&h).await;
    let toml = CRM_TOML.replace("table = \"Deals\"", "table = \"Opportunities\"");
    let err = SqlStore::open(pool.clone(), Schema::from_toml_str(&toml, None).unwrap()).await.unwrap_err();
    match &err {
        Error::MissingTable { entity, table } => {
            assert_eq!((entity.as_str(), table.as_str()), ("deals", "Opportunities"))
        }
        other => panic!("expected MissingTable, got {other}"),
    }
    assert_eq!(err.to_string(), "entity `deals`: table `Opportunities` does not exist in the database");

    let toml = CRM_TOML.replace("fields.body = ", "fields.summary = ");
    let err = SqlStore::open(pool.clone(), Schema::from_toml_str(&toml, None).unwrap()).await.unwrap_err();
    match &err {
        Error::MissingColumn { entity, table, column } => {
            assert_eq!(
                (entity.as_str(), table.as_str(), column.as_str()),
                ("notes", "contactNotes", "summary")
            );
        }
        other => panic!("expected MissingColumn, got {other}"),
    }

    let toml = CRM_TOML.replace("foreign_key = \"contactId\"", "foreign_key = \"contact-id\"");
    let err = SqlStore::open(pool, Schema::from_toml_str(&toml, None).unwrap()).await.unwrap_err();
    assert!(matches!(&err, Error::Identifier { name } if name == "contact-id"), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn sqlite_without_foreign_keys_is_refused() {
    let h = SqliteHarness::new();
    crm(&h).await;
    let opts = pdpo_store::sqlite_options(&h.url).unwrap().foreign_keys(false);
    let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
    let err = SqlStore::open(pool, Schema::from_toml_str(CRM_TOML, None).unwrap()).await.unwrap_err();
    assert!(matches!(err, Error::ForeignKeysOff), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn migrations_are_recorded_apart_and_idempotent() {
    let h = SqliteHarness::new();
    let pool = crm(&h).await;
    // A CRM's own sqlx history is left alone.
    sqlx::raw_sql("CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY); INSERT INTO _sqlx_migrations VALUES (20240101);")
        .execute(&pool)
        .await
        .unwrap();
    let p: pdpo_store::Pool = pool.clone().into();
    let all: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
    assert_eq!(migrate(&p).await.unwrap(), all);
    assert_eq!(migrate(&p).await.unwrap(), Vec::<i64>::new());
    SqlStore::open(pool.clone(), Schema::from_toml_str(CRM_TOML, None).unwrap()).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _pdpo_migrations").fetch_one(&pool).await.unwrap();
    assert_eq!(n, all.len() as i64);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(&pool).await.unwrap();
    assert_eq!(n, 1);

    // A recorded migration whose SQL changed is refused.
    sqlx::query("UPDATE _pdpo_migrations SET checksum = 'edited'").execute(&pool).await.unwrap();
    let err = migrate(&p).await.unwrap_err();
    assert!(matches!(err, Error::MigrationChanged { version: 1, .. }), "{err}");
}

#[tokio::test(flavor = "current_thread")]
async fn database_cascades_outside_the_schema_are_refused() {
    // The schema omits the notes table; the database would still cascade into it.
    let h = SqliteHarness::new();
    let pool = crm(&h).await;
    let toml = r#"
subject = "contacts"
[entities.contacts]
table = "Contacts"
key = "id"
fields.fullName = { category = "name" }
[entities.notes]
table = "contactNotes"
key = "id"
"#;
    let store = SqlStore::open(pool, Schema::from_toml_str(toml, None).unwrap()).await.unwrap();
    let mut cs = ChangeSet::new();
    cs.insert(Record::new(id("contacts"), Key::from(1)).with("fullName", "CHAN Tai Man"));
    cs.insert(Record::new(id("notes"), Key::from(10)).with("contactId", 1));
    store.apply(cs).await.unwrap();
    let mut cs = ChangeSet::new();
    cs.delete(RecordRef::new(id("contacts"), Key::from(1)));
    let err = store.apply(cs).await.unwrap_err();
    assert_eq!(err.kind(), pdpo_core::StoreErrorKind::WouldCascade, "{err}");
    assert_eq!(store.fetch("notes", &[Key::from(10)]).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn drafted_schema_loads_and_links_toward_the_subject() {
    let h = SqliteHarness::new();
    let pool = crm(&h).await;
    sqlx::raw_sql(
        r#"CREATE TABLE "Companies" ("id" INTEGER PRIMARY KEY, "name" TEXT, "officePhone" TEXT);
           ALTER TABLE "Contacts" ADD COLUMN "companyId" INTEGER REFERENCES "Companies" ("id");
           ALTER TABLE "Contacts" ADD COLUMN "email" VARCHAR(200) NOT NULL DEFAULT '';
           ALTER TABLE "Contacts" ADD COLUMN "createdAt" TIMESTAMP;
           CREATE TABLE "Products" ("sku" TEXT PRIMARY KEY, "description" TEXT);"#,
    )
    .execute(&pool)
    .await
    .unwrap();
    let p: pdpo_store::Pool = pool.clone().into();
    let toml = pdpo_store::draft_schema(&p, "Contacts").await.unwrap();
    for line in [
        "subject = \"Contacts\"",
        "links = [{ to = \"Contacts\", foreign_key = \"contactId\" }]",
        "links = [{ to = \"Contacts\", referenced_by = \"companyId\" }]",
        "fields.email = { category = \"email\", type = \"text\", nullable = false }",
        "fields.customFields = { type = \"json\" }",
        "lifecycle = { created = \"createdAt\" }",
        "fields.description = { type = \"text\" }  # suggested category: free_text",
    ] {
        assert!(toml.contains(line), "missing {line:?} in\n{toml}");
    }
    assert!(!toml.contains("_pdpo_"), "{toml}");
    let schema = Schema::from_toml_str(&toml, None).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    assert_eq!(schema.entity("contactNotes").unwrap().key.len(), 1);
    SqlStore::open(pool, schema).await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_draft_reads_keys_and_foreign_keys() {
    use pdpo_core::conformance::{Harness, fixture_schema};
    let Some(admin) = crate::common::pg_admin().await else { return };
    let schemas = crate::common::PgSchemas::new(admin);
    let h = schemas.harness();
    let store = h.open(&fixture_schema(false), None).await;
    let toml = pdpo_store::draft_schema(store.pool(), "people").await.unwrap();
    schemas.drop_all().await;
    for line in [
        "[entities.order_lines]\nkey = [\"order_id\", \"line_no\"]\nlinks = [{ to = \"orders\", foreign_key = \"order_id\" }]",
        "links = [{ to = \"people\", referenced_by = \"org_id\" }]",
        "fields.email = { category = \"email\", type = \"text\" }",
        "fields.person_ids = { type = \"array\" }",
        "fields.total = { type = \"decimal\" }",
    ] {
        assert!(toml.contains(line), "missing {line:?} in\n{toml}");
    }
    Schema::from_toml_str(&toml, None).unwrap_or_else(|e| panic!("{e}\n{toml}"));
}
