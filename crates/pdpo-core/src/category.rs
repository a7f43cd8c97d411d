//! Categories of personal data.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The kind of personal data a field (or a span of text) holds.
///
/// Written in snake case in files (`pdpo.toml`, JSON reports): `hkid`, `date_of_birth`, and
/// `custom:<name>` for a category of the integrator's own, such as `custom:employee_number`.
///
/// ```
/// use pdpo_core::PiiCategory;
/// let c: PiiCategory = "hkid".parse()?;
/// assert_eq!(c, PiiCategory::Hkid);
/// assert_eq!(c.to_string(), "hkid");
/// let own: PiiCategory = "custom:member_no".parse()?;
/// assert_eq!(own.to_string(), "custom:member_no");
/// # Ok::<(), pdpo_core::UnknownCategory>(())
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum PiiCategory {
    /// A person's name, in any script.
    Name,
    /// An email address.
    Email,
    /// A telephone number.
    Phone,
    /// A Hong Kong Identity Card number (see the PCPD Code of Practice on the Identity Card Number).
    Hkid,
    /// A passport number.
    Passport,
    /// A national identity number other than the HKID (Mainland resident ID, Macau ID, Home Return Permit).
    NationalId,
    /// A tax identifier.
    TaxId,
    /// A date of birth.
    DateOfBirth,
    /// A postal or residential address.
    Address,
    /// A bank account number.
    BankAccount,
    /// A payment card number.
    CardNumber,
    /// Salary or other remuneration.
    Salary,
    /// Free text that may mention anything (notes, message bodies).
    FreeText,
    /// A social network handle or profile link.
    SocialProfile,
    /// An IP address.
    IpAddress,
    /// A file about a person (scanned documents, photos), kept in a blob store.
    Attachment,
    /// A category defined by the integrator: `custom:<name>`.
    Custom(String),
}

/// Every built-in category, in declaration order.
pub const BUILTIN_CATEGORIES: [PiiCategory; 16] = [
    PiiCategory::Name,
    PiiCategory::Email,
    PiiCategory::Phone,
    PiiCategory::Hkid,
    PiiCategory::Passport,
    PiiCategory::NationalId,
    PiiCategory::TaxId,
    PiiCategory::DateOfBirth,
    PiiCategory::Address,
    PiiCategory::BankAccount,
    PiiCategory::CardNumber,
    PiiCategory::Salary,
    PiiCategory::FreeText,
    PiiCategory::SocialProfile,
    PiiCategory::IpAddress,
    PiiCategory::Attachment,
];

impl PiiCategory {
    /// The snake-case name used in files, or `custom` for a custom category (see [`fmt::Display`]
    /// for the full `custom:<name>` form).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Name => "name",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Hkid => "hkid",
            Self::Passport => "passport",
            Self::NationalId => "national_id",
            Self::TaxId => "tax_id",
            Self::DateOfBirth => "date_of_birth",
            Self::Address => "address",
            Self::BankAccount => "bank_account",
            Self::CardNumber => "card_number",
            Self::Salary => "salary",
            Self::FreeText => "free_text",
            Self::SocialProfile => "social_profile",
            Self::IpAddress => "ip_address",
            Self::Attachment => "attachment",
            Self::Custom(_) => "custom",
        }
    }

    /// A label for placeholders and reports: `HKID`, `PHONE`, `EMAIL`, ...
    pub fn label(&self) -> String {
        match self {
            Self::Custom(name) => name.to_ascii_uppercase(),
            other => other.as_str().to_ascii_uppercase(),
        }
    }

    /// Whether the category identifies a person on its own (an identity document or account number),
    /// which the HKID Code of Practice and DPP1(1)(c) ask data users to collect only when necessary.
    pub fn is_identifier(&self) -> bool {
        matches!(
            self,
            Self::Hkid
                | Self::Passport
                | Self::NationalId
                | Self::TaxId
                | Self::BankAccount
                | Self::CardNumber
        )
    }
}

impl fmt::Display for PiiCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Custom(name) => write!(f, "custom:{name}"),
            other => f.write_str(other.as_str()),
        }
    }
}

impl fmt::Debug for PiiCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A category name that is neither built in nor a valid `custom:<name>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown personal data category `{0}` (expected one of {list}, or custom:<name>)", list = builtin_list())]
pub struct UnknownCategory(pub String);

fn builtin_list() -> String {
    BUILTIN_CATEGORIES.iter().map(PiiCategory::as_str).collect::<Vec<_>>().join(", ")
}

impl FromStr for PiiCategory {
    type Err = UnknownCategory;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(name) = s.strip_prefix("custom:") {
            if crate::ident::is_identifier(name) {
                return Ok(Self::Custom(name.to_owned()));
            }
            return Err(UnknownCategory(s.to_owned()));
        }
        BUILTIN_CATEGORIES
            .iter()
            .find(|c| c.as_str() == s)
            .cloned()
            .ok_or_else(|| UnknownCategory(s.to_owned()))
    }
}

impl Serialize for PiiCategory {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PiiCategory {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_round_trips_through_its_name() {
        for c in BUILTIN_CATEGORIES {
            assert_eq!(c.to_string().parse::<PiiCategory>().unwrap(), c);
        }
    }

    #[test]
    fn rejects_unknown_and_bad_custom_names() {
        assert!("hkid_number".parse::<PiiCategory>().is_err());
        assert!("custom:".parse::<PiiCategory>().is_err());
        assert!("custom:a b".parse::<PiiCategory>().is_err());
        let err = "emial".parse::<PiiCategory>().unwrap_err();
        assert!(err.to_string().contains("`emial`"));
    }

    #[test]
    fn serde_uses_snake_case_strings() {
        let json = serde_json::to_string(&PiiCategory::DateOfBirth).unwrap();
        assert_eq!(json, "\"date_of_birth\"");
        let back: PiiCategory = serde_json::from_str("\"custom:staff_no\"").unwrap();
        assert_eq!(back, PiiCategory::Custom("staff_no".into()));
    }
}
