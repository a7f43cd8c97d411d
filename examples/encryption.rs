//! Field encryption and crypto-shredding (DPP4, s.26): the HKID is stored as AES-256-GCM
//! ciphertext under the person's own data key, read back in clear through the workspace, and
//! unreadable everywhere once the key is shredded by erasure.
//!
//! ```text
//! cargo run --example encryption
//! ```
#![allow(clippy::print_stdout)]

use std::sync::Arc;

use pdpo::Workspace;
use pdpo::core::{DataStore, Key, SystemClock, Value};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ws = Workspace::in_memory(pdpo_testkit::schema(), Arc::new(SystemClock))?;
    pdpo_testkit::load(&pdpo_testkit::Generator::new(20, 7), ws.store(), ws.blobs(), 1000).await?;
    let who = [Key::from(4)];
    let show = |v: Option<&Value>| match v {
        Some(Value::Bytes(b)) => format!("{} bytes of ciphertext", b.len()),
        Some(Value::Shredded) => "shredded: the key is gone".to_owned(),
        Some(v) if v.is_null() => "null".to_owned(),
        Some(_) => "an HKID in clear (not printed)".to_owned(),
        None => "absent".to_owned(),
    };
    let stored = ws.raw_store().fetch("contacts", &who).await?;
    let read = ws.store().fetch("contacts", &who).await?;
    println!("stored: {}", show(stored[0].get("hkid")));
    println!("read through the workspace: {}", show(read[0].get("hkid")));
    let cert = ws.erase(&who[0], None).await?;
    println!("erased; keys shredded: {}", cert.keys_shredded);
    let after = ws.store().fetch("contacts", &who).await?;
    println!("read after erasure: {}", show(after[0].get("hkid")));
    Ok(())
}
