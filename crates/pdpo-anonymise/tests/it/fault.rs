//! Fault injection at every change of the erasure's change set: all or nothing.

use pdpo_anonymise::NoKeys;
use pdpo_core::Key;
use pdpo_retention::HoldSet;
use pdpo_testkit::load::block_on;

use crate::support::{busiest, crm, dump, eraser, guard};

#[test]
fn failure_at_every_change_leaves_the_store_untouched() {
    let (_, loaded) = crm(20);
    let store = &loaded.store;
    let (subject, _) = busiest(store, 20);
    let eraser = eraser(guard(store, HoldSet::new()));
    let plan = block_on(eraser.plan(store, &Key::from(subject))).unwrap();
    let n = eraser.change_set(&plan).changes.len();
    assert!(n > 3, "{n} changes");
    let before = dump(store);
    let events = store.events().len();
    for i in 0..n {
        store.inject_failure_at(i);
        let err = block_on(eraser.erase(store, &Key::from(subject), &NoKeys));
        assert!(err.is_err(), "failure at change {i} was not reported");
        assert_eq!(dump(store), before, "failure at change {i} left a partial erasure");
        assert_eq!(store.events().len(), events);
        assert!(block_on(pdpo_core::DataStore::pending_blob_deletes(store)).unwrap().is_empty());
    }
    let cert = block_on(eraser.erase(store, &Key::from(subject), &NoKeys)).unwrap();
    assert!(cert.verified);
    assert_ne!(dump(store), before);
}
