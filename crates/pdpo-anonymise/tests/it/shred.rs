//! Shredding: ciphertext stays, the subject's data key is destroyed.

use std::sync::Arc;

use pdpo_anonymise::{Anonymiser, Eraser, Error, NoKeys};
use pdpo_core::{
    Actor, AllowAll, ChangeSet, DataStore, FixedClock, Identifier, Key, MemoryStore, Record, Schema,
};
use pdpo_crypto::{Decrypted, FieldCipher, FieldContext, KeyFileKek, KeyRing, MemoryKeyStore};
use pdpo_testkit::load::block_on;

#[test]
fn shred_destroys_the_key_and_certifies_it() {
    let schema = Schema::from_toml_str(
        r#"
        subject = "contacts"
        [entities.contacts]
        key = "id"
        fields.hkid = { category = "hkid", operator = "shred", encrypt = true, type = "bytes" }
        fields.name = { category = "name", type = "text", nullable = false }
        "#,
        None,
    )
    .unwrap();
    let clock = Arc::new(FixedClock::new(pdpo_testkit::reference_now()));
    let ring = KeyRing::new(MemoryKeyStore::new(), KeyFileKek::generate().unwrap(), clock.clone());
    let chan = Key::from(42);
    let ctx = FieldContext::new("contacts", "hkid").subject(&chan).record(&chan);
    let envelope = block_on(ring.encrypt(&ctx, b"A123456(3)")).unwrap();
    let store = MemoryStore::new(schema);
    let mut cs = ChangeSet::new();
    cs.insert(
        Record::new(Identifier::new("contacts").unwrap(), chan.clone())
            .with("hkid", envelope.clone())
            .with("name", "CHAN Tai Man"),
    );
    block_on(store.apply(cs)).unwrap();

    let eraser = Eraser::new(Anonymiser::default(), AllowAll, clock, Actor::user("dpo").unwrap());
    // Without a shredder the erasure refuses to claim the shred (the data change is committed).
    let err = block_on(eraser.erase(&store, &chan, &NoKeys)).unwrap_err();
    assert!(matches!(err, Error::NoShredder { .. }), "{err}");

    let cert = block_on(eraser.erase(&store, &chan, &ring)).unwrap();
    assert!(cert.keys_shredded);
    assert_eq!(cert.shredded.len(), 1);
    assert!(matches!(block_on(ring.decrypt(&ctx, &envelope)).unwrap(), Decrypted::Shredded));
    assert!(store.events().iter().any(|e| e.action == pdpo_core::AuditAction::Shred));
}
