//! Moves a network's weights in and out of core's plain [`FloatModel`], so trained networks
//! cross threads, Web Workers and files (and children inherit from parents trained elsewhere).

use crate::{Network, Result};
use candle_core::{Device, Tensor, Var};
use sparse_core::FloatModel;

impl Network {
    /// The architecture (with densities after pruning) and the float weights.
    pub fn to_float_model(&self) -> Result<FloatModel> {
        Ok(FloatModel {
            architecture: crate::prune::pruned_architecture(self)?,
            layers: self.float_layers()?,
        })
    }

    /// A network holding `model`'s weights (checked against its architecture first); it has
    /// no pruning state, as a trained network handed on to a child has none either (on the CPU,
    /// where everything trains).
    pub fn from_float_model(model: &FloatModel) -> Result<Self> {
        model.check()?;
        let network = Network::new(&model.architecture, 0, &Device::Cpu)?;
        for (i, layer) in model.layers.iter().enumerate() {
            let values = layer
                .tensors()
                .into_iter()
                .flat_map(|t| [&t.weight, &t.bias]);
            for (var, values) in network.layer_params(i).iter().zip(values) {
                set(var, values)?;
            }
        }
        Ok(network)
    }
}

/// Overwrites `var` with `values`, keeping its shape and type.
fn set(var: &Var, values: &[f32]) -> Result<()> {
    let tensor = Tensor::from_slice(values, var.shape(), var.device())?.to_dtype(var.dtype())?;
    var.set(&tensor)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sparse_core::Architecture;

    #[test]
    fn a_network_survives_the_round_trip_exactly() {
        let arch: Architecture = serde_json::from_str(
            r#"{"input":[1,8,8],"classes":3,"layers":[
                {"conv":{"filters":3,"kernel":3,"padding":"same"}},{"maxpool":{"size":2,"stride":2}},
                {"dwconv":{"filters":4,"kernel":3}},{"dense":{"units":3}}]}"#,
        )
        .unwrap();
        let original = Network::new(&arch, 7, &Device::Cpu).unwrap();
        let model = original.to_float_model().unwrap();
        let text = serde_json::to_string(&model).unwrap();
        let back: FloatModel = serde_json::from_str(&text).unwrap();
        let copy = Network::from_float_model(&back).unwrap();
        assert_eq!(
            copy.float_layers().unwrap(),
            original.float_layers().unwrap()
        );
        let x = Tensor::rand(0f32, 1f32, (2, 1, 8, 8), &Device::Cpu).unwrap();
        let (a, b) = (original.forward(&x).unwrap(), copy.forward(&x).unwrap());
        let diff = (a - b).unwrap().abs().unwrap().max_all().unwrap();
        assert_eq!(diff.to_scalar::<f32>().unwrap(), 0.0);
    }

    #[test]
    fn a_model_that_does_not_match_its_architecture_is_refused() {
        let arch = Architecture::skeleton();
        let mut model = Network::new(&arch, 1, &Device::Cpu)
            .unwrap()
            .to_float_model()
            .unwrap();
        model.layers.pop();
        let err = Network::from_float_model(&model).unwrap_err();
        assert!(err.to_string().contains("weights for"), "{err}");
    }
}
