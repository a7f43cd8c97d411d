//! Bad schemas are refused with file, line and item.

use std::path::Path;

use pdpo_core::{PiiCategory, Schema, SchemaError, conformance};

fn load(text: &str) -> Result<Schema, SchemaError> {
    Schema::from_toml_str(text, Some(Path::new("pdpo.toml")))
}

/// The first problem, rendered, and its line.
fn first(text: &str) -> (String, Option<u32>) {
    let err = load(text).expect_err("schema should be refused");
    let p = &err.problems[0];
    (p.to_string(), p.line)
}

const BASE: &str = r#"
subject = "contacts"
[purposes]
billing = "Invoices"
[entities.contacts]
key = "id"
fields.email = { category = "email", purposes = ["billing"] }
[entities.invoices]
key = "id"
links = [{ to = "contacts", foreign_key = "contact_id" }]
"#;

#[test]
fn the_base_schema_and_the_fixture_load() {
    let s = load(BASE).unwrap();
    assert_eq!(s.subject().as_str(), "contacts");
    assert_eq!(s.entity("contacts").unwrap().field("email").unwrap().category, Some(PiiCategory::Email));
    let f = conformance::fixture_schema(false);
    let order: Vec<&str> = f.traversal_order().map(|e| e.name.as_str()).collect();
    assert_eq!(order[0], "people");
    // Every entity comes after the targets of its links.
    for (i, e) in f.traversal_order().enumerate() {
        for l in &e.links {
            let j = order.iter().position(|n| *n == l.to.as_str()).unwrap();
            assert!(j < i, "{} before {}", e.name, l.to);
        }
    }
}

#[test]
fn typo_in_a_field_setting_names_the_line() {
    let text = BASE.replace("category = \"email\"", "categroy = \"email\"");
    let (msg, line) = first(&text);
    assert_eq!(line, Some(7), "{msg}");
    assert!(msg.starts_with("pdpo.toml:7:"), "{msg}");
    assert!(msg.contains("categroy"), "{msg}");
}

#[test]
fn unknown_category_names_the_line_and_the_choices() {
    let text = BASE.replace("category = \"email\"", "category = \"emial\"");
    let (msg, line) = first(&text);
    assert_eq!(line, Some(7), "{msg}");
    assert!(msg.contains("emial") && msg.contains("date_of_birth"), "{msg}");
}

#[test]
fn dangling_link_suggests_the_entity() {
    let text = BASE.replace("to = \"contacts\"", "to = \"contact\"");
    let (msg, line) = first(&text);
    assert_eq!(line, Some(10), "{msg}");
    assert!(msg.contains("entities.invoices.links.contact_id"), "{msg}");
    assert!(msg.contains("did you mean `contacts`"), "{msg}");
}

#[test]
fn unknown_subject_is_refused() {
    let text = BASE.replace("subject = \"contacts\"", "subject = \"people\"");
    let (msg, _) = first(&text);
    assert!(msg.contains("subject entity `people` is not declared"), "{msg}");
}

#[test]
fn cycles_are_refused() {
    let text = format!(
        "{BASE}\n[entities.a]\nkey = \"id\"\nlinks = [{{ to = \"b\", foreign_key = \"b_id\" }}, {{ to = \"contacts\", foreign_key = \"c\" }}]\n[entities.b]\nkey = \"id\"\nlinks = [{{ to = \"a\", foreign_key = \"a_id\" }}]\n"
    );
    let (msg, line) = first(&text);
    assert!(msg.contains("cycle") && msg.contains("a → b → a"), "{msg}");
    assert!(line.is_some(), "{msg}");
}

#[test]
fn personal_data_on_a_key_is_refused() {
    let text = BASE.replace("links = [{ to = \"contacts\", foreign_key = \"contact_id\" }]", "links = [{ to = \"contacts\", foreign_key = \"contact_id\" }]\nfields.contact_id = { category = \"name\" }");
    let (msg, line) = first(&text);
    assert!(msg.contains("key column cannot be tagged"), "{msg}");
    assert_eq!(line, Some(11), "{msg}");
    let text = BASE.replace("fields.email", "fields.id");
    let (msg, _) = first(&text);
    assert!(msg.contains("entities.contacts.fields.id"), "{msg}");
}

#[test]
fn personal_data_without_a_path_to_the_subject_is_refused() {
    let text = format!("{BASE}\n[entities.leads]\nkey = \"id\"\nfields.phone = {{ category = \"phone\" }}\n");
    let (msg, line) = first(&text);
    assert!(msg.contains("entities.leads") && msg.contains("no chain of links"), "{msg}");
    assert_eq!(line, Some(12), "{msg}");
    // Without personal data, an unlinked lookup table is fine.
    let ok = format!("{BASE}\n[entities.countries]\nkey = \"code\"\nfields.name = {{ type = \"text\" }}\n");
    assert!(load(&ok).is_ok());
}

#[test]
fn about_and_purposes_must_name_declared_things() {
    let text = BASE.replace("purposes = [\"billing\"]", "purposes = [\"biling\"], about = \"x\"");
    let err = load(&text).unwrap_err();
    let all = err.to_string();
    assert_eq!(err.problems.len(), 2, "{all}");
    assert!(
        all.contains("purpose `biling` is not declared") && all.contains("did you mean `billing`"),
        "{all}"
    );
    assert!(all.contains("`about = \"x\"` names no link"), "{all}");
}

#[test]
fn key_arity_mismatch_is_refused() {
    let text = BASE.replace("foreign_key = \"contact_id\"", "foreign_key = [\"a\", \"b\"]");
    let (msg, _) = first(&text);
    assert!(msg.contains("foreign_key has 2 column(s) but the key it matches has 1"), "{msg}");
}

#[test]
fn a_link_needs_exactly_one_kind() {
    let text = BASE.replace("foreign_key = \"contact_id\"", "foreign_key = \"contact_id\", array = \"ids\"");
    let (msg, line) = first(&text);
    assert!(msg.contains("exactly one of"), "{msg}");
    assert_eq!(line, Some(10));
}

#[test]
fn bad_identifiers_and_json_paths_are_refused_without_echoing_values() {
    let text = BASE.replace("fields.email = {", "fields.\"e mail\" = {");
    let (msg, _) = first(&text);
    assert!(msg.contains("not a valid identifier"), "{msg}");
    let text = BASE.replace(
        "purposes = [\"billing\"] }",
        "purposes = [\"billing\"], json = { \"emails[*]\" = \"email\" } }",
    );
    let (msg, _) = first(&text);
    assert!(msg.contains("json tag `emails[*]`") && msg.contains("starts with `$`"), "{msg}");
}

#[test]
fn toml_syntax_errors_name_the_line() {
    let text = BASE.replace("key = \"id\"\nfields", "key = \"id\nfields");
    let err = load(&text).unwrap_err();
    assert!(err.problems[0].line.is_some(), "{err}");
    assert!(err.to_string().starts_with("invalid schema: pdpo.toml:"), "{err}");
}

#[test]
fn unsupported_version_is_refused() {
    let (msg, line) = first(&format!("version = 2\n{BASE}"));
    assert!(msg.contains("version 2 is not supported"), "{msg}");
    assert_eq!(line, Some(1));
}

#[test]
fn from_file_names_the_file_when_missing() {
    let err = Schema::from_file("/nonexistent/pdpo.toml").unwrap_err();
    assert!(err.to_string().contains("/nonexistent/pdpo.toml"), "{err}");
}

#[test]
fn direct_subject_reads_single_foreign_keys_only() {
    use pdpo_core::{Identifier, Key, Record};
    let s = conformance::fixture_schema(false);
    let r = |e: &'static str, k: i64| Record::new(Identifier::from_static(e), Key::from(k));
    assert_eq!(s.direct_subject(&r("people", 4)), Some(Key::from(4)));
    assert_eq!(s.direct_subject(&r("orders", 10).with("person_id", 2)), Some(Key::from(2)));
    assert_eq!(s.direct_subject(&r("orders", 10)), None, "no value");
    // Notes have two links to people (author, mentioned): ambiguous.
    assert_eq!(s.direct_subject(&r("notes", 1).with("author_id", 1).with("mentioned_id", 3)), None);
    // Order lines reach people over two hops.
    assert_eq!(s.direct_subject(&r("order_lines", 1).with("order_id", 10)), None);
}
