//! Sampling kernels: the primitives every selection method ends with.
//!
//! Every sampler takes an explicit seed and draws its randomness from
//! [`crate::rng`]: either per item, from `(seed, item index)` (keyed samplers, which
//! are therefore identical whatever the thread count or chunking, and mergeable
//! across partitions), or from one ordered [`crate::rng::Sequence`] over global
//! positions (reservoirs over streams, shuffles), which batch boundaries do not see.
//!
//! - [`uniform`]: k of n without replacement (Floyd), O(k) memory.
//! - [`UniformReservoir`]: Algorithm L over a stream of unknown length.
//! - [`weighted`] / [`KeyedTopK`]: weighted without replacement by exponential keys
//!   (Efraimidis-Spirakis), parallel over chunks and exactly mergeable.
//! - [`ExpJReservoir`]: A-ExpJ, the exponential-jumps variant for streams.
//! - [`AliasTable`]: with replacement in O(1) per draw (Vose).
//! - [`allocate`], [`stratified`]: exact integer allocations across groups and the
//!   per-group samples.
//! - [`temperature`], [`unimax`]: mixture weights across groups.
//! - [`permutation`]: a seeded Fisher-Yates shuffle (the basis of RS2 epochs).
//! - [`reservoir_stream`]: reservoirs over record batches, keeping the sampled rows.
//! - [`keyed_budget`], [`budget_stream`]: uniform and weighted samples by token budget.

mod alias;
mod budget;
mod expj;
mod keyed;
mod lanes;
mod mixture;
mod reservoir;
mod shuffle;
mod stratified;
mod stream;
#[cfg(test)]
mod testing;
mod uniform;
mod weights;

pub use alias::AliasTable;
pub use budget::{budget_stream, keyed_budget, BudgetOptions, BudgetSample};
pub use expj::ExpJReservoir;
pub use keyed::{merge_items, weighted, weighted_items, Keyed, KeyedTopK};
pub use mixture::{temperature, unimax};
pub use reservoir::UniformReservoir;
pub use shuffle::permutation;
pub use stratified::{group_seed, group_sizes, stratified, GroupCode};
pub use stream::{reservoir_stream, ReservoirOptions, ReservoirSample};
pub use uniform::uniform;
pub use weights::{check_rows, Weight};

/// Random streams of the samplers, so that two samplers with one seed are independent.
pub(crate) mod streams {
    pub const UNIFORM: u64 = 0x5a01;
    pub const RESERVOIR: u64 = 0x5a02;
    pub const KEYED: u64 = 0x5a03;
    pub const EXPJ: u64 = 0x5a04;
    pub const ALIAS_COLUMN: u64 = 0x5a05;
    pub const ALIAS_COIN: u64 = 0x5a06;
    pub const STRATIFIED: u64 = 0x5a07;
    pub const SHUFFLE: u64 = 0x5a08;
}
