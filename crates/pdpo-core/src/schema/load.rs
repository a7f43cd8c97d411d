//! Loading `pdpo.toml`.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::validate::{Source, validate};
use super::{
    Entity, EraseMode, Field, FieldOperator, JsonTag, KeyScope, Lifecycle, Link, LinkKind, Problem, Schema,
    SchemaError,
};
use crate::{ColumnType, Identifier, PiiCategory, Purpose};

/// The schema format version this crate reads.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchema {
    version: Option<Spanned<u32>>,
    subject: Spanned<String>,
    tenant_column: Option<Spanned<String>>,
    #[serde(default)]
    purposes: BTreeMap<Spanned<String>, String>,
    #[serde(default)]
    entities: BTreeMap<Spanned<String>, RawEntity>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s],
            Self::Many(v) => v,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLifecycle {
    created: Option<String>,
    updated: Option<String>,
    last_activity: Option<String>,
    closed: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntity {
    table: Option<String>,
    key: Option<OneOrMany>,
    #[serde(default)]
    erase: EraseMode,
    #[serde(default)]
    lifecycle: RawLifecycle,
    #[serde(default)]
    links: Vec<Spanned<RawLink>>,
    #[serde(default)]
    fields: BTreeMap<Spanned<String>, RawField>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJoin {
    through: String,
    columns: OneOrMany,
    to_columns: OneOrMany,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLink {
    name: Option<String>,
    to: String,
    foreign_key: Option<OneOrMany>,
    referenced_by: Option<OneOrMany>,
    join: Option<RawJoin>,
    array: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    category: Option<PiiCategory>,
    #[serde(default)]
    purposes: Vec<String>,
    about: Option<String>,
    operator: Option<FieldOperator>,
    #[serde(default)]
    encrypt: bool,
    key_scope: Option<KeyScope>,
    #[serde(default)]
    json: BTreeMap<String, PiiCategory>,
    #[serde(rename = "type")]
    column_type: Option<ColumnType>,
    nullable: Option<bool>,
    max_len: Option<u32>,
}

/// Converts raw names into identifiers, recording a problem for each invalid one.
struct Conv<'a> {
    src: &'a Source<'a>,
    problems: Vec<Problem>,
}

impl Conv<'_> {
    fn id(&mut self, s: &str, span: Option<&Range<usize>>, item: &str, what: &str) -> Option<Identifier> {
        match Identifier::new(s) {
            Ok(id) => Some(id),
            Err(e) => {
                self.problems.push(self.src.problem(span, item, format!("{what} is {e}")));
                None
            }
        }
    }

    fn ids(&mut self, v: &[String], span: Option<&Range<usize>>, item: &str, what: &str) -> Vec<Identifier> {
        v.iter().filter_map(|s| self.id(s, span, item, what)).collect()
    }
}

pub(super) fn from_toml_str(text: &str, file: Option<&Path>) -> Result<Schema, SchemaError> {
    let src = Source { file, text: Some(text) };
    let raw: RawSchema = toml::from_str(text).map_err(|e| SchemaError {
        problems: vec![src.problem(e.span().as_ref(), "", e.message().trim().to_owned())],
    })?;
    let mut c = Conv { src: &src, problems: Vec::new() };

    if let Some(v) = &raw.version
        && *v.get_ref() != SCHEMA_VERSION
    {
        c.problems.push(src.problem(
            Some(&v.span()),
            "version",
            format!(
                "schema version {} is not supported (this pdpo reads version {SCHEMA_VERSION})",
                v.get_ref()
            ),
        ));
    }
    let subject =
        c.id(raw.subject.get_ref(), Some(&raw.subject.span()), "subject", "the subject entity name");
    let tenant_column = raw
        .tenant_column
        .as_ref()
        .and_then(|t| c.id(t.get_ref(), Some(&t.span()), "tenant_column", "the tenant column"));
    let mut purposes = BTreeMap::new();
    for (name, desc) in raw.purposes {
        if let Some(id) = c.id(
            name.get_ref(),
            Some(&name.span()),
            &format!("purposes.{}", name.get_ref()),
            "a purpose name",
        ) {
            purposes.insert(id, desc);
        }
    }

    let mut raw_entities: Vec<_> = raw.entities.into_iter().collect();
    raw_entities.sort_by_key(|(k, _)| k.span().start);
    let mut entities = Vec::new();
    for (name, re) in raw_entities {
        let span = name.span();
        let item = format!("entities.{}", name.get_ref());
        let Some(ename) = c.id(name.get_ref(), Some(&span), &item, "the entity name") else { continue };
        let table = match re.table {
            Some(t) => c.id(&t, Some(&span), &item, "the table name").unwrap_or_else(|| ename.clone()),
            None => ename.clone(),
        };
        let key = re.key.map(OneOrMany::into_vec).unwrap_or_default();
        let key = c.ids(&key, Some(&span), &item, "a key column");
        let lc = re.lifecycle;
        let col = |v: Option<String>, c: &mut Conv<'_>| {
            v.and_then(|s| c.id(&s, Some(&span), &item, "a lifecycle column"))
        };
        let lifecycle = Lifecycle {
            created: col(lc.created, &mut c),
            updated: col(lc.updated, &mut c),
            last_activity: col(lc.last_activity, &mut c),
            closed: col(lc.closed, &mut c),
        };
        let mut entity =
            Entity::new(ename.clone(), key).with_table(table).with_lifecycle(lifecycle).with_erase(re.erase);
        entity.span = Some(span.clone());

        for rl in re.links {
            let lspan = rl.span();
            let rl = rl.into_inner();
            let litem = format!("{item}.links");
            if let Some(link) = convert_link(rl, &lspan, &litem, &mut c) {
                entity.links.push(link);
                entity.link_spans.push(Some(lspan));
            }
        }

        let mut fields: Vec<_> = re.fields.into_iter().collect();
        fields.sort_by_key(|(k, _)| k.span().start);
        for (fname, rf) in fields {
            let fspan = fname.span();
            let fitem = format!("{item}.fields.{}", fname.get_ref());
            let Some(name) = c.id(fname.get_ref(), Some(&fspan), &fitem, "the field name") else { continue };
            let mut f = Field::new(name);
            f.span = Some(fspan.clone());
            f.category = rf.category;
            f.purposes = rf
                .purposes
                .iter()
                .filter_map(|p| c.id(p, Some(&fspan), &fitem, "a purpose"))
                .map(Purpose)
                .collect();
            f.about = rf.about.and_then(|a| c.id(&a, Some(&fspan), &fitem, "`about`"));
            f.operator = rf.operator;
            f.encrypt = rf.encrypt;
            f.key_scope = rf.key_scope.unwrap_or_default();
            f.column_type = rf.column_type;
            f.nullable = rf.nullable.unwrap_or(true);
            f.max_len = rf.max_len;
            for (path, category) in rf.json {
                match path.parse() {
                    Ok(path) => f.json.push(JsonTag { path, category }),
                    Err(e) => {
                        c.problems.push(src.problem(Some(&fspan), &fitem, format!("json tag `{path}`: {e}")));
                    }
                }
            }
            entity.fields.push(f);
        }
        entities.push(entity);
    }

    let Some(subject) = subject else {
        return Err(SchemaError { problems: c.problems });
    };
    let problems = c.problems;
    validate(subject, tenant_column, purposes, entities, &src, problems)
}

fn convert_link(rl: RawLink, span: &Range<usize>, item: &str, c: &mut Conv<'_>) -> Option<Link> {
    let to = c.id(&rl.to, Some(span), item, "the link target")?;
    let given = [rl.foreign_key.is_some(), rl.referenced_by.is_some(), rl.join.is_some(), rl.array.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if given != 1 {
        c.problems.push(c.src.problem(
            Some(span),
            format!("{item}.{to}"),
            "a link needs exactly one of `foreign_key`, `referenced_by`, `join` or `array`",
        ));
        return None;
    }
    let kind = if let Some(fk) = rl.foreign_key {
        LinkKind::ForeignKey { columns: c.ids(&fk.into_vec(), Some(span), item, "a foreign key column") }
    } else if let Some(rb) = rl.referenced_by {
        LinkKind::ReferencedBy { columns: c.ids(&rb.into_vec(), Some(span), item, "a referencing column") }
    } else if let Some(j) = rl.join {
        LinkKind::Join {
            through: c.id(&j.through, Some(span), item, "the join entity")?,
            columns: c.ids(&j.columns.into_vec(), Some(span), item, "a join column"),
            to_columns: c.ids(&j.to_columns.into_vec(), Some(span), item, "a join column"),
        }
    } else {
        let col = rl.array.unwrap_or_default();
        LinkKind::Array { column: c.id(&col, Some(span), item, "the array column")? }
    };
    let mut link = Link::new(to, kind);
    if let Some(name) = rl.name {
        link.name = c.id(&name, Some(span), item, "the link name")?;
    }
    Some(link)
}
