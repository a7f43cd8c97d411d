//! Requester resolution: every subject record that is the same person, with the evidence.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::NaiveDate;
use pdpo_core::{DataStore, Key, PiiCategory, Record, StoreError, Value};
use pdpo_crypto::{IndexKind, KeyEncryptionKey, KeyRing, KeyStore};
use serde::Serialize;

/// What the requestor told us about themselves. `Debug` shows which items are present, never them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    /// Email address.
    pub email: Option<String>,
    /// Phone number (any Hong Kong format: `+852 9123 4567`, `91234567`, `(852) 9123-4567`).
    pub phone: Option<String>,
    /// HKID number (any written form: `A123456(3)`, `a1234563`).
    pub hkid: Option<String>,
    /// Name (matched only together with the date of birth).
    pub name: Option<String>,
    /// Date of birth (matched only together with the name).
    pub date_of_birth: Option<NaiveDate>,
}

impl fmt::Debug for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Evidence")
            .field("email", &self.email.as_ref().map(|_| "<given>"))
            .field("phone", &self.phone.as_ref().map(|_| "<given>"))
            .field("hkid", &self.hkid.as_ref().map(|_| "<given>"))
            .field("name", &self.name.as_ref().map(|_| "<given>"))
            .field("date_of_birth", &self.date_of_birth.as_ref().map(|_| "<given>"))
            .finish()
    }
}

/// Which piece of evidence matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedOn {
    /// Same email address (case and spaces ignored).
    Email,
    /// Same phone number (formatting and the +852 prefix ignored).
    Phone,
    /// Same HKID (case, spaces and brackets ignored).
    Hkid,
    /// Same name and same date of birth.
    NameAndDateOfBirth,
}

/// A subject record that matches the requestor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectMatch {
    /// The subject record's key.
    pub key: Key,
    /// The evidence that matched, strongest first.
    pub matched_on: Vec<MatchedOn>,
}

/// Normalised email: trimmed, lower case.
pub fn normalise_email(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Normalised Hong Kong phone: digits only, without a leading `852` / `00852` country code.
pub fn normalise_phone(s: &str) -> String {
    let digits: String =
        s.chars().filter_map(|c| c.to_digit(10).and_then(|d| char::from_digit(d, 10))).collect();
    let d = digits
        .strip_prefix("00852")
        .or_else(|| digits.strip_prefix("852").filter(|r| r.len() == 8))
        .unwrap_or(&digits);
    d.to_owned()
}

/// Normalised HKID: upper case, without spaces and brackets.
pub fn normalise_hkid(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

fn normalise_name(s: &str) -> String {
    s.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ")
}

/// Finds the subject records of the same person.
///
/// - [`resolve`](Self::resolve) scans the subject entity page by page and compares normalised
///   values of the fields tagged email, phone, HKID, name and date of birth (JSON path tags
///   included).
/// - [`resolve_indexed`](Self::resolve_indexed) looks emails, phones and HKIDs up in pdpo-crypto's
///   blind index (one keyed lookup each, whatever the number of records, and encrypted fields
///   included), and scans only for what the index cannot answer: name and date of birth, a kind
///   the tenant has no index rows of, or a value the index's normalisation rejects (a non-Hong
///   Kong phone number, say).
#[derive(Debug, Clone, Copy, Default)]
pub struct Resolver {
    /// Records per scanned page.
    pub page_size: usize,
}

impl Resolver {
    /// A resolver scanning 1,000 records a page.
    pub fn new() -> Self {
        Self { page_size: 1_000 }
    }

    /// Every subject record matching `evidence`, by key.
    pub async fn resolve<D: DataStore>(
        &self,
        store: &D,
        evidence: &Evidence,
    ) -> Result<Vec<SubjectMatch>, StoreError> {
        let schema = store.schema();
        let entity = schema.subject_entity();
        let want_email = evidence.email.as_deref().map(normalise_email);
        let want_phone = evidence.phone.as_deref().map(normalise_phone).filter(|p| !p.is_empty());
        let want_hkid = evidence.hkid.as_deref().map(normalise_hkid).filter(|h| !h.is_empty());
        let want_name = evidence.name.as_deref().map(normalise_name);
        let mut out = Vec::new();
        let mut after: Option<Key> = None;
        loop {
            let page = store.scan_page(&entity.name, after.as_ref(), self.page_size.max(1)).await?;
            for r in &page.records {
                let values = |cat: PiiCategory| values_of(entity, r, &cat);
                let mut matched = Vec::new();
                if let Some(w) = &want_email
                    && values(PiiCategory::Email).iter().any(|v| normalise_email(v) == *w)
                {
                    matched.push(MatchedOn::Email);
                }
                if let Some(w) = &want_phone
                    && values(PiiCategory::Phone).iter().any(|v| normalise_phone(v) == *w)
                {
                    matched.push(MatchedOn::Phone);
                }
                if let Some(w) = &want_hkid
                    && values(PiiCategory::Hkid).iter().any(|v| normalise_hkid(v) == *w)
                {
                    matched.push(MatchedOn::Hkid);
                }
                if let (Some(n), Some(dob)) = (&want_name, evidence.date_of_birth) {
                    let name_ok = values(PiiCategory::Name).iter().any(|v| normalise_name(v) == *n);
                    let dob_ok = values(PiiCategory::DateOfBirth)
                        .iter()
                        .any(|v| v.parse::<NaiveDate>().ok() == Some(dob));
                    if name_ok && dob_ok {
                        matched.push(MatchedOn::NameAndDateOfBirth);
                    }
                }
                if !matched.is_empty() {
                    matched.sort();
                    out.push(SubjectMatch { key: r.key.clone(), matched_on: matched });
                }
            }
            match page.next {
                Some(k) => after = Some(k),
                None => break,
            }
        }
        Ok(out)
    }
}

/// The kinds of evidence a blind index can answer, with their index kinds.
const INDEXED: [(MatchedOn, IndexKind); 3] = [
    (MatchedOn::Email, IndexKind::Email),
    (MatchedOn::Phone, IndexKind::HkPhone),
    (MatchedOn::Hkid, IndexKind::Hkid),
];

impl Resolver {
    /// Every subject matching `evidence`, by key, using the blind index of `ring`'s key store for
    /// emails, phones and HKIDs in `tenant` (see the [type docs](Self)).
    ///
    /// Each subject appears once; its evidence is the union of what the index and the scan found.
    /// For a kind the tenant has index rows of, only the index is asked: index every field of that
    /// kind (with [`KeyRing::index_value`]) or none.
    pub async fn resolve_indexed<D: DataStore, S: KeyStore, K: KeyEncryptionKey>(
        &self,
        store: &D,
        ring: &KeyRing<S, K>,
        tenant: Option<&str>,
        evidence: &Evidence,
    ) -> Result<Vec<SubjectMatch>, StoreError> {
        let mut found: BTreeMap<Key, BTreeSet<MatchedOn>> = BTreeMap::new();
        let mut rest = evidence.clone();
        for (on, kind) in INDEXED {
            let slot = match on {
                MatchedOn::Email => &mut rest.email,
                MatchedOn::Phone => &mut rest.phone,
                _ => &mut rest.hkid,
            };
            let Some(value) = slot.as_deref() else { continue };
            if !ring.store().has_index(tenant, kind.as_str()).await? {
                continue;
            }
            match ring.lookup(tenant, &kind, value).await {
                Ok(rows) => {
                    for row in rows {
                        found.entry(row.subject).or_default().insert(on);
                    }
                }
                // Not normalisable, so never indexed: leave it to the scan.
                Err(pdpo_crypto::Error::Normalise { .. }) => continue,
                Err(e) => return Err(e.into_store_error()),
            }
            *slot = None;
        }
        let scan_needed = rest.email.is_some()
            || rest.phone.is_some()
            || rest.hkid.is_some()
            || (rest.name.is_some() && rest.date_of_birth.is_some());
        if scan_needed {
            for m in self.resolve(store, &rest).await? {
                found.entry(m.key).or_default().extend(m.matched_on);
            }
        }
        Ok(found
            .into_iter()
            .map(|(key, on)| SubjectMatch { key, matched_on: on.into_iter().collect() })
            .collect())
    }
}

/// The text values of `record` in fields (and JSON paths) tagged `category`.
fn values_of(entity: &pdpo_core::Entity, record: &Record, category: &PiiCategory) -> Vec<String> {
    let mut out = Vec::new();
    for f in &entity.fields {
        let Some(v) = record.get(&f.name) else { continue };
        if f.category.as_ref() == Some(category) {
            match v {
                Value::Text(s) => out.push(s.clone()),
                Value::Date(d) => out.push(d.to_string()),
                Value::Timestamp(t) => out.push(t.date_naive().to_string()),
                _ => {}
            }
        }
        if let Value::Json(doc) = v {
            for tag in f.json.iter().filter(|t| t.category == *category) {
                out.extend(tag.path.select(doc).into_iter().filter_map(|j| j.as_str().map(str::to_owned)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisers() {
        assert_eq!(normalise_phone("+852 9123-4567"), "91234567");
        assert_eq!(normalise_phone("(852) 9123 4567"), "91234567");
        assert_eq!(normalise_phone("00852 91234567"), "91234567");
        assert_eq!(normalise_phone("8521 2345"), "85212345");
        assert_eq!(normalise_hkid("a123456(3)"), "A1234563");
        assert_eq!(normalise_email("  Chan@Example.HK "), "chan@example.hk");
    }

    #[test]
    fn evidence_debug_hides_values() {
        let e = Evidence { email: Some("chan@example.hk".into()), ..Evidence::default() };
        assert!(!format!("{e:?}").contains("chan"));
    }
}
