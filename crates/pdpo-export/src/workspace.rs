//! The workspace export: every entity as JSONL, the audit log's partitions, seals and head,
//! attachments and a manifest, in bounded memory, behind a signed download link that expires.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;

use chrono::{DateTime, Duration, Utc};
use pdpo_audit::{AuditStore, MemoryAuditStore};
use pdpo_core::{
    Actor, AuditAction, AuditEvent, BlobStore, Clock, DataStore, Identifier, Key, PiiCategory, Value,
};
use pdpo_crypto::TokenSigner;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::archive::{Archive, Compression, ExportKind, MANIFEST_FORMAT, Manifest};
use crate::audit::write_audit;
use crate::names::{MAX_NAME_BYTES, NameSet, sanitise_file_name};
use crate::subject::{ExportSummary, NAME_COLUMNS, export_id};
use crate::{CsvWriter, Error, Result};

/// The purpose string download-link tokens are signed for (`TokenSigner::verify(token, TOKEN_PURPOSE)`).
pub const TOKEN_PURPOSE: &str = "pdpo-export";

/// How long a download link stays valid.
pub const DOWNLOAD_LINK_TTL_HOURS: i64 = 24;

/// Records read per `scan_page` call by default.
const DEFAULT_PAGE: usize = 1_000;

/// Where an export is, reported after every page and every attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress<'a> {
    /// The entity being written (`attachments` while copying files, `audit` for the audit log).
    pub entity: &'a str,
    /// Records written so far.
    pub records_done: u64,
    /// Records in total, when known (counted first, or given with
    /// [`WorkspaceExport::expected_records`]).
    pub records_total: Option<u64>,
    /// Attachments copied so far.
    pub attachments_done: u64,
    /// Bytes written to the output so far.
    pub bytes_written: u64,
}

/// A signed link token for downloading a finished export.
///
/// The token is a bearer credential: `Debug` hides it. Verify it with
/// `TokenSigner::verify(token, TOKEN_PURPOSE)`; the resource it grants is the export id.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadLink {
    /// The export the link is for.
    pub export_id: uuid::Uuid,
    /// The signed token to put in the URL.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for DownloadLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DownloadLink")
            .field("export_id", &self.export_id)
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Signs a download link for `export_id`, valid for [`DOWNLOAD_LINK_TTL_HOURS`].
pub(crate) fn sign_link(
    signer: &TokenSigner,
    export_id: uuid::Uuid,
    now: DateTime<Utc>,
) -> Result<DownloadLink> {
    let ttl = Duration::hours(DOWNLOAD_LINK_TTL_HOURS);
    let token = signer
        .sign(TOKEN_PURPOSE, &export_id.to_string(), ttl)
        .map_err(|source| Error::Token { export: export_id, source })?;
    Ok(DownloadLink { export_id, token, expires_at: now + ttl })
}

/// Exports a whole workspace as a streamed ZIP64 archive:
///
/// - `entities/<entity>.jsonl`: one record per line (`{"key":…,"values":{…}}`), read page by page
///   with `scan_page`;
/// - the audit log given with [`audit_log`](Self::audit_log), as stored: `audit/partitions/<YYYY-MM>.jsonl`
///   (one [`EntryRow`](pdpo_audit::EntryRow) a line, with the decoded `event` beside it for
///   readers), `audit/seals.json` (every [`Seal`](pdpo_audit::Seal)) and `audit/head.json`
///   (the log's origin, its [`Head`](pdpo_audit::Head) and the partitions exported). The chain
///   can be verified again from these files alone: [`read_audit_snapshot`](crate::read_audit_snapshot) loads them into a
///   [`Snapshot`](pdpo_audit::Snapshot) for [`pdpo_audit::verify`];
/// - `attachments/<entity>/<key>/<name>`;
/// - `manifest.json` (every file's size and SHA-256, counts).
///
/// Memory stays bounded by one page of records or audit rows plus the manifest's list of files
/// (about 150 bytes a file) and the seals (one a month). A first pass counts the records for
/// progress unless [`expected_records`](Self::expected_records) is given. The returned summary
/// holds the audit event (action `export`, one event with counts, not one per record) and a
/// download link signed to expire after 24 hours.
///
/// The audit files are one consistent cut of the log: the head is read first, and only the
/// seals and rows it covers are written, so entries appended while the export runs are left out
/// (the next export has them) and the exported head matches the exported rows.
///
/// To run it in the background, spawn the future on your runtime (it is `Send` when the writer
/// and the progress callback are) or drive it on a blocking thread.
pub struct WorkspaceExport<'a, A = MemoryAuditStore> {
    actor: &'a Actor,
    clock: &'a dyn Clock,
    signer: &'a TokenSigner,
    audit: Option<&'a A>,
    compression: Compression,
    page_size: usize,
    expected: Option<u64>,
    max_name_bytes: usize,
}

impl<A> fmt::Debug for WorkspaceExport<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkspaceExport")
            .field("actor", self.actor)
            .field("audit_log", &self.audit.is_some())
            .field("compression", &self.compression)
            .field("page_size", &self.page_size)
            .field("expected", &self.expected)
            .finish_non_exhaustive()
    }
}

impl<'a> WorkspaceExport<'a> {
    /// An export run by `actor`, timed on `clock`, whose link `signer` signs. Without
    /// [`audit_log`](Self::audit_log) the archive holds no audit files and the manifest says so.
    pub fn new(actor: &'a Actor, clock: &'a dyn Clock, signer: &'a TokenSigner) -> Self {
        Self {
            actor,
            clock,
            signer,
            audit: None,
            compression: Compression::default(),
            page_size: DEFAULT_PAGE,
            expected: None,
            max_name_bytes: MAX_NAME_BYTES,
        }
    }
}

impl<'a, A: AuditStore> WorkspaceExport<'a, A> {
    /// The audit log to include: its kept partitions, its seals and its head, as stored.
    #[must_use]
    pub fn audit_log<L: AuditStore>(self, log: &'a L) -> WorkspaceExport<'a, L> {
        WorkspaceExport {
            actor: self.actor,
            clock: self.clock,
            signer: self.signer,
            audit: Some(log),
            compression: self.compression,
            page_size: self.page_size,
            expected: self.expected,
            max_name_bytes: self.max_name_bytes,
        }
    }

    /// How entries are compressed.
    #[must_use]
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Records per `scan_page` call (default 1,000; at least 1).
    #[must_use]
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = n.max(1);
        self
    }

    /// The number of records, if known: skips the counting pass.
    #[must_use]
    pub fn expected_records(mut self, n: u64) -> Self {
        self.expected = Some(n);
        self
    }

    /// Writes the archive to `out`, calling `progress` after every page and attachment.
    pub async fn write<D, B, W, F>(
        &self,
        store: &D,
        blobs: &B,
        out: W,
        mut progress: F,
    ) -> Result<ExportSummary<W>>
    where
        D: DataStore,
        B: BlobStore,
        W: Write,
        F: FnMut(Progress<'_>),
    {
        let schema = store.schema();
        let generated_at = self.clock.now();
        let id = export_id(generated_at);
        let total = match self.expected {
            Some(n) => Some(n),
            None => {
                let mut n = 0u64;
                for e in schema.entities() {
                    n += self.count(store, e.name.as_str()).await?;
                }
                Some(n)
            }
        };

        let mut zip = Archive::new(out, self.compression, generated_at);
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        let mut done = 0u64;
        let mut attachments = 0u64;

        for entity in schema.entities() {
            let name = entity.name.as_str();
            let path = format!("entities/{name}.jsonl");
            zip.start(&path, None)?;
            let mut after: Option<Key> = None;
            let mut n = 0u64;
            loop {
                let page = store
                    .scan_page(name, after.as_ref(), self.page_size)
                    .await
                    .map_err(|e| Error::store(name, e))?;
                for r in &page.records {
                    serde_json::to_writer(&mut zip, &Line { key: &r.key, values: &r.values })
                        .map_err(|e| Error::write(&path, e))?;
                    zip.write_all(b"\n").map_err(|e| Error::write(&path, e))?;
                }
                n += page.records.len() as u64;
                done += page.records.len() as u64;
                progress(Progress {
                    entity: name,
                    records_done: done,
                    records_total: total,
                    attachments_done: attachments,
                    bytes_written: zip.bytes_written(),
                });
                match page.next {
                    Some(next) if !page.records.is_empty() => after = Some(next),
                    _ => break,
                }
            }
            zip.end()?;
            counts.insert(format!("records.{name}"), n);
        }

        let audit = match self.audit {
            Some(log) => {
                let mut report = |zip: &Archive<W>| {
                    progress(Progress {
                        entity: "audit",
                        records_done: done,
                        records_total: total,
                        attachments_done: attachments,
                        bytes_written: zip.bytes_written(),
                    });
                };
                Some(write_audit(log, &mut zip, self.page_size, &mut report).await?)
            }
            None => None,
        };

        // Attachments: a second pass over entities with attachment fields, page by page.
        for entity in schema.entities() {
            let fields: Vec<&str> = entity
                .fields
                .iter()
                .filter(|f| f.category == Some(PiiCategory::Attachment))
                .map(|f| f.name.as_str())
                .collect();
            if fields.is_empty() {
                continue;
            }
            let name = entity.name.as_str();
            let mut after: Option<Key> = None;
            loop {
                let page = store
                    .scan_page(name, after.as_ref(), self.page_size)
                    .await
                    .map_err(|e| Error::store(name, e))?;
                for r in &page.records {
                    let mut names = NameSet::new(self.max_name_bytes);
                    for field in &fields {
                        let Some(blob_id) = r.get(field).and_then(Value::as_text) else { continue };
                        let original = NAME_COLUMNS
                            .iter()
                            .find_map(|c| r.get(c).and_then(Value::as_text))
                            .unwrap_or(blob_id);
                        let path = format!(
                            "attachments/{name}/{}/{}",
                            key_dir(&r.key, self.max_name_bytes),
                            names.claim(original)
                        );
                        let mut reader = blobs.open(blob_id).await.map_err(|e| Error::Blob {
                            entity: name.to_owned(),
                            key: r.key.to_string(),
                            field: (*field).to_owned(),
                            source: Box::new(e),
                        })?;
                        zip.copy_file(&path, Some(format!("{name}[{}]", r.key)), &mut reader)?;
                        attachments += 1;
                        progress(Progress {
                            entity: "attachments",
                            records_done: done,
                            records_total: total,
                            attachments_done: attachments,
                            bytes_written: zip.bytes_written(),
                        });
                    }
                }
                match page.next {
                    Some(next) if !page.records.is_empty() => after = Some(next),
                    _ => break,
                }
            }
        }

        counts.insert("records".to_owned(), done);
        counts.insert("entities".to_owned(), schema.entities().len() as u64);
        counts.insert("attachments".to_owned(), attachments);
        let mut notes = vec![
            "Entities are read page by page while the export runs; records changed during the run may \
             appear as before or after the change."
                .to_owned(),
        ];
        match &audit {
            Some(a) => {
                counts.insert("audit_entries".to_owned(), a.entries);
                counts.insert("audit_partitions".to_owned(), a.partitions);
                counts.insert("audit_seals".to_owned(), a.seals);
                notes.push(format!(
                    "The audit log is exported as of its head at {} ({} entries ever appended); entries \
                     appended later are not included. Months dropped under the retention period keep only \
                     their seals.",
                    a.head_at.to_rfc3339(),
                    a.head_size
                ));
            }
            None => notes.push("No audit log was included in this export.".to_owned()),
        }
        let audit_entries = audit.as_ref().map_or(0, |a| a.entries);
        let manifest = Manifest {
            format: MANIFEST_FORMAT.to_owned(),
            kind: ExportKind::Workspace,
            export_id: id,
            request_id: None,
            subjects: Vec::new(),
            snapshot_at: None,
            generated_at,
            due_date: None,
            due_basis: None,
            counts,
            notes,
            files: Vec::new(),
        };
        let bytes = zip.bytes_written();
        let (output, manifest) = zip.finish(manifest)?;
        let event = AuditEvent::new(AuditAction::Export, self.actor.clone(), generated_at)
            .with_count(Identifier::from_static("records"), done)
            .with_count(Identifier::from_static("entities"), schema.entities().len() as u64)
            .with_count(Identifier::from_static("attachments"), attachments)
            .with_count(Identifier::from_static("audit_entries"), audit_entries)
            .with_count(Identifier::from_static("bytes"), bytes);
        let link = sign_link(self.signer, id, generated_at)?;
        Ok(ExportSummary { output, manifest, event, link: Some(link) })
    }

    async fn count<D: DataStore>(&self, store: &D, entity: &str) -> Result<u64> {
        let mut after: Option<Key> = None;
        let mut n = 0u64;
        loop {
            let page = store
                .scan_page(entity, after.as_ref(), self.page_size)
                .await
                .map_err(|e| Error::store(entity, e))?;
            n += page.records.len() as u64;
            match page.next {
                Some(next) if !page.records.is_empty() => after = Some(next),
                _ => return Ok(n),
            }
        }
    }
}

#[derive(Serialize)]
struct Line<'a> {
    key: &'a Key,
    values: &'a BTreeMap<String, Value>,
}

/// A folder name for a record key: the key itself when it is already a safe name, otherwise a
/// hash of it (so two keys never share a folder).
fn key_dir(key: &Key, max_bytes: usize) -> String {
    let shown = key.to_string();
    let safe = sanitise_file_name(&shown, max_bytes);
    if safe == shown && !shown.starts_with("_h_") {
        safe
    } else {
        format!("_h_{}", &hex::encode(Sha256::digest(shown.as_bytes()))[..32])
    }
}

/// Streams one entity as CSV (header from the store's columns, then one row per record, page by
/// page), every cell guarded against formula injection. Returns the writer.
pub async fn entity_csv<D: DataStore, W: Write>(
    store: &D,
    entity: &str,
    page_size: usize,
    out: W,
) -> Result<W> {
    let file = format!("{entity}.csv");
    let columns: Vec<String> = store
        .columns(entity)
        .await
        .map_err(|e| Error::store(entity, e))?
        .into_iter()
        .map(|c| c.name)
        .collect();
    let mut csv = CsvWriter::new(out, file);
    csv.write_row(&columns)?;
    let mut after: Option<Key> = None;
    loop {
        let page = store
            .scan_page(entity, after.as_ref(), page_size.max(1))
            .await
            .map_err(|e| Error::store(entity, e))?;
        for r in &page.records {
            csv.write_row(columns.iter().map(|c| r.get(c).map(Value::render).unwrap_or_default()))?;
        }
        match page.next {
            Some(next) if !page.records.is_empty() => after = Some(next),
            _ => break,
        }
    }
    csv.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_dirs_are_safe_and_distinct() {
        assert_eq!(key_dir(&Key::from(42), 120), "42");
        let a = key_dir(&Key::from("../x"), 120);
        let b = key_dir(&Key::from("x"), 120);
        assert!(a.starts_with("_h_") && a.len() == 35, "{a}");
        assert_ne!(a, b);
        assert!(
            key_dir(&Key::from("_h_0"), 120).starts_with("_h_") && key_dir(&Key::from("_h_0"), 120) != "_h_0"
        );
    }
}
