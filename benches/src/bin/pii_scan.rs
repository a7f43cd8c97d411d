//! Scans the pii bench corpus a fixed number of times, for instruction counts that do not depend
//! on machine load: `valgrind --tool=callgrind target/release/pii_scan mixed 4`.
//!
//! Arguments: `mixed` (default), `dense` or `notes` (the mixed corpus line by line); repetitions
//! (default 1). Prints the findings count and bytes scanned.
//!
//! `pii_scan dump [labelled data dir] [random texts] [email texts]` prints every finding (span,
//! category, kind, confidence, validated) for a fixed set of texts instead: the labelled accuracy
//! sets, 256 KiB of each bench corpus, 20,000 CRM texts of the test kit's generator, 20,000 (or the
//! given number of) random mixtures of identifier, context-word and prose fragments, and 20,000 (or
//! the given number of) random texts dense in `@`, dots and address characters (fixed seeds). Two
//! scanner versions must print the same dump unless a finding changed on purpose: `diff` the outputs.
#![allow(clippy::print_stdout)]

use std::fmt::Write as _;

use pdpo_bench::pii_corpus;
use pdpo_pii::Scanner;

fn main() -> Result<(), pdpo_pii::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map_or("mixed", String::as_str);
    let scanner = Scanner::hong_kong()?;
    if mode == "dump" {
        let dir = args.get(1).map_or("crates/pdpo-pii/tests/data", String::as_str);
        let random = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(20_000);
        let emails = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(20_000);
        dump(&scanner, dir, random, emails);
        return Ok(());
    }
    let reps: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(1);
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

/// The labelled text of one line of a `tests/data` file, with its `⟦category|text⟧` markup removed.
fn unmark(marked: &str) -> String {
    let mut out = String::new();
    let mut rest = marked;
    while let Some(open) = rest.find('⟦') {
        out.push_str(&rest[..open]);
        let after = &rest[open + '⟦'.len_utf8()..];
        let close = after.find('⟧').unwrap_or(after.len());
        let inner = &after[..close];
        out.push_str(inner.split_once('|').map_or(inner, |(_, v)| v));
        rest = after.get(close + '⟧'.len_utf8()..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

fn dump(scanner: &Scanner, dir: &str, random: u64, emails: u64) {
    let mut texts: Vec<(String, String)> = Vec::new();
    for file in ["handwritten.jsonl", "generated.jsonl", "heldout.jsonl"] {
        let body = std::fs::read_to_string(format!("{dir}/{file}")).unwrap_or_default();
        for (i, line) in body.lines().filter(|l| !l.trim().is_empty()).enumerate() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
            texts.push((format!("{file}:{i}"), unmark(v["text"].as_str().unwrap_or(""))));
        }
    }
    let cut = |s: String| {
        let mut end = (256 << 10).min(s.len());
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s[..end].to_owned()
    };
    texts.push(("corpus-mixed".into(), cut(pii_corpus(1 << 20, false))));
    texts.push(("corpus-dense".into(), cut(pii_corpus(1 << 20, true))));
    let generator = pdpo_testkit::Generator::new(4000, 20_261_123);
    let mut n = 0;
    'groups: for g in generator.groups() {
        for r in &g.records {
            for (col, v) in &r.values {
                let s = match v {
                    pdpo_core::Value::Text(s) => s.clone(),
                    pdpo_core::Value::Json(j) => j.to_string(),
                    _ => continue,
                };
                texts.push((format!("testkit:{}:{}:{col}", r.entity, r.key), s));
                n += 1;
                if n == 20_000 {
                    break 'groups;
                }
            }
        }
    }
    for i in 0..random {
        texts.push((format!("random:{i}"), random_text(i)));
    }
    for i in 0..emails {
        texts.push((format!("email:{i}"), email_text(i)));
    }
    let mut out = String::new();
    for (name, text) in &texts {
        let found = scanner.scan(text);
        if found.is_empty() {
            continue;
        }
        let _ = writeln!(out, "# {name}");
        for f in found {
            let _ = writeln!(
                out,
                "{} {} {} {} {:.4} {} {:?}",
                f.start,
                f.end,
                f.category,
                f.kind,
                f.confidence,
                f.validated,
                f.text(text)
            );
        }
    }
    print!("{out}");
}

/// A xorshift generator from state `x`: each call gives a number below its argument.
fn xorshift(mut x: u64) -> impl FnMut(u64) -> u64 {
    move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    }
}

/// A random mixture of fragments that stress the scanner's edges: identifiers glued to Chinese or
/// letters, full-width forms, context words, district names, digit and letter runs.
fn random_text(seed: u64) -> String {
    let mut next = xorshift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03);
    const FRAGS: &[&str] = &[
        "HKID ",
        "A123456(3)",
        "A1234563",
        "AB123456(9)",
        "Ａ１２３４５６（３）",
        "電話",
        "電話：",
        "9123 4567",
        "91234567",
        "+852 6123 4567",
        "(852) 2123-4567",
        "00852 21234567",
        "tel ",
        "call ",
        "invoice ",
        "訂單",
        "發票號碼",
        "SKU ",
        "order ",
        "chan.tm@example.com.hk",
        "x@y.z",
        "4111 1111 1111 1111",
        "4111111111111111",
        "5500-0000-0000-0004",
        "陳大文先生",
        "陳小姐",
        "客戶：陳大文",
        "Mr Wong Siu Ming",
        "Dr. CHAN",
        "CHAN Tai Man",
        "Chan Tai-man",
        "Peter Chan",
        "DOB ",
        "15/03/1985",
        "1985-03-15",
        "1985年3月15日",
        "15 March 1985",
        "Mar 15, 1985",
        "born ",
        "joined ",
        "Flat B, 12/F, ",
        "88 Nathan Road, ",
        "Mong Kok",
        ", Kowloon",
        "Wong Tai Sin",
        "Hong Kong",
        "旺角彌敦道88號12樓B室",
        "沙田美林邨美桂樓10樓1001室",
        "身份证号 ",
        "11010519491231002X",
        "Passport ",
        "K12345678",
        "KJ1234567",
        "H12345678",
        "回鄉證 ",
        "M1234567801",
        "澳門身份證",
        "1234567(8)",
        "1/234567/8",
        "51234567",
        "192.168.1.10",
        "fe80::1:2",
        "IP ",
        "登入",
        "2001:db8::1",
        " ",
        " ",
        ", ",
        "。",
        "\n",
        "，",
        "; ",
        "ref ",
        "Order 61234567",
        "12345678901234567890",
        "0000000000",
        "１２３４",
        "：",
        "\u{3000}",
        "\u{a0}",
        "a",
        "Z",
        "_",
        "-",
        ".",
        "(",
        ")",
        "+",
        "@",
        "中",
        "號",
        "室",
        "樓",
        "座",
        "abc",
        "xyz123",
        "Customer called about the renewal. ",
        "客戶查詢續約事宜，",
        "佢話想轉plan，",
        "HK$12,345.50 ",
        "2024-03-15",
        "20240315",
        "3pm ",
        "room 1203",
        "Tower 2",
        "G/F",
        "3rd floor",
    ];
    let mut s = String::new();
    for _ in 0..(1 + next(24)) {
        s.push_str(FRAGS[next(FRAGS.len() as u64) as usize]);
        if next(5) == 0 {
            // A random digit, letter or CJK char glued on.
            let c = match next(4) {
                0 => char::from(b'0' + next(10) as u8),
                1 => char::from(b'A' + next(26) as u8),
                2 => char::from_u32(0x4E00 + next(0x5000) as u32).unwrap_or('中'),
                _ => char::from_u32(0xFF10 + next(0x40) as u32).unwrap_or('０'),
            };
            s.push(c);
        }
    }
    s
}

/// A random text dense in what email addresses are made of, and in what borders them: local-part
/// and domain characters, `@` (also full-width), dots, word characters that break a word start,
/// non-ASCII letters, runs longer than the pattern's limits (64-byte local parts, 63-byte labels,
/// six dotted labels), and identifiers and context words nearby.
fn email_text(seed: u64) -> String {
    let mut next = xorshift(seed.wrapping_mul(0xA076_1D64_78BD_642F) ^ 0xE703_7ED1_A0B4_28DB);
    const CHARS: &[&str] = &[
        "a",
        "b",
        "Z",
        "k",
        "0",
        "7",
        ".",
        ".",
        "@",
        "@",
        "-",
        "_",
        "%",
        "+",
        "'",
        "!",
        "#",
        "/",
        " ",
        " ",
        "\n",
        ",",
        ";",
        ":",
        "(",
        ")",
        "<",
        ">",
        "é",
        "中",
        "＠",
        "．",
        "ａ",
        "１",
        "\u{a0}",
        "\u{3000}",
        "com",
        "hk",
        "com.hk",
        "gov",
        "c",
        "x1",
        "-x",
        ".co",
        ".hk",
        "mail",
        "電郵",
        "email: ",
        "tel ",
        "91234567",
        "A123456(3)",
        "Mr Chan",
        "Mong Kok",
        "192.168.1.10",
        "12/F",
        "jpg",
        "png",
        ".jpg",
        "chan.tm",
        "example",
        "Peter Chan",
        "15/03/1985",
    ];
    let mut s = String::new();
    for _ in 0..(1 + next(40)) {
        match next(16) {
            // A run of one character past the pattern's limits.
            0 => {
                let c = CHARS[next(12) as usize];
                for _ in 0..(55 + next(20)) {
                    s.push_str(c);
                }
            }
            // A long label or local part of mixed word characters.
            1 => {
                for _ in 0..(50 + next(30)) {
                    s.push(char::from(b"abcXYZ0123-._"[next(13) as usize]));
                }
            }
            // Many dotted labels.
            2 => {
                for _ in 0..(1 + next(9)) {
                    s.push('.');
                    for _ in 0..(1 + next(4)) {
                        s.push(char::from(b"abhkZ9-"[next(7) as usize]));
                    }
                }
            }
            // A plausible address, perhaps glued to what comes before and after.
            3 | 4 => {
                const LOCAL: &[&str] = &["chan.tm", "a", "x_y", "peter+hk", "-a", ".a", "a..b", "a.", "%7"];
                const DOMAIN: &[&str] = &["example", "x", "mail-1", "-x", "a_b", "gov", "b"];
                const TLD: &[&str] = &["com", "hk", "c", "jpg", "png", "io1", "COM", "museum"];
                s.push_str(LOCAL[next(LOCAL.len() as u64) as usize]);
                s.push('@');
                for _ in 0..(1 + next(3)) {
                    s.push_str(DOMAIN[next(DOMAIN.len() as u64) as usize]);
                    s.push('.');
                }
                s.push_str(TLD[next(TLD.len() as u64) as usize]);
            }
            _ => s.push_str(CHARS[next(CHARS.len() as u64) as usize]),
        }
    }
    s
}
