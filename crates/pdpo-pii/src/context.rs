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

/// Context words compiled for one pass: a dense DFA (ASCII case-insensitive, leftmost-longest)
/// and, per match state, the word's topic, length and whether it needs word boundaries.
///
/// The DFA is aho-corasick's, copied into a table of our own: the same states and the same
/// matches as `AhoCorasick::find_iter` with [`aho_corasick::MatchKind::LeftmostLongest`], in a
/// search loop of about a third of the instructions per byte (the windows around candidates are
/// about half of a CRM text, so this loop was a quarter of a scan).
pub(crate) struct Words {
    /// `trans[state + class]`: the next state, premultiplied by the stride. State 0 is the dead
    /// state; states `1..=max_match` (premultiplied) are match states.
    trans: Vec<u32>,
    /// Byte equivalence classes.
    class: [u8; 256],
    /// `log2` of the stride of `trans`: the number of classes rounded up to a power of two, so a
    /// state's number is a shift away (no division per match).
    shift: u32,
    /// The unanchored start state.
    start: u32,
    /// The last match state (premultiplied).
    max_match: u32,
    /// The last match state whose every transition leads to the dead state (premultiplied; the
    /// match states `1..=max_final` are these).
    max_final: usize,
    /// Per match state `i` (at `i - 1`): the word's length, topic and boundary.
    matches: Vec<(usize, Topic, Boundary)>,
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

const fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// [`is_word_byte`] of every byte, for the boundary checks of [`Words::find`].
const WORD_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = is_word_byte(b as u8);
        b += 1;
    }
    t
};

impl Words {
    /// The built-in words plus `extra` (a user detector's words with its topic).
    pub(crate) fn new(extra: &[(Topic, Vec<String>)]) -> Result<Self, String> {
        use aho_corasick::automaton::Automaton;
        use aho_corasick::{Anchored, StartKind};

        let (words, info) = word_list(extra);
        let dfa = aho_corasick::dfa::DFA::builder()
            .ascii_case_insensitive(true)
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .start_kind(StartKind::Unanchored)
            .prefilter(false)
            .build(&words)
            .map_err(|e| e.to_string())?;
        // Byte classes: every byte of a word (ASCII letters without case) is a class of its own; all
        // other bytes lead every state where the same failure transitions lead, so they share one.
        let mut class = [0u8; 256];
        let mut classes = 1;
        for w in &words {
            for b in w.bytes() {
                let b = b.to_ascii_lowercase();
                if class[usize::from(b)] == 0 {
                    let c = u8::try_from(classes).map_err(|_| too_big())?;
                    class[usize::from(b)] = c;
                    class[usize::from(b.to_ascii_uppercase())] = c;
                    classes += 1;
                }
            }
        }
        let mut rep = vec![0u8; classes];
        for b in (0..=255u8).rev() {
            if let Some(r) = rep.get_mut(usize::from(class[usize::from(b)])) {
                *r = b;
            }
        }
        let unanchored = dfa.start_state(Anchored::No).map_err(|_| too_big())?;
        // Our index of each of aho-corasick's states reachable from the start (0: not seen yet).
        let mut index: Vec<u32> = Vec::new();
        let mut states = Vec::new();
        let mut visit = |sid: aho_corasick::automaton::StateID, states: &mut Vec<_>| {
            let i = sid.as_usize();
            if index.len() <= i {
                index.resize(i + 1, 0);
            }
            if index[i] == 0 {
                states.push(sid);
                index[i] = u32::try_from(states.len()).unwrap_or(u32::MAX);
            }
        };
        visit(unanchored, &mut states);
        let mut next = Vec::new();
        let mut k = 0;
        while let Some(&sid) = states.get(k) {
            k += 1;
            if dfa.is_dead(sid) {
                continue;
            }
            for &b in &rep {
                let to = dfa.next_state(Anchored::No, sid, b);
                next.push(to);
                visit(to, &mut states);
            }
        }
        // Our numbering: the dead state 0, then the match states (first those whose every
        // transition is to the dead state: the match ends there), then the others.
        let is_final = |sid| rep.iter().all(|&b| dfa.is_dead(dfa.next_state(Anchored::No, sid, b)));
        let mut order: Vec<usize> = (0..states.len()).collect();
        order.sort_by_key(|&i| {
            let sid = states[i];
            (
                if dfa.is_dead(sid) {
                    0
                } else if dfa.is_match(sid) {
                    if is_final(sid) { 1 } else { 2 }
                } else {
                    3
                },
                i,
            )
        });
        let has_dead = order.first().is_some_and(|&i| dfa.is_dead(states[i]));
        let offset = usize::from(!has_dead);
        let mut ours = vec![0usize; states.len()];
        for (n, &i) in order.iter().enumerate() {
            ours[i] = n + offset;
        }
        let total = states.len() + offset;
        // Padded with dead transitions to a power of two (see `find`).
        let stride = classes.next_power_of_two();
        let mut trans = vec![0u32; (total * stride).next_power_of_two()];
        // `next` holds the transitions of the live states in the order they were visited.
        let mut row = 0;
        for (i, sid) in states.iter().enumerate() {
            if dfa.is_dead(*sid) {
                continue;
            }
            let from = ours[i] * stride;
            for c in 0..classes {
                let to = next.get(row * classes + c).copied().unwrap_or(*sid);
                let to_i = index.get(to.as_usize()).map_or(0, |n| *n as usize - 1);
                let to_ours = if dfa.is_dead(to) { 0 } else { ours[to_i] };
                trans[from + c] = u32::try_from(to_ours * stride).map_err(|_| too_big())?;
            }
            row += 1;
        }
        let (mut matches, mut finals) = (Vec::new(), 0);
        for &i in order.iter().skip(usize::from(has_dead)).take_while(|&&i| dfa.is_match(states[i])) {
            finals += usize::from(is_final(states[i]));
            let pid = dfa.match_pattern(states[i], 0);
            let (topic, boundary) = info.get(pid.as_usize()).copied().ok_or_else(too_big)?;
            matches.push((dfa.pattern_len(pid), topic, boundary));
        }
        let start = ours[0] * stride;
        Ok(Self {
            trans,
            class,
            shift: stride.trailing_zeros(),
            start: u32::try_from(start).map_err(|_| too_big())?,
            max_match: u32::try_from(matches.len() * stride).map_err(|_| too_big())?,
            max_final: finals * stride,
            matches,
        })
    }

    /// Context words in `hay[from..to]`, appended to `out`: the leftmost-longest matches, left to
    /// right, of those the ones with the word boundaries they need.
    pub(crate) fn find(&self, hay: &str, from: usize, to: usize, out: &mut Vec<Hit>) {
        let bytes = hay.as_bytes();
        let Some(window) = bytes.get(..to) else { return };
        // The table's length is a power of two, so `& mask` keeps every index in bounds without a
        // bounds check per byte.
        let mask = self.trans.len().wrapping_sub(1);
        let Some(trans) = self.trans.get(..=mask) else { return };
        let (class, max_match) = (&self.class, self.max_match as usize);
        let mut at = from;
        while at < window.len() {
            // One leftmost-longest search from `at`: the last match state seen before the dead
            // state (or the end of the window).
            let (mut s, mut i) = (self.start as usize, at);
            let (mut last, mut end) = (0, 0);
            loop {
                i = walk(trans, mask, class, max_match, window, i, &mut s);
                if s == 0 || s > max_match {
                    // The dead state, or the end of the window.
                    break;
                }
                (last, end) = (s, i);
                if i >= window.len() || s <= self.max_final {
                    // The end of the window, or a match no longer word can extend.
                    break;
                }
            }
            if last == 0 {
                return;
            }
            at = end;
            let Some(&(len, topic, boundary)) = self.matches.get((last >> self.shift) - 1) else { continue };
            let start = end - len;
            // A word byte at `i` (none before the text or after it).
            let word_at =
                |i: Option<usize>| i.and_then(|i| bytes.get(i)).is_some_and(|b| WORD_BYTE[usize::from(*b)]);
            let ok = match boundary {
                Boundary::None => true,
                Boundary::Start => !word_at(start.checked_sub(1)),
                Boundary::Both => !word_at(start.checked_sub(1)) && !word_at(Some(end)),
            };
            if ok {
                out.push(Hit { start, end, topic });
            }
        }
    }
}

/// Every context word (built-in, then `extra`) with its topic and the boundaries it needs.
fn word_list(extra: &[(Topic, Vec<String>)]) -> (Vec<String>, Vec<(Topic, Boundary)>) {
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
    (words, info)
}

/// Runs the DFA from state `s` over `hay[i..]` up to the first dead or match state: the index just
/// past the byte that reached it (or `hay.len()`), with `s` the state reached.
#[inline(always)]
fn walk(
    trans: &[u32],
    mask: usize,
    class: &[u8; 256],
    max_match: usize,
    hay: &[u8],
    mut i: usize,
    s: &mut usize,
) -> usize {
    let mut t = *s;
    let step = |t: usize, b: u8| trans[(t + usize::from(class[usize::from(b)])) & mask] as usize;
    // Eight bytes a round while none reaches a special state: fewer loop checks per byte.
    while let Some(Ok(round)) = hay.get(i..i + 8).map(<&[u8; 8]>::try_from) {
        for (k, &b) in round.iter().enumerate() {
            t = step(t, b);
            if t <= max_match {
                *s = t;
                return i + k + 1;
            }
        }
        i += 8;
    }
    while let Some(&b) = hay.get(i) {
        t = step(t, b);
        i += 1;
        if t <= max_match {
            break;
        }
    }
    *s = t;
    i
}

/// The error of a keyword table that cannot be laid out (more than 256 byte classes or 2^32
/// transitions); never expected for real word lists.
fn too_big() -> String {
    "context word table too large".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Context words as aho-corasick's own search finds them, with the same boundary rule.
    fn reference(
        extra: &[(Topic, Vec<String>)],
        hay: &str,
        from: usize,
        to: usize,
    ) -> Vec<(usize, usize, Topic)> {
        let (words, info) = word_list(extra);
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(&words)
            .unwrap();
        let bytes = hay.as_bytes();
        let mut out = Vec::new();
        for m in ac.find_iter(aho_corasick::Input::new(hay).span(from..to)) {
            let (topic, boundary) = info[m.pattern().as_usize()];
            let before_ok = m.start() == 0 || !is_word_byte(bytes[m.start() - 1]);
            let after_ok = !bytes.get(m.end()).copied().is_some_and(is_word_byte);
            let ok = match boundary {
                Boundary::None => true,
                Boundary::Start => before_ok,
                Boundary::Both => before_ok && after_ok,
            };
            if ok {
                out.push((m.start(), m.end(), topic));
            }
        }
        out
    }

    fn found(words: &Words, hay: &str, from: usize, to: usize) -> Vec<(usize, usize, Topic)> {
        let mut hits = Vec::new();
        words.find(hay, from, to, &mut hits);
        hits.into_iter().map(|h| (h.start, h.end, h.topic)).collect()
    }

    #[test]
    fn finds_words_with_boundaries() {
        let words = Words::new(&[]).unwrap();
        let hay = "Tel: 9123 4567, HKID no. 訂單編號 provide x-ID mail";
        let got = found(&words, hay, 0, hay.len());
        let topics: Vec<Topic> = got.iter().map(|h| h.2).collect();
        // `id` inside `provide` and after `x-` is no word of its own; `ID` after `-` is.
        assert_eq!(
            topics,
            [Topic::Phone, Topic::Hkid, Topic::Negative, Topic::Negative, Topic::Id, Topic::Email]
        );
        assert_eq!(&hay[got[2].0..got[2].1], "訂單");
    }

    proptest! {
        /// The table search finds exactly what aho-corasick's leftmost-longest search finds, in any
        /// window of any text made of context words, their pieces and other characters.
        #[test]
        fn same_as_aho_corasick(
            parts in proptest::collection::vec(
                prop_oneof![
                    proptest::sample::select(vec![
                        "tel", "TEL", "hk id", "hkid", "id no", "i.d.", "d.o.b", "s/n", "hk$", "e-mail",
                        "電話", "電", "話", "訂單號碼", "訂單", "身份證", "香港身份證", "ip", "IP地址",
                        "card no", "promo code", "x", "_", "-", " ", ".", "9", "：", "中",
                    ]).prop_map(str::to_owned),
                    "[a-zA-Z0-9 ./$:_-]{0,4}",
                    "\\PC{0,2}",
                ],
                0..24,
            ),
            cut in (0usize..200, 0usize..200),
            member in "[a-z]{1,6}",
        ) {
            let hay: String = parts.concat();
            let (mut from, mut to) = (cut.0.min(hay.len()), cut.1.min(hay.len()));
            if from > to {
                std::mem::swap(&mut from, &mut to);
            }
            while !hay.is_char_boundary(from) {
                from -= 1;
            }
            let extra = [(Topic::Custom(0), vec![member, "會員".to_owned()])];
            for extra in [&[][..], &extra[..]] {
                let words = Words::new(extra).unwrap();
                prop_assert_eq!(found(&words, &hay, from, to), reference(extra, &hay, from, to));
            }
        }
    }
}
