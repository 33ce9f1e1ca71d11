//! Convolution as matrix multiplication: `im2col` lays every k×k window of the input out as a
//! column, so that a convolution is one (batched) matmul, which candle runs through its fast
//! `gemm` kernels, and its gradients are matmuls too. candle's own conv2d computes the input
//! gradient with a plain nested loop (even for the first layer, whose input needs none) and
//! splits grouped convolutions into one convolution per group; this replaces both.
//!
//! `Im2col` and `Col2im` are custom ops that only move data; each is the other's gradient.
//! Im2col can append a row of ones so that the bias joins the weight matrix: its gradient then
//! comes out of the same matmul, where summing a broadcast bias's gradient over batch and
//! positions was the slowest part of a training step.

use crate::contiguous::contiguous;
use crate::depthwise::depthwise_conv2d;
use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor, WithDType, bail};

/// Geometry of a convolution over an already padded input.
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
    /// Rows of ones after each image's window rows (0 or 1).
    ones: usize,
}

impl Geometry {
    fn new(dims: &[usize], k: usize, stride: usize, ones: usize) -> Result<Self> {
        let &[n, c, h, w] = dims else {
            bail!("im2col expects [n, c, h, w], got {dims:?}")
        };
        if h < k || w < k {
            bail!("im2col: a {k}×{k} window does not fit {h}×{w}");
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
            ones,
        })
    }

    /// Rows of one image's columns.
    fn rows(&self) -> usize {
        self.c * self.k * self.k + self.ones
    }

    /// `[n, c·k·k (+1), oh·ow]`.
    fn columns_shape(&self) -> Shape {
        Shape::from((self.n, self.rows(), self.oh * self.ow))
    }

    /// Calls `f(input index, column index)` for every element of the window rows.
    fn for_each(&self, mut f: impl FnMut(usize, usize)) {
        let (k, s) = (self.k, self.stride);
        let positions = self.oh * self.ow;
        let mut col = 0;
        for b in 0..self.n {
            col = b * self.rows() * positions;
            for ci in 0..self.c {
                let plane = (b * self.c + ci) * self.h * self.w;
                for ky in 0..k {
                    for kx in 0..k {
                        for oy in 0..self.oh {
                            let row = plane + (oy * s + ky) * self.w + kx;
                            for ox in 0..self.ow {
                                f(row + ox * s, col);
                                col += 1;
                            }
                        }
                    }
                }
            }
        }
        debug_assert_eq!(
            col + self.ones * positions,
            self.n * self.rows() * positions
        );
    }
}

/// `[n, c, h, w]` → `[n, c·k·k (+1), oh·ow]`: every k×k window, `stride` apart, as a column,
/// with a row of ones after each image's rows when `ones` is 1.
struct Im2col {
    k: usize,
    stride: usize,
    ones: usize,
}

/// The gradient of [`Im2col`]: columns summed back into `[n, c, h, w]`.
struct Col2im {
    geometry: Geometry,
}

fn gather<T: WithDType>(x: &[T], g: &Geometry) -> Vec<T> {
    let positions = g.oh * g.ow;
    let mut out = vec![T::zero(); g.n * g.rows() * positions];
    g.for_each(|src, dst| out[dst] = x[src]);
    if g.ones == 1 {
        for b in 0..g.n {
            let start = (b * g.rows() + g.rows() - 1) * positions;
            out[start..start + positions].fill(T::one());
        }
    }
    out
}

fn scatter<T: WithDType>(cols: &[T], g: &Geometry) -> Vec<T> {
    let mut out = vec![T::zero(); g.n * g.c * g.h * g.w];
    g.for_each(|dst, src| out[dst] += cols[src]);
    out
}

impl CustomOp1 for Im2col {
    fn name(&self) -> &'static str {
        "im2col"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let g = Geometry::new(layout.dims(), self.k, self.stride, self.ones)?;
        let out = match storage {
            CpuStorage::F32(x) => CpuStorage::F32(gather(contiguous(x, layout, "im2col")?, &g)),
            CpuStorage::F64(x) => CpuStorage::F64(gather(contiguous(x, layout, "im2col")?, &g)),
            _ => bail!("im2col supports f32 and f64 only"),
        };
        Ok((out, g.columns_shape()))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let geometry = Geometry::new(arg.dims(), self.k, self.stride, self.ones)?;
        Ok(Some(grad.contiguous()?.apply_op1(Col2im { geometry })?))
    }
}

impl CustomOp1 for Col2im {
    fn name(&self) -> &'static str {
        "col2im"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let g = &self.geometry;
        if layout.shape() != &g.columns_shape() {
            bail!(
                "col2im: expected {:?}, got {:?}",
                g.columns_shape(),
                layout.shape()
            );
        }
        let out = match storage {
            CpuStorage::F32(x) => CpuStorage::F32(scatter(contiguous(x, layout, "im2col")?, g)),
            CpuStorage::F64(x) => CpuStorage::F64(scatter(contiguous(x, layout, "im2col")?, g)),
            _ => bail!("col2im supports f32 and f64 only"),
        };
        Ok((out, Shape::from((g.n, g.c, g.h, g.w))))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let g = &self.geometry;
        Ok(Some(grad.contiguous()?.apply_op1(Im2col {
            k: g.k,
            stride: g.stride,
            ones: g.ones,
        })?))
    }
}

/// A convolution of an already padded `[n, c, h, w]` input by `weight` (`[co, c/groups, k, k]`)
/// with `groups` 1 (standard, as matmuls over im2col columns) or `c` (depthwise, see
/// `depthwise.rs`), plus `bias` (`[co]`) if given. The result is `[n, co, oh, ow]`.
pub(crate) fn conv2d(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    groups: usize,
) -> Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    let (co, _, k, _) = weight.dims4()?;
    if groups == c && co == c && groups > 1 {
        // Depthwise: each channel by its own filter, computed directly.
        let y = depthwise_conv2d(x, weight, stride)?;
        return match bias {
            Some(b) => y.broadcast_add(&b.reshape((1, c, 1, 1))?),
            None => Ok(y),
        };
    }
    let ones = usize::from(groups == 1 && bias.is_some());
    let g = Geometry::new(&[n, c, h, w], k, stride, ones)?;
    let cols = if k == 1 && stride == 1 && ones == 0 {
        x.reshape((n, c, h * w))?
    } else {
        x.contiguous()?.apply_op1(Im2col { k, stride, ones })?
    };
    let y = if groups == 1 {
        let matrix = weight.reshape((co, c * k * k))?;
        let matrix = match bias {
            Some(b) => Tensor::cat(&[&matrix, &b.reshape((co, 1))?], 1)?,
            None => matrix,
        };
        matrix.broadcast_matmul(&cols)?
    } else {
        bail!("conv2d: groups must be 1 or one per channel, not {groups}")
    };
    y.reshape((n, co, g.oh, g.ow))
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
