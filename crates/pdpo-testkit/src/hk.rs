//! Hong Kong reference tables: surnames, given-name syllables, English names, streets, districts.
//!
//! Surname weights follow the 1995 directory survey quoted in FACTS.md §9.9 for Chan, Wong and
//! Lee (10.11 %, 7.78 %, 6.02 %); the other weights are rough and only shape the data. Names are
//! romanised by Cantonese pronunciation, surname first, as on HK identity documents.

/// `(weight, romanised, Chinese)` surnames. One romanisation can stand for several characters
/// (Wong = 黃 and 王), and one character for several romanisations (李 = Lee and Li).
pub(crate) const SURNAMES: &[(u32, (&str, &str))] = &[
    (1011, ("Chan", "陳")),
    (600, ("Wong", "黃")),
    (178, ("Wong", "王")),
    (540, ("Lee", "李")),
    (62, ("Li", "李")),
    (420, ("Cheung", "張")),
    (380, ("Lau", "劉")),
    (360, ("Leung", "梁")),
    (330, ("Lam", "林")),
    (320, ("Ng", "吳")),
    (300, ("Ho", "何")),
    (250, ("Chow", "周")),
    (230, ("Tsang", "曾")),
    (220, ("Yeung", "楊")),
    (210, ("Cheng", "鄭")),
    (193, ("Tang", "鄧")),
    (180, ("Kwok", "郭")),
    (170, ("Lo", "羅")),
    (160, ("Yip", "葉")),
    (150, ("Mak", "麥")),
    (140, ("Fung", "馮")),
    (130, ("Choi", "蔡")),
    (120, ("So", "蘇")),
    (120, ("Tse", "謝")),
    (110, ("Chu", "朱")),
    (110, ("Hui", "許")),
    (100, ("Ma", "馬")),
    (100, ("Kwan", "關")),
    (90, ("Poon", "潘")),
    (90, ("Siu", "蕭")),
    (80, ("Yu", "余")),
    (70, ("Au", "區")),
    (60, ("Law", "羅")),
    (50, ("Fong", "方")),
    (50, ("Tam", "譚")),
];

/// Given-name syllables `(romanised, Chinese)`. Most HK given names have two syllables.
pub(crate) const GIVEN_SYLLABLES: &[(&str, &str)] = &[
    ("Tai", "大"),
    ("Man", "文"),
    ("Siu", "小"),
    ("Ming", "明"),
    ("Wai", "偉"),
    ("Ka", "家"),
    ("Kin", "健"),
    ("Chi", "志"),
    ("Yan", "欣"),
    ("Mei", "美"),
    ("Ling", "玲"),
    ("Wing", "詠"),
    ("Kwok", "國"),
    ("Hoi", "凱"),
    ("Ho", "浩"),
    ("Yee", "儀"),
    ("Sze", "詩"),
    ("Kit", "傑"),
    ("Fai", "輝"),
    ("Hung", "雄"),
    ("Lok", "樂"),
    ("Tsz", "子"),
    ("Hei", "希"),
    ("Yuen", "婉"),
    ("Shan", "珊"),
    ("Chun", "俊"),
    ("Pui", "佩"),
    ("Wah", "華"),
    ("Keung", "強"),
    ("Fung", "鳳"),
    ("Kai", "啟"),
    ("Lai", "麗"),
    ("Suet", "雪"),
    ("Ting", "婷"),
    ("Wan", "雲"),
    ("Kwan", "君"),
    ("Kei", "琪"),
    ("Yin", "賢"),
    ("On", "安"),
    ("Sum", "心"),
    ("Hin", "軒"),
    ("Long", "朗"),
    ("Ngai", "毅"),
    ("Wun", "煥"),
];

/// English given names common in Hong Kong.
pub(crate) const ENGLISH_NAMES: &[&str] = &[
    "Peter", "Mary", "David", "Karen", "Jason", "Winnie", "Kelvin", "Ivy", "Raymond", "Cindy", "Alan",
    "Gigi", "Michael", "Joyce", "Eric", "Fiona", "Kenneth", "Carmen", "Wilson", "Queenie", "Tommy", "Bonnie",
    "Jacky", "Sharon", "Ken", "Vivian", "Alex", "Candy", "Samuel", "Yoyo", "Marco", "Natalie", "Dickson",
    "Phoebe",
];

/// A street with its district and region, in English and Chinese.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Street {
    pub(crate) en: &'static str,
    pub(crate) zh: &'static str,
    pub(crate) district_en: &'static str,
    pub(crate) district_zh: &'static str,
    pub(crate) region_en: &'static str,
    pub(crate) region_zh: &'static str,
}

const fn st(
    en: &'static str,
    zh: &'static str,
    district_en: &'static str,
    district_zh: &'static str,
    region: u8,
) -> Street {
    let (region_en, region_zh) = match region {
        0 => ("Hong Kong", "香港"),
        1 => ("Kowloon", "九龍"),
        _ => ("New Territories", "新界"),
    };
    Street { en, zh, district_en, district_zh, region_en, region_zh }
}

/// Real street names placed in their real districts; buildings and numbers are invented.
pub(crate) const STREETS: &[Street] = &[
    st("Queen's Road Central", "皇后大道中", "Central", "中環", 0),
    st("Des Voeux Road Central", "德輔道中", "Central", "中環", 0),
    st("Hennessy Road", "軒尼詩道", "Wan Chai", "灣仔", 0),
    st("Lockhart Road", "駱克道", "Wan Chai", "灣仔", 0),
    st("Yee Wo Street", "怡和街", "Causeway Bay", "銅鑼灣", 0),
    st("King's Road", "英皇道", "North Point", "北角", 0),
    st("King's Road", "英皇道", "Quarry Bay", "鰂魚涌", 0),
    st("Shau Kei Wan Road", "筲箕灣道", "Sai Wan Ho", "西灣河", 0),
    st("Pok Fu Lam Road", "薄扶林道", "Pok Fu Lam", "薄扶林", 0),
    st("Nathan Road", "彌敦道", "Tsim Sha Tsui", "尖沙咀", 1),
    st("Nathan Road", "彌敦道", "Mong Kok", "旺角", 1),
    st("Canton Road", "廣東道", "Tsim Sha Tsui", "尖沙咀", 1),
    st("Argyle Street", "亞皆老街", "Mong Kok", "旺角", 1),
    st("Prince Edward Road West", "太子道西", "Prince Edward", "太子", 1),
    st("Cheung Sha Wan Road", "長沙灣道", "Sham Shui Po", "深水埗", 1),
    st("Kwun Tong Road", "觀塘道", "Kwun Tong", "觀塘", 1),
    st("Hoi Bun Road", "海濱道", "Kwun Tong", "觀塘", 1),
    st("Castle Peak Road", "青山公路", "Tuen Mun", "屯門", 2),
    st("Castle Peak Road", "青山公路", "Tsuen Wan", "荃灣", 2),
    st("Sha Tin Centre Street", "沙田正街", "Sha Tin", "沙田", 2),
    st("Tai Po Road", "大埔道", "Tai Po", "大埔", 2),
    st("Castle Peak Road", "青山公路", "Yuen Long", "元朗", 2),
    st("Po Hong Road", "寶康路", "Tseung Kwan O", "將軍澳", 2),
    st("Sha Tsui Road", "沙咀道", "Tsuen Wan", "荃灣", 2),
];

/// Invented residential buildings `(English, Chinese)`.
pub(crate) const BUILDINGS: &[(&str, &str)] = &[
    ("Wing Fat Building", "永發大廈"),
    ("Hoi Tao Court", "海濤閣"),
    ("Kam Fung Mansion", "金鳳大廈"),
    ("Tai Hing Gardens", "大興花園"),
    ("On Lok House", "安樂樓"),
    ("Fu Shan Court", "富山閣"),
    ("Jade Garden", "翠園"),
    ("Harbour View Tower", "海景大廈"),
    ("Sun Wai Estate", "新偉邨"),
    ("Lok Fu Centre", "樂富中心"),
    ("Tsui Lam Court", "翠林閣"),
    ("Ka Wing Building", "嘉榮大廈"),
];

/// Company name stems `(English, Chinese)`; companies get a suffix.
pub(crate) const COMPANY_STEMS: &[(&str, &str)] = &[
    ("Wing On", "永安"),
    ("Tai Fat", "大發"),
    ("Golden Harbour", "金港"),
    ("Kowloon Pearl", "九龍明珠"),
    ("Lion Rock", "獅子山"),
    ("Victoria Peak", "太平山"),
    ("Sun Hing", "新興"),
    ("Fortune Bay", "福灣"),
    ("Dragon Gate", "龍門"),
    ("Jade Lotus", "玉蓮"),
    ("Silver Mine", "銀礦"),
    ("Bamboo Grove", "竹林"),
];

/// Company suffixes `(English, Chinese)`.
pub(crate) const COMPANY_SUFFIXES: &[(&str, &str)] = &[
    ("Trading Limited", "貿易有限公司"),
    ("Logistics Limited", "物流有限公司"),
    ("Property Management Limited", "物業管理有限公司"),
    ("Engineering Company Limited", "工程有限公司"),
    ("Restaurant Group Limited", "飲食集團有限公司"),
    ("Design Studio Limited", "設計工作室有限公司"),
    ("Holdings Limited", "控股有限公司"),
];

/// Email domains. All are under names reserved for documentation (RFC 2606, RFC 6761), so no
/// generated address can reach a real mailbox.
pub(crate) const EMAIL_DOMAINS: &[(u32, &str)] = &[
    (30, "example.com"),
    (20, "mail.example"),
    (15, "example.net"),
    (10, "example.org"),
    (10, "netvigator.example"),
    (10, "hkmail.example"),
    (5, "yahoo.com.hk.example"),
];

/// Mainland address codes for generated Resident Identity Card numbers (81xxxx: HK residents'
/// residence permits).
pub(crate) const CN_AREA_CODES: &[&str] =
    &["440300", "440104", "440606", "310101", "110105", "810000", "350203"];

/// Well-known public test card numbers (Luhn-valid, never issued to a person).
pub(crate) const TEST_CARDS: &[&str] = &["4111 1111 1111 1111", "5555 5555 5555 4444", "4242 4242 4242 4242"];

/// HKID prefixes (the generator spreads persons across them; two-letter prefixes are rarer).
pub(crate) const HKID_PREFIXES: &[&str] =
    &["A", "B", "C", "D", "E", "G", "H", "K", "M", "P", "R", "V", "Y", "Z", "WX", "XA", "CA", "AB"];

/// Mobile prefixes (two leading digits): 5x except 58, 6x, 9x.
pub(crate) const MOBILE_PREFIXES: &[&str] = &[
    "51", "52", "53", "54", "55", "56", "57", "59", "60", "61", "62", "63", "64", "65", "66", "67", "68",
    "69", "90", "91", "92", "93", "94", "95", "96", "97", "98",
];

/// Fixed-line prefixes: 2x, and 3x except the 30 service range.
pub(crate) const FIXED_PREFIXES: &[&str] =
    &["21", "23", "24", "25", "26", "27", "28", "29", "31", "34", "35", "36", "37", "39"];
