//! Shared helpers: the testkit CRM, a guard, dumps, and the subject's values.

use std::collections::BTreeMap;
use std::sync::Arc;

use pdpo_anonymise::{Anonymiser, Eraser};
use pdpo_core::serde_json::Value as Json;
use pdpo_core::{
    Actor, DataStore, FixedClock, Identifier, Key, MemoryStore, PiiCategory, Record, SubjectGraph, Value,
};
use pdpo_retention::{HoldSet, Policy, RetentionGuard};
use pdpo_testkit::{Generator, Loaded, load::block_on, load_memory};

pub(crate) type Dump = BTreeMap<(Identifier, Key), Record>;

pub(crate) fn crm(contacts: u64) -> (Generator, Loaded) {
    let g = Generator::new(contacts, 11);
    let loaded = load_memory(&g).unwrap();
    (g, loaded)
}

pub(crate) fn dump(store: &MemoryStore) -> Dump {
    let mut out = BTreeMap::new();
    for e in store.schema().entities() {
        let mut after = None;
        loop {
            let page = block_on(store.scan_page(&e.name, after.as_ref(), 1000)).unwrap();
            for r in page.records {
                out.insert((r.entity.clone(), r.key.clone()), r);
            }
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
    }
    out
}

pub(crate) fn guard(store: &MemoryStore, holds: HoldSet) -> RetentionGuard {
    let policy = Policy::testkit_default(store.schema()).unwrap();
    RetentionGuard::new(Arc::new(policy), holds)
}

pub(crate) fn eraser<G: pdpo_core::DisposalGuard>(guard: G) -> Eraser<G> {
    let clock = Arc::new(FixedClock::new(pdpo_testkit::reference_now()));
    Eraser::new(Anonymiser::hong_kong().unwrap(), guard, clock, Actor::user("dpo-1").unwrap())
}

fn strings(j: &Json, out: &mut Vec<String>) {
    match j {
        Json::String(s) => out.push(s.clone()),
        Json::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Json::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// Every value of the subject, computed independently of the crate: the rendered values of
/// their structured personal fields (JSON leaves included), and the testkit's ground truth of
/// the personal data about them inside free text.
pub(crate) fn subject_values(g: &Generator, store: &MemoryStore, subject: i64) -> Vec<String> {
    let graph = block_on(SubjectGraph::collect(store, &Key::from(subject))).unwrap();
    let schema = store.schema();
    let mut out = Vec::new();
    for sr in &graph.records {
        let entity = schema.entity(&sr.record.entity).unwrap();
        for f in &sr.fields {
            let field = entity.field(f).unwrap();
            match (sr.record.get(f), &field.category) {
                (Some(Value::Text(_)), Some(PiiCategory::FreeText)) | (None | Some(Value::Null), _) => {}
                (Some(Value::Json(j)), _) if !field.json.is_empty() => {
                    for tag in &field.json {
                        tag.path.select(j).into_iter().for_each(|hit| strings(hit, &mut out));
                    }
                }
                (Some(Value::Json(j)), _) => strings(j, &mut out),
                (Some(v), _) => out.push(v.render()),
            }
        }
    }
    // Ground truth: spans about this subject in texts of any group (shared records too).
    let mut groups = vec![subject];
    for sr in &graph.records {
        if let Some(k) = sr.record.key.parts().first().and_then(|k| match k {
            pdpo_core::KeyValue::Int(i) => Some(*i / pdpo_testkit::ID_STRIDE),
            _ => None,
        }) && k > 0
        {
            groups.push(k);
        }
    }
    groups.sort_unstable();
    groups.dedup();
    for gid in groups {
        let Some(group) = g.group(gid) else { continue };
        for t in &group.texts {
            let Some(rec) = group.records.iter().find(|r| r.reference() == t.record) else { continue };
            let Some(text) = rec.get(t.column).and_then(Value::as_text) else { continue };
            for s in &t.spans {
                if s.contact == subject {
                    out.push(text[s.range.clone()].to_owned());
                }
            }
        }
    }
    out.retain(|s| s.trim().chars().count() >= 5);
    out.sort();
    out.dedup();
    out
}

/// Whether `value` contains `needle` (case-insensitive, JSON leaves searched).
pub(crate) fn contains(value: &Value, needle: &str) -> bool {
    let n = needle.to_lowercase();
    match value {
        Value::Json(j) => {
            let mut s = Vec::new();
            strings(j, &mut s);
            s.iter().any(|x| x.to_lowercase().contains(&n))
        }
        Value::Null | Value::Bytes(_) => false,
        v => v.render().to_lowercase().contains(&n),
    }
}

/// The subject among the first `n` with the most records in their graph.
pub(crate) fn busiest(store: &MemoryStore, n: i64) -> (i64, usize) {
    (1..=n)
        .map(|id| (id, block_on(SubjectGraph::collect(store, &Key::from(id))).unwrap().len()))
        .max_by_key(|(_, l)| *l)
        .unwrap()
}
