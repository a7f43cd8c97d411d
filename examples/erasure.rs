//! Erasing a person (s.26, DPP2(2)): their fields anonymised in one atomic change set, their
//! encrypted HKID and date of birth crypto-shredded, their invoices kept under IRO s.51C and
//! listed in the certificate with the date they become erasable.
//!
//! ```text
//! cargo run --example erasure
//! ```
#![allow(clippy::print_stdout)]

use std::sync::Arc;

use pdpo::Workspace;
use pdpo::core::{Actor, DataStore, Key, SystemClock};
use pdpo::retention::Policy;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let schema = pdpo_testkit::schema();
    let policy = Policy::testkit_default(&schema)?;
    let ws = Workspace::in_memory(schema, Arc::new(SystemClock))?
        .with_actor(Actor::user("dpo-1")?)
        .with_policy(policy);
    pdpo_testkit::load(&pdpo_testkit::Generator::new(50, 7), ws.store(), ws.blobs(), 1000).await?;

    let subject = Key::from(3);
    let cert = ws.erase(&subject, None).await?;
    println!(
        "certificate {}: {} records changed, {} fields; keys shredded: {}; verified: {}",
        cert.id,
        cert.records_changed.len(),
        cert.fields_changed(),
        cert.keys_shredded,
        cert.verified
    );
    for kept in &cert.retained {
        let mut why: Vec<&str> = kept.retainers.iter().map(|r| r.reason.as_str()).collect();
        if kept.erase_mode_keep {
            why.push("the schema keeps this entity (erase = \"keep\", IRO s.51C business records)");
        }
        println!("  kept {}: {}", kept.record, why.join("; "));
    }
    let contact = ws.store().fetch("contacts", std::slice::from_ref(&subject)).await?;
    println!("contact {subject} now reads: {:?}", contact[0]);
    let again = ws.erase(&subject, None).await?;
    println!("erasing again: already erased = {}", again.already_erased);
    Ok(())
}
