//! The DataStore conformance suite on MemoryStore.

use std::sync::Mutex;

use pdpo_core::{MemoryStore, Schema, conformance};

struct Mem(Mutex<Option<MemoryStore>>);

impl conformance::Harness for Mem {
    type Store = MemoryStore;
    async fn open(&self, schema: &Schema, tenant: Option<&str>) -> MemoryStore {
        let mut slot = self.0.lock().unwrap();
        let base = slot.get_or_insert_with(|| MemoryStore::new(schema.clone())).clone();
        match tenant {
            Some(t) => base.scoped(t),
            None => base,
        }
    }
}

#[test]
fn memory_store_passes_the_conformance_suite() {
    let report = pollster::block_on(conformance::run(|| Mem(Mutex::new(None))));
    assert!(report.failures.is_empty(), "{report}");
    assert_eq!(report.passed.len(), 10, "{report}");
}

#[test]
fn fixture_tables_cover_every_schema_column() {
    // SQL harnesses create tables from `tables()`: every column the schema names must be there.
    for tenanted in [false, true] {
        let schema = conformance::fixture_schema(tenanted);
        let tables = conformance::tables(tenanted);
        for e in schema.entities() {
            let t = tables
                .iter()
                .find(|t| t.name == e.table.as_str())
                .unwrap_or_else(|| panic!("no table {}", e.table));
            let has = |c: &str| t.columns.iter().any(|(n, _, _)| *n == c);
            for k in &e.key {
                assert!(has(k), "{}.{k}", e.name);
            }
            for f in &e.fields {
                assert!(has(&f.name), "{}.{}", e.name, f.name);
            }
            if tenanted {
                assert!(has("tenant"));
            }
        }
    }
}
