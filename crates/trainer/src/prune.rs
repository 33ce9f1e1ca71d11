//! Unstructured magnitude pruning on a cubic schedule (Zhu & Gupta, 2017): the smallest weights
//! of each pruned layer are zeroed after every step, the zeroed fraction rising from 0 to the
//! layer's target over the first three quarters of training, so the network has time to
//! recover; and the pruned architecture (densities) that the cost model prices.

use crate::{Network, Result};
use candle_core::{DType, Tensor, Var};
use sparse_core::Architecture;
use sparse_core::space::Pruning;

/// Fraction of training over which sparsity ramps up to its target.
const RAMP: f64 = 0.75;

/// The magnitude-pruned layers and their target sparsities.
#[derive(Debug, Clone)]
pub(crate) struct MagnitudePruner {
    targets: Vec<(usize, f64)>,
}

impl MagnitudePruner {
    /// The layers whose setting is [`Pruning::Magnitude`], or `None` if there are none.
    pub fn new(settings: &[Option<Pruning>]) -> Option<Self> {
        let targets: Vec<(usize, f64)> = settings
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s {
                Some(Pruning::Magnitude { sparsity }) => Some((i, sparsity.clamp(0.0, 0.999))),
                _ => None,
            })
            .collect();
        (!targets.is_empty()).then_some(Self { targets })
    }

    /// The sparsity imposed once `progress` (0 to 1) of training is done.
    fn sparsity_at(target: f64, progress: f64) -> f64 {
        let ramp = (progress / RAMP).clamp(0.0, 1.0);
        target * (1.0 - (1.0 - ramp).powi(3))
    }

    /// Zeroes the smallest weights of each pruned layer for this point of training.
    pub fn apply(&self, network: &Network, progress: f64) -> Result<()> {
        for &(layer, target) in &self.targets {
            let sparsity = Self::sparsity_at(target, progress);
            for weight in network.layer_weights(layer) {
                zero_smallest(weight, sparsity)?;
            }
        }
        Ok(())
    }
}

/// Sets the `sparsity` fraction of `var`'s entries with the smallest magnitude to zero.
fn zero_smallest(var: &Var, sparsity: f64) -> Result<()> {
    // At least one weight stays, so that a pruned layer still computes something.
    let count = ((var.elem_count() as f64 * sparsity).round() as usize).min(var.elem_count() - 1);
    if count == 0 {
        return Ok(());
    }
    let mut magnitudes: Vec<f64> = var
        .flatten_all()?
        .to_dtype(DType::F64)?
        .to_vec1::<f64>()?
        .into_iter()
        .map(f64::abs)
        .collect();
    let (_, threshold, _) = magnitudes.select_nth_unstable_by(count - 1, f64::total_cmp);
    let threshold = *threshold;
    // Keep strictly larger magnitudes; ties at the threshold go, so at least `count` are zero.
    let keep = var.abs()?.gt(threshold)?.to_dtype(var.dtype())?;
    var.set(&(var.as_tensor() * keep)?)?;
    Ok(())
}

/// The fraction of non-zero entries of some tensors together. A layer whose weights all
/// vanished (inherited from a pruned parent, then pruned again) is counted as keeping one: the
/// description's density must be positive, and one byte too many errs on the safe side.
fn density(weights: &[&Var]) -> Result<f64> {
    let mut total = 0usize;
    let mut nonzero = 0usize;
    for w in weights {
        total += w.elem_count();
        nonzero += nonzero_count(w.as_tensor())?;
    }
    Ok(if total == 0 {
        1.0
    } else {
        nonzero.max(1) as f64 / total as f64
    })
}

/// The network's architecture with each weighted layer's measured density (left unset where
/// no weight is zero), so that the cost model prices exactly what was trained.
pub fn pruned_architecture(network: &Network) -> Result<Architecture> {
    let mut arch = network.architecture().clone();
    for (i, layer) in arch.layers.iter_mut().enumerate() {
        let d = density(&network.layer_weights(i))?;
        layer.set_density((d < 1.0).then_some(d));
    }
    Ok(arch)
}

/// Non-zero entries of a tensor.
fn nonzero_count(t: &Tensor) -> Result<usize> {
    Ok(t.ne(0.0)?
        .to_dtype(DType::F64)?
        .sum_all()?
        .to_scalar::<f64>()? as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn zeroes_exactly_the_smallest_fraction() {
        let var = Var::from_vec(
            vec![0.5f32, -0.1, 0.3, -0.9, 0.05, 0.7, -0.2, 0.01],
            8,
            &Device::Cpu,
        )
        .unwrap();
        zero_smallest(&var, 0.5).unwrap();
        assert_eq!(
            var.to_vec1::<f32>().unwrap(),
            vec![0.5, 0.0, 0.3, -0.9, 0.0, 0.7, 0.0, 0.0]
        );
        assert_eq!(nonzero_count(var.as_tensor()).unwrap(), 4);
    }

    #[test]
    fn a_layer_with_no_weight_left_is_priced_as_keeping_one() {
        let var = Var::from_vec(vec![0f32; 8], 8, &Device::Cpu).unwrap();
        assert_eq!(density(&[&var]).unwrap(), 1.0 / 8.0);
    }

    #[test]
    fn schedule_ramps_cubically_then_holds() {
        assert_eq!(MagnitudePruner::sparsity_at(0.8, 0.0), 0.0);
        assert!((MagnitudePruner::sparsity_at(0.8, 0.375) - 0.7).abs() < 1e-12);
        assert_eq!(MagnitudePruner::sparsity_at(0.8, 0.75), 0.8);
        assert_eq!(MagnitudePruner::sparsity_at(0.8, 1.0), 0.8);
    }
}
