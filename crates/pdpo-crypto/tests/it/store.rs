//! EncryptingStore over MemoryStore.

use std::sync::Arc;

use pdpo_core::{
    ChangeSet, DataStore, Identifier, Key, Lookup, MemoryStore, Record, RecordRef, Schema, SubjectGraph,
    Value,
};
use pdpo_crypto::{EncryptingStore, Envelope, Error, FieldContext, decrypt_value, encrypt_value};

use crate::{Ring, block_on, ring};

pub(crate) const SCHEMA: &str = r#"
    subject = "contacts"
    [entities.contacts]
    key = "id"
    fields.name = { category = "name" }
    fields.email = { category = "email", encrypt = true }
    fields.hkid = { category = "hkid", encrypt = true }
    fields.dob = { category = "date_of_birth", encrypt = true }
    [entities.invoices]
    key = "id"
    links = [{ to = "contacts", foreign_key = "contact_id" }]
    fields.billing_address = { category = "address", encrypt = true }
    fields.bank_account = { category = "bank_account", encrypt = true, key_scope = "workspace" }
"#;

pub(crate) fn id(s: &str) -> Identifier {
    Identifier::new(s).unwrap()
}

pub(crate) fn setup() -> (EncryptingStore<MemoryStore, Arc<Ring>>, Arc<Ring>) {
    let schema = Schema::from_toml_str(SCHEMA, None).unwrap();
    let (ring, _, _) = ring();
    let ring = Arc::new(ring);
    let store =
        EncryptingStore::new(MemoryStore::new(schema), Arc::clone(&ring)).unwrap().with_tenant("acme");
    (store, ring)
}

pub(crate) fn seed(store: &EncryptingStore<MemoryStore, Arc<Ring>>) {
    let mut cs = ChangeSet::new();
    for (cid, email, hkid) in [(1, "chan@example.hk", "A123456(3)"), (2, "wong@example.hk", "B987654(1)")] {
        cs.insert(
            Record::new(id("contacts"), Key::from(cid))
                .with("name", format!("Contact {cid}"))
                .with("email", email)
                .with("hkid", hkid)
                .with("dob", Value::Null),
        );
        for n in 0..3 {
            cs.insert(
                Record::new(id("invoices"), Key::from(cid * 100 + n))
                    .with("contact_id", cid)
                    .with("billing_address", format!("Flat {n}, 1 Queen's Road Central"))
                    .with("bank_account", "012-345678-901"),
            );
        }
    }
    block_on(store.apply(cs)).unwrap();
}

#[test]
fn inner_store_holds_only_envelopes_and_readers_see_plaintext() {
    let (store, _) = setup();
    seed(&store);
    let raw = block_on(store.inner().fetch("contacts", &[Key::from(1)])).unwrap().remove(0);
    for f in ["email", "hkid"] {
        let Some(Value::Bytes(env)) = raw.get(f) else { panic!("{f} not encrypted") };
        assert!(Envelope::parse(env).unwrap().binds_record());
        assert!(!String::from_utf8_lossy(env).contains("chan@"), "plaintext in {f}");
    }
    assert_eq!(raw.get("dob"), Some(&Value::Null), "null stays null");
    assert_eq!(raw.get("name"), Some(&Value::from("Contact 1")), "unencrypted fields untouched");

    let read = block_on(store.fetch("contacts", &[Key::from(1)])).unwrap().remove(0);
    assert_eq!(read.get("email"), Some(&Value::from("chan@example.hk")));
    assert_eq!(read.get("hkid"), Some(&Value::from("A123456(3)")));
    let found =
        block_on(store.find(
            "invoices",
            &Lookup::Columns { columns: vec!["contact_id".into()], keys: vec![Key::from(1)] },
        ))
        .unwrap();
    assert_eq!(found.len(), 3);
    assert!(found.iter().all(|r| r.get("bank_account") == Some(&Value::from("012-345678-901"))));
    let page = block_on(store.scan_page("invoices", None, 10)).unwrap();
    assert_eq!(page.records.len(), 6);
    assert!(
        page.records
            .iter()
            .all(|r| matches!(r.get("billing_address"), Some(Value::Text(t)) if t.starts_with("Flat")))
    );
    let graph = block_on(SubjectGraph::collect(&store, &Key::from(2))).unwrap();
    assert_eq!(graph.len(), 4);
    assert_eq!(graph.records[0].record.get("email"), Some(&Value::from("wong@example.hk")));
}

#[test]
fn updates_are_encrypted_with_the_subject_found_through_the_foreign_key() {
    let (store, ring) = setup();
    seed(&store);
    let mut cs = ChangeSet::new();
    let set = [("billing_address".to_owned(), Value::from("2 Nathan Road"))].into_iter().collect();
    cs.update(RecordRef::new(id("invoices"), Key::from(101)), set);
    let set = [("email".to_owned(), Value::from("chan.new@example.hk"))].into_iter().collect();
    cs.update(RecordRef::new(id("contacts"), Key::from(1)), set);
    block_on(store.apply(cs)).unwrap();
    let inv = block_on(store.fetch("invoices", &[Key::from(101)])).unwrap().remove(0);
    assert_eq!(inv.get("billing_address"), Some(&Value::from("2 Nathan Road")));
    // Bound to subject 1: opening it as subject 2's fails.
    let raw = block_on(store.inner().fetch("invoices", &[Key::from(101)])).unwrap().remove(0);
    let (one, two, rec) = (Key::from(1), Key::from(2), Key::from(101));
    let ctx = FieldContext::new("invoices", "billing_address").tenant("acme").subject(&one).record(&rec);
    let v = raw.get("billing_address").unwrap().clone();
    assert_eq!(block_on(decrypt_value(&*ring, &ctx, v.clone())).unwrap(), Value::from("2 Nathan Road"));
    assert!(block_on(decrypt_value(&*ring, &ctx.subject(&two), v)).is_err());
    let c = block_on(store.fetch("contacts", &[Key::from(1)])).unwrap().remove(0);
    assert_eq!(c.get("email"), Some(&Value::from("chan.new@example.hk")));
}

#[test]
fn a_ciphertext_copied_to_another_row_does_not_decrypt() {
    let (store, _) = setup();
    seed(&store);
    let raw1 = block_on(store.inner().fetch("contacts", &[Key::from(1)])).unwrap().remove(0);
    let stolen = raw1.get("hkid").unwrap().clone();
    let mut cs = ChangeSet::new();
    cs.update(
        RecordRef::new(id("contacts"), Key::from(2)),
        [("hkid".to_owned(), stolen)].into_iter().collect(),
    );
    block_on(store.inner().apply(cs)).unwrap();
    let err = block_on(store.fetch("contacts", &[Key::from(2)])).unwrap_err();
    assert!(err.message().contains("contacts.hkid"), "{err}");
    assert!(!err.to_string().contains("A123456"), "{err}");
}

#[test]
fn schemas_whose_subject_cannot_be_found_are_refused() {
    let schema = Schema::from_toml_str(
        r#"
        subject = "contacts"
        [entities.contacts]
        key = "id"
        [entities.deals]
        key = "id"
        links = [{ to = "contacts", array = "contact_ids" }]
        fields.notes = { category = "free_text", encrypt = true }
    "#,
        None,
    )
    .unwrap();
    let (ring, _, _) = ring();
    let err = EncryptingStore::new(MemoryStore::new(schema), ring).unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("deals.notes"), "{err}");
}

#[test]
fn shredded_values_cannot_be_written_and_the_crm_write_path_interoperates() {
    let (store, ring) = setup();
    let mut cs = ChangeSet::new();
    cs.insert(Record::new(id("contacts"), Key::from(9)).with("email", Value::Shredded));
    let err = block_on(store.apply(cs)).unwrap_err();
    assert!(err.message().contains("contacts.email"), "{err}");

    let k = Key::from(9);
    let ctx = FieldContext::new("contacts", "email").tenant("acme").subject(&k).record(&k);
    let sealed = block_on(encrypt_value(&*ring, &ctx, &Value::from("crm@example.hk"))).unwrap();
    let mut cs = ChangeSet::new();
    cs.insert(Record::new(id("contacts"), k.clone()).with("email", sealed));
    block_on(store.inner().apply(cs)).unwrap();
    let read = block_on(store.fetch("contacts", &[k])).unwrap().remove(0);
    assert_eq!(read.get("email"), Some(&Value::from("crm@example.hk")));
}
