//! Data valuation: exact K-nearest-neighbour Shapley values (Jia et al. 2019).

pub mod knn_shapley;
pub mod radix;

pub use knn_shapley::knn_shapley;
