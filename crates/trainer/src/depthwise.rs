//! Depthwise convolution computed directly, each channel's plane sliding its own k×k filter.
//! Through im2col it was a broadcast multiply and a sum over a tensor k² times the output,
//! once forward and twice backward, and the search's depthwise-separable networks spent most
//! of their training step there (0.38× PyTorch on the workload benchmark's depthwise network).
//!
//! [`DepthwiseConv`] is a custom op (through `conv_op.rs`, with or without a per-channel bias)
//! whose gradient is two more: [`InputGrad`] (each output's gradient spread back over its
//! window) and [`WeightGrad`] (each filter tap's correlation of input and output gradient),
//! and for the bias `channel_sums`.

use crate::contiguous::{Kernel, run};
use crate::conv::channel_sums;
use crate::conv_op::{Convolution, convolve};
use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape, Tensor, WithDType, bail};

/// Sizes of a depthwise convolution over an already padded `[n, c, h, w]` input with filters
/// `[c, 1, k, k]`.
#[derive(Clone, Copy, Debug)]
struct Geometry {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    k: usize,
    stride: usize,
    oh: usize,
    ow: usize,
}

impl Geometry {
    fn new(input: &[usize], weight: &[usize], stride: usize) -> Result<Self> {
        let &[n, c, h, w] = input else {
            bail!("depthwise conv expects an input [n, c, h, w], got {input:?}")
        };
        let &[co, 1, k, kw] = weight else {
            bail!("depthwise conv expects filters [c, 1, k, k], got {weight:?}")
        };
        if co != c || k != kw || k == 0 || stride == 0 || h < k || w < k {
            bail!("depthwise conv: filters {weight:?}, stride {stride}, do not fit {input:?}")
        }
        Ok(Self {
            n,
            c,
            h,
            w,
            k,
            stride,
            oh: (h - k) / stride + 1,
            ow: (w - k) / stride + 1,
        })
    }

    fn output_shape(&self) -> Shape {
        Shape::from((self.n, self.c, self.oh, self.ow))
    }

    fn input_shape(&self) -> Shape {
        Shape::from((self.n, self.c, self.h, self.w))
    }

    fn weight_shape(&self) -> Shape {
        Shape::from((self.c, 1, self.k, self.k))
    }

    /// Calls `f(plane, channel, input offset of tap (ky, kx) at output row oy, output row
    /// offset, tap index)` for every plane, filter tap and output row: the one loop nest the
    /// three kernels share.
    fn for_each_row(&self, mut f: impl FnMut(usize, usize, usize, usize, usize)) {
        let (k, s) = (self.k, self.stride);
        for plane in 0..self.n * self.c {
            let channel = plane % self.c;
            for ky in 0..k {
                for kx in 0..k {
                    for oy in 0..self.oh {
                        f(
                            plane,
                            channel,
                            (oy * s + ky) * self.w + kx,
                            oy * self.ow,
                            ky * k + kx,
                        );
                    }
                }
            }
        }
    }
}

/// The sum of `a[i] · b[i·stride]` over `a`, in four independent partial sums (so that the
/// compiler may vectorise it).
fn strided_dot<T: WithDType>(a: &[T], b: &[T], stride: usize) -> T {
    let mut partial = [T::zero(); 4];
    if stride == 1 {
        let (a4, b4) = (a.chunks_exact(4), b[..a.len()].chunks_exact(4));
        let (a_rest, b_rest) = (a4.remainder(), b4.remainder());
        for (x, y) in a4.zip(b4) {
            for lane in 0..4 {
                partial[lane] += x[lane] * y[lane];
            }
        }
        for (x, y) in a_rest.iter().zip(b_rest) {
            partial[0] += *x * *y;
        }
    } else {
        for (i, x) in a.iter().enumerate() {
            partial[i % 4] += *x * b[i * stride];
        }
    }
    (partial[0] + partial[1]) + (partial[2] + partial[3])
}

/// `y[i] += scale · x[i·stride]` for every `i` of `y`.
fn strided_axpy<T: WithDType>(y: &mut [T], scale: T, x: &[T], stride: usize) {
    if stride == 1 {
        for (out, v) in y.iter_mut().zip(x) {
            *out += scale * *v;
        }
    } else {
        for (i, out) in y.iter_mut().enumerate() {
            *out += scale * x[i * stride];
        }
    }
}

/// `x[i·stride] += scale · y[i]` for every `i` of `y` (the transpose of [`strided_axpy`]).
fn strided_scatter<T: WithDType>(x: &mut [T], scale: T, y: &[T], stride: usize) {
    if stride == 1 {
        for (out, v) in x.iter_mut().zip(y) {
            *out += scale * *v;
        }
    } else {
        for (i, v) in y.iter().enumerate() {
            x[i * stride] += scale * *v;
        }
    }
}

fn forward<T: WithDType>(x: &[T], weight: &[T], bias: Option<&[T]>, g: &Geometry) -> Vec<T> {
    let (input, output, taps) = (g.h * g.w, g.oh * g.ow, g.k * g.k);
    let mut y = vec![T::zero(); g.n * g.c * output];
    if let Some(bias) = bias {
        for (plane, out) in y.chunks_exact_mut(output).enumerate() {
            out.fill(bias[plane % g.c]);
        }
    }
    g.for_each_row(|plane, channel, from, to, tap| {
        let row = &mut y[plane * output + to..][..g.ow];
        let source = &x[plane * input + from..(plane + 1) * input];
        strided_axpy(row, weight[channel * taps + tap], source, g.stride);
    });
    y
}

fn input_grad<T: WithDType>(dy: &[T], weight: &[T], g: &Geometry) -> Vec<T> {
    let (input, output, taps) = (g.h * g.w, g.oh * g.ow, g.k * g.k);
    let mut dx = vec![T::zero(); g.n * g.c * input];
    g.for_each_row(|plane, channel, from, to, tap| {
        let target = &mut dx[plane * input + from..(plane + 1) * input];
        let row = &dy[plane * output + to..][..g.ow];
        strided_scatter(target, weight[channel * taps + tap], row, g.stride);
    });
    dx
}

fn weight_grad<T: WithDType>(x: &[T], dy: &[T], g: &Geometry) -> Vec<T> {
    let (input, output, taps) = (g.h * g.w, g.oh * g.ow, g.k * g.k);
    let mut dw = vec![T::zero(); g.c * taps];
    g.for_each_row(|plane, channel, from, to, tap| {
        let row = &dy[plane * output + to..][..g.ow];
        let source = &x[plane * input + from..(plane + 1) * input];
        dw[channel * taps + tap] += strided_dot(row, source, g.stride);
    });
    dw
}

/// `(x [n, c, h, w], filters [c, 1, k, k] (, bias [c]))` → `[n, c, oh, ow]`, windows
/// `stride` apart.
struct DepthwiseConv {
    stride: usize,
}

/// The forward kernel of [`DepthwiseConv`], for its arguments' geometry.
struct Forward(Geometry);

/// `(output gradient, filters)` → input gradient.
struct InputGrad {
    geometry: Geometry,
}

/// `(input, output gradient)` → filter gradient.
struct WeightGrad {
    geometry: Geometry,
}

impl Kernel for Forward {
    fn apply<T: WithDType>(&self, args: &[&[T]]) -> Result<Vec<T>> {
        Ok(forward(args[0], args[1], args.get(2).copied(), &self.0))
    }
}

impl Kernel for InputGrad {
    fn apply<T: WithDType>(&self, args: &[&[T]]) -> Result<Vec<T>> {
        Ok(input_grad(args[0], args[1], &self.geometry))
    }
}

impl Kernel for WeightGrad {
    fn apply<T: WithDType>(&self, args: &[&[T]]) -> Result<Vec<T>> {
        Ok(weight_grad(args[0], args[1], &self.geometry))
    }
}

impl Convolution for DepthwiseConv {
    const NAME: &'static str = "depthwise-conv";

    fn forward(&self, args: &[(&CpuStorage, &Layout)]) -> Result<(CpuStorage, Shape)> {
        let g = Geometry::new(args[0].1.dims(), args[1].1.dims(), self.stride)?;
        Ok((run(Self::NAME, args, &Forward(g))?, g.output_shape()))
    }

    fn gradients(
        &self,
        x: &Tensor,
        weight: &Tensor,
        grad: &Tensor,
        with_bias: bool,
    ) -> Result<(Option<Tensor>, Tensor, Option<Tensor>)> {
        let geometry = Geometry::new(x.dims(), weight.dims(), self.stride)?;
        let grad = grad.contiguous()?;
        let dx = grad.apply_op2_no_bwd(weight, &InputGrad { geometry })?;
        let dw = x.apply_op2_no_bwd(&grad, &WeightGrad { geometry })?;
        let db = match with_bias {
            true => Some(channel_sums(&grad)?),
            false => None,
        };
        Ok((Some(dx), dw, db))
    }
}

impl CustomOp2 for InputGrad {
    fn name(&self) -> &'static str {
        "depthwise-conv-input-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let g = &self.geometry;
        if l1.shape() != &g.output_shape() || l2.shape() != &g.weight_shape() {
            bail!("depthwise conv input grad: shapes {l1:?} {l2:?} do not match {g:?}");
        }
        Ok((
            run(self.name(), &[(s1, l1), (s2, l2)], self)?,
            g.input_shape(),
        ))
    }
}

impl CustomOp2 for WeightGrad {
    fn name(&self) -> &'static str {
        "depthwise-conv-weight-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let g = &self.geometry;
        if l1.shape() != &g.input_shape() || l2.shape() != &g.output_shape() {
            bail!("depthwise conv weight grad: shapes {l1:?} {l2:?} do not match {g:?}");
        }
        Ok((
            run(self.name(), &[(s1, l1), (s2, l2)], self)?,
            g.weight_shape(),
        ))
    }
}

/// The depthwise convolution of an already padded `[n, c, h, w]` input by `weight`
/// (`[c, 1, k, k]`), windows `stride` apart, plus `bias` (`[c]`) if given: `[n, c, oh, ow]`,
/// differentiable in each.
pub(crate) fn depthwise_conv2d(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
) -> Result<Tensor> {
    convolve(x, weight, bias, DepthwiseConv { stride })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device, Var};

    /// Training runs in f32 (the gradient test beside `conv::conv2d` runs in f64): both
    /// precisions agree, forward and backward.
    #[test]
    fn single_and_double_precision_agree() {
        let values = |n: usize, seed: usize| -> Vec<f64> {
            (0..n)
                .map(|i| (((i + seed) * 7919) % 23) as f64 / 11.0 - 1.0)
                .collect()
        };
        for (c, k, stride, side) in [(3, 3, 1, 9), (4, 5, 2, 12)] {
            let mut results: Vec<Vec<Vec<f64>>> = Vec::new();
            for dtype in [DType::F32, DType::F64] {
                let tensor = |dims: &[usize], seed| {
                    let n = dims.iter().product();
                    Tensor::from_vec(values(n, seed), dims, &Device::Cpu)
                        .and_then(|t| t.to_dtype(dtype))
                        .unwrap()
                };
                let x = Var::from_tensor(&tensor(&[2, c, side, side], 1)).unwrap();
                let w = Var::from_tensor(&tensor(&[c, 1, k, k], 2)).unwrap();
                let y = depthwise_conv2d(&x, &w, None, stride).unwrap();
                let grads = (&y * tensor(y.dims(), 3))
                    .and_then(|t| t.sum_all())
                    .and_then(|t| t.backward())
                    .unwrap();
                let flat = |t: &Tensor| -> Vec<f64> {
                    t.to_dtype(DType::F64)
                        .and_then(|t| t.flatten_all())
                        .and_then(|t| t.to_vec1())
                        .unwrap()
                };
                results.push(vec![
                    flat(&y),
                    flat(grads.get(&x).unwrap()),
                    flat(grads.get(&w).unwrap()),
                ]);
            }
            for (single, double) in results[0].iter().zip(&results[1]) {
                assert_eq!(single.len(), double.len());
                for (a, b) in single.iter().zip(double) {
                    assert!((a - b).abs() < 1e-4, "{a} vs {b}");
                }
            }
        }
    }
}
