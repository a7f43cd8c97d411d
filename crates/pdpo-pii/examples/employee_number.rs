//! Adds an organisation's own identifier to the Hong Kong scanner.
//!
//! Employee numbers here look like `EMP-2024-00123` with a mod-97 check pair at the end
//! (`EMP-2024-00123-45`). The PCPD Code of Practice on the Identity Card Number applies its rules to
//! other personal identifiers such as employee numbers "with the necessary modifications", so they
//! belong in the same inventory and masking as HKID numbers.
//!
//! Run: `cargo run -p pdpo-pii --example employee_number`
#![allow(clippy::print_stdout)]

use pdpo_core::PiiCategory;
use pdpo_pii::{Assessment, Candidate, Detector, Kind, Scanner};

struct EmployeeNumber;

impl EmployeeNumber {
    /// The check pair: 98 - (year * 100000 + serial) * 100 mod 97, as in ISO 7064 MOD 97-10.
    fn check(year: u64, serial: u64) -> u64 {
        98 - ((year * 100_000 + serial) * 100) % 97
    }
}

impl Detector for EmployeeNumber {
    fn kind(&self) -> Kind {
        Kind::custom("employee_number")
    }

    fn category(&self) -> PiiCategory {
        PiiCategory::Custom("employee_number".into())
    }

    fn patterns(&self) -> Vec<String> {
        // Bounded length and a word start, as the Detector docs ask.
        vec![r"(?-u:\b{start-half})(?i:emp)-[0-9]{4}-[0-9]{5}-[0-9]{2}(?-u:\b{end-half})".into()]
    }

    fn context_words(&self) -> Vec<String> {
        ["staff no", "employee", "員工編號", "職員"].map(String::from).to_vec()
    }

    fn assess(&self, c: &Candidate<'_>) -> Option<Assessment> {
        let mut parts = c.as_str().split('-').skip(1).map(|p| p.parse::<u64>().ok());
        let (Some(Some(year)), Some(Some(serial)), Some(Some(check))) =
            (parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        (Self::check(year, serial) == check).then(|| Assessment::new(true, 0.8, 0.97, 0.3))
    }
}

fn main() -> Result<(), pdpo_pii::Error> {
    let scanner = Scanner::builder().hong_kong().detector(EmployeeNumber).build()?;
    let good = format!("EMP-2024-00123-{:02}", EmployeeNumber::check(2024, 123));
    let text = format!("員工編號 {good}（陳大文先生），HKID A123456(3)；typo EMP-2024-00123-00 ignored.");
    for f in scanner.scan(&text) {
        println!(
            "{:<24} {:<16} {:.2} validated={} {:?}",
            f.category,
            f.kind,
            f.confidence,
            f.validated,
            f.text(&text)
        );
    }
    Ok(())
}
