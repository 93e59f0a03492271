//! `thresher._core`: the PyO3 binding of thresher-core.
//!
//! Thin by design: each function converts its arguments, runs one core call through
//! [`detach::run`] (GIL released, errors typed), and converts the result back.

use pyo3::prelude::*;

/// mimalloc for every Rust allocation of the extension: batches are allocated on the
/// reader thread and freed on others, a pattern under which glibc's per-thread arenas
/// kept growing (peak RSS +50% over an 8x larger corpus); mimalloc returns the memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cluster;
mod convert;
mod dedup;
mod detach;
mod dsir;
mod errors;
mod filters;
mod io;
mod mixing;
mod quality;
mod quality_train;
mod rebalance;
mod sample;
mod shared;
mod threads;
mod tokens;
mod valuation;

/// Use `n` worker threads for all kernels (0 restores the default: the CPU count, or
/// `THRESHER_NUM_THREADS`).
#[pyfunction]
fn set_num_threads(n: usize) {
    threads::set_num_threads(n);
}

/// The number of worker threads kernels use.
#[pyfunction]
fn get_num_threads() -> usize {
    threads::num_threads()
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(get_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(dsir::count_features, m)?)?;
    m.add_function(wrap_pyfunction!(dsir::dsir_log_weights, m)?)?;
    m.add_function(wrap_pyfunction!(dsir::dsir_select, m)?)?;
    m.add_function(wrap_pyfunction!(dsir::dsir_keys, m)?)?;
    m.add_function(wrap_pyfunction!(dsir::kl_reduction, m)?)?;
    m.add_function(wrap_pyfunction!(dsir::feature_buckets, m)?)?;
    m.add_class::<dsir::PyDsirModel>()?;
    m.add_class::<dsir::PyDsirSelection>()?;
    m.add_class::<convert::corpus::SpilledCorpus>()?;
    io::register(m)?;
    sample::register(m)?;
    dedup::register(m)?;
    cluster::register(m)?;
    mixing::register(m)?;
    rebalance::register(m)?;
    valuation::register(m)?;
    quality_train::register(m)?;
    shared::register(m)?;
    tokens::register(m)?;
    quality::register(m)?;
    filters::register(m)?;
    Ok(())
}
