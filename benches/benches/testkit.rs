//! pdpo-testkit benches: how fast the sample CRM's data is generated and loaded.
//!
//! `cargo bench -p pdpo-bench --bench testkit`
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pdpo_testkit::{Generator, load_memory};

/// Contacts per iteration: enough to cover every activity level (0.1 % are "extreme").
const CONTACTS: u64 = 2_000;

fn generate(c: &mut Criterion) {
    let generator = Generator::with_default_seed(100_000);
    let mut g = c.benchmark_group("testkit");
    g.throughput(Throughput::Elements(CONTACTS));
    g.sample_size(10);
    let mut start = 1i64;
    g.bench_function("generate/2k contact groups (of 100k)", |b| {
        b.iter(|| {
            // A different slice of the 100k contacts each time, so the mix of activity levels averages out.
            let mut records = 0usize;
            for id in start..start + CONTACTS as i64 {
                records += generator.group(id).unwrap().records.len();
            }
            start = (start + CONTACTS as i64 * 7) % (100_000 - CONTACTS as i64) + 1;
            black_box(records)
        });
    });
    g.bench_function("load_memory/2k contacts", |b| {
        let small = Generator::with_default_seed(CONTACTS);
        b.iter(|| black_box(load_memory(&small).unwrap().stats));
    });
    g.finish();

    let mut single = c.benchmark_group("testkit");
    single.throughput(Throughput::Elements(1));
    single.bench_function("group/random access, one contact", |b| {
        let mut id = 0i64;
        b.iter(|| {
            id = (id + 7_919) % 100_000;
            black_box(generator.group(id + 1).unwrap().records.len())
        });
    });
    single.finish();
}

criterion_group!(benches, generate);
criterion_main!(benches);
