//! Matrix products over plain slices, by candle's own `gemm` kernels on the calling thread,
//! with every bound checked before the kernel's raw pointers are made. The fused convolution
//! (`conv.rs`) multiplies one image's window columns at a time and accumulates a weight
//! gradient across a batch in place, which candle's `Tensor::matmul` cannot.

use candle_core::WithDType;

/// A read-only view of a matrix inside a slice: element `(i, j)` is
/// `data[i · row_stride + j · col_stride]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Matrix<'a, T> {
    data: &'a [T],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a, T> Matrix<'a, T> {
    /// The first `rows · cols` elements of `data`, row after row.
    pub(crate) fn row_major(data: &'a [T], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The same elements read as the transpose.
    pub(crate) fn transposed(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    /// Panics unless every element lies inside `data`.
    fn check(&self) {
        if self.rows > 0 && self.cols > 0 {
            let last = (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride;
            assert!(
                last < self.data.len(),
                "matmul: a {}×{} view (strides {}, {}) past its {} elements",
                self.rows,
                self.cols,
                self.row_stride,
                self.col_stride,
                self.data.len()
            );
        }
    }
}

/// `dst = lhs · rhs`, or `dst += lhs · rhs` when `accumulate`, with `dst` row-major
/// `lhs.rows × rhs.cols`. `T` is f32 or f64 (the trainer's dtypes).
///
/// # Panics
/// When the shapes disagree, a view reaches past its slice, or `T` is another type.
pub(crate) fn matmul_into<T: WithDType>(
    dst: &mut [T],
    lhs: Matrix<'_, T>,
    rhs: Matrix<'_, T>,
    accumulate: bool,
) {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    assert_eq!(k, rhs.rows, "matmul: {m}×{k} by {}×{n}", rhs.rows);
    assert_eq!(
        dst.len(),
        m * n,
        "matmul: {m}×{n} into {} elements",
        dst.len()
    );
    lhs.check();
    rhs.check();
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst.fill(T::zero());
        }
        return;
    }
    let stride = |s: usize| isize::try_from(s).expect("matrix stride fits isize");
    // SAFETY: `dst` holds exactly m·n elements, written row-major (row stride n, column
    // stride 1); `check` proved every element of both operand views in bounds; the three
    // slices are distinct borrows, so `dst` aliases neither operand.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            stride(n),
            accumulate,
            lhs.data.as_ptr(),
            stride(lhs.col_stride),
            stride(lhs.row_stride),
            rhs.data.as_ptr(),
            stride(rhs.col_stride),
            stride(rhs.row_stride),
            T::one(),
            T::one(),
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
        (0..m * n)
            .map(|ij| (0..k).map(|l| a[ij / n * k + l] * b[l * n + ij % n]).sum())
            .collect()
    }

    #[test]
    fn products_and_transposes_match_the_definition() {
        let (m, k, n) = (5, 7, 3);
        let a: Vec<f64> = (0..m * k).map(|i| (i * 37 % 11) as f64 - 5.0).collect();
        let b: Vec<f64> = (0..k * n).map(|i| (i * 13 % 7) as f64 - 3.0).collect();
        let mut dst = vec![9.0; m * n];
        matmul_into(
            &mut dst,
            Matrix::row_major(&a, m, k),
            Matrix::row_major(&b, k, n),
            false,
        );
        assert_eq!(dst, naive(&a, &b, m, k, n));
        // aᵀ stored row-major, read back through `transposed`, gives the same product, added.
        let at: Vec<f64> = (0..k * m).map(|i| a[i % m * k + i / m]).collect();
        matmul_into(
            &mut dst,
            Matrix::row_major(&at, k, m).transposed(),
            Matrix::row_major(&b, k, n),
            true,
        );
        let twice: Vec<f64> = naive(&a, &b, m, k, n).iter().map(|v| 2.0 * v).collect();
        assert_eq!(dst, twice);
    }

    #[test]
    #[should_panic(expected = "matmul")]
    fn mismatched_shapes_panic() {
        let a = [1.0f32; 6];
        matmul_into(
            &mut [0.0; 4],
            Matrix::row_major(&a, 2, 3),
            Matrix::row_major(&a, 2, 3),
            false,
        );
    }
}
