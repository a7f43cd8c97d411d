//! Erases testkit subjects from a MemoryStore once, for instruction counts that do not depend on
//! machine load: `valgrind --tool=callgrind --toggle-collect='*Eraser*erase*' target/release/erase_once one`.
//!
//! `one`: the subject with about 50 records among 120 contacts (as the anonymise bench);
//! `batch`: subjects 1 to 100 among 200 contacts, one by one; `many`: the same subjects with
//! `Eraser::erase_many` (one change set); `many-sqlite` and `batch-sqlite`: the same on a
//! SQLite temp file (`SqlStore`), for the share of the store's statements. Prints what was
//! erased.
#![allow(clippy::print_stdout)]

use std::sync::Arc;

use pdpo_anonymise::{Anonymiser, Eraser, NoKeys};
use pdpo_core::{Actor, DataStore, FixedClock, Key, SubjectGraph};
use pdpo_retention::{HoldSet, Policy, RetentionGuard};
use pdpo_testkit::{Generator, load::block_on, load_memory};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mode = std::env::args().nth(1).unwrap_or_default();
    if let Some(how) = mode.strip_suffix("-sqlite") {
        return sqlite(how == "many");
    }
    let many = mode == "many";
    let batch = many || mode == "batch";
    let generator = Generator::new(if batch { 200 } else { 120 }, if batch { 13 } else { 11 });
    let loaded = load_memory(&generator)?;
    let policy = Policy::testkit_default(loaded.store.schema())?;
    let guard = RetentionGuard::new(Arc::new(policy), HoldSet::new());
    let clock = Arc::new(FixedClock::new(pdpo_testkit::reference_now()));
    let eraser = Eraser::new(Anonymiser::hong_kong()?, guard, clock, Actor::user("bench")?);
    let subjects: Vec<i64> = if batch {
        (1..=100).collect()
    } else {
        let sizes =
            (1..=120).map(|i| Ok((i, block_on(SubjectGraph::collect(&loaded.store, &Key::from(i)))?.len())));
        let sizes: Vec<(i64, usize)> = sizes.collect::<Result<_, pdpo_core::StoreError>>()?;
        sizes.into_iter().min_by_key(|(_, n)| n.abs_diff(50)).map(|(i, _)| i).into_iter().collect()
    };
    let mut changed = 0;
    if many {
        let keys: Vec<Key> = subjects.iter().map(|s| Key::from(*s)).collect();
        let report = block_on(eraser.erase_many(&loaded.store, &keys, &NoKeys))?;
        changed = report.certificates.iter().map(|c| c.records_changed.len()).sum();
        println!("{} subjects erased, {changed} records changed", report.certificates.len());
        return Ok(());
    }
    for s in &subjects {
        changed += block_on(eraser.erase(&loaded.store, &Key::from(*s), &NoKeys))?.records_changed.len();
    }
    println!("{} subjects erased, {changed} records changed", subjects.len());
    Ok(())
}

/// Subjects 1 to 100 of 200 erased on SQLite, with `erase_many` or one by one.
fn sqlite(many: bool) -> Result<(), Box<dyn std::error::Error>> {
    use pdpo_store::{SqlStore, sqlite_options, sqlx};
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("crm.db").display());
    rt.block_on(async {
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(sqlite_options(&url)?)
            .await?;
        sqlx::raw_sql(pdpo_testkit::SQLITE_DDL).execute(&pool).await?;
        let store = SqlStore::open(pool, pdpo_testkit::schema()).await?;
        let generator = Generator::new(200, 13);
        pdpo_testkit::load(&generator, &store, &pdpo_core::MemoryBlobStore::new(), 5_000).await?;
        let policy = Policy::testkit_default(store.schema())?;
        let guard = RetentionGuard::new(Arc::new(policy), HoldSet::new());
        let clock = Arc::new(FixedClock::new(pdpo_testkit::reference_now()));
        let eraser = Eraser::new(Anonymiser::hong_kong()?, guard, clock, Actor::user("bench")?);
        let keys: Vec<Key> = (1..=100).map(Key::from).collect();
        let changed: usize = if many {
            let start = std::time::Instant::now();
            let report = erase_many_sqlite(&eraser, &store, &keys).await?;
            println!(
                "erase_many: {:.1} ms, {} statements in its change set",
                start.elapsed().as_secs_f64() * 1e3,
                store.last_statement_count()
            );
            report.certificates.iter().map(|c| c.records_changed.len()).sum()
        } else {
            let mut n = 0;
            for k in &keys {
                n += erase_one_sqlite(&eraser, &store, k).await?.records_changed.len();
            }
            n
        };
        println!("100 subjects erased on SQLite, {changed} records changed");
        Ok(())
    })
}

#[inline(never)]
async fn erase_many_sqlite(
    eraser: &Eraser<RetentionGuard>,
    store: &pdpo_store::SqlStore,
    keys: &[Key],
) -> Result<pdpo_anonymise::BatchReport, pdpo_anonymise::Error> {
    eraser.erase_many(store, keys, &NoKeys).await
}

#[inline(never)]
async fn erase_one_sqlite(
    eraser: &Eraser<RetentionGuard>,
    store: &pdpo_store::SqlStore,
    key: &Key,
) -> Result<pdpo_anonymise::ErasureCertificate, pdpo_anonymise::Error> {
    eraser.erase(store, key, &NoKeys).await
}
