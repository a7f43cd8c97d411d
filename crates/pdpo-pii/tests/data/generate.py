#!/usr/bin/env python3
"""Generates tests/data/generated.jsonl: labelled Hong Kong CRM snippets for the accuracy test.

Markup: ⟦category|text⟧ marks a gold span (category is a snake_case PiiCategory name). Every line is
{"text": "..."} with markup; the test strips the markup and computes byte offsets.

Check digits here are computed by an implementation independent of the Rust crate (FACTS.md §9.1,
§9.5, §9.8), so the data also cross-checks the validators. Deterministic: fixed seed.
Run: python3 tests/data/generate.py > tests/data/generated.jsonl
"""
import json
import random

R = random.Random(486)

def hkid_check(prefix, digits):
    body = (" " + prefix) if len(prefix) == 1 else prefix
    val = lambda c: 36 if c == " " else (ord(c) - 55 if c.isalpha() else int(c))
    s = sum(val(c) * w for c, w in zip(body + digits, [9, 8, 7, 6, 5, 4, 3, 2]))
    v = (11 - s % 11) % 11
    return "A" if v == 10 else str(v)

def cn_check(d17):
    w = [2 ** (17 - i) % 11 for i in range(17)]
    return "10X98765432"[sum(int(c) * x for c, x in zip(d17, w)) % 11]

def luhn_ok(d):
    t = 0
    for i, c in enumerate(reversed(d)):
        v = int(c)
        if i % 2 == 1:
            v = v * 2 - 9 if v * 2 > 9 else v * 2
        t += v
    return t % 10 == 0

def luhn_complete(prefix, length):
    body = prefix + "".join(R.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for c in "0123456789":
        if luhn_ok(body + c):
            return body + c

FW = {c: chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ()"}
def fullwidth(s):
    return "".join(FW.get(c, c) for c in s)

def hkid():
    p = R.choice(["A", "B", "C", "D", "E", "G", "H", "K", "M", "P", "R", "V", "Y", "Z", "XA", "WX", "CA"])
    d = "".join(R.choice("0123456789") for _ in range(6))
    c = hkid_check(p, d)
    form = R.random()
    if form < 0.5:
        s = f"{p}{d}({c})"
    elif form < 0.7:
        s = f"{p}{d}{c}"
    elif form < 0.8:
        s = f"{p}{d} {c}"
    elif form < 0.9:
        s = f"{p}{d}({c})".lower()
    else:
        s = fullwidth(f"{p}{d}({c})")
    return s

def hkid_like_code(passing=True):
    """An 8-character product code shaped like an HKID that passes the check digit by chance."""
    p = R.choice("ABCDEFGHJKLMNPRSTUVWXYZ")
    d = "".join(R.choice("0123456789") for _ in range(6))
    c = hkid_check(p, d)
    if not passing:
        c = R.choice([x for x in "0123456789" if x != c])
    return f"{p}{d}{c}"

def phone(prefix=None):
    first = R.choice("2356789" if prefix is None else "235679")
    num = first + "".join(R.choice("0123456789") for _ in range(7))
    sep = R.choice([" ", "-", ""])
    local = f"{num[:4]}{sep}{num[4:]}"
    if prefix is None:
        prefix = R.random() < 0.35
    if prefix:
        return R.choice(["+852 ", "+852-", "(852) ", "00852 ", "+852", "(+852) "]) + local
    return local

def mobile():
    num = R.choice("569") + "".join(R.choice("0123456789") for _ in range(7))
    return R.choice([f"{num[:4]} {num[4:]}", num, f"{num[:4]}-{num[4:]}"])

def email(name="chan"):
    local = R.choice([name, f"{name}.tm", f"{name}{R.randint(1, 99)}", f"{name}_hk", f"info+{name}"])
    dom = R.choice(["example.com", "example.com.hk", "mail.example.org", "corp.example.hk", "netvigator.example.com"])
    return f"{local}@{dom}"

def passport():
    k = R.random()
    if k < 0.5:
        return "K" + "".join(R.choice("0123456789") for _ in range(8))
    if k < 0.8:
        return "KJ" + "".join(R.choice("0123456789") for _ in range(7))
    return "H" + "".join(R.choice("0123456789") for _ in range(8))

def mainland():
    region = R.choice(["110101", "110105", "310101", "440301", "440106", "330102", "510104", "810000", "820000"])
    y, m, d = R.randint(1950, 2006), R.randint(1, 12), R.randint(1, 28)
    body = f"{region}{y:04d}{m:02d}{d:02d}{R.randint(0, 999):03d}"
    return body + cn_check(body)

def hrp():
    return R.choice("HM") + "".join(R.choice("0123456789") for _ in range(8)) + R.choice(["", "00", "01", "02"])

def macau():
    d = R.choice("157") + "".join(R.choice("0123456789") for _ in range(6))
    return R.choice([f"{d}({R.randint(0, 9)})", f"{d[0]}/{d[1:]}/{R.randint(0, 9)}"])

def card():
    kind = R.random()
    if kind < 0.4:
        n = luhn_complete("4", 16)
    elif kind < 0.7:
        n = luhn_complete(R.choice(["51", "52", "53", "54", "55"]), 16)
    elif kind < 0.85:
        n = luhn_complete(R.choice(["34", "37"]), 15)
        return R.choice([f"{n[:4]} {n[4:10]} {n[10:]}", n])
    else:
        n = luhn_complete("62", 16)
    sep = R.choice([" ", "-", "", " "])
    return sep.join([n[0:4], n[4:8], n[8:12], n[12:]]) if sep else n

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
def dob():
    y, m, d = R.randint(1940, 2008), R.randint(1, 12), R.randint(1, 28)
    return R.choice([f"{d:02d}/{m:02d}/{y}", f"{y}-{m:02d}-{d:02d}", f"{d} {MONTHS[m - 1]} {y}",
                     f"{MONTHS[m - 1][:3]} {d}, {y}", f"{d}.{m}.{y}"])

def dob_zh():
    y, m, d = R.randint(1940, 2008), R.randint(1, 12), R.randint(1, 28)
    return R.choice([f"{y}年{m}月{d}日", f"{d:02d}/{m:02d}/{y}"])

def ipv4():
    return f"{R.choice([203, 198, 61, 112, 220, 14])}.{R.randint(0, 255)}.{R.randint(0, 255)}.{R.randint(1, 254)}"

SUR = ["Chan", "Wong", "Lee", "Cheung", "Lau", "Leung", "Lam", "Ng", "Ho", "Tsang", "Chow", "Yeung", "Kwok", "Tang", "Mak"]
GIVEN = ["Tai", "Man", "Siu", "Ming", "Ka", "Wai", "Yan", "Kit", "Hoi", "Chun", "Mei", "Ling", "Wing", "Kin", "Fai"]
ENG = ["Peter", "Mary", "John", "Karen", "Kelvin", "Winnie", "Ivan", "Carmen", "Eric", "Joyce"]
SUR_ZH = "陳黃李張林劉梁吳何王鄭郭楊謝周"
GIVEN_ZH = "大文小明家豪嘉欣志強美玲偉傑詠詩俊"

def name_en():
    s, g1, g2 = R.choice(SUR), R.choice(GIVEN), R.choice(GIVEN).lower()
    return R.choice([f"{s} {g1} {g2.capitalize()}", f"{s.upper()} {g1} {g2.capitalize()}", f"{s} {g1}-{g2}"])

def name_zh():
    return R.choice(SUR_ZH) + "".join(R.choice(GIVEN_ZH) for _ in range(R.choice([1, 2, 2])))

STREETS = ["Nathan Road", "Queen's Road Central", "Hennessy Road", "King's Road", "Des Voeux Road", "Castle Peak Road",
           "Tai Po Road", "Sha Tin Centre Street", "Canton Road", "Argyle Street"]
DISTRICTS = ["Mong Kok", "Central", "Wan Chai", "Causeway Bay", "North Point", "Sham Shui Po", "Tsim Sha Tsui", "Sha Tin",
             "Kwun Tong", "Tsuen Wan", "Yuen Long", "Tai Po"]
def address_en():
    unit = R.choice([f"Flat {R.choice('ABCDEFGH')}, ", f"Room {R.randint(101, 3012)}, ", f"Unit {R.randint(1, 20)}, ", ""])
    floor = R.choice([f"{R.randint(1, 40)}/F, ", "G/F, ", ""])
    block = R.choice([f"Block {R.randint(1, 9)}, ", ""])
    street = f"{R.randint(1, 888)} {R.choice(STREETS)}, "
    district = R.choice(DISTRICTS)
    region = R.choice(["", ", Kowloon", ", Hong Kong", ", New Territories"])
    return f"{unit}{floor}{block}{street}{district}{region}"

D_ZH = ["旺角", "沙田", "觀塘", "銅鑼灣", "荃灣", "將軍澳", "元朗", "深水埗", "北角", "灣仔"]
S_ZH = ["彌敦道", "英皇道", "軒尼詩道", "青山公路", "大埔道", "荔枝角道", "沙田正街", "駱克道"]
def address_zh():
    head = R.choice(["", "香港", "九龍", "新界"])
    return (f"{head}{R.choice(D_ZH)}{R.choice(S_ZH)}{R.randint(1, 888)}號"
            + R.choice(["", f"{R.choice('ABCDEFG')}座"]) + f"{R.randint(1, 40)}樓" + R.choice(["", f"{R.choice('ABCDEFGH')}室"]))

def m(cat, s):
    return f"⟦{cat}|{s}⟧"

FILLER_EN = ["Customer asked about the renewal.", "Follow up next week.", "Sent the brochure.",
             "Prefers email contact.", "Meeting moved to Friday.", "Discussed the new plan."]
FILLER_ZH = ["客戶查詢續約事宜。", "下星期再跟進。", "已寄出資料。", "客戶想改用電郵聯絡。", "會議改到星期五。"]

def positives():
    out = []
    for _ in range(260):
        h = hkid()
        bare = "(" not in h and "（" not in h
        ctx = R.choice(["HKID: {}", "HKID no. {}", "HK identity card {}", "身份證號碼：{}", "香港身份證{}", "身份證 {}",
                        "ID card: {}", "Identity card number {}", "hkid {}"]) if bare or R.random() < 0.7 else \
            R.choice(["Customer {n} ({}) called.", "Applicant {} signed the form.", "{} 已核實。", "Verified holder {} at the counter."])
        out.append(ctx.format(m("hkid", h), n=m("name", name_en())) + " " + R.choice(FILLER_EN + FILLER_ZH))
    for _ in range(240):
        p = phone()
        ctx = R.choice(["Tel: {}", "Mobile {}", "Please call {} after 6pm.", "WhatsApp {}", "電話：{}", "手機{}", "聯絡電話 {}",
                        "致電{}", "Contact number: {}", "call me at {}", "{n} 電話{}", "Phone {} (office)"])
        out.append(ctx.format(m("phone", p), n=name_zh()) + " " + R.choice(FILLER_EN + FILLER_ZH))
    for _ in range(40):
        out.append(f"{R.choice(['Client', '客戶'])} {m('name', name_en()) if R.random() < 0.0 else 'update'}: {m('phone', mobile())}, {R.choice(FILLER_EN)}")
    for _ in range(160):
        e = email(R.choice(["chan", "wong", "kelly", "tm.lee", "hk_user"]))
        ctx = R.choice(["Email: {}", "email {} for the quote", "電郵：{}", "Send it to {}.", "請電郵至{}", "({})"])
        out.append(ctx.format(m("email", e)) + " " + R.choice(FILLER_EN + FILLER_ZH))
    for _ in range(120):
        ctx = R.choice(["Passport No. {}", "passport {}", "護照號碼：{}", "HKSAR passport {}", "護照{}"])
        out.append(ctx.format(m("passport", passport())) + " " + R.choice(FILLER_EN))
    for _ in range(140):
        ctx = R.choice(["身份证号：{}", "內地身份證 {}", "Mainland ID {}", "居民身份證號碼{}", "PRC ID: {}", "身份證號碼 {}",
                        "{} (resident ID)", "證件號碼：{}"])
        out.append(ctx.format(m("national_id", mainland())) + " " + R.choice(FILLER_ZH))
    for _ in range(50):
        ctx = R.choice(["回鄉證 {}", "Home Return Permit {}", "回鄉證號碼：{}", "港澳居民來往內地通行證 {}"])
        out.append(ctx.format(m("national_id", hrp())) + " " + R.choice(FILLER_ZH))
    for _ in range(40):
        ctx = R.choice(["澳門身份證 {}", "Macau ID {}", "BIR {}"])
        out.append(ctx.format(m("national_id", macau())) + " " + R.choice(FILLER_EN))
    for _ in range(200):
        ctx = R.choice(["Card no. {}", "Visa {}", "信用卡號碼：{}", "credit card {} exp 09/27", "Paid by card {}.",
                        "Mastercard: {}", "卡號{}", "UnionPay {}", "Charge {} for the deposit."])
        out.append(ctx.format(m("card_number", card())) + " " + R.choice(FILLER_EN + FILLER_ZH))
    for _ in range(120):
        if R.random() < 0.6:
            ctx = R.choice(["DOB: {}", "Date of birth {}", "born on {}", "Birthday {}", "D.O.B. {}"])
            out.append(ctx.format(m("date_of_birth", dob())) + " " + R.choice(FILLER_EN))
        else:
            ctx = R.choice(["出生日期：{}", "生日{}", "出生於{}"])
            out.append(ctx.format(m("date_of_birth", dob_zh())) + R.choice(FILLER_ZH))
    for _ in range(60):
        ctx = R.choice(["Login from {} at 10:32.", "IP address {}", "登入IP：{}", "remote addr {}"])
        out.append(ctx.format(m("ip_address", ipv4())))
    for _ in range(120):
        k = R.random()
        if k < 0.3:
            out.append(f"{R.choice(['Mr', 'Ms', 'Mrs', 'Dr'])} {m('name', name_en())} {R.choice(['called', 'visited the branch', 'asked for a refund'])}.")
        elif k < 0.55:
            t = R.choice(["先生", "小姐", "女士", "太太"])
            out.append(f"{m('name', name_zh())}{t}{R.choice(['來電查詢。', '已付款。', '要求更改地址。'])}")
        elif k < 0.8:
            out.append(f"{R.choice(['客戶：', '聯絡人：', '姓名：', '收件人'])}{m('name', name_zh())}，{R.choice(FILLER_ZH)}")
        else:
            out.append(f"{R.choice(['Customer:', 'Name:', 'Contact person:'])} {m('name', R.choice(ENG) + ' ' + R.choice(SUR))}. {R.choice(FILLER_EN)}")
    for _ in range(80):
        if R.random() < 0.5:
            out.append(f"{R.choice(['Address: ', 'Deliver to ', 'Mailing address: '])}{m('address', address_en())}.")
        else:
            out.append(f"{R.choice(['地址：', '送貨地址：', '住址'])}{m('address', address_zh())}。")
    # Mixed Cantonese-English lines with several spans.
    for _ in range(120):
        n_zh, e, p = name_zh(), email(), mobile()
        out.append(R.choice([
            f"{m('name', n_zh)}先生話想update個email做{m('email', e)}，手機{m('phone', p)}。",
            f"唔該send份contract去{m('email', e)}，佢手機係{m('phone', p)}",
            f"客戶{m('name', n_zh)}（HKID {m('hkid', hkid())}）call咗嚟問renewal，tel {m('phone', phone(False))}",
            f"Mr {m('name', name_en())} 嘅卡號 {m('card_number', card())} 已經expired，請佢打 {m('phone', phone(True))}",
            f"收件人{m('name', n_zh)}，電話{m('phone', p)}，地址{m('address', address_zh())}",
            f"Customer {m('name', name_en())}, DOB {m('date_of_birth', dob())}, HKID {m('hkid', hkid())}, tel {m('phone', phone())}",
        ]))
    return out

def negatives():
    out = []
    for _ in range(140):
        code = hkid_like_code(passing=True)
        out.append(R.choice([f"SKU {code} out of stock.", f"Model {code} replaced under warranty.", f"型號{code}已停產。",
                             f"Part No. {code}", f"Serial {code} returned.", f"Product code {code}", f"貨號：{code}",
                             f"Item {code} x 2", f"Batch {code} shipped."]))
    for _ in range(40):
        out.append(f"Order {hkid_like_code(passing=False)} shipped.")
    for _ in range(160):
        n = R.choice("2356789") + "".join(R.choice("0123456789") for _ in range(7))
        out.append(R.choice([f"Invoice No. {n} issued.", f"Order #{n} confirmed.", f"訂單編號 {n}", f"Ref: {n}",
                             f"Tracking {n}", f"Receipt {n} printed.", f"單號：{n}", f"Transaction {n} settled.",
                             f"Case {n} closed.", f"Ticket {n} escalated.", f"發票號碼{n}"]))
    for _ in range(80):
        y, mo, d = R.randint(2015, 2025), R.randint(1, 12), R.randint(1, 28)
        out.append(R.choice([f"Meeting on {d:02d}/{mo:02d}/{y} at 10:30.", f"Created {y}-{mo:02d}-{d:02d} 14:22:05",
                             f"Timestamp {y}{mo:02d}{d:02d}", f"epoch {R.randint(1500000000, 1800000000)}",
                             f"log {R.randint(1500000000000, 1800000000000)}", f"Invoice date {y}-{mo:02d}-{d:02d}",
                             f"{y}年{mo}月{d}日 到期", f"Renewal due {d} {MONTHS[mo - 1]} {y}."]))
    for _ in range(80):
        out.append(R.choice([f"Total HK${R.randint(1000, 99999999):,}.{R.randint(0, 99):02d}",
                             f"Amount: {R.randint(10000000, 99999999)} HKD", f"金額：港幣{R.randint(1000, 99999999)}元",
                             f"Price {R.randint(100, 9999)}.{R.randint(0, 99):02d}", f"Qty {R.randint(1, 99)} @ ${R.randint(10, 999)}"]))
    for _ in range(120):
        serial = luhn_complete(R.choice(["4", "5", "3", "6", "2"]), 16)
        out.append(R.choice([f"Serial No. {serial}", f"Tracking {serial}", f"IMEI {luhn_complete('35', 15)}",
                             f"序號：{serial}", f"Order {serial} dispatched", f"Container ref {serial}",
                             f"Barcode {luhn_complete('4', 13)}", f"Waybill {serial}"]))
    for _ in range(40):
        n = "".join(R.choice("0123456789") for _ in range(16))
        if luhn_ok(n):
            n = n[:-1] + str((int(n[-1]) + 1) % 10)
        out.append(f"Reference {n[:4]} {n[4:8]} {n[8:12]} {n[12:]} noted." if R.random() < 0.5 else f"Account {n}")
    for _ in range(60):
        body = "".join(R.choice("0123456789") for _ in range(17))
        out.append(R.choice([f"訂單號 {body}{R.choice('0123456789')}", f"Shipment {body}{R.choice('0123456789')}",
                             f"Transaction ID {body}{R.choice('0123456789')}"]))
    for _ in range(40):
        out.append(R.choice(["Version 10.2.3.4 released.", "Build 1.0.12.7", "ver 2.10.3.1", "Time 10:30:45",
                             "icon@2x.png uploaded", "MAC 00:1A:2B:3C:4D:5E", "user@localhost", "@chan_tm on IG"]))
    for _ in range(60):
        out.append(R.choice(["Visit Wong Tai Sin Temple.", "Branch in Yuen Long.", "Office at Ho Man Tin.",
                             "Hong Kong Disneyland tickets.", "Meet at Lee Gardens.", "Ma On Shan station exit A.",
                             "高級經理已批核。", "區域經理會跟進。", "黃金價格上升。", "Chan Building lift repair.",
                             "The Kong Kong project.", "Lam Tin MTR station"]))
    return out

def main():
    lines = positives() + negatives()
    R.shuffle(lines)
    for t in lines:
        print(json.dumps({"text": t}, ensure_ascii=False))

if __name__ == "__main__":
    main()
