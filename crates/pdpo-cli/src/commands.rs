//! Every command but `demo`: parse, call the library, print.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::ExitCode;

use pdpo::anonymise::Correction;
use pdpo::audit::{Checkpoint, CheckpointKey, Query};
use pdpo::core::chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use pdpo::core::uuid::Uuid;
use pdpo::core::{Identifier, Key, RecordRef, Value, hong_kong_offset};
use pdpo::pii::{Scanner, partial_mask};
use pdpo::requests::{
    NewRequest, NoticeContext, NoticeKind, RefusalGround, RefusalInput, RequestKind, RequestStore,
};
use pdpo::{Sql, Workspace};
use serde_json::json;

use crate::args::{
    AuditCmd, CorrectArgs, EraseArgs, ExportCmd, Global, Kind, NoticeArg, RequestCmd, RetentionCmd, ScanArgs,
    ScanFormat, SchemaCmd, WorkspaceCmd,
};
use crate::error::{CHECK_FAILED, CliError, Result};
use crate::open;
use crate::out::Out;

/// A subject key from the command line: an integer, or text.
pub(crate) fn subject_key(text: &str) -> Key {
    text.parse::<i64>().map_or_else(|_| Key::from(text), Key::from)
}

fn uuid(what: &str, text: &str) -> Result<Uuid> {
    Uuid::parse_str(text)
        .map_err(|_| CliError::input(format!("{what}: `{text}` is not a request id (a UUID)")))
}

/// A Hong Kong calendar date.
fn date(what: &str, text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| CliError::input(format!("{what}: `{text}` is not a date (YYYY-MM-DD)")))
}

/// The start of a Hong Kong day, in UTC.
fn hk_start(day: NaiveDate) -> DateTime<Utc> {
    let local = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    hong_kong_offset().from_local_datetime(&local).single().map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}

/// Writes to `path` through a temporary file renamed into place at the end, so a failure
/// leaves nothing half-written.
pub(crate) struct AtomicFile {
    tmp: std::path::PathBuf,
    path: std::path::PathBuf,
}

impl AtomicFile {
    pub(crate) fn create(path: &Path) -> Result<(Self, fs::File)> {
        if path.exists() {
            return Err(CliError::input(format!("`{}` exists; not replacing it", path.display())));
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = path.with_file_name(format!(".{name}.partial"));
        let file = fs::File::create(&tmp).map_err(|e| CliError::io("creating", &tmp, &e))?;
        Ok((Self { tmp, path: path.to_path_buf() }, file))
    }

    pub(crate) fn commit(self) -> Result<()> {
        fs::rename(&self.tmp, &self.path).map_err(|e| CliError::io("renaming into", &self.path, &e))?;
        std::mem::forget(self);
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.tmp);
    }
}

/// Writes `bytes` to a new file at `path`, whole or not at all.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let (tmp, mut f) = AtomicFile::create(path)?;
    std::io::Write::write_all(&mut f, bytes).map_err(|e| CliError::io("writing", path, &e))?;
    drop(f);
    tmp.commit()
}

/// Writes the copy of the data for access request `request` to a new ZIP at `path`.
pub(crate) async fn write_subject_export(
    ws: &Workspace<Sql>,
    request: Uuid,
    path: &Path,
) -> Result<pdpo::export::Manifest> {
    let (tmp, file) = AtomicFile::create(path)?;
    let summary = ws.export_subject(request, std::io::BufWriter::new(file)).await?;
    drop(summary.output);
    tmp.commit()?;
    Ok(summary.manifest)
}

/// Writes the workspace export to a new ZIP at `path`, with a progress bar; returns the
/// manifest and the signed link's expiry.
pub(crate) async fn write_workspace_export(
    ws: &Workspace<Sql>,
    path: &Path,
    out: &Out,
) -> Result<(pdpo::export::Manifest, Option<DateTime<Utc>>)> {
    let (tmp, file) = AtomicFile::create(path)?;
    let bar = out.progress(0, "exporting");
    let summary = ws
        .export_workspace(std::io::BufWriter::new(file), |p| {
            if let Some(t) = p.records_total {
                bar.set_length(t);
            }
            bar.set_position(p.records_done);
        })
        .await?;
    bar.finish_and_clear();
    drop(summary.output);
    tmp.commit()?;
    Ok((summary.manifest, summary.link.map(|l| l.expires_at)))
}

pub(crate) async fn schema(g: &Global, cmd: SchemaCmd, out: &Out) -> Result<ExitCode> {
    match cmd {
        SchemaCmd::Init { subject, out: file } => {
            let pool = open::connect(&g.database_url, false).await?;
            let text = pdpo::store::draft_schema(&pool, &subject).await?;
            match file {
                Some(path) => {
                    write_new(&path, text.as_bytes())?;
                    out.say(format!("wrote {} (review the suggested categories before use)", path.display()));
                    out.json(&json!({ "written": path }));
                }
                None => {
                    out.result(text.trim_end());
                    out.json(&json!({ "schema": text }));
                }
            }
        }
        SchemaCmd::Check => {
            let schema = open::schema(&g.schema)?;
            let pool = open::connect(&g.database_url, false).await?;
            pdpo::store::SqlStore::open(pool, schema.clone()).await?;
            out.result(format!(
                "{} matches the database: {} entities, subject `{}`",
                g.schema.display(),
                schema.entities().len(),
                schema.subject()
            ));
            out.json(&json!({ "ok": true, "entities": schema.entities().len() }));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn scan(a: &ScanArgs, out: &Out) -> Result<ExitCode> {
    let scanner = Scanner::hong_kong()?;
    let stdin = std::io::stdin();
    let mut inputs: Vec<(String, Box<dyn Read>)> = Vec::new();
    if a.files.is_empty() {
        inputs.push(("<stdin>".to_owned(), Box::new(stdin.lock())));
    }
    for path in &a.files {
        let f = fs::File::open(path).map_err(|e| CliError::io("opening", path, &e))?;
        inputs.push((path.display().to_string(), Box::new(f)));
    }
    let mut total = 0u64;
    let mut found = Vec::new();
    for (name, input) in inputs {
        let reader = BufReader::new(input);
        if a.format == ScanFormat::Jsonl {
            let stdout = std::io::stdout();
            let summary = pdpo::pii::jsonl::scan_lines(&scanner, reader, stdout.lock())
                .map_err(|e| CliError::input(format!("{name}: {e}")))?;
            total += summary.spans;
            continue;
        }
        for (n, line) in reader.lines().enumerate() {
            let line = line.map_err(|e| CliError::input(format!("{name}: line {}: {e}", n + 1)))?;
            for f in scanner.scan(&line) {
                total += 1;
                let masked = partial_mask(&f.category, &line[f.start..f.end]);
                out.result(format!(
                    "{name}:{}:{}: {} {masked} (confidence {:.2}{})",
                    n + 1,
                    f.start + 1,
                    f.category,
                    f.confidence,
                    if f.validated { ", check digit valid" } else { "" }
                ));
                found.push(json!({
                    "file": name, "line": n + 1, "start": f.start, "end": f.end,
                    "category": f.category.to_string(), "confidence": f.confidence, "validated": f.validated,
                }));
            }
        }
    }
    if a.format == ScanFormat::Text {
        out.say(format!("{total} findings"));
        out.json(&found);
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn inventory(g: &Global, out: &Out) -> Result<ExitCode> {
    let ws = open::workspace(g, false).await?;
    let report = ws.inventory().await?;
    out.result(report.to_text().trim_end());
    out.json(&report.to_json());
    Ok(ExitCode::SUCCESS)
}

fn request_kind(k: Kind) -> RequestKind {
    match k {
        Kind::Access => RequestKind::Access,
        Kind::Correction => RequestKind::Correction,
        Kind::Erasure => RequestKind::Erasure,
        Kind::OptOut => RequestKind::MarketingOptOut,
    }
}

pub(crate) async fn request(g: &Global, cmd: RequestCmd, out: &Out) -> Result<ExitCode> {
    let ws = open::workspace(g, false).await?;
    let ledger = ws.ledger();
    match cmd {
        RequestCmd::New { subject, kind, received, follows } => {
            let key = subject_key(&subject);
            ws.check_subject(&key).await?;
            let mut new = NewRequest::new(request_kind(kind), vec![key]);
            if let Some(day) = received {
                let day = date("--received", &day)?;
                // Noon in Hong Kong on the day received.
                new = new.received_at(hk_start(day) + Duration::hours(12));
            }
            if let Some(f) = follows {
                new = new.follows(uuid("--follows", &f)?);
            }
            let (req, due) = ws.receive_request(new).await?;
            out.result(format!("request {} recorded ({}, received {})", req.id, req.kind, req.received_on));
            out.result(format!("due {}: {}", due.date, due.explanation));
            out.json(&json!({
                "id": req.id, "kind": req.kind, "subject": subject, "received_on": req.received_on.to_string(),
                "due_date": due.date.to_string(), "statutory": due.statutory, "basis": due.basis,
            }));
        }
        RequestCmd::List { open } => {
            let mut all = ledger.store().list().await.map_err(CliError::from)?;
            if open {
                all.retain(|r| r.state.is_open());
            }
            let mut rows = Vec::new();
            for r in &all {
                let due = ledger.due(r).map_err(pdpo::Error::from)?;
                out.result(format!(
                    "{}  {:<11} {:<17} received {}  due {}",
                    r.id, r.kind, r.state, r.received_on, due.date
                ));
                rows.push(json!({ "id": r.id, "kind": r.kind, "state": r.state, "received_on": r.received_on.to_string(), "due_date": due.date.to_string() }));
            }
            out.say(format!("{} requests", all.len()));
            out.json(&rows);
        }
        RequestCmd::Due { within } => {
            let soon = ledger.due_within(within).await.map_err(pdpo::Error::from)?;
            let mut rows = Vec::new();
            for (r, d) in &soon {
                out.result(format!("{}  {:<11} due {}  ({})", r.id, r.kind, d.date, d.basis));
                rows.push(json!({ "id": r.id, "kind": r.kind, "due_date": d.date.to_string(), "statutory": d.statutory }));
            }
            out.say(format!("{} open requests due within {within} days or overdue", soon.len()));
            out.json(&rows);
        }
        RequestCmd::Refuse { id, grounds, reasons } => {
            let id = uuid("request id", &id)?;
            let grounds = grounds
                .iter()
                .map(|g| {
                    RefusalGround::from_code(g).ok_or_else(|| {
                        CliError::input(format!("--ground `{g}` is not a refusal ground code"))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let input = RefusalInput {
                grounds,
                reasons,
                other_data_user: None,
                prejudice: None,
                notice_served_on: pdpo::core::hong_kong_date(ws.clock().now()),
            };
            let (req, entry) = ledger.refuse(id, input, ws.actor()).await.map_err(pdpo::Error::from)?;
            out.result(format!("request {} refused; log-book entry {} written (s.27)", req.id, entry.id));
            out.json(&json!({ "id": req.id, "state": req.state, "log_entry": entry.id }));
        }
        RequestCmd::Complete { id, identity_verified } => {
            let id = uuid("request id", &id)?;
            let (req, _) = ws.request(id).await?;
            if req.state == pdpo::requests::RequestState::Received {
                if !identity_verified {
                    return Err(CliError::new(
                        crate::error::REFUSED,
                        format!(
                            "request {id}: the requestor's identity is not verified yet; pass --identity-verified to record that you verified it"
                        ),
                    ));
                }
                ledger.verify_identity(id, ws.actor()).await.map_err(pdpo::Error::from)?;
            }
            let req = ledger.complete(id, ws.actor()).await.map_err(pdpo::Error::from)?;
            out.result(format!(
                "request {} completed on {}",
                req.id,
                req.completed_on.map(|d| d.to_string()).unwrap_or_default()
            ));
            out.json(&json!({ "id": req.id, "state": req.state }));
        }
        RequestCmd::Notice { id, kind, data_user, address, requestor } => {
            let id = uuid("request id", &id)?;
            let (req, due) = ws.request(id).await?;
            let today = pdpo::core::hong_kong_date(ws.clock().now());
            let ctx = NoticeContext::for_request(&req, due.date, today, data_user, address, requestor);
            let kind = match kind {
                NoticeArg::DataHeld => NoticeKind::DataHeld,
                NoticeArg::DataNotHeld => NoticeKind::DataNotHeld,
                NoticeArg::Partial => NoticeKind::PartialCompliance,
                NoticeArg::AccessRefusal => NoticeKind::AccessRefusal,
                NoticeArg::CorrectionRefusal => NoticeKind::CorrectionRefusal,
            };
            let text =
                pdpo::requests::Notices::new().render(kind, req.language, &ctx).map_err(pdpo::Error::from)?;
            out.result(text.trim_end());
            out.json(&json!({ "id": req.id, "notice": text }));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The subject's latest open access request.
async fn open_access_request(ws: &Workspace<Sql>, key: &Key) -> Result<Uuid> {
    let open = ws.ledger().open().await.map_err(pdpo::Error::from)?;
    open.into_iter()
        .map(|(r, _)| r)
        .filter(|r| r.kind == RequestKind::Access && r.subjects.contains(key))
        .max_by_key(|r| r.received_at)
        .map(|r| r.id)
        .ok_or_else(|| {
            CliError::not_found(format!(
                "subject {key} has no open access request: record one with `pdpo request new {key} --kind access`"
            ))
        })
}

pub(crate) async fn export(g: &Global, cmd: ExportCmd, out: &Out) -> Result<ExitCode> {
    let ws = open::workspace(g, false).await?;
    match cmd {
        ExportCmd::Subject { id, request, out: path } => {
            let key = subject_key(&id);
            ws.check_subject(&key).await?;
            let request = match request {
                Some(r) => uuid("--request", &r)?,
                None => open_access_request(&ws, &key).await?,
            };
            let manifest = write_subject_export(&ws, request, &path).await?;
            out.result(format!("wrote {} for request {request}:", path.display()));
            for f in &manifest.files {
                out.result(format!("  {:<40} {:>9} bytes  sha256 {}", f.path, f.size, &f.sha256[..16]));
            }
            out.json(&json!({ "path": path, "request": request, "files": manifest.files.len() }));
        }
        ExportCmd::Workspace { out: path } => {
            let (manifest, expires) = write_workspace_export(&ws, &path, out).await?;
            out.result(format!("wrote {} ({} files)", path.display(), manifest.files.len()));
            if let Some(t) = expires {
                out.result(format!("download link token expires {}", t.format("%Y-%m-%d %H:%M UTC")));
            }
            out.json(&json!({ "path": path, "files": manifest.files.len(), "link_expires_at": expires }));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn erase(g: &Global, a: &EraseArgs, out: &Out) -> Result<ExitCode> {
    let ws = open::workspace(g, false).await?;
    let key = subject_key(&a.id);
    let request = a.request.as_deref().map(|r| uuid("--request", r)).transpose()?;
    let cert = ws.erase(&key, request).await?;
    if let Some(path) = &a.certificate {
        write_new(path, cert.to_json().as_bytes())?;
    }
    print_certificate(&cert, out);
    out.json(&cert);
    Ok(ExitCode::SUCCESS)
}

/// The erasure certificate for people.
pub(crate) fn print_certificate(cert: &pdpo::anonymise::ErasureCertificate, out: &Out) {
    if cert.already_erased {
        out.result(format!("subject {}: nothing left to erase (already erased)", cert.subject));
    }
    out.result(format!(
        "erasure certificate {}: {} records changed ({} fields), keys shredded: {}, verified: {}",
        cert.id,
        cert.records_changed.len(),
        cert.fields_changed(),
        if cert.keys_shredded { "yes" } else { "no" },
        if cert.verified { "yes" } else { "NO" },
    ));
    for r in &cert.retained {
        let mut why: Vec<String> = r.retainers.iter().map(|x| format!("{} ({})", x.reason, x.name)).collect();
        if r.erase_mode_keep {
            why.push("the schema keeps this entity (erase = \"keep\")".to_owned());
        }
        let from = r.erasable_from.map(|d| format!(", erasable from {}", d.date_naive())).unwrap_or_default();
        out.result(format!("  kept {}: {}{from}", r.record, why.join("; ")));
    }
}

pub(crate) async fn correct(g: &Global, a: &CorrectArgs, out: &Out) -> Result<ExitCode> {
    let ws = open::workspace(g, false).await?;
    let key = subject_key(&a.id);
    let entity = ws.schema().subject().clone();
    let mut c = Correction::new(RecordRef::new(entity, key.clone()));
    for change in &a.changes {
        let Some((field, value)) = change.split_once('=') else {
            return Err(CliError::input(format!("`{change}`: expected FIELD=VALUE")));
        };
        Identifier::new(field).map_err(|e| CliError::input(format!("field `{field}`: {e}")))?;
        c = c.set(field, if value.is_empty() { Value::Null } else { Value::from(value) });
    }
    let request = a.request.as_deref().map(|r| uuid("--request", r)).transpose()?;
    let report = ws.correct(&key, &[c], request).await?;
    let fields: Vec<&str> = report.fields.iter().map(Identifier::as_str).collect();
    out.result(format!("corrected {} of subject {}", fields.join(", "), report.subject));
    for r in &report.notify {
        out.result(format!(
            "  notify {} (last disclosed {}; s.23(1)(c))",
            r.recipient,
            r.last_disclosed.date_naive()
        ));
    }
    out.json(&report);
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn retention(g: &Global, cmd: RetentionCmd, out: &Out) -> Result<ExitCode> {
    let ws = open::workspace(g, true).await?;
    match cmd {
        RetentionCmd::Plan { sample } => {
            let summary = ws.retention_plan(sample).await?;
            print_plan(&summary, out);
            out.json(&summary);
        }
        RetentionCmd::Run { chunk } => {
            let (report, summary) = ws.retention_run(chunk).await?;
            out.result(format!(
                "retention run: {} records evaluated, {} anonymised, {} deleted, {} left unchanged",
                report.evaluated, report.anonymised, report.deleted, report.unchanged
            ));
            out.json(&json!({ "evaluated": report.evaluated, "anonymised": report.anonymised, "deleted": report.deleted, "unchanged": report.unchanged, "summary": summary }));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A retention plan's counts and sample decisions for people.
pub(crate) fn print_plan(s: &pdpo::retention::PlanSummary, out: &Out) {
    out.result(format!("{} records evaluated", s.records));
    for (o, n) in &s.by_outcome {
        out.result(format!("  {o:<16} {n:>9}"));
    }
    for (a, n) in &s.due_by_action {
        out.result(format!("  due to {a:<9} {n:>9}"));
    }
    for d in s.sample.iter().take(5) {
        out.result(format!("  e.g. {}: {}", d.record, d.reason));
    }
}

pub(crate) async fn audit(g: &Global, cmd: AuditCmd, out: &Out) -> Result<ExitCode> {
    let ws = open::workspace(g, false).await?;
    match cmd {
        AuditCmd::Verify { checkpoint, key } => {
            let report = match checkpoint {
                Some(path) => {
                    let text = fs::read_to_string(&path).map_err(|e| CliError::io("reading", &path, &e))?;
                    let cp = Checkpoint::from_text(&text)
                        .map_err(|e| CliError::input(format!("checkpoint `{}`: {e}", path.display())))?;
                    ws.verify_audit_against(&cp, &checkpoint_key(&key, false)?).await?
                }
                None => ws.verify_audit().await?,
            };
            let faults: Vec<String> = report.faults.iter().map(ToString::to_string).collect();
            out.json(&json!({ "clean": report.is_clean(), "entries": report.entries, "seals": report.seals, "faults": faults }));
            if report.is_clean() {
                out.result(format!(
                    "audit log verified: {} entries in {} months, {} seals, no faults",
                    report.entries,
                    report.months.len(),
                    report.seals
                ));
                return Ok(ExitCode::SUCCESS);
            }
            for f in &faults {
                out.result(format!("FAULT {f}"));
            }
            out.result(format!("audit log does NOT verify: {} faults", faults.len()));
            return Ok(ExitCode::from(CHECK_FAILED));
        }
        AuditCmd::Query { subject, actor, since, limit } => {
            let mut q = Query::new();
            if let Some(s) = subject {
                q = q.subject(subject_key(&s));
            }
            if let Some(a) = actor {
                q = q.actor(open::actor(&a)?);
            }
            if let Some(d) = since {
                q = q.since(hk_start(date("--since", &d)?));
            }
            let found = pdpo::audit::query(ws.audit(), &q).await?;
            let shown = &found[found.len().saturating_sub(limit)..];
            for l in shown {
                let e = &l.event;
                let what = e
                    .record
                    .as_ref()
                    .map(ToString::to_string)
                    .or_else(|| e.subject.as_ref().map(|s| format!("subject {s}")));
                out.result(format!(
                    "{} {}#{} {} {} {}",
                    e.at.format("%Y-%m-%d %H:%M:%S"),
                    l.month,
                    l.index,
                    e.actor,
                    e.action,
                    what.unwrap_or_default()
                ));
            }
            out.say(format!("{} events (showing {})", found.len(), shown.len()));
            out.json(&shown);
        }
        AuditCmd::Checkpoint { key, out: file } => {
            let key = checkpoint_key(&key, true)?;
            let cp = ws.checkpoint(&key).await?;
            let text = cp.to_text();
            match file {
                Some(path) => {
                    write_new(&path, text.as_bytes())?;
                    out.say(format!(
                        "wrote {}: keep it where the database administrator cannot rewrite it",
                        path.display()
                    ));
                }
                None => out.result(text.trim_end()),
            }
            out.json(&json!({ "checkpoint": text }));
        }
        AuditCmd::BreachReport { actor, from, to } => {
            let who = open::actor(&actor)?;
            let from = hk_start(date("--from", &from)?);
            let to = hk_start(date("--to", &to)?) + Duration::days(1);
            let report = ws.breach_report(&who, from, to).await?;
            out.result(format!(
                "{who}: {} events, {} subjects exposed, {} bulk operations{}",
                report.events,
                report.subjects.len(),
                report.bulk.len(),
                if report.complete { "" } else { " (part of the period was dropped by audit retention)" }
            ));
            for s in &report.subjects {
                out.result(format!(
                    "  subject {}: {} records, {} fields",
                    s.subject,
                    s.records.len(),
                    s.fields.len()
                ));
            }
            out.json(&report);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads (or, if `create`, creates) a checkpoint key file: 32 random bytes in hex.
pub(crate) fn checkpoint_key(path: &Path, create: bool) -> Result<CheckpointKey> {
    if !path.is_file() {
        if !create {
            return Err(CliError::input(format!("checkpoint key `{}` does not exist", path.display())));
        }
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)
            .map_err(|e| CliError::new(crate::error::FAILED, format!("random bytes: {e}")))?;
        write_new(path, hex::encode(secret).as_bytes())?;
    }
    let text = fs::read_to_string(path).map_err(|e| CliError::io("reading", path, &e))?;
    let secret = hex::decode(text.trim())
        .map_err(|_| CliError::input(format!("checkpoint key `{}`: not hex", path.display())))?;
    let id = Identifier::new("checkpoint").map_err(CliError::from)?;
    CheckpointKey::new(id, &secret)
        .map_err(|e| CliError::input(format!("checkpoint key `{}`: {e}", path.display())))
}

pub(crate) async fn workspace(g: &Global, cmd: WorkspaceCmd, out: &Out) -> Result<ExitCode> {
    crate::tenancy::run(g, cmd, out).await
}
