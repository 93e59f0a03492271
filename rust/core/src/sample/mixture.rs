//! Mixture weights across groups of very different sizes.

use crate::{Error, Result};

fn check_sizes(sizes: &[f64]) -> Result<()> {
    if sizes.is_empty() {
        return Err(Error::EmptyInput {
            what: "sizes".into(),
            detail: "there is no group".into(),
        });
    }
    if let Some((h, s)) = sizes
        .iter()
        .enumerate()
        .find(|(_, s)| !(s.is_finite() && **s >= 0.0))
    {
        return Err(Error::invalid(
            "sizes",
            format!("sizes[{h}] is {s}; sizes must be finite and >= 0"),
        ));
    }
    if sizes.iter().all(|&s| s == 0.0) {
        return Err(Error::invalid("sizes", "all groups are empty"));
    }
    Ok(())
}

/// Temperature sampling: `p_i` proportional to `n_i^(1/T)`.
///
/// `T = 1` is proportional sampling, `T -> inf` uniform over non-empty groups, and
/// `T < 1` sharpens toward the largest groups. Computed in log space, so huge sizes
/// and small temperatures do not overflow. Empty groups get 0.
pub fn temperature(sizes: &[f64], temperature: f64) -> Result<Vec<f64>> {
    check_sizes(sizes)?;
    if !(temperature.is_finite() && temperature > 0.0) {
        return Err(Error::invalid(
            "temperature",
            format!("must be finite and > 0, got {temperature}"),
        ));
    }
    let logs: Vec<f64> = sizes
        .iter()
        .map(|&n| {
            if n > 0.0 {
                n.ln() / temperature
            } else {
                f64::NEG_INFINITY
            }
        })
        .collect();
    let top = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let unnormalised: Vec<f64> = logs.iter().map(|&l| (l - top).exp()).collect();
    let total: f64 = unnormalised.iter().sum();
    Ok(unnormalised.into_iter().map(|x| x / total).collect())
}

/// UniMax (Chung et al. 2023, Algorithm 1): spread `budget` as uniformly as possible
/// across groups, but never more than `max_epochs` passes over any group.
///
/// Groups are visited from smallest to largest (ties in input order); each gets
/// `min(max_epochs * n_i, remaining budget / remaining groups)`. Returns the amount
/// given to each group, in the units of `sizes` and `budget` (tokens, characters or
/// documents). The amounts sum to `budget` unless every group is capped.
pub fn unimax(sizes: &[f64], budget: f64, max_epochs: f64) -> Result<Vec<f64>> {
    check_sizes(sizes)?;
    if !(budget.is_finite() && budget > 0.0) {
        return Err(Error::invalid(
            "budget",
            format!("must be finite and > 0, got {budget}"),
        ));
    }
    if !(max_epochs.is_finite() && max_epochs > 0.0) {
        return Err(Error::invalid(
            "max_epochs",
            format!("must be finite and > 0, got {max_epochs}"),
        ));
    }
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|&a, &b| sizes[a].total_cmp(&sizes[b]).then(a.cmp(&b)));
    let mut out = vec![0.0; sizes.len()];
    let mut remaining = budget;
    for (done, &h) in order.iter().enumerate() {
        let fair = remaining / (sizes.len() - done) as f64;
        out[h] = fair.min(max_epochs * sizes[h]);
        remaining -= out[h];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12)
    }

    #[test]
    fn temperature_by_hand() {
        // Sizes 1, 4, 16 at T = 2: square roots 1, 2, 4 over 7.
        let p = temperature(&[1.0, 4.0, 16.0], 2.0).unwrap();
        assert!(close(&p, &[1.0 / 7.0, 2.0 / 7.0, 4.0 / 7.0]), "{p:?}");
        let p = temperature(&[1.0, 3.0, 0.0], 1.0).unwrap();
        assert!(close(&p, &[0.25, 0.75, 0.0]), "{p:?}");
        // A huge size and a tiny temperature do not overflow.
        let p = temperature(&[1e300, 1e299], 0.01).unwrap();
        assert!(p[0] > 0.999_999 && p.iter().all(|x| x.is_finite()));
        assert!(temperature(&[1.0], 0.0).is_err());
        assert!(temperature(&[0.0, 0.0], 1.0).is_err());
    }

    #[test]
    fn unimax_by_hand() {
        // Sizes 100, 10, 1000, budget 600, 2 epochs. Smallest first: 600/3 = 200 is
        // over the cap 2 x 10, so 20; then 580/2 = 290 is over 2 x 100, so 200; the
        // largest group takes the remaining 380.
        let a = unimax(&[100.0, 10.0, 1000.0], 600.0, 2.0).unwrap();
        assert!(close(&a, &[200.0, 20.0, 380.0]), "{a:?}");
        // A budget beyond every cap gives every group max_epochs passes.
        let a = unimax(&[1.0, 2.0], 100.0, 3.0).unwrap();
        assert!(close(&a, &[3.0, 6.0]), "{a:?}");
        // A small budget is uniform.
        let a = unimax(&[50.0, 60.0, 70.0], 30.0, 1.0).unwrap();
        assert!(close(&a, &[10.0, 10.0, 10.0]), "{a:?}");
        assert!(unimax(&[1.0], 10.0, 0.0).is_err());
    }
}
