//! KEK rotation: rewrap keeps data readable; destroying the old version defeats old backups.

use std::sync::Arc;

use pdpo_core::{Actor, AuditAction, Key};
use pdpo_crypto::{
    Decrypted, Error, FieldCipher, FieldContext, KekVersionState, KeyEncryptionKey, KeyFileKek, KeyRing,
    MemoryKeyStore,
};

use crate::{block_on, clock, ring};

#[test]
fn rotation_rewraps_without_touching_ciphertexts_and_destroying_the_old_version_defeats_backups() {
    let (ring, store, kek) = ring();
    let chan = Key::from(1);
    let wong = Key::from(2);
    let ctx = |s| FieldContext::new("contacts", "hkid").subject(s);
    let chan_env = block_on(ring.encrypt(&ctx(&chan), b"A123456(3)")).unwrap();
    let wong_env = block_on(ring.encrypt(&ctx(&wong), b"B987654(1)")).unwrap();

    // Nightly backup of the key table, taken before anything below.
    let backup = store.rows();
    assert_eq!(backup.len(), 2);

    // Chan is shredded. The live store no longer has his key...
    block_on(ring.shred(None, &chan, Actor::system("erasure").unwrap())).unwrap();
    assert!(matches!(block_on(ring.decrypt(&ctx(&chan), &chan_env)).unwrap(), Decrypted::Shredded));
    // ...but the backup does, and while KEK v1 exists it still unwraps: the documented hole.
    let chan_backup = backup.iter().find(|r| r.owner.subject() == Some(&chan)).unwrap();
    assert!(block_on(kek.unwrap(chan_backup)).is_ok());

    // Rotate the KEK, rewrap the live keys (ciphertexts untouched), destroy v1.
    assert_eq!(kek.rotate().unwrap(), 2);
    let report = block_on(ring.rewrap(1)).unwrap();
    assert_eq!((report.from_version, report.to_version, report.rewrapped), (1, 2, 1));
    assert!(store.rows().iter().all(|r| r.kek_version == 2));
    ring.clear_cache();
    let Decrypted::Plaintext(p) = block_on(ring.decrypt(&ctx(&wong), &wong_env)).unwrap() else { panic!() };
    assert_eq!(p.as_slice(), b"B987654(1)", "rewrapped key still opens old ciphertext");
    let event = block_on(ring.destroy_kek_version(1, Actor::system("key-admin").unwrap())).unwrap();
    assert_eq!(event.action, AuditAction::KeyRotation);
    assert_eq!(kek.versions(), vec![(1, KekVersionState::Destroyed), (2, KekVersionState::Current)]);

    // The backup's copy of chan's wrapped key is now useless...
    assert!(matches!(block_on(kek.unwrap(chan_backup)), Err(Error::KekDestroyed { version: 1 })));
    // ...even restored into a store: his data stays unreadable.
    let restored = MemoryKeyStore::new();
    for row in backup {
        restored.restore(row);
    }
    let from_backup = KeyRing::new(restored, Arc::clone(&kek), clock());
    assert!(matches!(
        block_on(from_backup.decrypt(&ctx(&chan), &chan_env)),
        Err(Error::KekDestroyed { version: 1 })
    ));
    // Wong's live data is fine.
    assert!(matches!(block_on(ring.decrypt(&ctx(&wong), &wong_env)).unwrap(), Decrypted::Plaintext(_)));
}

#[test]
fn a_kek_version_still_in_use_or_current_is_not_destroyed() {
    let (ring, _, kek) = ring();
    let s = Key::from(1);
    block_on(ring.encrypt(&FieldContext::new("contacts", "hkid").subject(&s), b"x")).unwrap();
    let actor = Actor::system("key-admin").unwrap();
    assert!(matches!(
        block_on(ring.destroy_kek_version(1, actor.clone())),
        Err(Error::KekInUse { version: 1, count: 1 })
    ));
    kek.rotate().unwrap();
    assert!(matches!(block_on(ring.destroy_kek_version(1, actor.clone())), Err(Error::KekInUse { .. })));
    assert!(matches!(
        block_on(ring.destroy_kek_version(2, actor.clone())),
        Err(Error::KekInUse { .. }) | Err(Error::KekCurrent { .. })
    ));
    block_on(ring.rewrap(1)).unwrap();
    assert!(matches!(block_on(ring.destroy_kek_version(2, actor.clone())), Err(Error::KekInUse { .. })));
    block_on(ring.destroy_kek_version(1, actor)).unwrap();
    assert_eq!(kek.current_version(), 2);
}

#[test]
fn keys_survive_a_restart_with_a_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pdpo.kek");
    let store = MemoryKeyStore::new();
    let s = Key::from(3);
    let ctx = FieldContext::new("contacts", "email").subject(&s);
    let env = {
        let ring = KeyRing::new(store.clone(), KeyFileKek::create(&path).unwrap(), clock());
        block_on(ring.encrypt(&ctx, b"three@example.hk")).unwrap()
    };
    let ring = KeyRing::new(store, KeyFileKek::open(&path).unwrap(), clock());
    let Decrypted::Plaintext(p) = block_on(ring.decrypt(&ctx, &env)).unwrap() else { panic!() };
    assert_eq!(p.as_slice(), b"three@example.hk");
    // Nothing secret in Debug output.
    let dbg = format!("{ring:?} {:?} {:?}", ring.kek(), ring.store());
    assert!(!dbg.contains("three"), "{dbg}");
}
