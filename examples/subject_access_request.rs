//! A data access request (s.18) from receipt to the copy of the data: the statutory due date
//! (40 days, s.19(1), counted under IGCO s.71), the export ZIP with other people's data withheld
//! (s.20), and the request completed, all in the audit log.
//!
//! ```text
//! cargo run --example subject_access_request
//! ```
#![allow(clippy::print_stdout)]

use std::sync::Arc;

use pdpo::Workspace;
use pdpo::core::{Actor, Key, SystemClock};
use pdpo::requests::{NewRequest, RequestKind};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ws = Workspace::in_memory(pdpo_testkit::schema(), Arc::new(SystemClock))?
        .with_actor(Actor::user("dpo-1")?);
    pdpo_testkit::load(&pdpo_testkit::Generator::new(50, 7), ws.store(), ws.blobs(), 1000).await?;

    let (request, due) =
        ws.receive_request(NewRequest::new(RequestKind::Access, vec![Key::from(12)])).await?;
    println!("request {} received {}: due {}", request.id, request.received_on, due.date);
    println!("  {}", due.explanation);

    let path = std::env::temp_dir().join(format!("pdpo-example-subject-{}.zip", std::process::id()));
    let export = ws.export_subject(request.id, std::fs::File::create(&path)?).await?;
    println!("wrote {}:", path.display());
    for f in &export.manifest.files {
        println!("  {:<36} {:>8} bytes  sha256 {}…", f.path, f.size, &f.sha256[..12]);
    }
    ws.ledger().verify_identity(request.id, ws.actor()).await?;
    let done = ws.ledger().complete(request.id, ws.actor()).await?;
    println!("request {} on {}", done.state, done.completed_on.map(|d| d.to_string()).unwrap_or_default());
    std::fs::remove_file(&path)?;
    Ok(())
}
