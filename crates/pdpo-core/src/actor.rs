//! Who acts, and why: [`Actor`] and [`Purpose`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Identifier;

/// What kind of party an [`Actor`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ActorKind {
    /// A member of staff using the CRM.
    User,
    /// An automated job of the data user (retention runs, scheduled exports).
    System,
    /// Another service calling through an API (a data processor, an integration).
    Service,
}

impl ActorKind {
    /// The snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::System => "system",
            Self::Service => "service",
        }
    }
}

/// Who did something: recorded in every audit event.
///
/// The id is an [`Identifier`] (a staff number or account name, not an email address), so the
/// audit log names actors without holding their contact details.
///
/// ```
/// use pdpo_core::Actor;
/// let a = Actor::user("staff-17")?;
/// assert_eq!(a.to_string(), "user:staff-17");
/// # Ok::<(), pdpo_core::InvalidIdentifier>(())
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Actor {
    /// Kind of party.
    pub kind: ActorKind,
    /// Stable id of the party.
    pub id: Identifier,
}

impl Actor {
    /// A member of staff.
    pub fn user(id: impl AsRef<str>) -> Result<Self, crate::InvalidIdentifier> {
        Ok(Self { kind: ActorKind::User, id: Identifier::new(id)? })
    }

    /// An automated job, e.g. `Actor::system("retention")`.
    pub fn system(id: impl AsRef<str>) -> Result<Self, crate::InvalidIdentifier> {
        Ok(Self { kind: ActorKind::System, id: Identifier::new(id)? })
    }

    /// Another service.
    pub fn service(id: impl AsRef<str>) -> Result<Self, crate::InvalidIdentifier> {
        Ok(Self { kind: ActorKind::Service, id: Identifier::new(id)? })
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.id)
    }
}

impl fmt::Debug for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Actor({self})")
    }
}

/// A purpose for which personal data is collected and used (DPP1(1), DPP3): `billing`,
/// `direct_marketing`, `customer_service`, ...
///
/// Purposes are declared in the schema and fields list the purposes they serve; an access made
/// for a purpose the field does not serve is a use for a "new purpose" under DPP3 and needs the
/// data subject's prescribed consent.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Purpose(pub Identifier);

impl Purpose {
    /// A purpose by name.
    pub fn new(name: impl AsRef<str>) -> Result<Self, crate::InvalidIdentifier> {
        Identifier::new(name).map(Self)
    }

    /// The purpose's name.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl fmt::Debug for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Purpose({})", self.0)
    }
}
