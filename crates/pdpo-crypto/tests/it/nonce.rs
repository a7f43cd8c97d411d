//! Nonce counters: block reservation, crashes between reservations, rotation and the hard limit.

use std::collections::HashSet;
use std::sync::Arc;

use pdpo_core::Key;
use pdpo_crypto::{
    Decrypted, Envelope, Error, FieldCipher, FieldContext, KeyOwner, KeyRing, NONCE_LIMIT, NoncePolicy,
    ROTATE_AT,
};

use crate::{block_on, clock, ring};

fn counter(nonce: [u8; 12]) -> u64 {
    u64::from_be_bytes(nonce[4..].try_into().unwrap())
}

#[test]
fn nonces_come_from_reserved_blocks_and_never_repeat_across_a_crash() {
    let (ring1, store, kek) = ring();
    let ring1 = ring1.with_policy(NoncePolicy::new(8, ROTATE_AT).unwrap());
    let s = Key::from(1);
    let ctx = FieldContext::new("contacts", "email").subject(&s).record(&s);
    let mut seen = HashSet::new();
    let mut counters = Vec::new();
    for _ in 0..20 {
        let env = block_on(ring1.encrypt(&ctx, b"x")).unwrap();
        let n = Envelope::parse(&env).unwrap().nonce();
        assert!(seen.insert(n), "nonce repeated");
        counters.push(counter(n));
    }
    assert_eq!(counters, (0..20).collect::<Vec<_>>());
    let id = block_on(ring1.active_key_id(None, &KeyOwner::Subject(s.clone()))).unwrap().unwrap();
    // 20 encryptions with blocks of 8 reserved 3 blocks: the persisted counter is 24.
    assert_eq!(store.nonce_counter(id), Some(24));

    // "Crash": the process dies with 4 values of its block unused; a new process starts over
    // from the persisted counter, skipping them.
    drop(ring1);
    let ring2 = KeyRing::new(store.clone(), Arc::clone(&kek), clock())
        .with_policy(NoncePolicy::new(8, ROTATE_AT).unwrap());
    for _ in 0..10 {
        let env = block_on(ring2.encrypt(&ctx, b"x")).unwrap();
        let n = Envelope::parse(&env).unwrap().nonce();
        assert!(seen.insert(n), "nonce repeated after restart");
        assert!(counter(n) >= 24, "counter {} reused after restart", counter(n));
        assert_eq!(Envelope::parse(&env).unwrap().key_id(), id);
    }
    assert_eq!(store.nonce_counter(id), Some(40));
}

#[test]
fn two_processes_sharing_a_store_get_disjoint_blocks() {
    let (a, store, kek) = ring();
    let b = KeyRing::new(store, Arc::clone(&kek), clock());
    let s = Key::from(5);
    let ctx = FieldContext::new("contacts", "phone").subject(&s).record(&s);
    let mut seen = HashSet::new();
    for i in 0..3000 {
        let r = if i % 3 == 0 { &a } else { &b };
        let env = block_on(r.encrypt(&ctx, b"9123 4567")).unwrap();
        assert!(seen.insert(counter(Envelope::parse(&env).unwrap().nonce())), "counter repeated at {i}");
    }
    // Both decrypt everything the other wrote.
    let env = block_on(a.encrypt(&ctx, b"9123 4567")).unwrap();
    assert!(matches!(block_on(b.decrypt(&ctx, &env)).unwrap(), Decrypted::Plaintext(_)));
}

#[test]
fn a_failed_reservation_fails_the_encryption_instead_of_reusing_a_nonce() {
    let (ring, store, _) = ring();
    let ring = ring.with_policy(NoncePolicy::new(2, ROTATE_AT).unwrap());
    let s = Key::from(1);
    let ctx = FieldContext::new("contacts", "email").subject(&s);
    let e1 = block_on(ring.encrypt(&ctx, b"a")).unwrap();
    let e2 = block_on(ring.encrypt(&ctx, b"b")).unwrap();
    store.fail_reservations(1);
    let err = block_on(ring.encrypt(&ctx, b"c")).unwrap_err();
    assert!(matches!(err, Error::KeyStore { operation: "reserve nonces", .. }), "{err}");
    let e3 = block_on(ring.encrypt(&ctx, b"c")).unwrap();
    let ns: HashSet<_> = [&e1, &e2, &e3].iter().map(|e| Envelope::parse(e).unwrap().nonce()).collect();
    assert_eq!(ns.len(), 3);
}

#[test]
fn a_key_near_the_rotation_threshold_is_rotated_and_old_data_stays_readable() {
    let (ring, store, _) = ring();
    let s = Key::from(1);
    let ctx = FieldContext::new("contacts", "email").subject(&s).record(&s);
    let old = block_on(ring.encrypt(&ctx, b"before")).unwrap();
    let old_id = Envelope::parse(&old).unwrap().key_id();
    // Inject a counter just below 2^28 and force the next encryption to reserve a block.
    assert!(store.set_nonce_counter(old_id, ROTATE_AT - 1));
    ring.clear_cache();
    let at_threshold = block_on(ring.encrypt(&ctx, b"last of the old key")).unwrap();
    assert_eq!(Envelope::parse(&at_threshold).unwrap().key_id(), old_id);
    assert_eq!(counter(Envelope::parse(&at_threshold).unwrap().nonce()), ROTATE_AT - 1);
    // Burn the rest of that block, then the next reservation starts past 2^28: rotation.
    let mut last = at_threshold;
    for _ in 0..1100 {
        last = block_on(ring.encrypt(&ctx, b"after")).unwrap();
        if Envelope::parse(&last).unwrap().key_id() != old_id {
            break;
        }
    }
    let new_id = Envelope::parse(&last).unwrap().key_id();
    assert_ne!(new_id, old_id, "no rotation after the threshold");
    assert_eq!(counter(Envelope::parse(&last).unwrap().nonce()), 0, "the new key starts its own counter");
    assert_eq!(block_on(ring.active_key_id(None, &KeyOwner::Subject(s.clone()))).unwrap(), Some(new_id));
    for env in [&old, &last] {
        assert!(matches!(block_on(ring.decrypt(&ctx, env)).unwrap(), Decrypted::Plaintext(_)));
    }
    // Shredding the subject destroys both generations.
    let report = block_on(ring.shred(None, &s, pdpo_core::Actor::system("t").unwrap())).unwrap();
    assert_eq!(report.keys, 2);
    assert!(matches!(block_on(ring.decrypt(&ctx, &old)).unwrap(), Decrypted::Shredded));
}

#[test]
fn a_key_at_the_hard_limit_never_encrypts_again() {
    let (ring, store, _) = ring();
    // Rotation "disabled" (threshold = limit) so only the hard limit protects the key.
    let ring = ring.with_policy(NoncePolicy::new(4, NONCE_LIMIT).unwrap());
    let s = Key::from(1);
    let ctx = FieldContext::new("contacts", "email").subject(&s);
    let first = block_on(ring.encrypt(&ctx, b"x")).unwrap();
    let id = Envelope::parse(&first).unwrap().key_id();
    assert!(store.set_nonce_counter(id, NONCE_LIMIT - 2));
    ring.clear_cache();
    let mut used_old = Vec::new();
    for _ in 0..6 {
        let env = block_on(ring.encrypt(&ctx, b"x")).unwrap();
        let e = Envelope::parse(&env).unwrap();
        if e.key_id() == id {
            used_old.push(counter(e.nonce()));
        }
    }
    // Exactly the two values below 2^32 were used; then the key was replaced.
    assert_eq!(used_old, vec![NONCE_LIMIT - 2, NONCE_LIMIT - 1]);
    assert!(used_old.iter().all(|&c| c < NONCE_LIMIT));
    assert_ne!(block_on(ring.active_key_id(None, &KeyOwner::Subject(s))).unwrap(), Some(id));
}
