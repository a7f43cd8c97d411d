//! The ledger: receiving requests, moving them through their states, refusing them with a
//! log-book entry, and answering "what is due".

use std::sync::{PoisonError, RwLock};

use chrono::{DateTime, Days, NaiveDate, Utc};
use pdpo_core::{Actor, AuditAction, AuditEvent, Clock, Decimal, Identifier, Key, hong_kong_date};
use uuid::Uuid;

use crate::{
    Due, Error, Fee, HolidayCalendar, Language, LedgerWrite, LogBookEntry, OpenRequestHolds, PartialNotice,
    Refusal, RefusalGround, Request, RequestKind, RequestState, RequestStore, Result, Transition, Warning,
};

/// The statutory period for access and correction requests: 40 days (s.19(1), s.21(1), s.23(1), s.25(1)).
pub const STATUTORY_DAYS: u32 = 40;

/// Service levels for the requests the PDPO sets no clock for. These are **business choices**, and
/// every due date computed from them says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceLevels {
    /// Days to act on an erasure request (default 30). The PDPO has no right to erasure on request;
    /// s.26 is the data user's own duty to erase data no longer needed.
    pub erasure_days: u32,
    /// Days to act on a direct-marketing opt-out (default 0: at once). s.35G(3) requires ceasing
    /// use without charge and sets no period.
    pub opt_out_days: u32,
}

impl Default for ServiceLevels {
    fn default() -> Self {
        Self { erasure_days: 30, opt_out_days: 0 }
    }
}

/// A new request, as received.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// Kind.
    pub kind: RequestKind,
    /// Subject keys found for the requestor (see [`Resolver`](crate::Resolver)).
    pub subjects: Vec<Key>,
    /// When it was received (defaults to now).
    pub received_at: Option<DateTime<Utc>>,
    /// Language of the request.
    pub language: Language,
    /// For a correction request: the access request whose copy was supplied.
    pub follows: Option<Uuid>,
}

impl NewRequest {
    /// A request of `kind` about `subjects`, received now, in English.
    pub fn new(kind: RequestKind, subjects: Vec<Key>) -> Self {
        Self { kind, subjects, received_at: None, language: Language::En, follows: None }
    }

    /// Sets the time of receipt.
    #[must_use]
    pub fn received_at(mut self, at: DateTime<Utc>) -> Self {
        self.received_at = Some(at);
        self
    }

    /// Sets the language.
    #[must_use]
    pub fn language(mut self, language: Language) -> Self {
        self.language = language;
        self
    }

    /// For a correction request, the access request it follows.
    #[must_use]
    pub fn follows(mut self, access_request: Uuid) -> Self {
        self.follows = Some(access_request);
        self
    }
}

/// The PDPO request ledger over a [`RequestStore`] and a [`Clock`].
///
/// Every state change is written together with an [`AuditEvent`] (`AuditAction::Request`, the
/// request id, the subject, and a count named `state.<new state>`).
pub struct Ledger<S, C> {
    store: S,
    clock: C,
    calendar: RwLock<HolidayCalendar>,
    service: ServiceLevels,
}

impl<S: std::fmt::Debug, C> std::fmt::Debug for Ledger<S, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("store", &self.store)
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl<S: RequestStore, C: Clock> Ledger<S, C> {
    /// A ledger with the Hong Kong holiday calendar and default service levels.
    pub fn new(store: S, clock: C) -> Self {
        Self::with_calendar(store, clock, HolidayCalendar::hong_kong(), ServiceLevels::default())
    }

    /// A ledger with a given calendar and service levels.
    pub fn with_calendar(store: S, clock: C, calendar: HolidayCalendar, service: ServiceLevels) -> Self {
        Self { store, clock, calendar: RwLock::new(calendar), service }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Records a gale or black rainstorm warning day; due dates falling on it move on.
    pub fn record_warning(&self, date: NaiveDate, warning: Warning) {
        self.calendar.write().unwrap_or_else(PoisonError::into_inner).record_warning(date, warning);
    }

    /// When `request` must be answered, explained.
    pub fn due(&self, request: &Request) -> Result<Due> {
        due_for(
            &self.calendar.read().unwrap_or_else(PoisonError::into_inner),
            &self.service,
            request.kind,
            request.received_on,
        )
    }

    fn event(&self, actor: &Actor, req: &Request, to: RequestState) -> AuditEvent {
        let mut e = AuditEvent::new(AuditAction::Request, actor.clone(), self.clock.now())
            .with_request(req.id)
            .with_count(state_count(to), 1);
        if let Some(s) = req.subjects.first() {
            e = e.with_subject(s.clone());
        }
        e
    }

    /// Records a new request and returns it. A correction request must follow an access request
    /// whose copy was supplied (s.22(1)).
    pub async fn receive(&self, new: NewRequest, actor: &Actor) -> Result<Request> {
        let received_at = new.received_at.unwrap_or_else(|| self.clock.now());
        if new.kind == RequestKind::Correction {
            let Some(dar_id) = new.follows else {
                return Err(Error::NoPrecedingCopy { why: "no access request was named".into() });
            };
            let dar = self.store.get(dar_id).await?.ok_or_else(|| Error::NoPrecedingCopy {
                why: format!("access request {dar_id} does not exist"),
            })?;
            if dar.kind != RequestKind::Access {
                return Err(Error::NoPrecedingCopy {
                    why: format!("request {dar_id} is not an access request"),
                });
            }
            if dar.completed_on.is_none() {
                return Err(Error::NoPrecedingCopy {
                    why: format!("no copy has been supplied for access request {dar_id}"),
                });
            }
        }
        let req = Request {
            id: Uuid::now_v7(),
            kind: new.kind,
            subjects: new.subjects,
            received_at,
            received_on: hong_kong_date(received_at),
            language: new.language,
            state: RequestState::Received,
            follows: new.follows,
            fee: None,
            refusal: None,
            partial_notice: None,
            completed_on: None,
            history: Vec::new(),
        };
        // Fail now, not at the deadline, if the calendar cannot count this period.
        self.due(&req)?;
        let event = self.event(actor, &req, RequestState::Received);
        self.store
            .write(LedgerWrite { requests: vec![req.clone()], log_entries: vec![], events: vec![event] })
            .await?;
        Ok(req)
    }

    async fn load(&self, id: Uuid) -> Result<Request> {
        self.store.get(id).await?.ok_or(Error::NotFound(id))
    }

    fn moved(&self, mut req: Request, to: RequestState, actor: &Actor) -> Result<(Request, AuditEvent)> {
        if !req.state.can_move_to(to) {
            return Err(Error::Transition { id: req.id, from: req.state, to });
        }
        req.history.push(Transition { from: req.state, to, at: self.clock.now(), by: actor.to_string() });
        req.state = to;
        let e = self.event(actor, &req, to);
        Ok((req, e))
    }

    async fn transition(
        &self,
        id: Uuid,
        to: RequestState,
        actor: &Actor,
        edit: impl FnOnce(&mut Request),
    ) -> Result<Request> {
        let mut req = self.load(id).await?;
        edit(&mut req);
        let (req, e) = self.moved(req, to, actor)?;
        self.store
            .write(LedgerWrite { requests: vec![req.clone()], log_entries: vec![], events: vec![e] })
            .await?;
        Ok(req)
    }

    /// The requestor's identity (or a relevant person's authority) is established.
    pub async fn verify_identity(&self, id: Uuid, actor: &Actor) -> Result<Request> {
        self.transition(id, RequestState::IdentityVerified, actor, |_| {}).await
    }

    /// Work has started.
    pub async fn start(&self, id: Uuid, actor: &Actor) -> Result<Request> {
        self.transition(id, RequestState::InProgress, actor, |_| {}).await
    }

    /// The copy (or the correction) was supplied today.
    pub async fn complete(&self, id: Uuid, actor: &Actor) -> Result<Request> {
        let today = self.clock.today_hk();
        self.transition(id, RequestState::Completed, actor, |r| r.completed_on = Some(today)).await
    }

    /// Serves a s.19(2) (or s.23(2)) notice: unable to comply in full in time, complying in part.
    /// The notice must be served on or before the last day of the period.
    pub async fn partially_comply(
        &self,
        id: Uuid,
        reasons: impl Into<String>,
        served_on: NaiveDate,
        actor: &Actor,
    ) -> Result<Request> {
        let req = self.load(id).await?;
        let due = self.due(&req)?;
        if req.kind.is_statutory() && served_on > due.date {
            return Err(Error::PartialNoticeLate { id, due: due.date, served_on });
        }
        let notice = PartialNotice { reasons: reasons.into(), served_on };
        self.transition(id, RequestState::PartiallyComplied, actor, |r| r.partial_notice = Some(notice)).await
    }

    /// Quotes a fee for an access request (s.28(2)–(4)); the request may be refused until it is paid
    /// (s.28(5)). Refused for correction requests (s.28(1)) and the non-statutory kinds.
    pub async fn set_fee(&self, id: Uuid, amount_hkd: Decimal, basis: impl Into<String>) -> Result<Request> {
        let mut req = self.load(id).await?;
        if req.kind != RequestKind::Access {
            return Err(Error::FeeNotAllowed(id));
        }
        req.fee = Some(Fee { amount_hkd, basis: basis.into(), paid_on: None });
        self.store.write(LedgerWrite { requests: vec![req.clone()], ..LedgerWrite::default() }).await?;
        Ok(req)
    }

    /// Refuses a request: writes the s.27 log-book entry (dated now, which must be on or before
    /// `notice_served_on`, s.27(3)) and the refusal in one atomic write.
    pub async fn refuse(
        &self,
        id: Uuid,
        refusal: RefusalInput,
        actor: &Actor,
    ) -> Result<(Request, LogBookEntry)> {
        let req = self.load(id).await?;
        if refusal.grounds.is_empty() {
            return Err(Error::NoGrounds(id));
        }
        for g in &refusal.grounds {
            if !g.applies_to(req.kind) {
                return Err(Error::GroundNotApplicable { id, ground: *g, kind: req.kind });
            }
            if g.names_other_data_user() && refusal.other_data_user.as_deref().is_none_or(str::is_empty) {
                return Err(Error::OtherDataUserMissing { id, ground: *g });
            }
        }
        let now = self.clock.now();
        let entered_on = hong_kong_date(now);
        if entered_on > refusal.notice_served_on {
            return Err(Error::EntryAfterNotice {
                request: id,
                entered_on,
                served_on: refusal.notice_served_on,
            });
        }
        let entry = LogBookEntry {
            id: Uuid::now_v7(),
            request: id,
            kind: req.kind,
            received_on: req.received_on,
            grounds: refusal.grounds.clone(),
            reasons: refusal.reasons.clone(),
            prejudice: refusal.prejudice.clone(),
            entered_at: now,
            entered_on,
            notice_served_on: refusal.notice_served_on,
            language: req.language,
        };
        let mut req = req;
        req.refusal = Some(Refusal {
            grounds: refusal.grounds,
            reasons: refusal.reasons,
            other_data_user: refusal.other_data_user,
            notice_served_on: refusal.notice_served_on,
            log_book_entry: entry.id,
        });
        let (req, e) = self.moved(req, RequestState::Refused, actor)?;
        self.store
            .write(LedgerWrite {
                requests: vec![req.clone()],
                log_entries: vec![entry.clone()],
                events: vec![e],
            })
            .await?;
        Ok((req, entry))
    }

    /// Erases a log-book entry, only once four years have passed since it was entered (s.27(1)(c)).
    pub async fn erase_log_entry(&self, id: Uuid) -> Result<()> {
        let entry = self.store.log_book().await?.into_iter().find(|e| e.id == id);
        let Some(entry) = entry else { return Err(Error::NoLogEntry(id)) };
        let until = entry.erasable_from();
        if self.clock.today_hk() < until {
            return Err(Error::LogBookRetention { id, until });
        }
        self.store.erase_log_entry(id).await?;
        Ok(())
    }

    /// Open requests with their due dates, soonest first.
    pub async fn open(&self) -> Result<Vec<(Request, Due)>> {
        let mut out = Vec::new();
        for r in self.store.list().await? {
            if r.state.is_open() {
                let d = self.due(&r)?;
                out.push((r, d));
            }
        }
        out.sort_by_key(|(r, d)| (d.date, r.received_at));
        Ok(out)
    }

    /// Open requests due within `days` days from today (Hong Kong), overdue ones included.
    pub async fn due_within(&self, days: u32) -> Result<Vec<(Request, Due)>> {
        let horizon =
            self.clock.today_hk().checked_add_days(Days::new(u64::from(days))).unwrap_or(NaiveDate::MAX);
        Ok(self.open().await?.into_iter().filter(|(_, d)| d.date <= horizon).collect())
    }

    /// Open requests whose last day has passed.
    pub async fn overdue(&self) -> Result<Vec<(Request, Due)>> {
        let today = self.clock.today_hk();
        Ok(self.open().await?.into_iter().filter(|(_, d)| d.date < today).collect())
    }

    /// Requests in `state`.
    pub async fn in_state(&self, state: RequestState) -> Result<Vec<Request>> {
        Ok(self.store.list().await?.into_iter().filter(|r| r.state == state).collect())
    }

    /// A [`DisposalGuard`](pdpo_core::DisposalGuard) holding the data of every person with an open
    /// access or correction request (the copy must be as at receipt, s.19(3); erasing it to avoid
    /// a request would defeat s.19(1)). `subject_entity` is the schema's subject entity.
    pub async fn holds(&self, subject_entity: Identifier) -> Result<OpenRequestHolds> {
        let mut holds = OpenRequestHolds::new(subject_entity);
        for r in self.store.list().await? {
            if r.state.is_open() && r.kind.is_statutory() {
                for s in &r.subjects {
                    holds.add(s.clone(), r.id, r.kind, r.received_on);
                }
            }
        }
        Ok(holds)
    }
}

/// The grounds and reasons of a refusal.
#[derive(Debug, Clone)]
pub struct RefusalInput {
    /// Grounds (at least one).
    pub grounds: Vec<RefusalGround>,
    /// Reasons specific enough to allow a challenge.
    pub reasons: String,
    /// For s.20(3)(d) / s.24(3)(e): the other data user's name and address.
    pub other_data_user: Option<String>,
    /// For s.21(2): the prejudice relied on (s.27(2)(b)).
    pub prejudice: Option<String>,
    /// The day the notice will be served.
    pub notice_served_on: NaiveDate,
}

fn state_count(s: RequestState) -> Identifier {
    match s {
        RequestState::Received => Identifier::from_static("state.received"),
        RequestState::IdentityVerified => Identifier::from_static("state.identity_verified"),
        RequestState::InProgress => Identifier::from_static("state.in_progress"),
        RequestState::PartiallyComplied => Identifier::from_static("state.partially_complied"),
        RequestState::Completed => Identifier::from_static("state.completed"),
        RequestState::Refused => Identifier::from_static("state.refused"),
    }
}

/// The due date of a request of `kind` received on `received_on`.
pub fn due_for(
    cal: &HolidayCalendar,
    service: &ServiceLevels,
    kind: RequestKind,
    received_on: NaiveDate,
) -> Result<Due> {
    match kind {
        RequestKind::Access | RequestKind::Correction => {
            let p = cal.period_end(received_on, STATUTORY_DAYS)?;
            let basis = if kind == RequestKind::Access {
                "PDPO s.19(1) (refusal: s.21(1)); IGCO s.71(1)"
            } else {
                "PDPO s.23(1) (refusal: s.25(1)); IGCO s.71(1)"
            };
            Ok(Due {
                date: p.date,
                statutory: true,
                basis: basis.into(),
                explanation: p.explain(),
                period: Some(p),
            })
        }
        RequestKind::Erasure | RequestKind::MarketingOptOut => {
            let days = if kind == RequestKind::Erasure { service.erasure_days } else { service.opt_out_days };
            let date = received_on
                .checked_add_days(Days::new(u64::from(days)))
                .ok_or(crate::CalendarError::OutOfRange)?;
            let basis = if kind == RequestKind::Erasure {
                "business choice: the PDPO sets no period for erasure requests (s.26 is the data user's own duty)"
            } else {
                "business choice: s.35G(3) requires ceasing direct-marketing use and sets no period"
            };
            Ok(Due {
                date,
                statutory: false,
                basis: basis.into(),
                explanation: format!(
                    "{days} calendar days after receipt on {received_on} (service level, not statutory)"
                ),
                period: None,
            })
        }
    }
}
