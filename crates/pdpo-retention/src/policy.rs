//! Retention policies: loading a TOML file, validating it against a [`Schema`], and the
//! per-entity index evaluation and the guard use.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use pdpo_core::{ColumnType, Entity, Identifier, Key, LinkKind, Record, Schema, Value};
use serde::Deserialize;
use toml::Spanned;

use crate::error::{Problem, Problems};
use crate::period::hk_date;
use crate::rule::{Action, Literal, Predicate, Rule};
use crate::{Error, Period, Result};

/// The policy format version this crate reads.
pub const POLICY_VERSION: u32 = 1;

/// The default policy for the testkit CRM (`policies/testkit.toml`): invoices kept 7 years (IRO
/// s.51C, statutory), leads anonymised after 2 years without activity (choice), marketing consent
/// refreshed after 12 months (choice), refusal log-book entries kept 4 years (PDPO s.27,
/// statutory). Adjust the entity and column names to your schema.
pub const TESTKIT_POLICY: &str = include_str!("../policies/testkit.toml");

/// How a record of an entity names its data subject, for holds by subject.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SubjectOf {
    /// The record is the subject record.
    Own,
    /// One foreign key to the subject entity.
    Columns(Vec<String>),
    /// Not derivable from the record alone (several or indirect links).
    Unknown,
}

/// A validated retention policy, bound to the schema it was checked against.
///
/// Load one with [`Policy::from_toml_str`] / [`Policy::from_file`], or build it in code with
/// [`Policy::from_rules`]; both run the same validation, which refuses (with every problem at
/// once, each naming file, line and rule): unknown entities (unless the rule is `optional`),
/// unknown anchor, predicate or field columns, an anchor declared with a non-date type, a literal
/// of the wrong type, malformed periods, unknown actions, a missing basis or `statutory` label,
/// duplicate names, and **contradictory rules**: two non-keep rules with the same entity,
/// predicates and priority (only the tie-break would choose between them; keep rules never
/// contradict, the longest applies). Cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct Policy {
    rules: Vec<Rule>,
    by_entity: HashMap<Identifier, Vec<usize>>,
    subjects: HashMap<Identifier, SubjectOf>,
    entities: Vec<Identifier>,
    source: Option<PathBuf>,
    fingerprint: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    version: Option<Spanned<u32>>,
    #[serde(default)]
    rules: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawWhen {
    One(Literal),
    Many(Vec<Literal>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Option<Spanned<String>>,
    entity: Option<Spanned<String>>,
    #[serde(default)]
    when: BTreeMap<Spanned<String>, Spanned<RawWhen>>,
    anchor: Option<Spanned<String>>,
    period: Option<Spanned<String>>,
    action: Option<Spanned<String>>,
    basis: Option<Spanned<String>>,
    statutory: Option<Spanned<bool>>,
    priority: Option<Spanned<i64>>,
    fields: Option<Spanned<Vec<String>>>,
    optional: Option<bool>,
}

/// Turns byte offsets into lines and builds problems.
struct Src<'a> {
    file: Option<&'a Path>,
    text: Option<&'a str>,
}

impl Src<'_> {
    fn line(&self, offset: usize) -> Option<u32> {
        let text = self.text?;
        let end = offset.min(text.len());
        let n = text.as_bytes().get(..end).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
        Some(u32::try_from(n + 1).unwrap_or(u32::MAX))
    }

    fn problem(
        &self,
        line: Option<u32>,
        rule: Option<&str>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            file: self.file.map(Path::to_owned),
            line,
            rule: rule.map(str::to_owned),
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    /// The rule around `offset`, from the text alone (used for syntax and type errors, where no
    /// parsed rule exists): the `name` of the enclosing `[[rules]]` table, or its position `#n`.
    fn rule_at(&self, offset: usize) -> Option<String> {
        let text = self.text?;
        let before = text.get(..offset.min(text.len()))?;
        let header_at = before.rfind("[[rules]]")?;
        let index = before.matches("[[rules]]").count();
        let rest = text.get(header_at + "[[rules]]".len()..)?;
        for line in rest.lines().skip(1) {
            let t = line.trim();
            if t.starts_with('[') {
                break;
            }
            if let Some(v) = t.strip_prefix("name").map(str::trim_start).and_then(|v| v.strip_prefix('=')) {
                let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
                if pdpo_core::ident::is_identifier(v) {
                    return Some(v.to_owned());
                }
            }
        }
        Some(format!("#{index}"))
    }
}

/// Edit distance ≤ 2 or a shared prefix: a "did you mean" hint.
fn suggest<'a>(wanted: &str, names: impl IntoIterator<Item = &'a str>) -> String {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut cur = vec![i + 1; b.len() + 1];
            for (j, cb) in b.iter().enumerate() {
                let v = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
                cur[j + 1] = v;
            }
            prev = cur;
        }
        prev.last().copied().unwrap_or(0)
    }
    names
        .into_iter()
        .map(|n| (distance(wanted, n), n))
        .filter(|(d, n)| *d <= 2 || (!wanted.is_empty() && (n.starts_with(wanted) || wanted.starts_with(n))))
        .min()
        .map(|(_, n)| format!(" (did you mean `{n}`?)"))
        .unwrap_or_default()
}

/// The columns of `e` the schema knows about, with their declared type when there is one.
fn known_columns(e: &Entity, schema: &Schema) -> BTreeMap<String, Option<ColumnType>> {
    let mut cols = BTreeMap::new();
    for k in &e.key {
        cols.insert(k.to_string(), None);
    }
    let lc = &e.lifecycle;
    for c in [&lc.created, &lc.updated, &lc.last_activity, &lc.closed].into_iter().flatten() {
        cols.insert(c.to_string(), Some(ColumnType::Timestamp));
    }
    for l in &e.links {
        match &l.kind {
            LinkKind::ForeignKey { columns } => {
                for c in columns {
                    cols.entry(c.to_string()).or_insert(None);
                }
            }
            LinkKind::Array { column } => {
                cols.entry(column.to_string()).or_insert(Some(ColumnType::Array));
            }
            _ => {}
        }
    }
    if let Some(t) = schema.tenant_column() {
        cols.entry(t.to_string()).or_insert(None);
    }
    for f in &e.fields {
        // A declared field type wins over the lifecycle assumption.
        let slot = cols.entry(f.name.to_string()).or_insert(None);
        if f.column_type.is_some() {
            *slot = f.column_type;
        }
    }
    cols
}

fn lifecycle_column<'e>(e: &'e Entity, name: &str) -> Option<Option<&'e Identifier>> {
    let lc = &e.lifecycle;
    match name {
        "created" => Some(lc.created.as_ref()),
        "updated" => Some(lc.updated.as_ref()),
        "last_activity" => Some(lc.last_activity.as_ref()),
        "closed" => Some(lc.closed.as_ref()),
        _ => None,
    }
}

fn literal_fits(l: &Literal, ty: ColumnType) -> bool {
    matches!(
        (l, ty),
        (Literal::Text(_), ColumnType::Text | ColumnType::Json | ColumnType::Other)
            | (Literal::Int(_), ColumnType::Int | ColumnType::Decimal | ColumnType::Other)
            | (Literal::Bool(_), ColumnType::Bool | ColumnType::Other)
    )
}

/// FNV-1a, 64 bits: a stable fingerprint (the std hasher may change between releases).
fn fnv1a(bytes: &[u8], mut h: u64) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A rule as read from the file, with the lines of its parts.
struct Located {
    rule: Rule,
    /// Lines of the rule's keys (`entity`, `anchor`, `when.status`, `fields`), when known.
    lines: BTreeMap<String, u32>,
}

impl Policy {
    /// Loads and validates a policy from TOML text against `schema`. `file` names the source in
    /// errors; every problem names the file, line and rule.
    pub fn from_toml_str(text: &str, file: Option<&Path>, schema: &Schema) -> Result<Self> {
        let src = Src { file, text: Some(text) };
        let raw: RawPolicy = toml::from_str(text).map_err(|e| {
            let start = e.span().map(|s| s.start);
            let rule = start.and_then(|s| src.rule_at(s));
            Error::Invalid(Problems(vec![src.problem(
                start.and_then(|s| src.line(s)),
                rule.as_deref(),
                None,
                e.message().trim().to_owned(),
            )]))
        })?;
        let mut problems = Vec::new();
        if let Some(v) = &raw.version
            && *v.get_ref() != POLICY_VERSION
        {
            problems.push(src.problem(
                src.line(v.span().start),
                None,
                Some("version"),
                format!(
                    "policy version {} is not supported (this crate reads version {POLICY_VERSION})",
                    v.get_ref()
                ),
            ));
        }
        let mut located = Vec::new();
        for (i, raw_rule) in raw.rules.into_iter().enumerate() {
            if let Some(l) = convert(raw_rule, i + 1, &src, &mut problems) {
                located.push(l);
            }
        }
        let mut policy = build(located, schema, &src, problems)?;
        policy.source = file.map(Path::to_owned);
        Ok(policy)
    }

    /// Loads and validates a policy file.
    pub fn from_file(path: impl AsRef<Path>, schema: &Schema) -> Result<Self> {
        let path = path.as_ref();
        let text =
            std::fs::read_to_string(path).map_err(|source| Error::Read { file: path.to_owned(), source })?;
        Self::from_toml_str(&text, Some(path), schema)
    }

    /// Validates rules built in code against `schema`.
    pub fn from_rules(rules: impl IntoIterator<Item = Rule>, schema: &Schema) -> Result<Self> {
        let src = Src { file: None, text: None };
        let located = rules.into_iter().map(|rule| Located { rule, lines: BTreeMap::new() }).collect();
        build(located, schema, &src, Vec::new())
    }

    /// The [default testkit policy](TESTKIT_POLICY), validated against `schema`.
    pub fn testkit_default(schema: &Schema) -> Result<Self> {
        Self::from_toml_str(TESTKIT_POLICY, Some(Path::new("pdpo-retention/policies/testkit.toml")), schema)
    }

    /// The rules, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// A rule by name.
    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }

    /// The rules for `entity`, in file order.
    pub fn rules_for<'a>(&'a self, entity: &str) -> impl Iterator<Item = &'a Rule> + 'a {
        self.by_entity.get(entity).into_iter().flatten().filter_map(|&i| self.rules.get(i))
    }

    /// The rules that select `record` (entity and predicates), in file order.
    pub fn matching<'a>(&'a self, record: &'a Record) -> impl Iterator<Item = &'a Rule> + 'a {
        self.rules_for(&record.entity).filter(move |r| r.selects(record))
    }

    /// The schema's entities, in declaration order (what a plan scans).
    pub fn entities(&self) -> &[Identifier] {
        &self.entities
    }

    /// The file the policy was loaded from.
    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }

    /// A stable fingerprint of everything that changes decisions (rules, in order), so a saved
    /// plan refuses to resume under another policy.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The data subject a record is about, when the record alone says so: the subject record
    /// itself, or an entity with exactly one direct foreign key to the subject entity. `None`
    /// otherwise (a record about several people, or reached through other records).
    pub fn subject_of(&self, record: &Record) -> Option<Key> {
        match self.subjects.get(record.entity.as_str())? {
            SubjectOf::Own => Some(record.key.clone()),
            SubjectOf::Columns(cols) => {
                Key::from_values(cols.iter().map(|c| record.get(c).unwrap_or(&Value::Null)))
            }
            SubjectOf::Unknown => None,
        }
    }

    /// The anchor date of `rule` for `record` (a Hong Kong calendar date), or `None` if the
    /// column is empty or not a date.
    pub fn anchor_date(rule: &Rule, record: &Record) -> Option<NaiveDate> {
        anchor_date(record.get(rule.anchor_column())?)
    }

    /// When `rule`'s period has run for `record`: `None` if the anchor is empty (or the date is
    /// past the calendar's end).
    pub fn due(rule: &Rule, record: &Record) -> Option<DateTime<Utc>> {
        rule.period.runs_out_from_date(Self::anchor_date(rule, record)?)
    }
}

/// A value's Hong Kong calendar date: timestamps are converted to UTC+8; dates are taken as
/// written; text in RFC 3339 or `YYYY-MM-DD` form is parsed (for stores that keep dates as text).
pub(crate) fn anchor_date(v: &Value) -> Option<NaiveDate> {
    match v {
        Value::Timestamp(t) => hk_date(*t),
        Value::Date(d) => Some(*d),
        Value::Text(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => hk_date(t.to_utc()),
            Err(_) => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
        },
        _ => None,
    }
}

fn convert(
    raw: Spanned<RawRule>,
    index: usize,
    src: &Src<'_>,
    problems: &mut Vec<Problem>,
) -> Option<Located> {
    let span: Range<usize> = raw.span();
    let rule_line = src.line(span.start);
    let r = raw.into_inner();
    let at = |s: &Range<usize>| src.line(s.start).or(rule_line);
    let fallback = format!("#{index}");
    let label = r
        .name
        .as_ref()
        .map(|n| n.get_ref().clone())
        .filter(|n| pdpo_core::ident::is_identifier(n))
        .unwrap_or_else(|| fallback.clone());
    let rule = Some(label.as_str());
    let mut ok = true;
    let missing = |what: &str, hint: &str, problems: &mut Vec<Problem>| {
        problems.push(src.problem(rule_line, rule, Some(what), format!("missing; {hint}")));
    };

    let name = match &r.name {
        None => {
            missing("name", "every rule needs a unique name, e.g. `name = \"stale-leads\"`", problems);
            None
        }
        Some(n) => match Identifier::new(n.get_ref()) {
            Ok(id) => Some(id),
            Err(e) => {
                problems.push(src.problem(at(&n.span()), rule, Some("name"), format!("{e}")));
                None
            }
        },
    };
    let ident = |v: &Option<Spanned<String>>, what: &str, hint: &str, problems: &mut Vec<Problem>| match v {
        None => {
            missing(what, hint, problems);
            None
        }
        Some(s) => match Identifier::new(s.get_ref()) {
            Ok(id) => Some(id),
            Err(e) => {
                problems.push(src.problem(at(&s.span()), rule, Some(what), format!("{e}")));
                None
            }
        },
    };
    let entity = ident(
        &r.entity,
        "entity",
        "name the entity the rule selects, e.g. `entity = \"contacts\"`",
        problems,
    );
    let anchor = ident(
        &r.anchor,
        "anchor",
        "name a lifecycle column (`created`, `updated`, `last_activity`, `closed`) or a timestamp column",
        problems,
    );
    let period = match &r.period {
        None => {
            missing("period", "give an ISO 8601 duration, e.g. `period = \"P7Y\"`", problems);
            None
        }
        Some(p) => match p.get_ref().parse::<Period>() {
            Ok(p) => Some(p),
            Err(e) => {
                problems.push(src.problem(at(&p.span()), rule, Some("period"), e.to_string()));
                None
            }
        },
    };
    let action = match &r.action {
        None => {
            missing("action", "one of `keep`, `review`, `refresh_consent`, `anonymise`, `delete`", problems);
            None
        }
        Some(a) => {
            let found = Action::from_name(a.get_ref());
            if found.is_none() {
                let hint = suggest(a.get_ref(), Action::ALL.iter().map(|a| a.as_str()));
                problems.push(src.problem(
                    at(&a.span()),
                    rule,
                    Some("action"),
                    format!(
                        "unknown action `{}`{hint}: use `keep`, `review`, `refresh_consent`, `anonymise` or `delete`",
                        a.get_ref()
                    ),
                ));
            }
            found
        }
    };
    let basis = match &r.basis {
        Some(b) if !b.get_ref().trim().is_empty() => Some(b.get_ref().trim().to_owned()),
        Some(b) => {
            problems.push(src.problem(
                at(&b.span()),
                rule,
                Some("basis"),
                "is empty: say why the data is kept or disposed of",
            ));
            None
        }
        None => {
            missing("basis", "say why, e.g. `basis = \"IRO (Cap. 112) s.51C: ...\"`", problems);
            None
        }
    };
    let statutory = match &r.statutory {
        Some(s) => Some(*s.get_ref()),
        None => {
            missing(
                "statutory",
                "say `statutory = true` for a legal duty or `statutory = false` for a business choice",
                problems,
            );
            None
        }
    };
    let priority = match &r.priority {
        None => 0,
        Some(p) => i32::try_from(*p.get_ref()).unwrap_or_else(|_| {
            problems.push(src.problem(at(&p.span()), rule, Some("priority"), "must fit in a 32-bit integer"));
            ok = false;
            0
        }),
    };
    let mut lines = BTreeMap::new();
    let mut when = Vec::new();
    for (col, vals) in &r.when {
        let field = format!("when.{}", col.get_ref());
        let Ok(column) = Identifier::new(col.get_ref()) else {
            problems.push(src.problem(
                at(&col.span()),
                rule,
                Some(&field),
                "the column name is not a valid identifier",
            ));
            ok = false;
            continue;
        };
        let values = match vals.get_ref() {
            RawWhen::One(l) => vec![l.clone()],
            RawWhen::Many(v) => v.clone(),
        };
        if values.is_empty() {
            problems.push(src.problem(at(&vals.span()), rule, Some(&field), "an empty list matches nothing"));
            ok = false;
        }
        if let Some(l) = at(&col.span()) {
            lines.insert(field, l);
        }
        when.push(Predicate { column, values });
    }
    let fields = match &r.fields {
        None => None,
        Some(f) => {
            let mut ids = Vec::new();
            for s in f.get_ref() {
                match Identifier::new(s) {
                    Ok(id) => ids.push(id),
                    Err(e) => {
                        problems.push(src.problem(at(&f.span()), rule, Some("fields"), format!("{e}")));
                        ok = false;
                    }
                }
            }
            Some(ids)
        }
    };
    let (
        Some(name),
        Some(entity),
        Some(anchor),
        Some(period),
        Some(action),
        Some(basis),
        Some(statutory),
        true,
    ) = (name, entity, anchor, period, action, basis, statutory, ok)
    else {
        return None;
    };
    let mut rule =
        Rule::new(name, entity, anchor, period, action).with_basis(basis, statutory).with_priority(priority);
    rule.when = when;
    rule.fields = fields;
    rule.optional = r.optional.unwrap_or(false);
    rule.line = rule_line;
    for (key, span) in [("entity", r.entity.map(|e| e.span())), ("anchor", r.anchor.map(|a| a.span()))] {
        if let Some(l) = span.and_then(|s| at(&s)) {
            lines.insert(key.to_owned(), l);
        }
    }
    if let Some(l) = r.fields.and_then(|f| at(&f.span())) {
        lines.insert("fields".to_owned(), l);
    }
    Some(Located { rule, lines })
}

fn build(
    located: Vec<Located>,
    schema: &Schema,
    src: &Src<'_>,
    mut problems: Vec<Problem>,
) -> Result<Policy> {
    let mut rules = Vec::with_capacity(located.len());
    let mut seen: HashMap<Identifier, Option<u32>> = HashMap::new();
    for Located { mut rule, lines } in located {
        let line = rule.line;
        let name = rule.name.to_string();
        let p = |field: &str, message: String| {
            src.problem(lines.get(field).copied().or(line), Some(&name), Some(field), message)
        };
        if let Some(prev) = seen.insert(rule.name.clone(), line) {
            let at = prev.map(|l| format!(" (first on line {l})")).unwrap_or_default();
            problems.push(p("name", format!("rule name used twice{at}: names must be unique")));
        }
        if rule.basis.trim().is_empty() {
            problems.push(p("basis", "is empty: say why the data is kept or disposed of".into()));
        }
        let Some(entity) = schema.entity(&rule.entity) else {
            if rule.optional {
                continue;
            }
            let hint = suggest(&rule.entity, schema.entities().iter().map(|e| e.name.as_str()));
            problems.push(p("entity", format!("unknown entity `{}`{hint}", rule.entity)));
            continue;
        };
        let cols = known_columns(entity, schema);
        let unknown = |col: &str| {
            let hint = suggest(col, cols.keys().map(String::as_str));
            format!(
                "unknown column `{col}` in entity `{}`{hint}; declare it under [entities.{}.fields] (no category needed) or as a lifecycle column",
                entity.name, entity.name
            )
        };
        // The anchor: a lifecycle name first, then a column.
        let anchor_col = match lifecycle_column(entity, &rule.anchor) {
            Some(Some(col)) => Some(col.clone()),
            Some(None) if !cols.contains_key(rule.anchor.as_str()) => {
                problems.push(p(
                    "anchor",
                    format!(
                        "entity `{}` declares no `{}` lifecycle column: add it under [entities.{}.lifecycle] or name a timestamp column",
                        entity.name, rule.anchor, entity.name
                    ),
                ));
                None
            }
            _ if cols.contains_key(rule.anchor.as_str()) => Some(rule.anchor.clone()),
            _ => {
                problems.push(p("anchor", unknown(&rule.anchor)));
                None
            }
        };
        if let Some(col) = &anchor_col
            && let Some(Some(ty)) = cols.get(col.as_str())
            && !matches!(ty, ColumnType::Timestamp | ColumnType::Date | ColumnType::Text | ColumnType::Other)
        {
            problems
                .push(p("anchor", format!("column `{col}` is declared as {ty:?}, not a timestamp or date")));
        }
        rule.anchor_column = anchor_col;
        for pred in &rule.when {
            let field = format!("when.{}", pred.column);
            match cols.get(pred.column.as_str()) {
                None => problems.push(p(&field, unknown(&pred.column))),
                Some(Some(ty)) => {
                    if let Some(l) = pred.values.iter().find(|l| !literal_fits(l, *ty)) {
                        problems.push(p(
                            &field,
                            format!(
                                "compares a {} value with column `{}` declared as {ty:?}",
                                l.kind(),
                                pred.column
                            ),
                        ));
                    }
                }
                Some(None) => {}
            }
        }
        for f in rule.fields.iter().flatten() {
            if entity.field(f).is_none() {
                problems.push(p("fields", unknown(f)));
            }
        }
        rules.push(rule);
    }
    contradictions(&rules, src, &mut problems);
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line.unwrap_or(u32::MAX));
        return Err(Error::Invalid(Problems(problems)));
    }

    let mut by_entity: HashMap<Identifier, Vec<usize>> = HashMap::new();
    for (i, r) in rules.iter().enumerate() {
        by_entity.entry(r.entity.clone()).or_default().push(i);
    }
    let subjects = schema
        .entities()
        .iter()
        .map(|e| {
            let how = if e.name == *schema.subject() {
                SubjectOf::Own
            } else {
                let fks: Vec<_> = e
                    .links
                    .iter()
                    .filter(|l| l.to == *schema.subject())
                    .filter_map(|l| match &l.kind {
                        LinkKind::ForeignKey { columns } => {
                            Some(columns.iter().map(ToString::to_string).collect())
                        }
                        _ => None,
                    })
                    .collect();
                match <[Vec<String>; 1]>::try_from(fks) {
                    Ok([cols]) => SubjectOf::Columns(cols),
                    Err(_) => SubjectOf::Unknown,
                }
            };
            (e.name.clone(), how)
        })
        .collect();
    let mut fp = 0xcbf2_9ce4_8422_2325;
    for r in &rules {
        let canon = format!(
            "{}|{}|{:?}|{}|{}|{}|{}|{}|{}|{:?}|{}\n",
            r.name,
            r.entity,
            r.when,
            r.anchor_column(),
            r.period,
            r.action,
            r.statutory,
            r.priority,
            r.basis,
            r.fields,
            r.optional
        );
        fp = fnv1a(canon.as_bytes(), fp);
    }
    Ok(Policy {
        rules,
        by_entity,
        subjects,
        entities: schema.entities().iter().map(|e| e.name.clone()).collect(),
        source: None,
        fingerprint: fp,
    })
}

/// Two non-keep rules with the same entity, the same predicates and the same priority are
/// contradictory: nothing but the tie-break would choose between them. Keep rules never
/// contradict (the longest keep applies).
fn contradictions(rules: &[Rule], src: &Src<'_>, problems: &mut Vec<Problem>) {
    let mut groups: BTreeMap<(String, BTreeSet<String>, i32), Vec<&Rule>> = BTreeMap::new();
    for r in rules.iter().filter(|r| r.action != Action::Keep) {
        let preds = r.when.iter().map(|p| format!("{}={:?}", p.column, p.values)).collect();
        groups.entry((r.entity.to_string(), preds, r.priority)).or_default().push(r);
    }
    for group in groups.values() {
        if let [first, rest @ ..] = group.as_slice() {
            for other in rest {
                let first_at = first.line.map(|l| format!(" (line {l})")).unwrap_or_default();
                problems.push(src.problem(
                    other.line,
                    Some(&other.name),
                    None,
                    format!(
                        "contradicts rule `{}`{first_at}: both select the same `{}` records with priority {} \
                         ({} after {} vs {} after {}); merge them or give one a higher priority",
                        first.name,
                        other.entity,
                        other.priority,
                        first.action,
                        first.period,
                        other.action,
                        other.period
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_at_finds_the_enclosing_rule_name() {
        let text = "[[rules]]\nname = \"a\"\nperiod = 1\n\n[[rules]]\nentity = \"x\"\nname = 'b'\nbad = 2\n[[rules]]\nx=1\n";
        let src = Src { file: None, text: Some(text) };
        assert_eq!(src.rule_at(text.find("period").unwrap()).as_deref(), Some("a"));
        assert_eq!(src.rule_at(text.find("bad").unwrap()).as_deref(), Some("b"));
        assert_eq!(src.rule_at(text.find("x=1").unwrap()).as_deref(), Some("#3"));
        assert_eq!(src.rule_at(0), None);
    }

    #[test]
    fn suggest_offers_close_names() {
        assert_eq!(suggest("contcts", ["contacts", "invoices"]), " (did you mean `contacts`?)");
        assert_eq!(suggest("zzz", ["contacts"]), "");
    }
}
