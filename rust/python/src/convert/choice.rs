//! String options as types (the polars `Wrap<T>` pattern): each choice is one
//! `FromPyObject` newtype over the enum it selects, and every misspelt option is refused
//! with the message the Python checks give (`thresher._validation.choice`): "invalid
//! name: must be one of 'a', 'b', got 'c'", an `InvalidParameterError` naming the
//! parameter. Binding functions take the newtype,
//! never a `&str` to match by hand.

use pyo3::prelude::*;

use thresher_core::cluster::Metric;
use thresher_core::dedup::{Unit, Verify};
use thresher_core::dsir::{Method as SelectMethod, Normalization as WeightNormalization};
use thresher_core::features::HashScheme;
use thresher_core::mixing::Normalize;
use thresher_core::rebalance::Method as ResampleMethod;

use crate::errors::invalid;

/// The message of a refused choice after "invalid name: ": "must be one of 'a', 'b',
/// got X", with `got` shown as Python shows it.
pub fn one_of_message(names: &[&str], got: &str) -> String {
    let list = names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("must be one of {list}, got {got}")
}

/// The refusal of `got` for the parameter `name`, which accepts `names`.
pub fn not_one_of(name: &str, names: &[&str], got: &str) -> PyErr {
    invalid(name, one_of_message(names, got))
}

/// `pub struct $wrapper(pub $target)`, extracted from one of the strings on the left.
macro_rules! choice {
    ($(#[$doc:meta])* $wrapper:ident($target:ty), $param:literal { $($name:literal => $value:expr),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        pub struct $wrapper(pub $target);

        impl $wrapper {
            /// The strings accepted.
            pub const NAMES: &'static [&'static str] = &[$($name),+];
        }

        impl<'a, 'py> FromPyObject<'a, 'py> for $wrapper {
            type Error = PyErr;

            fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
                let shown = || ob.repr().map(|r| r.to_string()).unwrap_or_default();
                let got: String = ob.extract().map_err(|_| not_one_of($param, Self::NAMES, &shown()))?;
                match got.as_str() {
                    $($name => Ok($wrapper($value)),)+
                    _ => Err(not_one_of($param, Self::NAMES, &shown())),
                }
            }
        }
    };
}

choice!(
    /// The distance of k-means, k-center and SemDeDup.
    MetricChoice(Metric), "metric" {
        "euclidean" => Metric::Euclidean,
        "l2" => Metric::Euclidean,
        "cosine" => Metric::Cosine,
    }
);

/// A k-means initialisation named by a string (given centroids are an array).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitName {
    /// k-means++.
    PlusPlus,
    /// k-means|| (scalable k-means++).
    Parallel,
    /// Random rows.
    Random,
}

choice!(
    /// The named initialisation of k-means.
    InitChoice(InitName), "init" {
        "k-means++" => InitName::PlusPlus,
        "k-means||" => InitName::Parallel,
        "random" => InitName::Random,
    }
);

/// How cluster-then-quota selection shares its budget (weights are a list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocationName {
    /// The same number from every cluster.
    Uniform,
    /// In proportion to cluster sizes.
    Proportional,
    /// In proportion to the weights given with it.
    Weights,
}

choice!(
    /// The named allocation of balanced selection.
    AllocationChoice(AllocationName), "allocation" {
        "uniform" => AllocationName::Uniform,
        "proportional" => AllocationName::Proportional,
        "weights" => AllocationName::Weights,
    }
);

choice!(
    /// The selector of the Greedy Maximum Entropy ranking.
    SelectorChoice(thresher_core::diversity::gme::Selector), "selector" {
        "dutopia" => thresher_core::diversity::gme::Selector::Dutopia,
        "sum" => thresher_core::diversity::gme::Selector::Sum,
    }
);

/// A resampling method by name (SMOTE's parameters are separate arguments).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResampleName {
    /// SMOTE interpolation.
    Smote,
    /// Random over-sampling.
    Over,
    /// Random under-sampling.
    Under,
}

impl ResampleName {
    /// The core method, with SMOTE's neighbour count and search.
    pub fn method(self, k: usize, search: thresher_core::rebalance::Search) -> ResampleMethod {
        match self {
            ResampleName::Smote => ResampleMethod::Smote { k, search },
            ResampleName::Over => ResampleMethod::RandomOver,
            ResampleName::Under => ResampleMethod::RandomUnder,
        }
    }
}

choice!(
    /// The method of `resample`.
    ResampleChoice(ResampleName), "method" {
        "smote" => ResampleName::Smote,
        "over" => ResampleName::Over,
        "under" => ResampleName::Under,
    }
);

choice!(
    /// Shingles of words or of characters.
    UnitChoice(Unit), "unit" {
        "word" => Unit::Word,
        "char" => Unit::Char,
    }
);

choice!(
    /// How near-duplicate candidates are verified.
    VerifyChoice(Verify), "verify" {
        "signature" => Verify::Signature,
        "exact" => Verify::Exact,
    }
);

/// Which copy of a duplicate cluster is kept (scores are separate arguments).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeepName {
    /// The first in corpus order.
    First,
    /// The longest.
    Longest,
    /// The best scored.
    Score,
}

choice!(
    /// The copy kept by near-duplicate removal.
    KeepChoice(KeepName), "keep" {
        "first" => KeepName::First,
        "longest" => KeepName::Longest,
        "score" => KeepName::Score,
    }
);

choice!(
    /// The feature hash of DSIR.
    HashChoice(HashScheme), "hash" {
        "xxh3" => HashScheme::Xxh3,
        "sha256" => HashScheme::Sha256,
    }
);

choice!(
    /// The normalisation of DSIR log-weights.
    WeightNormChoice(WeightNormalization), "normalize" {
        "none" => WeightNormalization::None,
        "per_token" => WeightNormalization::PerToken,
    }
);

choice!(
    /// How DSIR selects from its weights.
    SelectChoice(SelectMethod), "method" {
        "gumbel" => SelectMethod::Gumbel,
        "top_k" => SelectMethod::TopK,
    }
);

choice!(
    /// The normalisation of QuaDMix quality scores.
    NormalizeChoice(Normalize), "normalize" {
        "domain" => Normalize::Domain,
        "corpus" => Normalize::Corpus,
        "none" => Normalize::Raw,
    }
);

choice!(
    /// The permutation scheme of MinHash.
    SchemeChoice(thresher_core::dedup::Scheme), "scheme" {
        "thresher" => thresher_core::dedup::Scheme::Thresher,
        "affine32" => thresher_core::dedup::Scheme::Affine32,
        "legacy" => thresher_core::dedup::Scheme::Legacy,
    }
);

choice!(
    /// What a newline inside a document means to fastText prediction.
    NewlinesChoice(thresher_core::quality::fasttext::Newlines), "newlines" {
        "space" => thresher_core::quality::fasttext::Newlines::Space,
        "error" => thresher_core::quality::fasttext::Newlines::Error,
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_one_shape() {
        assert_eq!(
            one_of_message(MetricChoice::NAMES, "'manhattan'"),
            "must be one of 'euclidean', 'l2', 'cosine', got 'manhattan'"
        );
        assert_eq!(KeepChoice::NAMES, &["first", "longest", "score"]);
    }
}
