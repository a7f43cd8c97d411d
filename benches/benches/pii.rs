//! pdpo-pii benches: scanner construction, scan throughput on mixed Hong Kong CRM text (English,
//! Traditional Chinese, mixed Cantonese-English; about one identifier per 250 bytes), on dense text
//! (an identifier every ~50 bytes), and validators.
#![allow(missing_docs, clippy::unwrap_used)]
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pdpo_bench::pii_corpus as corpus;
use pdpo_pii::{Scanner, validate};

fn construction(c: &mut Criterion) {
    c.bench_function("pii/scanner_construction", |b| b.iter(|| black_box(Scanner::hong_kong().unwrap())));
}

fn scan(c: &mut Criterion) {
    let scanner = Scanner::hong_kong().unwrap();
    let mut g = c.benchmark_group("pii/scan");
    for (name, text) in [("mixed_crm_1MiB", corpus(1 << 20, false)), ("dense_1MiB", corpus(1 << 20, true))] {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(name, |b| b.iter(|| black_box(scanner.scan(black_box(&text)))));
    }
    // Many short texts (a CRM note field each), as the JSONL path and the inventory see them.
    let notes: Vec<String> = corpus(1 << 20, false).lines().map(str::to_owned).collect();
    let bytes: usize = notes.iter().map(String::len).sum();
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("mixed_crm_notes", |b| {
        b.iter(|| notes.iter().map(|n| scanner.scan(black_box(n)).len()).sum::<usize>())
    });
    g.finish();
}

fn validators(c: &mut Criterion) {
    c.bench_function("pii/validate_hkid", |b| b.iter(|| validate::hkid(black_box("A123456(3)"))));
    c.bench_function("pii/validate_mainland_id", |b| {
        b.iter(|| validate::mainland_id(black_box("11010519491231002X")))
    });
    c.bench_function("pii/validate_luhn", |b| b.iter(|| validate::luhn(black_box("4539 3195 0343 6467"))));
}

criterion_group!(benches, construction, scan, validators);
criterion_main!(benches);
