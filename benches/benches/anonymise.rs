//! pdpo-anonymise benches on MemoryStore: erase one subject with ~50 records, a subject with
//! 10,000 records, and a batch of 100 subjects (subjects/s = 100 / median). SQLite figures need
//! a pdpo-store run of the same code.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use pdpo_anonymise::{Anonymiser, Eraser, NoKeys};
use pdpo_core::{
    Actor, ChangeSet, DataStore, FixedClock, Identifier, Key, MemoryStore, Record, SubjectGraph,
};
use pdpo_retention::{HoldSet, Policy, RetentionGuard};
use pdpo_testkit::{Generator, load_memory};

fn eraser(schema: &pdpo_core::Schema, anonymiser: &Anonymiser) -> Eraser<RetentionGuard> {
    let policy = Policy::testkit_default(schema).unwrap();
    let guard = RetentionGuard::new(Arc::new(policy), HoldSet::new());
    let clock = Arc::new(FixedClock::new(pdpo_testkit::reference_now()));
    Eraser::new(anonymiser.clone(), guard, clock, Actor::user("bench").unwrap())
}

/// A store holding one contact with `n` activities and `n` messages, each mentioning a phone.
fn big_subject(n: i64) -> MemoryStore {
    let store = MemoryStore::new(pdpo_testkit::schema());
    let mut cs = ChangeSet::new();
    let id = |s: &str| Identifier::new(s).unwrap();
    cs.insert(
        Record::new(id("contacts"), Key::from(1))
            .with("name_en", "CHAN Tai Man")
            .with("email", "chan.taiman@example.com")
            .with("phone", "+852 9123 4567")
            .with("status", "customer")
            .with("notes", "Prefers WhatsApp on 9123 4567"),
    );
    for i in 0..n {
        cs.insert(
            Record::new(id("activities"), Key::from(1_000_000 + i))
                .with("contact_id", 1)
                .with("body", format!("Call {i}: CHAN Tai Man asked to use 6123 4567 instead")),
        );
        cs.insert(
            Record::new(id("messages"), Key::from(2_000_000 + i))
                .with("sender_id", 1)
                .with("sender_name", "CHAN Tai Man")
                .with("body", format!("Hi, this is Tai Man, my email is chan.taiman@example.com ({i})")),
        );
    }
    pollster::block_on(store.apply(cs)).unwrap();
    store
}

fn bench(c: &mut Criterion) {
    let anonymiser = Anonymiser::hong_kong().unwrap();
    let generator = Generator::new(120, 11);
    let probe = load_memory(&generator).unwrap();
    let (subject, size) = (1..=120)
        .map(|i| (i, pollster::block_on(SubjectGraph::collect(&probe.store, &Key::from(i))).unwrap().len()))
        .min_by_key(|(_, n)| n.abs_diff(50))
        .unwrap();
    let eraser50 = eraser(probe.store.schema(), &anonymiser);

    let mut g = c.benchmark_group("anonymise");
    g.sample_size(20);
    g.bench_function(format!("erase_one_subject_{size}_records_memory"), |b| {
        b.iter_batched(
            || load_memory(&generator).unwrap(),
            |loaded| pollster::block_on(eraser50.erase(&loaded.store, &Key::from(subject), &NoKeys)).unwrap(),
            BatchSize::PerIteration,
        );
    });

    g.sample_size(10);
    let big = eraser(&pdpo_testkit::schema(), &anonymiser);
    g.bench_function("erase_subject_10k_records_memory", |b| {
        b.iter_batched(
            || big_subject(5_000),
            |store| pollster::block_on(big.erase(&store, &Key::from(1), &NoKeys)).unwrap(),
            BatchSize::PerIteration,
        );
    });

    let batch = Generator::new(200, 13);
    let eraser_batch = eraser(probe.store.schema(), &anonymiser);
    g.bench_function("erase_batch_100_subjects_memory", |b| {
        b.iter_batched(
            || load_memory(&batch).unwrap(),
            |loaded| {
                for s in 1..=100 {
                    pollster::block_on(eraser_batch.erase(&loaded.store, &Key::from(s), &NoKeys)).unwrap();
                }
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
