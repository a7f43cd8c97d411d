//! Invariants on any input: spans inside the text and on char boundaries, no overlaps, no panics,
//! and a known identifier is found wherever it is embedded.

use proptest::prelude::*;

use pdpo_core::PiiCategory;
use pdpo_pii::Scanner;

fn scanner() -> &'static Scanner {
    static S: std::sync::OnceLock<Scanner> = std::sync::OnceLock::new();
    S.get_or_init(|| Scanner::hong_kong().unwrap())
}

fn check_spans(text: &str) -> Result<(), TestCaseError> {
    let found = scanner().scan(text);
    let mut last_end = 0;
    for f in &found {
        prop_assert!(f.start < f.end && f.end <= text.len());
        prop_assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
        prop_assert!(f.start >= last_end, "overlapping or unsorted findings");
        prop_assert!((0.0..=1.0).contains(&f.confidence));
        last_end = f.end;
    }
    Ok(())
}

/// Text built from pieces that look like identifiers, separators, Chinese and full-width forms.
fn crm_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[0-9]{1,20}",
        "[A-Z]{1,2}[0-9]{6}\\([0-9A]\\)",
        "[ ()\\-+./:@]{1,3}",
        "(電話|身份證|護照|HKID|Tel|Order|先生|陳|旺角|號|樓|室|Flat|Road|Mong Kok)",
        "[０-９（）：　]{1,6}",
        "\\PC{1,8}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn spans_are_valid_on_any_text(text in "\\PC{0,200}") {
        check_spans(&text)?;
    }

    #[test]
    fn spans_are_valid_on_crm_like_text(text in crm_like()) {
        check_spans(&text)?;
    }

    #[test]
    fn a_valid_hkid_is_found_between_chinese_words(p in "[A-Z]{1,2}", d in "[0-9]{6}", form in 0usize..4,
                                                  before in "[\\p{Han}]{0,4}", after in "[\\p{Han}]{0,4}") {
        let c = pdpo_pii::validate::hkid_check_digit(&format!("{p}{d}")).unwrap();
        let id = [format!("{p}{d}({c})"), format!("{p}{d}{c}"), format!("{p}{d} {c}"), format!("{p}{d}({c})").to_lowercase()]
            [form].clone();
        let text = format!("{before}身份證{id}{after}");
        let found = scanner().scan(&text);
        let hit = found.iter().find(|f| f.category == PiiCategory::Hkid);
        prop_assert!(hit.is_some(), "not found");
        prop_assert_eq!(hit.map(|f| f.text(&text)), Some(id.as_str()));
    }
}

#[test]
fn pathological_inputs_finish() {
    // Linear time (no timing assert: these complete quickly or the suite times out).
    let s = scanner();
    let digits = "9".repeat(2_000_000);
    assert!(s.scan(&digits).is_empty());
    let brackets = "(".repeat(500_000) + &")".repeat(500_000);
    assert!(s.scan(&brackets).is_empty());
    let groups = "9123 ".repeat(200_000);
    check_spans(&groups).unwrap();
    let mixed = "A123456(3)".repeat(100_000);
    check_spans(&mixed).unwrap();
    let han = "陳先生".repeat(100_000);
    check_spans(&han).unwrap();
    let at = "a.a.a@".repeat(100_000);
    check_spans(&at).unwrap();
}

#[test]
fn email_search_on_many_ats_finishes() {
    // The `@`-driven email search looks at each `@` once and at most 64 bytes before it: linear on
    // 10 MB of `@`, of `a@a@…` and of near-misses (no timing assert).
    let s = scanner();
    assert!(s.scan(&"@".repeat(10_000_000)).is_empty());
    assert!(s.scan(&"a@".repeat(5_000_000)).is_empty());
    let near = format!("{}@", "a.".repeat(40)).repeat(100_000);
    check_spans(&near).unwrap();
    let dotted = format!("x@{}", "b.".repeat(20)).repeat(200_000);
    check_spans(&dotted).unwrap();
    let many = "a@b.cc ".repeat(500_000);
    assert_eq!(s.scan(&many).len(), 500_000);
}

#[test]
fn finding_debug_never_shows_the_value() {
    let text = "HKID A123456(3) tel 9123 4567 chan@example.com";
    let found = scanner().scan(text);
    assert_eq!(found.len(), 3);
    let dbg = format!("{found:?}");
    for secret in ["A123456", "9123", "chan@"] {
        assert!(!dbg.contains(secret), "{dbg}");
    }
}
