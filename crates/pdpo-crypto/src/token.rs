//! Signed, expiring tokens for download links (a subject access export, a workspace export).
//!
//! A token is `base64url(payload) "." base64url(tag)` with `payload = "v1\n" purpose "\n" expiry
//! "\n" resource` (expiry in Unix seconds) and `tag = HMAC-SHA-256(token_key, "pdpo-crypto/token/v1"
//! 0x00 payload)`, 32 bytes. Verification checks the tag in constant time
//! ([`Mac::verify_slice`]) before reading anything else, then the purpose, then the expiry on the
//! [`Clock`]. The token carries the resource id in clear (base64 is not encryption): use opaque ids
//! (a request UUID), never personal data.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use pdpo_core::Clock;
use sha2::Sha256;

use crate::{Error, Result, SecretKey};

const DOMAIN: &[u8] = b"pdpo-crypto/token/v1\0";

/// What a verified token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedToken {
    /// The resource id it was signed for.
    pub resource: String,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// Signs and verifies tokens under one token key, with expiry on a [`Clock`].
///
/// ```
/// use std::sync::Arc;
/// use chrono::{Duration, TimeZone, Utc};
/// use pdpo_core::FixedClock;
/// use pdpo_crypto::{SecretKey, TokenSigner};
///
/// let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()));
/// let signer = TokenSigner::new(&SecretKey::generate()?, clock.clone());
/// let token = signer.sign("export", "req-0192", Duration::hours(24))?;
/// assert_eq!(signer.verify(&token, "export")?.resource, "req-0192");
/// assert!(signer.verify(&token, "audit").is_err());
/// clock.advance(Duration::hours(25));
/// assert!(matches!(signer.verify(&token, "export"), Err(pdpo_crypto::Error::TokenExpired { .. })));
/// # Ok::<(), pdpo_crypto::Error>(())
/// ```
pub struct TokenSigner {
    mac: Hmac<Sha256>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSigner(<redacted>)")
    }
}

impl TokenSigner {
    /// A signer under `key`.
    pub fn new(key: &SecretKey, clock: Arc<dyn Clock>) -> Self {
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(DOMAIN);
        Self { mac, clock }
    }

    /// A token for `resource`, valid for `purpose` until now + `ttl`. Neither may contain a
    /// newline.
    pub fn sign(&self, purpose: &str, resource: &str, ttl: Duration) -> Result<String> {
        if purpose.contains('\n') || resource.contains('\n') {
            return Err(Error::InvalidToken);
        }
        let expires = (self.clock.now() + ttl).timestamp();
        let payload = format!("v1\n{purpose}\n{expires}\n{resource}");
        let mut mac = self.mac.clone();
        mac.update(payload.as_bytes());
        let tag = mac.finalize().into_bytes();
        Ok(format!("{}.{}", URL_SAFE_NO_PAD.encode(payload), URL_SAFE_NO_PAD.encode(tag)))
    }

    /// Checks a token's signature (constant time), purpose and expiry.
    pub fn verify(&self, token: &str, purpose: &str) -> Result<VerifiedToken> {
        let (p, t) = token.split_once('.').ok_or(Error::InvalidToken)?;
        let payload = URL_SAFE_NO_PAD.decode(p).map_err(|_| Error::InvalidToken)?;
        let tag = URL_SAFE_NO_PAD.decode(t).map_err(|_| Error::InvalidToken)?;
        let mut mac = self.mac.clone();
        mac.update(&payload);
        mac.verify_slice(&tag).map_err(|_| Error::InvalidToken)?;
        let payload = String::from_utf8(payload).map_err(|_| Error::InvalidToken)?;
        let mut parts = payload.splitn(4, '\n');
        let (Some("v1"), Some(got_purpose), Some(expires), Some(resource)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::InvalidToken);
        };
        if got_purpose != purpose {
            return Err(Error::InvalidToken);
        }
        let expires_at = expires
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
            .ok_or(Error::InvalidToken)?;
        if self.clock.now() >= expires_at {
            return Err(Error::TokenExpired { expired_at: expires_at });
        }
        Ok(VerifiedToken { resource: resource.to_owned(), expires_at })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use pdpo_core::FixedClock;

    use super::*;

    fn signer(byte: u8, clock: Arc<FixedClock>) -> TokenSigner {
        TokenSigner::new(&SecretKey::from_bytes([byte; 32]), clock)
    }

    #[test]
    fn any_changed_byte_or_other_key_is_rejected() {
        let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()));
        let s = signer(1, clock.clone());
        let token = s.sign("export", "req-1", Duration::minutes(10)).unwrap();
        assert!(s.verify(&token, "export").is_ok());
        assert!(signer(2, clock).verify(&token, "export").is_err());
        let bytes = token.as_bytes();
        for i in 0..bytes.len() {
            let mut t = bytes.to_vec();
            t[i] = if t[i] == b'A' { b'B' } else { b'A' };
            let t = String::from_utf8(t).unwrap();
            if t != token {
                assert!(s.verify(&t, "export").is_err(), "byte {i}");
            }
        }
        for junk in ["", ".", "abc", "abc.def", "..."] {
            assert!(matches!(s.verify(junk, "export"), Err(Error::InvalidToken)));
        }
    }

    #[test]
    fn expiry_is_on_the_clock_and_exclusive() {
        let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()));
        let s = signer(1, clock.clone());
        let token = s.sign("export", "req-1", Duration::seconds(60)).unwrap();
        clock.advance(Duration::seconds(59));
        assert!(s.verify(&token, "export").is_ok());
        clock.advance(Duration::seconds(1));
        assert!(matches!(s.verify(&token, "export"), Err(Error::TokenExpired { .. })));
        assert!(s.sign("export", "a\nb", Duration::seconds(1)).is_err());
    }
}
