//! A retention policy (DPP2(2)) over the sample CRM: a dry run that explains each decision,
//! then the run, chunk by chunk, each chunk one transaction, with one audit event of counts.
//!
//! ```text
//! cargo run --example retention
//! ```
#![allow(clippy::print_stdout)]

use std::sync::Arc;

use pdpo::Workspace;
use pdpo::core::{Actor, FixedClock};
use pdpo::retention::Policy;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let schema = pdpo_testkit::schema();
    let policy = Policy::testkit_default(&schema)?;
    let clock = Arc::new(FixedClock::new(pdpo_testkit::reference_now()));
    let ws =
        Workspace::in_memory(schema, clock)?.with_actor(Actor::system("retention-job")?).with_policy(policy);
    pdpo_testkit::load(&pdpo_testkit::Generator::new(200, 7), ws.store(), ws.blobs(), 1000).await?;

    let plan = ws.retention_plan(5).await?;
    println!("dry run: {} records", plan.records);
    for (outcome, n) in &plan.by_outcome {
        println!("  {outcome:<14} {n:>7}");
    }
    for d in &plan.sample {
        println!("  e.g. {}: {}", d.record, d.reason);
    }
    let (run, _) = ws.retention_run(500).await?;
    println!("run: {} evaluated, {} anonymised, {} deleted", run.evaluated, run.anonymised, run.deleted);
    Ok(())
}
