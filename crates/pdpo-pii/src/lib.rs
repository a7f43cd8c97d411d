//! # pdpo-pii
//!
//! Finds Hong Kong personal data in text and in a CRM's stored records, and masks it by role, for the
//! Personal Data (Privacy) Ordinance (Cap. 486):
//!
//! - DPP1 (collection must be necessary and not excessive) and the PCPD *Code of Practice on the
//!   Identity Card Number and other Personal Identifiers*: know where HKID numbers and other
//!   identifiers are collected, including where nobody meant to collect them (notes, message bodies);
//! - DPP4 (security): show each role only what it needs ([`MaskPolicy`]);
//! - DPP2(2) and s.26 (erasure) and DPP6 (access): find every copy of a person's data before exporting
//!   or erasing it.
//!
//! Parts:
//! - [`validate`]: pure check-digit and format validators (HKID, Mainland ID MOD 11-2, Luhn, HK phone,
//!   HKSAR passport, Home Return Permit, Macau ID, email, IP, dates), with the research notes'
//!   known-answer vectors as tests.
//! - [`Inventory`]: what personal data a store holds, field by field (JSON path tags included),
//!   where untagged fields hold it, and identifiers collected with no declared purpose (DPP1).
//! - [`MaskPolicy`]: role → category → show / partial / hide, applied to a [`pdpo_core::Record`].
//! - [`jsonl`]: the stable line format of `pdpo scan --format jsonl` ([`jsonl::scan_lines`]).
//! - [`Scanner`]: every [`Detector`] in one pass over a text, including unspaced Chinese
//!   (`電話91234567`) and full-width digits; findings carry UTF-8 byte spans, a [`PiiCategory`],
//!   a finer [`Kind`], a confidence and whether a checksum validated.
//!
//! ```
//! use pdpo_core::PiiCategory;
//! let scanner = pdpo_pii::Scanner::hong_kong()?;
//! let text = "Mr Chan, HKID A123456(3), tel +852 9123 4567, chan@example.com.hk";
//! let hits = scanner.scan(text);
//! let hkid = hits.iter().find(|f| f.category == PiiCategory::Hkid).unwrap();
//! assert_eq!(hkid.text(text), "A123456(3)");
//! assert!(hkid.validated && hkid.confidence > 0.9);
//! assert_eq!(hits.iter().filter(|f| f.category == PiiCategory::Phone).count(), 1);
//! # Ok::<(), pdpo_pii::Error>(())
//! ```
//!
//! No feature flags: the crate has no optional parts.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod builtin;
mod context;
mod detector;
mod email;
mod error;
mod inventory;
pub mod jsonl;
mod mask;
mod normalize;
mod scanner;
pub mod validate;

pub use detector::{Assessment, Candidate, Detector, Kind};
pub use error::{Error, Result};
pub use inventory::{Detected, EntityReport, FieldReport, Inventory, InventoryFinding, InventoryReport};
pub use mask::{FieldTags, MaskAction, MaskPolicy, partial_mask};
pub use pdpo_core::PiiCategory;
pub use scanner::{Finding, Scanner, ScannerBuilder};
