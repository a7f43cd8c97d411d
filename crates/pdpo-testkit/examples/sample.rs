//! Prints one contact's generated group: its records (values shown, they are synthetic), blobs and
//! the ground truth of its free text.
//!
//! ```text
//! cargo run -p pdpo-testkit --example sample -- 42 [contacts] [seed]
//! ```
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use pdpo_testkit::{DEFAULT_SEED, Generator};

fn main() {
    let mut args = std::env::args().skip(1);
    let id: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(42);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(DEFAULT_SEED);
    let generator = Generator::new(n, seed);
    let Some(group) = generator.group(id) else {
        println!("no contact {id} among {n}");
        return;
    };
    println!(
        "contact {id}: {:?}, duplicate of {:?}, {} records",
        group.activity,
        group.duplicate_of,
        group.len()
    );
    for r in group.records.iter().take(40) {
        println!("\n{}", r.reference());
        for (col, v) in &r.values {
            println!("  {col:<18} {}", v.render());
        }
    }
    if group.len() > 40 {
        println!("\n... {} more records", group.len() - 40);
    }
    println!("\nblobs:");
    for b in &group.blobs {
        println!("  {} {} ({} bytes) shows {:?}", b.id, b.content_type, b.bytes.len(), b.categories);
    }
    println!("\nground truth (first 15 texts):");
    let by_ref: std::collections::HashMap<_, _> = group.records.iter().map(|r| (r.reference(), r)).collect();
    for t in group.texts.iter().take(15) {
        let text = by_ref[&t.record].get(t.column).map(|v| v.render()).unwrap_or_default();
        println!("  {}.{}: {text}", t.record, t.column);
        for s in &t.spans {
            println!(
                "    {:<14} {:?} (contact {})",
                s.category.to_string(),
                &text[s.range.clone()],
                s.contact
            );
        }
    }
}
