//! Bench binary: the latency of an audited single-row update against the same update without
//! events, on SQLite and PostgreSQL, measured interleaved.
//!
//! `cargo run --release -p pdpo-bench --bin update_overhead -- [rounds] [block]` runs `rounds`
//! (default 40) rounds; in each, every variant ([`Variant`]) applies `block` (default 100)
//! updates in turn, the order rotating from round to round. Variants run in the same minutes, so
//! a slow spell of the machine (or PostgreSQL's checkpoints and autovacuum) falls on all of them
//! alike, which back-to-back criterion runs cannot promise. Prints, per backend and variant, the
//! median and 90th percentile of single updates, and the overhead of `audited` over `no_events`:
//! the ratio of their medians and the median of the per-round ratios.
//!
//! PostgreSQL at `PDPO_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`),
//! in a database of its own; skipped with a notice when unreachable.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use pdpo_bench::update::{self, Variant};
use pdpo_bench::{PgDatabase, median};
use pdpo_core::{DataStore, FixedClock};
use pdpo_store::{Pool, SqlStore, sqlite_options, sqlx};

type BoxError = Box<dyn std::error::Error>;

/// Runs the rounds on one backend's three stores; returns each variant's single-update
/// latencies and its block medians (one per round).
async fn measure(
    stores: &[(Variant, SqlStore); 3],
    rounds: usize,
    block: usize,
) -> Result<Vec<(Variant, Vec<Duration>, Vec<Duration>)>, BoxError> {
    let mut out: Vec<(Variant, Vec<Duration>, Vec<Duration>)> =
        stores.iter().map(|(v, _)| (*v, Vec::new(), Vec::new())).collect();
    let mut n = 0u64;
    // A warm-up block each: statements prepared, the audit head known, caches filled.
    for (variant, store) in stores {
        for _ in 0..block {
            n += 1;
            store.apply(update::one_update(n, *variant)?).await?;
        }
    }
    for round in 0..rounds {
        for k in 0..stores.len() {
            let i = (round + k) % stores.len();
            let (variant, store) = &stores[i];
            let mut times = Vec::with_capacity(block);
            for _ in 0..block {
                n += 1;
                let change = update::one_update(n, *variant)?;
                let t = Instant::now();
                store.apply(change).await?;
                times.push(t.elapsed());
            }
            out[i].1.extend_from_slice(&times);
            out[i].2.push(median(times));
        }
    }
    Ok(out)
}

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i).copied().unwrap_or_default()
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn report(backend: &str, results: Vec<(Variant, Vec<Duration>, Vec<Duration>)>) {
    let find = |v: Variant| results.iter().find(|r| r.0 == v);
    for (variant, all, _) in &results {
        println!(
            "update_overhead/{backend}_{}: {} updates, median {:.0} µs, p90 {:.0} µs",
            variant.name(),
            all.len(),
            micros(median(all.clone())),
            micros(percentile(all.clone(), 0.9)),
        );
    }
    if let (Some(base), Some(audited)) = (find(Variant::NoEvents), find(Variant::Audited)) {
        let of_medians = micros(median(audited.1.clone())) / micros(median(base.1.clone()));
        let mut per_round: Vec<f64> =
            base.2.iter().zip(&audited.2).map(|(b, a)| micros(*a) / micros(*b)).collect();
        per_round.sort_by(f64::total_cmp);
        let round_median = per_round.get(per_round.len() / 2).copied().unwrap_or(f64::NAN);
        println!(
            "update_overhead/{backend}: audited over no_events {:+.1}% (ratio of medians), {:+.1}% (median of {} per-round ratios)",
            (of_medians - 1.0) * 100.0,
            (round_median - 1.0) * 100.0,
            per_round.len()
        );
    }
}

async fn run(rounds: usize, block: usize) -> Result<(), BoxError> {
    let clock =
        Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 15, 2, 0, 0).single().ok_or("a date")?));
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("update.db").display());
    let pool =
        sqlx::sqlite::SqlitePoolOptions::new().max_connections(4).connect_with(sqlite_options(&url)?).await?;
    let stores = update::stores(Pool::from(pool), clock.clone()).await?;
    report("sqlite", measure(&stores, rounds, block).await?);

    let Some(db) = PgDatabase::create("pdpo_update_overhead").await else {
        eprintln!("update_overhead: PostgreSQL unreachable, skipped");
        return Ok(());
    };
    let result = async {
        let stores = update::stores(Pool::from(db.pool.clone()), clock).await?;
        measure(&stores, rounds, block).await
    }
    .await;
    db.drop().await?;
    report("postgres", result?);
    Ok(())
}

fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let mut number = |name: &str, default: usize| -> Result<usize, BoxError> {
        match args.next() {
            None => Ok(default),
            Some(a) => match a.parse() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!(
                    "update_overhead [rounds] [block]: {name} must be a positive whole number, not `{a}`"
                )
                .into()),
            },
        }
    };
    let rounds = number("rounds", 40)?;
    let block = number("block", 100)?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(run(rounds, block))
}
