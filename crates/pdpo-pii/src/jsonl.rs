//! The stable line format of `pdpo scan --format jsonl`.
//!
//! Input: one JSON object per line, `{"id": <string or number>, "text": <string>}` (other members
//! are ignored; blank lines are skipped). Output: one line per input line,
//! `{"id": <as given>, "spans": [{"start", "end", "category", "confidence", "validated"}]}`, where
//! `start` and `end` are UTF-8 byte offsets into `text`, `category` is the snake-case
//! [`PiiCategory`](pdpo_core::PiiCategory) name and `confidence` has two decimals. The output never
//! contains the text. Errors name the line number and never echo its content.
//!
//! ```
//! let scanner = pdpo_pii::Scanner::hong_kong()?;
//! let input = "{\"id\":\"n1\",\"text\":\"電話91234567\"}\n";
//! let mut out = Vec::new();
//! let summary = pdpo_pii::jsonl::scan_lines(&scanner, input.as_bytes(), &mut out)?;
//! assert_eq!(summary.lines, 1);
//! assert_eq!(
//!     String::from_utf8(out).unwrap(),
//!     "{\"id\":\"n1\",\"spans\":[{\"start\":6,\"end\":14,\"category\":\"phone\",\"confidence\":0.97,\"validated\":false}]}\n"
//! );
//! # Ok::<(), pdpo_pii::Error>(())
//! ```

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use crate::{Error, Finding, Result, Scanner};

/// What a run of [`scan_lines`] processed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Summary {
    /// Input lines scanned (blank lines not counted).
    pub lines: u64,
    /// Spans written.
    pub spans: u64,
}

#[derive(Deserialize)]
struct In {
    id: serde_json::Value,
    text: String,
}

#[derive(Serialize)]
struct Out<'a> {
    id: &'a serde_json::Value,
    spans: Vec<Span<'a>>,
}

#[derive(Serialize)]
struct Span<'a> {
    start: usize,
    end: usize,
    category: &'a pdpo_core::PiiCategory,
    confidence: f64,
    validated: bool,
}

impl<'a> From<&'a Finding> for Span<'a> {
    fn from(f: &'a Finding) -> Self {
        Span {
            start: f.start,
            end: f.end,
            category: &f.category,
            confidence: (f64::from(f.confidence) * 100.0).round() / 100.0,
            validated: f.validated,
        }
    }
}

/// Describes a JSON error by class and column only (serde_json's messages can quote the input).
fn describe(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof => format!("not valid JSON (column {})", e.column()),
        Category::Data => "expected an object with `id` (string or number) and `text` (string)".to_owned(),
        Category::Io => "i/o error while parsing".to_owned(),
    }
}

/// Scans every line of `input` and writes one output line per input line to `output`.
///
/// Stops at the first bad line with [`Error::Line`] (line number and what is wrong, never the
/// line's content) or [`Error::Io`]. Memory use is bounded by the longest line.
pub fn scan_lines<R: BufRead, W: Write>(scanner: &Scanner, mut input: R, mut output: W) -> Result<Summary> {
    let mut summary = Summary::default();
    let mut buf = Vec::new();
    let mut line: u64 = 0;
    let mut out = Vec::new();
    loop {
        buf.clear();
        line += 1;
        let n = input.read_until(b'\n', &mut buf).map_err(|source| Error::Io { line, source })?;
        if n == 0 {
            break;
        }
        let text = std::str::from_utf8(&buf).map_err(|e| Error::Line {
            line,
            problem: format!("not valid UTF-8 (byte {})", e.valid_up_to()),
        })?;
        if text.trim().is_empty() {
            continue;
        }
        let record: In =
            serde_json::from_str(text).map_err(|e| Error::Line { line, problem: describe(&e) })?;
        if !(record.id.is_string() || record.id.is_number()) {
            return Err(Error::Line { line, problem: "`id` must be a string or a number".to_owned() });
        }
        let found = scanner.scan(&record.text);
        let spans: Vec<Span<'_>> = found.iter().map(Span::from).collect();
        summary.lines += 1;
        summary.spans += spans.len() as u64;
        out.clear();
        serde_json::to_writer(&mut out, &Out { id: &record.id, spans }).map_err(|e| Error::Line {
            line,
            problem: format!("could not encode the output: {}", describe(&e)),
        })?;
        out.push(b'\n');
        output.write_all(&out).map_err(|source| Error::Io { line, source })?;
    }
    output.flush().map_err(|source| Error::Io { line, source })?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &str) -> Result<(Summary, String)> {
        let scanner = Scanner::hong_kong()?;
        let mut out = Vec::new();
        let s = scan_lines(&scanner, input.as_bytes(), &mut out)?;
        Ok((s, String::from_utf8(out).unwrap()))
    }

    #[test]
    fn one_output_line_per_input_line() {
        let input = "{\"id\":1,\"text\":\"HKID A123456(3)\"}\n\n{\"id\":\"b\",\"text\":\"nothing here\",\"extra\":true}";
        let (s, out) = run(input).unwrap();
        assert_eq!(s, Summary { lines: 2, spans: 1 });
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            r#"{"id":1,"spans":[{"start":5,"end":15,"category":"hkid","confidence":0.99,"validated":true}]}"#
        );
        assert_eq!(lines[1], r#"{"id":"b","spans":[]}"#);
    }

    #[test]
    fn errors_name_the_line_and_never_echo_it() {
        for (input, line) in [
            ("{\"id\":1,\"text\":\"ok\"}\n{\"id\":2,\"text\":\"A123456(3)\"", 2),
            ("{\"id\":1,\"txt\":\"A123456(3)\"}", 1),
            ("\n\n{\"id\":[1],\"text\":\"A123456(3)\"}", 3),
            ("{\"id\":1,\"text\":12345678}", 1),
        ] {
            let err = run(input).unwrap_err();
            let msg = err.to_string();
            assert!(msg.starts_with(&format!("line {line}:")), "{msg}");
            assert!(!msg.contains("A123456") && !msg.contains("12345678"), "{msg}");
        }
        let bad_utf8: &[u8] = b"{\"id\":1,\"text\":\"\xff\"}";
        let err = scan_lines(&Scanner::hong_kong().unwrap(), bad_utf8, Vec::new()).unwrap_err();
        assert!(err.to_string().starts_with("line 1: not valid UTF-8"));
    }
}
