//! A store that implements only the required methods and returns short pages, as a SQL store
//! reading with LIMIT would: verification, queries and retention give the same answers through
//! the default `scan` as through the memory store's own.

use std::future::Future;

use pdpo_audit::{
    AuditStore, Chain, EntryRow, Head, MemoryAuditStore, Month, Partition, Query, Result, Retention, Scope,
    Seal, query, verify,
};
use pdpo_core::AuditEvent;

use super::fixture;

struct Paged(MemoryAuditStore);

impl AuditStore for Paged {
    fn chain(&self) -> &Chain {
        self.0.chain()
    }
    fn append(&self, events: &[AuditEvent]) -> impl Future<Output = Result<Head>> + Send {
        self.0.append(events)
    }
    fn head(&self) -> impl Future<Output = Result<Head>> + Send {
        self.0.head()
    }
    fn seals(&self) -> impl Future<Output = Result<Vec<Seal>>> + Send {
        self.0.seals()
    }
    fn partitions(&self) -> impl Future<Output = Result<Vec<Partition>>> + Send {
        self.0.partitions()
    }
    fn read(
        &self,
        month: Month,
        offset: u64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<EntryRow>>> + Send {
        self.0.read(month, offset, limit.min(5))
    }
    fn seal_ended(&self) -> impl Future<Output = Result<Option<Seal>>> + Send {
        self.0.seal_ended()
    }
    fn drop_partition(&self, month: Month) -> impl Future<Output = Result<bool>> + Send {
        self.0.drop_partition(month)
    }
}

#[test]
fn paged_reads_give_the_same_answers() {
    let fx = fixture::build(3, 12);
    let clean = fx.snapshot();
    let apr = Month::new(2026, 4).unwrap();
    let mut tampered = Vec::new();
    for i in [0, 4, 5, 11] {
        let mut s = clean.clone();
        s.partitions.get_mut(&apr).unwrap()[i].body[3] ^= 1;
        tampered.push(s);
        let mut s = clean.clone();
        s.partitions.get_mut(&apr).unwrap().remove(i);
        tampered.push(s);
        let mut s = clean.clone();
        s.partitions.get_mut(&apr).unwrap().swap(i, (i + 6) % 12);
        tampered.push(s);
    }
    tampered.push(clean);
    for snap in tampered {
        let direct = fx.load(snap.clone());
        let paged = Paged(fx.load(snap));
        let a = pollster::block_on(verify(&direct, Scope::All)).unwrap();
        let b = pollster::block_on(verify(&paged, Scope::All)).unwrap();
        assert_eq!(a, b);
        let q = Query::new().action(pdpo_core::AuditAction::View);
        assert_eq!(
            pollster::block_on(query(&direct, &q)).unwrap(),
            pollster::block_on(query(&paged, &q)).unwrap()
        );
    }

    let paged = Paged(fx.load(fx.snapshot()));
    let now = Month::new(2027, 6).unwrap().start();
    let run = pollster::block_on(Retention::default().run(&paged, now)).unwrap();
    assert_eq!(run.dropped.len(), 3);
    assert!(pollster::block_on(verify(&paged, Scope::All)).unwrap().is_clean());
}
