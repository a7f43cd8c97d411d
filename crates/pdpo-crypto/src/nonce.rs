//! Nonces: per-key counters reserved in persisted blocks.
//!
//! Each data key has a counter in the key store (`nonce_next`). A process that wants to encrypt
//! reserves a block of counter values with one atomic store update
//! ([`KeyStore::reserve_nonces`](crate::KeyStore::reserve_nonces)) and then takes nonces from the
//! block in memory: no store round trip and no system call per encryption. A crash loses the
//! unused rest of the block, never hands a value out twice: the next process reserves after the
//! persisted counter. Two processes sharing a store get disjoint blocks.
//!
//! A nonce is 4 bytes of salt, drawn from the operating system's CSPRNG once per block, then the
//! 8-byte big-endian counter. The counter alone makes nonces unique; the salt is defence in depth
//! should a store ever be restored from a backup while its keys stay in use (a rolled-back counter
//! would then repeat a nonce only if the salt also repeats: 1 in 2^32 per block).
//!
//! Limits (NIST SP 800-38D §8.3 caps a key at 2^32 invocations): a key is rotated, a new key
//! generation taking over new encryptions, once its counter reaches [`ROTATE_AT`] = 2^28; a counter
//! at or past [`NONCE_LIMIT`] = 2^32 is refused whatever happens.

use crate::envelope::NONCE_LEN;

/// Counter value from which a data key is rotated: new encryptions go to a new key.
pub const ROTATE_AT: u64 = 1 << 28;
/// Counter value no data key ever encrypts at or beyond.
pub const NONCE_LIMIT: u64 = 1 << 32;
/// Default number of counter values reserved per store update.
pub const DEFAULT_BLOCK: u64 = 1024;

/// How nonce counters are reserved and when keys rotate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoncePolicy {
    block: u64,
    rotate_at: u64,
    limit: u64,
}

impl Default for NoncePolicy {
    fn default() -> Self {
        Self { block: DEFAULT_BLOCK, rotate_at: ROTATE_AT, limit: NONCE_LIMIT }
    }
}

/// What to do with a reserved block starting at a counter value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// Use counter values `start..end`.
    Use {
        /// First value.
        start: u64,
        /// One past the last value.
        end: u64,
    },
    /// The key reached the rotation threshold: switch new encryptions to a new key.
    Rotate,
    /// The key reached the hard limit: it must never encrypt again.
    Exhausted,
}

impl NoncePolicy {
    /// A policy reserving `block` values at a time and rotating at `rotate_at`. `None` unless
    /// `1 <= block` and `rotate_at <= NONCE_LIMIT`.
    pub fn new(block: u64, rotate_at: u64) -> Option<Self> {
        (block >= 1 && rotate_at <= NONCE_LIMIT).then_some(Self { block, rotate_at, limit: NONCE_LIMIT })
    }

    /// Values reserved per store update.
    pub fn block(&self) -> u64 {
        self.block
    }

    /// The rotation threshold.
    pub fn rotate_at(&self) -> u64 {
        self.rotate_at
    }

    /// What to do with a block reserved from `start` (the persisted counter before the
    /// reservation). A block straddling the hard limit is clipped to it.
    pub fn plan(&self, start: u64) -> Reservation {
        if start >= self.limit {
            Reservation::Exhausted
        } else if start >= self.rotate_at {
            Reservation::Rotate
        } else {
            Reservation::Use { start, end: start.saturating_add(self.block).min(self.limit) }
        }
    }
}

/// Counter values reserved in the store and not yet used, for one key in one process.
#[derive(Debug, Default)]
pub(crate) struct NonceBlock {
    salt: [u8; 4],
    next: u64,
    end: u64,
}

impl NonceBlock {
    /// A block of `start..end` (clipped to [`NONCE_LIMIT`]) with the given salt.
    pub(crate) fn new(salt: [u8; 4], start: u64, end: u64) -> Self {
        Self { salt, next: start, end: end.min(NONCE_LIMIT) }
    }

    /// The next nonce, or `None` when the block is used up.
    pub(crate) fn take(&mut self) -> Option<[u8; NONCE_LEN]> {
        if self.next >= self.end {
            return None;
        }
        let mut n = [0u8; NONCE_LEN];
        n[..4].copy_from_slice(&self.salt);
        n[4..].copy_from_slice(&self.next.to_be_bytes());
        self.next += 1;
        Some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_follows_nist_limits() {
        let p = NoncePolicy::default();
        assert_eq!(p.plan(0), Reservation::Use { start: 0, end: DEFAULT_BLOCK });
        assert_eq!(
            p.plan(ROTATE_AT - 1),
            Reservation::Use { start: ROTATE_AT - 1, end: ROTATE_AT - 1 + DEFAULT_BLOCK }
        );
        assert_eq!(p.plan(ROTATE_AT), Reservation::Rotate);
        assert_eq!(p.plan(NONCE_LIMIT - 1), Reservation::Rotate);
        assert_eq!(p.plan(NONCE_LIMIT), Reservation::Exhausted);
        assert_eq!(p.plan(u64::MAX), Reservation::Exhausted);
        assert!(NoncePolicy::new(0, ROTATE_AT).is_none());
        assert!(NoncePolicy::new(1, NONCE_LIMIT + 1).is_none());
    }

    #[test]
    fn block_straddling_the_limit_is_clipped_and_refuses_beyond_it() {
        // Rotation disabled (threshold = limit): the hard limit still holds.
        let p = NoncePolicy::new(10, NONCE_LIMIT).unwrap();
        let Reservation::Use { start, end } = p.plan(NONCE_LIMIT - 3) else {
            panic!("expected a usable block")
        };
        assert_eq!((start, end), (NONCE_LIMIT - 3, NONCE_LIMIT));
        let mut b = NonceBlock::new([1, 2, 3, 4], start, end);
        let taken: Vec<_> = std::iter::from_fn(|| b.take()).collect();
        assert_eq!(taken.len(), 3);
        assert_eq!(&taken[2][4..], &(NONCE_LIMIT - 1).to_be_bytes());
        assert!(b.take().is_none());
        // Even a block built past the limit by mistake yields nothing.
        assert!(NonceBlock::new([0; 4], NONCE_LIMIT, NONCE_LIMIT + 5).take().is_none());
    }

    #[test]
    fn nonces_are_salt_then_counter_and_distinct() {
        let mut b = NonceBlock::new([0xaa; 4], 7, 9);
        let n1 = b.take().unwrap();
        let n2 = b.take().unwrap();
        assert_eq!(&n1[..4], &[0xaa; 4]);
        assert_eq!(u64::from_be_bytes(n1[4..].try_into().unwrap()), 7);
        assert_ne!(n1, n2);
        assert!(b.take().is_none());
        assert!(NonceBlock::default().take().is_none());
    }
}
