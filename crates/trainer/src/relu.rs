//! ReLU as a custom op whose gradient is one pass over the output. candle's own ReLU gradient
//! builds a tensor of zeros, compares the input with it, converts the mask to floats and
//! multiplies: four passes and three allocations after every hidden layer of every step.

use crate::contiguous::contiguous;
use candle_core::{
    CpuStorage, CustomOp1, CustomOp2, Layout, Result, Shape, Tensor, WithDType, bail,
};

/// `max(x, 0)`, elementwise.
struct Relu;

/// The gradient of [`Relu`] from its output: the incoming gradient where the output is
/// positive, zero elsewhere.
struct ReluGrad;

impl CustomOp1 for Relu {
    fn name(&self) -> &'static str {
        "relu"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        fn run<T: WithDType>(x: &[T]) -> Vec<T> {
            x.iter()
                .map(|&v| if v > T::zero() { v } else { T::zero() })
                .collect()
        }
        let out = match storage {
            CpuStorage::F32(x) => CpuStorage::F32(run(contiguous(x, layout, "relu")?)),
            CpuStorage::F64(x) => CpuStorage::F64(run(contiguous(x, layout, "relu")?)),
            _ => bail!("relu supports f32 and f64 only"),
        };
        Ok((out, layout.shape().clone()))
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
        fn run<T: WithDType>(y: &[T], g: &[T]) -> Result<Vec<T>> {
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
        let out = match (res, grad) {
            (CpuStorage::F32(y), CpuStorage::F32(g)) => CpuStorage::F32(run(
                contiguous(y, res_layout, "relu")?,
                contiguous(g, grad_layout, "relu")?,
            )?),
            (CpuStorage::F64(y), CpuStorage::F64(g)) => CpuStorage::F64(run(
                contiguous(y, res_layout, "relu")?,
                contiguous(g, grad_layout, "relu")?,
            )?),
            _ => bail!("relu supports f32 and f64 only"),
        };
        Ok((out, res_layout.shape().clone()))
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
