//! Batch erasure (`Eraser::erase_many`, `ErasureBatch`): the same end state, events and
//! certificates as erasing the subjects one by one; holds listed, not failing; idempotent;
//! all or nothing per chunk; resumable.

use pdpo_anonymise::{ErasureBatch, ErasureCertificate, NoKeys};
use pdpo_core::{AuditEvent, DataStore, Hold, HoldScope, Key, MemoryStore};
use pdpo_retention::HoldSet;
use pdpo_testkit::load::block_on;
use proptest::prelude::*;

use crate::support::{crm, dump, eraser, guard};

const CONTACTS: u64 = 30;

/// A certificate without its id (random per run).
fn cert_view(c: &ErasureCertificate) -> String {
    let mut j = pdpo_core::serde_json::to_value(c).unwrap();
    j.as_object_mut().unwrap().remove("id");
    j.to_string()
}

/// An event without its id.
fn event_view(e: &AuditEvent) -> String {
    let mut e = e.clone();
    e.id = pdpo_core::uuid::Uuid::nil();
    pdpo_core::serde_json::to_string(&e).unwrap()
}

/// Erases `subjects` one by one; returns the certificates of the subjects that exist.
fn one_by_one(store: &MemoryStore, holds: HoldSet, subjects: &[Key]) -> Vec<ErasureCertificate> {
    let e = eraser(guard(store, holds));
    subjects.iter().filter_map(|s| block_on(e.erase(store, s, &NoKeys)).ok()).collect()
}

fn held_subject_holds(subject: i64) -> HoldSet {
    let mut holds = HoldSet::new();
    holds.insert(Hold::new(
        HoldScope::Subject(Key::from(subject)),
        "Investigation 2026-044",
        pdpo_testkit::reference_now(),
    ));
    holds
}

/// Subjects 1..=n erased in one batch end where erasing them one after the other ends: same
/// records, same events (ids aside), same blob outbox, same certificates (ids aside). Shared
/// records (messages between two subjects, deals, companies, conversations) are among them.
#[test]
fn batch_equals_one_by_one() {
    let subjects: Vec<Key> = (1..=CONTACTS as i64).map(Key::from).collect();
    let (_, a) = crm(CONTACTS);
    let (_, b) = crm(CONTACTS);
    let holds = held_subject_holds(4);
    let want = one_by_one(&a.store, holds.clone(), &subjects);
    let e = eraser(guard(&b.store, holds));
    let events_before = b.store.events().len();
    let report = block_on(e.erase_many(&b.store, &subjects, &NoKeys)).unwrap();
    assert!(report.missing.is_empty());
    assert_eq!(dump(&a.store), dump(&b.store));
    let ev = |s: &MemoryStore| s.events().iter().map(event_view).collect::<Vec<_>>();
    assert_eq!(ev(&a.store), ev(&b.store));
    assert!(b.store.events().len() > events_before);
    assert_eq!(
        block_on(a.store.pending_blob_deletes()).unwrap(),
        block_on(b.store.pending_blob_deletes()).unwrap()
    );
    let got: Vec<String> = report.certificates.iter().map(cert_view).collect();
    let want: Vec<String> = want.iter().map(cert_view).collect();
    assert_eq!(got, want);
    // The held subject is listed with the hold, and did not fail the batch.
    let held = report.certificates.iter().find(|c| c.subject == Key::from(4)).unwrap();
    assert!(held.records_changed.is_empty());
    assert!(held.retained.iter().any(|r| r.reason.contains("Investigation 2026-044")));
    assert!(report.with_retained().any(|c| c.subject == Key::from(4)));
    assert!(report.certificates.iter().filter(|c| c.subject != Key::from(4)).all(|c| c.verified));
}

/// A second batch over the same subjects changes nothing and certifies them as already erased;
/// a subject that does not exist is listed as missing.
#[test]
fn batch_is_idempotent_and_lists_missing_subjects() {
    let (_, loaded) = crm(12);
    let store = &loaded.store;
    let e = eraser(guard(store, HoldSet::new()));
    let mut subjects: Vec<Key> = (1..=12).map(Key::from).collect();
    subjects.push(Key::from(9_999));
    subjects.push(Key::from(3)); // repeated: erased once
    let first = block_on(e.erase_many(store, &subjects, &NoKeys)).unwrap();
    assert_eq!(first.missing, vec![Key::from(9_999)]);
    assert_eq!(first.certificates.len(), 12);
    assert!(first.certificates.iter().any(|c| !c.already_erased));
    let (after, events) = (dump(store), store.events().len());
    let again = block_on(e.erase_many(store, &subjects, &NoKeys)).unwrap();
    assert!(again.certificates.iter().all(|c| c.already_erased), "a second batch still changes data");
    assert_eq!(dump(store), after);
    assert_eq!(store.events().len(), events);
}

/// A failure at any change of the batch's change set leaves the whole chunk untouched: no
/// record, event or blob deletion of any of its subjects.
#[test]
fn failure_anywhere_in_the_batch_leaves_the_chunk_untouched() {
    let (_, loaded) = crm(12);
    let store = &loaded.store;
    let e = eraser(guard(store, HoldSet::new()));
    let subjects: Vec<Key> = (1..=6).map(Key::from).collect();
    // The batch's changes: each subject planned after the ones before it (on a copy).
    let (_, copy) = crm(12);
    let n: usize = subjects
        .iter()
        .map(|s| {
            let plan = block_on(e.plan(&copy.store, s)).unwrap();
            block_on(e.execute(&copy.store, &plan, &NoKeys)).unwrap();
            e.change_set(&plan).changes.len()
        })
        .sum();
    assert!(n > 20, "{n} changes");
    let before = dump(store);
    let events = store.events().len();
    // Every change of the first subjects, then a stride through the rest, and the last one.
    let points: Vec<usize> = (0..n).filter(|i| *i < 12 || i % 7 == 0 || *i == n - 1).collect();
    for at in points {
        store.inject_failure_at(at);
        assert!(block_on(e.erase_many(store, &subjects, &NoKeys)).is_err(), "failure at {at} unreported");
        assert_eq!(dump(store), before, "a failure at change {at} left a partial batch");
        assert_eq!(store.events().len(), events);
        assert!(block_on(store.pending_blob_deletes()).unwrap().is_empty());
    }
    let report = block_on(e.erase_many(store, &subjects, &NoKeys)).unwrap();
    assert_eq!(report.certificates.len(), 6);
    assert_ne!(dump(store), before);
}

/// A batch run in chunks, with failures injected into some chunks and the batch reloaded from
/// JSON after each, ends where one uninterrupted erasure of every subject ends.
#[test]
fn batch_resumes_after_failed_chunks() {
    let subjects: Vec<Key> = (1..=20).map(Key::from).collect();
    let (_, a) = crm(20);
    let (_, b) = crm(20);
    one_by_one(&a.store, HoldSet::new(), &subjects);
    let e = eraser(guard(&b.store, HoldSet::new()));
    let mut batch = ErasureBatch::new(subjects);
    let (mut chunk, mut failures, mut certified) = (0, 0, 0);
    loop {
        let saved = batch.clone();
        let saved_dump = dump(&b.store);
        if chunk % 2 == 1 {
            b.store.inject_failure_at(chunk % 5);
        }
        chunk += 1;
        match block_on(e.run_batch_chunk(&b.store, &mut batch, 3, &NoKeys)) {
            Ok(Some(r)) => certified += r.certificates.len(),
            Ok(None) => break,
            Err(_) => {
                failures += 1;
                assert_eq!(batch, saved, "a failed chunk moved the batch");
                assert_eq!(dump(&b.store), saved_dump, "a failed chunk wrote something");
            }
        }
        let json = pdpo_core::serde_json::to_string(&batch).unwrap();
        batch = pdpo_core::serde_json::from_str(&json).unwrap();
    }
    assert!(failures > 0);
    assert!(batch.is_finished() && batch.remaining().is_empty());
    assert_eq!(certified, 20);
    assert_eq!(dump(&a.store), dump(&b.store));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Any subset of subjects, in any order, in chunks of any size: the same end state and
    /// certificates as one by one.
    #[test]
    fn any_batch_equals_one_by_one(
        picks in prop::collection::vec(1i64..=16, 1..12),
        limit in 1usize..8,
        held in 1i64..=16,
    ) {
        let subjects: Vec<Key> = picks.into_iter().map(Key::from).collect();
        let (_, a) = crm(16);
        let (_, b) = crm(16);
        let holds = held_subject_holds(held);
        let mut unique = Vec::new();
        for s in &subjects {
            if !unique.contains(s) {
                unique.push(s.clone());
            }
        }
        let want = one_by_one(&a.store, holds.clone(), &unique);
        let e = eraser(guard(&b.store, holds));
        let mut batch = ErasureBatch::new(subjects);
        let report = block_on(e.run_batch(&b.store, &mut batch, limit, &NoKeys, |_| {})).unwrap();
        prop_assert_eq!(dump(&a.store), dump(&b.store));
        let got: Vec<String> = report.certificates.iter().map(cert_view).collect();
        let want: Vec<String> = want.iter().map(cert_view).collect();
        prop_assert_eq!(got, want);
    }
}
