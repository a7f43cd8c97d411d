//! Refusal grounds: s.20 for data access requests, s.24 for data correction requests, and the
//! s.28(5) unpaid fee.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::RequestKind;

/// A ground for refusing a request, with its section (recorded in the s.27 log book and cited in
/// the s.21 / s.25 notice; citing the ground or section has been accepted as sufficient reasons).
///
/// Variant names are the log-book codes (`S20_3_b` is s.20(3)(b)), so they read like the statute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[allow(non_camel_case_types)]
pub enum RefusalGround {
    /// s.20(1)(a): the requestor's identity (or a relevant person's identity or authority) is not established.
    S20_1_a,
    /// s.20(1)(b): compliance would disclose another individual's personal data without consent
    /// (redact instead where possible, s.20(2)).
    S20_1_b,
    /// s.20(1)(c): compliance is prohibited under this or any other Ordinance.
    S20_1_c,
    /// s.20(3)(a): the request is not in writing in Chinese or English.
    S20_3_a,
    /// s.20(3)(b): insufficient information to locate the data.
    S20_3_b,
    /// s.20(3)(c): follows two or more similar requests and is unreasonable in all the circumstances.
    S20_3_c,
    /// s.20(3)(d): another data user controls the use of the data so as to prohibit compliance.
    S20_3_d,
    /// s.20(3)(e): not made in the form specified under s.67.
    S20_3_e,
    /// s.20(3)(ea): the data user is entitled under this or any other Ordinance not to comply.
    S20_3_ea,
    /// s.20(3)(f): refusal otherwise permitted (e.g. a Part 8 exemption; cite the section in the reasons).
    S20_3_f,
    /// s.28(5): a fee was imposed and has not been paid.
    S28_5,
    /// s.24(1): the requestor's identity is not established (unless they made the preceding access request).
    S24_1,
    /// s.24(3)(a): the correction request is not in writing in Chinese or English.
    S24_3_a,
    /// s.24(3)(b): the data user is not satisfied that the data are inaccurate.
    S24_3_b,
    /// s.24(3)(c): not given the information needed to see how the data are inaccurate.
    S24_3_c,
    /// s.24(3)(d): not satisfied that the requested correction is accurate.
    S24_3_d,
    /// s.24(3)(e): another data user controls the processing of the data.
    S24_3_e,
}

impl RefusalGround {
    /// Every ground.
    pub const ALL: [RefusalGround; 17] = [
        Self::S20_1_a,
        Self::S20_1_b,
        Self::S20_1_c,
        Self::S20_3_a,
        Self::S20_3_b,
        Self::S20_3_c,
        Self::S20_3_d,
        Self::S20_3_e,
        Self::S20_3_ea,
        Self::S20_3_f,
        Self::S28_5,
        Self::S24_1,
        Self::S24_3_a,
        Self::S24_3_b,
        Self::S24_3_c,
        Self::S24_3_d,
        Self::S24_3_e,
    ];

    /// The stable code, e.g. `S20_3_b`.
    pub fn code(self) -> &'static str {
        match self {
            Self::S20_1_a => "S20_1_a",
            Self::S20_1_b => "S20_1_b",
            Self::S20_1_c => "S20_1_c",
            Self::S20_3_a => "S20_3_a",
            Self::S20_3_b => "S20_3_b",
            Self::S20_3_c => "S20_3_c",
            Self::S20_3_d => "S20_3_d",
            Self::S20_3_e => "S20_3_e",
            Self::S20_3_ea => "S20_3_ea",
            Self::S20_3_f => "S20_3_f",
            Self::S28_5 => "S28_5",
            Self::S24_1 => "S24_1",
            Self::S24_3_a => "S24_3_a",
            Self::S24_3_b => "S24_3_b",
            Self::S24_3_c => "S24_3_c",
            Self::S24_3_d => "S24_3_d",
            Self::S24_3_e => "S24_3_e",
        }
    }

    /// The ground with this code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.code() == code)
    }

    /// The section, as cited: `s.20(3)(b)`.
    pub fn section(self) -> &'static str {
        match self {
            Self::S20_1_a => "s.20(1)(a)",
            Self::S20_1_b => "s.20(1)(b)",
            Self::S20_1_c => "s.20(1)(c)",
            Self::S20_3_a => "s.20(3)(a)",
            Self::S20_3_b => "s.20(3)(b)",
            Self::S20_3_c => "s.20(3)(c)",
            Self::S20_3_d => "s.20(3)(d)",
            Self::S20_3_e => "s.20(3)(e)",
            Self::S20_3_ea => "s.20(3)(ea)",
            Self::S20_3_f => "s.20(3)(f)",
            Self::S28_5 => "s.28(5)",
            Self::S24_1 => "s.24(1)",
            Self::S24_3_a => "s.24(3)(a)",
            Self::S24_3_b => "s.24(3)(b)",
            Self::S24_3_c => "s.24(3)(c)",
            Self::S24_3_d => "s.24(3)(d)",
            Self::S24_3_e => "s.24(3)(e)",
        }
    }

    /// Whether the data user *must* refuse on this ground (s.20(1), s.24(1)) rather than *may*.
    pub fn is_mandatory(self) -> bool {
        matches!(self, Self::S20_1_a | Self::S20_1_b | Self::S20_1_c | Self::S24_1)
    }

    /// Whether the ground applies to requests of `kind` (s.20 and s.28(5) to access, s.24 to correction).
    pub fn applies_to(self, kind: RequestKind) -> bool {
        match kind {
            RequestKind::Access => !self.code().starts_with("S24"),
            RequestKind::Correction => self.code().starts_with("S24"),
            _ => false,
        }
    }

    /// Whether the notice must name the other data user and its address (s.21(1)(c), s.25(1)).
    pub fn names_other_data_user(self) -> bool {
        matches!(self, Self::S20_3_d | Self::S24_3_e)
    }

    /// The ground in English.
    pub fn text_en(self) -> &'static str {
        match self {
            Self::S20_1_a => {
                "the identity of the requestor (or the authority of the person acting for them) has not been established"
            }
            Self::S20_1_b => {
                "complying would disclose personal data of another individual who has not consented"
            }
            Self::S20_1_c => "complying is prohibited under an Ordinance",
            Self::S20_3_a => "the request is not in writing in Chinese or English",
            Self::S20_3_b => "the information reasonably required to locate the data has not been supplied",
            Self::S20_3_c => {
                "the request follows two or more similar requests and complying is unreasonable in all the circumstances"
            }
            Self::S20_3_d => "another data user controls the use of the data so as to prohibit compliance",
            Self::S20_3_e => "the request is not made in the form specified by the Privacy Commissioner",
            Self::S20_3_ea => "the data user is entitled under an Ordinance not to comply",
            Self::S20_3_f => "refusal is otherwise permitted under the Ordinance",
            Self::S28_5 => "the fee for complying with the request has not been paid",
            Self::S24_1 => "the identity of the requestor has not been established",
            Self::S24_3_a => "the correction request is not in writing in Chinese or English",
            Self::S24_3_b => "the data user is not satisfied that the data are inaccurate",
            Self::S24_3_c => {
                "the information needed to ascertain how the data are inaccurate has not been supplied"
            }
            Self::S24_3_d => "the data user is not satisfied that the requested correction is accurate",
            Self::S24_3_e => {
                "another data user controls the processing of the data so as to prohibit compliance"
            }
        }
    }

    /// The ground in Traditional Chinese.
    pub fn text_zh(self) -> &'static str {
        match self {
            Self::S20_1_a => "未能確立提出要求者的身分（或代其行事者的權限）",
            Self::S20_1_b => "依從要求會披露另一名未有同意的個人的個人資料",
            Self::S20_1_c => "依從要求是任何條例所禁止的",
            Self::S20_3_a => "要求並非以中文或英文書面提出",
            Self::S20_3_b => "未有提供為尋找有關資料而合理地需要的資料",
            Self::S20_3_c => "要求是在兩次或以上的相類要求之後提出，而依從要求在有關情況下屬不合理",
            Self::S20_3_d => "另一資料使用者控制有關資料的使用，以致禁止依從要求",
            Self::S20_3_e => "要求並非以私隱專員指明的表格提出",
            Self::S20_3_ea => "資料使用者根據條例有權不依從要求",
            Self::S20_3_f => "條例在其他方面准許拒絕依從要求",
            Self::S28_5 => "依從要求的費用尚未繳付",
            Self::S24_1 => "未能確立提出要求者的身分",
            Self::S24_3_a => "改正要求並非以中文或英文書面提出",
            Self::S24_3_b => "資料使用者不信納有關資料不準確",
            Self::S24_3_c => "未有提供為確定有關資料如何不準確而需要的資料",
            Self::S24_3_d => "資料使用者不信納所要求的改正是準確的",
            Self::S24_3_e => "另一資料使用者控制有關資料的處理，以致禁止依從要求",
        }
    }
}

impl fmt::Display for RefusalGround {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.section())
    }
}
