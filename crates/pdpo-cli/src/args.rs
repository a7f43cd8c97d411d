//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Hong Kong PDPO (Cap. 486) compliance for a CRM's own database.
///
/// Exit codes: 0 success; 1 a check failed (the audit log does not verify); 2 usage error;
/// 3 bad input (a missing or garbled file, a wrong database URL, an invalid value);
/// 4 not found (unknown subject, request or workspace); 5 refused (a rule forbids it: a hold,
/// a closed workspace, a grace period not over); 10 the database or file system failed.
#[derive(Debug, Parser)]
#[command(name = "pdpo", version, about, long_about = None, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

const EXIT_CODES: &str = "Exit codes: 0 success; 1 check failed (audit log does not verify); 2 usage; \
3 bad input (missing or garbled file, wrong URL, invalid value); 4 not found (subject, request, workspace); \
5 refused (hold, closed workspace, grace period); 10 database or file system failure.";

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// The CRM's database: a SQLite file path (or `sqlite:` URL), or `postgres://...`.
    #[arg(long, global = true, env = "PDPO_DATABASE_URL", default_value = "crm.sqlite")]
    pub(crate) database_url: String,
    /// The pdpo.toml describing the CRM's personal data.
    #[arg(long, global = true, env = "PDPO_SCHEMA", default_value = "pdpo.toml")]
    pub(crate) schema: PathBuf,
    /// The retention policy (used when the file exists; required by `retention`).
    #[arg(long, global = true, env = "PDPO_POLICY", default_value = "retention.toml")]
    pub(crate) policy: PathBuf,
    /// The key-encryption key file wrapping the data keys.
    #[arg(long, global = true, env = "PDPO_KEY_FILE", default_value = "pdpo.key")]
    pub(crate) key_file: PathBuf,
    /// The directory holding attachment files.
    #[arg(long, global = true, env = "PDPO_BLOBS", default_value = "blobs")]
    pub(crate) blobs: PathBuf,
    /// Who is acting (recorded in every audit event).
    #[arg(long, global = true, env = "PDPO_ACTOR", default_value = "cli")]
    pub(crate) actor: String,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// Print nothing but results and errors; no progress bars.
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Build the sample Hong Kong CRM in a SQLite file and walk the whole story.
    Demo(DemoArgs),
    /// Draft or check the pdpo.toml.
    #[command(subcommand)]
    Schema(SchemaCmd),
    /// Find personal data in text (files, or standard input).
    Scan(ScanArgs),
    /// Scan every record: what personal data is held, and where untagged data hides.
    Inventory,
    /// Data access and correction requests (s.18-25).
    #[command(subcommand)]
    Request(RequestCmd),
    /// Exports: a person's data for an access request, or the whole workspace.
    #[command(subcommand)]
    Export(ExportCmd),
    /// Erase a person's data (s.26), printing the certificate.
    Erase(EraseArgs),
    /// Correct a person's data (s.22-23): `pdpo correct 42 email=chan@example.com`.
    Correct(CorrectArgs),
    /// Retention (DPP2(2)): plan (dry run) or run.
    #[command(subcommand)]
    Retention(RetentionCmd),
    /// The audit log: verify, query, checkpoint, breach report.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// One database per workspace: create, list, close, restore, purge.
    #[command(subcommand)]
    Workspace(WorkspaceCmd),
}

/// `pdpo demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Directory to create with the database, configuration, keys and outputs.
    #[arg(long, default_value = "pdpo-demo")]
    pub(crate) dir: PathBuf,
    /// Contacts to generate.
    #[arg(long, default_value_t = 10_000)]
    pub(crate) contacts: u64,
    /// Seed of the data generator.
    #[arg(long, default_value_t = pdpo_testkit::DEFAULT_SEED)]
    pub(crate) seed: u64,
}

/// `pdpo schema`.
#[derive(Debug, Subcommand)]
pub(crate) enum SchemaCmd {
    /// Draft a pdpo.toml from the live database, with suggested categories.
    Init {
        /// The table of the people the data is about.
        #[arg(long, default_value = "contacts")]
        subject: String,
        /// Write here instead of standard output (refused if the file exists).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check the pdpo.toml against the live database.
    Check,
}

/// `pdpo scan`.
#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// Files to scan; standard input without any.
    pub(crate) files: Vec<PathBuf>,
    /// Input format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Text)]
    pub(crate) format: ScanFormat,
}

/// Input formats of `pdpo scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ScanFormat {
    /// Plain UTF-8 text.
    Text,
    /// One JSON object per line with a `text` field (pdpo-pii's line format).
    Jsonl,
}

/// Request kinds on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Kind {
    /// A data access request (s.18).
    Access,
    /// A data correction request (s.22).
    Correction,
    /// An erasure request (no statutory clock).
    Erasure,
    /// A direct-marketing opt-out (no statutory clock).
    OptOut,
}

/// `pdpo request`.
#[derive(Debug, Subcommand)]
pub(crate) enum RequestCmd {
    /// Record a request and print its due date.
    New {
        /// The data subject's key (e.g. the contact id).
        subject: String,
        /// The kind of request.
        #[arg(long, value_enum, default_value_t = Kind::Access)]
        kind: Kind,
        /// The day it was received (Hong Kong date, YYYY-MM-DD); today by default.
        #[arg(long)]
        received: Option<String>,
        /// For a correction request: the access request it follows.
        #[arg(long)]
        follows: Option<String>,
    },
    /// List requests.
    List {
        /// Only open requests.
        #[arg(long)]
        open: bool,
    },
    /// Open requests due within DAYS days, and overdue ones.
    Due {
        /// Horizon in days.
        #[arg(long, default_value_t = 14)]
        within: u32,
    },
    /// Refuse a request, writing the s.27 log-book entry first.
    Refuse {
        /// The request id.
        id: String,
        /// Grounds, as codes (e.g. `s20_1_a`, `s24_1`).
        #[arg(long = "ground", required = true)]
        grounds: Vec<String>,
        /// Reasons, specific enough to allow a challenge.
        #[arg(long)]
        reasons: String,
    },
    /// Mark a request complete.
    Complete {
        /// The request id.
        id: String,
        /// Record that you verified the requestor's identity (needed once, before completing).
        #[arg(long)]
        identity_verified: bool,
    },
    /// Draft the written notice for a request (English or Traditional Chinese, as requested).
    Notice {
        /// The request id.
        id: String,
        /// Which notice.
        #[arg(long, value_enum, default_value_t = NoticeArg::DataHeld)]
        kind: NoticeArg,
        /// The data user's name, as it appears on the notice.
        #[arg(long, default_value = "The data user")]
        data_user: String,
        /// The data user's address.
        #[arg(long, default_value = "")]
        address: String,
        /// The requestor's name, as it appears on the notice.
        #[arg(long, default_value = "The requestor")]
        requestor: String,
    },
}

/// Notice kinds on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum NoticeArg {
    /// s.19(1)(a)-(b): the data is held; a copy is supplied.
    DataHeld,
    /// s.19(1)(a): no such data is held.
    DataNotHeld,
    /// s.19(2): part complied with now.
    Partial,
    /// s.21: access refused.
    AccessRefusal,
    /// s.25: correction refused.
    CorrectionRefusal,
}

/// `pdpo export`.
#[derive(Debug, Subcommand)]
pub(crate) enum ExportCmd {
    /// The copy of one person's data for their access request (ZIP).
    Subject {
        /// The data subject's key.
        id: String,
        /// The access request it answers; the subject's latest open one by default.
        #[arg(long)]
        request: Option<String>,
        /// The ZIP to write (refused if it exists).
        #[arg(long)]
        out: PathBuf,
    },
    /// Every entity, attachment and the audit log (ZIP64, streamed).
    Workspace {
        /// The ZIP to write (refused if it exists).
        #[arg(long)]
        out: PathBuf,
    },
}

/// `pdpo erase`.
#[derive(Debug, Args)]
pub(crate) struct EraseArgs {
    /// The data subject's key.
    pub(crate) id: String,
    /// The request it serves.
    #[arg(long)]
    pub(crate) request: Option<String>,
    /// Write the certificate (JSON) here as well.
    #[arg(long)]
    pub(crate) certificate: Option<PathBuf>,
}

/// `pdpo correct`.
#[derive(Debug, Args)]
pub(crate) struct CorrectArgs {
    /// The data subject's key.
    pub(crate) id: String,
    /// `FIELD=VALUE` pairs on the subject's own record (an empty VALUE sets it to null).
    #[arg(required = true)]
    pub(crate) changes: Vec<String>,
    /// The correction request it serves.
    #[arg(long)]
    pub(crate) request: Option<String>,
}

/// `pdpo retention`.
#[derive(Debug, Subcommand)]
pub(crate) enum RetentionCmd {
    /// Dry run: what the policy would do now, with reasons.
    Plan {
        /// Decisions to show.
        #[arg(long, default_value_t = 10)]
        sample: usize,
    },
    /// Run the policy: anonymise or delete what is due, in atomic chunks.
    Run {
        /// Records per chunk.
        #[arg(long, default_value_t = 1000)]
        chunk: usize,
    },
}

/// `pdpo audit`.
#[derive(Debug, Subcommand)]
pub(crate) enum AuditCmd {
    /// Verify the log; exit 1 and print where, if it does not verify.
    Verify {
        /// Also check against this signed checkpoint (detects truncation and rollback).
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// The checkpoint key file (with --checkpoint).
        #[arg(long, default_value = "checkpoint.key")]
        key: PathBuf,
    },
    /// Events about a subject, by an actor, or in a period.
    Query {
        /// Events about this data subject.
        #[arg(long)]
        subject: Option<String>,
        /// Events by this actor (`user:ID`, `system:ID` or `service:ID`; a bare id is a user).
        #[arg(long)]
        actor: Option<String>,
        /// From this Hong Kong date (YYYY-MM-DD), included.
        #[arg(long)]
        since: Option<String>,
        /// At most this many events (newest last).
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Sign the head of the log with a key kept outside the database.
    Checkpoint {
        /// The checkpoint key file (created if missing).
        #[arg(long, default_value = "checkpoint.key")]
        key: PathBuf,
        /// Write the checkpoint here (refused if it exists); standard output by default.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// What an actor viewed, exported or disclosed in a period (breach reconstruction).
    BreachReport {
        /// The actor (`user:ID`, `system:ID`, `service:ID`; a bare id is a user).
        actor: String,
        /// From this Hong Kong date (YYYY-MM-DD), included.
        #[arg(long)]
        from: String,
        /// To this Hong Kong date (YYYY-MM-DD), included.
        #[arg(long)]
        to: String,
    },
}

/// `pdpo workspace`.
#[derive(Debug, Subcommand)]
pub(crate) enum WorkspaceCmd {
    /// Create a workspace database.
    Create(WorkspaceName),
    /// List workspaces.
    List(WorkspaceRoot),
    /// Close a workspace: writes refused, data kept for the grace period.
    Close(WorkspaceName),
    /// Reopen a closed workspace within its grace period.
    Restore(WorkspaceName),
    /// Delete a closed workspace's database after its grace period.
    Purge(WorkspaceName),
}

/// Where workspaces live.
#[derive(Debug, Args)]
pub(crate) struct WorkspaceRoot {
    /// The directory of SQLite workspace files, or a `postgres://` admin URL.
    #[arg(long, env = "PDPO_WORKSPACES", default_value = "workspaces")]
    pub(crate) root: String,
}

/// A workspace name and where workspaces live.
#[derive(Debug, Args)]
pub(crate) struct WorkspaceName {
    /// The workspace name (letters, digits, `-`, `_`).
    pub(crate) name: String,
    #[command(flatten)]
    pub(crate) root: WorkspaceRoot,
}
