//! ReLU as a custom op whose gradient is one pass over the output. candle's own ReLU gradient
//! builds a tensor of zeros, compares the input with it, converts the mask to floats and
//! multiplies: four passes and three allocations after every hidden layer of every step.

use crate::contiguous::{Kernel, run};
use candle_core::{
    CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor, WithDType, bail,
};

/// `max(x, 0)`, elementwise.
struct Relu;

/// The gradient of [`Relu`] from its output: the incoming gradient where the output is
/// positive, zero elsewhere.
struct ReluGrad;

impl Kernel for Relu {
    fn apply<T: WithDType>(&self, args: &[&[T]]) -> Result<Vec<T>> {
        Ok(args[0]
            .iter()
            .map(|&v| if v > T::zero() { v } else { T::zero() })
            .collect())
    }
}

impl Kernel for ReluGrad {
    fn apply<T: WithDType>(&self, args: &[&[T]]) -> Result<Vec<T>> {
        let (y, g) = (args[0], args[1]);
        if y.len() != g.len() {
            bail!(
                "relu's gradient: {} values for {} outputs",
                g.len(),
                y.len()
            );
        }
        Ok(y.iter()
            .zip(g)
            .map(|(&y, &g)| if y > T::zero() { g } else { T::zero() })
            .collect())
    }
}

impl CustomOp1 for Relu {
    fn name(&self) -> &'static str {
        "relu"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let y = run(self.name(), &[(storage, layout)], self)?;
        Ok((y, layout.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(res.apply_op2_no_bwd(&grad.contiguous()?, &ReluGrad)?))
    }
}

impl CustomOp2 for ReluGrad {
    fn name(&self) -> &'static str {
        "relu-grad"
    }

    fn cpu_fwd(
        &self,
        res: &CpuStorage,
        res_layout: &Layout,
        grad: &CpuStorage,
        grad_layout: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let dx = run(self.name(), &[(res, res_layout), (grad, grad_layout)], self)?;
        Ok((dx, res_layout.shape().clone()))
    }
}

/// `max(x, 0)` with a one-pass gradient.
pub(crate) fn relu(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1(Relu)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    #[test]
    fn relu_and_its_gradient_match_candles() {
        let dev = Device::Cpu;
        let values: Vec<f64> = (0..60)
            .map(|i| ((i * 37) % 61) as f64 / 10.0 - 3.05)
            .collect();
        let x = Var::from_vec(values, (3, 4, 5), &dev).unwrap();
        let weights = Tensor::arange(0.0f64, 60.0, &dev)
            .unwrap()
            .reshape((3, 4, 5))
            .unwrap();
        let ours = relu(x.as_tensor()).unwrap();
        let theirs = x.as_tensor().relu().unwrap();
        assert_eq!(
            ours.flatten_all().unwrap().to_vec1::<f64>().unwrap(),
            theirs.flatten_all().unwrap().to_vec1::<f64>().unwrap()
        );
        let gradient = |y: Tensor| {
            let grads = (y * &weights)
                .unwrap()
                .sum_all()
                .unwrap()
                .backward()
                .unwrap();
            grads
                .get(&x)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1::<f64>()
                .unwrap()
        };
        // No input is exactly zero, where the two may differ.
        assert_eq!(gradient(ours), gradient(theirs));
    }
}
