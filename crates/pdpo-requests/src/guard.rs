//! The automatic hold while an access or correction request is open.

use std::collections::HashMap;

use chrono::NaiveDate;
use pdpo_core::{Disposal, DisposalGuard, DisposalQuery, Identifier, Key, Retainer, RetainerKind};
use uuid::Uuid;

use crate::RequestKind;

/// A [`DisposalGuard`] that retains every record about a person with an open access or correction
/// request: the copy supplied must be the data as at receipt (s.19(3)), and erasing it while a
/// request is open would defeat s.19(1). Built by [`Ledger::holds`](crate::Ledger::holds).
#[derive(Debug, Clone)]
pub struct OpenRequestHolds {
    subject_entity: Identifier,
    by_subject: HashMap<Key, Vec<(Uuid, RequestKind, NaiveDate)>>,
}

impl OpenRequestHolds {
    /// An empty guard for a schema whose subject entity is `subject_entity`.
    pub fn new(subject_entity: Identifier) -> Self {
        Self { subject_entity, by_subject: HashMap::new() }
    }

    /// Holds `subject`'s data for request `id`.
    pub fn add(&mut self, subject: Key, id: Uuid, kind: RequestKind, received_on: NaiveDate) {
        self.by_subject.entry(subject).or_default().push((id, kind, received_on));
    }

    /// Number of people held.
    pub fn len(&self) -> usize {
        self.by_subject.len()
    }

    /// Whether nobody is held.
    pub fn is_empty(&self) -> bool {
        self.by_subject.is_empty()
    }
}

impl DisposalGuard for OpenRequestHolds {
    fn check(&self, q: &DisposalQuery<'_>) -> Disposal {
        let own_key = (q.record.entity == self.subject_entity).then_some(&q.record.key);
        let Some(subject) = q.subject.or(own_key) else { return Disposal::Allowed };
        let Some(open) = self.by_subject.get(subject) else { return Disposal::Allowed };
        Disposal::Retained(
            open.iter()
                .map(|(id, kind, received)| Retainer {
                    kind: RetainerKind::OpenRequest,
                    name: id.to_string(),
                    reason: format!(
                        "open data {} request received {received}: the data must stay as at receipt until it is answered (PDPO s.19(3))",
                        if *kind == RequestKind::Access { "access" } else { "correction" }
                    ),
                    statutory: true,
                    until: None,
                })
                .collect(),
        )
    }
}
