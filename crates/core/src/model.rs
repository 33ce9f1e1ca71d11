//! A trained network's float weights as plain data: what the page's workers send back, what a
//! search keeps for children to inherit from, and what a model file holds, without candle.

use crate::cost::cost;
use crate::quant::{FloatLayer, FloatTensor};
use crate::{Architecture, Error, Result};
use serde::{Deserialize, Serialize};

/// An architecture and its trained float parameters, layer by layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FloatModel {
    /// What the weights belong to (with densities after pruning, if pruned).
    pub architecture: Architecture,
    /// One entry per layer of `architecture`, in candle's layouts (see [`FloatTensor`]).
    pub layers: Vec<FloatLayer>,
}

impl FloatModel {
    /// Checks that every layer holds as many parameters as its description implies, so a model
    /// read from a file or a message can be trusted; says which layer is wrong otherwise.
    pub fn check(&self) -> Result<()> {
        let report = cost(&self.architecture)?;
        if report.layers.len() != self.layers.len() {
            return Err(Error::Architecture(format!(
                "the model has weights for {} layers but its architecture has {}",
                self.layers.len(),
                report.layers.len()
            )));
        }
        let size = |t: &FloatTensor| (t.weight.len() + t.bias.len()) as u64;
        for (i, (layer, weights)) in report.layers.iter().zip(&self.layers).enumerate() {
            let (found, shape_fits) = match weights {
                FloatLayer::Weighted(t) => (size(t), layer.kind == "conv" || layer.kind == "dense"),
                FloatLayer::Separable {
                    depthwise,
                    pointwise,
                } => (size(depthwise) + size(pointwise), layer.kind == "dwconv"),
                FloatLayer::Pool => (0, layer.kind.ends_with("pool")),
            };
            if !shape_fits || found != layer.parameters {
                return Err(Error::Architecture(format!(
                    "layer {}, {}, needs {} parameters but the model holds {found}{}",
                    i + 1,
                    layer.description,
                    layer.parameters,
                    if shape_fits { "" } else { " of another kind" }
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(arch: &str, layers: Vec<FloatLayer>) -> FloatModel {
        FloatModel {
            architecture: serde_json::from_str(arch).unwrap(),
            layers,
        }
    }

    fn tensor(weights: usize, biases: usize) -> FloatTensor {
        FloatTensor {
            weight: vec![0.5; weights],
            bias: vec![0.0; biases],
        }
    }

    const ARCH: &str = r#"{"input":[1,4,4],"classes":2,"layers":[
        {"conv":{"filters":2,"kernel":3}},{"maxpool":{"size":2,"stride":2}},
        {"dwconv":{"filters":3,"kernel":1}},{"dense":{"units":2}}]}"#;

    #[test]
    fn a_complete_model_passes() {
        let layers = vec![
            FloatLayer::Weighted(tensor(2 * 9, 2)),
            FloatLayer::Pool,
            FloatLayer::Separable {
                depthwise: tensor(2, 2),
                pointwise: tensor(6, 3),
            },
            FloatLayer::Weighted(tensor(3 * 2, 2)),
        ];
        model(ARCH, layers).check().unwrap();
    }

    #[test]
    fn a_short_or_misshapen_model_names_the_layer() {
        let short = model(ARCH, vec![FloatLayer::Pool]);
        assert!(
            short
                .check()
                .unwrap_err()
                .to_string()
                .contains("weights for 1 layers")
        );
        let layers = vec![
            FloatLayer::Weighted(tensor(2 * 9, 2)),
            FloatLayer::Pool,
            FloatLayer::Separable {
                depthwise: tensor(2, 2),
                pointwise: tensor(6, 3),
            },
            FloatLayer::Weighted(tensor(5, 2)),
        ];
        let err = model(ARCH, layers).check().unwrap_err().to_string();
        assert_eq!(
            err,
            "invalid architecture: layer 4, dense 2, needs 8 parameters but the model holds 7"
        );
        let swapped = vec![
            FloatLayer::Pool,
            FloatLayer::Pool,
            FloatLayer::Separable {
                depthwise: tensor(2, 2),
                pointwise: tensor(6, 3),
            },
            FloatLayer::Weighted(tensor(6, 2)),
        ];
        let err = model(ARCH, swapped).check().unwrap_err().to_string();
        assert!(
            err.contains("layer 1") && err.ends_with("of another kind"),
            "{err}"
        );
    }
}
