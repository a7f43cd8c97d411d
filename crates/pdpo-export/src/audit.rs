//! The audit log inside a workspace export: its kept partitions as JSONL, its seals and its
//! head, written page by page, and read back into a [`Snapshot`] for verification.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Seek, Write};

use chrono::{DateTime, Utc};
use pdpo_audit::{AuditStore, EntryRow, Head, Month, Partition, Seal, Snapshot};
use pdpo_core::{AuditEvent, Identifier};
use serde::{Deserialize, Serialize};

use crate::archive::Archive;
use crate::{Error, Result};

/// Folder of the audit files inside a workspace export.
const AUDIT_DIR: &str = "audit";

/// `audit/head.json`: the log's origin (which fixes its genesis value), the head the export was
/// cut at, and the partitions written with their row counts.
const HEAD_FILE: &str = "audit/head.json";

/// `audit/seals.json`: every seal the head counts, oldest first.
const SEALS_FILE: &str = "audit/seals.json";

/// `audit/partitions/<YYYY-MM>.jsonl`.
fn partition_file(month: Month) -> String {
    format!("{AUDIT_DIR}/partitions/{month}.jsonl")
}

#[derive(Serialize, Deserialize)]
struct HeadFile<H, P> {
    origin: Identifier,
    head: H,
    partitions: P,
}

/// One line of a partition file: the stored row, and the event it encodes for people reading
/// the file (absent when the body does not decode; verification reports such a row).
#[derive(Serialize)]
struct Line<'r> {
    #[serde(flatten)]
    row: &'r EntryRow,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<AuditEvent>,
}

/// What [`write_audit`] wrote.
pub(crate) struct AuditCounts {
    pub(crate) entries: u64,
    pub(crate) partitions: u64,
    pub(crate) seals: u64,
    pub(crate) head_size: u64,
    pub(crate) head_at: DateTime<Utc>,
}

fn audit_err(part: impl Into<String>) -> impl FnOnce(pdpo_audit::Error) -> Error {
    let part = part.into();
    move |source| Error::Audit { part, source }
}

/// Writes the log's partitions, seals and head into `zip`, reading at most `page` rows at a time,
/// and calls `report` after every page.
///
/// The head is read first and bounds everything else: only its `seals` seals, partitions up to
/// its month, and in its month only its `count` rows. Rows appended meanwhile are left out, so
/// the files are one consistent cut that verifies on its own.
pub(crate) async fn write_audit<A, W, F>(
    log: &A,
    zip: &mut Archive<W>,
    page: usize,
    report: &mut F,
) -> Result<AuditCounts>
where
    A: AuditStore,
    W: Write,
    F: FnMut(&Archive<W>),
{
    let page = page.max(1);
    let head = log.head().await.map_err(audit_err("head"))?;
    let mut seals = log.seals().await.map_err(audit_err("seals"))?;
    seals.truncate(usize::try_from(head.seals).unwrap_or(usize::MAX));
    let kept = log.partitions().await.map_err(audit_err("partitions"))?;

    let mut written = Vec::with_capacity(kept.len());
    let mut entries = 0u64;
    for p in kept.into_iter().filter(|p| head.month.is_some_and(|m| p.month <= m)) {
        let limit = if Some(p.month) == head.month { head.count } else { u64::MAX };
        let path = partition_file(p.month);
        zip.start(&path, None)?;
        let mut offset = 0u64;
        while offset < limit {
            let want = usize::try_from((limit - offset).min(page as u64)).unwrap_or(page);
            let rows = log.read(p.month, offset, want).await.map_err(audit_err(p.month.to_string()))?;
            if rows.is_empty() {
                break;
            }
            for row in rows.iter().take(want) {
                let line = Line { row, event: row.event().ok() };
                serde_json::to_writer(&mut *zip, &line).map_err(|e| Error::write(&path, e))?;
                zip.write_all(b"\n").map_err(|e| Error::write(&path, e))?;
                offset += 1;
            }
            report(zip);
        }
        zip.end()?;
        entries += offset;
        written.push(Partition { month: p.month, rows: offset });
    }

    zip.start(SEALS_FILE, None)?;
    serde_json::to_writer_pretty(&mut *zip, &seals).map_err(|e| Error::write(SEALS_FILE, e))?;
    zip.end()?;
    zip.start(HEAD_FILE, None)?;
    let file = HeadFile { origin: log.chain().origin().clone(), head: &head, partitions: &written };
    serde_json::to_writer_pretty(&mut *zip, &file).map_err(|e| Error::write(HEAD_FILE, e))?;
    zip.end()?;
    report(zip);
    Ok(AuditCounts {
        entries,
        partitions: written.len() as u64,
        seals: seals.len() as u64,
        head_size: head.size,
        head_at: head.at,
    })
}

/// Reads the audit log back from a workspace export written with
/// [`WorkspaceExport::audit_log`](crate::WorkspaceExport::audit_log): the head, the seals and
/// every partition's rows, as a [`Snapshot`].
///
/// Nothing is checked here beyond the files' syntax: load the snapshot with
/// [`MemoryAuditStore::from_snapshot`](pdpo_audit::MemoryAuditStore::from_snapshot) and run
/// [`pdpo_audit::verify`] (or `verify_against` a checkpoint kept elsewhere) to prove the chain
/// intact. The whole log is held in memory (about 250 bytes an entry); check
/// [`verify_archive`](crate::verify_archive) first to know the files are the ones written.
///
/// ```
/// # use std::sync::Arc;
/// # use chrono::Utc;
/// # use pdpo_core::{Actor, AuditAction, AuditEvent, FixedClock, Identifier, MemoryBlobStore, MemoryStore, Schema};
/// # use pdpo_audit::{AuditStore, MemoryAuditStore, Scope, verify};
/// # use pdpo_crypto::{SecretKey, TokenSigner};
/// use pdpo_export::{WorkspaceExport, read_audit_snapshot};
///
/// # let clock = Arc::new(FixedClock::new(Utc::now()));
/// # let staff = Actor::user("staff-7")?;
/// # let signer = TokenSigner::new(&SecretKey::from_bytes([7; 32]), clock.clone());
/// # let store = MemoryStore::new(Schema::from_toml_str("subject = \"contacts\"\n[entities.contacts]\nkey = \"id\"\n", None)?);
/// let log = MemoryAuditStore::with_clock(Identifier::from_static("acme"), clock.clone());
/// pollster::block_on(log.append(&[AuditEvent::new(AuditAction::Login, staff.clone(), clock.now())]))?;
/// let done = pollster::block_on(
///     WorkspaceExport::new(&staff, &*clock, &signer)
///         .audit_log(&log)
///         .write(&store, &MemoryBlobStore::new(), Vec::new(), |_| {}),
/// )?;
///
/// let snapshot = read_audit_snapshot(std::io::Cursor::new(done.output))?;
/// let back = MemoryAuditStore::from_snapshot(snapshot, clock);
/// assert!(pollster::block_on(verify(&back, Scope::All))?.is_clean());
/// # use pdpo_core::Clock;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_audit_snapshot<R: Read + Seek>(archive: R) -> Result<Snapshot> {
    let mut zip = zip::ZipArchive::new(archive).map_err(|e| Error::read("archive", e))?;
    let head: HeadFile<Head, Vec<Partition>> = {
        let file = zip.by_name(HEAD_FILE).map_err(|e| Error::read(HEAD_FILE, e))?;
        serde_json::from_reader(BufReader::new(file)).map_err(|e| Error::read(HEAD_FILE, e))?
    };
    let seals: Vec<Seal> = {
        let file = zip.by_name(SEALS_FILE).map_err(|e| Error::read(SEALS_FILE, e))?;
        serde_json::from_reader(BufReader::new(file)).map_err(|e| Error::read(SEALS_FILE, e))?
    };
    let mut partitions = BTreeMap::new();
    for p in &head.partitions {
        let path = partition_file(p.month);
        let file = zip.by_name(&path).map_err(|e| Error::read(&path, e))?;
        let mut rows = Vec::with_capacity(usize::try_from(p.rows).unwrap_or(0).min(1 << 20));
        for (n, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|e| Error::read(&path, e))?;
            let row: EntryRow =
                serde_json::from_str(&line).map_err(|e| Error::read(&format!("{path} line {}", n + 1), e))?;
            rows.push(row);
        }
        partitions.insert(p.month, rows);
    }
    Ok(Snapshot { origin: head.origin, head: head.head, seals, partitions })
}
