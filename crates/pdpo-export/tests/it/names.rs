//! Hostile attachment names land safely inside the archive.

use std::collections::HashSet;
use std::io::Cursor;

use pdpo_core::{BlobStore, ChangeSet, DataStore, Identifier, Key, MemoryBlobStore, MemoryStore, Record};
use pdpo_export::{SubjectAccess, verify_archive};

use crate::fixture::{clock, request, staff, unzip};

#[test]
fn hostile_names_are_sanitised_bounded_and_unique() {
    let store = MemoryStore::new(pdpo_testkit::schema());
    let blobs = MemoryBlobStore::new();
    let long = "長".repeat(1000);
    let thousand = "n".repeat(1000);
    let hostile = [
        "../../etc/passwd",
        "/etc/shadow",
        "C:\\Windows\\System32\\drivers\\etc\\hosts",
        "\\\\server\\share\\..\\x.doc",
        "..",
        "",
        "evil\u{202E}gpj.exe",
        "nul\u{0}byte\r\n.txt",
        "zero\u{200B}width\u{FEFF}.png",
        "scan.png",
        "scan.png",
        "SCAN.PNG",
        thousand.as_str(),
        long.as_str(),
        "CON.txt",
        "身份證 掃描.png",
    ];
    let mut cs = ChangeSet::new();
    cs.insert(
        Record::new(Identifier::new("contacts").unwrap(), Key::from(1))
            .with("id", 1)
            .with("name_en", "Alice Chan")
            .with("status", "customer"),
    );
    for (i, name) in hostile.iter().enumerate() {
        let n = 100 + i as i64;
        let blob = format!("att-{n}");
        pollster::block_on(blobs.put(&blob, format!("bytes of {n}").into_bytes())).unwrap();
        cs.insert(
            Record::new(Identifier::new("attachments").unwrap(), Key::from(n))
                .with("id", n)
                .with("contact_id", 1)
                .with("blob_id", blob)
                .with("file_name", *name),
        );
    }
    pollster::block_on(store.apply(cs)).unwrap();

    let clock = clock();
    let (req, due) = request(&clock, vec![Key::from(1)]);
    let staff = staff();
    let done =
        pollster::block_on(SubjectAccess::new(&req, &due, &staff, &clock).write(&store, &blobs, Vec::new()))
            .unwrap();
    let (_, problems) = verify_archive(Cursor::new(&done.output)).unwrap();
    assert!(problems.is_empty());

    let mut zip = zip::ZipArchive::new(Cursor::new(&done.output)).unwrap();
    let mut seen = HashSet::new();
    let mut attachments = 0;
    for i in 0..zip.len() {
        let f = zip.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        assert!(f.enclosed_name().is_some(), "{name:?} escapes the extraction folder");
        assert!(seen.insert(name.to_lowercase()), "{name:?} collides");
        let Some(file) = name.strip_prefix("attachments/") else { continue };
        attachments += 1;
        assert!(!file.is_empty() && !file.contains('/') && !file.contains('\\'), "{name:?}");
        assert!(file != "." && file != ".." && !file.starts_with('.'), "{name:?}");
        assert!(!file.chars().any(|c| c.is_control() || c == '\u{202E}' || c == '\u{200B}'), "{name:?}");
        assert!(!file.contains(':'), "{name:?}");
        assert!(file.len() <= pdpo_export::MAX_NAME_BYTES, "{} bytes", file.len());
    }
    assert_eq!(attachments, hostile.len());
    // Every attachment's bytes arrive under the name data.json points to.
    let files = unzip(&done.output);
    let data: serde_json::Value = serde_json::from_slice(&files["data.json"]).unwrap();
    let atts = data["entities"].as_array().unwrap().iter().find(|e| e["entity"] == "attachments").unwrap();
    for r in atts["records"].as_array().unwrap() {
        let key = r["key"].as_str().unwrap();
        let blob = r["fields"].as_array().unwrap().iter().find(|f| f["name"] == "blob_id").unwrap();
        let path = blob["exported_as"].as_str().unwrap();
        assert_eq!(files[path], format!("bytes of {key}").into_bytes());
    }
    assert!(files.contains_key("attachments/passwd"));
    assert!(files.contains_key("attachments/scan.png"));
    assert!(files.contains_key("attachments/scan (2).png"));
    assert!(files.contains_key("attachments/SCAN (3).PNG"));
}
