//! Plain-language meanings of the codes that appear in an export, in English and Traditional
//! Chinese, so the copy is intelligible (s.19(3)(b)): data categories, audit actions, actor kinds.

use pdpo_core::{ActorKind, AuditAction, PiiCategory};
use serde::Serialize;

/// A text in both languages of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Bilingual {
    /// English.
    pub en: &'static str,
    /// Traditional Chinese.
    pub zh_hant: &'static str,
}

const fn bi(en: &'static str, zh_hant: &'static str) -> Bilingual {
    Bilingual { en, zh_hant }
}

/// What a data category code means.
pub fn category_meaning(category: &PiiCategory) -> Bilingual {
    match category {
        PiiCategory::Name => bi("Your name", "你的姓名"),
        PiiCategory::Email => bi("An email address", "電郵地址"),
        PiiCategory::Phone => bi("A telephone number", "電話號碼"),
        PiiCategory::Hkid => bi("Hong Kong Identity Card number", "香港身份證號碼"),
        PiiCategory::Passport => bi("Passport number", "護照號碼"),
        PiiCategory::NationalId => bi(
            "Another identity document number (e.g. Mainland ID, Macau ID)",
            "其他身份證明文件號碼（例如內地或澳門身份證）",
        ),
        PiiCategory::TaxId => bi("Tax identification number", "稅務編號"),
        PiiCategory::DateOfBirth => bi("Date of birth", "出生日期"),
        PiiCategory::Address => bi("A postal or residential address", "通訊或住址"),
        PiiCategory::BankAccount => bi("Bank account number", "銀行帳戶號碼"),
        PiiCategory::CardNumber => bi("Payment card number", "付款卡號碼"),
        PiiCategory::Salary => bi("Salary or other pay", "薪金或其他報酬"),
        PiiCategory::FreeText => {
            bi("Notes or messages written about or to you", "有關你或寫給你的備註或訊息")
        }
        PiiCategory::SocialProfile => bi("Social network handle or profile", "社交網絡帳戶或個人檔案"),
        PiiCategory::IpAddress => {
            bi("IP address (identifies the network you used)", "IP 位址（識別你所用的網絡）")
        }
        PiiCategory::Attachment => bi("A file about you (a scan or document)", "有關你的檔案（掃描或文件）"),
        _ => bi("Other personal data defined by the organisation", "機構界定的其他個人資料"),
    }
}

/// What an audit action code means.
pub fn action_meaning(action: AuditAction) -> Bilingual {
    match action {
        AuditAction::View => bi("Your data was viewed", "你的資料被查閱"),
        AuditAction::Create => bi("A record was created", "建立了一項紀錄"),
        AuditAction::Update => bi("A record was changed", "更改了一項紀錄"),
        AuditAction::Delete => bi("A record was deleted", "刪除了一項紀錄"),
        AuditAction::Export => bi("Data was exported", "資料被匯出"),
        AuditAction::Disclose => bi("Data was disclosed to a third party", "資料被披露予第三方"),
        AuditAction::Anonymise => bi("Data was irreversibly anonymised", "資料被不可逆地匿名化"),
        AuditAction::Pseudonymise => {
            bi("Data was replaced by a code (pseudonymised)", "資料被代號取代（假名化）")
        }
        AuditAction::Shred => bi("The key to encrypted data was destroyed", "加密資料的密鑰被銷毀"),
        AuditAction::Correct => bi("Data was corrected at your request", "應你的要求更正了資料"),
        AuditAction::RetentionRun => bi("A data retention review ran", "執行了資料保留檢討"),
        AuditAction::Request => bi("Your privacy request was handled", "處理了你的私隱要求"),
        AuditAction::Hold => bi("A hold on deleting data was placed or lifted", "設立或解除了資料保留令"),
        _ => bi("Another recorded action", "其他已記錄的操作"),
    }
}

/// What an actor kind means.
pub fn actor_meaning(kind: ActorKind) -> Bilingual {
    match kind {
        ActorKind::User => bi("A member of staff", "職員"),
        ActorKind::System => bi("An automated process of the organisation", "機構的自動程序"),
        ActorKind::Service => bi("Another system or service provider", "其他系統或服務供應商"),
        _ => bi("Another party", "其他方"),
    }
}

/// The note attached to each redacted field (s.20(1)(b), s.20(2)).
pub const REDACTION_NOTE: Bilingual = bi(
    "Withheld: this field is another individual's personal data (PDPO s.20(1)(b)); the rest of the record is supplied (s.20(2)).",
    "已遮蓋：此欄位屬另一名個人的個人資料（《私隱條例》第20(1)(b)條）；紀錄其餘部分已提供（第20(2)條）。",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_category_and_action_has_both_languages() {
        for c in pdpo_core::BUILTIN_CATEGORIES {
            let m = category_meaning(&c);
            assert!(!m.en.is_empty() && !m.zh_hant.is_empty());
            assert_ne!(m.en, category_meaning(&PiiCategory::Custom("x".into())).en, "{c}");
        }
        for a in AuditAction::ALL {
            let m = action_meaning(a);
            assert!(!m.en.is_empty() && !m.zh_hant.is_empty());
        }
    }
}
