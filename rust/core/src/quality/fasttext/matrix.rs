//! The two kinds of fastText matrices: dense `f32` rows and product-quantized rows.
//!
//! Both are used through two operations, with fastText's order of `f32` operations
//! so that results agree bit for bit: adding a row to a vector (the input matrix,
//! summed into the hidden vector) and the dot product of a row with a vector (the
//! output matrix).

/// Number of centroids of each sub-quantizer (codes are bytes).
pub const KSUB: usize = 256;

/// A row-major `rows x cols` matrix of `f32`.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseMatrix {
    /// Number of rows.
    pub rows: usize,
    /// Number of columns (the model's dimension).
    pub cols: usize,
    /// `rows * cols` values, row after row.
    pub data: Vec<f32>,
}

impl DenseMatrix {
    /// A matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        DenseMatrix {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    /// Row `i`.
    #[inline]
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
}

/// A product quantizer: `nsubq` sub-vectors of `dsub` values (the last of `lastdsub`),
/// each replaced by the nearest of [`KSUB`] centroids.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductQuantizer {
    /// Dimension of the vectors quantized.
    pub dim: usize,
    /// Number of sub-quantizers.
    pub nsubq: usize,
    /// Dimension of each sub-vector but the last.
    pub dsub: usize,
    /// Dimension of the last sub-vector.
    pub lastdsub: usize,
    /// `dim * KSUB` centroid values, laid out as fastText saves them.
    pub centroids: Vec<f32>,
}

impl ProductQuantizer {
    /// The centroid `i` of sub-quantizer `m`.
    #[inline]
    pub fn centroid(&self, m: usize, i: usize) -> &[f32] {
        if m + 1 == self.nsubq {
            let at = m * KSUB * self.dsub + i * self.lastdsub;
            &self.centroids[at..at + self.lastdsub]
        } else {
            let at = (m * KSUB + i) * self.dsub;
            &self.centroids[at..at + self.dsub]
        }
    }

    /// `x += alpha * decode(code)`.
    #[inline]
    pub fn add_code(&self, x: &mut [f32], code: &[u8], alpha: f32) {
        for (m, &c) in code.iter().enumerate().take(self.nsubq) {
            let centroid = self.centroid(m, c as usize);
            let out = &mut x[m * self.dsub..m * self.dsub + centroid.len()];
            for (o, &v) in out.iter_mut().zip(centroid) {
                *o += alpha * v;
            }
        }
    }

    /// `alpha * (x . decode(code))`, summed in fastText's order.
    #[inline]
    pub fn dot_code(&self, x: &[f32], code: &[u8], alpha: f32) -> f32 {
        let mut res = 0.0f32;
        for (m, &c) in code.iter().enumerate().take(self.nsubq) {
            let centroid = self.centroid(m, c as usize);
            let xs = &x[m * self.dsub..m * self.dsub + centroid.len()];
            for (&a, &b) in xs.iter().zip(centroid) {
                res += a * b;
            }
        }
        res * alpha
    }
}

/// A product-quantized matrix: one code of `nsubq` bytes per row, and with `qnorm`
/// the rows' norms quantized apart (one byte per row, a one-dimensional quantizer).
#[derive(Debug, Clone, PartialEq)]
pub struct QuantMatrix {
    /// Whether norms are quantized apart.
    pub qnorm: bool,
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// `rows * pq.nsubq` codes.
    pub codes: Vec<u8>,
    /// The quantizer of the (normalized) rows.
    pub pq: ProductQuantizer,
    /// One norm code per row (empty without `qnorm`).
    pub norm_codes: Vec<u8>,
    /// The quantizer of the norms (`None` without `qnorm`).
    pub npq: Option<ProductQuantizer>,
}

impl QuantMatrix {
    #[inline]
    fn norm(&self, i: usize) -> f32 {
        match &self.npq {
            Some(npq) if self.qnorm => npq.centroid(0, self.norm_codes[i] as usize)[0],
            _ => 1.0,
        }
    }

    #[inline]
    fn code(&self, i: usize) -> &[u8] {
        &self.codes[i * self.pq.nsubq..(i + 1) * self.pq.nsubq]
    }
}

/// A fastText matrix, dense or quantized.
#[derive(Debug, Clone, PartialEq)]
pub enum Matrix {
    /// Plain `f32` rows.
    Dense(DenseMatrix),
    /// Product-quantized rows.
    Quant(QuantMatrix),
}

impl Matrix {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        match self {
            Matrix::Dense(m) => m.rows,
            Matrix::Quant(m) => m.rows,
        }
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        match self {
            Matrix::Dense(m) => m.cols,
            Matrix::Quant(m) => m.cols,
        }
    }

    /// Whether the matrix is product-quantized.
    pub fn is_quantized(&self) -> bool {
        matches!(self, Matrix::Quant(_))
    }

    /// `x += row(i)`.
    #[inline]
    pub fn add_row(&self, x: &mut [f32], i: usize) {
        match self {
            Matrix::Dense(m) => {
                for (o, &v) in x.iter_mut().zip(m.row(i)) {
                    *o += v;
                }
            }
            Matrix::Quant(m) => m.pq.add_code(x, m.code(i), m.norm(i)),
        }
    }

    /// `row(i) . x`.
    #[inline]
    pub fn dot_row(&self, x: &[f32], i: usize) -> f32 {
        match self {
            Matrix::Dense(m) => {
                let mut d = 0.0f32;
                for (&a, &b) in m.row(i).iter().zip(x) {
                    d += a * b;
                }
                d
            }
            Matrix::Quant(m) => m.pq.dot_code(x, m.code(i), m.norm(i)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quantizer(dim: usize, nsubq: usize) -> ProductQuantizer {
        let dsub = dim.div_ceil(nsubq);
        let lastdsub = dim - dsub * (nsubq - 1);
        let centroids = (0..dim * KSUB).map(|v| (v % 17) as f32 * 0.25).collect();
        ProductQuantizer {
            dim,
            nsubq,
            dsub,
            lastdsub,
            centroids,
        }
    }

    #[test]
    fn quantized_rows_decode_to_their_centroids() {
        let pq = quantizer(5, 2);
        let code = [3u8, 7];
        let mut x = vec![0.0; 5];
        pq.add_code(&mut x, &code, 2.0);
        let mut want = Vec::new();
        want.extend(pq.centroid(0, 3).iter().map(|v| v * 2.0));
        want.extend(pq.centroid(1, 7).iter().map(|v| v * 2.0));
        assert_eq!(x, want);
        let ones = vec![1.0; 5];
        assert_eq!(pq.dot_code(&ones, &code, 2.0), want.iter().sum::<f32>());
    }

    #[test]
    fn dense_rows_add_and_dot() {
        let m = Matrix::Dense(DenseMatrix {
            rows: 2,
            cols: 3,
            data: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        });
        let mut x = vec![1.0; 3];
        m.add_row(&mut x, 1);
        assert_eq!(x, vec![5.0, 6.0, 7.0]);
        assert_eq!(m.dot_row(&x, 0), 5.0 + 12.0 + 21.0);
    }
}
