//! # pdpo-retention
//!
//! Retention policies, legal holds and explainable disposal plans for the Hong Kong Personal Data
//! (Privacy) Ordinance (Cap. 486). This crate **plans**; `pdpo-anonymise` executes.
//!
//! ## The law it serves (FACTS.md §2, §10, B3)
//! - **DPP2(2)**: all practicable steps to ensure personal data is not kept longer than necessary
//!   for its purpose. **s.26(1)**: erase personal data no longer required, unless erasure is
//!   prohibited by law or not erasing is in the public interest; ignoring s.26 without reasonable
//!   excuse is an offence under **s.64A(1)**.
//! - The PDPO sets **no retention period** and does not require a retention policy. Minimums come
//!   from other laws, e.g. IRO (Cap. 112) **s.51C** (business records, 7 years after the
//!   transaction) and PDPO **s.27** (the refusal log book, 4 years after each entry). Every other
//!   period is the data user's choice: each [`Rule`] must say `statutory = true` or `false`, and
//!   decisions repeat the label.
//!
//! ## What is here
//! - [`Policy`]: rules loaded from TOML ([`Policy::from_toml_str`]) or built in code
//!   ([`Policy::from_rules`]), validated against a [`pdpo_core::Schema`]. Errors name the file,
//!   line and rule ([`Problem`]). A rule selects an entity and field predicates, counts a
//!   [`Period`] (ISO 8601, calendar-correct on the Hong Kong calendar) from an anchor column, and
//!   asks for an [`Action`]: keep, review, refresh consent, anonymise or delete.
//! - [`HoldSet`]: legal holds ([`pdpo_core::Hold`]) by subject, record or entity, with reasons and
//!   optional expiry.
//! - [`RetentionGuard`]: the [`pdpo_core::DisposalGuard`]. Holds beat everything; a keep rule
//!   whose period has not run beats disposal.
//! - [`Policy::evaluate`]: a pure function of a record's metadata, the holds and `now`, giving a
//!   [`Decision`] (outcome, action, rule, due date, and a reason sentence a compliance officer can
//!   read). Records no rule covers are reported as [`Outcome::NoPolicy`]: best practice under
//!   DPP2(2)/s.26, not a statutory requirement.
//! - [`RetentionPlan`]: a resumable plan over any [`pdpo_core::DataStore`] (keyset pagination;
//!   serialisable state), its [`PlanSummary`] (a dry run: counts by outcome, rule, entity and
//!   action, and the first decisions) and one `retention_run` audit event with counts.
//! - [`TESTKIT_POLICY`]: a default policy for the testkit CRM.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use pdpo_core::{Identifier, Key, Record, Schema};
//! use pdpo_retention::{Action, HoldSet, Outcome, Policy};
//!
//! let schema = Schema::from_toml_str(r#"
//!     subject = "contacts"
//!     [entities.contacts]
//!     key = "id"
//!     lifecycle = { last_activity = "last_activity_at" }
//!     fields.status = { type = "text" }
//! "#, None)?;
//! let policy = Policy::from_toml_str(r#"
//!     [[rules]]
//!     name = "stale-leads"
//!     entity = "contacts"
//!     when = { status = "lead" }
//!     anchor = "last_activity"
//!     period = "P2Y"
//!     action = "anonymise"
//!     basis = "Leads with no activity for 2 years are no longer needed"
//!     statutory = false
//! "#, None, &schema)?;
//!
//! let lead = Record::new(Identifier::new("contacts")?, Key::from(42))
//!     .with("status", "lead")
//!     .with("last_activity_at", Utc.with_ymd_and_hms(2023, 5, 2, 3, 0, 0).unwrap());
//! let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
//! let d = policy.evaluate(&lead, &HoldSet::new(), now);
//! assert_eq!(d.outcome, Outcome::Due);
//! assert_eq!(d.action, Some(Action::Anonymise));
//! assert!(d.reason.starts_with(
//!     "Due for anonymisation since 2025-05-03 under rule `stale-leads` (P2Y from `last_activity_at` on 2023-05-02)"
//! ));
//! assert!(d.reason.ends_with("(business choice)."));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Features
//! None: the crate is pure logic plus one async planner over [`pdpo_core::DataStore`], with no
//! runtime dependency.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod evaluate;
mod guard;
mod holds;
mod period;
mod plan;
mod policy;
mod rule;

pub use error::{Error, Problem, Problems, Result};
pub use evaluate::{Decision, Outcome};
pub use guard::RetentionGuard;
pub use holds::HoldSet;
pub use period::{MAX_YEARS, Period};
pub use plan::{Chunk, NO_POLICY, PlanSummary, RetentionPlan, dry_run};
pub use policy::{POLICY_VERSION, Policy, TESTKIT_POLICY};
pub use rule::{Action, Literal, Predicate, Rule};
