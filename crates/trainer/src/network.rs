//! A candle network built from an [`Architecture`]: one weight and one bias variable per conv
//! and dense layer, initialised from a seed, and the forward pass the description implies.

use crate::{Result, pool::max_pool};
use candle_core::{DType, Device, Tensor, Var};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sparse_core::Architecture;
use sparse_core::architecture::{Conv, Layer, Shape};

/// Trainable parameters of one layer; pools have none.
#[derive(Debug)]
struct Params {
    weight: Var,
    bias: Var,
}

/// A trainable CNN: the description it was built from and its candle variables.
#[derive(Debug)]
pub struct Network {
    architecture: Architecture,
    params: Vec<Option<Params>>,
}

impl Network {
    /// Builds the network with PyTorch's default initialisation (weights and biases uniform in
    /// ±1/√fan-in), drawn from `seed` so that a seed always gives the same network.
    pub fn new(architecture: &Architecture, seed: u64, device: &Device) -> Result<Self> {
        let shapes = architecture.output_shapes()?;
        let mut rng = StdRng::seed_from_u64(seed);
        let mut input = Shape::Map(architecture.input);
        let mut params = Vec::with_capacity(architecture.layers.len());
        for (layer, &output) in architecture.layers.iter().zip(&shapes) {
            let dims: Option<(Vec<usize>, usize, usize)> = match layer {
                Layer::Conv(conv) => {
                    let Shape::Map([c, _, _]) = input else {
                        unreachable!("output_shapes rejects a conv after a dense layer")
                    };
                    let fan_in = c * conv.kernel * conv.kernel;
                    Some((
                        vec![conv.filters, c, conv.kernel, conv.kernel],
                        fan_in,
                        conv.filters,
                    ))
                }
                Layer::Dense(dense) => {
                    let fan_in = input.elements();
                    Some((vec![dense.units, fan_in], fan_in, dense.units))
                }
                Layer::Maxpool(_) => None,
            };
            params.push(match dims {
                Some((weight_dims, fan_in, outputs)) => {
                    let bound = 1.0 / (fan_in as f32).sqrt();
                    let mut uniform = |n: usize| -> Vec<f32> {
                        (0..n).map(|_| rng.random_range(-bound..bound)).collect()
                    };
                    let weight_len = weight_dims.iter().product();
                    let weight = Var::from_vec(uniform(weight_len), weight_dims, device)?;
                    let bias = Var::from_vec(uniform(outputs), outputs, device)?;
                    Some(Params { weight, bias })
                }
                None => None,
            });
            input = output;
        }
        Ok(Self {
            architecture: architecture.clone(),
            params,
        })
    }

    /// The description this network was built from.
    pub fn architecture(&self) -> &Architecture {
        &self.architecture
    }

    /// Every trainable variable, for the optimiser.
    pub fn vars(&self) -> Vec<Var> {
        self.params
            .iter()
            .flatten()
            .flat_map(|p| [p.weight.clone(), p.bias.clone()])
            .collect()
    }

    /// Number of weights and biases.
    pub fn parameter_count(&self) -> usize {
        self.vars().iter().map(|v| v.elem_count()).sum()
    }

    /// Class scores (logits, `[n, classes]`) for a `[n, c, h, w]` batch of inputs in [0, 1].
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let last = self.architecture.layers.len() - 1;
        let mut x = x.to_dtype(DType::F32)?;
        for (i, (layer, params)) in self
            .architecture
            .layers
            .iter()
            .zip(&self.params)
            .enumerate()
        {
            x = match (layer, params) {
                (Layer::Conv(conv), Some(p)) => conv_forward(&x, conv, p)?,
                (Layer::Dense(_), Some(p)) => {
                    let flat = x.flatten_from(1)?;
                    flat.matmul(&p.weight.t()?)?.broadcast_add(&p.bias)?
                }
                (Layer::Maxpool(pool), None) => max_pool(&x, pool.size, pool.stride)?,
                _ => unreachable!("params are built to match each layer"),
            };
            if i != last && !matches!(layer, Layer::Maxpool(_)) {
                x = x.relu()?;
            }
        }
        Ok(x)
    }
}

/// A convolution with bias, padding the input first when "same" padding is uneven.
fn conv_forward(x: &Tensor, conv: &Conv, p: &Params) -> Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    let pads = |side| conv.output_side(side).map_or((0, 0), |(_, pad)| pad);
    let ((top, bottom), (left, right)) = (pads(h), pads(w));
    let x = if (top, bottom, left, right) == (0, 0, 0, 0) {
        x.clone()
    } else {
        x.pad_with_zeros(2, top, bottom)?
            .pad_with_zeros(3, left, right)?
    };
    let y = x.conv2d(&p.weight, 0, conv.stride, 1, 1)?;
    let filters = p.bias.dims1()?;
    Ok(y.broadcast_add(&p.bias.reshape((1, filters, 1, 1))?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skeleton_has_the_expected_parameters_and_output() {
        let net = Network::new(&Architecture::skeleton(), 7, &Device::Cpu).unwrap();
        // conv 8·1·9+8, conv 16·8·9+16, dense 10·400+10
        assert_eq!(net.parameter_count(), 80 + 1168 + 4010);
        let x = Tensor::zeros((3, 1, 28, 28), DType::F32, &Device::Cpu).unwrap();
        assert_eq!(net.forward(&x).unwrap().dims(), &[3, 10]);
    }

    #[test]
    fn same_seed_same_network_other_seed_other_network() {
        let weights = |seed| {
            Network::new(&Architecture::skeleton(), seed, &Device::Cpu)
                .unwrap()
                .vars()[0]
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap()
        };
        assert_eq!(weights(1), weights(1));
        assert_ne!(weights(1), weights(2));
    }

    #[test]
    fn same_padding_with_stride_keeps_ceil_of_input() {
        let arch: Architecture = serde_json::from_str(
            r#"{"input":[2,9,9],"classes":3,"layers":[
              {"conv":{"filters":4,"kernel":4,"stride":2,"padding":"same"}},
              {"maxpool":{"size":3,"stride":2}},
              {"dense":{"units":3}}]}"#,
        )
        .unwrap();
        let net = Network::new(&arch, 0, &Device::Cpu).unwrap();
        let x = Tensor::ones((2, 2, 9, 9), DType::F32, &Device::Cpu).unwrap();
        assert_eq!(net.forward(&x).unwrap().dims(), &[2, 3]);
    }
}
