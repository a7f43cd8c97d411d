//! Erases testkit subjects from a MemoryStore once, for instruction counts that do not depend on
//! machine load: `valgrind --tool=callgrind --toggle-collect='*Eraser*erase*' target/release/erase_once one`.
//!
//! `one`: the subject with about 50 records among 120 contacts (as the anonymise bench);
//! `batch`: subjects 1 to 100 among 200 contacts, one by one; `many`: the same subjects with
//! `Eraser::erase_many` (one change set). Prints what was erased.
#![allow(clippy::print_stdout)]

use std::sync::Arc;

use pdpo_anonymise::{Anonymiser, Eraser, NoKeys};
use pdpo_core::{Actor, DataStore, FixedClock, Key, SubjectGraph};
use pdpo_retention::{HoldSet, Policy, RetentionGuard};
use pdpo_testkit::{Generator, load::block_on, load_memory};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mode = std::env::args().nth(1).unwrap_or_default();
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
