//! Golden bytes of format version 1, frozen in `tests/data/golden_v1.txt`. A failure here means
//! the encoding or a hash changed: that is a new format version, never an edit of this file.
//! (To write the file the first time: `PDPO_BLESS=1 cargo test -p pdpo-audit golden`.)

use chrono::{TimeZone, Utc};
use pdpo_audit::{
    Body, Chain, Checkpoint, CheckpointKey, Digest, EntryRow, FORMAT_VERSION, Head, Month, Seal,
};
use pdpo_core::{
    Actor, AuditAction, AuditEvent, Identifier, Key, KeyValue, Purpose, RecordRef, SealedDetail,
};
use uuid::Uuid;

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/golden_v1.txt");

/// An event with every field set, including a composite key of all three part kinds.
fn event() -> AuditEvent {
    let id = |s: &'static str| Identifier::from_static(s);
    AuditEvent::new(
        AuditAction::Disclose,
        Actor::user("staff-17").unwrap(),
        Utc.with_ymd_and_hms(2026, 1, 15, 2, 3, 4).unwrap() + chrono::Duration::nanoseconds(123_456_789),
    )
    .with_id(Uuid::from_u128(0x0194_6a1b_2c3d_7e4f_8a5b_6c7d_8e9f_a0b1))
    .with_tenant(id("tenant-a"))
    .with_subject(Key::from(42))
    .with_record(RecordRef::new(
        id("deals"),
        Key::composite([KeyValue::Int(-7), KeyValue::Text("q1".into()), KeyValue::Uuid(Uuid::from_u128(1))]),
    ))
    .with_fields(["email", "phone"])
    .unwrap()
    .with_purpose(Purpose::new("claims").unwrap())
    .with_origin(id("api"))
    .with_recipient(id("insurer"))
    .with_request(Uuid::from_u128(0xfeed))
    .with_count(id("records"), 3)
    .with_count(id("bytes"), 1024)
    .with_sealed(SealedDetail { key_id: id("dek-1"), bytes: vec![0xca, 0xfe, 0xba, 0xbe] })
}

fn values() -> Vec<(&'static str, String)> {
    let body = Body::encode(&event()).unwrap();
    let chain = Chain::new(Identifier::from_static("acme"));
    let month = Month::new(2026, 1).unwrap();
    let recorded_at =
        Utc.with_ymd_and_hms(2026, 1, 15, 2, 3, 5).unwrap() + chrono::Duration::microseconds(17);
    let mut row = EntryRow {
        index: 7,
        recorded_at,
        prev: chain.genesis(),
        hash: Digest::ZERO,
        body: body.as_bytes().to_vec(),
    };
    row.hash = row.compute_hash(month);
    let mut seal = Seal {
        month,
        count: 8,
        last: row.hash,
        prev: chain.genesis(),
        sealed_at: Utc.with_ymd_and_hms(2026, 1, 31, 16, 0, 0).unwrap(),
        hash: Digest::ZERO,
    };
    seal.hash = seal.compute_hash();
    let head = Head {
        size: 9,
        month: Some(month.next()),
        count: 1,
        last: Digest([0x11; 32]),
        seals: 1,
        sealed: Some(month),
        seal: seal.hash,
        at: seal.sealed_at,
    };
    let key = CheckpointKey::new(Identifier::from_static("ops-2026"), &[0x5a; 32]).unwrap();
    let cp = Checkpoint::sign(&chain, &head, Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap(), &key);
    vec![
        ("version", FORMAT_VERSION.to_string()),
        ("body", hex::encode(body.as_bytes())),
        ("genesis", chain.genesis().to_hex()),
        ("entry", row.hash.to_hex()),
        ("seal", seal.hash.to_hex()),
        ("checkpoint-mac", cp.mac.to_hex()),
    ]
}

#[test]
fn golden_bytes_of_format_1() {
    let got: String = values().into_iter().map(|(k, v)| format!("{k} {v}\n")).collect();
    let header = "# pdpo-audit format v1 golden values. Never edit: a change is a new format version.\n";
    if std::env::var_os("PDPO_BLESS").is_some() {
        std::fs::write(PATH, format!("{header}{got}")).unwrap();
    }
    let want = std::fs::read_to_string(PATH).expect("tests/data/golden_v1.txt");
    let want: String = want.lines().filter(|l| !l.starts_with('#')).map(|l| format!("{l}\n")).collect();
    assert_eq!(got, want);
}

#[test]
fn golden_body_decodes_to_the_event() {
    let want = std::fs::read_to_string(PATH).unwrap();
    let hex_body = want.lines().find_map(|l| l.strip_prefix("body ")).unwrap();
    let bytes = hex::decode(hex_body).unwrap();
    assert_eq!(pdpo_audit::decode_event(&bytes).unwrap(), event());
}
