//! # pdpo-export
//!
//! Exports for the Hong Kong Personal Data (Privacy) Ordinance (Cap. 486):
//!
//! - **Subject access export** ([`SubjectAccess`]): the copy of a person's data that a data
//!   access request asks for (s.18(1)(b)), to be supplied within 40 days (s.19(1)), intelligible,
//!   with codes explained and in the language of the request (s.19(3)). One streamed ZIP holds
//!   `data.json`, `audit.json`, `attachments/`, `report.html` and `manifest.json`. Other
//!   individuals' personal data in shared records is withheld with a note (s.20(1)(b)), and the
//!   rest of the record supplied (s.20(2)).
//! - **Workspace export** ([`WorkspaceExport`]): every entity as JSONL, the audit log's monthly
//!   partitions, seals and head (any [`AuditStore`](pdpo_audit::AuditStore); re-verifiable from the
//!   archive with [`read_audit_snapshot`]), attachments and a manifest, ZIP64, in bounded memory, with progress, one audit event with
//!   counts, and a download link signed to expire after 24 hours.
//! - **CSV** ([`CsvWriter`], [`formula_safe`]): cells that a spreadsheet would run as a formula are
//!   neutralised.
//!
//! Archives are written to any [`std::io::Write`] (no `Seek`), streaming: files are hashed as
//! they pass, attachments are copied from the blob store's reader, and JSON is serialised straight
//! into the archive. Store reads are `async` and generic over [`DataStore`](pdpo_core::DataStore)
//! and [`BlobStore`](pdpo_core::BlobStore); the ZIP writing between them is synchronous, so give a
//! writer that does not block for long (a file, a buffer, or a bounded channel to a thread), or run
//! the export on a blocking thread. Every exporter finishes explicitly and returns the writer;
//! nothing relies on `Drop`.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use pdpo_core::{Actor, ChangeSet, FixedClock, Identifier, Key, MemoryBlobStore, MemoryStore, Record, Schema, DataStore};
//! use pdpo_requests::{Ledger, MemoryRequestStore, NewRequest, RequestKind};
//! use pdpo_export::{SubjectAccess, verify_archive};
//!
//! let schema = Schema::from_toml_str(r#"
//!     subject = "contacts"
//!     [purposes]
//!     billing = "Invoicing and collecting payment"
//!     [entities.contacts]
//!     key = "id"
//!     fields.email = { category = "email", purposes = ["billing"] }
//! "#, None)?;
//! let store = MemoryStore::new(schema);
//! let mut cs = ChangeSet::new();
//! cs.insert(Record::new(Identifier::new("contacts")?, Key::from(1)).with("id", 1).with("email", "chan@example.hk"));
//! pollster::block_on(store.apply(cs))?;
//!
//! let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap());
//! let staff = Actor::user("staff-7")?;
//! let ledger = Ledger::new(MemoryRequestStore::new(), &clock);
//! let request = pollster::block_on(ledger.receive(NewRequest::new(RequestKind::Access, vec![Key::from(1)]), &staff))?;
//! let due = ledger.due(&request)?;
//!
//! let export = SubjectAccess::new(&request, &due, &staff, &clock);
//! let done = pollster::block_on(export.write(&store, &MemoryBlobStore::new(), Vec::new()))?;
//! let (manifest, problems) = verify_archive(std::io::Cursor::new(done.output))?;
//! assert!(problems.is_empty());
//! assert_eq!(manifest.request_id, Some(request.id));
//! assert_eq!(manifest.files.len(), 3); // data.json, audit.json, report.html (no attachments)
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Features
//! None: everything is always built. The ZIP writer is `zip` 9 with DEFLATE (zlib-rs) only, and
//! `report.html` uses `minijinja` templates loaded at run time; neither appears in the public API.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod archive;
mod audit;
mod csv;
mod error;
pub mod glossary;
mod names;
mod report;
mod subject;
mod workspace;

pub use archive::{
    Compression, ExportKind, MANIFEST_FILE, MANIFEST_FORMAT, Manifest, ManifestFile, Mismatch, verify_archive,
};
pub use audit::read_audit_snapshot;
pub use csv::{CsvWriter, formula_safe};
pub use error::{Error, Result};
pub use names::{MAX_NAME_BYTES, NameSet, sanitise_file_name};
pub use report::{DEFAULT_REPORT_TEMPLATE, ReportTemplate};
pub use subject::{ExportSummary, SubjectAccess};
pub use workspace::{
    DOWNLOAD_LINK_TTL_HOURS, DownloadLink, Progress, TOKEN_PURPOSE, WorkspaceExport, entity_csv,
};
