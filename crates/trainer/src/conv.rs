//! Convolution as one custom op: each image's windows laid out as columns (`im2col.rs`) and
//! multiplied by the filter matrix through gemm, the bias added in the same product.
//!
//! It was three graph nodes (im2col, a batched matmul of the filter matrix broadcast over the
//! batch, with a row of ones carrying the bias, and a reshape). In candle's backward pass that
//! cost a sum of an `[n, co, c·k·k]` gradient over the batch (a slow strided reduction) and the
//! window matrix's gradient, c·k² times the input, added into zeros before col2im read it. Here
//! the filter gradient accumulates across the batch inside gemm, the window gradient exists for
//! one image at a time, and an input that needs no gradient (the images) gets none.

use crate::contiguous::{Kernel, run};
use crate::conv_op::{Convolution, convolve};
use crate::depthwise::depthwise_conv2d;
use crate::im2col::{Geometry, add_columns_to_image, image_to_columns};
use crate::matmul::{Matrix, matmul_into};
use candle_core::{
    CpuStorage, CustomOp1, CustomOp2, Device, Layout, Result, Shape, Tensor, WithDType, bail,
};
use std::sync::OnceLock;

/// `(x [n, c, h, w], filters [co, c, k, k] (, bias [co]))` → `[n, co, oh, ow]`, windows
/// `stride` apart. Keeps the window matrices of the forward pass for the filter gradient.
struct Conv {
    stride: usize,
    geometry: OnceLock<Geometry>,
    columns: OnceLock<Tensor>,
}

/// `(output gradient, filters)` → input gradient.
struct InputGrad(Geometry);

/// `(output gradient, window matrices [n, c·k·k, oh·ow])` → filter gradient. A pointwise
/// convolution's window matrices are its input.
struct WeightGrad(Geometry);

/// `[n, c, h, w]` → `[c]`: each channel's sum over the batch and positions, the gradient of
/// a per-channel bias (candle's, from a broadcast, is a slow strided reduction).
struct ChannelSums {
    channels: usize,
    plane: usize,
}

impl Kernel for Conv {
    fn apply<T: WithDType>(&self, args: &[&[T]]) -> Result<Vec<T>> {
        let (x, weight, bias) = (args[0], args[1], args.get(2).copied());
        let Some(g) = self.geometry.get() else {
            bail!("conv's kernel ran before its geometry was known")
        };
        let (rows, positions, out_image) = (g.rows(), g.positions(), g.co * g.positions());
        let filters = Matrix::row_major(weight, g.co, rows);
        let mut y = vec![T::zero(); g.n * out_image];
        let mut columns = vec![T::zero(); g.n * g.columns_built()];
        for b in 0..g.n {
            let image = &x[b * g.image()..][..g.image()];
            let cols = if g.is_pointwise() {
                image
            } else {
                let cols = &mut columns[b * rows * positions..][..rows * positions];
                image_to_columns(image, g, cols);
                &*cols
            };
            let out = &mut y[b * out_image..][..out_image];
            if let Some(bias) = bias {
                for (row, &v) in out.chunks_exact_mut(positions).zip(bias) {
                    row.fill(v);
                }
            }
            let cols = Matrix::row_major(cols, rows, positions);
            matmul_into(out, filters, cols, bias.is_some());
        }
        if !g.is_pointwise() {
            let cols = Tensor::from_vec(columns, (g.n, rows, positions), &Device::Cpu)?;
            // One op instance runs forward once; a second run (none in candle) keeps the first's.
            let _ = self.columns.set(cols);
        }
        Ok(y)
    }
}

impl Kernel for InputGrad {
    fn apply<T: WithDType>(&self, args: &[&[T]]) -> Result<Vec<T>> {
        let (dy, weight, g) = (args[0], args[1], &self.0);
        let (rows, positions, out_image) = (g.rows(), g.positions(), g.co * g.positions());
        let filters = Matrix::row_major(weight, g.co, rows).transposed();
        let mut dx = vec![T::zero(); g.n * g.image()];
        let mut cols = vec![T::zero(); g.columns_built()];
        for b in 0..g.n {
            let grad = Matrix::row_major(&dy[b * out_image..][..out_image], g.co, positions);
            let image = &mut dx[b * g.image()..][..g.image()];
            if g.is_pointwise() {
                matmul_into(image, filters, grad, false);
            } else {
                matmul_into(&mut cols, filters, grad, false);
                add_columns_to_image(&cols, g, image);
            }
        }
        Ok(dx)
    }
}

impl Kernel for WeightGrad {
    fn apply<T: WithDType>(&self, args: &[&[T]]) -> Result<Vec<T>> {
        let (dy, columns, g) = (args[0], args[1], &self.0);
        let (rows, positions, out_image) = (g.rows(), g.positions(), g.co * g.positions());
        let mut dw = vec![T::zero(); g.co * rows];
        for b in 0..g.n {
            let grad = Matrix::row_major(&dy[b * out_image..][..out_image], g.co, positions);
            let cols = &columns[b * rows * positions..][..rows * positions];
            let cols = Matrix::row_major(cols, rows, positions).transposed();
            matmul_into(&mut dw, grad, cols, b > 0);
        }
        Ok(dw)
    }
}

impl Kernel for ChannelSums {
    fn apply<T: WithDType>(&self, args: &[&[T]]) -> Result<Vec<T>> {
        let mut db = vec![T::zero(); self.channels];
        for image in args[0].chunks_exact(self.channels * self.plane) {
            for (sum, row) in db.iter_mut().zip(image.chunks_exact(self.plane)) {
                *sum += row.iter().fold(T::zero(), |acc, &v| acc + v);
            }
        }
        Ok(db)
    }
}

impl Convolution for Conv {
    const NAME: &'static str = "conv";

    fn forward(&self, args: &[(&CpuStorage, &Layout)]) -> Result<(CpuStorage, Shape)> {
        let g = Geometry::new(args[0].1.dims(), args[1].1.dims(), self.stride)?;
        let _ = self.geometry.set(g);
        Ok((run(Self::NAME, args, self)?, g.output_shape()))
    }

    fn gradients(
        &self,
        x: &Tensor,
        weight: &Tensor,
        grad: &Tensor,
        with_bias: bool,
    ) -> Result<(Option<Tensor>, Tensor, Option<Tensor>)> {
        let Some(&g) = self.geometry.get() else {
            bail!("conv's gradient was asked before its forward pass ran")
        };
        let grad = grad.contiguous()?;
        let dx = match x.track_op() {
            true => Some(grad.apply_op2_no_bwd(weight, &InputGrad(g))?),
            false => None,
        };
        let columns = match self.columns.get() {
            Some(cols) => cols,
            None => x,
        };
        let dw = grad.apply_op2_no_bwd(columns, &WeightGrad(g))?;
        let db = match with_bias {
            true => Some(channel_sums(&grad)?),
            false => None,
        };
        Ok((dx, dw, db))
    }
}

/// Checks a gradient op's arguments, `(output gradient, other)`, against its geometry: the
/// gradient's shape and the other's element count.
fn check(op: &str, args: &[(&CpuStorage, &Layout); 2], other: usize, g: &Geometry) -> Result<()> {
    let (grad, second) = (args[0].1.shape(), args[1].1.shape());
    if grad != &g.output_shape() || second.elem_count() != other {
        bail!("{op}: arguments {grad:?} and {second:?} do not match {g:?}");
    }
    Ok(())
}

impl CustomOp2 for InputGrad {
    fn name(&self) -> &'static str {
        "conv-input-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (args, g) = ([(s1, l1), (s2, l2)], &self.0);
        check(self.name(), &args, g.weight_shape().elem_count(), g)?;
        Ok((run(self.name(), &args, self)?, g.input_shape()))
    }
}

impl CustomOp2 for WeightGrad {
    fn name(&self) -> &'static str {
        "conv-weight-grad"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (args, g) = ([(s1, l1), (s2, l2)], &self.0);
        check(self.name(), &args, g.n * g.rows() * g.positions(), g)?;
        Ok((run(self.name(), &args, self)?, g.weight_shape()))
    }
}

impl CustomOp1 for ChannelSums {
    fn name(&self) -> &'static str {
        "channel-sums"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let sums = run(self.name(), &[(storage, layout)], self)?;
        Ok((sums, Shape::from(self.channels)))
    }
}

/// Each channel's sum of an `[n, c, h, w]` tensor, over the batch and positions: `[c]`.
pub(crate) fn channel_sums(x: &Tensor) -> Result<Tensor> {
    let (_, channels, h, w) = x.dims4()?;
    let op = ChannelSums {
        channels,
        plane: h * w,
    };
    x.contiguous()?.apply_op1_no_bwd(&op)
}

/// A convolution of an already padded `[n, c, h, w]` input by `weight` (`[co, c/groups, k, k]`)
/// with `groups` 1 (standard, the fused op above) or `c` (depthwise, see `depthwise.rs`), plus
/// `bias` (`[co]`) if given. The result is `[n, co, oh, ow]`.
pub(crate) fn conv2d(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    groups: usize,
) -> Result<Tensor> {
    let (_, c, _, _) = x.dims4()?;
    let co = weight.dims4()?.0;
    if groups == c && co == c && groups > 1 {
        // Depthwise: each channel by its own filter, computed directly.
        return depthwise_conv2d(x, weight, bias, stride);
    }
    if groups != 1 {
        bail!("conv2d: groups must be 1 or one per channel, not {groups}")
    }
    let op = Conv {
        stride,
        geometry: OnceLock::new(),
        columns: OnceLock::new(),
    };
    convolve(x, weight, bias, op)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    fn tensor(dims: &[usize], seed: usize) -> Tensor {
        let n: usize = dims.iter().product();
        let v: Vec<f64> = (0..n)
            .map(|i| (((i + seed) * 7919) % 23) as f64 / 11.0 - 1.0)
            .collect();
        Tensor::from_vec(v, dims, &Device::Cpu).unwrap()
    }

    #[test]
    fn matches_candle_conv2d_forward_and_gradients() {
        for (c, co, k, stride, groups, side) in [
            (3, 4, 3, 1, 1, 7),
            (2, 5, 2, 2, 1, 8),
            (4, 4, 3, 2, 4, 9),
            (3, 6, 1, 1, 1, 5),
            (3, 3, 5, 1, 3, 11),
            (2, 2, 3, 1, 2, 6),
            (5, 5, 3, 3, 5, 10),
        ] {
            let x = Var::from_tensor(&tensor(&[2, c, side, side], 1)).unwrap();
            let w = Var::from_tensor(&tensor(&[co, c / groups, k, k], 2)).unwrap();
            let b = Var::from_tensor(&tensor(&[co], 4)).unwrap();
            let ours = conv2d(&x, &w, Some(&b), stride, groups).unwrap();
            let theirs = x
                .conv2d(&w, 0, stride, 1, groups)
                .unwrap()
                .broadcast_add(&b.reshape((1, co, 1, 1)).unwrap())
                .unwrap();
            let r = tensor(ours.dims(), 3);
            let diff = (&ours - &theirs).unwrap().abs().unwrap().max_all().unwrap();
            assert!(diff.to_scalar::<f64>().unwrap() < 1e-9);
            let g1 = (ours * &r).unwrap().sum_all().unwrap().backward().unwrap();
            let g2 = (theirs * &r)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            for v in [&x, &w, &b] {
                let d = (g1.get(v).unwrap() - g2.get(v).unwrap())
                    .unwrap()
                    .abs()
                    .unwrap()
                    .max_all()
                    .unwrap()
                    .to_scalar::<f64>()
                    .unwrap();
                assert!(
                    d < 1e-9,
                    "c {c} co {co} k {k} stride {stride} groups {groups}: {d}"
                );
            }
        }
    }
}
