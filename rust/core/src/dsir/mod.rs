//! DSIR: data selection with importance resampling (Xie et al. 2023).
//!
//! 1. [`fit`]: count hashed n-gram features of the target and raw corpora.
//! 2. [`model::DsirModel`]: turn counts into the log-ratio vector
//!    `log_diff = ln(p_target) - ln(p_raw)` (one per target).
//! 3. [`weights`]: a document's log importance weight is the sum of `log_diff` over its
//!    n-gram features (the dot product of the vector with its counts).
//! 4. [`select`]: keep the k documents with the largest `log_weight + Gumbel noise`
//!    (sampling without replacement in proportion to the weights), in one streaming
//!    pass with a k-sized heap.
//! 5. [`kl`]: the paper's KL-reduction metric on the hashed feature space.

pub mod fit;
pub mod kl;
pub mod model;
pub mod select;
pub mod weights;

pub use model::{DsirModel, Smoothing};
pub use select::{Method, SelectOptions, Selection};
pub use weights::{Normalization, WeightOptions};
