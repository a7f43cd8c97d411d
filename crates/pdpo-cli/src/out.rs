//! Text or JSON output, and progress bars.

use std::io::Write;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// Where results go: text lines for people, or one JSON document for programs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Out {
    json: bool,
    quiet: bool,
}

impl Out {
    pub(crate) fn new(json: bool, quiet: bool) -> Self {
        Self { json, quiet }
    }

    pub(crate) fn is_json(self) -> bool {
        self.json
    }

    /// A line of narration: text mode only, not with `--quiet`.
    pub(crate) fn say(self, line: impl AsRef<str>) {
        if !self.json && !self.quiet {
            write_line(line.as_ref());
        }
    }

    /// A result line: text mode only (printed even with `--quiet`).
    pub(crate) fn result(self, line: impl AsRef<str>) {
        if !self.json {
            write_line(line.as_ref());
        }
    }

    /// The JSON result: JSON mode only.
    pub(crate) fn json<T: Serialize>(self, value: &T) {
        if self.json {
            let text =
                serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
            write_line(&text);
        }
    }

    /// A progress bar over `len` items (hidden with `--json` or `--quiet`, or off a terminal).
    pub(crate) fn progress(self, len: u64, what: &str) -> ProgressBar {
        if self.json || self.quiet {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len);
        if let Ok(style) =
            ProgressStyle::with_template("  {msg:<22} [{bar:32}] {pos}/{len} ({per_sec}, {eta})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_owned());
        bar
    }
}

fn write_line(line: &str) {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    // A closed pipe (`pdpo ... | head`) is not an error worth a message.
    let _ = writeln!(lock, "{line}");
}
