//! Operator invariants.

use std::sync::Arc;

use pdpo_anonymise::{Anonymiser, ColumnSpec, Effect, PseudonymKey, Site};
use pdpo_core::serde_json::{Value as Json, json};
use pdpo_core::{ColumnType, FieldOperator, Identifier, Key, PiiCategory, RecordRef, Value};
use proptest::prelude::*;

const OPS: [FieldOperator; 7] = [
    FieldOperator::Redact,
    FieldOperator::Null,
    FieldOperator::Mask,
    FieldOperator::Pseudonymise,
    FieldOperator::Generalise,
    FieldOperator::Scrub,
    FieldOperator::Shred,
];

fn category() -> impl Strategy<Value = PiiCategory> {
    prop::sample::select(pdpo_core::BUILTIN_CATEGORIES.to_vec())
}

fn shape(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| shape(v, w)))
        }
        (Json::Array(x), Json::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(v, w)| shape(v, w)),
        (Json::String(_), Json::String(_)) | (Json::Bool(_), Json::Bool(_)) | (Json::Null, Json::Null) => {
            true
        }
        (Json::Number(_), Json::Number(_)) => true,
        _ => false,
    }
}

proptest! {
    #[test]
    fn placeholders_fit_the_column(
        text in "\\PC{0,80}",
        max in proptest::option::of(0u32..40),
        nullable: bool,
        op in prop::sample::select(OPS.to_vec()),
        cat in category(),
    ) {
        let r = RecordRef::new(Identifier::new("contacts").unwrap(), Key::from(1));
        let key = Arc::new(PseudonymKey::from_bytes(&[3; 32]).unwrap());
        let a = Anonymiser::hong_kong().unwrap().with_pseudonym_key(key);
        let mut spec = ColumnSpec::new(Some(cat)).with_type(ColumnType::Text);
        if let Some(m) = max { spec = spec.with_max_len(m); }
        if !nullable { spec = spec.not_null(); }
        let value = Value::from(text.as_str());
        let (out, effect) = a.apply(op, &spec, &value, Site { record: &r, field: "f" }, &[]);
        if !nullable { prop_assert!(!out.is_null()); }
        if let (Some(m), Value::Text(s)) = (max, &out) {
            prop_assert!(s.chars().count() <= m as usize);
        }
        prop_assert!(matches!(out, Value::Text(_) | Value::Null));
        // Idempotent: applying again changes nothing.
        let (again, e2) = a.apply(op, &spec, &out, Site { record: &r, field: "f" }, &[]);
        if op != FieldOperator::Mask {
            prop_assert_eq!(&again, &out);
            prop_assert_eq!(e2, Effect::Unchanged);
        }
        prop_assert!(effect != Effect::Shredded);
    }

    #[test]
    fn json_keeps_its_shape(
        a in "[a-z@.]{1,20}", b in 0i64..200, c: bool, op in prop::sample::select(OPS.to_vec()),
    ) {
        let r = RecordRef::new(Identifier::new("contacts").unwrap(), Key::from(1));
        let doc = json!({"emails": [{"address": a, "primary": c}], "age": b, "tags": [a, null]});
        let an = Anonymiser::default();
        let (out, _) = an.apply(op, &ColumnSpec::new(Some(PiiCategory::Email)), &Value::Json(doc.clone()), Site { record: &r, field: "f" }, &[]);
        let Value::Json(out) = out else { panic!("not JSON") };
        prop_assert!(shape(&doc, &out));
    }

    #[test]
    fn pseudonyms_are_stable_and_key_dependent(text in "[a-z0-9.@+ ]{1,40}", k1 in any::<[u8; 32]>(), k2 in any::<[u8; 32]>()) {
        prop_assume!(k1 != k2);
        let p1 = PseudonymKey::from_bytes(&k1).unwrap();
        let p1b = PseudonymKey::from_bytes(&k1).unwrap();
        let p2 = PseudonymKey::from_bytes(&k2).unwrap();
        for cat in [PiiCategory::Email, PiiCategory::Phone, PiiCategory::Name] {
            prop_assert_eq!(p1.pseudonym(Some(&cat), &text), p1b.pseudonym(Some(&cat), &text));
            prop_assert_ne!(p1.pseudonym(Some(&cat), &text), p2.pseudonym(Some(&cat), &text));
            prop_assert!(pdpo_anonymise::is_pseudonym(&p1.pseudonym(Some(&cat), &text)));
        }
    }
}
