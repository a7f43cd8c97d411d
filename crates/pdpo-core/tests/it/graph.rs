//! SubjectGraph::collect: one batched lookup per hop, whatever the number of records.

use std::sync::atomic::{AtomicUsize, Ordering};

use pdpo_core::{
    Applied, ChangeSet, ColumnInfo, DataStore, Key, KeyValue, LinkKind, Lookup, MemoryStore, Page, Record,
    Schema, StoreError, SubjectGraph, conformance,
};

/// A decorator that counts lookups.
struct Counting<D> {
    inner: D,
    lookups: AtomicUsize,
}

impl<D: DataStore> DataStore for Counting<D> {
    fn schema(&self) -> &Schema {
        self.inner.schema()
    }
    async fn fetch(&self, entity: &str, keys: &[Key]) -> Result<Vec<Record>, StoreError> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        self.inner.fetch(entity, keys).await
    }
    async fn find(&self, entity: &str, lookup: &Lookup) -> Result<Vec<Record>, StoreError> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        self.inner.find(entity, lookup).await
    }
    async fn scan_page(&self, entity: &str, after: Option<&Key>, limit: usize) -> Result<Page, StoreError> {
        self.inner.scan_page(entity, after, limit).await
    }
    async fn apply(&self, changes: ChangeSet) -> Result<Applied, StoreError> {
        self.inner.apply(changes).await
    }
    async fn columns(&self, entity: &str) -> Result<Vec<ColumnInfo>, StoreError> {
        self.inner.columns(entity).await
    }
    async fn pending_blob_deletes(&self) -> Result<Vec<String>, StoreError> {
        self.inner.pending_blob_deletes().await
    }
    async fn ack_blob_deletes(&self, ids: &[String]) -> Result<(), StoreError> {
        self.inner.ack_blob_deletes(ids).await
    }
}

fn ident(s: &str) -> pdpo_core::Identifier {
    pdpo_core::Identifier::new(s).unwrap()
}

/// Loads the fixture, then gives person 1 `extra` more orders with 3 lines each and as many notes.
fn store_with(extra: i64) -> Counting<MemoryStore> {
    let store = MemoryStore::new(conformance::fixture_schema(false));
    let mut cs = ChangeSet::new();
    for r in conformance::records() {
        cs.insert(r);
    }
    for i in 0..extra {
        let order = 10_000 + i;
        cs.insert(Record::new(ident("orders"), Key::from(order)).with("person_id", 1));
        for line in 1..=3 {
            let k = Key::composite([KeyValue::Int(order), KeyValue::Int(line)]);
            cs.insert(Record::new(ident("order_lines"), k).with("description", "item"));
        }
        cs.insert(
            Record::new(ident("notes"), Key::from(50_000 + i)).with("author_id", 1).with("thread_id", 100),
        );
    }
    pollster::block_on(store.apply(cs)).unwrap();
    Counting { inner: store, lookups: AtomicUsize::new(0) }
}

#[test]
fn collect_costs_one_lookup_per_hop_not_per_record() {
    let schema = conformance::fixture_schema(false);
    // 1 fetch of the subject, then one lookup per link (two for a join).
    let hops: usize = 1 + schema
        .traversal_order()
        .flat_map(|e| &e.links)
        .map(|l| if matches!(l.kind, LinkKind::Join { .. }) { 2 } else { 1 })
        .sum::<usize>();
    let mut seen = Vec::new();
    for extra in [0, 10, 2_000] {
        let store = store_with(extra);
        let g = pollster::block_on(SubjectGraph::collect(&store, &Key::from(1))).unwrap();
        assert_eq!(g.records_of("orders").count() as i64, 2 + extra);
        assert_eq!(g.records_of("order_lines").count() as i64, 3 + 3 * extra);
        seen.push(store.lookups.load(Ordering::Relaxed));
    }
    assert!(seen.iter().all(|&n| n == seen[0]), "lookups grew with the record count: {seen:?}");
    assert!(seen[0] <= hops, "{} lookups for {hops} hops", seen[0]);
}

#[test]
fn a_subject_without_links_costs_only_the_lookups_that_have_parents() {
    let store = store_with(0);
    // Person 4 has no orders, no threads and no notes, so the hops below them are skipped.
    let g = pollster::block_on(SubjectGraph::collect(&store, &Key::from(4))).unwrap();
    let refs: Vec<String> = g.records.iter().map(|r| r.record.reference().to_string()).collect();
    assert_eq!(refs, ["people[4]", "orgs[2]", "deals[500]"]);
    assert!(store.lookups.load(Ordering::Relaxed) < 11);
}
