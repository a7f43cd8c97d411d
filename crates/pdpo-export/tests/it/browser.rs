//! `report.html` opened in headless Chromium (Debian's `chromium`): a screenshot is taken and
//! decoded (real dimensions, not one colour), and the DOM Chromium builds shows the English and
//! Traditional Chinese headings and none of the other person's data.
//!
//! Outside CI a missing browser skips the test with a message; under CI (`CI` set) it fails.
//! `PDPO_CHROMIUM` names another binary; `PDPO_SCREENSHOT_DIR` keeps the page and its screenshot there.
#![allow(clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pdpo_core::{AuditAction, AuditEvent, BlobStore, ChangeSet, DataStore, Identifier, Key, Record};
use pdpo_export::{Compression, SubjectAccess};

use crate::fixture::{clock, request, staff, unzip};
use crate::subject::shared_fixture;

const WIDTH: u32 = 1024;
const HEIGHT: u32 = 2400;

/// How long one Chromium run may take on a loaded machine.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(180);

/// The other person's values planted in the fixture: none may reach Alice's report.
const OTHERS: [&str; 5] =
    ["BOB-SENDER-NAME-XYZ", "bob.private.QQ@example.hk", "Bob Wong", "QQ-BOB-NOTES", "QQ-bob-only-actor"];

fn under_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// The browser to use, or `None` (after saying why) when it is missing outside CI.
fn chromium() -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = match std::env::var_os("PDPO_CHROMIUM") {
        Some(p) => vec![PathBuf::from(p)],
        None => ["/usr/bin/chromium", "/usr/bin/chromium-browser"].iter().map(PathBuf::from).collect(),
    };
    if let Some(found) = candidates.into_iter().find(|p| p.is_file()) {
        return Some(found);
    }
    assert!(!under_ci(), "CI is set but Chromium is missing: install Debian's `chromium` (see .ci/run)");
    eprintln!("skipped: headless Chromium not found (apt-get install chromium, or set PDPO_CHROMIUM)");
    None
}

/// Whether a font that covers Traditional Chinese is installed (else the headings render as boxes).
fn has_cjk_font() -> bool {
    Command::new("fc-list")
        .arg(":lang=zh-tw")
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.trim_ascii().is_empty())
}

/// Runs Chromium headless on `page` with `args`, in its own profile, and returns its stdout.
fn run_chromium(browser: &Path, profile: &Path, page: &Path, args: &[String]) -> Vec<u8> {
    let out_file = profile.join(format!("stdout-{}.txt", args.len()));
    let stdout = std::fs::File::create(&out_file).unwrap();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-extensions",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", profile.join("profile").display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium {args:?} exited with {status}");
            return std::fs::read(&out_file).unwrap();
        }
        if started.elapsed() > BROWSER_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium {args:?} did not finish within {BROWSER_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Alice's export from the shared fixture, with an attachment under a long name, a disclosure to
/// an insurer and a view of Bob's record by a colleague whose name must not appear.
fn alice_report() -> Vec<u8> {
    let (store, blobs) = shared_fixture();
    let mut cs = ChangeSet::new();
    cs.insert(
        Record::new(Identifier::new("attachments").unwrap(), Key::from(7))
            .with("id", 7)
            .with("contact_id", 1)
            .with("blob_id", "att-7")
            .with(
                "file_name",
                "Policy renewal form signed 2026 (scanned copy from the Causeway Bay branch).pdf",
            ),
    );
    pollster::block_on(blobs.put("att-7", b"%PDF-1.4 placeholder".to_vec())).unwrap();
    pollster::block_on(store.apply(cs)).unwrap();
    let clock = clock();
    let (req, due) = request(&clock, vec![Key::from(1)]);
    let staff = staff();
    let now = pdpo_core::Clock::now(&clock);
    let events = [
        AuditEvent::new(AuditAction::Disclose, staff.clone(), now)
            .with_subject(Key::from(1))
            .with_recipient(Identifier::new("insurer").unwrap())
            .with_fields(["name_en", "notes"])
            .unwrap(),
        AuditEvent::new(AuditAction::View, pdpo_core::Actor::user("QQ-bob-only-actor").unwrap(), now)
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
    unzip(&done.output).remove("report.html").unwrap()
}

#[test]
fn report_renders_in_headless_chromium_with_both_languages_and_no_one_elses_data() {
    let Some(browser) = chromium() else { return };
    if !has_cjk_font() {
        assert!(!under_ci(), "CI is set but no font covers zh-TW: install fonts-wqy-microhei (see .ci/run)");
        eprintln!("warning: no Traditional Chinese font installed; the screenshot shows boxes for 中文");
    }
    let html = alice_report();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();

    // The DOM as Chromium parsed it.
    let dom = run_chromium(&browser, dir.path(), &page, &["--dump-dom".to_owned()]);
    let dom = String::from_utf8(dom).unwrap();
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
        assert!(dom.contains(heading), "the rendered DOM lacks the heading {heading}");
    }
    assert!(dom.contains("Alice Chan"), "the requester's own data is shown");
    for theirs in OTHERS {
        assert!(!dom.contains(theirs), "{theirs} (someone else's data) is in the rendered report");
    }
    assert!(!dom.contains("<script"), "planted markup stayed text");

    // The screenshot.
    let shot = dir.path().join("report.png");
    run_chromium(
        &browser,
        dir.path(),
        &page,
        &[format!("--screenshot={}", shot.display()), format!("--window-size={WIDTH},{HEIGHT}")],
    );
    if let Some(keep) = std::env::var_os("PDPO_SCREENSHOT_DIR") {
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(&shot, Path::new(&keep).join("report.png")).unwrap();
        std::fs::copy(&page, Path::new(&keep).join("report.html")).unwrap();
    }
    let bytes = std::fs::read(&shot).unwrap();
    assert!(bytes.len() > 20_000, "a screenshot of a full report is not {} bytes", bytes.len());
    let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((frame.width, frame.height), (WIDTH, HEIGHT));
    let channels = frame.color_type.samples();
    let pixels = &pixels[..frame.buffer_size()];
    let background = &pixels[..channels];
    let inked = pixels.chunks_exact(channels).filter(|p| *p != background).count();
    let share = inked as f64 / f64::from(WIDTH * HEIGHT);
    // Text, table borders and shaded headers: a few percent of the page, not none, not all.
    assert!((0.01..0.6).contains(&share), "{:.2}% of the pixels differ from the background", share * 100.0);
    let distinct: std::collections::HashSet<&[u8]> = pixels.chunks_exact(channels).collect();
    assert!(distinct.len() > 16, "anti-aliased text gives many shades, got {}", distinct.len());
}
