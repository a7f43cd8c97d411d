//! Shared helpers: a clock, a ledger request, and reading archives back.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use chrono::{TimeZone, Utc};
use pdpo_core::{Actor, FixedClock, Key};
use pdpo_requests::{Due, Ledger, MemoryRequestStore, NewRequest, Request, RequestKind};

pub(crate) fn clock() -> FixedClock {
    FixedClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap())
}

pub(crate) fn staff() -> Actor {
    Actor::user("staff-7").unwrap()
}

/// An access request for `subjects`, received at the clock's time, and its due date.
pub(crate) fn request(clock: &FixedClock, subjects: Vec<Key>) -> (Request, Due) {
    let ledger = Ledger::new(MemoryRequestStore::new(), clock);
    let req =
        pollster::block_on(ledger.receive(NewRequest::new(RequestKind::Access, subjects), &staff())).unwrap();
    let due = ledger.due(&req).unwrap();
    (req, due)
}

/// Every entry of a ZIP, by name, decompressed with the `zip` crate's reader.
pub(crate) fn unzip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).unwrap();
        assert!(out.insert(name, buf).is_none(), "duplicate entry");
    }
    out
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
