//! Mixing: how much of each document and domain to train on.
//!
//! - [`mid_ranks`]: mid-rank percentiles of values within groups (parallel sorts).
//! - [`quadmix`]: QuaDMix's quality-diversity sampling function (Liu et al. 2025):
//!   merged quality per document, its rank within its domain, the expected number of
//!   copies, and integer copies drawn from `(seed, row)`.

mod copies;
mod quadmix;
mod rank;

pub use copies::draw_copies;
pub use quadmix::{expected_copies, merged_quality, sampling_value, DomainParams, Normalize};
pub use rank::mid_ranks;

/// Random streams of the mixing kernels.
pub(crate) mod streams {
    pub const QUADMIX_COPIES: u64 = 0x6d01;
}
