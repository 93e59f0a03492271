//! Dense linear algebra shared by the families that read feature matrices (cluster,
//! rebalance, diversity, valuation).
//!
//! - [`dense::Dense`]: a typed view of float16, float32 or float64 rows read in place
//!   (row stride `>= cols`), and [`matrix::Matrix`], the same view with its element
//!   type erased, read as float32 blocks;
//! - [`distance`]: the vectorised dot product and squared distance and the `gemm`
//!   tiles of dot products that every blocked distance scan is built on;
//! - [`groups`]: rows grouped by label;
//! - [`centre`]: column means and centring.
//!
//! Nothing here depends on another family of the crate.

pub mod centre;
pub mod dense;
pub mod distance;
pub mod groups;
pub mod matrix;

pub use dense::{Dense, Real};
pub use matrix::{Elements, Matrix};
