//! Deduplication: exact (hash of the normalised text) and near-duplicate (MinHash, LSH,
//! verified union-find clusters).
//!
//! * [`normalize`] and [`shingle`]: text to a set of word or character n-grams.
//! * [`minhash`]: signatures, in thresher's fast scheme or datasketch's two schemes
//!   bit for bit ([`datasketch`]).
//! * [`lsh`]: banding parameters and candidate pairs; [`union_find`]: clusters.
//! * [`near`]: the near-duplicate pipeline; [`exact`]: exact duplicates.
//! * [`collect`], [`signature_file`] and [`spilled`]: the same pipeline under a
//!   memory budget, signatures and band keys on disk past it (same results).

pub mod collect;
pub mod datasketch;
pub mod exact;
pub mod lsh;
pub mod minhash;
pub mod near;
pub mod normalize;
pub mod shingle;
pub mod signature_file;
pub mod signatures;
pub mod spilled;
pub mod union_find;

pub use collect::Budget;
pub use lsh::{optimal_param, LshParams};
pub use minhash::{MinHasher, Scheme};
pub use near::{
    near_duplicates, near_duplicates_of_signatures, near_duplicates_of_texts, Keep, NearOptions,
    SignatureOptions, Verify,
};
pub use normalize::Normalization;
pub use shingle::{Shingling, Unit};

/// Counts of a deduplication run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Documents read.
    pub documents: u64,
    /// Clusters of two or more documents.
    pub clusters: u64,
    /// Documents marked as duplicates (all but one per cluster).
    pub duplicates: u64,
    /// Bytes of text read.
    pub bytes: u64,
    /// Bytes of text of the duplicates.
    pub bytes_removed: u64,
    /// Candidate pairs from LSH (0 for exact deduplication).
    pub candidate_pairs: u64,
    /// Candidate pairs whose similarity reached the threshold.
    pub verified_pairs: u64,
    /// LSH bands (0 for exact deduplication).
    pub bands: u64,
    /// LSH rows per band.
    pub rows: u64,
}

/// Per-document results: one entry per document in corpus order.
#[derive(Clone, Debug, Default)]
pub struct Annotations {
    /// The smallest document index of the document's cluster (its own for singletons).
    pub cluster_id: Vec<u64>,
    /// Whether the document is removed (not the kept document of its cluster).
    pub is_duplicate: Vec<bool>,
    /// For duplicates, the similarity to the kept document of the cluster (estimated
    /// or exact Jaccard as verified; 1 for exact duplicates); NaN otherwise.
    pub similarity: Vec<f32>,
    /// Counts.
    pub summary: Summary,
}

impl Annotations {
    fn with_capacity(n: usize) -> Self {
        Annotations {
            cluster_id: Vec::with_capacity(n),
            is_duplicate: Vec::with_capacity(n),
            similarity: Vec::with_capacity(n),
            summary: Summary::default(),
        }
    }
}
