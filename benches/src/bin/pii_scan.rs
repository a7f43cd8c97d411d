//! Scans the pii bench corpus a fixed number of times, for instruction counts that do not depend
//! on machine load: `valgrind --tool=callgrind target/release/pii_scan mixed 4`.
//!
//! Arguments: `mixed` (default), `dense` or `notes` (the mixed corpus line by line); repetitions
//! (default 1). Prints the findings count and bytes scanned.
#![allow(clippy::print_stdout)]

use pdpo_bench::pii_corpus;
use pdpo_pii::Scanner;

fn main() -> Result<(), pdpo_pii::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map_or("mixed", String::as_str);
    let reps: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(1);
    let scanner = Scanner::hong_kong()?;
    let texts: Vec<String> = match mode {
        "dense" => vec![pii_corpus(1 << 20, true)],
        "notes" => pii_corpus(1 << 20, false).lines().map(str::to_owned).collect(),
        _ => vec![pii_corpus(1 << 20, false)],
    };
    let (mut found, mut bytes) = (0, 0);
    for _ in 0..reps {
        for t in &texts {
            found += scanner.scan(t).len();
            bytes += t.len();
        }
    }
    println!("{mode}: {found} findings in {bytes} bytes");
    Ok(())
}
