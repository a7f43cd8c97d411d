//! The tamper-evident audit log: every operation leaves events; verification, a signed
//! checkpoint kept outside the database, and a breach report of what one user viewed or
//! exported (DPP4).
//!
//! ```text
//! cargo run --example audit_log
//! ```
#![allow(clippy::print_stdout)]

use std::sync::Arc;

use pdpo::Workspace;
use pdpo::audit::{AuditStore, CheckpointKey};
use pdpo::core::chrono::Duration;
use pdpo::core::{Actor, Identifier, Key, SystemClock};
use pdpo::requests::{NewRequest, RequestKind};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let staff = Actor::user("staff-17")?;
    let ws = Workspace::in_memory(pdpo_testkit::schema(), Arc::new(SystemClock))?.with_actor(staff.clone());
    pdpo_testkit::load(&pdpo_testkit::Generator::new(30, 7), ws.store(), ws.blobs(), 1000).await?;
    for id in [3, 5, 8] {
        let (r, _) = ws.receive_request(NewRequest::new(RequestKind::Access, vec![Key::from(id)])).await?;
        ws.export_subject(r.id, Vec::new()).await?;
    }
    let report = ws.verify_audit().await?;
    println!("verified {} entries: clean = {}", report.entries, report.is_clean());

    let key = CheckpointKey::new(Identifier::new("ops-2026")?, &[7u8; 32])?;
    let checkpoint = ws.checkpoint(&key).await?;
    println!("checkpoint (keep it elsewhere):\n{}", checkpoint.to_text());
    println!("head now at {} entries", ws.audit().head().await?.size);

    let now = ws.clock().now();
    let breach = ws.breach_report(&staff, now - Duration::days(1), now + Duration::days(1)).await?;
    println!("{staff} exported data of {} people in {} events", breach.subjects.len(), breach.events);
    Ok(())
}
