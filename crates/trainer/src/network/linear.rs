//! A layer's linear map (a convolution, padded first where "same" padding needs it, or a
//! dense product) and its pre-activations sampled through the local reparameterisation trick
//! for variational layers, with the seeded normal noise that sampling draws.

use crate::Result;
use crate::conv::conv2d;
use candle_core::{DType, Device, Tensor, Var};
use rand::{Rng, rngs::StdRng};
use sparse_core::architecture::Conv;

/// A layer's linear map of its (already padded) input by a weight tensor.
pub(crate) enum LinearOp {
    /// `conv2d(input, w)` with this stride and group count.
    Conv {
        input: Tensor,
        stride: usize,
        groups: usize,
    },
    /// `input · wᵀ`.
    Dense(Tensor),
}

impl LinearOp {
    /// The (padded) input the map reads.
    pub(crate) fn input(&self) -> &Tensor {
        match self {
            LinearOp::Conv { input, .. } | LinearOp::Dense(input) => input,
        }
    }

    /// The map applied to `input` (or, for the variance, to another tensor of its shape),
    /// plus `bias` where given.
    pub(crate) fn apply(
        &self,
        input: &Tensor,
        weight: &Tensor,
        bias: Option<&Tensor>,
    ) -> Result<Tensor> {
        Ok(match self {
            LinearOp::Conv { stride, groups, .. } => conv2d(input, weight, bias, *stride, *groups)?,
            LinearOp::Dense(_) => {
                let y = input.matmul(&weight.t()?)?;
                match bias {
                    Some(b) => y.broadcast_add(b)?,
                    None => y,
                }
            }
        })
    }
}

/// The pointwise (1×1) half of the dwconv `conv`.
pub(crate) fn pointwise(conv: &Conv) -> Conv {
    Conv {
        filters: conv.filters,
        kernel: 1,
        stride: 1,
        padding: Default::default(),
        density: None,
    }
}

/// The convolution of `x` for `conv`, padding first when "same" padding needs it.
pub(crate) fn conv_op(x: &Tensor, conv: &Conv, groups: usize) -> Result<LinearOp> {
    let (_, _, h, w) = x.dims4()?;
    let pads = |side| conv.output_side(side).map_or((0, 0), |(_, pad)| pad);
    let ((top, bottom), (left, right)) = (pads(h), pads(w));
    let input = if (top, bottom, left, right) == (0, 0, 0, 0) {
        x.clone()
    } else {
        x.pad_with_zeros(2, top, bottom)?
            .pad_with_zeros(3, left, right)?
    };
    Ok(LinearOp::Conv {
        input,
        stride: conv.stride,
        groups,
    })
}

/// The linear map with weight θ and `bias`; for a variational weight with noise, a sample of
/// `op(x, θ) + b + sqrt(op(x², σ²)) · ε` (the local reparameterisation trick).
pub(super) fn sampled(
    op: &LinearOp,
    weight: &Var,
    bias: &Var,
    log_sigma2: Option<&Var>,
    noise: &mut Option<&mut StdRng>,
) -> Result<Tensor> {
    let mean = op.apply(op.input(), weight, Some(bias))?;
    let (Some(log_sigma2), Some(rng)) = (log_sigma2, noise) else {
        return Ok(mean);
    };
    let variance = op.apply(&op.input().sqr()?, &log_sigma2.exp()?, None)?;
    let std = (variance + 1e-8)?.sqrt()?;
    let eps = standard_normal(std.dims(), std.dtype(), rng)?;
    Ok((mean + (std * eps)?)?)
}

/// Standard normal samples by the Box–Muller transform, from a seeded generator.
pub(crate) fn standard_normal(dims: &[usize], dtype: DType, rng: &mut StdRng) -> Result<Tensor> {
    let n: usize = dims.iter().product();
    let mut values = Vec::with_capacity(n + 1);
    while values.len() < n {
        let u1: f32 = rng.random_range(f32::EPSILON..1.0);
        let u2: f32 = rng.random_range(0.0..1.0);
        let r = (-2.0 * u1.ln()).sqrt();
        let angle = 2.0 * std::f32::consts::PI * u2;
        values.extend([r * angle.cos(), r * angle.sin()]);
    }
    values.truncate(n);
    Ok(Tensor::from_vec(values, dims, &Device::Cpu)?.to_dtype(dtype)?)
}
