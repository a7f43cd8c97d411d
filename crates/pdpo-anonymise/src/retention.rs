//! [`RetentionExecutor`]: runs a `pdpo-retention` plan in resumable chunks, each one atomic
//! change set.

use std::collections::{BTreeMap, HashSet};

use pdpo_core::{
    Actor, AuditAction, AuditEvent, ChangeSet, DataStore, EraseMode, Identifier, PiiCategory, RecordRef,
};
use pdpo_retention::{Action, HoldSet, Policy, RetentionPlan};

use crate::erase::{referenced_outside, write_order};
use crate::operator::{Anonymiser, Effect, Known, NeedleSet, ScanCache, Site};
use crate::plan::collect_needles;
use crate::{Error, Result};

/// What one chunk did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChunkReport {
    /// The entity of the chunk.
    pub entity: Option<Identifier>,
    /// Records evaluated.
    pub evaluated: usize,
    /// Records whose decision was executable now.
    pub executable: usize,
    /// Records anonymised.
    pub anonymised: usize,
    /// Records deleted.
    pub deleted: usize,
    /// Records due for deletion but still referenced (or holding other people's data):
    /// anonymised instead, so no link breaks.
    pub delete_fallbacks: usize,
    /// Executable records already in their final state (a resumed chunk).
    pub unchanged: usize,
}

/// Executes retention plans.
///
/// Call [`run_chunk`](Self::run_chunk) until it returns `None`, saving the plan (serde) after
/// each call; then [`finish`](Self::finish) once to append the plan's `retention_run` event.
/// Each chunk's writes and audit events are one change set, and the plan only advances once it
/// has committed: after a crash, reload the last saved plan and continue. Re-running a chunk is
/// harmless, since every operator is idempotent and deleted records are simply gone.
#[derive(Debug, Clone)]
pub struct RetentionExecutor {
    anonymiser: Anonymiser,
    actor: Actor,
    origin: Identifier,
}

impl RetentionExecutor {
    /// An executor applying `anonymiser`'s operators as `actor`.
    pub fn new(anonymiser: Anonymiser, actor: Actor) -> Self {
        Self { anonymiser, actor, origin: Identifier::from_static("retention-job") }
    }

    /// Evaluates and executes the next chunk of up to `limit` records; `None` once the plan is
    /// finished. On error the plan is unchanged and nothing was written.
    pub async fn run_chunk<D: DataStore>(
        &self,
        store: &D,
        plan: &mut RetentionPlan,
        policy: &Policy,
        holds: &HoldSet,
        limit: usize,
    ) -> Result<Option<ChunkReport>> {
        let mut next = plan.clone();
        let Some(chunk) = next.next_chunk(policy, holds, store, limit).await? else {
            *plan = next;
            return Ok(None);
        };
        let schema = store.schema();
        let mut report = ChunkReport {
            entity: Some(chunk.entity.clone()),
            evaluated: chunk.decisions.len(),
            ..Default::default()
        };
        let decisions: Vec<_> = chunk.executable().collect();
        report.executable = decisions.len();
        let Some(entity) = schema.entity(&chunk.entity) else {
            *plan = next;
            return Ok(Some(report));
        };
        let now = next.now();
        let keys: Vec<_> = decisions.iter().map(|d| d.record.key.clone()).collect();
        let records = if keys.is_empty() {
            Vec::new()
        } else {
            store.fetch(&chunk.entity, &keys).await.map_err(Error::store("reading a retention chunk"))?
        };
        let by_key: BTreeMap<_, _> = records.iter().map(|r| (r.key.clone(), r)).collect();
        let delete_refs: Vec<RecordRef> = decisions
            .iter()
            .filter(|d| d.action == Some(Action::Delete) && by_key.contains_key(&d.record.key))
            .map(|d| d.record.clone())
            .collect();
        let referenced: HashSet<RecordRef> = if delete_refs.is_empty() {
            HashSet::new()
        } else {
            referenced_outside(store, &delete_refs).await?
        };

        let mut cs = ChangeSet::new();
        for d in &decisions {
            let Some(record) = by_key.get(&d.record.key) else {
                report.unchanged += 1; // already deleted by an earlier run
                continue;
            };
            let rref = record.reference();
            let fields: Vec<Identifier> = entity
                .personal_fields()
                .filter(|f| d.fields.as_ref().is_none_or(|only| only.contains(&f.name)))
                .map(|f| f.name.clone())
                .collect();
            let blob_ids = || {
                fields
                    .iter()
                    .filter(|n| entity.field(n).is_some_and(|f| f.category == Some(PiiCategory::Attachment)))
                    .filter_map(|n| record.get(n).and_then(|v| v.as_text()).map(str::to_owned))
                    .collect::<Vec<_>>()
            };
            let event = |action: AuditAction, fields: Vec<Identifier>| {
                let mut e = AuditEvent::new(action, self.actor.clone(), now)
                    .with_record(rref.clone())
                    .with_origin(self.origin.clone());
                e.fields = fields;
                e
            };
            if d.action == Some(Action::Delete) {
                if !referenced.contains(&rref) && entity.erase != EraseMode::Keep {
                    cs.delete(rref.clone());
                    blob_ids().into_iter().for_each(|b| {
                        cs.delete_blob(b);
                    });
                    cs.event(event(AuditAction::Delete, fields.clone()));
                    report.deleted += 1;
                    continue;
                }
                report.delete_fallbacks += 1;
            }
            let mut scans = ScanCache::new();
            let needles = NeedleSet::new(collect_needles(
                schema,
                &self.anonymiser,
                [(*record, fields.as_slice())],
                &mut scans,
            ));
            let known = Known { needles: &needles, scans: Some(&scans) };
            let mut set = BTreeMap::new();
            let mut changed = Vec::new();
            let mut pseudo = Vec::new();
            for name in &fields {
                let (Some(field), Some(value)) = (entity.field(name), record.get(name)) else { continue };
                let site = Site { record: &rref, field: name };
                let (new, effect) = self.anonymiser.apply_field_in(&entity.name, field, value, site, known);
                match effect {
                    Effect::Anonymised => changed.push(name.clone()),
                    Effect::Pseudonymised => pseudo.push(name.clone()),
                    Effect::Unchanged | Effect::Shredded => continue,
                }
                set.insert(name.to_string(), new);
            }
            if set.is_empty() {
                report.unchanged += 1;
                continue;
            }
            for b in blob_ids() {
                if set.values().all(|v| v.as_text() != Some(b.as_str())) {
                    cs.delete_blob(b);
                }
            }
            cs.update(rref.clone(), set);
            if !changed.is_empty() {
                cs.event(event(AuditAction::Anonymise, changed));
            }
            if !pseudo.is_empty() {
                cs.event(event(AuditAction::Pseudonymise, pseudo));
            }
            report.anonymised += 1;
        }
        if !cs.is_empty() {
            // Keys never change here either: updates first, then deletes (see `write_order`).
            store.apply(write_order(cs)).await.map_err(Error::store("applying a retention chunk"))?;
        }
        *plan = next;
        Ok(Some(report))
    }

    /// Runs the plan to its end, chunk by chunk, calling `saved` with the plan after each
    /// committed chunk (persist it there), then appends the `retention_run` event.
    pub async fn run_to_end<D: DataStore>(
        &self,
        store: &D,
        plan: &mut RetentionPlan,
        policy: &Policy,
        holds: &HoldSet,
        limit: usize,
        mut saved: impl FnMut(&RetentionPlan),
    ) -> Result<ChunkReport> {
        let mut total = ChunkReport::default();
        while let Some(r) = self.run_chunk(store, plan, policy, holds, limit).await? {
            total.evaluated += r.evaluated;
            total.executable += r.executable;
            total.anonymised += r.anonymised;
            total.deleted += r.deleted;
            total.delete_fallbacks += r.delete_fallbacks;
            total.unchanged += r.unchanged;
            saved(plan);
        }
        self.finish(store, plan).await?;
        Ok(total)
    }

    /// Appends the plan's `retention_run` event (counts only). Call once, when
    /// [`run_chunk`](Self::run_chunk) has returned `None`.
    pub async fn finish<D: DataStore>(&self, store: &D, plan: &RetentionPlan) -> Result<()> {
        let mut cs = ChangeSet::new();
        cs.event(plan.audit_event(self.actor.clone()));
        store.apply(cs).await.map_err(Error::store("recording the retention run"))?;
        Ok(())
    }
}
