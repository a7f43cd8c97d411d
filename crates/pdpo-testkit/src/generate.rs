//! The seeded generator: [`Generator`], [`ContactGroup`] and their ground truth.

use chrono::{DateTime, Utc};
use pdpo_core::{Decimal, Identifier, Key, KeyValue, PiiCategory, Record, RecordRef, Value};
use serde_json::{Map, Value as Json, json};

use crate::hk;
use crate::ids::{PHONE_FORMATS, PhoneFormat, format_hk_phone};
use crate::person::{Person, Spaces};
use crate::png;
use crate::rng::{Rng, stream};
use crate::text::{self, PiiSpan, Text};

/// Keys of records that belong to contact `c` are `c * ID_STRIDE + n` (`n` = 1, 2, ...), so any
/// contact's records can be generated on their own and every key is unique without a counter.
/// Contact 42's third message has key `42_000_003`.
pub const ID_STRIDE: i64 = 1_000_000;

/// The seed used by [`Generator::with_default_seed`].
pub const DEFAULT_SEED: u64 = 852;

/// Number of staff users (keys `1..=STAFF_COUNT`).
pub const STAFF_COUNT: i64 = 40;

/// One company is founded for every `COMPANY_EVERY` contacts: contact `8k + 1` brings company
/// `k + 1`.
pub const COMPANY_EVERY: i64 = 8;

/// Share of contacts that are a second row for an earlier contact's person.
pub const DUPLICATE_RATE: f64 = 0.01;

/// Every generated instant is before this one (2026-01-01T00:00:00Z); contacts are created from
/// 2015-01-01 on, in key order. Use it as "now" when evaluating retention on generated data.
pub const REFERENCE_NOW_SECS: i64 = 1_767_225_600;
const START_SECS: i64 = 1_420_070_400; // 2015-01-01T00:00:00Z
const DAY: i64 = 86_400;

/// [`REFERENCE_NOW_SECS`] as a timestamp.
pub fn reference_now() -> DateTime<Utc> {
    ts(REFERENCE_NOW_SECS)
}

fn ts(secs: i64) -> DateTime<Utc> {
    // Invariant: every instant generated lies between 2013 and 2026, well inside chrono's range.
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// Entity names of the sample CRM.
pub mod entity {
    use pdpo_core::Identifier;

    /// `contacts`, the data subjects.
    pub const CONTACTS: Identifier = Identifier::from_static("contacts");
    /// `companies`.
    pub const COMPANIES: Identifier = Identifier::from_static("companies");
    /// `deals`.
    pub const DEALS: Identifier = Identifier::from_static("deals");
    /// `conversations`.
    pub const CONVERSATIONS: Identifier = Identifier::from_static("conversations");
    /// `conversation_participants` (composite key `conversation_id, contact_id`).
    pub const CONVERSATION_PARTICIPANTS: Identifier = Identifier::from_static("conversation_participants");
    /// `messages`.
    pub const MESSAGES: Identifier = Identifier::from_static("messages");
    /// `attachments`.
    pub const ATTACHMENTS: Identifier = Identifier::from_static("attachments");
    /// `invoices`.
    pub const INVOICES: Identifier = Identifier::from_static("invoices");
    /// `invoice_lines` (composite key `invoice_id, line_no`).
    pub const INVOICE_LINES: Identifier = Identifier::from_static("invoice_lines");
    /// `marketing_consents`.
    pub const MARKETING_CONSENTS: Identifier = Identifier::from_static("marketing_consents");
    /// `activities`.
    pub const ACTIVITIES: Identifier = Identifier::from_static("activities");
    /// `staff_users`.
    pub const STAFF_USERS: Identifier = Identifier::from_static("staff_users");

    /// Every entity, parents before children (a safe insertion order).
    pub const ALL: [Identifier; 12] = [
        STAFF_USERS,
        COMPANIES,
        CONTACTS,
        DEALS,
        CONVERSATIONS,
        CONVERSATION_PARTICIPANTS,
        MESSAGES,
        ATTACHMENTS,
        INVOICES,
        INVOICE_LINES,
        MARKETING_CONSENTS,
        ACTIVITIES,
    ];
}

use entity as E;

/// How busy a contact is; it drives every per-contact count (see the crate docs for the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Activity {
    /// 35 %: a lead that went quiet; a handful of records.
    Dormant,
    /// 50 %: an ordinary customer.
    Regular,
    /// 14 %: a busy customer.
    Active,
    /// 0.9 %: hundreds of messages.
    Heavy,
    /// 0.1 %: thousands of messages.
    Extreme,
}

const ACTIVITIES: &[(u32, Activity)] = &[
    (3500, Activity::Dormant),
    (5000, Activity::Regular),
    (1400, Activity::Active),
    (90, Activity::Heavy),
    (10, Activity::Extreme),
];

/// What two contact rows of the same person have in common (besides name and date of birth),
/// i.e. how a requester-resolution step can tell they are one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DuplicateKind {
    /// The same email address typed with different capitalisation.
    SameEmail,
    /// The same mobile number written in another format; a different email address.
    SamePhone,
    /// Only the HKID matches (another email, and an office number instead of the mobile).
    SameHkid,
}

/// Two contact rows for one person: `duplicate` was created after `original`, and `original` is
/// the person's first row (never itself a duplicate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DuplicatePair {
    /// The person's first contact row.
    pub original: i64,
    /// The later row.
    pub duplicate: i64,
    /// What the rows share.
    pub kind: DuplicateKind,
}

/// A generated free-text value and the personal data it contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextPii {
    /// The record holding the text.
    pub record: RecordRef,
    /// The column holding the text.
    pub column: &'static str,
    /// Every piece of personal data inserted into the text (empty for texts that mention none).
    pub spans: Vec<PiiSpan>,
}

/// An attachment's bytes, to put in a [`BlobStore`](pdpo_core::BlobStore) under `id`.
#[derive(Clone, PartialEq, Eq)]
pub struct Blob {
    /// Blob id (the `attachments.blob_id` column).
    pub id: String,
    /// MIME type.
    pub content_type: &'static str,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Categories of personal data the file shows (an HKID card scan shows `hkid` and `name`).
    pub categories: Vec<PiiCategory>,
    /// For text files: where each piece of personal data is (byte offsets into `bytes`).
    pub spans: Vec<PiiSpan>,
}

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blob")
            .field("id", &self.id)
            .field("content_type", &self.content_type)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("categories", &self.categories)
            .finish_non_exhaustive()
    }
}

/// Everything generated with one contact: its row, the rows it owns, their blobs and ground truth.
///
/// Records are in insertion order (parents before children). A record shared with earlier contacts
/// (a message to one, a deal or a conversation with several) belongs to the group of the latest
/// contact involved, so loading groups in key order never leaves a foreign key dangling.
#[derive(Debug, Clone)]
pub struct ContactGroup {
    /// The contact's key.
    pub contact_id: i64,
    /// How busy the contact is.
    pub activity: Activity,
    /// Set when this contact is a second row for an earlier contact's person.
    pub duplicate_of: Option<DuplicatePair>,
    /// The records, parents first (a company founded with this contact comes before it).
    pub records: Vec<Record>,
    /// Attachment bytes.
    pub blobs: Vec<Blob>,
    /// Ground truth for every free-text value in `records`.
    pub texts: Vec<TextPii>,
}

impl ContactGroup {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the group has no records (never true: it always holds the contact).
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The records of one entity.
    pub fn records_of<'a>(&'a self, entity: &'a str) -> impl Iterator<Item = &'a Record> + 'a {
        self.records.iter().filter(move |r| r.entity == entity)
    }

    /// The contact's own record.
    pub fn contact(&self) -> Option<&Record> {
        self.records_of("contacts").next()
    }
}

/// The deterministic generator of the sample CRM's data.
///
/// Same `(contacts, seed)`, same data, byte for byte, run after run. Every contact's group is a
/// pure function of `(contacts, seed, contact id)`, so [`Generator::group`] gives any contact's
/// data without generating the others, and [`Generator::groups`] streams all of them in bounded
/// memory (one group at a time). Heavy-tail counts use `f64` `ln`/`exp`, whose last bit may
/// differ between math libraries: do not expect bit-identical data across platforms.
#[derive(Debug, Clone)]
pub struct Generator {
    contacts: i64,
    seed: u64,
    spaces: Spaces,
}

/// Per-contact facts other contacts' groups need (cheap to recompute).
#[derive(Debug, Clone, Copy)]
struct Header {
    activity: Activity,
    customer: bool,
    hkid_on_file: bool,
    phone_format: PhoneFormat,
    created: i64,
    last_activity: i64,
}

impl Generator {
    /// A generator for `contacts` contacts (at least 1) with `seed`.
    pub fn new(contacts: u64, seed: u64) -> Self {
        let contacts =
            i64::try_from(contacts.max(1)).unwrap_or(i64::MAX / ID_STRIDE).min(i64::MAX / ID_STRIDE);
        Self { contacts, seed, spaces: Spaces::new(seed) }
    }

    /// A generator for `contacts` contacts with [`DEFAULT_SEED`].
    pub fn with_default_seed(contacts: u64) -> Self {
        Self::new(contacts, DEFAULT_SEED)
    }

    /// Number of contacts (keys `1..=contacts`).
    pub fn contacts(&self) -> i64 {
        self.contacts
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The staff users (actors, not data subjects), to load before any group.
    pub fn staff(&self) -> Vec<Record> {
        (1..=STAFF_COUNT)
            .map(|id| {
                let mut r = Rng::new(self.seed, stream::STAFF, id as u64);
                let &(surname, _) = r.weighted(hk::SURNAMES);
                let first = *r.pick(hk::ENGLISH_NAMES);
                let role = *r.weighted(&[
                    (30, "agent"),
                    (6, "manager"),
                    (3, "admin"),
                    (1, "data_protection_officer"),
                ]);
                let created = START_SECS - 400 * DAY + r.below(400) as i64 * DAY;
                Record::new(E::STAFF_USERS, Key::from(id))
                    .with("id", id)
                    .with("name", format!("{first} {}", surname.to_uppercase()))
                    .with(
                        "email",
                        format!("{}.{}{id}@crm.example", first.to_lowercase(), surname.to_lowercase()),
                    )
                    .with("role", role)
                    .with("created_at", ts(created))
            })
            .collect()
    }

    /// Every contact's group, in key order.
    pub fn groups(&self) -> Groups<'_> {
        Groups { generator: self, next: 1 }
    }

    /// The group of contact `id`, or `None` outside `1..=contacts`.
    pub fn group(&self, id: i64) -> Option<ContactGroup> {
        (1..=self.contacts).contains(&id).then(|| self.build(id))
    }

    /// Every duplicate pair, in order of the duplicate's key. Cheap: generates no records.
    pub fn duplicates(&self) -> impl Iterator<Item = DuplicatePair> + '_ {
        (2..=self.contacts).filter_map(|id| self.duplicate(id))
    }

    /// The duplicate pair whose `duplicate` is `id`, if `id` is a second row for a person.
    pub fn duplicate(&self, id: i64) -> Option<DuplicatePair> {
        if id < 2 || id > self.contacts {
            return None;
        }
        let mut r = Rng::new(self.seed, stream::DUPLICATE, id as u64);
        if !r.chance(DUPLICATE_RATE) {
            return None;
        }
        let picked = r.range(1, id as u64 - 1) as i64;
        let original = self.duplicate(picked).map_or(picked, |d| d.original);
        let mut kind =
            *r.pick(&[DuplicateKind::SameEmail, DuplicateKind::SamePhone, DuplicateKind::SameHkid]);
        if kind == DuplicateKind::SameHkid && !self.header(original).hkid_on_file {
            kind = DuplicateKind::SamePhone;
        }
        Some(DuplicatePair { original, duplicate: id, kind })
    }

    /// The person behind contact `id` (its original's person for a duplicate).
    fn person_of(&self, id: i64) -> Person {
        let root = self.duplicate(id).map_or(id, |d| d.original);
        Person::generate(self.seed, &self.spaces, root as u64)
    }

    fn header(&self, id: i64) -> Header {
        let mut r = Rng::new(self.seed, stream::HEADER, id as u64);
        let activity = *r.weighted(ACTIVITIES);
        let customer = match activity {
            Activity::Dormant => r.chance(0.1),
            Activity::Regular => r.chance(0.7),
            _ => true,
        };
        let hkid_on_file = if customer { r.chance(0.9) } else { r.chance(0.15) };
        let phone_format = if r.chance(0.7) { PhoneFormat::International } else { *r.pick(&PHONE_FORMATS) };
        // Created in key order across 2015-01-01 .. reference now - 60 days.
        let span = (REFERENCE_NOW_SECS - 60 * DAY - START_SECS) as i128;
        let step = (span / i128::from(self.contacts)).max(1);
        let created = START_SECS
            + (i128::from(id - 1) * span / i128::from(self.contacts)) as i64
            + r.below(step as u64) as i64;
        let room = REFERENCE_NOW_SECS - created;
        let last_activity = match activity {
            Activity::Dormant => created + r.below((90 * DAY).min(room) as u64) as i64,
            Activity::Regular => created + (r.unit().sqrt() * room as f64) as i64,
            _ => REFERENCE_NOW_SECS - r.below((60 * DAY).min(room) as u64) as i64,
        };
        Header {
            activity,
            customer,
            hkid_on_file,
            phone_format,
            created,
            last_activity: last_activity.max(created),
        }
    }

    fn build(&self, id: i64) -> ContactGroup {
        let h = self.header(id);
        let dup = self.duplicate(id);
        let person = self.person_of(id);
        let mut b = Builder {
            g: self,
            id,
            r: Rng::new(self.seed, stream::CONTACT, id as u64),
            h,
            person,
            records: Vec::new(),
            blobs: Vec::new(),
            texts: Vec::new(),
            seq: [0; 12],
        };
        b.company_and_contact(dup);
        b.deals();
        b.conversations();
        b.attachments(dup);
        b.invoices();
        b.consents();
        b.activities();
        ContactGroup {
            contact_id: id,
            activity: h.activity,
            duplicate_of: dup,
            records: b.records,
            blobs: b.blobs,
            texts: b.texts,
        }
    }
}

/// Iterator over every [`ContactGroup`] in key order (see [`Generator::groups`]).
#[derive(Debug, Clone)]
pub struct Groups<'a> {
    generator: &'a Generator,
    next: i64,
}

impl Iterator for Groups<'_> {
    type Item = ContactGroup;

    fn next(&mut self) -> Option<ContactGroup> {
        let g = self.generator.group(self.next)?;
        self.next += 1;
        Some(g)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from((self.generator.contacts - self.next + 1).max(0)).unwrap_or(usize::MAX);
        (n, Some(n))
    }
}

impl ExactSizeIterator for Groups<'_> {}

/// One side of a message: a contact and their person, or `None` for the staff side.
type Party<'p> = Option<(i64, &'p Person)>;

/// Builds one contact's group.
struct Builder<'a> {
    g: &'a Generator,
    id: i64,
    r: Rng,
    h: Header,
    person: Person,
    records: Vec<Record>,
    blobs: Vec<Blob>,
    texts: Vec<TextPii>,
    seq: [i64; 12],
}

fn money(cents: i64) -> Value {
    // Invariant: `cents` is never negative here, so `<int>.<2 digits>` is always a valid decimal.
    format!("{}.{:02}", cents / 100, cents % 100).parse::<Decimal>().map_or(Value::Null, Value::Decimal)
}

fn opt_text(s: Option<String>) -> Value {
    s.map_or(Value::Null, Value::Text)
}

impl Builder<'_> {
    /// The next key of `entity` (by index in [`entity::ALL`]) for this contact.
    fn next_key(&mut self, slot: usize) -> i64 {
        self.seq[slot] += 1;
        self.id * ID_STRIDE + self.seq[slot]
    }

    /// A time in `[lo, hi]`.
    fn time_between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.r.below((hi - lo).max(0) as u64 + 1) as i64
    }

    fn within_life(&mut self) -> i64 {
        self.time_between(self.h.created, self.h.last_activity)
    }

    fn staff_id(&mut self) -> i64 {
        self.r.range(1, STAFF_COUNT as u64) as i64
    }

    /// An earlier contact near this one (for shared records), or `None` for contact 1.
    fn earlier_contact(&mut self, window: i64) -> Option<i64> {
        (self.id > 1).then(|| self.id - 1 - self.r.below((self.id - 1).min(window) as u64) as i64)
    }

    fn text(&mut self, template: &[text::Part], person: &Person, contact: i64) -> Text {
        let mut t = Text::default();
        t.fill(template, person, contact, &mut self.r);
        t
    }

    fn truth(&mut self, entity: Identifier, key: Key, column: &'static str, spans: Vec<PiiSpan>) {
        self.texts.push(TextPii { record: RecordRef::new(entity, key), column, spans });
    }

    fn about_text(&mut self, sentences: usize) -> Text {
        let mut t = Text::default();
        for i in 0..sentences {
            if i > 0 {
                t.lit(" ");
            }
            let tpl = *self.r.pick(text::ABOUT);
            t.fill(tpl, &self.person, self.id, &mut self.r);
        }
        t
    }

    fn company_and_contact(&mut self, dup: Option<DuplicatePair>) {
        let id = self.id;
        let latest_company = (id - 1) / COMPANY_EVERY + 1;
        let founds = (id - 1) % COMPANY_EVERY == 0;
        if founds {
            self.company(latest_company);
        }
        let company_id = if founds {
            Some(latest_company)
        } else if self.r.chance(0.6) {
            Some(latest_company - self.r.below(latest_company.min(20) as u64) as i64)
        } else {
            None
        };

        let p = self.person.clone();
        let kind = dup.map(|d| d.kind);
        let name_en = if dup.is_some() && self.r.chance(0.5) {
            format!("{} {}", p.surname, p.given)
        } else {
            p.name_en()
        };
        let name_zh = (dup.is_none() || self.r.chance(0.7)).then(|| p.name_zh());
        let email = match kind {
            None => p.email(),
            Some(DuplicateKind::SameEmail) => {
                let mut e = String::with_capacity(p.email().len());
                let mut up = true;
                for c in p.email().chars() {
                    e.push(if up { c.to_ascii_uppercase() } else { c });
                    up = matches!(c, '.' | '@' | '_');
                }
                e
            }
            Some(_) => {
                let domain = *self.r.weighted(hk::EMAIL_DOMAINS);
                format!(
                    "{}.{}.{}@{domain}",
                    p.surname.to_lowercase(),
                    p.given.replace(' ', "").to_lowercase(),
                    p.pid
                )
            }
        };
        let phone = match kind {
            Some(DuplicateKind::SamePhone) => {
                let root_format = self.g.header(dup.map_or(id, |d| d.original)).phone_format;
                let others: Vec<PhoneFormat> =
                    PHONE_FORMATS.into_iter().filter(|f| *f != root_format).collect();
                format_hk_phone(&p.mobile, *self.r.pick(&others))
            }
            Some(DuplicateKind::SameHkid) => format_hk_phone(&p.office, PhoneFormat::International),
            _ => format_hk_phone(&p.mobile, self.h.phone_format),
        };
        let hkid_on_file = self.h.hkid_on_file || kind == Some(DuplicateKind::SameHkid);
        let zh_address = self.r.chance(0.3);
        let address = if zh_address { p.address.zh.clone() } else { p.address.en.clone() };
        let mut extra = Vec::new();
        for label in ["work", "home"] {
            if self.r.chance(if label == "work" { 0.25 } else { 0.08 }) {
                extra.push(json!(format!(
                    "{}.{label}@{}",
                    p.email_local,
                    self.r.weighted(hk::EMAIL_DOMAINS)
                )));
            }
        }
        let mut custom = Map::new();
        custom.insert(
            "preferred_language".into(),
            json!(if zh_address { "zh-HK" } else { *self.r.pick(&["en", "zh-HK"]) }),
        );
        custom.insert(
            "source".into(),
            json!(self.r.pick(&["walk_in", "website", "referral", "event", "phone"])),
        );
        if let Some(e) = p.english.filter(|_| self.r.chance(0.5)) {
            custom.insert("preferred_name".into(), json!(e));
        }
        if self.r.chance(0.3) {
            custom
                .insert("office_phone".into(), json!(format_hk_phone(&p.office, PhoneFormat::International)));
        }
        if self.r.chance(0.15) {
            custom.insert("wechat_id".into(), json!(p.wechat));
        }
        if self.r.chance(0.05) {
            custom.insert("passport_no".into(), json!(p.passport));
        }
        if self.r.chance(0.05) {
            custom.insert("mainland_id".into(), json!(p.mainland_id));
        }
        if !zh_address && self.r.chance(0.2) {
            custom.insert("mailing_address_zh".into(), json!(p.address.zh));
        }
        custom.insert("vip".into(), json!(matches!(self.h.activity, Activity::Heavy | Activity::Extreme)));

        let sentences = match self.h.activity {
            Activity::Dormant => usize::from(self.r.chance(0.5)),
            Activity::Regular => 1,
            _ => 2,
        };
        let notes = (sentences > 0).then(|| self.about_text(sentences));
        let updated = self.time_between(self.h.created, self.h.last_activity);
        let owner = self.staff_id();
        let status = if self.h.customer { "customer" } else { "lead" };
        let rec = Record::new(E::CONTACTS, Key::from(id))
            .with("id", id)
            .with("company_id", company_id)
            .with("name_en", name_en)
            .with("name_zh", name_zh)
            .with("hkid", hkid_on_file.then(|| p.hkid.clone()))
            .with("phone", phone)
            .with("email", email)
            .with("extra_emails", Json::Array(extra))
            .with("address", address)
            .with("date_of_birth", p.dob)
            .with("notes", opt_text(notes.as_ref().map(|t| t.text.clone())))
            .with("status", status)
            .with("custom_fields", Json::Object(custom))
            .with("owner_staff_id", owner)
            .with("created_at", ts(self.h.created))
            .with("updated_at", ts(updated))
            .with("last_activity_at", ts(self.h.last_activity));
        self.records.push(rec);
        if let Some(n) = notes {
            self.truth(E::CONTACTS, Key::from(id), "notes", n.spans);
        }
    }

    fn company(&mut self, company_id: i64) {
        let mut r = Rng::new(self.g.seed, stream::COMPANY, company_id as u64);
        let &(stem_en, stem_zh) = r.pick(hk::COMPANY_STEMS);
        let &(suf_en, suf_zh) = r.pick(hk::COMPANY_SUFFIXES);
        let street = r.pick(hk::STREETS);
        let address =
            format!("{}/F, {} {}, {}", r.range(2, 30), r.range(1, 300), street.en, street.district_en);
        let brn = format!("{:08}", r.below(100_000_000));
        let phone = format_hk_phone(
            &format!("{}{:06}", r.pick(hk::FIXED_PREFIXES), r.below(1_000_000)),
            PhoneFormat::Spaced,
        );
        let industry =
            *r.pick(&["retail", "logistics", "property", "engineering", "catering", "design", "finance"]);
        // The founding contact is the company's first employee; the notes name them.
        let mut t = Text::default();
        t.lit("Main contact: ");
        t.fill(&[text::Part::P(text::Slot::NameEn)], &self.person, self.id, &mut self.r);
        if self.r.chance(0.5) {
            t.lit(", direct line ");
            t.fill(&[text::Part::P(text::Slot::Phone)], &self.person, self.id, &mut self.r);
        }
        t.lit(".");
        let rec = Record::new(E::COMPANIES, Key::from(company_id))
            .with("id", company_id)
            .with("name_en", format!("{stem_en} {suf_en}"))
            .with("name_zh", format!("{stem_zh}{suf_zh}"))
            .with("brn", brn)
            .with("phone", phone)
            .with("address", address)
            .with("industry", industry)
            .with("notes", t.text)
            .with("created_at", ts(self.h.created))
            .with("updated_at", ts(self.h.last_activity));
        self.records.push(rec);
        self.truth(E::COMPANIES, Key::from(company_id), "notes", t.spans);
    }

    fn count(&mut self, ranges: [(u64, u64); 5]) -> u64 {
        let (lo, hi) = ranges[self.h.activity as usize];
        self.r.range(lo, hi)
    }

    fn deals(&mut self) {
        let n = match self.h.activity {
            Activity::Dormant => u64::from(self.r.chance(0.1)),
            Activity::Regular => u64::from(self.r.chance(0.3)),
            _ => self.count([(0, 0), (0, 0), (1, 3), (2, 6), (3, 10)]),
        };
        let company =
            self.records.iter().find(|r| r.entity == E::CONTACTS).and_then(|r| r.get("company_id").cloned());
        for _ in 0..n {
            let key = self.next_key(3);
            let mut ids = vec![json!(self.id)];
            if self.r.chance(0.3)
                && let Some(other) = self.earlier_contact(50)
            {
                ids.push(json!(other));
            }
            let created = self.within_life();
            let stage =
                *self.r.weighted(&[(3, "lead"), (2, "qualified"), (2, "proposal"), (4, "won"), (3, "lost")]);
            let closed =
                matches!(stage, "won" | "lost").then(|| ts(self.time_between(created, REFERENCE_NOW_SECS)));
            let title = *self.r.pick(&[
                "Office renovation",
                "Annual maintenance contract",
                "Bulk order",
                "Website redesign",
                "Staff uniforms",
                "Catering for year-end dinner",
            ]);
            let notes = self.r.chance(0.3).then(|| self.about_text(1));
            let owner = self.staff_id();
            let rec = Record::new(E::DEALS, Key::from(key))
                .with("id", key)
                .with("company_id", company.clone().unwrap_or(Value::Null))
                .with("contact_ids", Json::Array(ids))
                .with("title", title)
                .with("stage", stage)
                .with("amount", money(self.r.range(50, 5000) as i64 * 10_000))
                .with("currency", "HKD")
                .with("owner_staff_id", owner)
                .with("notes", opt_text(notes.as_ref().map(|t| t.text.clone())))
                .with("created_at", ts(created))
                .with("updated_at", ts(closed.map_or(created, |c| c.timestamp())))
                .with("closed_at", closed);
            self.records.push(rec);
            if let Some(t) = notes {
                self.truth(E::DEALS, Key::from(key), "notes", t.spans);
            }
        }
    }

    fn conversations(&mut self) {
        let messages = match self.h.activity {
            Activity::Dormant => self.r.range(0, 2),
            Activity::Regular => self.r.range(1, 12),
            Activity::Active => self.r.log_uniform(12, 150),
            Activity::Heavy => self.r.log_uniform(150, 900),
            Activity::Extreme => self.r.log_uniform(1000, 5000),
        };
        if messages == 0 {
            return;
        }
        let per = self.r.range(4, 20);
        let convs = messages.div_ceil(per);
        for c in 0..convs {
            let in_this = messages / convs + u64::from(c < messages % convs);
            self.conversation(in_this);
        }
    }

    fn conversation(&mut self, messages: u64) {
        let key = self.next_key(4);
        let mut others = Vec::new();
        let roll = self.r.unit();
        let wanted = if roll < 0.03 {
            2
        } else if roll < 0.25 {
            1
        } else {
            0
        };
        for _ in 0..wanted {
            if let Some(o) = self.earlier_contact(2000)
                && !others.contains(&o)
            {
                others.push(o);
            }
        }
        let other_people: Vec<(i64, Person)> = others.iter().map(|&o| (o, self.g.person_of(o))).collect();
        let channel =
            *self.r.weighted(&[(5, "whatsapp"), (3, "email"), (2, "phone"), (1, "wechat"), (1, "sms")]);
        let started = self.within_life();
        let tpl = *self.r.pick(text::TOPICS);
        let me = self.person.clone();
        let topic = self.text(tpl, &me, self.id);

        // Messages first (their times give last_message_at), pushed after the conversation.
        let mut msgs = Vec::with_capacity(messages as usize);
        let mut t = started;
        let gap = ((self.h.last_activity - started).max(DAY) / (messages as i64 + 1)).max(60);
        for _ in 0..messages {
            t = (t + 60 + self.r.below(2 * gap as u64) as i64).min(REFERENCE_NOW_SECS - 1);
            msgs.push(self.message(key, channel, t, &me, &other_people));
        }
        let rec = Record::new(E::CONVERSATIONS, Key::from(key))
            .with("id", key)
            .with("channel", channel)
            .with("topic", topic.text)
            .with("started_at", ts(started))
            .with("last_message_at", ts(t));
        self.records.push(rec);
        self.truth(E::CONVERSATIONS, Key::from(key), "topic", topic.spans);
        let mut participants: Vec<i64> = others.clone();
        participants.push(self.id);
        participants.sort_unstable();
        for (i, c) in participants.iter().enumerate() {
            let pk = Key::composite([KeyValue::Int(key), KeyValue::Int(*c)]);
            let role = if *c == self.id { "owner" } else { "member" };
            self.records.push(
                Record::new(E::CONVERSATION_PARTICIPANTS, pk)
                    .with("conversation_id", key)
                    .with("contact_id", *c)
                    .with("role", role)
                    .with("joined_at", ts(started + i as i64)),
            );
        }
        for (rec, spans) in msgs {
            let k = rec.key.clone();
            self.records.push(rec);
            self.truth(E::MESSAGES, k, "body", spans);
        }
    }

    fn message(
        &mut self,
        conversation: i64,
        channel: &str,
        at: i64,
        me: &Person,
        others: &[(i64, Person)],
    ) -> (Record, Vec<PiiSpan>) {
        let key = self.next_key(6);
        let staff = self.staff_id();
        let with_other = !others.is_empty() && self.r.chance(0.5);
        // (sender contact, recipient contact): None is the staff side.
        let (sender, recipient): (Party<'_>, Party<'_>) = if with_other {
            let (oid, op) = &others[self.r.below(others.len() as u64) as usize];
            if self.r.chance(0.5) {
                (Some((self.id, me)), Some((*oid, op)))
            } else {
                (Some((*oid, op)), Some((self.id, me)))
            }
        } else if self.r.chance(0.5) {
            (Some((self.id, me)), None)
        } else {
            (None, Some((self.id, me)))
        };
        let body = match (sender, recipient) {
            (Some((sid, sp)), Some((rid, rp))) => {
                if self.r.chance(0.2) {
                    let tpl = *self.r.pick(text::TO_PEER);
                    self.text(tpl, rp, rid)
                } else {
                    let tpl = *self.r.pick(text::SELF);
                    self.text(tpl, sp, sid)
                }
            }
            (Some((sid, sp)), None) => {
                let tpl = *self.r.pick(text::SELF);
                self.text(tpl, sp, sid)
            }
            (None, Some((rid, rp))) => {
                let tpl = *self.r.pick(text::TO);
                self.text(tpl, rp, rid)
            }
            (None, None) => Text::default(),
        };
        let sender_name = sender.map(|(_, p)| match channel {
            "whatsapp" | "wechat" => p.informal(),
            "email" => p.name_legal(),
            _ => p.name_zh(),
        });
        let recipient_address = recipient.filter(|_| channel == "email").map(|(_, p)| p.email());
        let direction = match (sender, recipient) {
            (Some(_), Some(_)) => "between_contacts",
            (Some(_), None) => "inbound",
            _ => "outbound",
        };
        let rec = Record::new(E::MESSAGES, Key::from(key))
            .with("id", key)
            .with("conversation_id", conversation)
            .with("sender_id", sender.map(|(i, _)| i))
            .with("recipient_id", recipient.map(|(i, _)| i))
            .with("staff_user_id", (direction != "between_contacts").then_some(staff))
            .with("direction", direction)
            .with("sender_name", sender_name)
            .with("recipient_address", recipient_address)
            .with("body", body.text)
            .with("sent_at", ts(at));
        (rec, body.spans)
    }

    fn attachments(&mut self, dup: Option<DuplicatePair>) {
        let p = self.person.clone();
        let hkid_on_file = self.h.hkid_on_file || dup.is_some_and(|d| d.kind == DuplicateKind::SameHkid);
        if hkid_on_file {
            let key = self.next_key(7);
            let bytes = png::hkid_card(&p.hkid, self.r.next_u64());
            let mut name = Text::default();
            name.lit("HKID_").pii(PiiCategory::Name, &p.name_legal().replace(' ', "_"), self.id).lit(".png");
            let blob_id = format!("att-{key}");
            let at = self.time_between(self.h.created, self.h.created + 7 * DAY);
            self.push_attachment(key, "hkid_scan", &blob_id, name, "image/png", bytes.len(), at);
            self.blobs.push(Blob {
                id: blob_id,
                content_type: "image/png",
                bytes,
                categories: vec![PiiCategory::Hkid, PiiCategory::Name],
                spans: Vec::new(),
            });
        }
        let n = self.count([(0, 0), (0, 1), (1, 3), (2, 6), (3, 8)]);
        for _ in 0..n {
            let key = self.next_key(7);
            let kind = *self.r.pick(&["service_agreement", "receipt", "address_proof"]);
            let mut doc = Text::default();
            match kind {
                "service_agreement" => {
                    doc.lit("SERVICE AGREEMENT\nCustomer: ").pii(PiiCategory::Name, &p.name_legal(), self.id);
                    doc.lit(" (").pii(PiiCategory::Name, &p.name_zh(), self.id).lit(")\nAddress: ");
                    doc.pii(PiiCategory::Address, &p.address.en, self.id).lit("\nTel: ");
                    doc.pii(PiiCategory::Phone, &format_hk_phone(&p.mobile, PhoneFormat::Spaced), self.id);
                    doc.lit("\nThe customer agrees to the terms overleaf.\n");
                }
                "receipt" => {
                    doc.lit("RECEIPT 收據\nReceived from ").pii(PiiCategory::Name, &p.name_legal(), self.id);
                    doc.lit(" the sum of HKD ").lit(&format!("{}.00", self.r.range(100, 20_000))).lit(".\n");
                }
                _ => {
                    doc.lit("住址證明 Proof of address\n")
                        .pii(PiiCategory::Name, &p.name_zh(), self.id)
                        .lit("\n");
                    doc.pii(PiiCategory::Address, &p.address.zh, self.id).lit("\n");
                }
            }
            let blob_id = format!("att-{key}");
            let name = {
                let mut t = Text::default();
                t.lit(&format!("{kind}_{}.txt", self.seq[7]));
                t
            };
            let at = self.within_life();
            let bytes = doc.text.into_bytes();
            self.push_attachment(key, kind, &blob_id, name, "text/plain; charset=utf-8", bytes.len(), at);
            self.blobs.push(Blob {
                id: blob_id,
                content_type: "text/plain; charset=utf-8",
                bytes,
                categories: doc
                    .spans
                    .iter()
                    .map(|s| s.category.clone())
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                spans: doc.spans,
            });
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push_attachment(
        &mut self,
        key: i64,
        kind: &str,
        blob_id: &str,
        name: Text,
        mime: &str,
        size: usize,
        at: i64,
    ) {
        let rec = Record::new(E::ATTACHMENTS, Key::from(key))
            .with("id", key)
            .with("contact_id", self.id)
            .with("kind", kind)
            .with("blob_id", blob_id)
            .with("file_name", name.text)
            .with("content_type", mime)
            .with("size_bytes", size as i64)
            .with("uploaded_at", ts(at));
        self.records.push(rec);
        self.truth(E::ATTACHMENTS, Key::from(key), "file_name", name.spans);
    }

    fn invoices(&mut self) {
        if !self.h.customer {
            return;
        }
        let n = self.count([(0, 1), (0, 3), (2, 10), (5, 30), (10, 40)]);
        let p = self.person.clone();
        for _ in 0..n {
            let key = self.next_key(8);
            let issued = self.within_life();
            let lines = self.r.range(1, 4);
            let mut total = 0i64;
            let mut line_recs = Vec::new();
            for line in 1..=lines as i64 {
                let qty = self.r.range(1, 10) as i64;
                let unit = self.r.range(20, 3000) as i64 * 50;
                total += qty * unit;
                let item = *self.r.pick(&[
                    "Consultation",
                    "Maintenance visit",
                    "Spare parts",
                    "Delivery",
                    "Design fee",
                    "Catering",
                ]);
                line_recs.push(
                    Record::new(E::INVOICE_LINES, Key::composite([KeyValue::Int(key), KeyValue::Int(line)]))
                        .with("invoice_id", key)
                        .with("line_no", line)
                        .with("description", item)
                        .with("quantity", qty)
                        .with("unit_price", money(unit))
                        .with("amount", money(qty * unit)),
                );
            }
            let paid = self
                .r
                .chance(0.85)
                .then(|| (issued + self.r.range(0, 45) as i64 * DAY).min(REFERENCE_NOW_SECS - 1));
            let year = ts(issued).format("%Y").to_string();
            let address = if self.r.chance(0.3) { p.address.zh.clone() } else { p.address.en.clone() };
            let rec = Record::new(E::INVOICES, Key::from(key))
                .with("id", key)
                .with("contact_id", self.id)
                .with("number", format!("INV-{year}-{key}"))
                .with("bill_to_name", p.name_legal())
                .with("bill_to_address", address)
                .with("currency", "HKD")
                .with("total", money(total))
                .with("issued_at", ts(issued))
                .with("due_at", ts(issued + 30 * DAY))
                .with("paid_at", paid.map(ts));
            self.records.push(rec);
            self.records.extend(line_recs);
        }
    }

    fn consents(&mut self) {
        for channel in ["email", "sms", "phone", "post"] {
            if !self.r.chance(0.35) {
                continue;
            }
            let key = self.next_key(10);
            let given = self.time_between(self.h.created, self.h.created + 30 * DAY);
            let withdrawn = self.r.chance(0.15).then(|| ts(self.time_between(given, REFERENCE_NOW_SECS - 1)));
            let source = *self.r.pick(&["web_form", "paper_form", "phone"]);
            let ip = (source == "web_form").then(|| {
                let net = *self.r.pick(&["192.0.2", "198.51.100", "203.0.113"]); // RFC 5737 documentation ranges
                format!("{net}.{}", self.r.range(1, 254))
            });
            self.records.push(
                Record::new(E::MARKETING_CONSENTS, Key::from(key))
                    .with("id", key)
                    .with("contact_id", self.id)
                    .with("channel", channel)
                    .with("purpose", "direct_marketing")
                    .with("source", source)
                    .with("ip_address", ip)
                    .with("given_at", ts(given))
                    .with("withdrawn_at", withdrawn),
            );
        }
    }

    fn activities(&mut self) {
        let n = self.count([(0, 2), (0, 3), (3, 12), (10, 50), (20, 100)]);
        for _ in 0..n {
            let key = self.next_key(11);
            let kind = *self.r.pick(&["call", "meeting", "note", "email"]);
            let body = self.about_text(1);
            let at = self.within_life();
            let staff = self.staff_id();
            self.records.push(
                Record::new(E::ACTIVITIES, Key::from(key))
                    .with("id", key)
                    .with("contact_id", self.id)
                    .with("staff_user_id", staff)
                    .with("kind", kind)
                    .with("body", body.text)
                    .with("occurred_at", ts(at)),
            );
            self.truth(E::ACTIVITIES, Key::from(key), "body", body.spans);
        }
    }
}
