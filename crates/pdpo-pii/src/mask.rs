//! Masking by role (DPP4): role → category → show, partial mask or hide.

use std::collections::BTreeMap;

use pdpo_core::JsonPath;
use pdpo_core::{PiiCategory, Record, Value};
use serde::{Deserialize, Serialize};

use crate::Scanner;

/// What a role sees of one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MaskAction {
    /// The value as stored.
    Show,
    /// A partial mask that keeps what the role needs to recognise the value (see [`partial_mask`]).
    Partial,
    /// A placeholder naming the category (`[HKID]`).
    Hide,
}

/// Which category each column (and each place inside a JSON column) of a record holds.
///
/// ```
/// use pdpo_core::PiiCategory;
/// use pdpo_pii::FieldTags;
/// let tags = FieldTags::new()
///     .column("hkid", PiiCategory::Hkid)
///     .json_path("custom", "$.emails[*].address".parse().unwrap(), PiiCategory::Email);
/// assert_eq!(tags.category("hkid"), Some(&PiiCategory::Hkid));
/// ```
#[derive(Debug, Clone, Default)]
pub struct FieldTags {
    columns: BTreeMap<String, PiiCategory>,
    json: BTreeMap<String, Vec<(JsonPath, PiiCategory)>>,
}

impl FieldTags {
    /// No tags.
    pub fn new() -> Self {
        Self::default()
    }

    /// Tags a whole column.
    #[must_use]
    pub fn column(mut self, column: impl Into<String>, category: PiiCategory) -> Self {
        self.columns.insert(column.into(), category);
        self
    }

    /// Tags a place inside a JSON column.
    #[must_use]
    pub fn json_path(mut self, column: impl Into<String>, path: JsonPath, category: PiiCategory) -> Self {
        self.json.entry(column.into()).or_default().push((path, category));
        self
    }

    /// Tags from a schema entity: each field's category and JSON path tags.
    pub fn from_entity(entity: &pdpo_core::Entity) -> Self {
        let mut tags = Self::new();
        for f in &entity.fields {
            if let Some(c) = &f.category {
                tags = tags.column(f.name.as_str(), c.clone());
            }
            for t in &f.json {
                tags = tags.json_path(f.name.as_str(), t.path.clone(), t.category.clone());
            }
        }
        tags
    }

    /// The category of a whole column.
    pub fn category(&self, column: &str) -> Option<&PiiCategory> {
        self.columns.get(column)
    }
}

/// Role → category → [`MaskAction`], with a default per role and an overall default (hide).
///
/// Roles not named in the policy see every category hidden, so a new role starts with least
/// privilege. Categories a role does not list get that role's default.
///
/// ```
/// use pdpo_core::{Identifier, Key, PiiCategory, Record};
/// use pdpo_pii::{FieldTags, MaskAction, MaskPolicy};
///
/// let policy = MaskPolicy::new()
///     .rule("agent", PiiCategory::Phone, MaskAction::Partial)
///     .rule("agent", PiiCategory::Name, MaskAction::Show)
///     .role_default("dpo", MaskAction::Show);
/// let record = Record::new(Identifier::new("contacts")?, Key::from(7))
///     .with("name", "陳大文")
///     .with("phone", "+852 9123 4567")
///     .with("hkid", "A123456(3)");
/// let tags = FieldTags::new()
///     .column("name", PiiCategory::Name)
///     .column("phone", PiiCategory::Phone)
///     .column("hkid", PiiCategory::Hkid);
/// let seen = policy.apply("agent", &record, &tags);
/// assert_eq!(seen.get("name").unwrap().render(), "陳大文");
/// assert_eq!(seen.get("phone").unwrap().render(), "+852 **** 4567");
/// assert_eq!(seen.get("hkid").unwrap().render(), "[HKID]");
/// assert_eq!(policy.apply("dpo", &record, &tags), record);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MaskPolicy {
    #[serde(default = "hide")]
    default: MaskAction,
    #[serde(default)]
    role_defaults: BTreeMap<String, MaskAction>,
    #[serde(default)]
    roles: BTreeMap<String, BTreeMap<PiiCategory, MaskAction>>,
    #[serde(skip)]
    scanner: Option<Scanner>,
}

fn hide() -> MaskAction {
    MaskAction::Hide
}

impl Default for MaskPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl MaskPolicy {
    /// A policy that hides everything from everyone.
    pub fn new() -> Self {
        Self {
            default: MaskAction::Hide,
            role_defaults: BTreeMap::new(),
            roles: BTreeMap::new(),
            scanner: None,
        }
    }

    /// What `role` sees of `category`.
    #[must_use]
    pub fn rule(mut self, role: impl Into<String>, category: PiiCategory, action: MaskAction) -> Self {
        self.roles.entry(role.into()).or_default().insert(category, action);
        self
    }

    /// What `role` sees of categories it has no rule for.
    #[must_use]
    pub fn role_default(mut self, role: impl Into<String>, action: MaskAction) -> Self {
        self.role_defaults.insert(role.into(), action);
        self
    }

    /// Masks personal data found inside free-text fields (category `free_text`) with this scanner:
    /// each finding gets the role's action for its own category.
    #[must_use]
    pub fn with_scanner(mut self, scanner: Scanner) -> Self {
        self.scanner = Some(scanner);
        self
    }

    /// The action for `role` and `category`.
    pub fn action(&self, role: &str, category: &PiiCategory) -> MaskAction {
        self.roles
            .get(role)
            .and_then(|r| r.get(category))
            .or_else(|| self.role_defaults.get(role))
            .copied()
            .unwrap_or(self.default)
    }

    /// `text` as `role` may see it when it holds `category`.
    pub fn mask_text(&self, role: &str, category: &PiiCategory, text: &str) -> String {
        match self.action(role, category) {
            MaskAction::Show => text.to_owned(),
            MaskAction::Partial if *category == PiiCategory::FreeText => self.scrub(role, text),
            MaskAction::Partial => partial_mask(category, text),
            MaskAction::Hide => placeholder(category),
        }
    }

    /// Free text with each finding masked by the role's action for the finding's category.
    fn scrub(&self, role: &str, text: &str) -> String {
        let Some(scanner) = &self.scanner else { return placeholder(&PiiCategory::FreeText) };
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for f in scanner.scan(text) {
            out.push_str(text.get(at..f.start).unwrap_or(""));
            let value = f.text(text);
            out.push_str(&match self.action(role, &f.category) {
                MaskAction::Show => value.to_owned(),
                MaskAction::Partial => partial_mask(&f.category, value),
                MaskAction::Hide => placeholder(&f.category),
            });
            at = f.end;
        }
        out.push_str(text.get(at..).unwrap_or(""));
        out
    }

    /// A value as `role` may see it when it holds `category`. `Null` and shredded values stay as
    /// they are; other non-text values are rendered as text before masking.
    pub fn mask_value(&self, role: &str, category: &PiiCategory, value: &Value) -> Value {
        if self.action(role, category) == MaskAction::Show {
            return value.clone();
        }
        match value {
            Value::Null | Value::Shredded => value.clone(),
            Value::Json(j) => {
                let mut j = j.clone();
                mask_json_leaves(&mut j, &mut |s| self.mask_text(role, category, s));
                Value::Json(j)
            }
            other => Value::Text(self.mask_text(role, category, &other.render())),
        }
    }

    /// A copy of `record` as `role` may see it: tagged columns masked, JSON path tags masked in
    /// place (the JSON stays valid), untagged columns unchanged.
    pub fn apply(&self, role: &str, record: &Record, tags: &FieldTags) -> Record {
        let mut out = record.clone();
        for (column, value) in &mut out.values {
            if let Some(c) = tags.columns.get(column) {
                *value = self.mask_value(role, c, value);
            }
            if let (Some(paths), Value::Json(doc)) = (tags.json.get(column), &mut *value) {
                for (path, category) in paths {
                    if self.action(role, category) == MaskAction::Show {
                        continue;
                    }
                    path.for_each_mut(doc, &mut |leaf| {
                        mask_json_leaves(leaf, &mut |s| self.mask_text(role, category, s));
                    });
                }
            }
        }
        out
    }

    /// Like [`apply`](Self::apply), with column categories from a function.
    pub fn apply_with(
        &self,
        role: &str,
        record: &Record,
        category_of: &dyn Fn(&str) -> Option<PiiCategory>,
    ) -> Record {
        let mut tags = FieldTags::new();
        for column in record.values.keys() {
            if let Some(c) = category_of(column) {
                tags = tags.column(column.as_str(), c);
            }
        }
        self.apply(role, record, &tags)
    }
}

fn mask_json_leaves(j: &mut serde_json::Value, f: &mut dyn FnMut(&str) -> String) {
    match j {
        serde_json::Value::String(s) => *s = f(s),
        serde_json::Value::Number(n) => *j = serde_json::Value::String(f(&n.to_string())),
        serde_json::Value::Array(a) => a.iter_mut().for_each(|v| mask_json_leaves(v, f)),
        serde_json::Value::Object(o) => o.values_mut().for_each(|v| mask_json_leaves(v, f)),
        serde_json::Value::Null | serde_json::Value::Bool(_) => {}
    }
}

fn placeholder(category: &PiiCategory) -> String {
    format!("[{}]", category.label())
}

/// Masks every ASCII letter or digit (and every other letter) for which `keep` is false.
fn mask_chars(text: &str, mask: char, mut keep: impl FnMut(usize, char) -> bool) -> String {
    let mut i = 0;
    text.chars()
        .map(|c| {
            if c.is_alphanumeric() {
                let k = keep(i, c);
                i += 1;
                if k { c } else { mask }
            } else {
                c
            }
        })
        .collect()
}

/// The partial mask of a category:
///
/// | category | keeps | example |
/// |---|---|---|
/// | `hkid` | the letters and the first 3 digits (cf. PCPD case 1998106, FACTS.md §7) | `A123XXX(X)` |
/// | `phone` | the last 4 digits (and a `852` country code) | `+852 **** 4567` |
/// | `email` | the first character and the domain | `c***@example.com` |
/// | `card_number` | the last 4 digits (PCI DSS truncation) | `**** **** **** 1111` |
/// | `passport`, `national_id`, `tax_id`, `bank_account` | the first and the last 2 characters | `K******78` |
/// | `name` | the first character of each word | `C*** T** M**`, `陳**` |
/// | `date_of_birth` | the year | `**/**/1985` |
/// | `address` | the last comma-separated part, or the first quarter | `***, Kowloon` |
/// | `ip_address` | the first two IPv4 octets, the first IPv6 group | `203.0.*.*` |
/// | others | the first character | `H*******` |
///
/// ```
/// use pdpo_core::PiiCategory;
/// use pdpo_pii::partial_mask;
/// assert_eq!(partial_mask(&PiiCategory::Hkid, "A123456(3)"), "A123XXX(X)");
/// assert_eq!(partial_mask(&PiiCategory::Email, "chan.tm@example.com"), "c******@example.com");
/// assert_eq!(partial_mask(&PiiCategory::Phone, "9123 4567"), "**** 4567");
/// ```
pub fn partial_mask(category: &PiiCategory, text: &str) -> String {
    let alnum = text.chars().filter(|c| c.is_alphanumeric()).count();
    let digits = text.chars().filter(char::is_ascii_digit).count();
    match category {
        PiiCategory::Hkid => {
            let letters = text.chars().take_while(|c| c.is_ascii_alphabetic()).count();
            mask_chars(text, 'X', |i, _| i < letters + 3)
        }
        PiiCategory::Phone => {
            let cc = digits >= 11 && text.trim_start_matches(['+', '(', ' ', '0']).starts_with("852");
            let lead = if cc {
                text.chars().filter(char::is_ascii_digit).take_while(|c| *c == '0').count() + 3
            } else {
                0
            };
            let mut d = 0;
            text.chars()
                .map(|c| {
                    if c.is_ascii_digit() {
                        d += 1;
                        if d <= lead || d > digits.saturating_sub(4) { c } else { '*' }
                    } else {
                        c
                    }
                })
                .collect()
        }
        PiiCategory::Email => match text.rsplit_once('@') {
            Some((local, domain)) => {
                let first: String = local.chars().take(1).collect();
                let stars = "*".repeat(local.chars().count().saturating_sub(1));
                format!("{first}{stars}@{domain}")
            }
            None => mask_chars(text, '*', |i, _| i == 0),
        },
        PiiCategory::CardNumber => {
            let mut d = 0;
            text.chars()
                .map(|c| {
                    if c.is_ascii_digit() {
                        d += 1;
                        if d > digits.saturating_sub(4) { c } else { '*' }
                    } else {
                        c
                    }
                })
                .collect()
        }
        PiiCategory::Passport | PiiCategory::NationalId | PiiCategory::TaxId | PiiCategory::BankAccount => {
            mask_chars(text, '*', |i, _| i == 0 || i + 2 >= alnum)
        }
        PiiCategory::Name => {
            let mut prev_alnum = false;
            text.chars()
                .map(|c| {
                    let keep = !prev_alnum;
                    prev_alnum = c.is_alphanumeric();
                    if c.is_alphanumeric() && !keep { '*' } else { c }
                })
                .collect()
        }
        PiiCategory::DateOfBirth => {
            let year_at = year_position(text);
            let mut d = 0;
            text.chars()
                .map(|c| {
                    if c.is_ascii_digit() {
                        d += 1;
                        if year_at.is_some_and(|y| (y..y + 4).contains(&(d - 1))) { c } else { '*' }
                    } else if c.is_ascii_alphabetic() {
                        '*'
                    } else {
                        c
                    }
                })
                .collect()
        }
        PiiCategory::Address => match text.rsplit_once([',', '，']) {
            Some((head, tail)) => {
                format!("{}{}{tail}", mask_chars(head, '*', |_, _| false), &text[head.len()..][..1])
            }
            None => {
                let keep = alnum.div_ceil(4);
                mask_chars(text, '*', |i, _| i < keep)
            }
        },
        PiiCategory::IpAddress => {
            if text.contains(':') {
                let mut seen_colon = false;
                text.chars()
                    .map(|c| {
                        seen_colon |= c == ':';
                        if seen_colon && c.is_ascii_hexdigit() { '*' } else { c }
                    })
                    .collect()
            } else {
                let mut dots = 0;
                text.chars()
                    .map(|c| {
                        dots += usize::from(c == '.');
                        if dots >= 2 && c.is_ascii_digit() { '*' } else { c }
                    })
                    .collect()
            }
        }
        _ => mask_chars(text, '*', |i, _| i == 0),
    }
}

/// Index (among the digits of `text`) of the first digit of a 4-digit year run, if any.
fn year_position(text: &str) -> Option<usize> {
    let mut d = 0;
    let mut run_start = 0;
    let mut run = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if run == 0 {
                run_start = d;
            }
            run += 1;
            d += 1;
        } else {
            if run == 4 {
                return Some(run_start);
            }
            run = 0;
        }
    }
    (run == 4).then_some(run_start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pdpo_core::{Identifier, Key};

    #[test]
    fn partial_masks() {
        let cases = [
            (PiiCategory::Hkid, "A123456(3)", "A123XXX(X)"),
            (PiiCategory::Hkid, "AB987654(3)", "AB987XXX(X)"),
            (PiiCategory::Phone, "+852 9123 4567", "+852 **** 4567"),
            (PiiCategory::Phone, "00852-2123-4567", "00852-****-4567"),
            (PiiCategory::Phone, "91234567", "****4567"),
            (PiiCategory::Email, "chan@example.com.hk", "c***@example.com.hk"),
            (PiiCategory::CardNumber, "4111 1111 1111 1111", "**** **** **** 1111"),
            (PiiCategory::Passport, "K12345678", "K******78"),
            (PiiCategory::NationalId, "11010519491231002X", "1***************2X"),
            (PiiCategory::Name, "Chan Tai Man", "C*** T** M**"),
            (PiiCategory::Name, "陳大文", "陳**"),
            (PiiCategory::DateOfBirth, "15/03/1985", "**/**/1985"),
            (PiiCategory::DateOfBirth, "1985年3月15日", "1985年*月**日"),
            (PiiCategory::DateOfBirth, "15 March 1985", "** ***** 1985"),
            (PiiCategory::Address, "Flat B, 12/F, Mong Kok, Kowloon", "**** *, **/*, **** ***, Kowloon"),
            (PiiCategory::IpAddress, "203.0.113.7", "203.0.***.*"),
            (PiiCategory::IpAddress, "2001:db8::1", "2001:***::*"),
        ];
        for (c, input, want) in cases {
            assert_eq!(partial_mask(&c, input), want, "{c} {input}");
        }
    }

    #[test]
    fn unknown_roles_see_nothing_and_json_paths_are_masked() {
        let policy = MaskPolicy::new().rule("agent", PiiCategory::Email, MaskAction::Partial);
        let doc =
            serde_json::json!({"emails": [{"address": "chan@example.com", "label": "home"}], "vip": true});
        let record = Record::new(Identifier::new("contacts").unwrap(), Key::from(1))
            .with("custom", Value::Json(doc))
            .with("phone", "91234567")
            .with("notes", "hello");
        let tags = FieldTags::new().column("phone", PiiCategory::Phone).json_path(
            "custom",
            "$.emails[*].address".parse().unwrap(),
            PiiCategory::Email,
        );
        let seen = policy.apply("agent", &record, &tags);
        assert_eq!(
            seen.get("custom"),
            Some(&Value::Json(
                serde_json::json!({"emails": [{"address": "c***@example.com", "label": "home"}], "vip": true})
            ))
        );
        assert_eq!(seen.get("phone").unwrap().render(), "[PHONE]");
        assert_eq!(seen.get("notes").unwrap().render(), "hello");
        let stranger = policy.apply("intern", &record, &tags);
        assert_eq!(stranger.get("phone").unwrap().render(), "[PHONE]");
    }

    #[test]
    fn free_text_is_scrubbed_by_finding_category() {
        let policy = MaskPolicy::new()
            .rule("agent", PiiCategory::FreeText, MaskAction::Partial)
            .rule("agent", PiiCategory::Phone, MaskAction::Partial)
            .with_scanner(Scanner::hong_kong().unwrap());
        let out = policy.mask_text("agent", &PiiCategory::FreeText, "客戶HKID A123456(3)，電話91234567");
        assert_eq!(out, "客戶HKID [HKID]，電話****4567");
    }

    #[test]
    fn policy_loads_from_json() {
        let p: MaskPolicy =
            serde_json::from_str(r#"{"roles": {"agent": {"phone": "partial", "custom:staff_no": "show"}}}"#)
                .unwrap();
        assert_eq!(p.action("agent", &PiiCategory::Phone), MaskAction::Partial);
        assert_eq!(p.action("agent", &PiiCategory::Custom("staff_no".into())), MaskAction::Show);
        assert_eq!(p.action("agent", &PiiCategory::Hkid), MaskAction::Hide);
    }
}
