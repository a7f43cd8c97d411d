//! Plans: a dry-run summary, and a resumable plan that an executor (`pdpo-anonymise`) runs in
//! chunks.
//!
//! A [`RetentionPlan`] walks every entity of the schema with keyset pagination
//! ([`DataStore::scan_page`]), evaluating each record at the plan's fixed `now`. Its state (the
//! entity and key reached, the counts so far) is small and serialisable: save it after each
//! chunk and a crashed run resumes where it stopped, with the same decisions an uninterrupted run
//! would have made. An executor should save the state *after* executing a chunk; re-running a
//! chunk after a crash is safe because execution is idempotent.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pdpo_core::{Actor, AuditAction, AuditEvent, DataStore, Identifier, Key};
use serde::{Deserialize, Serialize};

use crate::{Decision, Error, HoldSet, Outcome, Policy, Result};

/// Counts of a plan (or of a dry run), and its first decisions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlanSummary {
    /// Records evaluated.
    pub records: u64,
    /// Records by [`Outcome`] (snake-case names).
    pub by_outcome: BTreeMap<String, u64>,
    /// Records whose action is due now ([`Outcome::Due`]), by action.
    pub due_by_action: BTreeMap<String, u64>,
    /// Records by deciding rule (`(no policy)` for records no rule covers).
    pub by_rule: BTreeMap<String, u64>,
    /// Records by entity.
    pub by_entity: BTreeMap<String, u64>,
    /// Records that an executor would dispose of now ([`Decision::is_executable`]).
    pub executable: u64,
    /// The first decisions, up to `sample_limit`.
    pub sample: Vec<Decision>,
    /// How many decisions `sample` keeps.
    pub sample_limit: usize,
}

/// The `by_rule` key of records no rule covers (rule names cannot contain parentheses).
pub const NO_POLICY: &str = "(no policy)";

impl PlanSummary {
    /// An empty summary keeping the first `sample_limit` decisions.
    pub fn new(sample_limit: usize) -> Self {
        Self { sample_limit, ..Self::default() }
    }

    /// Counts one decision.
    pub fn add(&mut self, d: &Decision) {
        fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
            // Look up before inserting, so a known key costs no allocation.
            match map.get_mut(key) {
                Some(n) => *n += 1,
                None => {
                    map.insert(key.to_owned(), 1);
                }
            }
        }
        self.records += 1;
        bump(&mut self.by_outcome, d.outcome.as_str());
        if d.outcome == Outcome::Due
            && let Some(a) = d.action
        {
            bump(&mut self.due_by_action, a.as_str());
        }
        bump(&mut self.by_rule, d.rule.as_ref().map_or(NO_POLICY, |r| r.as_str()));
        bump(&mut self.by_entity, d.record.entity.as_str());
        if d.is_executable() {
            self.executable += 1;
        }
        if self.sample.len() < self.sample_limit {
            self.sample.push(d.clone());
        }
    }

    /// Records with this outcome.
    pub fn outcome(&self, o: Outcome) -> u64 {
        self.by_outcome.get(o.as_str()).copied().unwrap_or(0)
    }
}

/// One chunk of a plan: the decisions for one page of one entity.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Chunk {
    /// The entity scanned.
    pub entity: Identifier,
    /// Decisions, in key order.
    pub decisions: Vec<Decision>,
}

impl Chunk {
    /// The decisions an executor acts on now ([`Decision::is_executable`]).
    pub fn executable(&self) -> impl Iterator<Item = &Decision> {
        self.decisions.iter().filter(|d| d.is_executable())
    }
}

/// A resumable retention plan: evaluates every record of every entity at a fixed `now`, one page
/// at a time. Serialise it (serde) between chunks to survive a restart.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use pdpo_core::{ChangeSet, Identifier, Key, MemoryStore, Record, Schema};
/// use pdpo_retention::{HoldSet, Policy, RetentionPlan};
///
/// let schema = Schema::from_toml_str(r#"
///     subject = "contacts"
///     [entities.contacts]
///     key = "id"
///     lifecycle = { last_activity = "last_activity_at" }
///     fields.status = { type = "text" }
/// "#, None)?;
/// let policy = Policy::from_toml_str(r#"
///     [[rules]]
///     name = "stale-leads"
///     entity = "contacts"
///     when = { status = "lead" }
///     anchor = "last_activity"
///     period = "P2Y"
///     action = "anonymise"
///     basis = "Leads with no contact for two years are no longer needed"
///     statutory = false
/// "#, None, &schema)?;
/// let store = MemoryStore::new(schema);
/// let contacts = Identifier::new("contacts")?;
/// let mut cs = ChangeSet::new();
/// for (id, status, year) in [(1, "lead", 2020), (2, "lead", 2025), (3, "customer", 2020)] {
///     let t = Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).unwrap();
///     cs.insert(Record::new(contacts.clone(), Key::from(id)).with("status", status).with("last_activity_at", t));
/// }
/// pollster::block_on(pdpo_core::DataStore::apply(&store, cs))?;
///
/// let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
/// let mut plan = RetentionPlan::new(&policy, now, 10);
/// let holds = HoldSet::new();
/// while let Some(chunk) = pollster::block_on(plan.next_chunk(&policy, &holds, &store, 2))? {
///     // An executor would act on chunk.executable() here, then save `plan`.
///     let _ = chunk;
/// }
/// assert_eq!(plan.summary().records, 3);
/// assert_eq!(plan.summary().executable, 1); // contact 1
/// assert_eq!(plan.summary().by_rule["(no policy)"], 1); // the customer
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPlan {
    now: DateTime<Utc>,
    policy: u64,
    entities: Vec<Identifier>,
    position: usize,
    after: Option<Key>,
    chunks: u64,
    summary: PlanSummary,
}

impl RetentionPlan {
    /// A plan over every entity of `policy`'s schema at `now`, keeping the first `sample`
    /// decisions in its summary.
    pub fn new(policy: &Policy, now: DateTime<Utc>, sample: usize) -> Self {
        Self {
            now,
            policy: policy.fingerprint(),
            entities: policy.entities().to_vec(),
            position: 0,
            after: None,
            chunks: 0,
            summary: PlanSummary::new(sample),
        }
    }

    /// Restricts the plan to some entities (in the order given). Call before the first chunk.
    #[must_use]
    pub fn only(mut self, entities: impl IntoIterator<Item = Identifier>) -> Self {
        self.entities = entities.into_iter().collect();
        self
    }

    /// The instant every decision is made at.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Whether every entity has been scanned.
    pub fn is_finished(&self) -> bool {
        self.position >= self.entities.len()
    }

    /// Where the next chunk starts: the entity and the last key done (`None` at its start).
    pub fn position(&self) -> Option<(&Identifier, Option<&Key>)> {
        self.entities.get(self.position).map(|e| (e, self.after.as_ref()))
    }

    /// Chunks done so far.
    pub fn chunks(&self) -> u64 {
        self.chunks
    }

    /// The counts so far.
    pub fn summary(&self) -> &PlanSummary {
        &self.summary
    }

    /// Evaluates the next page of up to `limit` records (at least 1), or returns `None` once the
    /// plan is finished. The plan's state changes only when the page has been read and
    /// evaluated, so a failed or dropped call leaves it where it was.
    pub async fn next_chunk<D: DataStore>(
        &mut self,
        policy: &Policy,
        holds: &HoldSet,
        store: &D,
        limit: usize,
    ) -> Result<Option<Chunk>> {
        if policy.fingerprint() != self.policy {
            return Err(Error::PlanMismatch {
                reason: "the policy differs from the one the plan was made with; start a new plan".into(),
            });
        }
        let limit = limit.max(1);
        loop {
            let Some(entity) = self.entities.get(self.position).cloned() else { return Ok(None) };
            let page = store
                .scan_page(&entity, self.after.as_ref(), limit)
                .await
                .map_err(|source| Error::Store { entity: entity.to_string(), source })?;
            let decisions: Vec<Decision> =
                page.records.iter().map(|r| policy.evaluate(r, holds, self.now)).collect();
            for d in &decisions {
                self.summary.add(d);
            }
            match page.next {
                Some(next) => self.after = Some(next),
                None => {
                    self.position += 1;
                    self.after = None;
                }
            }
            if decisions.is_empty() {
                continue;
            }
            self.chunks += 1;
            return Ok(Some(Chunk { entity, decisions }));
        }
    }

    /// Runs the plan to the end without acting: the dry run.
    pub async fn run_to_end<D: DataStore>(
        &mut self,
        policy: &Policy,
        holds: &HoldSet,
        store: &D,
        limit: usize,
    ) -> Result<()> {
        while self.next_chunk(policy, holds, store, limit).await?.is_some() {}
        Ok(())
    }

    /// The one audit event describing this plan (`retention_run`, counts only, no record):
    /// `records`, `executable`, `chunks`, `outcome.<o>`, `due.<action>`, `entity.<e>`,
    /// `rule.<r>`. The caller appends it (for instance in the executor's last change set).
    pub fn audit_event(&self, actor: Actor) -> AuditEvent {
        let s = &self.summary;
        let mut e = AuditEvent::new(AuditAction::RetentionRun, actor, self.now)
            .with_origin(Identifier::from_static("retention-plan"))
            .with_count(Identifier::from_static("records"), s.records)
            .with_count(Identifier::from_static("executable"), s.executable)
            .with_count(Identifier::from_static("chunks"), self.chunks);
        let groups = [
            ("outcome", &s.by_outcome),
            ("due", &s.due_by_action),
            ("entity", &s.by_entity),
            ("rule", &s.by_rule),
        ];
        for (prefix, map) in groups {
            for (k, n) in map {
                let name =
                    if k == NO_POLICY { format!("{prefix}.no_policy") } else { format!("{prefix}.{k}") };
                // Names that do not fit an identifier (over 128 bytes) are left out of the counts.
                if let Ok(id) = Identifier::new(name) {
                    e = e.with_count(id, *n);
                }
            }
        }
        e
    }
}

/// A dry run: evaluates every record of `store` at `now` and returns the counts and the first
/// `sample` decisions.
pub async fn dry_run<D: DataStore>(
    policy: &Policy,
    holds: &HoldSet,
    store: &D,
    now: DateTime<Utc>,
    sample: usize,
) -> Result<PlanSummary> {
    let mut plan = RetentionPlan::new(policy, now, sample);
    plan.run_to_end(policy, holds, store, 1000).await?;
    Ok(plan.summary)
}
