//! Requester resolution across duplicate contact records.

use pdpo_core::serde_json::json;
use pdpo_core::{ChangeSet, DataStore, Identifier, Key, MemoryStore, Record, Schema};
use pdpo_requests::{Evidence, MatchedOn, Resolver};

fn store() -> MemoryStore {
    let schema = Schema::from_toml_str(
        r#"
        subject = "contacts"
        [entities.contacts]
        key = "id"
        fields.name = { category = "name" }
        fields.email = { category = "email" }
        fields.phone = { category = "phone" }
        fields.hkid = { category = "hkid" }
        fields.dob = { category = "date_of_birth", type = "date" }
        fields.extra = { type = "json", json = { "$.emails[*]" = "email" } }
        "#,
        None,
    )
    .unwrap();
    let s = MemoryStore::new(schema);
    let c = |k: i64| Record::new(Identifier::new("contacts").unwrap(), Key::from(k));
    let mut cs = ChangeSet::new();
    cs.insert(
        c(1).with("name", "CHAN Tai Man").with("email", "TM.Chan@Example.hk").with("phone", "+852 9123 4567"),
    );
    cs.insert(
        c(2).with("name", "Chan  Tai Man")
            .with("phone", "91234567")
            .with("dob", "1980-02-29".parse::<chrono::NaiveDate>().unwrap()),
    );
    cs.insert(
        c(3).with("name", "LEE Siu Ming")
            .with("hkid", "A123456(3)")
            .with("extra", json!({ "emails": ["tm.chan@example.hk"] })),
    );
    cs.insert(
        c(4).with("name", "CHAN Tai Man").with("dob", "1990-01-01".parse::<chrono::NaiveDate>().unwrap()),
    );
    for k in 5..2_500 {
        cs.insert(c(k).with("name", "WONG Ka Yan").with("phone", format!("6{k:07}")));
    }
    pollster::block_on(s.apply(cs)).unwrap();
    s
}

#[test]
fn finds_duplicates_by_email_phone_and_json_paths_with_evidence() {
    let s = store();
    let ev = Evidence {
        email: Some(" tm.chan@example.HK".into()),
        phone: Some("(852) 9123-4567".into()),
        ..Evidence::default()
    };
    let found = pollster::block_on(Resolver::new().resolve(&s, &ev)).unwrap();
    let keys: Vec<(String, Vec<MatchedOn>)> =
        found.iter().map(|m| (m.key.to_string(), m.matched_on.clone())).collect();
    assert_eq!(
        keys,
        vec![
            ("1".to_string(), vec![MatchedOn::Email, MatchedOn::Phone]),
            ("2".to_string(), vec![MatchedOn::Phone]),
            ("3".to_string(), vec![MatchedOn::Email]),
        ]
    );
}

#[test]
fn hkid_in_any_form_and_name_only_with_date_of_birth() {
    let s = store();
    let by_hkid = pollster::block_on(
        Resolver::new().resolve(&s, &Evidence { hkid: Some("a1234563".into()), ..Evidence::default() }),
    )
    .unwrap();
    assert_eq!(by_hkid.len(), 1);
    assert_eq!(by_hkid[0].key, Key::from(3));
    // A name alone is not evidence.
    let name_only = Evidence { name: Some("chan tai man".into()), ..Evidence::default() };
    assert!(pollster::block_on(Resolver::new().resolve(&s, &name_only)).unwrap().is_empty());
    let name_dob = Evidence {
        name: Some("chan tai man".into()),
        date_of_birth: Some("1980-02-29".parse().unwrap()),
        ..Evidence::default()
    };
    let found = pollster::block_on(Resolver::new().resolve(&s, &name_dob)).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].key, Key::from(2));
    assert_eq!(found[0].matched_on, vec![MatchedOn::NameAndDateOfBirth]);
}

#[test]
fn pages_through_the_whole_subject_table() {
    let s = store();
    let resolver = Resolver { page_size: 7 };
    let found = pollster::block_on(
        resolver.resolve(&s, &Evidence { phone: Some("62499999".into()), ..Evidence::default() }),
    )
    .unwrap();
    assert!(found.is_empty());
    let found = pollster::block_on(
        resolver.resolve(&s, &Evidence { phone: Some("+852 6000 2499".into()), ..Evidence::default() }),
    )
    .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].key, Key::from(2_499));
}

mod indexed {
    //! Resolution through pdpo-crypto's blind index, with the scan as fallback.

    use std::sync::Arc;

    use pdpo_core::{
        ChangeSet, DataStore, Identifier, Key, MemoryStore, Record, RecordRef, Schema, SystemClock,
    };
    use pdpo_crypto::{EncryptingStore, IndexKind, KeyFileKek, KeyRing, MemoryKeyStore};
    use pdpo_requests::{Evidence, MatchedOn, Resolver};

    type Ring = Arc<KeyRing<MemoryKeyStore, KeyFileKek>>;

    const CONTACTS: [(i64, &str, &str, &str); 8] = [
        (1, "TM.Chan@Example.hk", "+852 9123 4567", ""),
        (2, "tm.chan@example.hk", "", ""),
        (3, "", "91234567", ""),
        (4, "", "", "A123456(3)"),
        (5, "", "", "a 123456 (3)"),
        (6, "", "", ""),
        (7, "wong@example.hk", "6123 4567", "B765432(1)"),
        (8, "", "+1 415 555 0100", ""),
    ];

    /// Contacts whose email, phone and HKID are encrypted, indexed in `ring` when `index` is set.
    fn fixture(index: bool) -> (EncryptingStore<MemoryStore, Ring>, Ring) {
        let schema = Schema::from_toml_str(
            r#"
            subject = "contacts"
            [entities.contacts]
            key = "id"
            fields.name = { category = "name" }
            fields.dob = { category = "date_of_birth", type = "date" }
            fields.email = { category = "email", encrypt = true }
            fields.phone = { category = "phone", encrypt = true }
            fields.hkid = { category = "hkid", encrypt = true }
            "#,
            None,
        )
        .unwrap();
        let ring: Ring = Arc::new(KeyRing::new(
            MemoryKeyStore::new(),
            KeyFileKek::generate().unwrap(),
            Arc::new(SystemClock),
        ));
        let store = EncryptingStore::new(MemoryStore::new(schema), Arc::clone(&ring)).unwrap();
        let contacts = Identifier::new("contacts").unwrap();
        let mut cs = ChangeSet::new();
        for (k, email, phone, hkid) in CONTACTS {
            let mut r = Record::new(contacts.clone(), Key::from(k)).with("name", format!("Person {k}"));
            for (field, v) in [("email", email), ("phone", phone), ("hkid", hkid)] {
                if !v.is_empty() {
                    r = r.with(field, v);
                }
            }
            if k == 6 {
                r = r
                    .with("name", "CHAN Tai Man")
                    .with("dob", "1980-02-29".parse::<chrono::NaiveDate>().unwrap());
            }
            cs.insert(r);
        }
        pollster::block_on(store.apply(cs)).unwrap();
        if index {
            for (k, email, phone, hkid) in CONTACTS {
                for (field, kind, v) in [
                    ("email", IndexKind::Email, email),
                    ("phone", IndexKind::HkPhone, phone),
                    ("hkid", IndexKind::Hkid, hkid),
                ] {
                    let at = RecordRef::new(contacts.clone(), Key::from(k));
                    let field = Identifier::new(field).unwrap();
                    // Values the normalisation rejects (a US phone number) are not indexed.
                    let _ = pollster::block_on(ring.index_value(None, &Key::from(k), at, field, &kind, v));
                }
            }
        }
        (store, ring)
    }

    fn everything() -> Evidence {
        Evidence {
            email: Some("TM.CHAN@example.hk ".into()),
            phone: Some("(852) 9123-4567".into()),
            hkid: Some("A1234563".into()),
            name: Some("chan tai man".into()),
            date_of_birth: Some("1980-02-29".parse().unwrap()),
        }
    }

    fn shown(found: Vec<pdpo_requests::SubjectMatch>) -> Vec<(String, Vec<MatchedOn>)> {
        found.into_iter().map(|m| (m.key.to_string(), m.matched_on)).collect()
    }

    fn expected() -> Vec<(String, Vec<MatchedOn>)> {
        vec![
            ("1".into(), vec![MatchedOn::Email, MatchedOn::Phone]),
            ("2".into(), vec![MatchedOn::Email]),
            ("3".into(), vec![MatchedOn::Phone]),
            ("4".into(), vec![MatchedOn::Hkid]),
            ("5".into(), vec![MatchedOn::Hkid]),
            ("6".into(), vec![MatchedOn::NameAndDateOfBirth]),
        ]
    }

    #[test]
    fn duplicates_are_found_through_the_index_without_decrypting() {
        let (store, ring) = fixture(true);
        // The raw store holds ciphertexts: a scan cannot match an email, phone or HKID there, so
        // those matches come from the index; name and date of birth are plaintext, for the scan.
        let raw = store.inner();
        let found =
            pollster::block_on(Resolver::new().resolve_indexed(raw, &*ring, None, &everything())).unwrap();
        assert_eq!(shown(found), expected());
        assert!(
            pollster::block_on(
                Resolver::new().resolve(raw, &Evidence { name: None, date_of_birth: None, ..everything() })
            )
            .unwrap()
            .is_empty()
        );
        // Another tenant's index holds nothing of these.
        let other =
            pollster::block_on(Resolver::new().resolve_indexed(raw, &*ring, Some("acme"), &everything()))
                .unwrap();
        assert_eq!(shown(other), vec![("6".to_string(), vec![MatchedOn::NameAndDateOfBirth])]);
    }

    #[test]
    fn without_index_rows_the_scan_answers_the_same() {
        let (store, ring) = fixture(false);
        let found =
            pollster::block_on(Resolver::new().resolve_indexed(&store, &*ring, None, &everything())).unwrap();
        assert_eq!(shown(found), expected());
        assert_eq!(
            shown(pollster::block_on(Resolver::new().resolve(&store, &everything())).unwrap()),
            expected()
        );
    }

    #[test]
    fn values_the_index_cannot_hold_fall_back_to_the_scan() {
        let (store, ring) = fixture(true);
        let us = Evidence { phone: Some("+1 415 555 0100".into()), ..Evidence::default() };
        let found = pollster::block_on(Resolver::new().resolve_indexed(&store, &*ring, None, &us)).unwrap();
        assert_eq!(shown(found), vec![("8".to_string(), vec![MatchedOn::Phone])]);
        // Through the raw store the scan sees only ciphertext: no match, and no error.
        let found =
            pollster::block_on(Resolver::new().resolve_indexed(store.inner(), &*ring, None, &us)).unwrap();
        assert!(found.is_empty());
    }
}
