//! What makes a convolution's kernels one candle custom op, with a bias (three arguments) or
//! without (two): the standard convolution (`conv.rs`) and the depthwise one (`depthwise.rs`)
//! each say only how to compute forward and backward.

use candle_core::{CpuStorage, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor, bail};

/// A convolution's kernels.
pub(crate) trait Convolution: Send + Sync + 'static {
    /// Its name in candle's errors.
    const NAME: &'static str;

    /// The output and its shape, from the input, the filters and, when given, a bias whose
    /// length [`convolve`] has checked against the filters.
    fn forward(&self, args: &[(&CpuStorage, &Layout)]) -> Result<(CpuStorage, Shape)>;

    /// The gradients of the input (none where it needs none), the filters and, when
    /// `with_bias`, the bias.
    fn gradients(
        &self,
        x: &Tensor,
        weight: &Tensor,
        grad: &Tensor,
        with_bias: bool,
    ) -> Result<(Option<Tensor>, Tensor, Option<Tensor>)>;
}

/// A [`Convolution`] as candle's custom op.
struct Op<C>(C);

impl<C: Convolution> CustomOp2 for Op<C> {
    fn name(&self) -> &'static str {
        C::NAME
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        self.0.forward(&[(s1, l1), (s2, l2)])
    }

    fn bwd(
        &self,
        x: &Tensor,
        weight: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let (dx, dw, _) = self.0.gradients(x, weight, grad, false)?;
        Ok((dx, Some(dw)))
    }
}

impl<C: Convolution> CustomOp3 for Op<C> {
    fn name(&self) -> &'static str {
        C::NAME
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        self.0.forward(&[(s1, l1), (s2, l2), (s3, l3)])
    }

    fn bwd(
        &self,
        x: &Tensor,
        weight: &Tensor,
        _bias: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (dx, dw, db) = self.0.gradients(x, weight, grad, true)?;
        Ok((dx, Some(dw), db))
    }
}

/// `op` applied to `x` and `weight`, plus `bias` (one per filter) if given, all made
/// contiguous: differentiable in each.
pub(crate) fn convolve<C: Convolution>(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    op: C,
) -> Result<Tensor> {
    let (x, weight) = (x.contiguous()?, weight.contiguous()?);
    match bias {
        Some(b) => {
            let filters = weight.dims().first().copied().unwrap_or(0);
            if b.dims() != [filters] {
                bail!("{}: a bias {:?} for {filters} filters", C::NAME, b.dims());
            }
            x.apply_op3(&weight, &b.contiguous()?, Op(op))
        }
        None => x.apply_op2(&weight, Op(op)),
    }
}
