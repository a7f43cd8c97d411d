//! Envelope integrity and associated-data binding.

use pdpo_core::{Key, KeyScope};
use pdpo_crypto::{Decrypted, ENVELOPE_OVERHEAD, Envelope, Error, FieldCipher, FieldContext};
use proptest::prelude::*;

use crate::{block_on, ring};

fn opens_to(ring: &crate::Ring, ctx: &FieldContext<'_>, env: &[u8], expected: &[u8]) -> bool {
    matches!(block_on(ring.decrypt(ctx, env)), Ok(Decrypted::Plaintext(p)) if p.as_slice() == expected)
}

#[test]
fn envelope_has_the_documented_layout_and_overhead() {
    let (ring, _, _) = ring();
    let s = Key::from(1);
    let ctx = FieldContext::new("contacts", "email").subject(&s).record(&s);
    for len in [0usize, 1, 16, 64, 256, 1000] {
        let pt = vec![0x5a; len];
        let env = block_on(ring.encrypt(&ctx, &pt)).unwrap();
        assert_eq!(env.len(), len + ENVELOPE_OVERHEAD);
        assert_eq!(ENVELOPE_OVERHEAD, 46);
        assert_eq!(env[0], 1, "version");
        assert_eq!(env[1], 1, "record-bound flag");
        let parsed = Envelope::parse(&env).unwrap();
        assert_eq!(parsed.plaintext_len(), len);
        assert!(parsed.binds_record());
        if len >= 16 {
            assert!(!env.windows(16).any(|w| w == &pt[..16]), "plaintext visible in the envelope");
        }
    }
}

#[test]
fn every_single_byte_change_of_the_envelope_fails() {
    let (ring, _, _) = ring();
    let s = Key::from(7);
    let ctx = FieldContext::new("contacts", "hkid").tenant("acme").subject(&s).record(&s);
    let pt = b"A123456(3)";
    let env = block_on(ring.encrypt(&ctx, pt)).unwrap();
    assert!(opens_to(&ring, &ctx, &env, pt));
    let mut checked = 0;
    for i in 0..env.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut bad = env.clone();
            bad[i] ^= flip;
            assert!(!opens_to(&ring, &ctx, &bad, pt), "byte {i} ^ {flip:#x} still opened");
            checked += 1;
        }
    }
    assert_eq!(checked, env.len() * 3);
    // Truncations and extensions fail without panicking.
    for cut in 0..env.len() {
        assert!(!opens_to(&ring, &ctx, &env[..cut], pt));
    }
    let mut longer = env;
    longer.push(0);
    assert!(!opens_to(&ring, &ctx, &longer, pt));
}

#[test]
fn bad_envelopes_give_located_errors_without_values() {
    let (ring, _, _) = ring();
    let s = Key::from(7);
    let ctx = FieldContext::new("contacts", "hkid").subject(&s).record(&s);
    let env = block_on(ring.encrypt(&ctx, b"A123456(3)")).unwrap();
    let err = block_on(ring.decrypt(&ctx, &env[..10])).unwrap_err();
    assert!(matches!(err, Error::Truncated { len: 10, .. }));
    let mut v2 = env.clone();
    v2[0] = 2;
    assert!(matches!(block_on(ring.decrypt(&ctx, &v2)), Err(Error::UnsupportedVersion { version: 2 })));
    let mut tag = env.clone();
    *tag.last_mut().unwrap() ^= 1;
    let err = block_on(ring.decrypt(&ctx, &tag)).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Decrypt { .. }));
    assert!(msg.contains("contacts.hkid") && msg.contains("record 7"), "{msg}");
    assert!(!msg.contains("A123456"), "{msg}");
    let mut other_key = env;
    other_key[5] ^= 1;
    assert!(matches!(block_on(ring.decrypt(&ctx, &other_key)), Err(Error::UnknownKey { .. })));
}

#[test]
fn workspace_scope_and_unbound_record_round_trip() {
    let (ring, _, _) = ring();
    let ctx = FieldContext::new("companies", "bank_account").tenant("acme").scope(KeyScope::Workspace);
    let env = block_on(ring.encrypt(&ctx, b"012-345678-901")).unwrap();
    assert!(!Envelope::parse(&env).unwrap().binds_record());
    assert!(opens_to(&ring, &ctx, &env, b"012-345678-901"));
    // The same envelope under subject scope, or another tenant, fails.
    let s = Key::from(1);
    assert!(!opens_to(&ring, &ctx.scope(KeyScope::Subject).subject(&s), &env, b"012-345678-901"));
    assert!(!opens_to(&ring, &ctx.tenant("other"), &env, b"012-345678-901"));
    // A context with a record key still opens an envelope that did not bind one.
    let r = Key::from(9);
    assert!(opens_to(&ring, &ctx.record(&r), &env, b"012-345678-901"));
    // Subject scope without a subject is refused up front.
    let no_subject = FieldContext::new("contacts", "hkid");
    assert!(matches!(block_on(ring.encrypt(&no_subject, b"x")), Err(Error::NoSubject { .. })));
}

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z_]{0,8}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A ciphertext moved to another subject, field, entity, tenant or record never opens there,
    /// and always opens where it was sealed.
    #[test]
    fn aad_swaps_fail(
        tenant in name(), other_tenant in name(),
        entity in name(), other_entity in name(),
        field in name(), other_field in name(),
        subject in 0i64..1000, other_subject in 0i64..1000,
        record in 0i64..1000, other_record in 0i64..1000,
        pt in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let (ring, _, _) = ring();
        let (s, os, r, or) = (Key::from(subject), Key::from(other_subject), Key::from(record), Key::from(other_record));
        let ctx = FieldContext::new(&entity, &field).tenant(&tenant).subject(&s).record(&r);
        let env = block_on(ring.encrypt(&ctx, &pt)).unwrap();
        prop_assert!(opens_to(&ring, &ctx, &env, &pt));
        if other_tenant != tenant {
            prop_assert!(!opens_to(&ring, &ctx.tenant(&other_tenant), &env, &pt));
        }
        if other_entity != entity {
            prop_assert!(!opens_to(&ring, &FieldContext::new(&other_entity, &field).tenant(&tenant).subject(&s).record(&r), &env, &pt));
        }
        if other_field != field {
            prop_assert!(!opens_to(&ring, &FieldContext::new(&entity, &other_field).tenant(&tenant).subject(&s).record(&r), &env, &pt));
        }
        if other_subject != subject {
            // Even when the other subject has a key of their own.
            block_on(ring.encrypt(&ctx.subject(&os), b"warm")).unwrap();
            prop_assert!(!opens_to(&ring, &ctx.subject(&os), &env, &pt));
        }
        if other_record != record {
            prop_assert!(!opens_to(&ring, &ctx.record(&or), &env, &pt));
        }
        let mut unbound = ctx;
        unbound.record = None;
        prop_assert!(!opens_to(&ring, &unbound, &env, &pt));
    }
}
