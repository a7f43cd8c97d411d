//! Mutated valid schemas never panic the loader or the validator.

use pdpo_core::{Schema, conformance};
use proptest::prelude::*;
use toml::{Table, Value};

/// A path to a value inside a TOML document.
type Path = Vec<PathStep>;

#[derive(Debug, Clone)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn paths(v: &Value, here: &mut Path, out: &mut Vec<Path>) {
    out.push(here.clone());
    match v {
        Value::Table(t) => {
            for (k, x) in t {
                here.push(PathStep::Key(k.clone()));
                paths(x, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                here.push(PathStep::Index(i));
                paths(x, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn get_mut<'a>(v: &'a mut Value, path: &[PathStep]) -> Option<&'a mut Value> {
    let Some((step, rest)) = path.split_first() else { return Some(v) };
    let next = match (step, v) {
        (PathStep::Key(k), Value::Table(t)) => t.get_mut(k)?,
        (PathStep::Index(i), Value::Array(a)) => a.get_mut(*i)?,
        _ => return None,
    };
    get_mut(next, rest)
}

#[derive(Debug, Clone)]
enum Mutation {
    Remove,
    Replace(Value),
    RenameKey(String),
}

fn replacement() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            "people",
            "orders",
            "nope",
            "id",
            "person_id",
            "email",
            "emial",
            "custom:x",
            "custom:",
            "$.a[",
            "$.phones.*",
            "author",
            "thread",
            "service",
            "anonymise",
            "delete",
            "1bad",
            "a b",
            "thread_members",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
        any::<i64>().prop_map(Value::Integer),
        any::<bool>().prop_map(Value::Boolean),
        Just(Value::Array(vec![])),
        Just(Value::Array(vec![Value::String("id".into()), Value::String("line_no".into())])),
        Just(Value::Table(Table::new())),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::Remove),
        replacement().prop_map(Mutation::Replace),
        prop::sample::select(vec![
            "to", "key", "links", "fields", "name", "subject", "through", "category", "x"
        ])
        .prop_map(|s| Mutation::RenameKey(s.to_owned())),
    ]
}

fn apply(doc: &mut Value, path: &[PathStep], m: &Mutation) {
    let Some((last, parent_path)) = path.split_last() else { return };
    let Some(parent) = get_mut(doc, parent_path) else { return };
    match (parent, last, m) {
        (Value::Table(t), PathStep::Key(k), Mutation::Remove) => {
            t.remove(k);
        }
        (Value::Array(a), PathStep::Index(i), Mutation::Remove) if *i < a.len() => {
            a.remove(*i);
        }
        (Value::Table(t), PathStep::Key(k), Mutation::RenameKey(new)) => {
            if let Some(v) = t.remove(k) {
                t.insert(new.clone(), v);
            }
        }
        (parent, last, Mutation::Replace(v)) => {
            if let Some(slot) = get_mut(parent, std::slice::from_ref(last)) {
                *slot = v.clone();
            }
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn mutated_fixture_never_panics(picks in prop::collection::vec((any::<prop::sample::Index>(), mutation()), 1..4)) {
        let mut doc = Value::Table(conformance::FIXTURE_TOML.parse::<Table>().unwrap());
        for (pick, m) in &picks {
            let mut all = Vec::new();
            paths(&doc, &mut Vec::new(), &mut all);
            let path = all[pick.index(all.len())].clone();
            apply(&mut doc, &path, m);
        }
        let text = toml::to_string(&doc).unwrap();
        match Schema::from_toml_str(&text, None) {
            Ok(schema) => {
                // A schema that loads is internally consistent.
                prop_assert_eq!(schema.traversal_order().next().map(|e| e.name.clone()), Some(schema.subject().clone()));
                for e in schema.entities() {
                    for l in &e.links {
                        prop_assert!(schema.entity(&l.to).is_some());
                    }
                }
            }
            Err(e) => {
                prop_assert!(!e.problems.is_empty());
                for p in &e.problems {
                    prop_assert!(!p.message.is_empty());
                    if let Some(line) = p.line {
                        prop_assert!(line as usize <= text.lines().count() + 1, "line {} past the end", line);
                    }
                }
            }
        }
    }
}
