//! The float32 kernels every distance scan is built on: a vectorised dot product and
//! squared distance, and `gemm` tiles of dot products.
//!
//! `||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2`: the dot products of a block of rows with
//! a set of rows are one `rows x k` tile computed by the `gemm` crate (pure Rust,
//! runtime-dispatched AVX2/FMA and AVX-512 f32 kernels, no system BLAS), each tile by a
//! single-threaded call so that callers parallelise over blocks whose layout depends
//! only on the sizes, never on the thread count.

/// Dot product of two equal-length float32 slices, summed in 8 lanes (vectorises;
/// the summation order is fixed, so the result is reproducible).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut tail = 0.0f32;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    acc.iter().sum::<f32>() + tail
}

/// Squared Euclidean distance of two equal-length slices, computed from differences
/// (no cancellation), in 8 lanes.
#[inline]
pub fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            let t = x[l] - y[l];
            acc[l] += t * t;
        }
    }
    let mut tail = 0.0f32;
    for (x, y) in ra.iter().zip(rb) {
        tail += (x - y) * (x - y);
    }
    acc.iter().sum::<f32>() + tail
}

/// Squared norms of `k` contiguous rows of length `d`.
pub fn row_norms(c: &[f32], d: usize) -> Vec<f32> {
    c.chunks_exact(d).map(|r| dot(r, r)).collect()
}

/// Rows per block so that a `rows x k` float32 tile stays near 2 MB (a multiple of 16,
/// between 64 and 1024: 1024-row blocks of 384-d rows ran ~10% faster than 4096-row
/// ones at k = 100 here, the block then staying in cache). Depends only on `k`.
pub fn block_rows(k: usize) -> usize {
    let rows = (1usize << 19) / k.max(1);
    (rows / 16 * 16).clamp(64, 1024)
}

/// `dst[r * k + j] = x_r . c_j` for the `rows` rows of `x` (row stride `x_stride`) and
/// the `k` contiguous rows of `c`, both of length `d`. Single-threaded.
pub fn dot_tile(
    x: &[f32],
    x_stride: usize,
    rows: usize,
    d: usize,
    c: &[f32],
    k: usize,
    dst: &mut [f32],
) {
    assert!(rows == 0 || x.len() >= (rows - 1) * x_stride + d);
    assert!(c.len() >= k * d && dst.len() >= rows * k);
    if rows == 0 || k == 0 {
        return;
    }
    // SAFETY: the asserts above keep every index the kernel touches in bounds:
    // dst (rows x k, row stride k), lhs (rows x d, row stride x_stride) and rhs
    // (d x k, element (p, j) at c[j * d + p]).
    unsafe {
        gemm::gemm(
            rows,
            k,
            d,
            dst.as_mut_ptr(),
            1,
            k as isize,
            false,
            x.as_ptr(),
            1,
            x_stride as isize,
            c.as_ptr(),
            d as isize,
            1,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_match_dot_products() {
        let d = 11;
        let x: Vec<f32> = (0..5 * d).map(|i| (i % 7) as f32 - 3.0).collect();
        let c: Vec<f32> = (0..3 * d).map(|i| (i % 5) as f32 * 0.5).collect();
        let mut tile = vec![0f32; 5 * 3];
        dot_tile(&x, d, 5, d, &c, 3, &mut tile);
        for r in 0..5 {
            for j in 0..3 {
                let want = dot(&x[r * d..(r + 1) * d], &c[j * d..(j + 1) * d]);
                assert_eq!(tile[r * 3 + j], want, "({r}, {j})");
            }
        }
        let norms = row_norms(&c, d);
        assert_eq!(norms[1], dot(&c[d..2 * d], &c[d..2 * d]));
        let (a, b) = (&x[..d], &x[d..2 * d]);
        let expanded = dot(a, a) - 2.0 * dot(a, b) + dot(b, b);
        assert!((squared_distance(a, b) - expanded).abs() < 1e-3);
    }

    #[test]
    fn block_rows_depends_only_on_k() {
        assert_eq!(block_rows(1), 1024);
        assert_eq!(block_rows(1000), 512);
        assert_eq!(block_rows(100_000), 64);
    }
}
