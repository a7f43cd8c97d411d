//! Quick start: load the sample Hong Kong CRM (`pdpo-testkit`: contacts, companies, deals,
//! conversations, messages, invoices, attachments, ...) into a `MemoryStore`, and collect
//! everything about one person — the starting point of a data access request (s.18), a correction
//! (s.22) or an erasure (s.26). Fields about other people in shared records are withheld, as
//! s.20(1)(b) requires of an access copy.
//!
//! ```text
//! cargo run --example quickstart
//! ```
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;

use pdpo::core::{DataStore, Key, SubjectGraph};
use pdpo_testkit::{Generator, load_memory};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let generator = Generator::with_default_seed(500);
    let loaded = load_memory(&generator)?;
    let store = loaded.store;
    println!(
        "Loaded the sample Hong Kong CRM into memory: {} contacts, {} records, {} attachments.",
        loaded.stats.groups, loaded.stats.records, loaded.stats.blobs
    );

    // The first contact who shares a record with someone else.
    let mut chosen = None;
    for id in 1..=generator.contacts() {
        let graph = SubjectGraph::collect(&store, &Key::from(id)).await?;
        if graph.records.iter().any(|r| !r.others_fields.is_empty()) {
            chosen = Some(graph);
            break;
        }
    }
    let Some(graph) = chosen else { return Ok(()) };

    let mut per_entity: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &graph.records {
        *per_entity.entry(r.record.entity.as_str()).or_default() += 1;
    }
    println!("\nEverything about contacts[{}]: {} records", graph.subject, graph.len());
    for (entity, n) in &per_entity {
        println!("  {entity:<28} {n}");
    }

    let schema = store.schema();
    let category = |entity: &str, field: &str| {
        schema
            .entity(entity)
            .and_then(|e| e.field(field))
            .and_then(|f| f.category.as_ref().map(ToString::to_string))
            .unwrap_or_else(|| "json".into())
    };
    let show = |title: &str, sr: &pdpo::core::SubjectRecord| {
        println!("\n{title} {}", sr.record.reference());
        for field in &sr.fields {
            let mut value = sr.record.get(field).map(|v| v.render()).unwrap_or_default();
            if value.chars().count() > 70 {
                value = value.chars().take(67).collect::<String>() + "...";
            }
            println!("  {:<18} [{}] {value}", field.as_str(), category(&sr.record.entity, field));
        }
        for field in &sr.others_fields {
            println!("  {:<18} [about someone else: withheld under s.20(1)(b)]", field.as_str());
        }
    };
    if let Some(own) = graph.subject_record() {
        show("The subject's own record:", own);
    }
    if let Some(shared) = graph.records.iter().find(|r| !r.others_fields.is_empty()) {
        show("A record shared with another person:", shared);
    }
    Ok(())
}
