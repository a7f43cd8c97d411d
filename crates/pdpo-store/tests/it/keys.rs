//! `SqlKeyStore` against `MemoryKeyStore`: the same operation sequences give the same results on
//! SQLite and PostgreSQL; nonce reservations never overlap under concurrency.

use chrono::{DateTime, TimeZone, Utc};
use pdpo_core::{Identifier, Key, RecordRef, StoreError};
use pdpo_crypto::{
    BlindIndex, BlindIndexRow, KeyId, KeyLookup, KeyOwner, KeyStore, MemoryKeyStore, WrappedKey,
};
use pdpo_store::{SqlKeyStore, sqlx};

use crate::common::{PgSchemas, SqliteHarness, pg_admin};

fn at(sec: u32) -> DateTime<Utc> {
    // Microsecond precision: what PostgreSQL keeps.
    Utc.with_ymd_and_hms(2025, 3, 10, 2, 0, sec).unwrap() + chrono::Duration::microseconds(123_456)
}

fn id(n: u8) -> KeyId {
    KeyId::from_bytes([n; 16])
}

fn key(n: u8, tenant: Option<&str>, owner: KeyOwner, generation: u32, kek: u32) -> WrappedKey {
    WrappedKey::new(
        id(n),
        tenant.map(str::to_owned),
        owner,
        generation,
        kek,
        vec![n, 0xAB, n],
        at(u32::from(n)),
    )
}

fn subject(n: i64) -> KeyOwner {
    KeyOwner::Subject(Key::from(n))
}

fn index_row(
    tenant: Option<&str>,
    entity: &str,
    record: i64,
    field: &str,
    digest: u8,
    subj: i64,
) -> BlindIndexRow {
    BlindIndexRow {
        tenant: tenant.map(str::to_owned),
        record: RecordRef::new(Identifier::new(entity).unwrap(), Key::from(record)),
        field: Identifier::new(field).unwrap(),
        kind: "email".to_owned(),
        digest: BlindIndex::from_bytes([digest; 16]),
        subject: Key::from(subj),
    }
}

fn show_key(k: &WrappedKey) -> String {
    format!(
        "{} t={:?} {}:{:?} g{} kek{} {:02x?} {}",
        k.id,
        k.tenant,
        k.owner.kind(),
        k.owner.subject(),
        k.generation,
        k.kek_version,
        k.wrapped,
        k.created_at.to_rfc3339()
    )
}

fn show<T>(r: Result<T, StoreError>, f: impl FnOnce(T) -> String) -> String {
    match r {
        Ok(v) => f(v),
        Err(e) => format!("error {:?}", e.kind()),
    }
}

fn show_lookup(l: KeyLookup) -> String {
    match l {
        KeyLookup::Found(k) => format!("found {}", show_key(&k)),
        KeyLookup::Destroyed => "destroyed".into(),
        _ => "unknown".into(),
    }
}

fn show_index(mut rows: Vec<BlindIndexRow>) -> String {
    rows.sort_by(|a, b| (&a.record, &a.field).cmp(&(&b.record, &b.field)));
    rows.iter()
        .map(|r| format!("{:?} {} {} {:?} s{}", r.tenant, r.record, r.field, r.digest, r.subject))
        .collect::<Vec<_>>()
        .join("; ")
}

/// One sequence covering every method, conflicts, generations, tenants, rewrap and shred; the
/// transcript of results is what the two stores must agree on.
async fn transcript<S: KeyStore>(s: &S) -> Vec<String> {
    let mut out = Vec::new();
    let mut log = |step: &str, line: String| out.push(format!("{step}: {line}"));
    let unit = |()| "ok".to_owned();

    // Conflicts: same id, same (tenant, owner, generation); other tenants and generations are free.
    log("insert k1", show(s.insert(&key(1, None, subject(1), 0, 1)).await, unit));
    log("insert k1 again", show(s.insert(&key(1, None, subject(2), 0, 1)).await, unit));
    log("insert same generation", show(s.insert(&key(2, None, subject(1), 0, 1)).await, unit));
    log("insert generation 1", show(s.insert(&key(3, None, subject(1), 1, 1)).await, unit));
    log("insert other tenant", show(s.insert(&key(4, Some("acme"), subject(1), 0, 1)).await, unit));
    log("insert workspace", show(s.insert(&key(5, None, KeyOwner::Workspace, 0, 2)).await, unit));
    log("insert blind index", show(s.insert(&key(6, None, KeyOwner::BlindIndex, 0, 1)).await, unit));
    log("insert token", show(s.insert(&key(7, Some("acme"), KeyOwner::Token, 0, 1)).await, unit));
    log("insert subject 2", show(s.insert(&key(8, None, subject(2), 0, 1)).await, unit));
    log(
        "insert text subject",
        show(s.insert(&key(9, None, KeyOwner::Subject(Key::from("c-9")), 0, 1)).await, unit),
    );

    // The highest generation is active, per tenant and owner.
    for (name, tenant, owner) in [
        ("subject 1", None, subject(1)),
        ("acme subject 1", Some("acme"), subject(1)),
        ("workspace", None, KeyOwner::Workspace),
        ("acme workspace", Some("acme"), KeyOwner::Workspace),
        ("acme token", Some("acme"), KeyOwner::Token),
        ("token", None, KeyOwner::Token),
        ("text subject", None, KeyOwner::Subject(Key::from("c-9"))),
        ("subject 3", None, subject(3)),
    ] {
        log(
            &format!("active {name}"),
            show(s.active(tenant, &owner).await, |k| format!("{:?}", k.map(|k| show_key(&k)))),
        );
    }
    log("get k3", show(s.get(id(3)).await, show_lookup));
    log("get unknown", show(s.get(id(99)).await, show_lookup));

    // Nonce counters.
    log("reserve k1 100", show(s.reserve_nonces(id(1), 100).await, |v| v.to_string()));
    log("reserve k1 100 again", show(s.reserve_nonces(id(1), 100).await, |v| v.to_string()));
    log("reserve k1 0", show(s.reserve_nonces(id(1), 0).await, |v| v.to_string()));
    log("reserve k3 1", show(s.reserve_nonces(id(3), 1).await, |v| v.to_string()));
    log("reserve unknown", show(s.reserve_nonces(id(99), 1).await, |v| v.to_string()));

    // Paging by KEK version, in id order.
    let ids =
        |v: Vec<WrappedKey>| v.iter().map(|k| k.id.to_string()[..2].to_owned()).collect::<Vec<_>>().join(",");
    log("under 1 first page", show(s.wrapped_under(1, None, 3).await, ids));
    log("under 1 after k4", show(s.wrapped_under(1, Some(id(4)), 3).await, ids));
    log("under 1 after k9", show(s.wrapped_under(1, Some(id(9)), 3).await, ids));
    log("under 2", show(s.wrapped_under(2, None, 10).await, ids));
    log("under 1 limit 0", show(s.wrapped_under(1, None, 0).await, ids));

    // Rewrap is a compare-and-set on the KEK version.
    log("rewrap k1 1->3", show(s.rewrap(id(1), 1, 3, vec![0xEE; 5]).await, |b| b.to_string()));
    log("rewrap k1 1->3 again", show(s.rewrap(id(1), 1, 3, vec![0xDD; 5]).await, |b| b.to_string()));
    log("rewrap unknown", show(s.rewrap(id(99), 1, 3, vec![1]).await, |b| b.to_string()));
    log("get k1", show(s.get(id(1)).await, show_lookup));
    log("under 3", show(s.wrapped_under(3, None, 10).await, ids));

    // Blind-index rows: a row replaces the previous one of the same (tenant, record, field).
    let rows = vec![
        index_row(None, "contacts", 1, "email", 0x11, 1),
        index_row(None, "contacts", 1, "alt_email", 0x11, 1),
        index_row(None, "contacts", 2, "email", 0x11, 2),
        index_row(None, "orders", 7, "email", 0x22, 1),
        index_row(Some("acme"), "contacts", 1, "email", 0x11, 1),
    ];
    log("put index", show(s.put_index(rows).await, unit));
    log(
        "put index replace",
        show(s.put_index(vec![index_row(None, "contacts", 2, "email", 0x33, 2)]).await, unit),
    );
    log("put index none", show(s.put_index(Vec::new()).await, unit));
    let digest = |n: u8| BlindIndex::from_bytes([n; 16]);
    log("find 11", show(s.find_index(None, "email", &digest(0x11)).await, show_index));
    log("find 33", show(s.find_index(None, "email", &digest(0x33)).await, show_index));
    log("find 11 as phone", show(s.find_index(None, "hk_phone", &digest(0x11)).await, show_index));
    log("find acme 11", show(s.find_index(Some("acme"), "email", &digest(0x11)).await, show_index));
    for (t, kind) in [(None, "email"), (None, "hk_phone"), (Some("acme"), "email"), (Some("beta"), "email")] {
        log(&format!("has {t:?} {kind}"), show(s.has_index(t, kind).await, |b| b.to_string()));
    }

    // Shred: every generation of the subject's keys in that tenant, and their index rows.
    log("shred 1", show(s.shred(None, &Key::from(1)).await, |c| format!("{c:?}")));
    log("shred 1 again", show(s.shred(None, &Key::from(1)).await, |c| format!("{c:?}")));
    log("shred nobody", show(s.shred(None, &Key::from(404)).await, |c| format!("{c:?}")));
    log("get k1 after", show(s.get(id(1)).await, show_lookup));
    log("get k3 after", show(s.get(id(3)).await, show_lookup));
    log("get acme k4 after", show(s.get(id(4)).await, show_lookup));
    log(
        "active subject 1 after",
        show(s.active(None, &subject(1)).await, |k| format!("{:?}", k.map(|k| show_key(&k)))),
    );
    log("reserve k1 after", show(s.reserve_nonces(id(1), 1).await, |v| v.to_string()));
    log("rewrap k3 after", show(s.rewrap(id(3), 1, 3, vec![1]).await, |b| b.to_string()));
    log("reinsert k1", show(s.insert(&key(1, None, subject(1), 5, 1)).await, unit));
    log("new key for subject 1", show(s.insert(&key(10, None, subject(1), 0, 1)).await, unit));
    log("find 11 after", show(s.find_index(None, "email", &digest(0x11)).await, show_index));
    log("find 22 after", show(s.find_index(None, "email", &digest(0x22)).await, show_index));
    log("find acme 11 after", show(s.find_index(Some("acme"), "email", &digest(0x11)).await, show_index));
    log("has email after", show(s.has_index(None, "email").await, |b| b.to_string()));
    log("shred acme 1", show(s.shred(Some("acme"), &Key::from(1)).await, |c| format!("{c:?}")));
    log("shred text subject", show(s.shred(None, &Key::from("c-9")).await, |c| format!("{c:?}")));
    log("get k9 after", show(s.get(id(9)).await, show_lookup));
    log("get k8 untouched", show(s.get(id(8)).await, show_lookup));
    out
}

async fn agrees_with_memory(sql: SqlKeyStore) {
    let expected = transcript(&MemoryKeyStore::new()).await;
    let got = transcript(&sql).await;
    for (e, g) in expected.iter().zip(&got) {
        assert_eq!(g, e);
    }
    assert_eq!(got.len(), expected.len());
    // The transcript is not trivial: it holds conflicts, tombstones and both kinds of miss.
    let all = expected.join("\n");
    for needle in [
        "error Conflict",
        "error NotFound",
        "destroyed",
        "unknown",
        "keys: 2, index_rows: 3",
        "true",
        "false",
    ] {
        assert!(all.contains(needle), "{needle} missing from\n{all}");
    }
}

/// Concurrent reservers (tasks on two pools, as two processes would be) get disjoint ranges that
/// together cover the counter exactly.
async fn reservations_never_overlap(a: SqlKeyStore, b: SqlKeyStore) {
    a.insert(&key(1, None, KeyOwner::Workspace, 0, 1)).await.unwrap();
    const TASKS: u64 = 8;
    const EACH: u64 = 25;
    const BLOCK: u64 = 7;
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let s = if t % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..EACH {
                got.push(s.reserve_nonces(id(1), BLOCK).await.unwrap());
            }
            got
        }));
    }
    let mut starts = Vec::new();
    for t in tasks {
        starts.extend(t.await.unwrap());
    }
    starts.sort_unstable();
    let want: Vec<u64> = (0..TASKS * EACH).map(|i| i * BLOCK).collect();
    assert_eq!(starts, want, "ranges overlap or leave gaps");
    assert_eq!(a.reserve_nonces(id(1), 1).await.unwrap(), TASKS * EACH * BLOCK);
}

#[tokio::test(flavor = "current_thread")]
async fn sqlite_key_store_agrees_with_memory() {
    let h = SqliteHarness::new();
    let store = SqlKeyStore::open(h.pool().await).await.unwrap();
    assert_eq!(format!("{store:?}"), "SqlKeyStore { dialect: Sqlite, .. }");
    agrees_with_memory(store).await;
}

#[tokio::test(flavor = "current_thread")]
async fn sqlite_nonce_reservations_never_overlap() {
    let h = SqliteHarness::new();
    let a = SqlKeyStore::open(h.pool().await).await.unwrap();
    let b = SqlKeyStore::open(h.pool().await).await.unwrap();
    reservations_never_overlap(a, b).await;
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_key_store_agrees_with_memory() {
    let Some(admin) = pg_admin().await else { return };
    let schemas = PgSchemas::new(admin);
    let store = SqlKeyStore::open(schemas.harness().pool().await).await.unwrap();
    agrees_with_memory(store).await;
    schemas.drop_all().await;
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_nonce_reservations_never_overlap() {
    let Some(admin) = pg_admin().await else { return };
    let schemas = PgSchemas::new(admin);
    let h = schemas.harness();
    let a = SqlKeyStore::open(h.pool().await).await.unwrap();
    let b = SqlKeyStore::open(h.pool().await).await.unwrap();
    reservations_never_overlap(a, b).await;
    schemas.drop_all().await;
}

#[tokio::test(flavor = "current_thread")]
async fn saturated_counter_and_bad_rows() {
    let h = SqliteHarness::new();
    let pool = h.pool().await;
    let s = SqlKeyStore::open(pool.clone()).await.unwrap();
    s.insert(&key(1, None, KeyOwner::Workspace, 0, 1)).await.unwrap();
    // Near the top, a reservation saturates instead of overflowing; the next starts at the top.
    sqlx::query("UPDATE pdpo_data_keys SET nonce_next = ?").bind(i64::MAX - 5).execute(&pool).await.unwrap();
    assert_eq!(s.reserve_nonces(id(1), 10).await.unwrap(), (i64::MAX - 5) as u64);
    assert_eq!(s.reserve_nonces(id(1), 10).await.unwrap(), i64::MAX as u64);
    assert_eq!(s.reserve_nonces(id(1), u64::MAX).await.unwrap(), i64::MAX as u64);
    // An empty tenant is refused rather than confused with "no tenant".
    let err = s.active(Some(""), &KeyOwner::Workspace).await.unwrap_err();
    assert_eq!(err.kind(), pdpo_core::StoreErrorKind::Invalid);
    // A malformed row is reported by table and column, without its value.
    sqlx::query("UPDATE pdpo_data_keys SET owner_kind = 'secret-ish'").execute(&pool).await.unwrap();
    let err = s.get(id(1)).await.unwrap_err().to_string();
    assert!(
        err.contains("pdpo_data_keys") && err.contains("owner_kind") && !err.contains("secret-ish"),
        "{err}"
    );
}

mod random_sequences {
    //! Random operation sequences give the same results on `MemoryKeyStore` and SQLite.

    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Op {
        Insert { id: u8, acme: bool, owner: u8, generation: u32, kek: u32 },
        Active { acme: bool, owner: u8 },
        Get { id: u8 },
        Reserve { id: u8, n: u64 },
        Under { kek: u32, after: Option<u8>, limit: usize },
        Rewrap { id: u8, from: u32, to: u32 },
        Shred { acme: bool, subject: i64 },
        Index { acme: bool, record: i64, alt_field: bool, digest: u8, subject: i64 },
        Find { acme: bool, digest: u8 },
        Has { acme: bool },
    }

    fn owner(n: u8) -> KeyOwner {
        match n {
            0..=2 => subject(i64::from(n)),
            3 => KeyOwner::Workspace,
            _ => KeyOwner::BlindIndex,
        }
    }

    fn tenant(acme: bool) -> Option<&'static str> {
        acme.then_some("acme")
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0u8..8, any::<bool>(), 0u8..5, 0u32..3, 1u32..4)
                .prop_map(|(id, acme, owner, generation, kek)| Op::Insert { id, acme, owner, generation, kek }),
            1 => (any::<bool>(), 0u8..5).prop_map(|(acme, owner)| Op::Active { acme, owner }),
            1 => (0u8..9).prop_map(|id| Op::Get { id }),
            1 => (0u8..9, 0u64..2000).prop_map(|(id, n)| Op::Reserve { id, n }),
            1 => (1u32..4, proptest::option::of(0u8..9), 0usize..4)
                .prop_map(|(kek, after, limit)| Op::Under { kek, after, limit }),
            1 => (0u8..9, 1u32..4, 1u32..4).prop_map(|(id, from, to)| Op::Rewrap { id, from, to }),
            1 => (any::<bool>(), 0i64..3).prop_map(|(acme, subject)| Op::Shred { acme, subject }),
            2 => (any::<bool>(), 0i64..4, any::<bool>(), 0u8..3, 0i64..3).prop_map(
                |(acme, record, alt_field, digest, subject)| Op::Index { acme, record, alt_field, digest, subject }
            ),
            1 => (any::<bool>(), 0u8..3).prop_map(|(acme, digest)| Op::Find { acme, digest }),
            1 => any::<bool>().prop_map(|acme| Op::Has { acme }),
        ]
    }

    async fn run<S: KeyStore>(s: &S, ops: &[Op]) -> Vec<String> {
        let mut out = Vec::new();
        for op in ops {
            out.push(match op.clone() {
                Op::Insert { id: n, acme, owner: o, generation, kek } => {
                    let mut k = key(n, tenant(acme), owner(o), generation, kek);
                    k.created_at = at(0);
                    show(s.insert(&k).await, |()| "ok".into())
                }
                Op::Active { acme, owner: o } => show(s.active(tenant(acme), &owner(o)).await, |k| {
                    format!("{:?}", k.map(|k| show_key(&k)))
                }),
                Op::Get { id: n } => show(s.get(id(n)).await, show_lookup),
                Op::Reserve { id: n, n: count } => {
                    show(s.reserve_nonces(id(n), count).await, |v| v.to_string())
                }
                Op::Under { kek, after, limit } => {
                    show(s.wrapped_under(kek, after.map(id), limit).await, |v| {
                        v.iter().map(show_key).collect::<Vec<_>>().join("; ")
                    })
                }
                Op::Rewrap { id: n, from, to } => {
                    show(s.rewrap(id(n), from, to, vec![n, to as u8]).await, |b| b.to_string())
                }
                Op::Shred { acme, subject } => {
                    show(s.shred(tenant(acme), &Key::from(subject)).await, |c| format!("{c:?}"))
                }
                Op::Index { acme, record, alt_field, digest, subject } => {
                    let field = if alt_field { "alt_email" } else { "email" };
                    let row = index_row(tenant(acme), "contacts", record, field, digest, subject);
                    show(s.put_index(vec![row]).await, |()| "ok".into())
                }
                Op::Find { acme, digest } => show(
                    s.find_index(tenant(acme), "email", &BlindIndex::from_bytes([digest; 16])).await,
                    show_index,
                ),
                Op::Has { acme } => show(s.has_index(tenant(acme), "email").await, |b| b.to_string()),
            });
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn sqlite_and_memory_agree(ops in proptest::collection::vec(op(), 1..60)) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let (expected, got) = rt.block_on(async {
                let h = SqliteHarness::new();
                let sql = SqlKeyStore::open(h.pool().await).await.unwrap();
                (run(&MemoryKeyStore::new(), &ops).await, run(&sql, &ops).await)
            });
            for (i, (e, g)) in expected.iter().zip(&got).enumerate() {
                prop_assert_eq!(g, e, "step {} {:?}", i, ops[i]);
            }
        }
    }
}
