//! The single-row update of the audit-overhead figures: one table of 1,000 contacts, and the
//! same update applied with no audit event, with its event in the store's event table, and with
//! its event chained into the audit log (`store_audit` criterion bench, `update_overhead` bin).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;
use pdpo_core::{
    Actor, AuditAction, AuditEvent, ChangeSet, DataStore, FixedClock, Identifier, Key, Record, RecordRef,
    Schema, Value,
};
use pdpo_store::{Pool, SqlAuditStore, SqlStore, sqlx};

/// The audit log's origin in these benches.
pub const ORIGIN: Identifier = Identifier::from_static("bench-crm");

const DDL: &str = "CREATE TABLE contacts (id BIGINT PRIMARY KEY, email TEXT)";
const SCHEMA: &str =
    "subject = \"contacts\"\n[entities.contacts]\nkey = \"id\"\nfields.email = { category = \"email\" }\n";
const CONTACTS: i64 = 1_000;

/// How a variant records the update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The update alone.
    NoEvents,
    /// The update and its event, in the store's event table (no audit log attached).
    EventTable,
    /// The update and its event, chained into the audit log in the same transaction.
    Audited,
}

impl Variant {
    /// All three, in the order the criterion bench runs them.
    pub const ALL: [Variant; 3] = [Variant::NoEvents, Variant::EventTable, Variant::Audited];

    /// The bench name of the variant.
    pub fn name(self) -> &'static str {
        match self {
            Variant::NoEvents => "no_events",
            Variant::EventTable => "event_table",
            Variant::Audited => "audited",
        }
    }
}

/// Creates the `contacts` table on `pool`, fills it, and returns a store for each variant (in
/// [`Variant::ALL`] order), all on this one database.
pub async fn stores(
    pool: Pool,
    clock: Arc<FixedClock>,
) -> Result<[(Variant, SqlStore); 3], Box<dyn std::error::Error>> {
    match &pool {
        Pool::Sqlite(p) => sqlx::raw_sql(DDL).execute(p).await.map(drop)?,
        Pool::Postgres(p) => sqlx::raw_sql(DDL).execute(p).await.map(drop)?,
        _ => return Err("pdpo_bench::update::stores: the pool must be SQLite or PostgreSQL".into()),
    }
    let store = SqlStore::open(pool.clone(), Schema::from_toml_str(SCHEMA, None)?).await?;
    let mut load = ChangeSet::new();
    for id in 0..CONTACTS {
        load.insert(
            Record::new(Identifier::from_static("contacts"), Key::from(id)).with("email", "a@example.hk"),
        );
    }
    store.apply(load).await?;
    let log = SqlAuditStore::open(pool, ORIGIN, clock).await?;
    Ok([
        (Variant::NoEvents, store.clone()),
        (Variant::EventTable, store.clone()),
        (Variant::Audited, store.with_audit(log)),
    ])
}

/// The `n`th update: contact `n % 1000` gets a new email, with an event unless `variant` is
/// [`Variant::NoEvents`].
pub fn one_update(n: u64, variant: Variant) -> Result<ChangeSet, Box<dyn std::error::Error>> {
    let id = Key::from((n % CONTACTS as u64) as i64);
    let mut set = BTreeMap::new();
    set.insert("email".to_owned(), Value::from(format!("c{n}@example.hk")));
    let mut cs = ChangeSet::new();
    cs.update(RecordRef::new(Identifier::from_static("contacts"), id.clone()), set);
    if variant != Variant::NoEvents {
        cs.event(
            AuditEvent::new(AuditAction::Update, Actor::user("staff-17")?, Utc::now())
                .with_record(RecordRef::new(Identifier::from_static("contacts"), id))
                .with_fields(["email"])?,
        );
    }
    Ok(cs)
}
