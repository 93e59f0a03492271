//! Choosing diverse subsets: cluster-then-quota selection, k-center greedy coresets,
//! semantic near-duplicate removal within clusters and the Greedy Maximum Entropy
//! sampler for items described by categorical attributes.

pub mod gme;
pub mod k_center;
pub mod quota;
pub mod semdedup;
