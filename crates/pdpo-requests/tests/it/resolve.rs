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
