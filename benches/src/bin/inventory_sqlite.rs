//! Bench binary: the schema inventory (`pdpo_pii::Inventory`) of the testkit CRM on SQLite.
//!
//! `cargo run --release -p pdpo-bench --bin inventory_sqlite -- 100000 3` loads 100,000 testkit
//! contacts (and their companies, deals, messages, ...) into `SqlStore` on a SQLite temp file, then
//! runs the inventory of the `contacts` table 3 times and of every table 3 times, and prints, per
//! run, the wall and CPU time and the split between reading (`scan_page`, timed by a wrapping
//! store) and the inventory's own work (scanning and counting), then the records per entity.
//! Arguments: contacts (default 100,000), runs (default 3).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::Mutex;
use std::time::{Duration, Instant};

use pdpo_bench::{NullBlobs, cpu_secs, sqlite_store};
use pdpo_core::{Applied, ChangeSet, ColumnInfo, DataStore, Key, Lookup, Page, Record, Schema, StoreError};
use pdpo_pii::{Inventory, Scanner};
use pdpo_testkit::{Generator, load};

/// A store that times its `scan_page` calls (the inventory's reads) and passes everything through.
struct Timed<'a, D> {
    inner: &'a D,
    reading: Mutex<Duration>,
}

impl<D: DataStore> DataStore for Timed<'_, D> {
    fn schema(&self) -> &Schema {
        self.inner.schema()
    }
    async fn fetch(&self, entity: &str, keys: &[Key]) -> Result<Vec<Record>, StoreError> {
        self.inner.fetch(entity, keys).await
    }
    async fn find(&self, entity: &str, lookup: &Lookup) -> Result<Vec<Record>, StoreError> {
        self.inner.find(entity, lookup).await
    }
    async fn scan_page(&self, entity: &str, after: Option<&Key>, limit: usize) -> Result<Page, StoreError> {
        let start = Instant::now();
        let page = self.inner.scan_page(entity, after, limit).await;
        *self.reading.lock().unwrap() += start.elapsed();
        page
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

async fn run(contacts: u64, runs: usize) {
    let dir = tempfile::tempdir().unwrap();
    let store =
        sqlite_store(dir.path(), "crm", pdpo_testkit::SQLITE_DDL, pdpo_testkit::schema()).await.unwrap();
    let start = Instant::now();
    let stats = load(&Generator::with_default_seed(contacts), &store, &NullBlobs, 5_000).await.unwrap();
    println!(
        "loaded {contacts} contacts: {} records in {:.1} s",
        stats.records,
        start.elapsed().as_secs_f64()
    );

    let scanner = Scanner::hong_kong().unwrap();
    // The contacts table alone (the figure), then every table of the CRM.
    for (what, only) in [("contacts", Some("contacts")), ("every entity", None)] {
        for i in 1..=runs {
            let timed = Timed { inner: &store, reading: Mutex::new(Duration::ZERO) };
            let mut inventory = Inventory::new(&scanner).page_size(1_000);
            if let Some(entity) = only {
                inventory = inventory.entities([entity]);
            }
            let cpu = cpu_secs().unwrap_or(0.0);
            let start = Instant::now();
            let report = inventory.run(&timed).await.unwrap();
            let total = start.elapsed().as_secs_f64();
            let cpu = cpu_secs().unwrap_or(0.0) - cpu;
            let reading = timed.reading.lock().unwrap().as_secs_f64();
            let records: u64 = report.entities.iter().map(|e| e.records).sum();
            println!(
                "{what}, run {i}: {records} records: {total:.2} s wall, {cpu:.2} s CPU; reading (scan_page) \
                 {reading:.2} s, scanning and counting {:.2} s; {} findings",
                total - reading,
                report.findings.len()
            );
            if i == runs && only.is_none() {
                for e in &report.entities {
                    println!("  {:<28} {:>9} records", e.entity, e.records);
                }
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let contacts = args.first().map_or(100_000, |a| a.parse().expect("a contact count"));
    let runs = args.get(1).map_or(3, |a| a.parse().expect("a number of runs"));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(run(contacts, runs));
}
