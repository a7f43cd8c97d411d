//! Signed checkpoints of the head, to keep outside the database.
//!
//! A hash chain proves that what is there has not been changed; it cannot tell that its newest
//! entries were cut off, or that the whole database was restored from an older copy, because the
//! shortened log is itself a valid chain. A checkpoint fixes the log's position (entries, newest
//! hash, seals) at one moment under an HMAC-SHA-256 key the database does not hold. Keep
//! checkpoints somewhere the database administrator cannot rewrite (another volume, object
//! storage with object lock, the DPO's mailbox), and verify the log against the newest one: the
//! log is **tamper-evident up to the newest checkpoint held elsewhere**. Entries appended after
//! that checkpoint can still be cut off or rewritten without trace until the next checkpoint.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use pdpo_core::Identifier;
//! use pdpo_audit::{Chain, Checkpoint, CheckpointKey};
//!
//! let key = CheckpointKey::new(Identifier::from_static("ops-2026"), &[7u8; 32])?;
//! let chain = Chain::new(Identifier::from_static("acme"));
//! let at = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
//! let cp = Checkpoint::sign(&chain, &chain.head(), at, &key);
//! let text = cp.to_text();
//! assert!(text.starts_with("pdpo-audit checkpoint v1\n"));
//! let back = Checkpoint::from_text(&text)?;
//! assert!(back.verify_mac(&key));
//! assert!(format!("{key:?}").contains("redacted"));
//! # Ok::<(), pdpo_audit::Error>(())
//! ```

use std::fmt;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use hmac::{Hmac, KeyInit, Mac};
use pdpo_core::Identifier;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::encoding::{FORMAT_VERSION, Writer, tag};
use crate::{Chain, Digest, Error, Head, Month};

/// The minimum checkpoint key length in bytes (256 bits).
pub const MIN_KEY_LEN: usize = 32;

/// The secret key that signs checkpoints (HMAC-SHA-256), supplied by the caller from outside
/// the database (a file, a KMS, an environment secret). Zeroized when dropped; its `Debug`
/// shows only the id; it cannot be cloned or serialised. Keep it apart from the field
/// encryption keys.
pub struct CheckpointKey {
    id: Identifier,
    secret: Zeroizing<Vec<u8>>,
}

impl CheckpointKey {
    /// A key named `id` (recorded in each checkpoint, so keys can rotate) with `secret` bytes,
    /// at least [`MIN_KEY_LEN`] of them. The bytes are copied; zeroize your own copy.
    pub fn new(id: Identifier, secret: &[u8]) -> Result<Self, Error> {
        if secret.len() < MIN_KEY_LEN {
            return Err(Error::WeakKey { id, len: secret.len() });
        }
        Ok(Self { id, secret: Zeroizing::new(secret.to_vec()) })
    }

    /// The key's id.
    pub fn id(&self) -> &Identifier {
        &self.id
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length, so this cannot fail.
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret).unwrap_or_else(|_| unreachable!())
    }
}

impl fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckpointKey").field("id", &self.id).field("secret", &"<redacted>").finish()
    }
}

/// A signed statement of the log's position at one moment: how many entries, the newest entry's
/// month, index and hash, and the seal chain's length and newest hash.
///
/// Store [`to_text`](Self::to_text) outside the database; pass it to
/// [`verify_against`](crate::verify_against) later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The log's origin.
    pub origin: Identifier,
    /// Entries ever appended.
    pub size: u64,
    /// The newest entry's month.
    pub month: Option<Month>,
    /// Entries in that month (the newest entry's index + 1).
    pub count: u64,
    /// The newest entry's hash.
    pub last: Digest,
    /// Seals written.
    pub seals: u64,
    /// The newest seal's hash.
    pub seal: Digest,
    /// When the checkpoint was signed.
    pub issued_at: DateTime<Utc>,
    /// The id of the signing key.
    pub key_id: Identifier,
    /// `HMAC-SHA-256(key, 0x03 ‖ version ‖ origin ‖ size ‖ month ‖ count ‖ last ‖ seals ‖ seal ‖
    /// issued_at ‖ key_id)`.
    pub mac: Digest,
}

const TEXT_HEADER: &str = "pdpo-audit checkpoint v1";

impl Checkpoint {
    /// Signs the position of `head` in `chain`'s log at `at`.
    pub fn sign(chain: &Chain, head: &Head, at: DateTime<Utc>, key: &CheckpointKey) -> Self {
        let mut cp = Self {
            origin: chain.origin().clone(),
            size: head.size,
            month: head.month,
            count: head.count,
            last: head.last,
            seals: head.seals,
            seal: head.seal,
            issued_at: at.trunc_subsecs(6),
            key_id: key.id.clone(),
            mac: Digest::ZERO,
        };
        let mut mac = key.mac();
        mac.update(&cp.signed_bytes());
        cp.mac = Digest(mac.finalize().into_bytes().into());
        cp
    }

    /// Whether the MAC verifies under `key` (compared in constant time). A checkpoint signed by
    /// another key id never verifies.
    pub fn verify_mac(&self, key: &CheckpointKey) -> bool {
        if self.key_id != key.id || !self.issued_at.timestamp_subsec_nanos().is_multiple_of(1000) {
            return false;
        }
        let mut mac = key.mac();
        mac.update(&self.signed_bytes());
        mac.verify_slice(&self.mac.0).is_ok()
    }

    fn signed_bytes(&self) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(256));
        w.u8(tag::CHECKPOINT);
        w.u8(FORMAT_VERSION);
        // Identifiers are at most 128 bytes: their lengths fit the u8 prefix.
        let _ = w.name(&self.origin, "origin");
        w.u64(self.size);
        match self.month {
            None => w.u8(0),
            Some(m) => {
                w.u8(1);
                w.month(m);
            }
        }
        w.u64(self.count);
        w.raw(&self.last.0);
        w.u64(self.seals);
        w.raw(&self.seal.0);
        w.i64(self.issued_at.timestamp_micros());
        let _ = w.name(&self.key_id, "key id");
        w.0
    }

    /// The text form, one `name value` pair per line, for files and e-mails:
    ///
    /// ```text
    /// pdpo-audit checkpoint v1
    /// origin acme
    /// size 1234
    /// month 2026-03
    /// count 42
    /// last 3f0c…(64 hex digits)
    /// seals 2
    /// seal 9ab1…(64 hex digits)
    /// issued 2026-03-12T08:00:00.000000Z
    /// key ops-2026
    /// mac 51d2…(64 hex digits)
    /// ```
    pub fn to_text(&self) -> String {
        let month = self.month.map_or_else(|| "-".to_owned(), |m| m.to_string());
        format!(
            "{TEXT_HEADER}\norigin {}\nsize {}\nmonth {month}\ncount {}\nlast {}\nseals {}\nseal {}\nissued {}\nkey {}\nmac {}\n",
            self.origin,
            self.size,
            self.count,
            self.last,
            self.seals,
            self.seal,
            self.issued_at.to_rfc3339_opts(SecondsFormat::Micros, true),
            self.key_id,
            self.mac,
        )
    }

    /// Parses [`to_text`](Self::to_text) strictly: the same lines in the same order, nothing else.
    /// Parsing does not check the MAC; [`verify_mac`](Self::verify_mac) does.
    pub fn from_text(text: &str) -> Result<Self, Error> {
        let mut lines = text.strip_suffix('\n').unwrap_or(text).split('\n').enumerate();
        let mut next = |name: &'static str| -> Result<(usize, &str), Error> {
            let (i, line) = lines.next().ok_or(Error::CheckpointFormat { line: 0, reason: "ends early" })?;
            let line_no = i + 1;
            if name.is_empty() {
                return Ok((line_no, line));
            }
            match line.split_once(' ') {
                Some((n, v)) if n == name => Ok((line_no, v)),
                _ => Err(Error::CheckpointFormat { line: line_no, reason: "unexpected line" }),
            }
        };
        let fail = |line, reason| Error::CheckpointFormat { line, reason };
        let (l, header) = next("")?;
        if header != TEXT_HEADER {
            return Err(fail(l, "not a pdpo-audit v1 checkpoint"));
        }
        let ident = |(l, v): (usize, &str)| Identifier::new(v).map_err(|_| fail(l, "not an identifier"));
        let number = |(l, v): (usize, &str)| {
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) || (v.len() > 1 && v.starts_with('0')) {
                return Err(fail(l, "not a number"));
            }
            v.parse::<u64>().map_err(|_| fail(l, "not a number"))
        };
        let digest = |(l, v): (usize, &str)| {
            if v.bytes().any(|b| b.is_ascii_uppercase()) {
                return Err(fail(l, "hex must be lowercase"));
            }
            v.parse::<Digest>().map_err(|_| fail(l, "not 64 hex digits"))
        };
        let origin = ident(next("origin")?)?;
        let size = number(next("size")?)?;
        let month = match next("month")? {
            (_, "-") => None,
            (l, v) => Some(v.parse::<Month>().map_err(|_| fail(l, "not a month"))?),
        };
        let count = number(next("count")?)?;
        let last = digest(next("last")?)?;
        let seals = number(next("seals")?)?;
        let seal = digest(next("seal")?)?;
        let (l, issued) = next("issued")?;
        let issued_at = DateTime::parse_from_rfc3339(issued)
            .map_err(|_| fail(l, "not an RFC 3339 time"))?
            .with_timezone(&Utc);
        if issued_at.to_rfc3339_opts(SecondsFormat::Micros, true) != issued {
            return Err(fail(l, "time is not in the canonical form"));
        }
        let key_id = ident(next("key")?)?;
        let mac = digest(next("mac")?)?;
        if let Ok((l, _)) = next("") {
            return Err(fail(l, "unexpected trailing line"));
        }
        Ok(Self { origin, size, month, count, last, seals, seal, issued_at, key_id, mac })
    }
}
