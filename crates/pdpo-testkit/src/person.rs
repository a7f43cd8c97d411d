//! Synthetic persons: names, identifiers, contact details and addresses.
//!
//! A person is a pure function of `(seed, person id)`. Two contact rows for the same person (a
//! duplicate) share the person id, so they share name, HKID, date of birth and mobile number, and
//! differ in how they were typed in.

use chrono::{Datelike, NaiveDate};

use crate::hk;
use crate::ids::{cn_ric_check_char, hkid_check_char};
use crate::rng::{Permutation, Rng, stream};

/// A generated address, in both languages.
#[derive(Debug, Clone)]
pub(crate) struct Address {
    pub(crate) en: String,
    pub(crate) zh: String,
}

/// One synthetic person.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub(crate) pid: u64,
    pub(crate) surname: &'static str,
    pub(crate) surname_zh: &'static str,
    /// Romanised given name, syllables separated by a space: `Tai Man`.
    pub(crate) given: String,
    pub(crate) given_zh: String,
    pub(crate) english: Option<&'static str>,
    pub(crate) female: bool,
    pub(crate) dob: NaiveDate,
    /// Canonical `A123456(3)`.
    pub(crate) hkid: String,
    /// 8 digits.
    pub(crate) mobile: String,
    /// 8 digits, fixed line.
    pub(crate) office: String,
    pub(crate) email_local: String,
    pub(crate) email_domain: &'static str,
    pub(crate) address: Address,
    pub(crate) passport: String,
    pub(crate) mainland_id: String,
    pub(crate) wechat: String,
}

/// Unique-per-person number spaces, fixed per seed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spaces {
    hkid: Permutation,
    mobile: Permutation,
    fixed: Permutation,
}

impl Spaces {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            hkid: Permutation::new(seed, 1, hk::HKID_PREFIXES.len() as u64 * 1_000_000),
            mobile: Permutation::new(seed, 2, hk::MOBILE_PREFIXES.len() as u64 * 1_000_000),
            fixed: Permutation::new(seed, 3, hk::FIXED_PREFIXES.len() as u64 * 1_000_000),
        }
    }
}

fn split_million(x: u64, prefixes: &[&'static str]) -> (&'static str, u64) {
    (prefixes[(x / 1_000_000) as usize % prefixes.len()], x % 1_000_000)
}

impl Person {
    /// The person `pid` of `seed`.
    pub(crate) fn generate(seed: u64, spaces: &Spaces, pid: u64) -> Self {
        let mut r = Rng::new(seed, stream::PERSON, pid);
        let &(surname, surname_zh) = r.weighted(hk::SURNAMES);
        let female = r.chance(0.5);
        let syllables = if r.chance(0.9) { 2 } else { 1 };
        let mut given = String::new();
        let mut given_zh = String::new();
        for i in 0..syllables {
            let &(en, zh) = r.pick(hk::GIVEN_SYLLABLES);
            if i > 0 {
                given.push(' ');
            }
            given.push_str(en);
            given_zh.push_str(zh);
        }
        let english = r.chance(0.55).then(|| *r.pick(hk::ENGLISH_NAMES));
        let dob = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap_or_default()
            + chrono::Days::new(r.below(365 * 65 + 16));

        let (prefix, digits) = split_million(spaces.hkid.apply(pid), hk::HKID_PREFIXES);
        let digits = format!("{digits:06}");
        // Invariant: the prefix table holds 1-2 capital letters and `digits` is 6 digits, so the
        // check character always exists (tests validate every generated HKID).
        let check = hkid_check_char(prefix, &digits).unwrap_or('0');
        let hkid = format!("{prefix}{digits}({check})");
        let (mp, mn) = split_million(spaces.mobile.apply(pid), hk::MOBILE_PREFIXES);
        let mobile = format!("{mp}{mn:06}");
        let (fp, f_n) = split_million(spaces.fixed.apply(pid), hk::FIXED_PREFIXES);
        let office = format!("{fp}{f_n:06}");

        let given_joined = given.replace(' ', "").to_lowercase();
        let initials: String =
            given.split(' ').filter_map(|s| s.chars().next()).collect::<String>().to_lowercase();
        let sur = surname.to_lowercase();
        // A trailing person id keeps every person's address unique (duplicates aside).
        let email_local = match (english, r.below(4)) {
            (Some(e), 0 | 1) => format!("{}.{sur}{pid}", e.to_lowercase()),
            (Some(e), _) => format!("{}{sur}_{pid}", e.to_lowercase()),
            (None, 0 | 1) => format!("{given_joined}.{sur}{pid}"),
            (None, _) => format!("{sur}{initials}{pid}"),
        };
        let email_domain = *r.weighted(hk::EMAIL_DOMAINS);
        let address = address(&mut r);
        let passport = match r.below(3) {
            0 => format!("K{:08}", r.below(100_000_000)),
            1 => format!("KJ{:07}", r.below(10_000_000)),
            _ => format!("H{:08}", r.below(100_000_000)),
        };
        let area = r.pick(hk::CN_AREA_CODES);
        let seq = r.below(500) * 2 + u64::from(!female); // odd for men, even for women
        let body = format!("{area}{:04}{:02}{:02}{seq:03}", dob.year(), dob.month(), dob.day());
        // Invariant: `body` is 17 digits (6 + 8 + 3), so the check character always exists.
        let mainland_id = format!("{body}{}", cn_ric_check_char(&body).unwrap_or('0'));
        let wechat =
            format!("{}_{}", english.map_or(given_joined.as_str(), |e| e).to_lowercase(), r.range(10, 99));
        Self {
            pid,
            surname,
            surname_zh,
            given,
            given_zh,
            english,
            female,
            dob,
            hkid,
            mobile,
            office,
            email_local,
            email_domain,
            address,
            passport,
            mainland_id,
            wechat,
        }
    }

    /// `CHAN Tai Man`: the legal form on HK identity documents.
    pub(crate) fn name_legal(&self) -> String {
        format!("{} {}", self.surname.to_uppercase(), self.given)
    }

    /// The form the CRM stores: the legal form, sometimes with the English name appended.
    pub(crate) fn name_en(&self) -> String {
        match self.english {
            Some(e) if self.pid.is_multiple_of(3) => format!("{}, {e}", self.name_legal()),
            _ => self.name_legal(),
        }
    }

    /// `陳大文`.
    pub(crate) fn name_zh(&self) -> String {
        format!("{}{}", self.surname_zh, self.given_zh)
    }

    /// `Peter Chan`, or `Tai Man` for people with no English name: how colleagues address them.
    pub(crate) fn informal(&self) -> String {
        match self.english {
            Some(e) => format!("{e} {}", self.surname),
            None => self.given.clone(),
        }
    }

    /// `Mr` or `Ms`.
    pub(crate) fn title_en(&self) -> &'static str {
        if self.female { "Ms" } else { "Mr" }
    }

    /// `先生` or `小姐`.
    pub(crate) fn title_zh(&self) -> &'static str {
        if self.female { "小姐" } else { "先生" }
    }

    pub(crate) fn email(&self) -> String {
        format!("{}@{}", self.email_local, self.email_domain)
    }
}

fn address(r: &mut Rng) -> Address {
    let street = r.pick(hk::STREETS);
    let &(bld_en, bld_zh) = r.pick(hk::BUILDINGS);
    let number = r.range(1, 420);
    let floor = r.range(1, 45);
    let flat = char::from(b'A' + r.below(8) as u8);
    let block = r.chance(0.4).then(|| r.range(1, 6));
    let mut en = format!("Flat {flat}, {floor}/F, ");
    let mut zh = format!("{}{}{}{number}號{bld_zh}", street.region_zh, street.district_zh, street.zh);
    if let Some(b) = block {
        en.push_str(&format!("Block {b}, "));
        zh.push_str(&format!("{b}座"));
    }
    en.push_str(&format!("{bld_en}, {number} {}, {}, {}", street.en, street.district_en, street.region_en));
    zh.push_str(&format!("{floor}樓{flat}室"));
    Address { en, zh }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::hkid_is_valid;

    #[test]
    fn persons_are_reproducible_and_valid() {
        let spaces = Spaces::new(9);
        for pid in 1..500 {
            let p = Person::generate(9, &spaces, pid);
            let q = Person::generate(9, &spaces, pid);
            assert_eq!(p.email(), q.email());
            assert!(hkid_is_valid(&p.hkid), "{}", p.hkid);
            assert_eq!(p.mainland_id.len(), 18);
            assert!(p.name_legal().starts_with(&p.surname.to_uppercase()));
            assert!(p.address.zh.ends_with('室'), "{}", p.address.zh);
            assert!(p.address.en.starts_with("Flat "), "{}", p.address.en);
        }
    }

    #[test]
    fn chinese_address_has_the_number_before_the_building() {
        let spaces = Spaces::new(1);
        let p = Person::generate(1, &spaces, 7);
        let zh = &p.address.zh;
        assert!(zh.contains('號') && zh.contains('樓'), "{zh}");
    }
}
