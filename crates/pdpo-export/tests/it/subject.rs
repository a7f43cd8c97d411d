//! Subject access export: round trip against the store, manifest, redaction, report.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use pdpo_core::{
    Actor, AuditAction, AuditEvent, BlobStore, ChangeSet, DataStore, Identifier, Key, MemoryBlobStore,
    MemoryStore, Record, SubjectGraph,
};
use pdpo_export::{Compression, ReportTemplate, SubjectAccess, verify_archive};
use pdpo_testkit::{Generator, load_memory};
use serde_json::Value as J;

use crate::fixture::{clock, contains, request, staff, unzip};

fn id(s: &str) -> Identifier {
    Identifier::new(s).unwrap()
}

/// data.json records as `(entity, key) -> field name -> field object`.
fn data_records(data: &J) -> BTreeMap<(String, String), BTreeMap<String, J>> {
    let mut out = BTreeMap::new();
    for e in data["entities"].as_array().unwrap() {
        let entity = e["entity"].as_str().unwrap().to_owned();
        for r in e["records"].as_array().unwrap() {
            let fields = r["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| (f["name"].as_str().unwrap().to_owned(), f.clone()))
                .collect();
            out.insert((entity.clone(), r["key"].as_str().unwrap().to_owned()), fields);
        }
    }
    out
}

#[test]
fn round_trip_matches_the_store_and_manifest_verifies() {
    let loaded = load_memory(&Generator::new(80, 7)).unwrap();
    // A contact with attachments and at least one shared record holding someone else's field.
    let (subject, graph) = (1..=80)
        .map(|c| (c, pollster::block_on(SubjectGraph::collect(&loaded.store, &Key::from(c))).unwrap()))
        .find(|(_, g)| {
            g.records_of("attachments").count() > 0 && g.records.iter().any(|r| !r.others_fields.is_empty())
        })
        .expect("a contact with attachments and shared records");
    let clock = clock();
    let (req, due) = request(&clock, vec![Key::from(subject)]);
    let staff = staff();
    let done = pollster::block_on(SubjectAccess::new(&req, &due, &staff, &clock).write(
        &loaded.store,
        &loaded.blobs,
        Vec::new(),
    ))
    .unwrap();

    let (manifest, problems) = verify_archive(Cursor::new(&done.output)).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(manifest, done.manifest);
    assert_eq!(manifest.request_id, Some(req.id));
    assert_eq!(manifest.snapshot_at, Some(req.received_at));
    assert_eq!(manifest.due_date, Some(due.date));
    assert_eq!(manifest.generated_at, pdpo_core::Clock::now(&clock));
    assert_eq!(manifest.counts["records"], graph.len() as u64);

    let files = unzip(&done.output);
    for f in &manifest.files {
        assert_eq!(files[&f.path].len() as u64, f.size, "{}", f.path);
    }
    for name in ["data.json", "audit.json", "report.html", "manifest.json"] {
        assert!(files.contains_key(name), "{name}");
    }
    // Every file but the manifest is listed.
    assert_eq!(files.len(), manifest.files.len() + 1);

    let data: J = serde_json::from_slice(&files["data.json"]).unwrap();
    assert_eq!(data["request"]["id"], J::String(req.id.to_string()));
    let records = data_records(&data);
    assert_eq!(records.len(), graph.len());
    let mut attachments = 0;
    for sr in &graph.records {
        let fields = &records[&(sr.record.entity.to_string(), sr.record.key.to_string())];
        assert_eq!(fields.len(), sr.record.values.len());
        for (col, value) in &sr.record.values {
            let f = &fields[col];
            if sr.others_fields.iter().any(|o| o.as_str() == col) {
                assert_eq!(f["value"], J::Null, "{col} must be withheld");
                assert_eq!(f["redacted"], J::Bool(true));
                assert!(f["note"]["en"].as_str().unwrap().contains("s.20(1)(b)"));
            } else if f["redacted"] == J::Bool(false) {
                assert_eq!(f["value"], value.to_json(), "{}[{}].{col}", sr.record.entity, sr.record.key);
            }
        }
        // Categories and purposes travel with personal fields, purposes with descriptions.
        if sr.record.entity == "contacts" {
            let email = &fields["email"];
            assert_eq!(email["categories"][0]["code"], "email");
            assert!(!email["purposes"][0]["description"].as_str().unwrap().is_empty());
        }
        if sr.record.entity == "attachments" {
            let f = &fields["blob_id"];
            let path = f["exported_as"].as_str().unwrap();
            let blob = sr.record.get("blob_id").unwrap().as_text().unwrap();
            let mut want = Vec::new();
            pollster::block_on(loaded.blobs.open(blob)).unwrap().read_to_end(&mut want).unwrap();
            assert_eq!(files[path], want, "{path}");
            attachments += 1;
        }
    }
    assert!(attachments > 0);
    assert_eq!(done.event.action, AuditAction::Export);
    assert_eq!(done.event.request, Some(req.id));
    assert_eq!(done.event.subject, Some(Key::from(subject)));
    assert!(done.link.is_none());
}

/// Two contacts who wrote to each other, share a conversation and a deal.
pub(crate) fn shared_fixture() -> (MemoryStore, MemoryBlobStore) {
    let store = MemoryStore::new(pdpo_testkit::schema());
    let mut cs = ChangeSet::new();
    let contact = |n: i64, name: &str, notes: &str| {
        Record::new(id("contacts"), Key::from(n))
            .with("id", n)
            .with("name_en", name)
            .with("status", "customer")
            .with("notes", notes)
    };
    cs.insert(contact(1, "Alice Chan", "<script>alert('pwned')</script> prefers email"));
    cs.insert(contact(2, "Bob Wong", "Bob's own notes QQ-BOB-NOTES"));
    cs.insert(Record::new(id("conversations"), Key::from(10)).with("id", 10).with("topic", "renewal"));
    for c in [1, 2] {
        cs.insert(
            Record::new(id("conversation_participants"), Key::composite([10.into(), c.into()]))
                .with("conversation_id", 10)
                .with("contact_id", c),
        );
    }
    let message = |n: i64, from: i64, to: i64, name: &str, addr: &str| {
        Record::new(id("messages"), Key::from(n))
            .with("id", n)
            .with("conversation_id", 10)
            .with("sender_id", from)
            .with("recipient_id", to)
            .with("body", "see you at the branch")
            .with("sender_name", name)
            .with("recipient_address", addr)
    };
    cs.insert(message(100, 1, 2, "ALICE-SENDER-NAME", "bob.private.QQ@example.hk"));
    cs.insert(message(101, 2, 1, "BOB-SENDER-NAME-XYZ", "alice.inbox@example.hk"));
    cs.insert(
        Record::new(id("deals"), Key::from(5))
            .with("id", 5)
            .with("contact_ids", serde_json::json!([1, 2]))
            .with("notes", "joint policy"),
    );
    pollster::block_on(store.apply(cs)).unwrap();
    (store, MemoryBlobStore::new())
}

#[test]
fn the_other_persons_values_never_appear_in_the_zip() {
    let (store, blobs) = shared_fixture();
    let clock = clock();
    let (req, due) = request(&clock, vec![Key::from(1)]);
    let staff = staff();
    let now = pdpo_core::Clock::now(&clock);
    let events = [
        AuditEvent::new(AuditAction::Disclose, staff.clone(), now)
            .with_subject(Key::from(1))
            .with_recipient(id("insurer"))
            .with_fields(["name_en"])
            .unwrap(),
        AuditEvent::new(AuditAction::View, Actor::user("QQ-bob-only-actor").unwrap(), now)
            .with_subject(Key::from(2)),
    ];
    let done = pollster::block_on(
        SubjectAccess::new(&req, &due, &staff, &clock).events(&events).compression(Compression::Store).write(
            &store,
            &blobs,
            Vec::new(),
        ),
    )
    .unwrap();
    let zip = &done.output;
    // Stored (uncompressed), so Alice's own values are visible in the raw bytes: the check can fail.
    for mine in ["ALICE-SENDER-NAME", "alice.inbox@example.hk", "Alice Chan"] {
        assert!(contains(zip, mine.as_bytes()), "{mine} should be in the copy");
    }
    for theirs in
        ["BOB-SENDER-NAME-XYZ", "bob.private.QQ@example.hk", "Bob Wong", "QQ-BOB-NOTES", "QQ-bob-only-actor"]
    {
        assert!(!contains(zip, theirs.as_bytes()), "{theirs} leaked into the raw archive");
        for (name, bytes) in unzip(zip) {
            assert!(!contains(&bytes, theirs.as_bytes()), "{theirs} leaked into {name}");
        }
    }
    let files = unzip(zip);
    let data: J = serde_json::from_slice(&files["data.json"]).unwrap();
    let records = data_records(&data);
    let m100 = &records[&("messages".to_owned(), "100".to_owned())];
    assert_eq!(m100["recipient_address"]["value"], J::Null);
    assert_eq!(m100["recipient_id"]["value"], J::Null, "the other person's key is withheld");
    assert_eq!(m100["sender_id"]["value"], J::from(1));
    let deal = &records[&("deals".to_owned(), "5".to_owned())];
    assert_eq!(deal["contact_ids"]["value"], serde_json::json!([1, null]));
    assert_eq!(deal["contact_ids"]["redacted"], J::Bool(true));
    assert!(done.manifest.counts["redacted_fields"] >= 4);
    assert!(done.manifest.notes.iter().any(|n| n.contains("s.20(1)(b)")));

    let audit: J = serde_json::from_slice(&files["audit.json"]).unwrap();
    let audit = audit.as_array().unwrap();
    assert_eq!(audit.len(), 1, "only events about the requester");
    assert_eq!(audit[0]["recipient_class"], "insurer");
    assert_eq!(audit[0]["fields"], serde_json::json!(["name_en"]));
    assert_eq!(audit[0]["who"]["id"], "staff-7");
}

#[test]
fn report_has_both_languages_and_escapes_planted_markup() {
    let (store, blobs) = shared_fixture();
    let clock = clock();
    let (req, due) = request(&clock, vec![Key::from(1)]);
    let staff = staff();
    let done = pollster::block_on(
        SubjectAccess::new(&req, &due, &staff, &clock)
            .explain("contacts", "status", "customer", "has bought from us")
            .write(&store, &blobs, Vec::new()),
    )
    .unwrap();
    let files = unzip(&done.output);
    let html = String::from_utf8(files["report.html"].clone()).unwrap();
    for heading in [
        "Your personal data",
        "你的個人資料",
        "Records we hold about you",
        "我們持有關於你的紀錄",
        "Who used your data",
        "使用你資料的紀錄",
        "Information withheld",
        "已遮蓋的資料",
    ] {
        assert!(html.contains(heading), "missing heading {heading}");
    }
    assert!(html.contains("&lt;script&gt;alert("), "planted markup must be escaped");
    assert!(!html.contains("<script"), "no script element at all");
    for external in [" src=", "href=", "@import", "url("] {
        assert!(!html.contains(external), "external resource marker {external}");
    }
    assert!(html.contains("has bought from us"), "code meanings are shown");
    let data: J = serde_json::from_slice(&files["data.json"]).unwrap();
    let c1 = &data_records(&data)[&("contacts".to_owned(), "1".to_owned())];
    assert_eq!(c1["status"]["meaning"], "has bought from us");
}

#[test]
fn a_replacement_template_is_used_and_still_escapes() {
    let (store, blobs) = shared_fixture();
    let clock = clock();
    let (req, due) = request(&clock, vec![Key::from(1)]);
    let staff = staff();
    let template = ReportTemplate::from_source(
        "<h1>Acme 資料</h1>{% for e in entities %}{% for r in e.records %}{% for f in r.fields %}[{{ f.text }}]{% endfor %}{% endfor %}{% endfor %}",
    )
    .unwrap();
    let done = pollster::block_on(SubjectAccess::new(&req, &due, &staff, &clock).template(&template).write(
        &store,
        &blobs,
        Vec::new(),
    ))
    .unwrap();
    let html = String::from_utf8(unzip(&done.output)["report.html"].clone()).unwrap();
    assert!(html.starts_with("<h1>Acme 資料</h1>"));
    assert!(html.contains("[&lt;script&gt;"));
    assert!(!html.contains("<script"));
}

#[test]
fn duplicate_subject_keys_merge_and_nothing_is_withheld_between_them() {
    let (store, blobs) = shared_fixture();
    let clock = clock();
    // Contacts 1 and 2 resolved as the same person: both keys in one request.
    let (req, due) = request(&clock, vec![Key::from(1), Key::from(2)]);
    let staff = staff();
    let done = pollster::block_on(
        SubjectAccess::new(&req, &due, &staff, &clock).compression(Compression::Store).write(
            &store,
            &blobs,
            Vec::new(),
        ),
    )
    .unwrap();
    assert!(contains(&done.output, b"bob.private.QQ@example.hk"));
    assert_eq!(done.manifest.counts["redacted_fields"], 0);
    assert_eq!(done.manifest.subjects, vec!["1".to_owned(), "2".to_owned()]);
}

#[test]
fn missing_subject_and_missing_blob_are_errors_naming_no_values() {
    let (store, blobs) = shared_fixture();
    let clock = clock();
    let staff = staff();
    let (req, due) = request(&clock, vec![Key::from(99)]);
    let err =
        pollster::block_on(SubjectAccess::new(&req, &due, &staff, &clock).write(&store, &blobs, Vec::new()))
            .unwrap_err();
    assert!(matches!(err, pdpo_export::Error::Store { .. }), "{err}");

    let mut cs = ChangeSet::new();
    cs.insert(
        Record::new(id("attachments"), Key::from(7))
            .with("id", 7)
            .with("contact_id", 1)
            .with("blob_id", "att-missing")
            .with("file_name", "secret-name.pdf"),
    );
    pollster::block_on(store.apply(cs)).unwrap();
    let (req, due) = request(&clock, vec![Key::from(1)]);
    let err =
        pollster::block_on(SubjectAccess::new(&req, &due, &staff, &clock).write(&store, &blobs, Vec::new()))
            .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("`attachments` record 7"), "{msg}");
    assert!(!msg.contains("secret-name"), "{msg}");
}
