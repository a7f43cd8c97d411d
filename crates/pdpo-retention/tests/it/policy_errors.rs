//! Bad policy files: every problem names the file, the line and the rule.

use std::path::Path;

use pdpo_retention::{Error, Policy, Problem};

use crate::schema;

const FILE: &str = "retention/policy.toml";

/// 1-based line of the first line containing `marker`.
fn line_of(text: &str, marker: &str) -> u32 {
    let i = text
        .lines()
        .position(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("marker {marker:?} not in text"));
    u32::try_from(i + 1).unwrap()
}

fn problems(text: &str) -> Vec<Problem> {
    match Policy::from_toml_str(text, Some(Path::new(FILE)), &schema()) {
        Ok(_) => panic!("policy should be refused"),
        Err(e @ Error::Invalid(_)) => {
            let ps = e.problems().to_vec();
            assert!(!ps.is_empty());
            // The error's own message lists every problem.
            let msg = e.to_string();
            for p in &ps {
                assert!(msg.contains(&p.to_string()), "{msg}");
            }
            ps
        }
        Err(other) => panic!("unexpected error {other}"),
    }
}

/// Asserts a single problem at `marker`'s line for `rule`, whose message contains `needle`.
fn assert_one(text: &str, marker: &str, rule: &str, needle: &str) {
    let ps = problems(text);
    assert_eq!(ps.len(), 1, "{ps:#?}");
    let p = &ps[0];
    assert_eq!(p.file.as_deref(), Some(Path::new(FILE)));
    assert_eq!(p.line, Some(line_of(text, marker)), "{p}");
    assert_eq!(p.rule.as_deref(), Some(rule), "{p}");
    assert!(p.message.contains(needle), "{p}");
    let shown = p.to_string();
    assert!(shown.starts_with(&format!("{FILE}:{}: rule `{rule}`: ", line_of(text, marker))), "{shown}");
}

fn rule(name: &str, body: &str) -> String {
    format!("[[rules]]\nname = \"{name}\"\n{body}\nbasis = \"because\"\nstatutory = false\n")
}

const OK_BODY: &str =
    "entity = \"contacts\"\nanchor = \"last_activity\"\nperiod = \"P2Y\"\naction = \"anonymise\"";

#[test]
fn unknown_entity() {
    let text = format!(
        "version = 1\n\n{}\n{}",
        rule("fine", OK_BODY),
        rule("typo", "entity = \"contcts\"\nanchor = \"created\"\nperiod = \"P1Y\"\naction = \"delete\"")
    );
    assert_one(&text, "contcts", "typo", "unknown entity `contcts` (did you mean `contacts`?)");
}

#[test]
fn unknown_predicate_column_and_wrong_literal_type() {
    let text = rule("leads", &format!("{OK_BODY}\nwhen = {{ stauts = \"lead\" }}"));
    assert_one(
        &text,
        "stauts",
        "leads",
        "unknown column `stauts` in entity `contacts` (did you mean `status`?)",
    );
    let text = rule("vips", &format!("{OK_BODY}\nwhen = {{ vip = \"yes\" }}"));
    assert_one(&text, "vip =", "vips", "compares a text value with column `vip` declared as Bool");
}

#[test]
fn unknown_anchor_and_undeclared_lifecycle() {
    let text = rule(
        "a",
        "entity = \"contacts\"\nanchor = \"last_actvity_at\"\nperiod = \"P2Y\"\naction = \"delete\"",
    );
    assert_one(&text, "last_actvity_at", "a", "did you mean `last_activity_at`?");
    let text = rule("b", "entity = \"invoices\"\nanchor = \"closed\"\nperiod = \"P2Y\"\naction = \"delete\"");
    assert_one(&text, "closed", "b", "entity `invoices` declares no `closed` lifecycle column");
    let text = rule("c", "entity = \"invoices\"\nanchor = \"total\"\nperiod = \"P2Y\"\naction = \"delete\"");
    assert_one(&text, "total", "c", "column `total` is declared as Decimal, not a timestamp or date");
}

#[test]
fn malformed_durations() {
    for (period, needle) in [
        ("P7X", "unknown unit"),
        ("7Y", "starts with `P`"),
        ("P1.5Y", "fractions"),
        ("PT24H", "time components"),
    ] {
        let text = rule(
            "bad-period",
            &format!(
                "entity = \"contacts\"\nanchor = \"created\"\nperiod = \"{period}\"\naction = \"delete\""
            ),
        );
        assert_one(&text, period, "bad-period", needle);
    }
}

#[test]
fn contradictory_rules() {
    let text =
        format!("{}\n{}", rule("first", OK_BODY), rule("second", &OK_BODY.replace("anonymise", "delete")));
    // Rule-level problems point at the rule's `[[rules]]` header.
    let ps = problems(&text);
    assert_eq!(ps.len(), 1);
    assert_eq!(ps[0].line, Some(line_of(&text, "\"second\"") - 1));
    assert_eq!(ps[0].rule.as_deref(), Some("second"));
    assert!(ps[0].message.contains("contradicts rule `first` (line 1)"), "{}", ps[0]);
    // A different priority resolves it.
    let text = format!(
        "{}\n{}",
        rule("first", OK_BODY),
        rule("second", &format!("{}\npriority = 1", OK_BODY.replace("anonymise", "delete")))
    );
    assert!(Policy::from_toml_str(&text, None, &schema()).is_ok());
}

#[test]
fn duplicate_names_missing_keys_and_unknown_actions() {
    let text = format!("{}\n{}", rule("twice", OK_BODY), rule("twice", &format!("{OK_BODY}\npriority = 3")));
    let ps = problems(&text);
    let dup = ps.iter().find(|p| p.message.contains("used twice")).expect("duplicate reported");
    let second_header = text.lines().enumerate().filter(|(_, l)| l.contains("[[rules]]")).nth(1).unwrap().0;
    assert_eq!(dup.line, Some(u32::try_from(second_header + 1).unwrap()));
    assert_eq!(dup.rule.as_deref(), Some("twice"));
    let text = "[[rules]]\nname = \"no-label\"\nentity = \"contacts\"\nanchor = \"created\"\nperiod = \"P1Y\"\naction = \"delete\"\nbasis = \"x\"\n";
    assert_one(text, "[[rules]]", "no-label", "say `statutory = true` for a legal duty");
    let text =
        rule("verb", "entity = \"contacts\"\nanchor = \"created\"\nperiod = \"P1Y\"\naction = \"anonymize\"");
    assert_one(&text, "anonymize", "verb", "unknown action `anonymize` (did you mean `anonymise`?)");
}

#[test]
fn syntax_and_type_errors_still_name_the_rule() {
    // A value of the wrong type: reported by the TOML reader, the rule found from the text.
    let text = format!(
        "{}\n{}",
        rule("fine", OK_BODY),
        rule("typed", "entity = \"contacts\"\nanchor = \"created\"\nperiod = 7\naction = \"delete\"")
    );
    assert_one(&text, "period = 7", "typed", "");
    // An unknown key.
    let text = rule("extra", &format!("{OK_BODY}\nretain = true"));
    assert_one(&text, "retain", "extra", "unknown field");
    // Broken TOML.
    let text = rule("broken", "entity = \"contacts\nanchor = \"created\"");
    let ps = problems(&text);
    assert_eq!(ps[0].rule.as_deref(), Some("broken"));
    assert!(ps[0].line.is_some());
    assert_eq!(ps[0].file.as_deref(), Some(Path::new(FILE)));
}

#[test]
fn every_problem_is_reported_at_once_in_line_order() {
    let text = format!(
        "{}\n{}",
        rule("one", "entity = \"nowhere\"\nanchor = \"created\"\nperiod = \"P1Y\"\naction = \"delete\""),
        rule("two", "entity = \"contacts\"\nanchor = \"created\"\nperiod = \"P1Q\"\naction = \"delete\"")
    );
    let ps = problems(&text);
    assert_eq!(ps.len(), 2);
    assert_eq!((ps[0].rule.as_deref(), ps[1].rule.as_deref()), (Some("one"), Some("two")));
    assert!(ps[0].line < ps[1].line);
}

#[test]
fn problems_never_echo_predicate_values() {
    // A predicate value could be anything a user typed; messages name columns only.
    let text = rule("p", &format!("{OK_BODY}\nwhen = {{ nope = \"Chan Tai Man\" }}"));
    let ps = problems(&text);
    assert!(!ps[0].to_string().contains("Chan Tai Man"));
}

#[test]
fn a_missing_file_is_a_read_error_naming_it() {
    let err = Policy::from_file("/nonexistent/retention.toml", &schema()).unwrap_err();
    assert!(matches!(err, Error::Read { .. }));
    assert_eq!(err.to_string(), "cannot read retention policy /nonexistent/retention.toml");
}
