//! Algorithm L (Li 1994): a uniform reservoir over a stream of unknown length.
//!
//! After the first k items, the reservoir jumps straight to the next item that
//! enters: the gap is geometric given the running variable `W`, so only
//! O(k log(n/k)) random numbers are drawn for n items. Draws come in order from one
//! [`Sequence`], so the result does not depend on how the stream is batched.

use super::streams::RESERVOIR;
use crate::rng::Sequence;

/// A uniform sample of up to k items of a stream.
#[derive(Clone, Debug)]
pub struct UniformReservoir {
    k: usize,
    slots: Vec<u64>,
    draws: Sequence,
    /// `W` of Algorithm L: the largest of k uniforms, as it evolves.
    w: f64,
    /// Global index of the next item that enters (once the reservoir is full).
    next: u64,
}

impl UniformReservoir {
    /// An empty reservoir of `k` items under `seed`.
    pub fn new(k: usize, seed: u64) -> Self {
        UniformReservoir {
            k,
            slots: Vec::with_capacity(k),
            draws: Sequence::new(seed, RESERVOIR),
            w: 1.0,
            next: 0,
        }
    }

    fn jump(&mut self, from: u64) {
        let u = self.draws.next_open();
        // floor(ln U / ln(1 - W)) items are skipped; ln_1p keeps tiny W accurate.
        let skip = (u.ln() / (-self.w).ln_1p()).floor();
        self.next = if skip.is_finite() && skip < (u64::MAX - from) as f64 {
            from + 1 + skip as u64
        } else {
            u64::MAX
        };
    }

    fn shrink_w(&mut self) {
        self.w *= (self.draws.next_open().ln() / self.k as f64).exp();
    }

    /// Offer the items `first .. first + len` (consecutive global indices); calls
    /// `entered(index, evicted)` for each item that enters, `evicted` being the index
    /// it replaced (`None` while the reservoir fills).
    pub fn offer_range(&mut self, first: u64, len: u64, mut entered: impl FnMut(u64, Option<u64>)) {
        if self.k == 0 {
            return;
        }
        let end = first + len;
        let mut i = first;
        while self.slots.len() < self.k && i < end {
            self.slots.push(i);
            entered(i, None);
            if self.slots.len() == self.k {
                self.shrink_w();
                self.jump(i);
            }
            i += 1;
        }
        while self.slots.len() == self.k && self.next < end {
            let index = self.next;
            let slot = self.draws.below(self.k as u64) as usize;
            let evicted = std::mem::replace(&mut self.slots[slot], index);
            entered(index, Some(evicted));
            self.shrink_w();
            self.jump(index);
        }
    }

    /// The indices held now (in no particular order).
    pub fn indices(&self) -> &[u64] {
        &self.slots
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batching_does_not_change_the_sample() {
        let mut whole = UniformReservoir::new(50, 3);
        whole.offer_range(0, 100_000, |_, _| {});
        let mut batched = UniformReservoir::new(50, 3);
        let mut first = 0;
        for len in [1u64, 7, 999, 30_000, 12, 68_981] {
            batched.offer_range(first, len, |_, _| {});
            first += len;
        }
        assert_eq!(first, 100_000);
        assert_eq!(whole.indices(), batched.indices());
    }

    #[test]
    fn inclusion_probability_is_k_over_n() {
        // Every item is in the sample with probability k/n; chi-square over items of
        // the counts (each binomial, so the statistic has n - 1 dof approximately).
        let (n, k, trials) = (40u64, 5usize, 8_000u64);
        let mut hits = vec![0u32; n as usize];
        for seed in 0..trials {
            let mut r = UniformReservoir::new(k, seed);
            r.offer_range(0, n, |_, _| {});
            for &i in r.indices() {
                hits[i as usize] += 1;
            }
        }
        let p = k as f64 / n as f64;
        let expected = p * trials as f64;
        let var = expected * (1.0 - p);
        let chi2: f64 = hits
            .iter()
            .map(|&h| (h as f64 - expected).powi(2) / var)
            .sum();
        // 0.999 quantile of chi-square with 39 dof is 72.05.
        assert!(chi2 < 72.05, "chi2 = {chi2}, hits {hits:?}");
    }

    #[test]
    fn a_short_stream_is_kept_whole() {
        let mut r = UniformReservoir::new(10, 1);
        r.offer_range(0, 4, |_, _| {});
        assert_eq!(r.indices(), &[0, 1, 2, 3]);
    }
}
