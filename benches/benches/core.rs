//! pdpo-core benches.
#![allow(missing_docs)]
use criterion::{Criterion, criterion_group, criterion_main};

fn placeholder(c: &mut Criterion) {
    c.bench_function("identifier", |b| b.iter(|| pdpo_core::Identifier::new("contacts.email")));
}

criterion_group!(benches, placeholder);
criterion_main!(benches);
