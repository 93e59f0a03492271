//! Exact probabilities and frequency checks shared by the samplers' tests.

/// Exact inclusion probabilities of successive sampling of `k` items (each draw
/// proportional to the weights left), by enumerating every ordered draw.
pub fn successive_inclusion(weights: &[f64], k: usize) -> Vec<f64> {
    fn visit(w: &[f64], k: usize, taken: &mut Vec<usize>, p: f64, out: &mut [f64]) {
        if taken.len() == k {
            for &i in taken.iter() {
                out[i] += p;
            }
            return;
        }
        let left: f64 = (0..w.len())
            .filter(|i| !taken.contains(i))
            .map(|i| w[i])
            .sum();
        for i in 0..w.len() {
            if !taken.contains(&i) && w[i] > 0.0 {
                taken.push(i);
                visit(w, k, taken, p * w[i] / left, out);
                taken.pop();
            }
        }
    }
    let mut out = vec![0.0; weights.len()];
    visit(weights, k, &mut Vec::new(), 1.0, &mut out);
    out
}

/// Assert each frequency `hits[i] / trials` is within `z` binomial standard deviations
/// of `exact[i]` (z = 3.9 is alpha ~ 1e-4 per item, ~1e-3 over a test's items).
pub fn assert_frequencies(hits: &[u32], exact: &[f64], trials: u64, z: f64) {
    for (i, (&h, &p)) in hits.iter().zip(exact).enumerate() {
        let sd = (p * (1.0 - p) / trials as f64).sqrt();
        let freq = h as f64 / trials as f64;
        assert!((freq - p).abs() <= z * sd, "item {i}: {freq} vs exact {p}");
    }
}
