//! Context words in English and Traditional (and Simplified) Chinese, by topic.
//!
//! They are matched in the same pass as the identifier shapes. The nearest context word before a
//! candidate (or just after it) raises its confidence when it names the candidate's topic, and lowers
//! it when it names something that is not personal data (invoice, order, SKU, 訂單, 型號, ...).

/// What a context word is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Topic {
    Phone,
    /// Identity documents in general (`ID card`, `身份證`).
    Id,
    Hkid,
    Mainland,
    Hrp,
    Macau,
    Passport,
    Card,
    Dob,
    Email,
    Ip,
    Name,
    /// Words naming things that are not personal data: invoices, orders, products, amounts.
    Negative,
    /// Flat, room, unit, block, floor markers of an English address.
    AddrUnit,
    /// `88 Nathan Road`.
    AddrStreet,
    /// A Hong Kong district or area name.
    AddrDistrict,
    /// `Hong Kong`, `Kowloon`, `New Territories` after a district.
    AddrRegion,
    /// Words about dates that are not birth dates (joined, expires, 入會); they contradict only a date
    /// of birth.
    NotBirth,
    /// Context words of the user's detector with this index.
    Custom(u16),
}

impl Topic {
    pub(crate) fn is_address(self) -> bool {
        matches!(self, Self::AddrUnit | Self::AddrStreet | Self::AddrDistrict | Self::AddrRegion)
    }
}

/// Context words per topic: (topic, ASCII words matched case-insensitively at a word start, other words).
pub(crate) const WORDS: &[(Topic, &[&str], &[&str])] = &[
    (
        Topic::Hkid,
        &["hkid", "hkic", "hk id", "hong kong identity card", "hong kong id"],
        &["香港身份證", "香港身分證", "香港身份证"],
    ),
    (
        Topic::Mainland,
        &["mainland id", "prc id", "china id", "resident id", "resident identity card", "chinese id"],
        &["居民身份證", "居民身份证", "內地身份證", "内地身份证", "大陸身份證", "大陆身份证", "身份证号"],
    ),
    (
        Topic::Hrp,
        &["home return permit", "home visit permit", "mainland travel permit", "hrp"],
        &["回鄉證", "回乡证", "回鄉卡", "港澳居民來往內地通行證", "通行證", "通行证"],
    ),
    (
        Topic::Macau,
        &["macau id", "macao id", "macau identity card", "bir"],
        &["澳門身份證", "澳门身份证", "澳門居民身份證"],
    ),
    (Topic::Passport, &["passport", "travel document"], &["護照", "护照"]),
    (
        Topic::Id,
        &["identity card", "identity no", "identity number", "id card", "id no", "id number", "id", "i.d."],
        &["身份證", "身分證", "身份证", "證件", "证件"],
    ),
    (
        Topic::Card,
        &[
            "credit card",
            "debit card",
            "card number",
            "card no",
            "card",
            "visa",
            "mastercard",
            "master card",
            "amex",
            "american express",
            "unionpay",
            "union pay",
            "jcb",
            "diners",
        ],
        &["信用卡", "扣賬卡", "卡號", "卡号", "銀聯", "银联", "咭號", "信用咭"],
    ),
    (
        Topic::Dob,
        &["date of birth", "birth date", "birthdate", "birthday", "dob", "d.o.b", "born"],
        &["出生日期", "出生年月日", "出生", "生日"],
    ),
    (
        Topic::Email,
        &["email", "e-mail", "mail"],
        &["電郵", "電子郵件", "电子邮件", "郵箱", "邮箱", "電郵地址"],
    ),
    (
        Topic::Ip,
        &["ip address", "ip addr", "ip", "login from", "logged in from", "remote addr"],
        &["IP地址", "登入"],
    ),
    (
        Topic::Phone,
        &[
            "telephone",
            "tel",
            "phone",
            "mobile",
            "mob",
            "cell",
            "whatsapp",
            "call",
            "contact no",
            "contact number",
            "fax",
            "sms",
            "signal",
        ],
        &[
            "電話",
            "手機",
            "手提",
            "聯絡電話",
            "致電",
            "來電",
            "电话",
            "手机",
            "联系电话",
            "傳真",
            "短訊",
            "聯絡",
            "聯繫",
            "打俾",
        ],
    ),
    (
        Topic::Name,
        &[
            "name",
            "customer",
            "client",
            "contact person",
            "dear",
            "attn",
            "signed by",
            "applicant",
            "cardholder",
        ],
        &["姓名", "名字", "客戶", "客户", "聯絡人", "联系人", "顧客", "申請人", "收件人", "持卡人"],
    ),
    (
        Topic::Negative,
        &[
            "invoice",
            "inv",
            "order",
            "ord",
            "ref",
            "reference",
            "ticket",
            "case",
            "tracking",
            "sku",
            "serial",
            "s/n",
            "sn",
            "model",
            "part",
            "product",
            "item",
            "batch",
            "lot",
            "booking",
            "receipt",
            "transaction",
            "txn",
            "amount",
            "total",
            "price",
            "qty",
            "quantity",
            "version",
            "ver",
            "build",
            "barcode",
            "ean",
            "upc",
            "imei",
            "container",
            "waybill",
            "awb",
            "po",
            "voucher",
            "coupon",
            "promo code",
            "hk$",
            "hkd",
            "usd",
            "rmb",
            "us$",
            "account no",
            "acct",
            "policy no",
            "claim",
            "shipment",
            "parcel",
            "timestamp",
            "epoch",
            "firmware",
            "release",
        ],
        &[
            "訂單",
            "订单",
            "單號",
            "单号",
            "編號",
            "编号",
            "發票",
            "发票",
            "型號",
            "型号",
            "貨號",
            "货号",
            "序號",
            "序号",
            "序列號",
            "產品",
            "产品",
            "批次",
            "參考",
            "参考",
            "收據",
            "金額",
            "金额",
            "交易",
            "追蹤",
            "快遞",
            "運單",
            "貨品",
            "條碼",
            "工單",
            "報價",
            "總額",
            "港幣",
            "港元",
            "保單",
            "發票號碼",
            "訂單號碼",
        ],
    ),
];

/// Words for dates other than a birth date.
pub(crate) const NOT_BIRTH: (&[&str], &[&str]) = (
    &[
        "joined",
        "signed",
        "created",
        "issued",
        "expires",
        "expiry",
        "renewal",
        "renew",
        "due",
        "meeting",
        "appointment",
        "updated",
        "registered",
        "start date",
        "end date",
        "effective",
    ],
    &["入會", "簽署", "到期", "加入", "登記", "開戶", "生效", "續約", "更新", "預約", "會議"],
);

/// English district and area names (capitalised as written in addresses).
pub(crate) const DISTRICTS_EN: &[&str] = &[
    "Central",
    "Sheung Wan",
    "Admiralty",
    "Wan Chai",
    "Causeway Bay",
    "Happy Valley",
    "North Point",
    "Quarry Bay",
    "Tai Koo",
    "Taikoo Shing",
    "Sai Wan Ho",
    "Shau Kei Wan",
    "Chai Wan",
    "Siu Sai Wan",
    "Aberdeen",
    "Ap Lei Chau",
    "Wong Chuk Hang",
    "Pok Fu Lam",
    "Pokfulam",
    "Kennedy Town",
    "Sai Ying Pun",
    "Mid-Levels",
    "The Peak",
    "Repulse Bay",
    "Stanley",
    "Tsim Sha Tsui",
    "Jordan",
    "Yau Ma Tei",
    "Mong Kok",
    "Mongkok",
    "Prince Edward",
    "Sham Shui Po",
    "Cheung Sha Wan",
    "Lai Chi Kok",
    "Mei Foo",
    "Shek Kip Mei",
    "Kowloon Tong",
    "Kowloon City",
    "Ho Man Tin",
    "To Kwa Wan",
    "Hung Hom",
    "Whampoa",
    "Kowloon Bay",
    "Ngau Tau Kok",
    "Kwun Tong",
    "Lam Tin",
    "Yau Tong",
    "Wong Tai Sin",
    "Diamond Hill",
    "San Po Kong",
    "Tsz Wan Shan",
    "Lok Fu",
    "Sha Tin",
    "Shatin",
    "Tai Wai",
    "Fo Tan",
    "Ma On Shan",
    "Tai Po",
    "Fanling",
    "Sheung Shui",
    "Yuen Long",
    "Tin Shui Wai",
    "Tuen Mun",
    "Tsuen Wan",
    "Kwai Chung",
    "Kwai Fong",
    "Tsing Yi",
    "Tung Chung",
    "Discovery Bay",
    "Sai Kung",
    "Tseung Kwan O",
    "Clear Water Bay",
    "Lantau",
    "Cheung Chau",
    "Lamma Island",
    "Ma Wan",
];

/// Chinese district and area names.
pub(crate) const DISTRICTS_ZH: &[&str] = &[
    "中環",
    "上環",
    "金鐘",
    "灣仔",
    "銅鑼灣",
    "跑馬地",
    "北角",
    "鰂魚涌",
    "太古",
    "西灣河",
    "筲箕灣",
    "柴灣",
    "小西灣",
    "香港仔",
    "鴨脷洲",
    "黃竹坑",
    "薄扶林",
    "堅尼地城",
    "西營盤",
    "半山",
    "山頂",
    "淺水灣",
    "赤柱",
    "尖沙咀",
    "佐敦",
    "油麻地",
    "旺角",
    "太子",
    "深水埗",
    "長沙灣",
    "荔枝角",
    "美孚",
    "石硤尾",
    "九龍塘",
    "九龍城",
    "何文田",
    "土瓜灣",
    "紅磡",
    "黃埔",
    "九龍灣",
    "牛頭角",
    "觀塘",
    "藍田",
    "油塘",
    "黃大仙",
    "鑽石山",
    "新蒲崗",
    "慈雲山",
    "樂富",
    "沙田",
    "大圍",
    "火炭",
    "馬鞍山",
    "大埔",
    "粉嶺",
    "上水",
    "元朗",
    "天水圍",
    "屯門",
    "荃灣",
    "葵涌",
    "葵芳",
    "青衣",
    "東涌",
    "愉景灣",
    "西貢",
    "將軍澳",
    "清水灣",
    "大嶼山",
    "長洲",
    "南丫島",
    "馬灣",
    "中西區",
    "東區",
    "南區",
    "灣仔區",
    "油尖旺",
    "深水埗區",
    "九龍城區",
    "觀塘區",
    "沙田區",
    "大埔區",
    "北區",
    "元朗區",
    "屯門區",
    "荃灣區",
    "葵青區",
    "離島區",
    "西貢區",
    "黃大仙區",
];

/// Romanised Hong Kong surnames (Cantonese and common Mandarin spellings).
pub(crate) const SURNAMES_EN: &[&str] = &[
    "Chan", "Chen", "Cheung", "Chang", "Wong", "Wang", "Lee", "Li", "Lam", "Lin", "Lau", "Liu", "Ng", "Wu",
    "Ho", "Leung", "Liang", "Cheng", "Tang", "Yeung", "Yang", "Chow", "Chau", "Zhou", "Tsang", "Tse", "Chu",
    "Fung", "Kwok", "Kwan", "Mak", "Lai", "Yip", "Yu", "Lo", "Law", "Choi", "Tsui", "Tam", "Siu", "So",
    "Poon", "Pang", "Kong", "Ma", "Mok", "Cheuk", "Ko", "Kwong", "Sze", "Shum", "Sin", "Sit", "Tong", "Tsoi",
    "Yuen", "Hui", "Hung", "Au", "Chiu", "Chung", "Fong", "Fu", "Hon", "Ip", "Kam", "Koo", "Ku", "Lui",
    "Luk", "Mui", "Ngai", "Ngan", "Pun", "Shek", "Suen", "Sun", "Tai", "To", "Wan", "Yau", "Yim", "Yiu",
    "Yung", "Chui", "Cho", "Chong", "Wat", "Wai", "Kei", "Lok", "Man", "Tin", "Tung", "Zhang", "Huang",
    "Zhao", "Xu", "Sun", "Ou", "Szeto", "Auyeung", "Au-Yeung", "Lui", "Tsui", "Ching", "Kan", "Lung", "Hau",
    "Heung", "Keung",
];

/// Chinese surnames (traditional and simplified forms of the most common ones).
pub(crate) const SURNAMES_ZH_SINGLE: &str = "陳陈黃黄李張张林劉刘梁吳吴何王鄭郑郭楊杨謝谢周曾羅罗馮冯蔡鄧邓許许朱葉叶潘蕭萧彭盧卢麥麦馬马袁胡莫余高鍾钟廖曹黎孔蘇苏譚谭姚方石韋韦文顧顾洪趙赵甘侯雷施邱冼簡简關关龍龙范湯汤程伍戴鄺岑崔傅杜鄒邹薛蔣蒋賴赖區区江嚴严霍魏萬万凌溫温游唐宋徐丁孫孙董田任陸陆金容翁賀贺";

/// Chinese compound surnames.
pub(crate) const SURNAMES_ZH_DOUBLE: &[&str] =
    &["歐陽", "欧阳", "司徒", "上官", "諸葛", "司馬", "東方", "皇甫"];

/// Place names whose first words are also surnames (`Wong Tai Sin`, `Yuen Long`): never a name.
pub(crate) fn is_place_prefix(words: &[&str]) -> bool {
    if words.len() < 2 {
        return false;
    }
    DISTRICTS_EN
        .iter()
        .chain(["Hong Kong", "Lee Garden", "Lee Gardens", "Ho Chi Minh", "Kong Kong"].iter())
        .any(|d| {
            let mut dw = d.split(' ');
            let (Some(a), Some(b)) = (dw.next(), dw.next()) else { return false };
            a.eq_ignore_ascii_case(words[0]) && b.eq_ignore_ascii_case(words[1])
        })
}

/// Escapes regex metacharacters in a literal.
pub(crate) fn escape(lit: &str) -> String {
    let mut out = String::with_capacity(lit.len() + 4);
    for c in lit.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Context words compiled for one pass: an Aho-Corasick automaton (ASCII case-insensitive,
/// leftmost-longest) and, per word, its topic and whether it needs word boundaries.
pub(crate) struct Words {
    ac: aho_corasick::AhoCorasick,
    info: Vec<(Topic, Boundary)>,
}

#[derive(Clone, Copy)]
enum Boundary {
    /// Non-ASCII words: none.
    None,
    /// ASCII words: no ASCII word character before.
    Start,
    /// Short ASCII words (three bytes or fewer): none before and none after.
    Both,
}

/// A context word found in a text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) topic: Topic,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Words {
    /// The built-in words plus `extra` (a user detector's words with its topic).
    pub(crate) fn new(extra: &[(Topic, Vec<String>)]) -> Result<Self, aho_corasick::BuildError> {
        let mut words: Vec<String> = Vec::new();
        let mut info = Vec::new();
        let mut add = |w: &str, t: Topic| {
            if w.is_empty() {
                return;
            }
            let b = if !w.is_ascii() {
                Boundary::None
            } else if w.len() <= 3 && w.ends_with(|c: char| c.is_ascii_alphanumeric()) {
                Boundary::Both
            } else {
                Boundary::Start
            };
            words.push(w.to_owned());
            info.push((t, b));
        };
        for (t, ascii, other) in WORDS {
            for w in ascii.iter().chain(other.iter()) {
                add(w, *t);
            }
        }
        for w in NOT_BIRTH.0.iter().chain(NOT_BIRTH.1.iter()) {
            add(w, Topic::NotBirth);
        }
        for (t, ws) in extra {
            for w in ws {
                add(w, *t);
            }
        }
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(&words)?;
        Ok(Self { ac, info })
    }

    /// Context words in `hay[from..to]`, appended to `out`.
    pub(crate) fn find(&self, hay: &str, from: usize, to: usize, out: &mut Vec<Hit>) {
        let bytes = hay.as_bytes();
        let input = aho_corasick::Input::new(hay).span(from..to);
        for m in self.ac.find_iter(input) {
            let Some((topic, boundary)) = self.info.get(m.pattern().as_usize()).copied() else { continue };
            let before_ok = m.start() == 0 || !bytes.get(m.start() - 1).copied().is_some_and(is_word_byte);
            let after_ok = !bytes.get(m.end()).copied().is_some_and(is_word_byte);
            let ok = match boundary {
                Boundary::None => true,
                Boundary::Start => before_ok,
                Boundary::Both => before_ok && after_ok,
            };
            if ok {
                out.push(Hit { start: m.start(), end: m.end(), topic });
            }
        }
    }
}
