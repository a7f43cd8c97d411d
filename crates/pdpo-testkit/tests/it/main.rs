//! Integration tests of the sample CRM: schema, determinism, validity, referential integrity,
//! subject graphs across every link kind, duplicates and ground truth.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use pdpo_core::{DataStore, Key, KeyValue, PiiCategory, Record, Schema, SubjectGraph, Value};
use pdpo_testkit::ids::{
    PhoneClass, cn_ric_check_char, hk_phone_class, hk_phone_digits, hkid_is_valid, luhn_is_valid,
};
use pdpo_testkit::load::block_on;
use pdpo_testkit::{
    ContactGroup, DuplicateKind, FOREIGN_KEYS, Generator, ID_STRIDE, Loaded, REFERENCE_NOW_SECS, STAFF_COUNT,
    load_memory, schema,
};

const N: u64 = 2_000;
const SEED: u64 = 20_240_401;

fn generator() -> Generator {
    Generator::new(N, SEED)
}

fn groups() -> &'static [ContactGroup] {
    static G: OnceLock<Vec<ContactGroup>> = OnceLock::new();
    G.get_or_init(|| generator().groups().collect())
}

fn loaded() -> &'static Loaded {
    static L: OnceLock<Loaded> = OnceLock::new();
    L.get_or_init(|| load_memory(&generator()).unwrap())
}

fn all_records(loaded: &Loaded, entity: &str) -> Vec<Record> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = block_on(loaded.store.scan_page(entity, after.as_ref(), 10_000)).unwrap();
        out.extend(page.records);
        match page.next {
            Some(k) => after = Some(k),
            None => return out,
        }
    }
}

fn text<'a>(r: &'a Record, col: &str) -> Option<&'a str> {
    r.get(col).and_then(Value::as_text)
}

#[test]
fn schema_loads_and_validates() {
    let s = Schema::from_toml_str(pdpo_testkit::SCHEMA_TOML, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.entities(), schema().entities());
    let contacts = s.subject_entity();
    for f in [
        "name_en",
        "name_zh",
        "hkid",
        "phone",
        "email",
        "address",
        "date_of_birth",
        "notes",
        "custom_fields",
        "extra_emails",
    ] {
        assert!(contacts.field(f).is_some_and(|f| f.is_personal()), "contacts.{f}");
    }
    assert!(contacts.field("hkid").unwrap().encrypt);
    assert!(contacts.field("date_of_birth").unwrap().encrypt);
    let order: Vec<&str> = s.traversal_order().map(|e| e.name.as_str()).collect();
    for e in [
        "companies",
        "deals",
        "conversations",
        "messages",
        "attachments",
        "invoices",
        "invoice_lines",
        "marketing_consents",
        "activities",
    ] {
        assert!(order.contains(&e), "{e} is reachable from the subject");
    }
    assert!(!order.contains(&"staff_users"));
    assert!(s.purposes().len() >= 5);
}

#[test]
fn same_seed_same_data_different_seed_different_data() {
    let a: Vec<ContactGroup> = Generator::new(300, 1).groups().collect();
    let b: Vec<ContactGroup> = Generator::new(300, 1).groups().collect();
    let c: Vec<ContactGroup> = Generator::new(300, 2).groups().collect();
    let recs = |g: &[ContactGroup]| g.iter().flat_map(|g| g.records.clone()).collect::<Vec<_>>();
    assert_eq!(recs(&a), recs(&b));
    assert_eq!(
        a.iter().flat_map(|g| g.blobs.clone()).collect::<Vec<_>>(),
        b.iter().flat_map(|g| g.blobs.clone()).collect::<Vec<_>>()
    );
    assert_ne!(recs(&a), recs(&c));
    assert_eq!(Generator::new(300, 1).staff(), Generator::new(300, 1).staff());
    // Random access gives the streamed group.
    let g = Generator::new(300, 1);
    for id in [1, 2, 150, 299, 300] {
        assert_eq!(g.group(id).unwrap().records, a[id as usize - 1].records);
    }
    assert!(g.group(0).is_none() && g.group(301).is_none());
}

#[test]
fn keys_are_unique_and_follow_the_stride() {
    let mut seen = BTreeSet::new();
    for g in groups() {
        for r in &g.records {
            assert!(seen.insert((r.entity.clone(), r.key.clone())), "{} twice", r.reference());
            if let [KeyValue::Int(k)] = r.key.parts()
                && !matches!(r.entity.as_str(), "contacts" | "companies")
            {
                assert_eq!(k / ID_STRIDE, g.contact_id, "{}", r.reference());
            }
        }
    }
}

#[test]
fn every_hkid_validates_and_numbers_are_hong_kong() {
    let mut hkids = 0;
    let mut hkid_owner: HashMap<String, i64> = HashMap::new();
    for g in groups() {
        let c = g.contact().unwrap();
        if let Some(h) = text(c, "hkid") {
            assert!(hkid_is_valid(h), "contact {}: {h}", g.contact_id);
            hkids += 1;
            // One HKID per person: only duplicates of the same person share one.
            let root = g.duplicate_of.map_or(g.contact_id, |d| d.original);
            assert_eq!(*hkid_owner.entry(h.to_owned()).or_insert(root), root, "HKID shared by two persons");
        }
        let phone = text(c, "phone").unwrap();
        assert!(hk_phone_class(phone).is_some(), "{phone}");
        let email = text(c, "email").unwrap().to_lowercase();
        assert!(email.ends_with(".example") || email.contains("@example."), "{email}");
        assert!(text(c, "name_en").unwrap().chars().next().unwrap().is_ascii_uppercase());
        let status = text(c, "status").unwrap();
        assert!(matches!(status, "lead" | "customer"));
        for t in ["created_at", "updated_at", "last_activity_at"] {
            assert!(c.get(t).unwrap().as_timestamp().unwrap().timestamp() < REFERENCE_NOW_SECS, "{t}");
        }
        assert!(matches!(c.get("custom_fields"), Some(Value::Json(serde_json::Value::Object(_)))));
        assert!(matches!(c.get("extra_emails"), Some(Value::Json(serde_json::Value::Array(_)))));
    }
    assert!(hkids > N as usize / 2, "{hkids}");
}

#[test]
fn every_foreign_key_resolves_in_the_loaded_store() {
    let loaded = loaded();
    let total: usize = groups().iter().map(ContactGroup::len).sum();
    assert_eq!(loaded.stats.records as usize, total + STAFF_COUNT as usize);
    let mut checked = 0;
    for (table, cols, to) in FOREIGN_KEYS {
        let wanted: BTreeSet<Key> = all_records(loaded, table)
            .iter()
            .filter_map(|r| Key::from_values(cols.iter().map(|c| r.get(c).unwrap_or(&Value::Null))))
            .collect();
        let wanted: Vec<Key> = wanted.into_iter().collect();
        let found = block_on(loaded.store.fetch(to, &wanted)).unwrap();
        assert_eq!(found.len(), wanted.len(), "{table}.{cols:?} -> {to}: dangling keys");
        checked += wanted.len();
    }
    // The array link: deals.contact_ids.
    for d in all_records(loaded, "deals") {
        let Some(Value::Json(serde_json::Value::Array(ids))) = d.get("contact_ids") else {
            panic!("contact_ids")
        };
        let keys: Vec<Key> = ids.iter().map(|v| Key::from(v.as_i64().unwrap())).collect();
        assert!(!keys.is_empty());
        assert_eq!(block_on(loaded.store.fetch("contacts", &keys)).unwrap().len(), keys.len());
        checked += keys.len();
    }
    assert!(checked > 10_000, "{checked}");
    // Blobs.
    for a in all_records(loaded, "attachments") {
        assert!(loaded.blobs.contains(text(&a, "blob_id").unwrap()));
    }
}

#[test]
fn one_hkid_scan_per_contact_with_an_hkid() {
    for g in groups() {
        let has_hkid = g.contact().unwrap().get("hkid").is_some_and(|v| !v.is_null());
        let scans: Vec<&Record> =
            g.records_of("attachments").filter(|a| text(a, "kind") == Some("hkid_scan")).collect();
        assert_eq!(scans.len(), usize::from(has_hkid), "contact {}", g.contact_id);
        if let Some(scan) = scans.first() {
            let blob = g.blobs.iter().find(|b| Some(b.id.as_str()) == text(scan, "blob_id")).unwrap();
            assert!(blob.bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
            assert!(blob.categories.contains(&PiiCategory::Hkid));
        }
    }
}

/// Records about contact `c` according to the data itself (independent of SubjectGraph).
fn expected_graph(loaded: &Loaded, c: i64) -> BTreeSet<(String, Key)> {
    let is_c = |r: &Record, col: &str| r.get(col).and_then(Value::as_int) == Some(c);
    let mut out = BTreeSet::new();
    let mut add = |r: &Record| {
        out.insert((r.entity.to_string(), r.key.clone()));
    };
    let contact = block_on(loaded.store.fetch("contacts", &[Key::from(c)])).unwrap().remove(0);
    add(&contact);
    if let Some(company) = contact.get("company_id").and_then(Value::as_int) {
        add(&block_on(loaded.store.fetch("companies", &[Key::from(company)])).unwrap()[0]);
    }
    for d in all_records(loaded, "deals") {
        if d.get("contact_ids")
            .and_then(Value::as_json)
            .unwrap()
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(c))
        {
            add(&d);
        }
    }
    let mut convs = BTreeSet::new();
    for p in all_records(loaded, "conversation_participants") {
        if is_c(&p, "contact_id") {
            convs.insert(p.get("conversation_id").and_then(Value::as_int).unwrap());
            add(&p);
        }
    }
    for conv in all_records(loaded, "conversations") {
        if convs.contains(&conv.get("id").and_then(Value::as_int).unwrap()) {
            add(&conv);
        }
    }
    for m in all_records(loaded, "messages") {
        let in_conv = convs.contains(&m.get("conversation_id").and_then(Value::as_int).unwrap());
        if is_c(&m, "sender_id") || is_c(&m, "recipient_id") || in_conv {
            add(&m);
        }
    }
    let mut invoices = BTreeSet::new();
    for e in ["attachments", "invoices", "marketing_consents", "activities"] {
        for r in all_records(loaded, e) {
            if is_c(&r, "contact_id") {
                if e == "invoices" {
                    invoices.insert(r.get("id").and_then(Value::as_int).unwrap());
                }
                add(&r);
            }
        }
    }
    for l in all_records(loaded, "invoice_lines") {
        if invoices.contains(&l.get("invoice_id").and_then(Value::as_int).unwrap()) {
            add(&l);
        }
    }
    out
}

#[test]
fn subject_graph_reaches_every_link_kind() {
    let loaded = loaded();
    // A contact with a company, a deal shared with another contact, a conversation with another
    // contact, a message from another contact, invoices and attachments.
    let candidate = groups().iter().map(|g| g.contact_id).rev().find(|&c| {
        let graph = block_on(SubjectGraph::collect(&loaded.store, &Key::from(c))).unwrap();
        let has = |e: &str| graph.records_of(e).next().is_some();
        let shared_deal = graph.records_of("deals").any(|d| {
            d.record
                .get("contact_ids")
                .and_then(Value::as_json)
                .and_then(|j| j.as_array())
                .is_some_and(|a| a.len() > 1)
        });
        let from_other = graph.records_of("messages").any(|m| {
            m.record.get("recipient_id").and_then(Value::as_int) == Some(c)
                && m.record.get("sender_id").and_then(Value::as_int).is_some_and(|s| s != c)
        });
        [
            "companies",
            "conversations",
            "conversation_participants",
            "invoices",
            "invoice_lines",
            "attachments",
        ]
        .iter()
        .all(|e| has(e))
            && shared_deal
            && from_other
    });
    let c = candidate.expect("some contact exercises every link kind");
    let graph = block_on(SubjectGraph::collect(&loaded.store, &Key::from(c))).unwrap();
    let got: BTreeSet<(String, Key)> =
        graph.records.iter().map(|r| (r.record.entity.to_string(), r.record.key.clone())).collect();
    assert_eq!(got, expected_graph(loaded, c), "contact {c}");

    let via = |e: &str| {
        graph.records_of(e).flat_map(|r| r.via.iter().map(ToString::to_string)).collect::<BTreeSet<_>>()
    };
    assert!(via("companies").contains("employees"));
    assert!(via("deals").contains("contacts"));
    assert!(via("conversations").contains("participants"));
    assert!(
        via("messages").is_superset(&BTreeSet::from(["recipient".to_owned(), "conversation".to_owned()]))
    );

    // A message from another contact to `c`: its sender's name is someone else's data.
    let m = graph
        .records_of("messages")
        .find(|m| {
            m.record.get("recipient_id").and_then(Value::as_int) == Some(c)
                && m.record.get("sender_id").and_then(Value::as_int).is_some_and(|s| s != c)
        })
        .unwrap();
    assert!(m.others_fields.iter().any(|f| f == "sender_name"), "{m:?}");
    assert!(m.concerns("body") && m.concerns("recipient_address"));
    // And the same message, collected for its sender, is the other way round.
    let sender = m.record.get("sender_id").and_then(Value::as_int).unwrap();
    let theirs = block_on(SubjectGraph::collect(&loaded.store, &Key::from(sender))).unwrap();
    let same = theirs.records_of("messages").find(|x| x.record.key == m.record.key).unwrap();
    assert!(same.concerns("sender_name"));
    assert!(same.others_fields.iter().any(|f| f == "recipient_address"));
}

#[test]
fn subject_graphs_match_the_data_for_a_sample_of_contacts() {
    let loaded = loaded();
    for c in [1, 2, 9, 500, 1_234, N as i64] {
        let graph = block_on(SubjectGraph::collect(&loaded.store, &Key::from(c))).unwrap();
        let got: BTreeSet<(String, Key)> =
            graph.records.iter().map(|r| (r.record.entity.to_string(), r.record.key.clone())).collect();
        assert_eq!(got, expected_graph(loaded, c), "contact {c}");
    }
}

#[test]
fn duplicate_pairs_exist_and_share_what_they_claim() {
    let g = generator();
    let pairs: Vec<_> = g.duplicates().collect();
    assert!(pairs.len() >= 5, "{} pairs", pairs.len());
    let by_id: BTreeMap<i64, &ContactGroup> = groups().iter().map(|g| (g.contact_id, g)).collect();
    let mut kinds = BTreeSet::new();
    for p in &pairs {
        assert!(p.original < p.duplicate);
        assert!(g.duplicate(p.original).is_none(), "an original is never itself a duplicate");
        assert_eq!(by_id[&p.duplicate].duplicate_of, Some(*p));
        let (a, b) = (by_id[&p.original].contact().unwrap(), by_id[&p.duplicate].contact().unwrap());
        let lower = |r: &Record, c: &str| text(r, c).map(str::to_lowercase);
        let legal = |r: &Record| lower(r, "name_en").map(|n| n.split(',').next().unwrap().to_owned());
        assert_eq!(legal(a), legal(b));
        assert_eq!(a.get("date_of_birth"), b.get("date_of_birth"));
        match p.kind {
            DuplicateKind::SameEmail => {
                assert_eq!(lower(a, "email"), lower(b, "email"));
                assert_ne!(text(a, "email"), text(b, "email"));
            }
            DuplicateKind::SamePhone => {
                let (pa, pb) = (text(a, "phone").unwrap(), text(b, "phone").unwrap());
                assert_eq!(hk_phone_digits(pa), hk_phone_digits(pb));
                assert_ne!(pa, pb);
                assert_ne!(lower(a, "email"), lower(b, "email"));
            }
            DuplicateKind::SameHkid => {
                assert!(text(a, "hkid").is_some());
                assert_eq!(text(a, "hkid"), text(b, "hkid"));
                assert_ne!(lower(a, "email"), lower(b, "email"));
                assert_eq!(hk_phone_class(text(b, "phone").unwrap()), Some(PhoneClass::Fixed));
            }
            _ => unreachable!(),
        }
        kinds.insert(format!("{:?}", p.kind));
    }
    assert_eq!(kinds.len(), 3, "{kinds:?}");
}

#[test]
fn ground_truth_spans_point_at_valid_personal_data() {
    let mut by_category: BTreeMap<String, usize> = BTreeMap::new();
    let mut negatives = 0;
    for g in groups() {
        let records: HashMap<_, _> = g.records.iter().map(|r| (r.reference(), r)).collect();
        for t in &g.texts {
            let value =
                text(records[&t.record], t.column).unwrap_or_else(|| panic!("{} {}", t.record, t.column));
            if t.spans.is_empty() {
                negatives += 1;
            }
            for s in &t.spans {
                let slice = &value[s.range.clone()];
                assert!(!slice.is_empty());
                match s.category {
                    PiiCategory::Hkid => assert!(hkid_is_valid(slice), "{slice}"),
                    PiiCategory::Phone => assert!(hk_phone_class(slice).is_some(), "{slice}"),
                    PiiCategory::Email => assert!(slice.contains('@'), "{slice}"),
                    PiiCategory::CardNumber => assert!(luhn_is_valid(slice), "{slice}"),
                    PiiCategory::NationalId => {
                        assert_eq!(cn_ric_check_char(&slice[..17]), slice.chars().last(), "{slice}");
                    }
                    PiiCategory::Name
                    | PiiCategory::Address
                    | PiiCategory::DateOfBirth
                    | PiiCategory::Passport => {}
                    ref other => panic!("unexpected category {other}"),
                }
                assert!(s.contact >= 1 && s.contact <= N as i64);
                *by_category.entry(s.category.to_string()).or_default() += 1;
            }
        }
        for b in &g.blobs {
            if let Ok(s) = std::str::from_utf8(&b.bytes) {
                for span in &b.spans {
                    assert!(s.is_char_boundary(span.range.start) && s.is_char_boundary(span.range.end));
                }
            }
        }
    }
    for c in [
        "name",
        "phone",
        "email",
        "hkid",
        "address",
        "date_of_birth",
        "passport",
        "national_id",
        "card_number",
    ] {
        assert!(by_category.get(c).is_some_and(|n| *n > 0), "no {c} in {by_category:?}");
    }
    assert!(negatives > 100, "texts without personal data: {negatives}");
}

#[test]
fn texts_mix_languages() {
    let bodies: Vec<&str> =
        groups().iter().flat_map(|g| g.records_of("messages")).filter_map(|m| text(m, "body")).collect();
    let has_cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let has_latin = |s: &str| s.chars().any(|c| c.is_ascii_alphabetic());
    assert!(bodies.iter().any(|b| has_cjk(b) && !has_latin(b)), "Chinese only");
    assert!(bodies.iter().any(|b| !has_cjk(b) && has_latin(b)), "English only");
    assert!(bodies.iter().any(|b| has_cjk(b) && has_latin(b)), "mixed");
}

#[test]
fn distribution_has_a_long_tail() {
    let mut sizes: Vec<usize> = groups().iter().map(ContactGroup::len).collect();
    sizes.sort_unstable();
    let median = sizes[sizes.len() / 2];
    let max = *sizes.last().unwrap();
    assert!(median < 40, "median {median}");
    assert!(max > 20 * median, "max {max}, median {median}");
    let most_messages = groups().iter().map(|g| g.records_of("messages").count()).max().unwrap();
    assert!(most_messages >= 150, "{most_messages}");
}

/// Column names of each `CREATE TABLE` in a DDL script.
fn ddl_columns(ddl: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for block in ddl.split("CREATE TABLE ").skip(1) {
        let (name, body) = block.split_once(" (").unwrap();
        let body = body.split("\n)").next().unwrap();
        let cols = body
            .lines()
            .map(str::trim)
            .filter(|l| {
                !l.is_empty()
                    && !l.starts_with("PRIMARY KEY")
                    && !l.starts_with("UNIQUE")
                    && !l.starts_with("--")
            })
            .map(|l| l.split_whitespace().next().unwrap().to_owned())
            .collect();
        out.insert(name.trim().to_owned(), cols);
    }
    out
}

#[test]
fn generated_records_and_schema_match_the_ddl_columns() {
    let sqlite = ddl_columns(pdpo_testkit::SQLITE_DDL);
    let postgres = ddl_columns(pdpo_testkit::POSTGRES_DDL);
    assert_eq!(sqlite, postgres, "the two dialects declare the same tables and columns");
    assert_eq!(sqlite.len(), pdpo_testkit::entity::ALL.len());
    // Every generated record has exactly its table's columns.
    let staff = generator().staff();
    for r in groups().iter().flat_map(|g| &g.records).chain(&staff) {
        let cols: BTreeSet<String> = r.values.keys().cloned().collect();
        assert_eq!(&cols, &sqlite[r.entity.as_str()], "{}", r.reference());
    }
    // Every column the schema names exists.
    let s = schema();
    for e in s.entities() {
        let cols = &sqlite[e.table.as_str()];
        let lc = &e.lifecycle;
        let named = e
            .key
            .iter()
            .chain(e.fields.iter().map(|f| &f.name))
            .chain([&lc.created, &lc.updated, &lc.last_activity, &lc.closed].into_iter().flatten());
        for c in named {
            assert!(cols.contains(c.as_str()), "{}.{c}", e.name);
        }
        for l in &e.links {
            let (table, link_cols): (&str, Vec<&str>) = match &l.kind {
                pdpo_core::LinkKind::ForeignKey { columns } => {
                    (e.table.as_str(), columns.iter().map(|c| c.as_str()).collect())
                }
                pdpo_core::LinkKind::ReferencedBy { columns } => {
                    (l.to.as_str(), columns.iter().map(|c| c.as_str()).collect())
                }
                pdpo_core::LinkKind::Array { column } => (e.table.as_str(), vec![column.as_str()]),
                pdpo_core::LinkKind::Join { through, columns, to_columns } => {
                    (through.as_str(), columns.iter().chain(to_columns).map(|c| c.as_str()).collect())
                }
                _ => unreachable!(),
            };
            for c in link_cols {
                assert!(sqlite[table].contains(c), "{}: link {} needs {table}.{c}", e.name, l.name);
            }
        }
    }
}

/// Differential test: this crate's check-digit code and `pdpo-pii`'s validators, written
/// independently, agree on every HKID and card number the generator produces, and both reject a
/// changed check digit.
#[test]
fn generated_identifiers_pass_the_production_validators() {
    let generator = Generator::with_default_seed(300);
    let mut hkids = 0;
    let mut cards = 0;
    for group in generator.groups() {
        for r in &group.records {
            if let Some(Value::Text(h)) = r.get("hkid") {
                assert!(pdpo_pii::validate::hkid(h), "{h}");
                let last = h.chars().rev().nth(1).unwrap();
                let wrong = if last == '0' { '1' } else { '0' };
                let mut bad: Vec<char> = h.chars().collect();
                let n = bad.len();
                bad[n - 2] = wrong;
                let bad: String = bad.into_iter().collect();
                assert!(!pdpo_pii::validate::hkid(&bad) && !pdpo_testkit::ids::hkid_is_valid(&bad), "{bad}");
                hkids += 1;
            }
        }
        for t in &group.texts {
            let record = group.records.iter().find(|r| r.reference() == t.record).unwrap();
            let Some(Value::Text(text)) = record.get(t.column) else { continue };
            for span in t.spans.iter().filter(|s| s.category == PiiCategory::CardNumber) {
                let card = &text[span.range.clone()];
                assert!(pdpo_pii::validate::luhn(card), "{card}");
                cards += 1;
            }
        }
    }
    assert!(hkids > 100, "only {hkids} HKIDs generated");
    assert!(cards > 0, "no card numbers generated in free text");
}

/// `load` (generation on its own thread) writes what `load_memory` (generation on the caller's
/// thread) writes, record for record, and reports progress after every change set.
#[test]
fn threaded_load_matches_load_memory() {
    let generator = Generator::new(300, SEED);
    let reference = load_memory(&generator).unwrap();
    let store = pdpo_core::MemoryStore::new(schema());
    let blobs = pdpo_core::MemoryBlobStore::new();
    let mut seen = Vec::new();
    let stats = block_on(pdpo_testkit::load_with_progress(&generator, &store, &blobs, 1_000, |s| {
        seen.push((s.groups, s.change_sets));
    }))
    .unwrap();
    assert_eq!(stats, reference_stats(&generator, 1_000));
    assert_eq!(seen.len() as u64, stats.change_sets);
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "{seen:?}");
    assert_eq!(seen.last().map(|s| s.0), Some(300));
    for e in schema().entities() {
        let name = e.name.as_str();
        assert_eq!(store.count(name), reference.store.count(name), "{name}");
        let page = block_on(store.scan_page(name, None, 100_000)).unwrap().records;
        let want = block_on(reference.store.scan_page(name, None, 100_000)).unwrap().records;
        assert_eq!(page, want, "{name}");
    }
}

/// What `load_groups` (on this thread) reports for the same load.
fn reference_stats(generator: &Generator, batch: usize) -> pdpo_testkit::LoadStats {
    let store = pdpo_core::MemoryStore::new(schema());
    let blobs = pdpo_core::MemoryBlobStore::new();
    block_on(pdpo_testkit::load::load_groups(&store, &blobs, generator, generator.groups(), batch)).unwrap()
}

/// A store error mid-load ends `load`: the error is returned, the generator thread stops (the
/// call returns rather than hanging on a full channel), and what was written before stays.
#[test]
fn threaded_load_stops_at_a_store_error() {
    let generator = Generator::new(300, SEED);
    let store = pdpo_core::MemoryStore::new(schema());
    let blobs = pdpo_core::MemoryBlobStore::new();
    let mut seen = Vec::new();
    let result = block_on(pdpo_testkit::load_with_progress(&generator, &store, &blobs, 200, |s| {
        seen.push(s.groups);
        // The change set after the first one fails at its first change.
        store.inject_failure_at(0);
    }));
    let err = result.expect_err("the second change set fails");
    assert!(err.to_string().contains("injected"), "{err}");
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(store.count("contacts") as u64, seen[0]);
}
