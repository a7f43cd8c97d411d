//! A small seeded PRNG (SplitMix64), written by hand so the testkit needs no `rand`.
//!
//! Not cryptographic. Every stream is derived from `(seed, stream tag, id)`, so any contact's data
//! can be regenerated on its own, in any order, with the same result.

/// The SplitMix64 finaliser: a bijective 64-bit mixer.
pub(crate) const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// SplitMix64 (Steele, Lea and Flood, 2014): a 64-bit state advanced by a Weyl sequence.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

/// Stream tags: each kind of decision draws from its own stream.
pub(crate) mod stream {
    pub(crate) const PERSON: u64 = 1;
    pub(crate) const CONTACT: u64 = 2;
    pub(crate) const DUPLICATE: u64 = 3;
    pub(crate) const STAFF: u64 = 4;
    pub(crate) const COMPANY: u64 = 5;
    pub(crate) const PERMUTATION: u64 = 6;
    pub(crate) const HEADER: u64 = 7;
}

impl Rng {
    /// The stream for `(seed, tag, id)`.
    pub(crate) fn new(seed: u64, tag: u64, id: u64) -> Self {
        Self(mix64(seed ^ mix64(tag.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ mix64(id))))
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix64(self.0)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the bias is below 2^-32 for the small `n` used here).
    /// Returns 0 when `n == 0`.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `true` with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A uniformly chosen element (`items` must not be empty).
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An element chosen with the given integer weights (`items` must not be empty).
    pub(crate) fn weighted<'a, T>(&mut self, items: &'a [(u32, T)]) -> &'a T {
        let total: u64 = items.iter().map(|(w, _)| u64::from(*w)).sum();
        let mut x = self.below(total);
        for (w, t) in items {
            let w = u64::from(*w);
            if x < w {
                return t;
            }
            x -= w;
        }
        &items[items.len() - 1].1
    }

    /// Log-uniform integer in `lo..=hi` (`lo >= 1`): heavy tails without a long table.
    pub(crate) fn log_uniform(&mut self, lo: u64, hi: u64) -> u64 {
        let (l, h) = ((lo as f64).ln(), ((hi + 1) as f64).ln());
        let x = (l + self.unit() * (h - l)).exp() as u64;
        x.clamp(lo, hi)
    }
}

/// A bijection of `0..m` (an affine map `x -> (a x + b) mod m` with `gcd(a, m) = 1`), used to
/// hand out unique HKIDs and phone numbers without remembering which were taken.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Permutation {
    m: u64,
    a: u64,
    b: u64,
}

impl Permutation {
    pub(crate) fn new(seed: u64, tag: u64, m: u64) -> Self {
        let mut rng = Rng::new(seed, stream::PERMUTATION, tag);
        let b = rng.below(m);
        // Start near the golden ratio of m (well spread), then walk to a unit of Z/mZ.
        let mut a = ((m as f64 * 0.618_033_988_75) as u64 + rng.below(1000)) % m;
        while gcd(a, m) != 1 {
            a = (a + 1) % m;
        }
        Self { m, a, b }
    }

    /// The image of `x` (taken modulo `m`).
    pub(crate) fn apply(&self, x: u64) -> u64 {
        ((u128::from(self.a) * u128::from(x % self.m) + u128::from(self.b)) % u128::from(self.m)) as u64
    }
}

const fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(7, 1, 42).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Rng::new(7, 1, 42).next_u64(), Rng::new(7, 1, 43).next_u64());
        assert_ne!(Rng::new(7, 1, 42).next_u64(), Rng::new(8, 1, 42).next_u64());
        assert_ne!(Rng::new(7, 1, 42).next_u64(), Rng::new(7, 2, 42).next_u64());
    }

    #[test]
    fn ranges_stay_in_bounds() {
        let mut r = Rng::new(1, 1, 1);
        for _ in 0..10_000 {
            assert!(r.below(7) < 7);
            let x = r.range(3, 5);
            assert!((3..=5).contains(&x));
            let y = r.log_uniform(10, 1000);
            assert!((10..=1000).contains(&y));
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
        }
    }

    #[test]
    fn permutation_is_a_bijection() {
        for m in [1u64, 2, 10, 97, 1000, 27_000] {
            let p = Permutation::new(3, 9, m);
            let mut seen = vec![false; m as usize];
            for x in 0..m {
                let y = p.apply(x) as usize;
                assert!(!seen[y], "m={m}: {y} twice");
                seen[y] = true;
            }
        }
    }
}
