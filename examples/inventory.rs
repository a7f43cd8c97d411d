//! Knowing what you hold (DPP1): an inventory of the sample CRM's personal data, tagged fields
//! counted and untagged personal data found by the Hong Kong scanner (HKID with check digits,
//! phones, emails, names in English and Chinese).
//!
//! ```text
//! cargo run --example inventory
//! ```
#![allow(clippy::print_stdout)]

use std::sync::Arc;

use pdpo::Workspace;
use pdpo::core::SystemClock;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ws = Workspace::in_memory(pdpo_testkit::schema(), Arc::new(SystemClock))?;
    pdpo_testkit::load(&pdpo_testkit::Generator::new(100, 7), ws.store(), ws.blobs(), 1000).await?;
    let report = ws.inventory().await?;
    print!("{}", report.to_text());

    let text = "陳大文 called from 9123 4567 about HKID A123456(3); email chan.taiman@example.com";
    for f in ws.scanner().scan(text) {
        println!("{:<8} bytes {:>2}..{:<2} confidence {:.2}", f.category, f.start, f.end, f.confidence);
    }
    Ok(())
}
