//! Schema validation, shared by the TOML loader and the builder.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::path::Path;

use super::{Entity, LinkKind, Problem, Schema, SchemaError};
use crate::Identifier;

/// Where problems are reported: the file and its text, to turn byte spans into lines.
pub(super) struct Source<'a> {
    pub(super) file: Option<&'a Path>,
    pub(super) text: Option<&'a str>,
}

impl Source<'_> {
    pub(super) fn problem(
        &self,
        span: Option<&Range<usize>>,
        item: impl Into<String>,
        message: impl Into<String>,
    ) -> Problem {
        let line = match (self.text, span) {
            (Some(text), Some(span)) => {
                let end = span.start.min(text.len());
                Some(
                    u32::try_from(text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1)
                        .unwrap_or(u32::MAX),
                )
            }
            _ => None,
        };
        Problem { file: self.file.map(Path::to_owned), line, item: item.into(), message: message.into() }
    }
}

/// The closest name, for "did you mean" hints (edit distance ≤ 2, or a shared prefix).
pub(super) fn suggest<'a>(wanted: &str, names: impl IntoIterator<Item = &'a str>) -> String {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut cur = vec![i + 1; b.len() + 1];
            for (j, cb) in b.iter().enumerate() {
                cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
            }
            prev = cur;
        }
        prev[b.len()]
    }
    names
        .into_iter()
        .map(|n| (distance(wanted, n), n))
        .filter(|(d, n)| *d <= 2 || n.starts_with(wanted) || wanted.starts_with(n))
        .min()
        .map(|(_, n)| format!(" (did you mean `{n}`?)"))
        .unwrap_or_default()
}

pub(super) fn validate(
    subject: Identifier,
    tenant_column: Option<Identifier>,
    purposes: BTreeMap<Identifier, String>,
    entities: Vec<Entity>,
    src: &Source<'_>,
    mut problems: Vec<Problem>,
) -> Result<Schema, SchemaError> {
    let mut by_name = HashMap::new();
    for (i, e) in entities.iter().enumerate() {
        if by_name.insert(e.name.clone(), i).is_some() {
            problems.push(src.problem(
                e.span.as_ref(),
                format!("entities.{}", e.name),
                "entity declared twice",
            ));
        }
    }
    let names = || entities.iter().map(|e| e.name.as_str());
    let subject_idx = by_name.get(&subject).copied();
    if subject_idx.is_none() {
        problems.push(src.problem(
            None,
            "subject",
            format!("subject entity `{subject}` is not declared{}", suggest(&subject, names())),
        ));
    }

    for e in &entities {
        check_entity(e, &entities, &by_name, &purposes, tenant_column.as_ref(), src, &mut problems);
    }

    let order = match subject_idx {
        Some(s) => traversal(&entities, &by_name, s, src, &mut problems),
        None => Vec::new(),
    };

    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line.unwrap_or(u32::MAX));
        return Err(SchemaError { problems });
    }
    Ok(Schema {
        subject,
        tenant_column,
        purposes,
        entities,
        by_name,
        order,
        source: src.file.map(Path::to_owned),
    })
}

fn check_entity(
    e: &Entity,
    entities: &[Entity],
    by_name: &HashMap<Identifier, usize>,
    purposes: &BTreeMap<Identifier, String>,
    tenant_column: Option<&Identifier>,
    src: &Source<'_>,
    problems: &mut Vec<Problem>,
) {
    let item = format!("entities.{}", e.name);
    if e.key.is_empty() {
        problems.push(src.problem(e.span.as_ref(), &item, "missing `key`: name the primary key column(s)"));
    }
    let entity_names = || entities.iter().map(|x| x.name.as_str());

    // Columns that hold keys: the primary key and every column a link reads.
    let mut key_columns: BTreeSet<&str> = e.key.iter().map(|k| k.as_str()).collect();
    let mut link_names = BTreeSet::new();
    for (i, link) in e.links.iter().enumerate() {
        let span = e.link_spans.get(i).and_then(Option::as_ref).or(e.span.as_ref());
        let litem = format!("{item}.links.{}", link.name);
        if !link_names.insert(link.name.as_str()) {
            problems.push(src.problem(span, &litem, "two links have this name: give one a `name`"));
        }
        let Some(&to_idx) = by_name.get(&link.to) else {
            problems.push(src.problem(
                span,
                &litem,
                format!("link target `{}` is not an entity{}", link.to, suggest(&link.to, entity_names())),
            ));
            continue;
        };
        let to = &entities[to_idx];
        let arity = |cols: usize, want: usize, what: &str, problems: &mut Vec<Problem>| {
            if cols != want {
                problems.push(src.problem(
                    span,
                    &litem,
                    format!("{what} has {cols} column(s) but the key it matches has {want}"),
                ));
            }
        };
        match &link.kind {
            LinkKind::ForeignKey { columns } => {
                arity(columns.len(), to.key.len(), "foreign_key", problems);
                key_columns.extend(columns.iter().map(|c| c.as_str()));
            }
            LinkKind::ReferencedBy { columns } => {
                arity(columns.len(), e.key.len(), "referenced_by", problems);
            }
            LinkKind::Join { through, columns, to_columns } => {
                if !by_name.contains_key(through) {
                    problems.push(src.problem(
                        span,
                        &litem,
                        format!(
                            "join entity `{through}` is not an entity{}",
                            suggest(through, entity_names())
                        ),
                    ));
                }
                arity(columns.len(), e.key.len(), "join columns", problems);
                arity(to_columns.len(), to.key.len(), "join to_columns", problems);
            }
            LinkKind::Array { column } => {
                arity(1, to.key.len(), "array", problems);
                key_columns.insert(column.as_str());
            }
        }
    }

    let mut field_names = BTreeSet::new();
    for f in &e.fields {
        let fitem = format!("{item}.fields.{}", f.name);
        let span = f.span.as_ref().or(e.span.as_ref());
        if !field_names.insert(f.name.as_str()) {
            problems.push(src.problem(span, &fitem, "field declared twice"));
        }
        if f.is_personal() && key_columns.contains(f.name.as_str()) {
            problems.push(src.problem(
                span,
                &fitem,
                "a primary or foreign key column cannot be tagged as personal data (keys identify records in audit events and must survive erasure)",
            ));
        }
        if f.is_personal() && tenant_column.is_some_and(|t| *t == f.name) {
            problems.push(src.problem(span, &fitem, "the tenant column cannot be tagged as personal data"));
        }
        if let Some(about) = &f.about
            && e.link(about).is_none()
        {
            let links = e.links.iter().map(|l| l.name.as_str());
            problems.push(src.problem(
                span,
                &fitem,
                format!("`about = \"{about}\"` names no link of `{}`{}", e.name, suggest(about, links)),
            ));
        }
        for p in &f.purposes {
            if !purposes.contains_key(&p.0) {
                problems.push(src.problem(
                    span,
                    &fitem,
                    format!(
                        "purpose `{p}` is not declared under [purposes]{}",
                        suggest(p.as_str(), purposes.keys().map(|k| k.as_str()))
                    ),
                ));
            }
        }
    }
}

/// Orders the entities reachable from the subject so that each comes after its link targets;
/// refuses cycles and personal data with no path to the subject.
fn traversal(
    entities: &[Entity],
    by_name: &HashMap<Identifier, usize>,
    subject: usize,
    src: &Source<'_>,
    problems: &mut Vec<Problem>,
) -> Vec<usize> {
    // Cycle detection over edges entity -> link target (depth-first, three colours).
    let targets = |i: usize| -> Vec<usize> {
        entities[i].links.iter().filter_map(|l| by_name.get(&l.to).copied()).collect()
    };
    let mut colour = vec![0u8; entities.len()];
    let mut stack_path = Vec::new();
    fn dfs(
        i: usize,
        targets: &dyn Fn(usize) -> Vec<usize>,
        colour: &mut [u8],
        path: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        colour[i] = 1;
        path.push(i);
        for t in targets(i) {
            if colour[t] == 1 {
                let start = path.iter().position(|&p| p == t).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(t);
                return Some(cycle);
            }
            if colour[t] == 0
                && let Some(c) = dfs(t, targets, colour, path)
            {
                return Some(c);
            }
        }
        path.pop();
        colour[i] = 2;
        None
    }
    for i in 0..entities.len() {
        if colour[i] == 0
            && let Some(cycle) = dfs(i, &targets, &mut colour, &mut stack_path)
        {
            let names: Vec<&str> = cycle.iter().map(|&c| entities[c].name.as_str()).collect();
            let first = &entities[cycle[0]];
            problems.push(src.problem(
                first.span.as_ref(),
                format!("entities.{}", first.name),
                format!("links form a cycle: {}", names.join(" → ")),
            ));
            return Vec::new();
        }
    }

    // Reachability and order: an entity is placed once every reachable target is placed.
    let mut reachable = vec![false; entities.len()];
    reachable[subject] = true;
    loop {
        let mut changed = false;
        for (i, e) in entities.iter().enumerate() {
            if !reachable[i] && e.links.iter().any(|l| by_name.get(&l.to).is_some_and(|&t| reachable[t])) {
                reachable[i] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut order = vec![subject];
    let mut placed = vec![false; entities.len()];
    placed[subject] = true;
    while order.len() < reachable.iter().filter(|r| **r).count() {
        let before = order.len();
        for (i, e) in entities.iter().enumerate() {
            let ready =
                e.links.iter().filter_map(|l| by_name.get(&l.to)).all(|&t| !reachable[t] || placed[t]);
            if reachable[i] && !placed[i] && ready {
                placed[i] = true;
                order.push(i);
            }
        }
        if order.len() == before {
            break; // unreachable: acyclic graphs always progress
        }
    }
    for (i, e) in entities.iter().enumerate() {
        if !reachable[i] && e.personal_fields().next().is_some() {
            problems.push(src.problem(
                e.span.as_ref(),
                format!("entities.{}", e.name),
                format!(
                    "holds personal data but no chain of links reaches the subject `{}`: add a link",
                    entities[subject].name
                ),
            ));
        }
    }
    order
}
