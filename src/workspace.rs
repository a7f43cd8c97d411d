//! [`Workspace`]: every pdpo capability wired over one CRM, each operation leaving its audit
//! events.

use std::fmt;
use std::io::Write;
use std::sync::Arc;

use pdpo_anonymise::{
    Anonymiser, BatchReport, ChunkReport, Correction, CorrectionReport, Eraser, ErasureCertificate,
    OperatorPolicy, RetentionExecutor,
};
use pdpo_audit::{AuditStore, BreachReport, Checkpoint, CheckpointKey, Query, Report, Scope};
use pdpo_core::chrono::{DateTime, Utc};
use pdpo_core::uuid::Uuid;
use pdpo_core::{
    Actor, AuditAction, AuditEvent, BlobStore, ChangeSet, Clock, DataStore, FieldOperator, Identifier, Key,
    Schema, StoreError, flush_blob_outbox,
};
use pdpo_crypto::{EncryptingStore, KeyEncryptionKey, KeyRing, KeyStore, TokenSigner};
use pdpo_export::{ExportSummary, Progress, SubjectAccess, WorkspaceExport};
use pdpo_pii::{Inventory, InventoryReport, Scanner};
use pdpo_requests::{Due, Ledger, NewRequest, OpenRequestHolds, Request, RequestStore};
use pdpo_retention::{HoldSet, PlanSummary, Policy, RetentionGuard, RetentionPlan};

/// The stores a [`Workspace`] is built from: one type per port, so the same wiring serves the
/// in-memory stores ([`Memory`]) and the SQL ones (`Sql`, features `sqlite` / `postgres`), or a
/// CRM's own implementations of the traits.
pub trait Backend: Send + Sync + 'static {
    /// The CRM's records. Its change sets must commit their audit events with the data (the
    /// memory store through an [`EventSink`](pdpo_core::EventSink), the SQL store in its
    /// transaction).
    type Data: DataStore;
    /// Attachment bytes.
    type Blobs: BlobStore;
    /// The audit log.
    type Audit: AuditStore;
    /// Wrapped data keys and blind indexes.
    type Keys: KeyStore;
    /// The key-encryption key.
    type Kek: KeyEncryptionKey;
    /// The request ledger's storage; its writes must commit their audit events too.
    type Requests: RequestStore;
}

/// The in-memory [`Backend`]: for tests, examples and trying pdpo out. Nothing survives the
/// process.
#[derive(Debug, Clone, Copy)]
pub struct Memory;

impl Backend for Memory {
    type Data = pdpo_core::MemoryStore;
    type Blobs = pdpo_core::MemoryBlobStore;
    type Audit = Arc<pdpo_audit::MemoryAuditStore>;
    type Keys = pdpo_crypto::MemoryKeyStore;
    type Kek = pdpo_crypto::KeyFileKek;
    type Requests = pdpo_requests::MemoryRequestStore;
}

/// The parts of a [`Workspace`], for [`Workspace::from_parts`].
#[non_exhaustive]
pub struct Parts<B: Backend> {
    /// The CRM's records (audited: see [`Backend::Data`]).
    pub data: B::Data,
    /// Attachment bytes.
    pub blobs: B::Blobs,
    /// The audit log the data store and the request store append to.
    pub audit: B::Audit,
    /// Wrapped data keys.
    pub keys: B::Keys,
    /// The key-encryption key.
    pub kek: B::Kek,
    /// The request ledger's storage.
    pub requests: B::Requests,
}

impl<B: Backend> Parts<B> {
    /// The parts, in port order.
    pub fn new(
        data: B::Data,
        blobs: B::Blobs,
        audit: B::Audit,
        keys: B::Keys,
        kek: B::Kek,
        requests: B::Requests,
    ) -> Self {
        Self { data, blobs, audit, keys, kek, requests }
    }
}

/// Why a [`Workspace`] operation failed. Each variant wraps the failing crate's error, which
/// names the record, field, request or month involved and never a personal value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing the CRM's records, attachments or the request store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The audit log.
    #[error(transparent)]
    Audit(#[from] pdpo_audit::Error),
    /// Keys and encryption.
    #[error(transparent)]
    Crypto(#[from] pdpo_crypto::Error),
    /// The request ledger.
    #[error(transparent)]
    Requests(#[from] pdpo_requests::Error),
    /// Writing an export.
    #[error(transparent)]
    Export(#[from] pdpo_export::Error),
    /// Erasure, correction or a retention run.
    #[error(transparent)]
    Anonymise(#[from] pdpo_anonymise::Error),
    /// The retention policy or plan.
    #[error(transparent)]
    Retention(#[from] pdpo_retention::Error),
    /// Personal-data detection.
    #[error(transparent)]
    Pii(#[from] pdpo_pii::Error),
    /// A name that cannot be an identifier (actor, origin, field).
    #[error(transparent)]
    Identifier(#[from] pdpo_core::InvalidIdentifier),
    /// Opening the stores failed (a table or column the schema names is missing, a migration
    /// failed): the message names the table, column or migration.
    #[error(transparent)]
    Open(Box<dyn std::error::Error + Send + Sync>),
    /// A retention operation was asked for, and no policy is set.
    #[error(
        "no retention policy is set: give one with `Workspace::with_policy` (or `--policy retention.toml`)"
    )]
    NoPolicy,
    /// No request with this id is in the ledger.
    #[error("request {0} is not in the ledger")]
    UnknownRequest(Uuid),
    /// The subject key names no record of the subject entity.
    #[error("no `{entity}` record has key {key}")]
    UnknownSubject {
        /// The subject entity.
        entity: Identifier,
        /// The key asked for (a record key, not personal data).
        key: Key,
    },
}

/// `Result` with this module's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

type Ring<B> = KeyRing<<B as Backend>::Keys, <B as Backend>::Kek>;

/// One CRM's personal data under the PDPO: its records (field encryption on the way in and out),
/// attachments, audit log, keys, request ledger, retention policy and holds, clock and the acting
/// user, wired so that every operation here leaves its audit events:
///
/// | operation | duty | events |
/// |---|---|---|
/// | [`receive_request`](Self::receive_request) | s.18, s.19(1) 40-day clock | `request` |
/// | [`export_subject`](Self::export_subject) | s.18(1)(b), s.19, s.20 | `export` per request |
/// | [`erase`](Self::erase) | s.26, DPP2(2) | `anonymise`/`delete` per record, `shred` |
/// | [`correct`](Self::correct) | s.22, s.23(1)(c) | `correct` per record |
/// | [`retention_plan`](Self::retention_plan), [`retention_run`](Self::retention_run) | DPP2(2) | `retention_run` with counts |
/// | [`inventory`](Self::inventory) | DPP1, DPP4 | `inventory` with counts |
/// | [`export_workspace`](Self::export_workspace) | data portability, DPP4 | `export` with counts |
/// | [`verify_audit`](Self::verify_audit), [`breach_report`](Self::breach_report) | DPP4 | `view` of the log |
///
/// Erasure asks a guard made of the retention policy (statutory keeps), the legal holds and the
/// open access and correction requests (a person's data is not erased while their request is
/// being answered).
///
/// ```
/// use pdpo::Workspace;
/// use pdpo::core::{Actor, FixedClock, Key};
/// use pdpo::requests::{NewRequest, RequestKind};
/// use std::sync::Arc;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> { pollster::block_on(async {
/// let clock = Arc::new(FixedClock::new(pdpo_testkit::reference_now()));
/// let ws = Workspace::in_memory(pdpo_testkit::schema(), clock)?.with_actor(Actor::user("dpo-1")?);
/// let generator = pdpo_testkit::Generator::new(20, 7);
/// pdpo_testkit::load(&generator, ws.store(), ws.blobs(), 500).await?;
///
/// // An access request: recorded, with its statutory due date.
/// let (request, due) = ws.receive_request(NewRequest::new(RequestKind::Access, vec![Key::from(3)])).await?;
/// assert!(due.statutory);
/// // The copy of the data, as a ZIP.
/// let export = ws.export_subject(request.id, Vec::new()).await?;
/// assert!(export.manifest.files.len() >= 3);
/// ws.ledger().verify_identity(request.id, ws.actor()).await?;
/// ws.ledger().complete(request.id, ws.actor()).await?;
/// // Erasure, with its certificate; invoices are kept under IRO s.51C.
/// let cert = ws.erase(&Key::from(3), Some(request.id)).await?;
/// assert!(cert.verified);
/// // Every step is in the audit log, and the log verifies.
/// assert!(ws.verify_audit().await?.is_clean());
/// # Ok(()) }) }
/// ```
pub struct Workspace<B: Backend> {
    store: EncryptingStore<B::Data, Arc<Ring<B>>>,
    blobs: B::Blobs,
    audit: B::Audit,
    ring: Arc<Ring<B>>,
    ledger: Ledger<B::Requests, Arc<dyn Clock>>,
    policy: Option<Arc<Policy>>,
    holds: HoldSet,
    /// Operators for retention and correction, through field encryption.
    anonymiser: Anonymiser,
    /// Operators for erasure on the stored values: encrypted fields are shredded.
    eraser: Anonymiser,
    scanner: Arc<Scanner>,
    clock: Arc<dyn Clock>,
    actor: Actor,
}

impl<B: Backend> fmt::Debug for Workspace<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workspace")
            .field("subject", &self.schema().subject())
            .field("actor", &self.actor)
            .field("policy", &self.policy.as_ref().map(|p| p.rules().len()))
            .finish_non_exhaustive()
    }
}

impl Workspace<Memory> {
    /// A workspace over in-memory stores for `schema`, with a fresh key-encryption key, the
    /// system actor `pdpo`, no retention policy and no holds.
    pub fn in_memory(schema: Schema, clock: Arc<dyn Clock>) -> Result<Self> {
        let audit = Arc::new(pdpo_audit::MemoryAuditStore::with_clock(
            Identifier::from_static("workspace"),
            Arc::clone(&clock),
        ));
        let data = pdpo_core::MemoryStore::with_sink(schema, audit.clone());
        let requests = pdpo_requests::MemoryRequestStore::with_sink(audit.clone());
        let parts = Parts::new(
            data,
            pdpo_core::MemoryBlobStore::new(),
            audit,
            pdpo_crypto::MemoryKeyStore::new(),
            pdpo_crypto::KeyFileKek::generate()?,
            requests,
        );
        Self::from_parts(parts, clock)
    }
}

impl<B: Backend> Workspace<B> {
    /// A workspace over `parts`, timed by `clock`, acting as the system actor `pdpo` until
    /// [`with_actor`](Self::with_actor).
    pub fn from_parts(parts: Parts<B>, clock: Arc<dyn Clock>) -> Result<Self> {
        let Parts { data, blobs, audit, keys, kek, requests } = parts;
        let ring = Arc::new(KeyRing::new(keys, kek, Arc::clone(&clock)));
        // Erasure works on the stored values, where an encrypted field is ciphertext: its
        // operator is `shred`, so the subject's data key is destroyed and every copy of the
        // ciphertext (replicas, backups) becomes unreadable, not just the live row.
        let mut shred = OperatorPolicy::new();
        for e in data.schema().entities() {
            for f in e.fields.iter().filter(|f| f.encrypt) {
                shred = shred.field(e.name.as_str(), f.name.as_str(), FieldOperator::Shred);
            }
        }
        let store = EncryptingStore::new(data, Arc::clone(&ring))?;
        Ok(Self {
            store,
            blobs,
            audit,
            ring,
            ledger: Ledger::new(requests, Arc::clone(&clock)),
            policy: None,
            holds: HoldSet::new(),
            anonymiser: Anonymiser::hong_kong()?,
            eraser: Anonymiser::hong_kong()?.with_policy(shred),
            scanner: Arc::new(Scanner::hong_kong()?),
            clock,
            actor: Actor::system("pdpo")?,
        })
    }

    /// Acts as `actor` from now on: every event names them.
    #[must_use]
    pub fn with_actor(mut self, actor: Actor) -> Self {
        self.actor = actor;
        self
    }

    /// Uses `policy` for retention plans and runs, and its keep rules in erasure.
    #[must_use]
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = Some(Arc::new(policy));
        self
    }

    /// Adds legal holds: held records are never erased or disposed of.
    #[must_use]
    pub fn with_holds(mut self, holds: HoldSet) -> Self {
        self.holds = holds;
        self
    }

    /// The schema.
    pub fn schema(&self) -> &Schema {
        self.store.schema()
    }

    /// The CRM's records through field encryption: `encrypt = true` fields are encrypted on the
    /// way in and decrypted on the way out. Change sets applied here commit with their events.
    pub fn store(&self) -> &EncryptingStore<B::Data, Arc<Ring<B>>> {
        &self.store
    }

    /// The CRM's records as stored (encrypted fields as ciphertext).
    pub fn raw_store(&self) -> &B::Data {
        self.store.inner()
    }

    /// The attachments.
    pub fn blobs(&self) -> &B::Blobs {
        &self.blobs
    }

    /// The audit log.
    pub fn audit(&self) -> &B::Audit {
        &self.audit
    }

    /// The key ring (data keys, shredding, blind indexes, token signing).
    pub fn keys(&self) -> &Ring<B> {
        &self.ring
    }

    /// The request ledger (its writes are audited by the request store).
    pub fn ledger(&self) -> &Ledger<B::Requests, Arc<dyn Clock>> {
        &self.ledger
    }

    /// The retention policy, if set.
    pub fn policy(&self) -> Option<&Policy> {
        self.policy.as_deref()
    }

    /// The clock.
    pub fn clock(&self) -> &dyn Clock {
        &*self.clock
    }

    /// Who is acting.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Appends events to the audit log in their own committed transaction.
    async fn log(&self, events: &[AuditEvent]) -> Result<()> {
        self.audit.append(events).await?;
        Ok(())
    }

    /// Records a data access or correction request (or an erasure or opt-out request, with a
    /// service-level clock) and returns it with its due date: 40 days after receipt for access
    /// and correction requests (s.19(1), s.23(1), counted under IGCO s.71).
    pub async fn receive_request(&self, new: NewRequest) -> Result<(Request, Due)> {
        let request = self.ledger.receive(new, &self.actor).await?;
        let due = self.ledger.due(&request)?;
        Ok((request, due))
    }

    /// A request by id, with its due date.
    pub async fn request(&self, id: Uuid) -> Result<(Request, Due)> {
        let request = self.ledger.store().get(id).await?.ok_or(Error::UnknownRequest(id))?;
        let due = self.ledger.due(&request)?;
        Ok((request, due))
    }

    /// Writes the copy of the data that access request `id` asks for (s.18(1)(b)) to `out` as a
    /// ZIP (`data.json`, `audit.json`, `attachments/`, `report.html`, `manifest.json`; other
    /// people's data in shared records withheld, s.20), then logs the export.
    pub async fn export_subject<W: Write>(&self, id: Uuid, out: W) -> Result<ExportSummary<W>> {
        let (request, due) = self.request(id).await?;
        for subject in &request.subjects {
            self.check_subject(subject).await?;
        }
        let mut events = Vec::new();
        for subject in &request.subjects {
            let q = Query::new().subject(subject.clone());
            events.extend(pdpo_audit::query(&self.audit, &q).await?.into_iter().map(|l| l.event));
        }
        let summary = SubjectAccess::new(&request, &due, &self.actor, &*self.clock)
            .events(&events)
            .write(&self.store, &self.blobs, out)
            .await?;
        self.log(std::slice::from_ref(&summary.event)).await?;
        Ok(summary)
    }

    /// Streams every entity, the attachments and the audit log (its kept monthly partitions,
    /// seals and head, re-verifiable from the archive) to `out` as a ZIP (bounded memory, ZIP64)
    /// with a download link signed to expire, then logs the export with counts.
    pub async fn export_workspace<W, F>(&self, out: W, progress: F) -> Result<ExportSummary<W>>
    where
        W: Write,
        F: FnMut(Progress<'_>),
    {
        let signer: TokenSigner = self.ring.token_signer(None).await?;
        let summary = WorkspaceExport::new(&self.actor, &*self.clock, &signer)
            .audit_log(&self.audit)
            .write(&self.store, &self.blobs, out, progress)
            .await?;
        self.log(std::slice::from_ref(&summary.event)).await?;
        Ok(summary)
    }

    /// Checks that `subject` names a record of the subject entity; [`Error::UnknownSubject`]
    /// otherwise. Every operation on one person calls it first, so a mistyped key is an error
    /// rather than an empty export or a certificate of nothing.
    pub async fn check_subject(&self, subject: &Key) -> Result<()> {
        let entity = self.schema().subject().clone();
        let found = self.store.inner().fetch(entity.as_str(), std::slice::from_ref(subject)).await?;
        if found.is_empty() {
            return Err(Error::UnknownSubject { entity, key: subject.clone() });
        }
        Ok(())
    }

    /// Erases `subject`'s personal data (s.26, DPP2(2)) in one atomic change set with its
    /// events: fields anonymised, rows deleted where the schema says so, their data keys
    /// shredded, their attachments deleted. Records a legal hold, a statutory keep or an open
    /// request retains are left and listed in the certificate with the reason. Repeating an
    /// erasure changes nothing and says so.
    pub async fn erase(&self, subject: &Key, request: Option<Uuid>) -> Result<ErasureCertificate> {
        self.check_subject(subject).await?;
        let mut eraser = self.eraser().await?;
        if let Some(r) = request {
            eraser = eraser.with_request(r);
        }
        let cert = eraser.erase(self.store.inner(), subject, &*self.ring).await?;
        flush_blob_outbox(self.store.inner(), &self.blobs).await?;
        Ok(cert)
    }

    /// Erases many subjects as [`erase`](Self::erase) does each, `chunk` subjects per atomic
    /// change set (see [`Eraser::erase_many`]): the records of a chunk are read with one batched
    /// lookup per link and written in one transaction, which is several times faster than one
    /// erasure per subject. Subjects with no record are listed in the report's `missing`, not
    /// refused; held and kept records are left and listed in each certificate. A failure leaves
    /// its chunk untouched and the chunks before it erased; repeating the call finishes the job
    /// (erased subjects come back `already_erased`).
    ///
    /// ```
    /// use pdpo::Workspace;
    /// use pdpo::core::{Actor, FixedClock, Key};
    /// use std::sync::Arc;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> { pollster::block_on(async {
    /// let clock = Arc::new(FixedClock::new(pdpo_testkit::reference_now()));
    /// let ws = Workspace::in_memory(pdpo_testkit::schema(), clock)?.with_actor(Actor::user("dpo-1")?);
    /// pdpo_testkit::load(&pdpo_testkit::Generator::new(30, 7), ws.store(), ws.blobs(), 500).await?;
    ///
    /// // Contacts 1 to 12 and one that does not exist, four per transaction.
    /// let subjects: Vec<Key> = (1..=12).chain([999]).map(Key::from).collect();
    /// let report = ws.erase_many(&subjects, 4).await?;
    /// assert_eq!(report.certificates.len(), 12);
    /// assert!(report.certificates.iter().all(|c| c.verified));
    /// assert_eq!(report.missing, [Key::from(999)]);
    /// # Ok(()) }) }
    /// ```
    pub async fn erase_many(&self, subjects: &[Key], chunk: usize) -> Result<BatchReport> {
        let eraser = self.eraser().await?;
        let mut report = BatchReport::default();
        for part in subjects.chunks(chunk.max(1)) {
            report.extend(eraser.erase_many(self.store.inner(), part, &*self.ring).await?);
            flush_blob_outbox(self.store.inner(), &self.blobs).await?;
        }
        Ok(report)
    }

    /// The eraser for this workspace: its operators, the open requests' holds, the policy's
    /// statutory keeps and the legal holds.
    async fn eraser(&self) -> Result<Eraser<(OpenRequestHolds, RetentionGuard)>> {
        let open = self.ledger.holds(self.schema().subject().clone()).await?;
        let policy = match &self.policy {
            Some(p) => Arc::clone(p),
            None => Arc::new(Policy::from_rules([], self.schema())?),
        };
        let guard = (open, RetentionGuard::new(policy, self.holds.clone()));
        Ok(Eraser::new(self.eraser.clone(), guard, Arc::clone(&self.clock), self.actor.clone()))
    }

    /// Applies corrections to `subject`'s records (s.22, s.23) in one atomic change set with one
    /// `correct` event per record, and lists the third parties their data was disclosed to in
    /// the 12 months before, who must be sent the corrected data (s.23(1)(c)).
    pub async fn correct(
        &self,
        subject: &Key,
        corrections: &[Correction],
        request: Option<Uuid>,
    ) -> Result<CorrectionReport> {
        self.check_subject(subject).await?;
        let q = Query::new().subject(subject.clone()).action(AuditAction::Disclose);
        let disclosures: Vec<AuditEvent> =
            pdpo_audit::query(&self.audit, &q).await?.into_iter().map(|l| l.event).collect();
        let report = pdpo_anonymise::correct(
            &self.store,
            subject,
            corrections,
            &disclosures,
            self.actor.clone(),
            self.clock.now(),
            request,
        )
        .await?;
        Ok(report)
    }

    fn policy_or_err(&self) -> Result<&Policy> {
        self.policy.as_deref().ok_or(Error::NoPolicy)
    }

    /// A retention dry run (DPP2(2)): every record evaluated against the policy and holds,
    /// nothing changed. Returns the counts and the first `sample` decisions, each with its
    /// reason, and logs one event with the counts.
    pub async fn retention_plan(&self, sample: usize) -> Result<PlanSummary> {
        let policy = self.policy_or_err()?;
        let mut plan = RetentionPlan::new(policy, self.clock.now(), sample);
        plan.run_to_end(policy, &self.holds, &self.store, 1000).await?;
        let event =
            plan.audit_event(self.actor.clone()).with_origin(Identifier::from_static("retention-dry-run"));
        self.log(&[event]).await?;
        Ok(plan.summary().clone())
    }

    /// Runs the retention policy: records past their period are anonymised or deleted in
    /// chunks of `chunk` records, each chunk one atomic change set; held records and statutory
    /// keeps are left. Ends with one `retention_run` event with the counts.
    pub async fn retention_run(&self, chunk: usize) -> Result<(ChunkReport, PlanSummary)> {
        let policy = self.policy_or_err()?;
        let mut plan = RetentionPlan::new(policy, self.clock.now(), 0);
        let exec = RetentionExecutor::new(self.anonymiser.clone(), self.actor.clone());
        let report =
            exec.run_to_end(&self.store, &mut plan, policy, &self.holds, chunk.max(1), |_| {}).await?;
        flush_blob_outbox(self.store.inner(), &self.blobs).await?;
        Ok((report, plan.summary().clone()))
    }

    /// Scans every record for personal data (DPP1: know what you collect): tagged fields
    /// counted, and untagged fields or JSON paths where personal data was found reported as
    /// findings. Logs one `inventory` event with counts.
    pub async fn inventory(&self) -> Result<InventoryReport> {
        // The stored values: encrypted fields are tagged already, and decrypting every one only
        // to scan ciphertext-protected data again would cost a key unwrap per person.
        let report = Inventory::new(&self.scanner).run(self.store.inner()).await?;
        self.log(&[report.audit_event(self.actor.clone(), self.clock.now())]).await?;
        Ok(report)
    }

    /// The scanner used by [`inventory`](Self::inventory), for scanning free text.
    pub fn scanner(&self) -> &Scanner {
        &self.scanner
    }

    /// Verifies the audit log from the oldest kept seal to the head; any edit, deletion,
    /// insertion or reordering is located. Logs that the log was read (after verifying).
    pub async fn verify_audit(&self) -> Result<Report> {
        let report = pdpo_audit::verify(&self.audit, Scope::All).await?;
        let event = self
            .read_event("audit-verify")
            .with_count(Identifier::from_static("entries"), report.entries)
            .with_count(Identifier::from_static("faults"), report.faults.len() as u64);
        self.log(&[event]).await?;
        Ok(report)
    }

    /// Verifies the log against a signed checkpoint kept outside the database, which also
    /// detects truncation and rollback up to that checkpoint.
    pub async fn verify_audit_against(&self, checkpoint: &Checkpoint, key: &CheckpointKey) -> Result<Report> {
        Ok(pdpo_audit::verify_against(&self.audit, checkpoint, key).await?)
    }

    /// Signs the current head of the audit log: keep the text where the database administrator
    /// cannot rewrite it.
    pub async fn checkpoint(&self, key: &CheckpointKey) -> Result<Checkpoint> {
        let head = self.audit.head().await?;
        Ok(Checkpoint::sign(self.audit.chain(), &head, self.clock.now(), key))
    }

    /// What `actor` viewed, exported or disclosed between `from` and `to` (DPP4, breach
    /// reconstruction). Logs that the log was read.
    pub async fn breach_report(
        &self,
        actor: &Actor,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<BreachReport> {
        let report = pdpo_audit::breach_report(&self.audit, actor, from, to).await?;
        let event = self
            .read_event("breach-report")
            .with_count(Identifier::from_static("events"), report.events)
            .with_count(Identifier::from_static("subjects"), report.subjects.len() as u64);
        self.log(&[event]).await?;
        Ok(report)
    }

    fn read_event(&self, origin: &'static str) -> AuditEvent {
        AuditEvent::new(AuditAction::View, self.actor.clone(), self.clock.now())
            .with_origin(Identifier::from_static(origin))
    }

    /// Applies a change set through field encryption (for loading data and for the CRM's own
    /// writes through pdpo); its events commit with it.
    pub async fn apply(&self, changes: ChangeSet) -> Result<pdpo_core::Applied> {
        Ok(self.store.apply(changes).await?)
    }
}
