//! pdpo-retention on SQLite (bench binary, medians): the testkit CRM loaded into a SQLite file,
//! then the testkit default policy planned end to end (every entity scanned with `scan_page`,
//! every record evaluated, summary kept), as a dry run.
//!
//! `cargo bench -p pdpo-bench --bench retention_sqlite`; `PDPO_RETENTION_CONTACTS` sets the size
//! (default 10,000 contacts; the figure is 100,000), `PDPO_RETENTION_RUNS` the runs
//! (default 3), `PDPO_RETENTION_PAGE` the page size (default 1,000).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, missing_docs)]

use std::time::Instant;

use pdpo_bench::{cpu_time, median, runtime, sqlite_crm};
use pdpo_core::DataStore;
use pdpo_retention::{HoldSet, Outcome, PlanSummary, Policy, RetentionPlan};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes test-harness flags: run only
    // when benchmarking.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let contacts = env("PDPO_RETENTION_CONTACTS", 10_000);
    let runs = env("PDPO_RETENTION_RUNS", 3).max(1);
    let page = usize::try_from(env("PDPO_RETENTION_PAGE", 1_000)).unwrap();
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let crm = rt.block_on(sqlite_crm(dir.path(), "retention", contacts)).unwrap();
    println!("loaded {contacts} contacts into SQLite: {} records in {:?}", crm.stats.records, crm.load_time);
    let policy = Policy::testkit_default(crm.store.schema()).unwrap();
    let holds = HoldSet::new();
    let now = pdpo_testkit::reference_now();
    // The floor: the same scan without evaluating anything (twice: the first warms the caches;
    // the second also times evaluation apart, page by page).
    for pass in ["cold", "warm"] {
        let (t, cpu) = (Instant::now(), cpu_time());
        let mut scanned = 0u64;
        let mut evaluating = std::time::Duration::ZERO;
        let mut summary = PlanSummary::new(20);
        for entity in policy.entities() {
            let mut after = None;
            loop {
                let page = rt.block_on(crm.store.scan_page(entity, after.as_ref(), page)).unwrap();
                scanned += page.records.len() as u64;
                if pass == "warm" {
                    // What evaluation adds, timed apart from the scan.
                    let t = Instant::now();
                    for r in &page.records {
                        summary.add(&policy.evaluate(r, &holds, now));
                    }
                    evaluating += t.elapsed();
                }
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
        }
        assert_eq!(scanned, crm.stats.records);
        let (wall, cpu) = (t.elapsed(), cpu_time().zip(cpu).map(|(b, a)| b - a));
        let wall = wall - evaluating;
        println!(
            "  scan only, {pass} (every entity, page {page}): {wall:?} ({:.0} records/s); process CPU {cpu:?} (warm: with evaluation)",
            scanned as f64 / wall.as_secs_f64()
        );
        if pass == "warm" {
            assert_eq!(summary.records, scanned);
            println!(
                "  evaluation + summary alone: {evaluating:?} ({:.0} records/s, {:.2} µs a record)",
                scanned as f64 / evaluating.as_secs_f64(),
                evaluating.as_secs_f64() * 1e6 / scanned as f64
            );
        }
    }
    let mut times = Vec::new();
    for _ in 0..runs {
        let (t, cpu) = (Instant::now(), cpu_time());
        let mut plan = RetentionPlan::new(&policy, now, 20);
        rt.block_on(plan.run_to_end(&policy, &holds, &crm.store, page)).unwrap();
        let elapsed = t.elapsed();
        let cpu = cpu_time().zip(cpu).map(|(b, a)| b - a);
        let s = plan.summary();
        assert_eq!(s.records, crm.stats.records);
        println!(
            "  run: {elapsed:?} ({:.0} records/s), CPU {cpu:?}; due {}, scheduled {}, kept {}, retained {}, no policy {}, executable {}",
            s.records as f64 / elapsed.as_secs_f64(),
            s.outcome(Outcome::Due),
            s.outcome(Outcome::Scheduled),
            s.outcome(Outcome::Kept),
            s.outcome(Outcome::Retained),
            s.outcome(Outcome::NoPolicy),
            s.executable,
        );
        times.push(elapsed);
    }
    let m = median(times);
    println!(
        "retention plan, {contacts} contacts ({} records), SQLite file, page {page}: median {m:?} over {runs} runs ({:.0} records/s)",
        crm.stats.records,
        crm.stats.records as f64 / m.as_secs_f64()
    );
}
