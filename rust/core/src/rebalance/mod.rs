//! Rebalancing labelled feature matrices: SMOTE, random over- and under-sampling.
//!
//! Features are float32 or float64 rows read in place ([`crate::linalg::Dense`]);
//! neighbour searches run in float32 on the gemm tiles of [`crate::linalg`], synthetic points
//! are computed in float64 and stored in the input's type.

pub mod knn;
mod pruned;
pub mod random;
mod scan;
pub mod smote;

pub use knn::{neighbours, recall, Search};
pub use smote::{resample, Method, Resampled};
