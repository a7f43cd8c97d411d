//! Safe file names for attachments inside an archive.
//!
//! An attachment's stored name is user input (a customer uploads `../../etc/passwd`, a staff member
//! pastes a name with a right-to-left override). [`sanitise_file_name`] turns any name into one
//! path component that every common unzip tool extracts inside its target folder, and [`NameSet`]
//! makes names unique (case-insensitively, as Windows and macOS file systems compare them).

use std::collections::HashSet;

/// Default bound on a sanitised name, in UTF-8 bytes (well under the 255-byte limit of common file
/// systems, leaving room for the folder and a ` (n)` suffix).
pub const MAX_NAME_BYTES: usize = 120;

/// Longest extension kept when a name is shortened, in bytes.
const MAX_EXT_BYTES: usize = 16;

/// Turns any name into a safe single path component of at most `max_bytes` UTF-8 bytes
/// (at least 16 are always allowed).
///
/// - Only the last component is kept: `/`, `\` and a drive prefix cannot climb out or go absolute,
///   and `.` / `..` never survive.
/// - Control characters (C0, C1), invisible format characters (bidi overrides, zero-width marks,
///   BOM) and private-use characters are removed; `<>:"|?*` become `_`.
/// - Leading dots and spaces and trailing dots and spaces are trimmed; Windows device names
///   (`CON`, `NUL`, `COM1`, ...) get a `_` prefix.
/// - An empty result becomes `attachment`.
/// - A long name is cut at a character boundary, keeping a short extension.
///
/// ```
/// use pdpo_export::sanitise_file_name;
/// assert_eq!(sanitise_file_name("../../etc/passwd", 120), "passwd");
/// assert_eq!(sanitise_file_name("C:\\Windows\\win.ini", 120), "win.ini");
/// assert_eq!(sanitise_file_name("..", 120), "attachment");
/// assert_eq!(sanitise_file_name("invoice\u{202E}fdp.exe", 120), "invoicefdp.exe");
/// assert!(sanitise_file_name(&"a".repeat(1000), 120).len() <= 120);
/// ```
pub fn sanitise_file_name(name: &str, max_bytes: usize) -> String {
    let max_bytes = max_bytes.max(16);
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    // A drive prefix (`C:`) or an alternate data stream (`a.txt:secret`) is not a name.
    let last = last.rsplit(':').next().unwrap_or("");
    let mut out = String::with_capacity(last.len().min(max_bytes * 2));
    for c in last.chars() {
        if is_invisible(c) {
            continue;
        }
        if matches!(c, '<' | '>' | '"' | '|' | '?' | '*') {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    let trimmed = out.trim_start_matches(['.', ' ']).trim_end_matches(['.', ' ']);
    let mut name = if trimmed.is_empty() { "attachment".to_owned() } else { trimmed.to_owned() };
    if is_device_name(&name) {
        name.insert(0, '_');
    }
    shorten(&name, max_bytes)
}

/// Cuts `name` to `max_bytes`, keeping its extension when the extension is short.
fn shorten(name: &str, max_bytes: usize) -> String {
    if name.len() <= max_bytes {
        return name.to_owned();
    }
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 && name.len() - i <= MAX_EXT_BYTES => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    let room = max_bytes.saturating_sub(ext.len());
    let mut cut = room.min(stem.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    let stem = stem[..cut].trim_end_matches(['.', ' ']);
    let stem = if stem.is_empty() { "attachment" } else { stem };
    format!("{stem}{ext}")
}

fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{061C}' | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E000}'..='\u{F8FF}'
            | '\u{F0000}'..='\u{10FFFF}'
            | '\u{E0000}'..='\u{E007F}')
}

fn is_device_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or("").trim_end().to_ascii_uppercase();
    matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit())
}

/// Unique names within one folder: a repeated name (compared case-insensitively) gets ` (2)`,
/// ` (3)`, ... before its extension, still within the length bound.
#[derive(Debug, Default, Clone)]
pub struct NameSet {
    used: HashSet<String>,
    max_bytes: usize,
}

impl NameSet {
    /// An empty set whose names stay within `max_bytes`.
    pub fn new(max_bytes: usize) -> Self {
        Self { used: HashSet::new(), max_bytes: max_bytes.max(16) }
    }

    /// A safe, unused name for `original` (sanitised with [`sanitise_file_name`]), now marked used.
    pub fn claim(&mut self, original: &str) -> String {
        let base = sanitise_file_name(original, self.max_bytes);
        if self.used.insert(base.to_lowercase()) {
            return base;
        }
        let (stem, ext) = match base.rfind('.') {
            Some(i) if i > 0 && base.len() - i <= MAX_EXT_BYTES => (&base[..i], &base[i..]),
            _ => (base.as_str(), ""),
        };
        for n in 2u64.. {
            let suffix = format!(" ({n}){ext}");
            let room = self.max_bytes.saturating_sub(suffix.len());
            let mut cut = room.min(stem.len());
            while !stem.is_char_boundary(cut) {
                cut -= 1;
            }
            let candidate = format!("{}{suffix}", &stem[..cut]);
            if self.used.insert(candidate.to_lowercase()) {
                return candidate;
            }
        }
        // Invariant: the loop above runs over every u64 and the set cannot hold that many names.
        unreachable!("more than u64::MAX names")
    }

    /// How many names were claimed.
    pub fn len(&self) -> usize {
        self.used.len()
    }

    /// Whether no name was claimed.
    pub fn is_empty(&self) -> bool {
        self.used.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_become_one_safe_component() {
        let cases = [
            ("../../etc/passwd", "passwd"),
            ("/etc/shadow", "shadow"),
            ("\\\\server\\share\\x.doc", "x.doc"),
            ("C:\\boot.ini", "boot.ini"),
            ("C:", "attachment"),
            ("...", "attachment"),
            ("  . hidden . ", "hidden"),
            ("a\u{0}b\nc\rd\te", "abcde"),
            ("evil\u{202E}gpj.exe", "evilgpj.exe"),
            ("zero\u{200B}width", "zerowidth"),
            ("what?<>|*\".txt", "what______.txt"),
            ("CON", "_CON"),
            ("com1.txt", "_com1.txt"),
            ("身份證 掃描.png", "身份證 掃描.png"),
            ("", "attachment"),
        ];
        for (input, want) in cases {
            assert_eq!(sanitise_file_name(input, MAX_NAME_BYTES), want, "{input:?}");
        }
    }

    #[test]
    fn long_names_keep_extension_and_char_boundaries() {
        let long = format!("{}.pdf", "證".repeat(400));
        let s = sanitise_file_name(&long, 100);
        assert!(s.len() <= 100, "{}", s.len());
        assert!(s.ends_with(".pdf"));
        let plain = sanitise_file_name(&"x".repeat(1000), 50);
        assert_eq!(plain.len(), 50);
    }

    #[test]
    fn duplicates_are_numbered_case_insensitively() {
        let mut set = NameSet::new(40);
        assert_eq!(set.claim("scan.png"), "scan.png");
        assert_eq!(set.claim("SCAN.png"), "SCAN (2).png");
        assert_eq!(set.claim("a/scan.png"), "scan (3).png");
        let long = "y".repeat(200);
        let a = set.claim(&long);
        let b = set.claim(&long);
        assert_ne!(a.to_lowercase(), b.to_lowercase());
        assert!(a.len() <= 40 && b.len() <= 40);
        assert_eq!(set.len(), 5);
    }
}
