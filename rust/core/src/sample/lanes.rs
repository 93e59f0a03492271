//! The uniforms of the keyed sampler, computed in 32-bit lanes so a pass over the
//! weights vectorises.
//!
//! `U_i` is built from `h_i = triple32(lo32(i) ^ salt(hi32(i)))`, a bijection of the
//! index's low 32 bits (Wellons' `triple32`, a three-round multiply-xorshift hash
//! with very low bias): `h_i` gives the top 32 bits of `U_i` and a second hash of
//! `h_i` the 21 bits below. Indices below 2^32 therefore never share a uniform (no
//! ties), and the filter of [`scan`] needs only `h_i`: `U_i < (h_i + 1) / 2^32`. With
//! AVX2 (detected at run time) eight hashes are computed per instruction; the result
//! is the same on every CPU, since the filter only discards items that cannot enter
//! and every key is computed by the same scalar code.

use crate::rng::mix64;

/// Wellons' triple32 (hash-prospector): a 32-bit bijection.
#[inline(always)]
fn triple32(mut x: u32) -> u32 {
    x ^= x >> 17;
    x = x.wrapping_mul(0xed5a_d4bb);
    x ^= x >> 11;
    x = x.wrapping_mul(0xac4c_1b51);
    x ^= x >> 15;
    x = x.wrapping_mul(0x3184_8bab);
    x ^= x >> 14;
    x
}

/// The per-seed constants of the lane hash.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LaneHash {
    salt: u32,
    low_salt: u32,
}

const TWO_POW_32: f64 = 4_294_967_296.0;

impl LaneHash {
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        let w = mix64(seed ^ mix64(stream.wrapping_add(0x9e37_79b9_7f4a_7c15)));
        LaneHash {
            salt: w as u32,
            low_salt: (w >> 32) as u32,
        }
    }

    /// The salt of the block of indices sharing `hi32(index)`.
    #[inline(always)]
    fn salt_of(self, index: u64) -> u32 {
        self.salt ^ triple32((index >> 32) as u32).rotate_left(7)
    }

    /// The top 32 bits of `U_index`.
    #[inline(always)]
    fn high(self, index: u64) -> u32 {
        triple32(index as u32 ^ self.salt_of(index))
    }

    /// `U_index`, uniform in the open interval (0, 1) with 53 bits.
    #[inline(always)]
    pub(crate) fn uniform(self, index: u64) -> f64 {
        let high = self.high(index);
        let low = triple32(high ^ self.low_salt) >> 11;
        ((((high as u64) << 21) | low as u64) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
    }
}

/// What a scan of a block saw.
pub(crate) struct Scan {
    /// Weights > 0.
    pub positive: u64,
    /// Whether some weight is negative, NaN or infinite.
    pub bad: bool,
}

/// `hashes[j] = triple32(low + j ^ salt) >> 1`, as i32 (for a signed conversion).
#[inline(always)]
fn hashes_generic(low: u32, salt: u32, hashes: &mut [i32]) {
    for (j, h) in hashes.iter_mut().enumerate() {
        *h = (triple32(low.wrapping_add(j as u32) ^ salt) >> 1) as i32;
    }
}

/// [`hashes_generic`] eight lanes at a time (LLVM's cost model does not vectorise
/// the 32-bit multiplies by itself).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn hashes_avx2(low: u32, salt: u32, hashes: &mut [i32]) {
    use std::arch::x86_64::*;
    let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    let salt_v = _mm256_set1_epi32(salt as i32);
    let m1 = _mm256_set1_epi32(0xed5a_d4bb_u32 as i32);
    let m2 = _mm256_set1_epi32(0xac4c_1b51_u32 as i32);
    let m3 = _mm256_set1_epi32(0x3184_8bab_u32 as i32);
    let full = hashes.len() / 8 * 8;
    for (c, chunk) in hashes[..full].chunks_exact_mut(8).enumerate() {
        let base = _mm256_set1_epi32(low.wrapping_add(8 * c as u32) as i32);
        let mut x = _mm256_xor_si256(_mm256_add_epi32(base, lanes), salt_v);
        x = _mm256_mullo_epi32(_mm256_xor_si256(x, _mm256_srli_epi32::<17>(x)), m1);
        x = _mm256_mullo_epi32(_mm256_xor_si256(x, _mm256_srli_epi32::<11>(x)), m2);
        x = _mm256_mullo_epi32(_mm256_xor_si256(x, _mm256_srli_epi32::<15>(x)), m3);
        x = _mm256_xor_si256(x, _mm256_srli_epi32::<14>(x));
        x = _mm256_srli_epi32::<1>(x);
        // SAFETY: `chunk` holds exactly 8 i32, and storeu has no alignment need.
        unsafe { _mm256_storeu_si256(chunk.as_mut_ptr().cast::<__m256i>(), x) };
    }
    hashes_generic(low.wrapping_add(full as u32), salt, &mut hashes[full..]);
}

/// Set `pass[j]` for the items `first + j` whose key might reach `threshold` (the
/// others cannot: `U < 1 + w T` for them), and check the weights. `hashes` is
/// scratch space; all slices have the length of `weights`, and the block must not
/// cross a multiple of 2^32.
#[inline(always)]
fn flag(weights: &[f64], hashes: &[i32], threshold: f64, pass: &mut [bool]) -> Scan {
    let mut positive = 0u64;
    let mut bad = false;
    for ((&w, &h), p) in weights.iter().zip(hashes).zip(pass.iter_mut()) {
        bad |= !(0.0..f64::INFINITY).contains(&w);
        positive += (w > 0.0) as u64;
        // (h/2 + 1) / 2^31 >= (h + 1) / 2^32; 1e-15 absorbs rounding in 1 + w T, so
        // the filter never drops an item whose exact key would reach the threshold.
        let upper = (h as f64 + 1.0) * (2.0 / TWO_POW_32);
        *p = upper > 1.0 + w * threshold - 1e-15;
    }
    Scan { positive, bad }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn scan_avx2(
    hash: LaneHash,
    weights: &[f64],
    first: u64,
    threshold: f64,
    hashes: &mut [i32],
    pass: &mut [bool],
) -> Scan {
    hashes_avx2(first as u32, hash.salt_of(first), hashes);
    flag(weights, hashes, threshold, pass)
}

/// Flag the items of a block that might enter (see [`flag`]), with AVX2 when the
/// CPU has it; the flags are the same either way.
pub(crate) fn scan(
    hash: LaneHash,
    weights: &[f64],
    first: u64,
    threshold: f64,
    hashes: &mut [i32],
    pass: &mut [bool],
) -> Scan {
    debug_assert!(weights.len() == pass.len() && weights.len() == hashes.len());
    debug_assert_eq!(
        first >> 32,
        (first + weights.len().saturating_sub(1) as u64) >> 32
    );
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, the only requirement of `scan_avx2`.
        return unsafe { scan_avx2(hash, weights, first, threshold, hashes, pass) };
    }
    hashes_generic(first as u32, hash.salt_of(first), hashes);
    flag(weights, hashes, threshold, pass)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniforms_are_distinct_flat_and_below_the_bound() {
        let hash = LaneHash::new(3, 1);
        let n = 200_000u64;
        let mut bins = [0u32; 16];
        let mut seen = std::collections::HashSet::new();
        for i in 0..n {
            let u = hash.uniform(i);
            assert!(u > 0.0 && u < 1.0);
            assert!(u < (hash.high(i) as f64 + 1.0) / TWO_POW_32);
            assert!(seen.insert(u.to_bits()));
            bins[(u * 16.0) as usize] += 1;
        }
        let e = n as f64 / 16.0;
        let chi2: f64 = bins.iter().map(|&c| (c as f64 - e).powi(2) / e).sum();
        // 0.999 quantile of chi-square with 15 dof.
        assert!(chi2 < 37.70, "chi2 = {chi2}");
        // Across the 2^32 boundary the high words differ.
        assert_ne!(hash.uniform(5), hash.uniform(5 + (1 << 32)));
    }

    #[test]
    fn the_scan_keeps_every_item_that_can_enter_and_flags_bad_weights() {
        let hash = LaneHash::new(9, 0);
        let weights: Vec<f64> = (0..4096).map(|i| (i % 11) as f64 * 0.3).collect();
        let threshold = -0.002;
        let mut pass = vec![false; weights.len()];
        let mut hashes = vec![0i32; weights.len()];
        let scan = scan(hash, &weights, 1000, threshold, &mut hashes, &mut pass);
        assert!(!scan.bad);
        assert_eq!(
            scan.positive,
            weights.iter().filter(|&&w| w > 0.0).count() as u64
        );
        for (j, &w) in weights.iter().enumerate() {
            let key = hash.uniform(1000 + j as u64).ln() / w;
            if w > 0.0 && key >= threshold {
                assert!(pass[j], "item {j} dropped");
            }
        }
        assert!(pass.iter().filter(|&&p| p).count() < 200);
        let mut generic = vec![0i32; weights.len()];
        hashes_generic(1000, hash.salt_of(1000), &mut generic);
        assert_eq!(generic, hashes);
        let mut one = [false];
        assert!(flag(&[f64::NAN], &[0], threshold, &mut one).bad);
    }
}
