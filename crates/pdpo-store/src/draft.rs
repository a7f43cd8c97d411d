//! Drafting a `pdpo.toml` from a live database.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use pdpo_core::ColumnType;

use crate::backend::Pool;
use crate::error::{Error, Result};
use crate::introspect::{
    LiveColumn, LiveForeignKey, live_columns, live_foreign_keys, live_primary_key, live_tables,
};
use crate::sql::is_sql_identifier;

/// A PII category suggested by a column name (snake_case, camelCase or run-together), or `None`.
pub fn suggest_category(column: &str) -> Option<&'static str> {
    let c = column.to_ascii_lowercase().replace(['_', '-'], "");
    let has = |words: &[&str]| words.iter().any(|w| c.contains(w));
    Some(if has(&["email", "mail"]) {
        "email"
    } else if has(&["hkid", "idcard", "identitycard", "identityno"]) {
        "hkid"
    } else if has(&["passport"]) {
        "passport"
    } else if has(&["phone", "mobile", "tel", "fax", "whatsapp"]) {
        "phone"
    } else if has(&["birth", "dob"]) {
        "date_of_birth"
    } else if has(&["address", "street", "addr", "postcode", "district"]) {
        "address"
    } else if has(&["iban", "bankaccount", "accountno", "accountnumber"]) {
        "bank_account"
    } else if has(&["cardnumber", "cardno", "creditcard"]) {
        "card_number"
    } else if has(&["salary", "income", "wage"]) {
        "salary"
    } else if has(&["ipaddress", "ipaddr"]) || c == "ip" {
        "ip_address"
    } else if has(&["linkedin", "facebook", "twitter", "instagram", "wechat", "social"]) {
        "social_profile"
    } else if has(&["attachment", "avatar", "photo", "document", "filepath"]) {
        "attachment"
    } else if has(&["note", "body", "comment", "message", "remark", "description"]) {
        "free_text"
    } else if has(&[
        "firstname",
        "lastname",
        "fullname",
        "surname",
        "givenname",
        "chinesename",
        "englishname",
    ]) || c == "name"
    {
        "name"
    } else {
        return None;
    })
}

fn type_name(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Bool => "bool",
        ColumnType::Int => "int",
        ColumnType::Decimal => "decimal",
        ColumnType::Float => "float",
        ColumnType::Text => "text",
        ColumnType::Bytes => "bytes",
        ColumnType::Uuid => "uuid",
        ColumnType::Timestamp => "timestamp",
        ColumnType::Date => "date",
        ColumnType::Json => "json",
        ColumnType::Array => "array",
        _ => "other",
    }
}

fn list(cols: &[String]) -> String {
    match cols {
        [one] => format!("\"{one}\""),
        many => format!("[{}]", many.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ")),
    }
}

struct Table {
    name: String,
    columns: Vec<LiveColumn>,
    key: Vec<String>,
    fks: Vec<LiveForeignKey>,
}

/// Drafts a `pdpo.toml` from the live database: one entity per table (pdpo's own `_pdpo_*`
/// tables and `_sqlx_migrations` left out), primary keys, foreign keys as links toward `subject`,
/// declared column types, lifecycle columns recognised by name (`created_at`, `updatedAt`, ...),
/// and PII categories suggested from column names. Categories on tables with no link path to the
/// subject are left as comments, so the draft loads as is. Review it before use: names are only
/// hints, and array-of-keys and join links are not guessed.
///
/// Tables whose names cannot be SQL identifiers here are skipped with a comment. Fails with
/// [`Error::MissingTable`] if `subject` is not a table.
pub async fn draft_schema(pool: &Pool, subject: &str) -> Result<String> {
    let dialect = pool.dialect();
    let mut h = pool.acquire().await.map_err(Error::db("connecting"))?;
    let names = live_tables(&mut h, dialect).await.map_err(Error::db("listing tables"))?;
    let mut tables = Vec::new();
    let mut skipped = Vec::new();
    for name in names {
        if name.starts_with("_pdpo_") || name == "_sqlx_migrations" {
            continue;
        }
        if !is_sql_identifier(&name) {
            skipped.push(name.len());
            continue;
        }
        let columns = live_columns(&mut h, dialect, &name).await.map_err(Error::db("reading the catalog"))?;
        let key =
            live_primary_key(&mut h, dialect, &name).await.map_err(Error::db("reading primary keys"))?;
        let fks =
            live_foreign_keys(&mut h, dialect, &name).await.map_err(Error::db("reading foreign keys"))?;
        tables.push(Table { name, columns, key, fks });
    }
    if !tables.iter().any(|t| t.name == subject) {
        return Err(Error::MissingTable { entity: subject.to_owned(), table: subject.to_owned() });
    }
    let known: BTreeSet<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let key_of = |t: &str| tables.iter().find(|x| x.name == t).map(|x| x.key.clone()).unwrap_or_default();
    // Links: a foreign key A -> B is a `foreign_key` link on A, or a `referenced_by` link on B when
    // A is the subject (links point toward the subject).
    let mut links: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut edges: Vec<(&str, &str)> = Vec::new();
    for t in &tables {
        for fk in &t.fks {
            if !known.contains(fk.table.as_str()) || fk.table == t.name {
                continue;
            }
            let to_cols = if fk.to_columns.iter().all(|c| !c.is_empty()) {
                fk.to_columns.clone()
            } else {
                key_of(&fk.table)
            };
            if to_cols != key_of(&fk.table) {
                continue; // a reference to a non-key column cannot be a link
            }
            if t.name == subject {
                let target = tables.iter().find(|x| x.name == fk.table).map_or("", |x| x.name.as_str());
                links
                    .entry(target)
                    .or_default()
                    .push(format!("{{ to = \"{subject}\", referenced_by = {} }}", list(&fk.columns)));
                edges.push((target, t.name.as_str()));
            } else {
                links.entry(t.name.as_str()).or_default().push(format!(
                    "{{ to = \"{}\", foreign_key = {} }}",
                    fk.table,
                    list(&fk.columns)
                ));
                edges.push((t.name.as_str(), fk.table.as_str()));
            }
        }
    }
    let mut reaches: BTreeSet<&str> = BTreeSet::from([subject]);
    loop {
        let before = reaches.len();
        for (from, to) in &edges {
            if reaches.contains(to) {
                reaches.insert(from);
            }
        }
        if reaches.len() == before {
            break;
        }
    }

    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(out, "# pdpo.toml drafted from the live database: review every line before use.");
    let _ = writeln!(out, "version = 1\nsubject = \"{subject}\"\n");
    let _ = writeln!(out, "[purposes]\n# service = \"Serving the customer\"\n");
    for n in &skipped {
        let _ = writeln!(out, "# skipped a table whose name ({n} bytes) is not a plain SQL identifier\n");
    }
    for t in &tables {
        let reachable = reaches.contains(t.name.as_str());
        let _ = writeln!(out, "[entities.{}]", t.name);
        if t.key.is_empty() {
            let _ = writeln!(out, "# no primary key: declare `key` by hand");
        } else {
            let _ = writeln!(out, "key = {}", list(&t.key));
        }
        if let Some(l) = links.get(t.name.as_str()) {
            let _ = writeln!(out, "links = [{}]", l.join(", "));
        }
        if !reachable && t.name != subject {
            let _ = writeln!(out, "# no link path to `{subject}`: categories below are only suggestions");
        }
        let fk_cols: BTreeSet<&str> =
            t.fks.iter().flat_map(|f| f.columns.iter().map(String::as_str)).collect();
        let mut lifecycle = Vec::new();
        for c in &t.columns {
            let name = c.info.name.as_str();
            if !is_sql_identifier(name) || t.key.iter().any(|k| k == name) || fk_cols.contains(name) {
                continue;
            }
            let lower = name.to_ascii_lowercase().replace('_', "");
            match lower.as_str() {
                "createdat" | "createdon" | "created" => lifecycle.push(format!("created = \"{name}\"")),
                "updatedat" | "updatedon" | "modifiedat" => lifecycle.push(format!("updated = \"{name}\"")),
                "lastactivityat" | "lastseenat" | "lastcontactedat" => {
                    lifecycle.push(format!("last_activity = \"{name}\""));
                }
                _ => {}
            }
            let mut attrs = vec![format!("type = \"{}\"", type_name(c.info.ty))];
            if !c.info.nullable {
                attrs.push("nullable = false".to_owned());
            }
            let category = suggest_category(name);
            match category {
                Some(cat) if reachable => attrs.insert(0, format!("category = \"{cat}\"")),
                _ => {}
            }
            let _ = write!(out, "fields.{name} = {{ {} }}", attrs.join(", "));
            match category {
                Some(cat) if !reachable => {
                    let _ = writeln!(out, "  # suggested category: {cat}");
                }
                _ => out.push('\n'),
            }
        }
        if !lifecycle.is_empty() {
            let _ = writeln!(out, "lifecycle = {{ {} }}", lifecycle.join(", "));
        }
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::suggest_category;

    #[test]
    fn categories_from_names() {
        for (col, cat) in [
            ("email", Some("email")),
            ("workEmail", Some("email")),
            ("mobile_phone", Some("phone")),
            ("hkid_no", Some("hkid")),
            ("date_of_birth", Some("date_of_birth")),
            ("fullName", Some("name")),
            ("home_address", Some("address")),
            ("notes", Some("free_text")),
            ("total", None),
            ("status", None),
        ] {
            assert_eq!(suggest_category(col), cat, "{col}");
        }
    }
}
