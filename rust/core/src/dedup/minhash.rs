//! MinHash signatures: `num_perm` permutations of the shingle hashes, the minimum of
//! each, as `u32` (4 bytes per permutation per document: 512 bytes at 128).
//!
//! Three schemes, each fixed forever for a name:
//!
//! * [`Scheme::Thresher`] (default): the 64-bit shingle hash of
//!   [`Shingling::for_each_hash`] (XXH3-64 of tokens, combined; no string built),
//!   folded to 32 bits (`h ^ h >> 32`; the hash is already fully mixed), then
//!   `a_i * x + b_i mod 2^32` with `a_i` odd: one 32-bit multiply, add and min per
//!   permutation, which the compiler vectorises (8 lanes with AVX2, 16 with AVX-512;
//!   runtime dispatch). An odd-multiplier affine map is a bijection of 32-bit values,
//!   so two distinct shingles never tie within a permutation; the same family as
//!   datasketch 2.0 after its study of its bias. `(a_i, b_i)` come from thresher's
//!   counter-based RNG: `word(seed, 1, i) | 1` and `word(seed, 2, i)`, low 32 bits.
//! * [`Scheme::Affine32`]: datasketch 2.0's default. Shingle bytes -> SHA-1 first 4
//!   bytes little-endian -> MurmurHash3 `fmix32` -> `a*x + b mod 2^32`, with `(a, b)`
//!   from `numpy.random.RandomState(seed)` exactly as datasketch draws them.
//! * [`Scheme::Legacy`]: datasketch before 2.0. SHA-1 32-bit token hash `h`,
//!   `((a*h + b) mod 2^64) mod (2^61 - 1)`, low 32 bits.
//!
//! Empty documents keep every slot at `u32::MAX` (datasketch's empty value too).

use super::datasketch::{
    affine32_permutations, fmix32, legacy_permutations, mod_mersenne61, sha1_hash32,
};
use super::shingle::{ShingleScratch, Shingling};
use crate::rng::word;
use crate::{Error, Result};

/// A permutation scheme (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// thresher's fast scheme (XXH3 shingle hashes, affine permutations on u32 lanes).
    Thresher,
    /// datasketch >= 2.0's default `affine32` scheme, bit for bit.
    Affine32,
    /// datasketch's `legacy` scheme (before 2.0), bit for bit.
    Legacy,
}

impl Scheme {
    /// The scheme's stable name.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Thresher => "thresher",
            Scheme::Affine32 => "affine32",
            Scheme::Legacy => "legacy",
        }
    }

    /// Parse a name written by [`Scheme::name`].
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "thresher" => Ok(Scheme::Thresher),
            "affine32" => Ok(Scheme::Affine32),
            "legacy" => Ok(Scheme::Legacy),
            other => Err(Error::invalid(
                "scheme",
                format!("must be 'thresher', 'affine32' or 'legacy', got {other:?}"),
            )),
        }
    }
}

#[derive(Clone, Debug)]
enum Permutations {
    Affine { a: Vec<u32>, b: Vec<u32> },
    Mersenne { a: Vec<u64>, b: Vec<u64> },
}

/// Computes MinHash signatures of documents.
#[derive(Clone, Debug)]
pub struct MinHasher {
    scheme: Scheme,
    num_perm: usize,
    seed: u64,
    shingling: Shingling,
    permutations: Permutations,
}

/// Empty slot value.
pub const EMPTY: u32 = u32::MAX;

impl MinHasher {
    /// A hasher with `num_perm` permutations drawn from `seed`.
    pub fn new(scheme: Scheme, num_perm: usize, seed: u64, shingling: Shingling) -> Result<Self> {
        shingling.validate()?;
        if num_perm == 0 || num_perm > 1 << 16 {
            return Err(Error::invalid(
                "num_perm",
                format!("must be between 1 and 65536, got {num_perm}"),
            ));
        }
        let datasketch_seed = || {
            u32::try_from(seed).map_err(|_| {
                Error::invalid(
                    "seed",
                    format!("datasketch schemes need a seed below 2**32, got {seed}"),
                )
            })
        };
        let permutations = match scheme {
            Scheme::Thresher => Permutations::Affine {
                a: (0..num_perm as u64)
                    .map(|i| word(seed, 1, i) as u32 | 1)
                    .collect(),
                b: (0..num_perm as u64)
                    .map(|i| word(seed, 2, i) as u32)
                    .collect(),
            },
            Scheme::Affine32 => {
                let (a, b) = affine32_permutations(datasketch_seed()?, num_perm);
                Permutations::Affine { a, b }
            }
            Scheme::Legacy => {
                let (a, b) = legacy_permutations(datasketch_seed()?, num_perm);
                Permutations::Mersenne { a, b }
            }
        };
        Ok(MinHasher {
            scheme,
            num_perm,
            seed,
            shingling,
            permutations,
        })
    }

    /// Permutations per signature.
    pub fn num_perm(&self) -> usize {
        self.num_perm
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The shingling.
    pub fn shingling(&self) -> &Shingling {
        &self.shingling
    }

    /// Write the signature of `text` into `out` (length `num_perm`); returns the
    /// number of shingles (0: the signature is all [`EMPTY`]).
    pub fn signature_into(
        &self,
        text: &str,
        scratch: &mut SignatureScratch,
        out: &mut [u32],
    ) -> usize {
        debug_assert_eq!(out.len(), self.num_perm);
        out.fill(EMPTY);
        let xs = &mut scratch.inputs;
        xs.clear();
        let shingles = match self.scheme {
            Scheme::Thresher => self
                .shingling
                .for_each_hash(text, &mut scratch.shingles, |h| {
                    xs.push((h ^ (h >> 32)) as u32)
                }),
            Scheme::Affine32 => {
                self.shingling
                    .for_each_shingle(text, &mut scratch.shingles, |bytes| {
                        xs.push(fmix32(sha1_hash32(bytes)))
                    })
            }
            Scheme::Legacy => {
                self.shingling
                    .for_each_shingle(text, &mut scratch.shingles, |bytes| {
                        xs.push(sha1_hash32(bytes))
                    })
            }
        };
        match &self.permutations {
            Permutations::Affine { a, b } => affine_min(out, a, b, xs),
            Permutations::Mersenne { a, b } => mersenne_min(out, a, b, xs),
        }
        shingles
    }
}

/// Per-thread buffers for [`MinHasher::signature_into`].
#[derive(Default)]
pub struct SignatureScratch {
    shingles: ShingleScratch,
    inputs: Vec<u32>,
}

/// Lanes updated together: 4 AVX2 registers of accumulators stay in registers while
/// every input of the document streams through.
const BLOCK: usize = 32;

#[inline(always)]
fn affine_min_generic(out: &mut [u32], a: &[u32], b: &[u32], xs: &[u32]) {
    let mut blocks = out.chunks_exact_mut(BLOCK);
    let (mut ab, mut bb) = (a.chunks_exact(BLOCK), b.chunks_exact(BLOCK));
    for ((acc_out, a), b) in (&mut blocks).zip(&mut ab).zip(&mut bb) {
        let a: &[u32; BLOCK] = a.try_into().expect("block");
        let b: &[u32; BLOCK] = b.try_into().expect("block");
        let mut acc: [u32; BLOCK] = (&*acc_out).try_into().expect("block");
        for &x in xs {
            for l in 0..BLOCK {
                acc[l] = acc[l].min(a[l].wrapping_mul(x).wrapping_add(b[l]));
            }
        }
        acc_out.copy_from_slice(&acc);
    }
    let tail = blocks.into_remainder();
    for ((slot, &a), &b) in tail.iter_mut().zip(ab.remainder()).zip(bb.remainder()) {
        for &x in xs {
            *slot = (*slot).min(a.wrapping_mul(x).wrapping_add(b));
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn affine_min_avx2(out: &mut [u32], a: &[u32], b: &[u32], xs: &[u32]) {
    affine_min_generic(out, a, b, xs)
}

/// `out[i] = min(out[i], min over x of a[i]*x + b[i] mod 2^32)`.
fn affine_min(out: &mut [u32], a: &[u32], b: &[u32], xs: &[u32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        unsafe { affine_min_avx2(out, a, b, xs) };
        return;
    }
    affine_min_generic(out, a, b, xs)
}

/// datasketch's legacy update: `((a*h + b) mod 2^64) mod (2^61-1)`, low 32 bits.
fn mersenne_min(out: &mut [u32], a: &[u64], b: &[u64], xs: &[u32]) {
    for ((slot, &a), &b) in out.iter_mut().zip(a).zip(b) {
        for &x in xs {
            let v = mod_mersenne61(a.wrapping_mul(x as u64).wrapping_add(b)) as u32;
            *slot = (*slot).min(v);
        }
    }
}

/// The share of equal slots of two signatures: the MinHash estimate of their
/// Jaccard similarity.
#[inline]
pub fn agreement(a: &[u32], b: &[u32]) -> f64 {
    let equal = a.iter().zip(b).filter(|(x, y)| x == y).count();
    equal as f64 / a.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::shingle::jaccard;

    fn hasher(scheme: Scheme, num_perm: usize) -> MinHasher {
        MinHasher::new(scheme, num_perm, 1, Shingling::default()).unwrap()
    }

    fn sig(h: &MinHasher, text: &str) -> Vec<u32> {
        let mut out = vec![0; h.num_perm()];
        h.signature_into(text, &mut SignatureScratch::default(), &mut out);
        out
    }

    #[test]
    fn generic_and_dispatched_kernels_agree() {
        let h = hasher(Scheme::Thresher, 200);
        let Permutations::Affine { a, b } = &h.permutations else {
            unreachable!()
        };
        let xs: Vec<u32> = (0..77).map(|i| crate::rng::mix64(i) as u32).collect();
        let mut fast = vec![EMPTY; 200];
        let mut slow = vec![EMPTY; 200];
        affine_min(&mut fast, a, b, &xs);
        affine_min_generic(&mut slow, a, b, &xs);
        let naive: Vec<u32> = (0..200)
            .map(|i| {
                xs.iter()
                    .map(|&x| a[i].wrapping_mul(x).wrapping_add(b[i]))
                    .min()
                    .unwrap()
            })
            .collect();
        assert_eq!(fast, naive);
        assert_eq!(slow, naive);
    }

    #[test]
    fn empty_documents_and_bad_parameters() {
        for scheme in [Scheme::Thresher, Scheme::Affine32, Scheme::Legacy] {
            assert!(sig(&hasher(scheme, 16), " !! ").iter().all(|&v| v == EMPTY));
        }
        assert!(MinHasher::new(Scheme::Thresher, 0, 1, Shingling::default()).is_err());
        assert!(MinHasher::new(Scheme::Legacy, 8, 1 << 40, Shingling::default()).is_err());
        assert!(Scheme::from_name("md5").is_err());
    }

    #[test]
    fn estimates_jaccard() {
        // Two documents of 200 distinct words sharing 150: J = 150 / 250 = 0.6.
        let words: Vec<String> = (0..250).map(|i| format!("w{i}")).collect();
        let one = words[..200].join(" ");
        let two = words[50..].join(" ");
        let s = Shingling {
            n: 1,
            ..Default::default()
        };
        let mut scratch = ShingleScratch::default();
        let exact = jaccard(
            &s.hash_set(&one, &mut scratch),
            &s.hash_set(&two, &mut scratch),
        );
        assert!((exact - 0.6).abs() < 1e-12);
        for scheme in [Scheme::Thresher, Scheme::Affine32, Scheme::Legacy] {
            let h = MinHasher::new(scheme, 1024, 7, s).unwrap();
            let est = agreement(&sig(&h, &one), &sig(&h, &two));
            // sd = sqrt(0.24 / 1024) = 0.0153; 4.5 sd.
            assert!((est - 0.6).abs() < 0.07, "{scheme:?}: {est}");
        }
    }
}
