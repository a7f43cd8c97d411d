//! Shared helpers for the pdpo benches.
#![forbid(unsafe_code)]

/// A deterministic corpus of Hong Kong CRM notes (xorshift; no external data): English,
/// Traditional Chinese and mixed Cantonese-English prose with about one identifier per 250 bytes,
/// or, when `dense`, an identifier every ~50 bytes.
pub fn pii_corpus(target: usize, dense: bool) -> String {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let prose = [
        "Customer called about the renewal of the home insurance policy and asked for a quote before the end of the month. ",
        "Followed up on the complaint about the late delivery; the courier confirmed the parcel was left at the lobby. ",
        "客戶查詢續約事宜，表示希望下星期再跟進，並要求寄出最新的價目表及條款。 ",
        "已向客戶解釋退款程序，預計七至十個工作天內完成，客戶表示明白。 ",
        "佢話想轉plan，唔該下個禮拜再call返佢，記得send埋新嘅brochure。 ",
        "Meeting moved to Friday 3pm at the Kowloon Bay office; bring the signed forms and the invoice summary. ",
        "Invoice total HK$12,345.50 settled on 2024-03-15; order 88120045 shipped. ",
    ];
    let pii = [
        "HKID A123456(3)",
        "電話：9123 4567",
        "tel +852 6123 4567",
        "email chan.tm@example.com.hk",
        "身份證號碼 Ｂ２３４５６７（１）",
        "card 4111 1111 1111 1111",
        "陳大文先生",
        "Mr Wong Siu Ming",
        "DOB 15/03/1985",
        "Flat B, 12/F, 88 Nathan Road, Mong Kok, Kowloon",
        "身份证号 11010519491231002X",
        "Passport K12345678",
    ];
    let mut out = String::with_capacity(target + 256);
    while out.len() < target {
        if dense || next(2) == 0 {
            out.push_str(pii[next(pii.len() as u64) as usize]);
            out.push_str(if dense { ", " } else { ". " });
        }
        if !dense || next(4) == 0 {
            out.push_str(prose[next(prose.len() as u64) as usize]);
        }
        if next(6) == 0 {
            out.push('\n');
        }
    }
    out
}
