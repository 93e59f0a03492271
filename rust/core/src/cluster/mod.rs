//! Clustering of dense embeddings: k-means (Lloyd, with k-means++, k-means|| or random
//! initialisation, Euclidean or spherical), mini-batch k-means for data larger than
//! memory, and hierarchical k-means with balanced sampling.
//!
//! Inputs are borrowed float16, float32 or float64 matrices ([`crate::linalg::Matrix`]); nothing is
//! copied but the blocks being worked on. Results depend only on the data, the options
//! and the seed, never on the thread count.

pub mod distance;
pub mod hierarchical;
pub mod init;
pub mod kmeans;
pub mod minibatch;

pub use distance::{assign, Assignment, Metric};
pub use kmeans::{fit, Init, KMeansOptions, KMeansResult};
pub use minibatch::fit_minibatch;
