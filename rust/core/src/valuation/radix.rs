//! Stable argsort of float32 keys by LSD radix sort (three passes of 11 bits over the
//! keys' order-preserving integer images): ties keep their input order.

/// The order-preserving unsigned image of a finite float32.
#[inline]
pub fn key(v: f32) -> u32 {
    let b = v.to_bits();
    if b >> 31 == 1 {
        !b
    } else {
        b | 0x8000_0000
    }
}

const BITS: u32 = 11;
const BUCKETS: usize = 1 << BITS;

/// Sort `items` (`key << 32 | payload`) by key, stably; `spare` is scratch space.
pub fn sort(items: &mut Vec<u64>, spare: &mut Vec<u64>) {
    spare.resize(items.len(), 0);
    let mut counts = vec![0usize; BUCKETS];
    for pass in 0..3 {
        let shift = 32 + pass * BITS;
        counts.iter_mut().for_each(|c| *c = 0);
        for &v in items.iter() {
            counts[((v >> shift) as usize) & (BUCKETS - 1)] += 1;
        }
        if counts.contains(&items.len()) {
            continue; // every key has the same digit: nothing moves
        }
        let mut total = 0;
        for c in counts.iter_mut() {
            let here = *c;
            *c = total;
            total += here;
        }
        for &v in items.iter() {
            let b = ((v >> shift) as usize) & (BUCKETS - 1);
            spare[counts[b]] = v;
            counts[b] += 1;
        }
        std::mem::swap(items, spare);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn radix_equals_a_stable_sort(values in proptest::collection::vec(-1e3f32..1e3, 0..3000), dup in 0usize..5) {
            let mut values = values;
            for i in 0..values.len().saturating_sub(dup) { if i % 7 == 0 { values[i] = values[i / 2]; } }
            let mut items: Vec<u64> = values.iter().enumerate().map(|(i, &v)| (key(v) as u64) << 32 | i as u64).collect();
            let mut spare = Vec::new();
            sort(&mut items, &mut spare);
            let mut expected: Vec<usize> = (0..values.len()).collect();
            expected.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
            let got: Vec<usize> = items.iter().map(|&v| (v & 0xffff_ffff) as usize).collect();
            prop_assert_eq!(got, expected);
        }
    }
}
