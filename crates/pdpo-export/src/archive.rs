//! The streaming ZIP container: entries are hashed (SHA-256) and counted as they are written,
//! and `manifest.json` lists them last. No `Seek` is needed on the output.

use std::collections::BTreeMap;
use std::io::{self, Read, Seek, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zip::write::{SimpleFileOptions, StreamWriter};
use zip::{CompressionMethod, ZipWriter};

use crate::{Error, Result};

/// The name of the manifest inside every archive.
pub const MANIFEST_FILE: &str = "manifest.json";

/// The manifest's format tag.
pub const MANIFEST_FORMAT: &str = "pdpo-export/1";

/// How archive entries are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Compression {
    /// DEFLATE (zlib-rs), level 6. The default. Attachments whose format is already compressed
    /// (images, PDF, archives, audio, video, Office files; known by extension) are stored as they
    /// are: compressing them again costs time and saves nothing.
    #[default]
    Deflate,
    /// No compression: fastest, and the bytes of each file appear as is in the archive.
    Store,
}

/// Which kind of export an archive holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ExportKind {
    /// A data subject's copy under a data access request (s.18(1)(b), s.19).
    SubjectAccess,
    /// Everything in a workspace (tenant).
    Workspace,
}

/// One file of an archive as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ManifestFile {
    /// Path inside the archive.
    pub path: String,
    /// Uncompressed size in bytes.
    pub size: u64,
    /// SHA-256 of the uncompressed bytes, lowercase hex.
    pub sha256: String,
    /// For an attachment: the entity and key of the record that names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// `manifest.json`: what the archive holds and for which request. It is the last file written and
/// does not list itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Manifest {
    /// Format tag, [`MANIFEST_FORMAT`].
    pub format: String,
    /// What the archive holds.
    pub kind: ExportKind,
    /// This export's id (also the resource of its download link).
    pub export_id: uuid::Uuid,
    /// The access request served, for a subject export.
    pub request_id: Option<uuid::Uuid>,
    /// The data subject keys exported (the subject entity's keys), for a subject export.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
    /// The moment the copy speaks for: the request's receipt (s.19(3)) for a subject export.
    pub snapshot_at: Option<DateTime<Utc>>,
    /// When the archive was generated.
    pub generated_at: DateTime<Utc>,
    /// The last day to comply, for a subject export (s.19(1)).
    pub due_date: Option<NaiveDate>,
    /// How the due date was counted.
    pub due_basis: Option<String>,
    /// Counts (`records`, `attachments`, `redacted_fields`, ...).
    pub counts: BTreeMap<String, u64>,
    /// Notes for the reader (redaction, what the snapshot reflects).
    pub notes: Vec<String>,
    /// Every other file of the archive, in the order written.
    pub files: Vec<ManifestFile>,
}

/// Counts bytes written to the output, shared with the progress reporter.
struct Counting<W> {
    inner: W,
    count: Arc<AtomicU64>,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Bytes gathered before they go to the ZIP writer: serde writes JSON in pieces of a few bytes,
/// and each write reaching the compressor and the CRC costs far more than a copy into a buffer.
const BUFFER: usize = 64 * 1024;

struct Open {
    path: String,
    source: Option<String>,
    hasher: Sha256,
    size: u64,
}

/// A streaming ZIP writer that hashes every entry. Write an entry with [`Archive::start`], the
/// `Write` impl, [`Archive::end`]; close with [`Archive::finish`].
pub(crate) struct Archive<W: Write> {
    zip: ZipWriter<StreamWriter<Counting<W>>>,
    written: Arc<AtomicU64>,
    options: SimpleFileOptions,
    /// For files whose format is already compressed (see [`already_compressed`]).
    stored: SimpleFileOptions,
    files: Vec<ManifestFile>,
    open: Option<Open>,
    /// Bytes of the open entry not yet hashed and handed to `zip` (already counted).
    pending: Vec<u8>,
}

impl<W: Write> Archive<W> {
    pub(crate) fn new(out: W, compression: Compression, modified: DateTime<Utc>) -> Self {
        let written = Arc::new(AtomicU64::new(0));
        let zip = ZipWriter::new_stream(Counting { inner: out, count: written.clone() });
        let method = match compression {
            Compression::Deflate => CompressionMethod::Deflated,
            Compression::Store => CompressionMethod::Stored,
        };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .large_file(true)
            .unix_permissions(0o644)
            .last_modified_time(dos_time(modified));
        let stored = options.compression_method(CompressionMethod::Stored);
        Self {
            zip,
            written,
            options,
            stored,
            files: Vec::new(),
            open: None,
            pending: Vec::with_capacity(BUFFER),
        }
    }

    /// Bytes written to the output so far (compressed, headers included).
    pub(crate) fn bytes_written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Starts a file; the previous one must have been ended.
    pub(crate) fn start(&mut self, path: &str, source: Option<String>) -> Result<()> {
        self.start_with(path, source, self.options)
    }

    fn start_with(&mut self, path: &str, source: Option<String>, options: SimpleFileOptions) -> Result<()> {
        debug_assert!(self.open.is_none(), "entry `{path}` started while another is open");
        self.end()?;
        self.zip.start_file(path, options).map_err(|e| Error::write(path, e))?;
        self.open = Some(Open { path: path.to_owned(), source, hasher: Sha256::new(), size: 0 });
        Ok(())
    }

    /// Ends the current file and records it in the manifest.
    pub(crate) fn end(&mut self) -> Result<()> {
        if let Some(path) = self.open.as_ref().map(|o| o.path.clone()) {
            self.drain().map_err(|e| Error::write(&path, e))?;
        }
        if let Some(open) = self.open.take() {
            self.files.push(ManifestFile {
                path: open.path,
                size: open.size,
                sha256: hex::encode(open.hasher.finalize()),
                source: open.source,
            });
        }
        Ok(())
    }

    /// Writes a whole file from a reader, streaming. Files in a format that is already compressed
    /// (by extension: images, PDF, archives, audio, video, Office files) are stored as they are:
    /// DEFLATE would spend CPU time for no gain.
    pub(crate) fn copy_file(
        &mut self,
        path: &str,
        source: Option<String>,
        from: &mut dyn Read,
    ) -> Result<u64> {
        let options = if already_compressed(path) { self.stored } else { self.options };
        self.start_with(path, source, options)?;
        let n = io::copy(from, self).map_err(|e| Error::write(path, e))?;
        self.end()?;
        Ok(n)
    }

    /// Writes `manifest.json` (with `files` filled in) and closes the archive, returning the output.
    pub(crate) fn finish(mut self, mut manifest: Manifest) -> Result<(W, Manifest)> {
        self.end()?;
        manifest.files = std::mem::take(&mut self.files);
        let json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::write(MANIFEST_FILE, e))?;
        self.zip.start_file(MANIFEST_FILE, self.options).map_err(|e| Error::write(MANIFEST_FILE, e))?;
        self.zip.write_all(&json).map_err(|e| Error::write(MANIFEST_FILE, e))?;
        let out = self.zip.finish().map_err(|e| Error::write("archive", e))?.into_inner().inner;
        Ok((out, manifest))
    }
}

impl<W: Write> Archive<W> {
    /// Hashes the gathered bytes and hands them to the ZIP writer.
    fn drain(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            if let Some(open) = self.open.as_mut() {
                open.hasher.update(&self.pending);
            }
            self.zip.write_all(&self.pending)?;
            self.pending.clear();
        }
        Ok(())
    }
}

impl<W: Write> Write for Archive<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(open) = self.open.as_mut() else {
            return Err(io::Error::other("no archive entry is open"));
        };
        open.size += buf.len() as u64;
        if self.pending.len() + buf.len() > BUFFER {
            self.drain()?;
        }
        if buf.len() >= BUFFER {
            if let Some(open) = self.open.as_mut() {
                open.hasher.update(buf);
            }
            self.zip.write_all(buf)?;
        } else {
            self.pending.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.drain()?;
        self.zip.flush()
    }
}

/// Whether a file name's extension names a format that is already compressed.
pub(crate) fn already_compressed(path: &str) -> bool {
    const COMPRESSED: [&str; 24] = [
        "7z", "avif", "bz2", "docx", "gif", "gz", "heic", "jpeg", "jpg", "m4a", "mov", "mp3", "mp4", "odt",
        "pdf", "png", "pptx", "rar", "webm", "webp", "xlsx", "xz", "zip", "zst",
    ];
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.').is_some_and(|(_, ext)| COMPRESSED.iter().any(|c| c.eq_ignore_ascii_case(ext)))
}

/// A ZIP (MS-DOS) timestamp in Hong Kong time, clamped to the format's 1980–2107 range.
fn dos_time(at: DateTime<Utc>) -> zip::DateTime {
    let local = at.with_timezone(&pdpo_core::HONG_KONG);
    let year = u16::try_from(local.year().clamp(1980, 2107)).unwrap_or(1980);
    // The parts are in range by construction (chrono's month/day/hour/minute/second), so the
    // conversion only fails for a year outside 1980–2107, clamped above.
    zip::DateTime::from_date_and_time(
        year,
        u8::try_from(local.month()).unwrap_or(1),
        u8::try_from(local.day()).unwrap_or(1),
        u8::try_from(local.hour()).unwrap_or(0),
        u8::try_from(local.minute()).unwrap_or(0),
        u8::try_from(local.second()).unwrap_or(0),
    )
    .unwrap_or_default()
}

/// What [`verify_archive`] found wrong with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mismatch {
    /// A listed file is missing from the archive.
    Missing {
        /// Path.
        path: String,
    },
    /// A file's size or SHA-256 differs from the manifest.
    Changed {
        /// Path.
        path: String,
    },
    /// The archive holds a file the manifest does not list.
    Unlisted {
        /// Path.
        path: String,
    },
}

/// Reads an archive written by this crate, recomputes every file's SHA-256 and size, and
/// compares them with `manifest.json`. Returns the manifest and the mismatches (empty when the
/// archive is intact).
pub fn verify_archive<R: Read + Seek>(archive: R) -> Result<(Manifest, Vec<Mismatch>)> {
    let read_err = |file: &str, e: zip::result::ZipError| Error::read(file, e);
    let mut zip = zip::ZipArchive::new(archive).map_err(|e| read_err("archive", e))?;
    let manifest: Manifest = {
        let file = zip.by_name(MANIFEST_FILE).map_err(|e| read_err(MANIFEST_FILE, e))?;
        serde_json::from_reader(file).map_err(|e| Error::read(MANIFEST_FILE, e))?
    };
    let mut problems = Vec::new();
    let mut listed = std::collections::HashSet::new();
    for f in &manifest.files {
        listed.insert(f.path.as_str());
        let Ok(mut entry) = zip.by_name(&f.path) else {
            problems.push(Mismatch::Missing { path: f.path.clone() });
            continue;
        };
        let mut hasher = HashingSink::default();
        io::copy(&mut entry, &mut hasher).map_err(|e| Error::read(&f.path, e))?;
        if hasher.size != f.size || hex::encode(hasher.hasher.finalize()) != f.sha256 {
            problems.push(Mismatch::Changed { path: f.path.clone() });
        }
    }
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(|e| read_err("archive", e))?;
        let name = entry.name().map_err(|e| read_err("archive", e))?.into_owned();
        if name != MANIFEST_FILE && !listed.contains(name.as_str()) {
            problems.push(Mismatch::Unlisted { path: name });
        }
    }
    Ok((manifest, problems))
}

#[derive(Default)]
struct HashingSink {
    hasher: Sha256,
    size: u64,
}

impl Write for HashingSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.hasher.update(buf);
        self.size += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_formats_are_known_by_extension() {
        for yes in ["attachments/1/scan.PNG", "a/b/report.pdf", "x.tar.gz", "photo.JpEg", "book.xlsx"] {
            assert!(already_compressed(yes), "{yes}");
        }
        for no in ["data.json", "notes.txt", "png", "archive.zip/readme", "attachments/1/.png.txt", "a.png/b"]
        {
            assert!(!already_compressed(no), "{no}");
        }
    }

    #[test]
    fn compressed_files_are_stored_and_others_deflated() {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let mut zip = Archive::new(Vec::new(), Compression::Deflate, at);
        let text = b"the same line again\n".repeat(200);
        assert!(zip.copy_file("scan.png", None, &mut &text[..]).is_ok());
        assert!(zip.copy_file("notes.txt", None, &mut &text[..]).is_ok());
        let manifest = Manifest {
            format: MANIFEST_FORMAT.to_owned(),
            kind: ExportKind::Workspace,
            export_id: uuid::Uuid::nil(),
            request_id: None,
            subjects: Vec::new(),
            snapshot_at: None,
            generated_at: at,
            due_date: None,
            due_basis: None,
            counts: BTreeMap::new(),
            notes: Vec::new(),
            files: Vec::new(),
        };
        let Ok((bytes, _)) = zip.finish(manifest) else { panic!("the archive did not close") };
        let Ok(mut read) = zip::ZipArchive::new(io::Cursor::new(bytes)) else { panic!("unreadable archive") };
        let method =
            |read: &mut zip::ZipArchive<_>, name: &str| read.by_name(name).map(|f| f.compression()).ok();
        assert_eq!(method(&mut read, "scan.png"), Some(CompressionMethod::Stored));
        assert_eq!(method(&mut read, "notes.txt"), Some(CompressionMethod::Deflated));
    }
}
