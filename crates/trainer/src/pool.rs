//! Max and average pooling with true gradients.
//!
//! candle 0.11's `max_pool2d` scales its gradient by 1/(size²) (measured in
//! `shared/bench/peers/README.md`), which starves every layer under a pool, and neither of its
//! pools has a gradient when stride ≠ size. Here pooling is built from ops whose gradients
//! candle computes exactly: where windows tile the input (stride = size) a reshape and two
//! reductions; otherwise the maximum or mean over the size² strided views of the input, each
//! gathered with `index_select`. The tests check both against finite differences.

use candle_core::{D, Result, Tensor};

/// What a pooling window computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reduce {
    /// The largest value.
    Max,
    /// The mean value.
    Mean,
}

/// Pooling of a `[n, c, h, w]` tensor over `size`×`size` windows `stride` apart, with
/// `out = floor((in - size) / stride) + 1` per side.
pub(crate) fn pool(x: &Tensor, size: usize, stride: usize, reduce: Reduce) -> Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    let (oh, ow) = ((h - size) / stride + 1, (w - size) / stride + 1);
    if stride == size {
        let x = x.narrow(2, 0, oh * size)?.narrow(3, 0, ow * size)?;
        let windows = x.reshape((n, c, oh, size, ow, size))?;
        match reduce {
            Reduce::Max => windows.max(D::Minus1)?.max(3),
            Reduce::Mean => windows.mean(D::Minus1)?.mean(3),
        }
    } else {
        let device = x.device();
        let positions = |offset: usize, count: usize| -> Result<Tensor> {
            let idx: Vec<u32> = (0..count).map(|o| (offset + o * stride) as u32).collect();
            Tensor::from_vec(idx, count, device)
        };
        let mut views = Vec::with_capacity(size * size);
        for dy in 0..size {
            let rows = x.index_select(&positions(dy, oh)?, 2)?;
            for dx in 0..size {
                views.push(rows.index_select(&positions(dx, ow)?, 3)?);
            }
        }
        let views = Tensor::stack(&views, 0)?;
        match reduce {
            Reduce::Max => views.max(0),
            Reduce::Mean => views.mean(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    /// d sum(pool(x) * r) / dx by backprop and by central differences, for a random r.
    fn check_gradient(size: usize, stride: usize, side: usize) {
        for reduce in [Reduce::Max, Reduce::Mean] {
            check_gradient_of(size, stride, side, reduce);
        }
    }

    fn check_gradient_of(size: usize, stride: usize, side: usize, reduce: Reduce) {
        let dev = Device::Cpu;
        let len = 2 * side * side;
        // Distinct values so that every window has a unique maximum.
        let values: Vec<f32> = (0..len).map(|i| ((i * 37) % len) as f32 * 0.1).collect();
        let x = Var::from_vec(values.clone(), (1, 2, side, side), &dev).unwrap();
        let out_dims = pool(x.as_tensor(), size, stride, reduce)
            .unwrap()
            .dims()
            .to_vec();
        let r_len: usize = out_dims.iter().product();
        let r: Vec<f32> = (0..r_len).map(|i| 1.0 + (i % 5) as f32).collect();
        let r = Tensor::from_vec(r, out_dims, &dev).unwrap();
        let objective = |x: &Tensor| -> Tensor {
            (pool(x, size, stride, reduce).unwrap() * &r)
                .unwrap()
                .sum_all()
                .unwrap()
        };
        let grads = objective(x.as_tensor()).backward().unwrap();
        let analytic: Vec<f32> = grads
            .get(&x)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let eps = 0.01;
        for i in 0..len {
            let shifted = |delta: f32| {
                let mut v = values.clone();
                v[i] += delta;
                let t = Tensor::from_vec(v, (1, 2, side, side), &dev).unwrap();
                objective(&t).to_scalar::<f32>().unwrap()
            };
            let numeric = (shifted(eps) - shifted(-eps)) / (2.0 * eps);
            assert!(
                (numeric - analytic[i]).abs() < 1e-2,
                "{reduce:?} size {size} stride {stride} element {i}: numeric {numeric}, backprop {}",
                analytic[i]
            );
        }
    }

    #[test]
    fn tiled_pool_gradient_matches_finite_differences() {
        check_gradient(2, 2, 5);
        check_gradient(3, 3, 7);
    }

    #[test]
    fn overlapping_pool_gradient_matches_finite_differences() {
        check_gradient(3, 2, 7);
    }

    #[test]
    fn pools_take_window_maxima_or_means_and_drop_the_ragged_edge() {
        let x = Tensor::arange(0f32, 25.0, &Device::Cpu)
            .unwrap()
            .reshape((1, 1, 5, 5))
            .unwrap();
        let values = |size, stride, reduce| {
            pool(&x, size, stride, reduce)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap()
        };
        assert_eq!(values(2, 2, Reduce::Max), [6.0, 8.0, 16.0, 18.0]);
        assert_eq!(values(3, 2, Reduce::Max), [12.0, 14.0, 22.0, 24.0]);
        assert_eq!(values(2, 2, Reduce::Mean), [3.0, 5.0, 13.0, 15.0]);
        assert_eq!(values(3, 2, Reduce::Mean), [6.0, 8.0, 16.0, 18.0]);
    }
}
