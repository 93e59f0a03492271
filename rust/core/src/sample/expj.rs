//! A-ExpJ: weighted reservoir sampling with exponential jumps (Efraimidis-Spirakis).
//!
//! The reservoir holds the k items with the largest keys `ln(U)/w`, as the keyed
//! sampler does, but draws no key for the items it skips: once the reservoir is full
//! with smallest key `T`, the total weight passed before some item beats `T` is
//! exponential with rate `-T`, so one draw decides how far to jump. An item that
//! lands gets a key drawn conditionally on beating `T`. Only O(k log(n/k)) random
//! numbers are drawn for n items, and memory is O(k).
//!
//! The draws come in order from one [`Sequence`], so the sample does not depend on
//! how the stream is cut into batches. Reservoirs of separate partitions carry
//! their keys, and the best k keys of their union are distributed exactly as one
//! reservoir over the whole stream ([`ExpJReservoir::merge`]).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use super::keyed::Keyed;
use super::streams::EXPJ;
use super::weights::{bad_weight, problem};
use crate::rng::Sequence;
use crate::Result;

/// Heap order: by key, then the larger index counts as smaller (it loses ties).
#[derive(Clone, Copy, Debug, PartialEq)]
struct HeapItem(Keyed);

impl Eq for HeapItem {}
impl PartialOrd for HeapItem {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for HeapItem {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .key
            .total_cmp(&other.0.key)
            .then(other.0.index.cmp(&self.0.index))
    }
}

/// A weighted reservoir of up to k items over a stream.
#[derive(Clone, Debug)]
pub struct ExpJReservoir {
    k: usize,
    draws: Sequence,
    /// The worst item on top.
    heap: BinaryHeap<Reverse<HeapItem>>,
    /// Weight still to pass before the next item enters (once the reservoir is full).
    to_skip: f64,
    positive: u64,
}

impl ExpJReservoir {
    /// An empty reservoir of `k` items; `partition` selects an independent stream of
    /// random numbers (give each partition of a distributed job its own).
    pub fn new(k: usize, seed: u64, partition: u64) -> Self {
        ExpJReservoir {
            k,
            draws: Sequence::new(seed, EXPJ ^ partition.wrapping_mul(0x9e37_79b9)),
            heap: BinaryHeap::with_capacity(k),
            to_skip: 0.0,
            positive: 0,
        }
    }

    fn min_key(&self) -> f64 {
        self.heap
            .peek()
            .map_or(f64::NEG_INFINITY, |Reverse(h)| h.0.key)
    }

    fn draw_jump(&mut self) {
        // P(skip more than x weight) = exp(x T): an exponential with rate -T.
        self.to_skip = self.draws.next_open().ln() / self.min_key();
    }

    /// Offer item `index` with weight `weight`; returns the index of the item it
    /// evicted (`Some(u64::MAX)` for none) when it entered, `None` when skipped.
    pub fn offer(&mut self, index: u64, weight: f64) -> Result<Option<u64>> {
        if let Some(why) = problem(weight) {
            return Err(bad_weight("weights", index, weight, why));
        }
        if weight == 0.0 || self.k == 0 {
            return Ok(None);
        }
        self.positive += 1;
        if self.heap.len() < self.k {
            let key = self.draws.next_open().ln() / weight;
            self.heap.push(Reverse(HeapItem(Keyed { key, index })));
            if self.heap.len() == self.k {
                self.draw_jump();
            }
            return Ok(Some(u64::MAX));
        }
        self.to_skip -= weight;
        if self.to_skip > 0.0 {
            return Ok(None);
        }
        // The item beats the threshold: its key is ln(r)/w with r uniform on (t, 1),
        // t = exp(w T), i.e. a key conditioned on exceeding T.
        let t = (weight * self.min_key()).exp();
        let r = t + (1.0 - t) * self.draws.next_open();
        let key = r.ln() / weight;
        let Reverse(HeapItem(evicted)) = self.heap.pop().expect("the reservoir is full");
        self.heap.push(Reverse(HeapItem(Keyed { key, index })));
        self.draw_jump();
        Ok(Some(evicted.index))
    }

    /// Items with a positive weight offered so far.
    pub fn positive(&self) -> u64 {
        self.positive
    }

    /// The indices held now (in no particular order).
    pub fn indices(&self) -> impl Iterator<Item = u64> + '_ {
        self.heap.iter().map(|Reverse(h)| h.0.index)
    }

    /// The items held, best key first.
    pub fn items(&self) -> Vec<Keyed> {
        let mut items: Vec<Keyed> = self.heap.iter().map(|Reverse(h)| h.0).collect();
        items.sort_unstable_by(|a, b| b.key.total_cmp(&a.key).then(a.index.cmp(&b.index)));
        items
    }

    /// The best `k` of the items of several reservoirs over disjoint partitions:
    /// distributed as one reservoir over their union. Best key first.
    pub fn merge(k: usize, parts: &[ExpJReservoir]) -> Vec<Keyed> {
        let mut all: Vec<Keyed> = parts.iter().flat_map(|p| p.items()).collect();
        all.sort_unstable_by(|a, b| b.key.total_cmp(&a.key).then(a.index.cmp(&b.index)));
        all.truncate(k);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::testing::{assert_frequencies, successive_inclusion};

    #[test]
    fn one_reservoir_matches_successive_sampling() {
        let w = [1.0, 2.0, 0.5, 3.0, 4.0, 1.5, 10.0];
        let trials = 20_000;
        let mut hits = vec![0u32; w.len()];
        for seed in 0..trials {
            let mut r = ExpJReservoir::new(2, seed, 0);
            for (i, &x) in w.iter().enumerate() {
                r.offer(i as u64, x).unwrap();
            }
            for i in r.indices() {
                hits[i as usize] += 1;
            }
        }
        assert_frequencies(&hits, &successive_inclusion(&w, 2), trials, 3.9);
    }

    #[test]
    fn merged_partitions_match_successive_sampling() {
        let w = [1.0, 2.0, 0.5, 3.0, 4.0, 1.5, 10.0];
        let trials = 20_000;
        let mut hits = vec![0u32; w.len()];
        for seed in 0..trials {
            let mut a = ExpJReservoir::new(2, seed, 0);
            let mut b = ExpJReservoir::new(2, seed, 1);
            for (i, &x) in w.iter().enumerate() {
                let part = if i % 3 == 0 { &mut a } else { &mut b };
                part.offer(i as u64, x).unwrap();
            }
            for item in ExpJReservoir::merge(2, &[a, b]) {
                hits[item.index as usize] += 1;
            }
        }
        assert_frequencies(&hits, &successive_inclusion(&w, 2), trials, 3.9);
    }

    #[test]
    fn skips_zero_weights_and_reports_bad_ones() {
        let mut r = ExpJReservoir::new(3, 1, 0);
        assert_eq!(r.offer(0, 0.0).unwrap(), None);
        assert!(r
            .offer(1, -2.0)
            .unwrap_err()
            .to_string()
            .contains("weights[1]"));
        assert_eq!(r.positive(), 0);
    }
}
