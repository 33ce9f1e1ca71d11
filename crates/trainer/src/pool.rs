//! Max and average pooling with true gradients, as custom ops.
//!
//! candle 0.11's `max_pool2d` scales its gradient by 1/(size²) (measured in
//! `shared/bench/peers/README.md`), which starves every layer under a pool, and neither of its
//! pools has a gradient when stride ≠ size. Max pooling here sends each output's gradient,
//! whole, to the first maximum of its window (found once, in the forward pass); average
//! pooling spreads it evenly over the window. Average pooling was first built from candle ops
//! (a reshape and two means, or size² `index_select` views where windows overlap), whose
//! reductions and broadcasts cost more than the pooling itself. The tests check both against
//! finite differences.

use crate::contiguous::{Kernel, run};
use candle_core::{
    CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor, WithDType, bail,
};
use std::sync::{Arc, OnceLock};

/// Max pooling over `size`×`size` windows `stride` apart. The forward pass keeps where each
/// window's maximum was, and the gradient reuses it: finding them again was half the cost of
/// max pooling, itself the largest single cost of a small network's training step.
struct MaxPool {
    size: usize,
    stride: usize,
    maxima: OnceLock<Arc<Vec<u32>>>,
}

/// The gradient of [`MaxPool`]: each output's gradient added at its window's first maximum.
struct MaxPoolGrad {
    maxima: Arc<Vec<u32>>,
}

/// Output sides of `size`×`size` windows `stride` apart over an `[n, c, h, w]` input.
fn pooled_sides(dims: &[usize], size: usize, stride: usize) -> Result<(usize, usize)> {
    let &[n, c, h, w] = dims else {
        bail!("pooling expects [n, c, h, w], got {dims:?}")
    };
    if h < size || w < size || size == 0 || stride == 0 {
        bail!("a {size}×{size} pool, stride {stride}, does not fit {h}×{w}");
    }
    if n * c * h * w > u32::MAX as usize {
        bail!("pooling: {dims:?} is too large to index");
    }
    Ok(((h - size) / stride + 1, (w - size) / stride + 1))
}

/// Each window's maximum of a contiguous `[n, c, h, w]` input, in output order, and the index
/// of its first maximum.
fn window_maxima<T: WithDType>(
    x: &[T],
    dims: &[usize],
    size: usize,
    stride: usize,
) -> Result<(Vec<T>, Vec<u32>)> {
    let (oh, ow) = pooled_sides(dims, size, stride)?;
    let (h, w) = (dims[2], dims[3]);
    let outputs = dims[0] * dims[1] * oh * ow;
    let (mut values, mut at) = (Vec::with_capacity(outputs), Vec::with_capacity(outputs));
    for (p, plane) in x.chunks_exact(h * w).enumerate() {
        let base = p * h * w;
        for oy in 0..oh {
            let top = oy * stride * w;
            if size == 2 {
                // The usual window, unrolled: two rows, two columns each.
                let (r0, r1) = (&plane[top..top + w], &plane[top + w..top + 2 * w]);
                for ox in 0..ow {
                    let c = ox * stride;
                    let (mut best, mut i) = (r0[c], top + c);
                    if r0[c + 1] > best {
                        (best, i) = (r0[c + 1], top + c + 1);
                    }
                    if r1[c] > best {
                        (best, i) = (r1[c], top + w + c);
                    }
                    if r1[c + 1] > best {
                        (best, i) = (r1[c + 1], top + w + c + 1);
                    }
                    values.push(best);
                    at.push((base + i) as u32);
                }
                continue;
            }
            for ox in 0..ow {
                let first = top + ox * stride;
                let (mut best, mut i) = (plane[first], first);
                for ky in 0..size {
                    let row = first + ky * w;
                    for (j, &v) in plane[row..row + size].iter().enumerate() {
                        if v > best {
                            (best, i) = (v, row + j);
                        }
                    }
                }
                values.push(best);
                at.push((base + i) as u32);
            }
        }
    }
    Ok((values, at))
}

/// [`MaxPool`]'s forward kernel over an input of `dims`: the window maxima, their places
/// kept in the op for the gradient.
struct Maxima<'a> {
    op: &'a MaxPool,
    dims: &'a [usize],
}

/// [`MaxPoolGrad`]'s kernel: each output's gradient added at its window's maximum, into an
/// input of `len` elements.
struct Spread<'a> {
    maxima: &'a [u32],
    len: usize,
}

impl Kernel for Maxima<'_> {
    fn apply<T: WithDType>(&self, args: &[&[T]]) -> Result<Vec<T>> {
        let (values, at) = window_maxima(args[0], self.dims, self.op.size, self.op.stride)?;
        // One op instance runs forward once; a second run (none in candle) keeps the first's.
        let _ = self.op.maxima.set(Arc::new(at));
        Ok(values)
    }
}

impl Kernel for Spread<'_> {
    fn apply<T: WithDType>(&self, args: &[&[T]]) -> Result<Vec<T>> {
        let g = args[0];
        if g.len() != self.maxima.len() {
            bail!(
                "max pooling's gradient: {} values for {} windows",
                g.len(),
                self.maxima.len()
            );
        }
        let mut out = vec![T::zero(); self.len];
        for (&i, &v) in self.maxima.iter().zip(g) {
            out[i as usize] += v;
        }
        Ok(out)
    }
}

impl CustomOp1 for MaxPool {
    fn name(&self) -> &'static str {
        "max-pool"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let dims = layout.dims();
        let (oh, ow) = pooled_sides(dims, self.size, self.stride)?;
        let out = run(
            self.name(),
            &[(storage, layout)],
            &Maxima { op: self, dims },
        )?;
        Ok((out, Shape::from((dims[0], dims[1], oh, ow))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let Some(maxima) = self.maxima.get() else {
            bail!("max pooling's gradient was asked before its forward pass ran")
        };
        let op = MaxPoolGrad {
            maxima: Arc::clone(maxima),
        };
        Ok(Some(arg.apply_op2_no_bwd(&grad.contiguous()?, &op)?))
    }
}

impl CustomOp2 for MaxPoolGrad {
    fn name(&self) -> &'static str {
        "max-pool-grad"
    }

    fn cpu_fwd(
        &self,
        _x: &CpuStorage,
        x_layout: &Layout,
        grad: &CpuStorage,
        grad_layout: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let spread = Spread {
            maxima: &self.maxima,
            len: x_layout.shape().elem_count(),
        };
        let out = run(self.name(), &[(grad, grad_layout)], &spread)?;
        Ok((out, x_layout.shape().clone()))
    }
}

/// Average pooling over `size`×`size` windows `stride` apart.
struct AvgPool {
    size: usize,
    stride: usize,
}

/// The gradient of [`AvgPool`]: each output's gradient, divided by the window's size², added
/// to every input of its window.
struct AvgPoolGrad {
    size: usize,
    stride: usize,
}

/// Window means of a contiguous `[n, c, h, w]` input, in output order.
fn window_means<T: WithDType>(
    x: &[T],
    dims: &[usize],
    size: usize,
    stride: usize,
) -> Result<Vec<T>> {
    let (oh, ow) = pooled_sides(dims, size, stride)?;
    let (h, w) = (dims[2], dims[3]);
    let scale = T::from_f64(1.0 / (size * size) as f64);
    let mut out = Vec::with_capacity(dims[0] * dims[1] * oh * ow);
    for plane in x.chunks_exact(h * w) {
        for oy in 0..oh {
            for ox in 0..ow {
                let first = oy * stride * w + ox * stride;
                let mut sum = T::zero();
                for ky in 0..size {
                    let row = first + ky * w;
                    for &v in &plane[row..row + size] {
                        sum += v;
                    }
                }
                out.push(sum * scale);
            }
        }
    }
    Ok(out)
}

/// The input gradient of average pooling an `[n, c, h, w]` input (`dims`), from the output
/// gradient `g`.
fn spread_means<T: WithDType>(
    g: &[T],
    dims: &[usize],
    size: usize,
    stride: usize,
) -> Result<Vec<T>> {
    let (oh, ow) = pooled_sides(dims, size, stride)?;
    let (h, w) = (dims[2], dims[3]);
    if g.len() != dims[0] * dims[1] * oh * ow {
        bail!(
            "average pooling's gradient: {} values for {dims:?}",
            g.len()
        );
    }
    let scale = T::from_f64(1.0 / (size * size) as f64);
    let mut out = vec![T::zero(); dims[0] * dims[1] * h * w];
    for (plane, g) in out.chunks_exact_mut(h * w).zip(g.chunks_exact(oh * ow)) {
        for oy in 0..oh {
            for ox in 0..ow {
                let share = g[oy * ow + ox] * scale;
                let first = oy * stride * w + ox * stride;
                for ky in 0..size {
                    let row = first + ky * w;
                    for v in &mut plane[row..row + size] {
                        *v += share;
                    }
                }
            }
        }
    }
    Ok(out)
}

/// [`AvgPool`]'s forward kernel over an input of `dims`.
struct Means<'a> {
    dims: &'a [usize],
    size: usize,
    stride: usize,
}

/// [`AvgPoolGrad`]'s kernel, into an input of `dims`.
struct SpreadMeans<'a> {
    dims: &'a [usize],
    size: usize,
    stride: usize,
}

impl Kernel for Means<'_> {
    fn apply<T: WithDType>(&self, args: &[&[T]]) -> Result<Vec<T>> {
        window_means(args[0], self.dims, self.size, self.stride)
    }
}

impl Kernel for SpreadMeans<'_> {
    fn apply<T: WithDType>(&self, args: &[&[T]]) -> Result<Vec<T>> {
        spread_means(args[0], self.dims, self.size, self.stride)
    }
}

impl CustomOp1 for AvgPool {
    fn name(&self) -> &'static str {
        "avg-pool"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let dims = layout.dims();
        let (oh, ow) = pooled_sides(dims, self.size, self.stride)?;
        let means = Means {
            dims,
            size: self.size,
            stride: self.stride,
        };
        let out = run(self.name(), &[(storage, layout)], &means)?;
        Ok((out, Shape::from((dims[0], dims[1], oh, ow))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let op = AvgPoolGrad {
            size: self.size,
            stride: self.stride,
        };
        Ok(Some(arg.apply_op2_no_bwd(&grad.contiguous()?, &op)?))
    }
}

impl CustomOp2 for AvgPoolGrad {
    fn name(&self) -> &'static str {
        "avg-pool-grad"
    }

    fn cpu_fwd(
        &self,
        _x: &CpuStorage,
        x_layout: &Layout,
        grad: &CpuStorage,
        grad_layout: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let spread = SpreadMeans {
            dims: x_layout.dims(),
            size: self.size,
            stride: self.stride,
        };
        let out = run(self.name(), &[(grad, grad_layout)], &spread)?;
        Ok((out, x_layout.shape().clone()))
    }
}

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
    let x = x.contiguous()?;
    match reduce {
        Reduce::Max => x.apply_op1(MaxPool {
            size,
            stride,
            maxima: OnceLock::new(),
        }),
        Reduce::Mean => x.apply_op1(AvgPool { size, stride }),
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
        check_gradient(2, 1, 5);
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
