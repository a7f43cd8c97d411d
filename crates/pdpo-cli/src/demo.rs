//! `pdpo demo`: the sample Hong Kong CRM in an embedded SQLite file, and the whole story.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use pdpo::core::{Clock, DataStore, DirBlobStore, Key, SubjectGraph, SystemClock, Value};
use pdpo::crypto::KeyFileKek;
use pdpo::requests::{NewRequest, RequestKind};
use pdpo::retention::Policy;
use pdpo::store::Pool;
use pdpo::{Sql, Workspace};
use pdpo_testkit::Generator;
use serde_json::json;

use crate::args::{DemoArgs, Global};
use crate::commands::{
    checkpoint_key, print_certificate, print_plan, write_new, write_subject_export, write_workspace_export,
};
use crate::error::{CliError, Result};
use crate::open;
use crate::out::Out;

/// Marks a directory as made by `pdpo demo`, so a second run may replace it.
const MARKER: &str = ".pdpo-demo";

/// What the demo writes at the top of its directory.
const WRITES: &[&str] = &[
    "crm.sqlite",
    "crm.sqlite-wal",
    "crm.sqlite-shm",
    "pdpo.toml",
    "retention.toml",
    "pdpo.key",
    "checkpoint.key",
    "checkpoint.txt",
    "inventory.json",
    "retention-plan.json",
    "workspace-export.zip",
];

/// Makes `dir` ready: created if missing; if it exists, it must be empty or a previous demo's,
/// whose files are removed.
fn prepare(dir: &Path) -> Result<()> {
    if dir.exists() {
        let entries: Vec<PathBuf> = fs::read_dir(dir)
            .map_err(|e| CliError::io("reading", dir, &e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        if !entries.is_empty() && !dir.join(MARKER).is_file() {
            return Err(CliError::input(format!(
                "`{}` exists and was not made by `pdpo demo`; choose another --dir",
                dir.display()
            )));
        }
        for p in entries {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let ours = WRITES.contains(&name.as_str())
                || name == MARKER
                || name == "blobs"
                || name.starts_with("subject-")
                || name.starts_with("erasure-certificate-");
            if ours {
                let r = if p.is_dir() { fs::remove_dir_all(&p) } else { fs::remove_file(&p) };
                r.map_err(|e| CliError::io("removing", &p, &e))?;
            }
        }
    }
    fs::create_dir_all(dir).map_err(|e| CliError::io("creating", dir, &e))?;
    write(&dir.join(MARKER), "made by `pdpo demo`; a later `pdpo demo --dir` here replaces its files\n")
}

fn write(path: &Path, text: &str) -> Result<()> {
    write_new(path, text.as_bytes())
}

/// A contact worth showing: invoices (kept under IRO s.51C), a message shared with someone
/// else (withheld in the copy, s.20(1)(b)), an HKID on file (encrypted).
async fn pick_subject(ws: &Workspace<Sql>, contacts: u64) -> Result<Key> {
    let mut fallback = None;
    for id in 1..=i64::try_from(contacts.min(500)).unwrap_or(500) {
        let key = Key::from(id);
        // The stored values are enough to see which records exist: no decryption.
        let graph = SubjectGraph::collect(ws.raw_store(), &key).await?;
        let has = |e: &str| graph.records.iter().any(|r| r.record.entity == e);
        if has("invoices") && has("attachments") {
            fallback.get_or_insert_with(|| key.clone());
            if has("messages") && has("deals") {
                return Ok(key);
            }
        }
    }
    Ok(fallback.unwrap_or_else(|| Key::from(1)))
}

struct Step {
    started: Instant,
    timings: Vec<(String, f64)>,
    out: Out,
}

impl Step {
    fn new(out: Out) -> Self {
        Self { started: Instant::now(), timings: Vec::new(), out }
    }

    fn begin(&mut self, n: usize, title: &str) {
        self.started = Instant::now();
        self.out.say(format!("\n{n}. {title}"));
    }

    fn end(&mut self, name: &str) {
        let s = self.started.elapsed().as_secs_f64();
        self.timings.push((name.to_owned(), s));
        self.out.say(format!("   ({s:.2} s)"));
    }
}

pub(crate) async fn run(g: &Global, a: &DemoArgs, out: &Out) -> Result<ExitCode> {
    let total = Instant::now();
    let dir = &a.dir;
    prepare(dir)?;
    let mut step = Step::new(*out);
    let generator = Generator::new(a.contacts.max(1), a.seed);
    out.say(format!(
        "pdpo demo: a sample Hong Kong CRM with {} contacts in {}, and what the PDPO asks of it.",
        generator.contacts(),
        dir.display()
    ));

    // 1. The CRM, its pdpo.toml, retention policy and key.
    step.begin(1, "Build the CRM: tables, pdpo.toml, retention.toml, a key-encryption key, and the data");
    write(&dir.join("pdpo.toml"), pdpo_testkit::SCHEMA_TOML)?;
    write(&dir.join("retention.toml"), pdpo::retention::TESTKIT_POLICY)?;
    let kek = KeyFileKek::create(dir.join("pdpo.key"))?;
    let postgres = open::is_postgres(&g.database_url);
    let url = if postgres { g.database_url.clone() } else { dir.join("crm.sqlite").display().to_string() };
    let pool = open::connect(&url, true).await?;
    create_tables(&pool).await?;
    let schema = open::schema(&dir.join("pdpo.toml"))?;
    let policy = Policy::from_file(dir.join("retention.toml"), &schema)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // The demo's data can be generated again: no fsync per attachment file.
    let blobs = DirBlobStore::create(dir.join("blobs"))?.without_sync();
    let ws = Workspace::open_sql(pool.clone(), schema, blobs, kek, Arc::clone(&clock))
        .await?
        .with_actor(open::actor("dpo-demo")?)
        .with_policy(policy);
    let bar = out.progress(generator.contacts().unsigned_abs(), "loading contacts");
    let stats = pdpo_testkit::load_with_progress(&generator, ws.store(), ws.blobs(), 5000, |s| {
        bar.set_position(s.groups);
    })
    .await?;
    create_indexes(&pool).await?;
    bar.finish_and_clear();
    out.say(format!(
        "   {} records in 13 tables, {} attachments; contacts.hkid and contacts.date_of_birth encrypted per person",
        stats.records, stats.blobs
    ));
    let raw = ws.raw_store().fetch("contacts", &[Key::from(1)]).await?;
    if let Some(Value::Bytes(b)) = raw.first().and_then(|r| r.get("hkid")) {
        out.say(format!("   contact 1's HKID as stored: {} bytes of AES-256-GCM ciphertext", b.len()));
    }
    step.end("load");

    // 2. Inventory.
    step.begin(2, "Inventory (DPP1): what personal data is held, and where untagged data hides");
    let inv = ws.inventory().await?;
    write(&dir.join("inventory.json"), &serde_json::to_string_pretty(&inv.to_json()).unwrap_or_default())?;
    let records: u64 = inv.entities.iter().map(|e| e.records).sum();
    out.say(format!(
        "   {records} records scanned in {} entities; {} findings:",
        inv.entities.len(),
        inv.findings.len()
    ));
    for f in inv.findings.iter().take(5) {
        out.say(format!("   - {f}"));
    }
    step.end("inventory");

    // 3. An access request.
    let subject = pick_subject(&ws, a.contacts).await?;
    step.begin(3, &format!("A data access request from contact {subject} (s.18)"));
    let (request, due) =
        ws.receive_request(NewRequest::new(RequestKind::Access, vec![subject.clone()])).await?;
    out.say(format!(
        "   request {} received {}; due {} ({})",
        request.id, request.received_on, due.date, due.explanation
    ));
    step.end("request");

    // 4. The copy of the data.
    step.begin(4, "The copy of their data (s.18(1)(b), s.19), other people's data withheld (s.20)");
    let zip_path = dir.join(format!("subject-{subject}.zip"));
    let manifest = write_subject_export(&ws, request.id, &zip_path).await?;
    for f in &manifest.files {
        out.say(format!("   {:<34} {:>8} bytes", f.path, f.size));
    }
    ws.ledger().verify_identity(request.id, ws.actor()).await.map_err(pdpo::Error::from)?;
    ws.ledger().complete(request.id, ws.actor()).await.map_err(pdpo::Error::from)?;
    out.say(format!("   request completed; wrote {}", zip_path.display()));
    step.end("subject export");

    // 5. Erasure.
    step.begin(5, &format!("Erase contact {subject} (s.26): anonymised, keys shredded, invoices kept"));
    let cert = ws.erase(&subject, None).await?;
    write(&dir.join(format!("erasure-certificate-{subject}.json")), &cert.to_json())?;
    print_certificate(&cert, out);
    step.end("erasure");

    // 6. Retention.
    step.begin(6, "Retention (DPP2(2)): dry run, then run");
    let plan = ws.retention_plan(5).await?;
    write(&dir.join("retention-plan.json"), &serde_json::to_string_pretty(&plan).unwrap_or_default())?;
    if !out.is_json() {
        print_plan(&plan, &Out::new(false, g.quiet));
    }
    let (run, _) = ws.retention_run(1000).await?;
    out.say(format!(
        "   run: {} evaluated, {} anonymised, {} deleted (each chunk one transaction)",
        run.evaluated, run.anonymised, run.deleted
    ));
    step.end("retention");

    // 7. Audit verification and a signed checkpoint.
    step.begin(7, "Verify the audit log and sign a checkpoint kept outside the database");
    let report = ws.verify_audit().await?;
    out.say(format!("   {} entries, {} faults", report.entries, report.faults.len()));
    let key = checkpoint_key(&dir.join("checkpoint.key"), true)?;
    let cp = ws.checkpoint(&key).await?;
    write(&dir.join("checkpoint.txt"), &cp.to_text())?;
    out.say("   checkpoint signed: checkpoint.txt (keep it where the DBA cannot rewrite it)");
    step.end("verify");

    // 8. Tampering.
    step.begin(8, "Alter one audit row behind pdpo's back, and catch it");
    let tampered = crate::tamper::alter_one_row(&pool).await?;
    out.say(format!("   changed row {tampered} directly in the database"));
    let bad = ws.verify_audit().await?;
    for f in bad.faults.iter().take(3) {
        out.say(format!("   detected: {f}"));
    }
    if bad.is_clean() {
        return Err(CliError::new(crate::error::CHECK_FAILED, "the altered audit row was not detected"));
    }
    crate::tamper::restore(&pool, &tampered).await?;
    let again = ws.verify_audit().await?;
    out.say(format!("   row restored; log verifies again: {}", again.is_clean()));
    step.end("tamper");

    // 9. Workspace export.
    step.begin(9, "Export the whole workspace (entities as JSONL, attachments, audit log; ZIP64)");
    let ws_zip = dir.join("workspace-export.zip");
    let (manifest, expires) = write_workspace_export(&ws, &ws_zip, out).await?;
    out.say(format!(
        "   {} files; signed download link expires {}",
        manifest.files.len(),
        expires.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
    ));
    step.end("workspace export");

    // The files.
    let mut files = Vec::new();
    out.say(format!("\nWrote, in {}:", dir.display()));
    let mut entries: Vec<_> =
        fs::read_dir(dir).map_err(|e| CliError::io("reading", dir, &e))?.filter_map(Result::ok).collect();
    entries.sort_by_key(fs::DirEntry::file_name);
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let meta = e.metadata().map_err(|err| CliError::io("reading", &e.path(), &err))?;
        let size = if meta.is_dir() { dir_size(&e.path()) } else { meta.len() };
        out.say(format!("  {name:<36} {size:>12} bytes{}", if meta.is_dir() { " (directory)" } else { "" }));
        files.push(json!({ "name": name, "bytes": size }));
    }
    let secs = total.elapsed().as_secs_f64();
    out.say(format!(
        "\nDone in {secs:.1} s. Try: cd {} && pdpo audit verify && pdpo request list",
        dir.display()
    ));
    let timings: serde_json::Map<String, serde_json::Value> =
        step.timings.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    out.json(&json!({
        "dir": dir, "contacts": generator.contacts(), "records": stats.records, "subject": subject.to_string(),
        "request": { "id": request.id, "due_date": due.date.to_string() },
        "erasure": { "certificate": cert.id, "records_changed": cert.records_changed.len(), "retained": cert.retained.len(), "keys_shredded": cert.keys_shredded },
        "audit": { "entries": again.entries, "tamper_detected": !bad.is_clean(), "faults": bad.faults.iter().map(ToString::to_string).collect::<Vec<_>>() },
        "files": files, "seconds": secs, "timings": timings,
    }));
    Ok(ExitCode::SUCCESS)
}

fn dir_size(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .map_or(0, |rd| rd.filter_map(Result::ok).filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
}

/// Creates the sample CRM's tables without their secondary indexes (refused if they exist: the
/// demo never overwrites data); [`create_indexes`] adds those once the data is loaded.
async fn create_tables(pool: &Pool) -> Result<()> {
    run_ddl(
        pool,
        pdpo_testkit::SQLITE_TABLES,
        pdpo_testkit::POSTGRES_TABLES,
        "tables (is this database empty?)",
    )
    .await
}

/// Builds the sample CRM's secondary indexes over the loaded data: once, instead of row by row.
async fn create_indexes(pool: &Pool) -> Result<()> {
    run_ddl(pool, pdpo_testkit::SQLITE_INDEXES, pdpo_testkit::POSTGRES_INDEXES, "indexes").await
}

async fn run_ddl(pool: &Pool, sqlite: &'static str, postgres: &'static str, what: &str) -> Result<()> {
    let failed =
        |e: pdpo::store::sqlx::Error| CliError::input(format!("creating the sample CRM's {what}: {e}"));
    match pool {
        Pool::Sqlite(p) => pdpo::store::sqlx::raw_sql(sqlite).execute(p).await.map(drop).map_err(failed),
        Pool::Postgres(p) => pdpo::store::sqlx::raw_sql(postgres).execute(p).await.map(drop).map_err(failed),
        _ => Err(CliError::input("the demo runs on SQLite or PostgreSQL")),
    }
}
