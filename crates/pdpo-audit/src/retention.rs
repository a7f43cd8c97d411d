//! Retention of partitions: drop whole sealed months past the retention period, oldest first,
//! logging each drop before it happens.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use chrono::{DateTime, Utc};
use pdpo_core::{Actor, AuditAction, AuditEvent, Identifier, Key, KeyValue, RecordRef};

use crate::encoding::{decode_event, peek_action};
use crate::{AuditStore, Error, Month, Result, Seal};

/// The entity name drop events use for an audit partition.
pub const PARTITION_ENTITY: Identifier = Identifier::from_static("audit_partition");

/// The default retention: 13 months, which keeps the 12 months of disclosures s.23(1)(c) asks
/// a data user to trace, plus the month in progress.
pub const DEFAULT_MONTHS: u32 = 13;

/// Which partitions may go: sealed months that ended at least `months` months ago, oldest first,
/// stopping at the first month that is unsealed, still in the period or under a hold.
///
/// Drops stop at a held month (rather than skipping it) so that the kept partitions always run
/// without a gap from the oldest to the head; verification relies on that to tell a retention
/// drop from a deletion.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use pdpo_audit::{Month, Retention};
/// let r = Retention::default();
/// let jan = Month::new(2025, 1)?;
/// // January 2025 ends 1 Feb 2025 (HK); 13 months later is 1 March 2026 (HK).
/// assert!(!r.is_due(jan, Utc.with_ymd_and_hms(2026, 2, 28, 15, 59, 59).unwrap()));
/// assert!(r.is_due(jan, Utc.with_ymd_and_hms(2026, 2, 28, 16, 0, 0).unwrap()));
/// # Ok::<(), pdpo_audit::InvalidMonth>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    months: u32,
    holds: BTreeSet<Month>,
    actor: Actor,
}

impl Default for Retention {
    fn default() -> Self {
        Self { months: DEFAULT_MONTHS, holds: BTreeSet::new(), actor: retention_actor() }
    }
}

fn retention_actor() -> Actor {
    Actor { kind: pdpo_core::ActorKind::System, id: Identifier::from_static("audit-retention") }
}

/// What one retention run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionRun {
    /// The month sealed by this run, if the head's month had ended.
    pub sealed: Option<Month>,
    /// Months dropped, oldest first.
    pub dropped: Vec<Month>,
    /// Drop events appended (fewer than `dropped` when an interrupted run had logged some).
    pub logged: usize,
    /// A due month kept because of a hold (and every month after it).
    pub held: Option<Month>,
}

impl Retention {
    /// Keep each month for `months` months after it ends (at least 1).
    pub fn keep_months(months: u32) -> Result<Self> {
        if months == 0 {
            return Err(Error::Retention { months });
        }
        Ok(Self { months, ..Self::default() })
    }

    /// The retention period in months.
    pub fn months(&self) -> u32 {
        self.months
    }

    /// Keeps `month` (and so every later month) whatever its age, for a legal hold.
    #[must_use]
    pub fn with_hold(mut self, month: Month) -> Self {
        self.holds.insert(month);
        self
    }

    /// The actor recorded in drop events (default `system:audit-retention`).
    #[must_use]
    pub fn with_actor(mut self, actor: Actor) -> Self {
        self.actor = actor;
        self
    }

    /// Whether `month` has been over for the whole retention period at `now`: `now` is at or
    /// after the start of month + `months` + 1, Hong Kong time.
    pub fn is_due(&self, month: Month, now: DateTime<Utc>) -> bool {
        now >= month.plus(self.months.saturating_add(1)).start()
    }

    /// Seals the head's month if it has ended, then drops due partitions oldest first. For each,
    /// it appends a [`AuditAction::PartitionDropped`] event (unless an interrupted earlier run
    /// already did), then deletes the rows; the seal stays. Safe to repeat after a crash at any
    /// point.
    pub async fn run<S: AuditStore + ?Sized>(&self, store: &S, now: DateTime<Utc>) -> Result<RetentionRun> {
        let mut out =
            RetentionRun { sealed: store.seal_ended().await?.map(|s| s.month), ..RetentionRun::default() };
        let seals = store.seals().await?;
        let partitions = store.partitions().await?;
        let later = |m: Month| partitions.iter().map(|p| p.month).filter(move |p| *p > m).collect::<Vec<_>>();
        for p in &partitions {
            let Some(seal) = seals.iter().find(|s| s.month == p.month) else { break };
            if !self.is_due(p.month, now) {
                break;
            }
            if self.holds.contains(&p.month) {
                out.held = Some(p.month);
                break;
            }
            if !drop_logged(store, p.month, &later(p.month)).await? {
                store.append(&[drop_event(seal, p.rows, self.actor.clone(), now)]).await?;
                out.logged += 1;
            }
            store.drop_partition(p.month).await?;
            out.dropped.push(p.month);
        }
        Ok(out)
    }
}

/// The event recording the drop of a sealed month: action `partition_dropped`, record
/// `audit_partition[(YYYYMM, seal hash)]`, count `entries`.
pub fn drop_event(seal: &Seal, rows: u64, actor: Actor, at: DateTime<Utc>) -> AuditEvent {
    let key = Key::composite([
        KeyValue::Int(i64::from(seal.month.yyyymm())),
        KeyValue::Text(seal.hash.to_hex().into_boxed_str()),
    ]);
    AuditEvent::new(AuditAction::PartitionDropped, actor, at)
        .with_record(RecordRef::new(PARTITION_ENTITY, key))
        .with_count(Identifier::from_static("entries"), rows)
}

/// The month a drop event records, if `event` is one.
pub fn dropped_month(event: &AuditEvent) -> Option<Month> {
    let record = event.record.as_ref().filter(|_| event.action == AuditAction::PartitionDropped)?;
    if record.entity != PARTITION_ENTITY {
        return None;
    }
    match record.key.parts().first()? {
        KeyValue::Int(n) => Month::from_yyyymm(u32::try_from(*n).ok()?).ok(),
        _ => None,
    }
}

/// Whether a drop of `month` is already logged in one of `months` (searched newest first).
async fn drop_logged<S: AuditStore + ?Sized>(store: &S, month: Month, months: &[Month]) -> Result<bool> {
    for &m in months.iter().rev() {
        let mut found = false;
        store
            .scan(m, |r| {
                found = peek_action(&r.body) == Some(AuditAction::PartitionDropped.as_str())
                    && decode_event(&r.body).ok().as_ref().and_then(dropped_month) == Some(month);
                if found { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
            })
            .await?;
        if found {
            return Ok(true);
        }
    }
    Ok(false)
}
