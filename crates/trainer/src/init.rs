//! Data-dependent initialisation (after Mishkin and Matas's LSUV, 2016, and Krähenbühl et al.,
//! 2016): before training, each fresh layer's weights and bias are rescaled so that, on one
//! batch of real images, every output channel's pre-activation has mean 0 and variance 1.
//!
//! Why: the inputs (pixels in [0, 1]) and every ReLU output are non-negative, so a narrow layer
//! drawn with PyTorch's uniform ±1/√fan-in can start with a channel whose weights and bias are
//! all negative where it matters: its ReLU outputs zero for every image and never receives a
//! gradient. With one or two filters that is the whole layer, and the network stays at chance
//! (half of SpArSe's small random candidates did). Centring each channel on real data puts
//! half of its outputs above zero whatever the width, and unit variance keeps the signal from
//! fading or exploding through the layers. Inherited layers keep their parent's weights.

use crate::network::{LinearOp, Network};
use crate::{Result, network};
use candle_core::{DType, Tensor, Var};
use sparse_core::architecture::Layer;

/// A channel whose pre-activations vary less than this on the batch (it reads only zeros) is
/// centred but not scaled.
const MIN_STD: f64 = 1e-4;

impl Network {
    /// Rescales every weighted layer for which `fresh[i]` holds (a missing entry: fresh), the
    /// classifier excepted, so that on the batch `x` (`[n, c, h, w]`, pixels in [0, 1]) each of
    /// its output channels has pre-activations of mean 0 and variance 1; the classifier's bias
    /// is centred only. Layers are visited in order, each seeing the rescaled layers before it.
    pub fn initialise_from_data(&self, x: &Tensor, fresh: &[bool]) -> Result<()> {
        let mut x = x.to_dtype(self.dtype())?;
        let layers = self.architecture().layers.len();
        for i in 0..layers {
            let last = i + 1 == layers;
            if fresh.get(i).copied().unwrap_or(true) {
                let p = self.layer_params(i);
                match &self.architecture().layers[i] {
                    Layer::Conv(conv) => {
                        let op = network::conv_op(&x, conv, 1)?;
                        standardise(&op, &p[0], &p[1], last)?;
                    }
                    Layer::Dense(_) => {
                        let op = LinearOp::Dense(x.flatten_from(1)?);
                        standardise(&op, &p[0], &p[1], last)?;
                    }
                    Layer::Dwconv(conv) => {
                        let channels = x.dims4()?.1;
                        let op = network::conv_op(&x, conv, channels)?;
                        standardise(&op, &p[0], &p[1], false)?;
                        let middle = op.apply(op.input(), &p[0], Some(&p[1]))?;
                        let op = network::conv_op(&middle, &network::pointwise(conv), 1)?;
                        standardise(&op, &p[2], &p[3], last)?;
                    }
                    Layer::Maxpool(_) | Layer::Avgpool(_) => {}
                }
            }
            x = self.layer_output(i, &x)?;
        }
        Ok(())
    }
}

/// Sets `weight` and `bias` so that `op` gives each output channel mean 0 and, unless
/// `centre_only`, variance 1 on its input.
fn standardise(op: &LinearOp, weight: &Var, bias: &Var, centre_only: bool) -> Result<()> {
    let y = op.apply(op.input(), weight, Some(bias))?;
    let channels = y.dims()[1];
    // Sums over every axis but the channels', so no copy of `y` is made.
    let others: Vec<usize> = (0..y.rank()).filter(|&d| d != 1).collect();
    let count = (y.elem_count() / channels.max(1)) as f64;
    let sums: Vec<f64> = y.sum(others.clone())?.to_dtype(DType::F64)?.to_vec1()?;
    let squares: Vec<f64> = y.sqr()?.sum(others)?.to_dtype(DType::F64)?.to_vec1()?;
    let mean: Vec<f64> = sums.iter().map(|s| s / count).collect();
    let scale: Vec<f64> = squares
        .iter()
        .zip(&mean)
        .map(|(sq, m)| {
            let std = (sq / count - m * m).max(0.0).sqrt();
            if centre_only || std < MIN_STD {
                1.0
            } else {
                1.0 / std
            }
        })
        .collect();
    let dtype = weight.dtype();
    let mut shape = vec![1; weight.rank()];
    shape[0] = channels;
    let scale_t = Tensor::from_vec(scale.clone(), channels, weight.device())?.to_dtype(dtype)?;
    weight.set(&weight.broadcast_mul(&scale_t.reshape(shape)?)?)?;
    let old_bias: Vec<f64> = bias.to_dtype(DType::F64)?.to_vec1()?;
    let new_bias: Vec<f64> = (0..channels)
        .map(|c| (old_bias[c] - mean[c]) * scale[c])
        .collect();
    bias.set(&Tensor::from_vec(new_bias, channels, bias.device())?.to_dtype(dtype)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;
    use sparse_core::Architecture;

    fn arch(json: &str) -> Architecture {
        serde_json::from_str(json).unwrap()
    }

    /// Non-negative inputs, as pixels are.
    fn images(n: usize, side: usize) -> Tensor {
        let values: Vec<f32> = (0..n * side * side)
            .map(|i| ((i * 7919) % 255) as f32 / 255.0)
            .collect();
        Tensor::from_vec(values, (n, 1, side, side), &Device::Cpu).unwrap()
    }

    /// Each layer's output before its ReLU (`None` for pools).
    fn pre_activations(net: &Network, x: &Tensor) -> Vec<Option<Tensor>> {
        let mut x = x.to_dtype(net.dtype()).unwrap();
        let mut out = Vec::new();
        for (i, layer) in net.architecture().layers.iter().enumerate() {
            let p = net.layer_params(i);
            let op = match layer {
                Layer::Conv(conv) => Some(network::conv_op(&x, conv, 1).unwrap()),
                Layer::Dense(_) => Some(LinearOp::Dense(x.flatten_from(1).unwrap())),
                Layer::Dwconv(conv) => {
                    let op = network::conv_op(&x, conv, x.dims4().unwrap().1).unwrap();
                    let middle = op.apply(op.input(), &p[0], Some(&p[1])).unwrap();
                    let pw = network::pointwise(conv);
                    let op = network::conv_op(&middle, &pw, 1).unwrap();
                    out.push(Some(op.apply(op.input(), &p[2], Some(&p[3])).unwrap()));
                    x = net.layer_output(i, &x).unwrap();
                    continue;
                }
                Layer::Maxpool(_) | Layer::Avgpool(_) => None,
            };
            out.push(op.map(|op| op.apply(op.input(), &p[0], Some(&p[1])).unwrap()));
            x = net.layer_output(i, &x).unwrap();
        }
        out
    }

    /// Mean and variance of each channel of `y`.
    fn stats(y: &Tensor) -> Vec<(f64, f64)> {
        let y = y.to_dtype(DType::F64).unwrap();
        let flat = y.transpose(0, 1).unwrap().flatten_from(1).unwrap();
        let rows: Vec<Vec<f64>> = flat.to_vec2().unwrap();
        rows.iter()
            .map(|r| {
                let m = r.iter().sum::<f64>() / r.len() as f64;
                let v = r.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / r.len() as f64;
                (m, v)
            })
            .collect()
    }

    #[test]
    fn every_channel_of_every_hidden_layer_starts_centred_with_unit_variance() {
        let a = arch(
            r#"{"input":[1,12,12],"classes":3,"layers":[
              {"conv":{"filters":1,"kernel":1}},
              {"dwconv":{"filters":2,"kernel":3,"padding":"same"}},
              {"maxpool":{"size":2,"stride":2}},
              {"conv":{"filters":4,"kernel":3,"stride":2,"padding":"same"}},
              {"dense":{"units":5}},
              {"dense":{"units":3}}]}"#,
        );
        let x = images(64, 12);
        for seed in 0..8 {
            let net = Network::with_dtype(&a, seed, &Device::Cpu, DType::F64).unwrap();
            net.initialise_from_data(&x, &[]).unwrap();
            let trace = pre_activations(&net, &x);
            for (i, y) in trace.iter().enumerate() {
                let Some(y) = y else { continue };
                for (c, (m, v)) in stats(y).into_iter().enumerate() {
                    assert!(
                        m.abs() < 1e-9,
                        "seed {seed} layer {i} channel {c}: mean {m}"
                    );
                    if i + 1 < trace.len() {
                        assert!((v - 1.0).abs() < 1e-9, "layer {i} channel {c}: var {v}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_one_filter_layer_is_never_dead_at_the_start() {
        let a = arch(
            r#"{"input":[1,12,12],"classes":3,"layers":[
              {"conv":{"filters":1,"kernel":1}},{"dense":{"units":3}}]}"#,
        );
        let x = images(32, 12);
        let mut dead_before = 0;
        for seed in 0..40 {
            let net = Network::new(&a, seed, &Device::Cpu).unwrap();
            let alive = |net: &Network| -> bool {
                let hidden = &net.trace(&x).unwrap()[0].0;
                hidden.max_all().unwrap().to_scalar::<f32>().unwrap() > 0.0
            };
            if !alive(&net) {
                dead_before += 1;
            }
            net.initialise_from_data(&x, &[]).unwrap();
            assert!(alive(&net), "seed {seed} is dead after initialisation");
        }
        // The uniform draw alone leaves some of these single filters dead.
        assert!(dead_before > 0);
    }

    #[test]
    fn layers_that_are_not_fresh_keep_their_weights() {
        let a = arch(
            r#"{"input":[1,12,12],"classes":3,"layers":[
              {"conv":{"filters":2,"kernel":3}},{"dense":{"units":3}}]}"#,
        );
        let net = Network::new(&a, 5, &Device::Cpu).unwrap();
        let before: Vec<f32> = net.vars()[0].flatten_all().unwrap().to_vec1().unwrap();
        net.initialise_from_data(&images(16, 12), &[false, true])
            .unwrap();
        let after: Vec<f32> = net.vars()[0].flatten_all().unwrap().to_vec1().unwrap();
        assert_eq!(before, after);
    }
}
