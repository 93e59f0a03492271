//! thresher-core: the algorithms of thresher, in pure Rust.
//!
//! This crate knows nothing of Python. Inputs are Arrow arrays and record batches,
//! outputs are plain Rust values; the `thresher-python` crate binds them.
#![deny(missing_docs)]

pub mod allocation;
pub mod chunk;
pub mod cluster;
pub mod dedup;
pub mod diversity;
pub mod dsir;
pub mod error;
pub mod external_sort;
pub mod features;
pub mod filters;
pub mod io;
pub mod linalg;
pub mod mixing;
pub mod quality;
pub mod rebalance;
pub mod rng;
pub mod rows;
pub mod sample;
pub mod spill;
pub mod stream;
pub mod text;
pub mod tokens;
pub mod valuation;

pub use error::{Error, Location, Result};
