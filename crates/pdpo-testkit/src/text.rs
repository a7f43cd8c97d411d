//! Free text that mentions personal data, with the ground truth of what it mentions.
//!
//! Templates in English, Traditional Chinese and mixed Cantonese-English are filled from a
//! [`Person`]; every inserted value is recorded as a [`PiiSpan`] (byte range, category, whose data).
//! Some templates mention nothing, so detectors meet true negatives too.

use std::ops::Range;

use pdpo_core::PiiCategory;

use crate::hk;
use crate::ids::{HkidFormat, PHONE_FORMATS, format_hk_phone, format_hkid};
use crate::person::Person;
use crate::rng::Rng;

/// One piece of personal data inside a generated text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PiiSpan {
    /// What it is.
    pub category: PiiCategory,
    /// Where: UTF-8 byte offsets into the text (always on character boundaries).
    pub range: Range<usize>,
    /// Whose it is: the contact id of the person it identifies or describes.
    pub contact: i64,
}

/// Placeholders of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// `CHAN Tai Man`.
    NameEn,
    /// `陳大文`.
    NameZh,
    /// `Chan`.
    Surname,
    /// `Peter Chan` / `Tai Man`.
    Informal,
    /// `Mr` / `Ms` (not personal data on its own).
    TitleEn,
    /// `先生` / `小姐` (not personal data on its own).
    TitleZh,
    /// The mobile number in a random format.
    Phone,
    /// The primary email.
    Email,
    /// The HKID in a random format.
    Hkid,
    /// English address.
    AddressEn,
    /// Chinese address.
    AddressZh,
    /// Date of birth, `1985-03-12` or `12/03/1985`.
    Dob,
    /// Date of birth, `1985年3月12日`.
    DobZh,
    /// HKSAR passport number.
    Passport,
    /// Mainland Resident Identity Card number.
    MainlandId,
    /// A public test card number.
    Card,
}

use Slot as S;

/// A template: literal text and slots, alternating as written.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Part {
    /// Literal text.
    L(&'static str),
    /// A placeholder.
    P(Slot),
}

use Part::{L, P};

/// What a staff member writes about a contact (notes, activities, company notes).
pub(crate) const ABOUT: &[&[Part]] = &[
    // English
    &[
        L("Called "),
        P(S::NameEn),
        L(" on "),
        P(S::Phone),
        L(" about the renewal; confirmed email "),
        P(S::Email),
        L("."),
    ],
    &[L("Customer "), P(S::NameEn), L(" provided HKID "), P(S::Hkid), L(" for verification at the counter.")],
    &[L("Delivery address updated to "), P(S::AddressEn), L(".")],
    &[L("DOB "), P(S::Dob), L(" confirmed by phone. Prefers to be contacted by email only.")],
    &[L("Please ring "), P(S::Informal), L(" back at "), P(S::Phone), L(" after 6pm.")],
    &[L("Follow up next week regarding the quotation.")],
    &[L("Passport no. "), P(S::Passport), L(" recorded for the overseas booking.")],
    &[L("Paid by card "), P(S::Card), L("; customer asked us not to keep it on file.")],
    &[L("Sent the brochure and price list. No reply yet.")],
    // Traditional Chinese
    &[P(S::NameZh), P(S::TitleZh), L("致電查詢報價，電話"), P(S::Phone), L("。")],
    &[L("客戶"), P(S::NameZh), L("已提供身份證號碼"), P(S::Hkid), L("作核實。")],
    &[L("新通訊地址："), P(S::AddressZh)],
    &[L("請於星期五前回覆客戶。")],
    &[L("客戶出生日期"), P(S::DobZh), L("，已核對。")],
    &[L("內地身份證號碼"), P(S::MainlandId), L("，用作開戶。")],
    // Mixed Cantonese-English
    &[P(S::TitleEn), L(" "), P(S::Surname), L("話佢電話係"), P(S::Phone), L("，HKID "), P(S::Hkid)],
    &[P(S::Informal), L("話想改address去"), P(S::AddressZh), L("，email係"), P(S::Email)],
    &[L("已send咗quotation俾"), P(S::NameZh), L("，佢話OK。")],
    &[L("同"), P(S::Informal), L("講咗，佢下個月先renew。")],
    &[P(S::TitleEn), L(" "), P(S::Surname), L(" call嚟話唔想再收SMS，已update咗。")],
    &[L("個client話下星期先覆，唔使急。")],
];

/// What a contact writes about themselves (messages they send).
pub(crate) const SELF: &[&[Part]] = &[
    &[L("Hi, this is "), P(S::NameEn), L(". My new number is "), P(S::Phone), L(".")],
    &[L("Please send the invoice to "), P(S::Email), L(" instead.")],
    &[L("Thanks, see you on Monday.")],
    &[L("My address is "), P(S::AddressEn), L(", please deliver after 7pm.")],
    &[L("你好，我係"), P(S::NameZh), L("，我嘅電話係"), P(S::Phone), L("。")],
    &[L("唔該寄去"), P(S::AddressZh), L("。")],
    &[L("收到，多謝！")],
    &[L("Hi, 我個email改咗做"), P(S::Email), L("，thx")],
    &[L("我嘅HKID係"), P(S::Hkid), L("，請幫我check下。")],
    &[L("OK, 聽日call我"), P(S::Phone), L("。")],
    &[L("When will my order arrive?")],
];

/// What staff write to a contact (outbound messages).
pub(crate) const TO: &[&[Part]] = &[
    &[L("Dear "), P(S::TitleEn), L(" "), P(S::Surname), L(", your appointment is confirmed.")],
    &[P(S::NameZh), P(S::TitleZh), L("你好，你的訂單已經寄出。")],
    &[L("Hi "), P(S::Informal), L(", 收到你嘅文件，thanks!")],
    &[L("Dear "), P(S::NameEn), L(", we have updated your address to "), P(S::AddressEn), L(".")],
    &[L("Thank you for your enquiry. We will reply within 2 working days.")],
    &[L("多謝查詢，我哋會盡快回覆。")],
];

/// What a contact writes to another contact about the recipient (group chats, referrals).
pub(crate) const TO_PEER: &[&[Part]] = &[
    &[L("Hi "), P(S::Informal), L(", is your email still "), P(S::Email), L("?")],
    &[P(S::Informal), L("，你個地址係咪"), P(S::AddressZh), L("？")],
    &[L("I gave them your number "), P(S::Phone), L(", hope that's OK.")],
    &[L("幫你book咗，用咗你個HKID "), P(S::Hkid), L("。")],
    &[L("See you at the meeting.")],
];

/// Conversation topics.
pub(crate) const TOPICS: &[&[Part]] = &[
    &[L("Quotation follow-up")],
    &[L("Delivery arrangement")],
    &[L("報價查詢")],
    &[L("Renewal for "), P(S::Informal)],
    &[P(S::NameZh), L("的投訴")],
    &[L("Invoice query")],
];

/// A text being built, with its spans.
#[derive(Debug, Default)]
pub(crate) struct Text {
    pub(crate) text: String,
    pub(crate) spans: Vec<PiiSpan>,
}

impl Text {
    pub(crate) fn lit(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    pub(crate) fn pii(&mut self, category: PiiCategory, value: &str, contact: i64) -> &mut Self {
        let start = self.text.len();
        self.text.push_str(value);
        self.spans.push(PiiSpan { category, range: start..self.text.len(), contact });
        self
    }

    /// Appends `template` filled from `person` (contact `contact`).
    pub(crate) fn fill(
        &mut self,
        template: &[Part],
        person: &Person,
        contact: i64,
        r: &mut Rng,
    ) -> &mut Self {
        for part in template {
            match *part {
                L(s) => {
                    self.lit(s);
                }
                P(slot) => {
                    let (category, value) = render(slot, person, r);
                    match category {
                        Some(c) => self.pii(c, &value, contact),
                        None => self.lit(&value),
                    };
                }
            }
        }
        self
    }
}

fn render(slot: Slot, p: &Person, r: &mut Rng) -> (Option<PiiCategory>, String) {
    use PiiCategory as C;
    match slot {
        S::NameEn => (Some(C::Name), p.name_legal()),
        S::NameZh => (Some(C::Name), p.name_zh()),
        S::Surname => (Some(C::Name), p.surname.to_owned()),
        S::Informal => (Some(C::Name), p.informal()),
        S::TitleEn => (None, p.title_en().to_owned()),
        S::TitleZh => (None, p.title_zh().to_owned()),
        S::Phone => (Some(C::Phone), format_hk_phone(&p.mobile, *r.pick(&PHONE_FORMATS))),
        S::Email => (Some(C::Email), p.email()),
        S::Hkid => {
            let f = *r.pick(&[
                HkidFormat::Brackets,
                HkidFormat::Brackets,
                HkidFormat::SpacedBrackets,
                HkidFormat::Compact,
            ]);
            (Some(C::Hkid), format_hkid(&p.hkid, f))
        }
        S::AddressEn => (Some(C::Address), p.address.en.clone()),
        S::AddressZh => (Some(C::Address), p.address.zh.clone()),
        S::Dob => {
            let d = if r.chance(0.5) { p.dob.format("%Y-%m-%d") } else { p.dob.format("%d/%m/%Y") };
            (Some(C::DateOfBirth), d.to_string())
        }
        S::DobZh => (Some(C::DateOfBirth), p.dob.format("%Y年%-m月%-d日").to_string()),
        S::Passport => (Some(C::Passport), p.passport.clone()),
        S::MainlandId => (Some(C::NationalId), p.mainland_id.clone()),
        S::Card => (Some(C::CardNumber), (*r.pick(hk::TEST_CARDS)).to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::person::Spaces;

    #[test]
    fn every_template_fills_with_exact_spans() {
        let spaces = Spaces::new(5);
        let p = Person::generate(5, &spaces, 12);
        let mut r = Rng::new(5, 99, 0);
        for t in ABOUT.iter().chain(SELF).chain(TO).chain(TO_PEER).chain(TOPICS) {
            let mut text = Text::default();
            text.fill(t, &p, 12, &mut r);
            let slots =
                t.iter().filter(|p| matches!(p, P(s) if !matches!(s, S::TitleEn | S::TitleZh))).count();
            assert_eq!(text.spans.len(), slots, "{}", text.text);
            for s in &text.spans {
                assert!(text.text.is_char_boundary(s.range.start) && text.text.is_char_boundary(s.range.end));
                assert!(!s.range.is_empty());
                assert_eq!(s.contact, 12);
            }
        }
    }
}
