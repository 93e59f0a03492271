//! Sampling weights: f32 or f64, checked once with errors that name the item.

use rayon::prelude::*;

use crate::{Error, Result};

/// A weight type the samplers accept without a copy.
pub trait Weight: Copy + Send + Sync + 'static {
    /// The weight as f64.
    fn get(self) -> f64;
}

impl Weight for f64 {
    #[inline]
    fn get(self) -> f64 {
        self
    }
}

impl Weight for f32 {
    #[inline]
    fn get(self) -> f64 {
        self as f64
    }
}

/// Why a weight is rejected, or `None` for a usable one (finite and >= 0).
#[inline]
pub(crate) fn problem(w: f64) -> Option<&'static str> {
    if w.is_nan() {
        Some("NaN")
    } else if w.is_infinite() {
        Some("infinite")
    } else if w < 0.0 {
        Some("negative")
    } else {
        None
    }
}

/// The error for a bad weight at `index`.
pub(crate) fn bad_weight(name: &str, index: u64, w: f64, why: &str) -> Error {
    Error::invalid(
        name,
        format!("{name}[{index}] is {why} ({w}); weights must be finite and >= 0"),
    )
}

/// Check every weight; returns how many are positive.
pub(crate) fn check<W: Weight>(weights: &[W]) -> Result<u64> {
    check_named(weights, |i| i as u64)
}

/// [`check`] of a part of a larger column whose item `i` is row `rows[i]` of the
/// whole: the error names the first bad weight by its row, as a check of the whole
/// column would.
pub fn check_rows<W: Weight>(weights: &[W], rows: &[u64]) -> Result<u64> {
    if rows.len() != weights.len() {
        return Err(Error::invalid(
            "rows",
            format!("{} rows for {} weights", rows.len(), weights.len()),
        ));
    }
    check_named(weights, |i| rows[i])
}

fn check_named<W: Weight>(weights: &[W], row: impl Fn(usize) -> u64) -> Result<u64> {
    // One pass: each chunk reports its first bad weight and its positive count.
    const CHUNK: usize = 1 << 16;
    let (first_bad, positive) = weights
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(c, chunk)| {
            let bad = chunk
                .iter()
                .position(|w| problem(w.get()).is_some())
                .map(|j| c * CHUNK + j);
            let positive = chunk.iter().filter(|w| w.get() > 0.0).count() as u64;
            (bad, positive)
        })
        .reduce(
            || (None, 0),
            |(a, pa), (b, pb)| (a.into_iter().chain(b).min(), pa + pb),
        );
    if let Some(i) = first_bad {
        let w = weights[i].get();
        return Err(bad_weight(
            "weights",
            row(i),
            w,
            problem(w).unwrap_or("bad"),
        ));
    }
    Ok(positive)
}

/// The error when fewer items can be drawn than asked for.
pub(crate) fn too_few(k: u64, available: u64, what: &str) -> Error {
    Error::invalid(
        "k",
        format!("{k} items requested without replacement but only {available} {what}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_first_bad_weight() {
        let err = check(&[1.0f64, 0.0, f64::NAN, -1.0])
            .unwrap_err()
            .to_string();
        assert!(err.contains("weights[2] is NaN"), "{err}");
        let err = check(&[1.0f32, -0.5]).unwrap_err().to_string();
        assert!(err.contains("weights[1] is negative"), "{err}");
        let err = check(&[f64::INFINITY]).unwrap_err().to_string();
        assert!(err.contains("infinite"), "{err}");
        assert_eq!(check(&[1.0f64, 0.0, 2.0]).unwrap(), 2);
    }

    #[test]
    fn names_the_row_of_a_part() {
        let err = check_rows(&[1.0f64, -2.0], &[40, 41])
            .unwrap_err()
            .to_string();
        assert!(err.contains("weights[41] is negative"), "{err}");
        assert_eq!(check_rows(&[1.0f32, 0.0], &[7, 9]).unwrap(), 1);
        assert!(check_rows(&[1.0f64], &[]).is_err());
    }
}
