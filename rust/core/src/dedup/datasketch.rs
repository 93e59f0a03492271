//! What it takes to reproduce datasketch's MinHash signatures bit for bit.
//!
//! * [`RandomState`]: numpy's legacy `numpy.random.RandomState(seed)` (MT19937 seeded
//!   by `init_genrand`) and the two `randint` calls datasketch makes, with numpy's
//!   masked rejection sampling.
//! * [`sha1_hash32`]: datasketch's default token hash, the first 4 bytes of SHA-1 read
//!   little-endian (`struct.unpack("<I", sha1(data).digest()[:4])`).
//! * [`fmix32`]: MurmurHash3's 32-bit finaliser, which datasketch 2.0's `affine32`
//!   scheme applies to the token hash before its affine permutations.

use sha1::{Digest, Sha1};

/// The Mersenne prime 2^61 - 1 of datasketch's legacy permutations.
pub const MERSENNE_61: u64 = (1 << 61) - 1;

/// numpy's legacy `RandomState`: the MT19937 generator seeded from a 32-bit integer.
pub struct RandomState {
    key: [u32; 624],
    pos: usize,
}

impl RandomState {
    /// `numpy.random.RandomState(seed)` for an integer seed in `[0, 2^32)`.
    pub fn new(seed: u32) -> Self {
        let mut key = [0u32; 624];
        let mut s = seed;
        for (pos, slot) in key.iter_mut().enumerate() {
            *slot = s;
            s = 1_812_433_253u32
                .wrapping_mul(s ^ (s >> 30))
                .wrapping_add(pos as u32 + 1);
        }
        RandomState { key, pos: 624 }
    }

    fn regenerate(&mut self) {
        const UPPER: u32 = 0x8000_0000;
        const LOWER: u32 = 0x7fff_ffff;
        const MATRIX: u32 = 0x9908_b0df;
        for i in 0..624 {
            let y = (self.key[i] & UPPER) | (self.key[(i + 1) % 624] & LOWER);
            let mut next = self.key[(i + 397) % 624] ^ (y >> 1);
            if y & 1 == 1 {
                next ^= MATRIX;
            }
            self.key[i] = next;
        }
        self.pos = 0;
    }

    /// The next 32 random bits (MT19937 with tempering).
    pub fn next_u32(&mut self) -> u32 {
        if self.pos == 624 {
            self.regenerate();
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// 64 random bits: the first 32-bit draw is the high half (numpy's `next_uint64`).
    pub fn next_u64(&mut self) -> u64 {
        let high = self.next_u32() as u64;
        (high << 32) | self.next_u32() as u64
    }

    /// `randint(low, high, dtype=np.uint64)` (one scalar draw) for a range wider than
    /// 2^32, by numpy's masked rejection.
    pub fn randint_u64(&mut self, low: u64, high: u64) -> u64 {
        let range = high - 1 - low;
        debug_assert!(range > u32::MAX as u64 && range < u64::MAX);
        let mask = u64::MAX >> range.leading_zeros();
        loop {
            let value = self.next_u64() & mask;
            if value <= range {
                return low + value;
            }
        }
    }

    /// `randint(0, high, n, dtype=np.uint32)` for `high` a power of two up to 2^32.
    pub fn randint_u32_pow2(&mut self, high: u64, n: usize) -> Vec<u32> {
        debug_assert!(high.is_power_of_two() && high <= 1 << 32);
        let mask = (high - 1) as u32;
        (0..n).map(|_| self.next_u32() & mask).collect()
    }
}

/// datasketch 2.0's `affine32` permutations for `(seed, num_perm)`: all `a` first
/// (`randint(0, 2^31, n, uint32) * 2 + 1`), then all `b` (`randint(0, 2^32, n, uint32)`).
pub fn affine32_permutations(seed: u32, num_perm: usize) -> (Vec<u32>, Vec<u32>) {
    let mut rng = RandomState::new(seed);
    let a = rng
        .randint_u32_pow2(1 << 31, num_perm)
        .into_iter()
        .map(|v| v.wrapping_mul(2).wrapping_add(1))
        .collect();
    let b = rng.randint_u32_pow2(1 << 32, num_perm);
    (a, b)
}

/// datasketch's `legacy` permutations for `(seed, num_perm)`: `(a, b)` drawn in turn
/// for each permutation, `a` in `[1, 2^61 - 1)`, `b` in `[0, 2^61 - 1)`.
pub fn legacy_permutations(seed: u32, num_perm: usize) -> (Vec<u64>, Vec<u64>) {
    let mut rng = RandomState::new(seed);
    let mut a = Vec::with_capacity(num_perm);
    let mut b = Vec::with_capacity(num_perm);
    for _ in 0..num_perm {
        a.push(rng.randint_u64(1, MERSENNE_61));
        b.push(rng.randint_u64(0, MERSENNE_61));
    }
    (a, b)
}

/// datasketch's `sha1_hash32`: the first four bytes of SHA-1, little-endian.
#[inline]
pub fn sha1_hash32(data: &[u8]) -> u32 {
    let digest = Sha1::digest(data);
    u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// MurmurHash3's 32-bit finaliser (a bijection with full avalanche).
#[inline]
pub fn fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// `x mod (2^61 - 1)` for any 64-bit `x`, without a division.
#[inline]
pub fn mod_mersenne61(x: u64) -> u64 {
    let folded = (x & MERSENNE_61) + (x >> 61);
    if folded >= MERSENNE_61 {
        folded - MERSENNE_61
    } else {
        folded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mt19937_matches_numpy() {
        // numpy.random.RandomState(1).randint(0, 2**32, 3, dtype=np.uint32)
        let mut rng = RandomState::new(1);
        let draws: Vec<u32> = (0..3).map(|_| rng.next_u32()).collect();
        assert_eq!(draws, PINNED_SEED1);
        // The reference MT19937 output for init_genrand(5489): 3499211612.
        assert_eq!(RandomState::new(5489).next_u32(), 3_499_211_612);
    }

    const PINNED_SEED1: [u32; 3] = [1_791_095_845, 4_282_876_139, 3_093_770_124];

    #[test]
    fn sha1_and_fmix_vectors() {
        // struct.unpack("<I", hashlib.sha1(b"abc").digest()[:4])[0]
        assert_eq!(sha1_hash32(b"abc"), 0x363e_99a9);
        assert_eq!(fmix32(0), 0);
        assert_eq!(fmix32(1), 0x514e_28b7);
    }

    #[test]
    fn mersenne_reduction_equals_modulo() {
        for x in [
            0,
            1,
            MERSENNE_61 - 1,
            MERSENNE_61,
            MERSENNE_61 + 1,
            u64::MAX,
            1 << 63,
        ] {
            assert_eq!(mod_mersenne61(x), x % MERSENNE_61, "{x}");
        }
        let mut s = 12345u64;
        for _ in 0..10_000 {
            s = crate::rng::mix64(s);
            assert_eq!(mod_mersenne61(s), s % MERSENNE_61);
        }
    }
}
