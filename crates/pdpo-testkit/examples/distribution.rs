//! Prints the generation rate and the records-per-contact distribution of the sample CRM.
//!
//! ```text
//! cargo run -p pdpo-testkit --example distribution --release -- 100000 [seed]
//! ```
//!
//! Streams the groups (bounded memory), so it also runs for 1,000,000 contacts.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::time::Instant;

use pdpo_testkit::{Activity, DEFAULT_SEED, Generator};

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.replace('_', "").parse().ok()).unwrap_or(100_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(DEFAULT_SEED);
    let generator = Generator::new(n, seed);

    let start = Instant::now();
    let mut sizes = Vec::with_capacity(n as usize);
    let mut messages = Vec::with_capacity(n as usize);
    let mut per_entity: BTreeMap<String, u64> = BTreeMap::new();
    let mut per_activity: BTreeMap<Activity, (u64, u64)> = BTreeMap::new();
    let (mut blobs, mut blob_bytes, mut texts, mut spans) = (0u64, 0u64, 0u64, 0u64);
    for g in generator.groups() {
        sizes.push(g.records.len() as u64);
        messages.push(g.records_of("messages").count() as u64);
        for r in &g.records {
            *per_entity.entry(r.entity.to_string()).or_default() += 1;
        }
        let a = per_activity.entry(g.activity).or_default();
        a.0 += 1;
        a.1 += g.records.len() as u64;
        blobs += g.blobs.len() as u64;
        blob_bytes += g.blobs.iter().map(|b| b.bytes.len() as u64).sum::<u64>();
        texts += g.texts.len() as u64;
        spans += g.texts.iter().map(|t| t.spans.len() as u64).sum::<u64>();
    }
    let elapsed = start.elapsed();
    let duplicates = generator.duplicates().count();

    let total: u64 = sizes.iter().sum();
    sizes.sort_unstable();
    messages.sort_unstable();
    let secs = elapsed.as_secs_f64();
    println!("contacts: {n} (seed {seed})");
    println!(
        "generated {total} records in {secs:.2} s: {:.0} contacts/s, {:.0} records/s",
        n as f64 / secs,
        total as f64 / secs
    );
    println!();
    let row = |label: &str, v: &[u64]| {
        let mean = v.iter().sum::<u64>() as f64 / v.len().max(1) as f64;
        println!(
            "| {label} | {mean:.1} | {} | {} | {} | {} |",
            percentile(v, 0.5),
            percentile(v, 0.9),
            percentile(v, 0.99),
            v.last().copied().unwrap_or(0)
        );
    };
    println!("| per contact | mean | p50 | p90 | p99 | max |");
    println!("|---|---|---|---|---|---|");
    row("records (group size)", &sizes);
    row("messages", &messages);
    println!();
    println!("| activity | contacts | records | mean records |");
    println!("|---|---|---|---|");
    for (a, (c, r)) in &per_activity {
        println!("| {a:?} | {c} | {r} | {:.1} |", *r as f64 / *c as f64);
    }
    println!();
    println!("| entity | records |");
    println!("|---|---|");
    for (e, c) in &per_entity {
        println!("| {e} | {c} |");
    }
    println!();
    println!("blobs: {blobs} ({:.1} MiB)", blob_bytes as f64 / (1024.0 * 1024.0));
    println!("free-text values with ground truth: {texts} ({spans} PII spans)");
    println!("duplicate pairs: {duplicates}");
}
