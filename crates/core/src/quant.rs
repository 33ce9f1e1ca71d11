//! The int8 model: per-channel symmetric int8 weights, activations calibrated to 8 bits, and
//! an evaluator that uses integer arithmetic only (`quant/evaluate.rs`) — the arithmetic the C
//! export reproduces.
//!
//! Scheme. Activations after a ReLU are unsigned 8-bit, `a ≈ s·q`, `q ∈ [0, 255]`, zero point
//! 0 (TensorFlow Lite's int8 `q - 128` with zero point -128); the input is the raw pixel,
//! `s = 1/255`. The middle of a dwconv (no ReLU) is signed, `q ∈ [-128, 127]`. Weights of
//! output channel `c` are `w ≈ s_w[c]·q`, `q ∈ [-127, 127]`, `s_w[c] = max|w_c| / 127`; biases
//! are int32 at scale `s_w[c]·s_in`. A layer accumulates `acc = Σ q_w·q_in + q_b` in int32 and
//! requantises with `M = s_w[c]·s_in / s_out` written as `multiplier · 2^-shift`
//! (`multiplier ∈ [2^30, 2^31)`, TensorFlow Lite's own multiplier for these scales), rounded
//! exactly as TensorFlow Lite rounds it ([`requantize`]), then clamps to the output's range; the
//! last layer's outputs, the logits, are int8 `[-128, 127]` as in TensorFlow Lite. Max pools take
//! the largest code, average pools the mean as TensorFlow Lite's int8 pool rounds it (of the
//! signed codes, ties away from zero); both keep the scale. So the `.tflite` export computes
//! the same codes. [`quantize`] refuses a layer whose largest possible accumulator
//! (Σ|q_w|·max code + |q_b|) would not fit an int32, so int32 never overflows.

mod evaluate;

pub use evaluate::requantize;

use crate::architecture::{Layer, Shape};
use crate::{Architecture, Error, Result};
use serde::{Deserialize, Serialize};

/// Trained float weights of one weight tensor and its biases, in candle's layout (conv
/// `[out, in, k, k]`, depthwise `[channels, 1, k, k]`, dense `[out, in]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FloatTensor {
    /// Weights, output channel major.
    pub weight: Vec<f32>,
    /// One bias per output channel.
    pub bias: Vec<f32>,
}

/// The float parameters of one layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FloatLayer {
    /// A conv or dense layer.
    Weighted(FloatTensor),
    /// A dwconv: its depthwise and pointwise halves.
    Separable {
        /// The k×k per-channel half.
        depthwise: FloatTensor,
        /// The 1×1 half.
        pointwise: FloatTensor,
    },
    /// A pool (no parameters).
    Pool,
}

impl FloatLayer {
    /// Its weight tensors: one, a dwconv's depthwise then pointwise, or none for a pool.
    pub fn tensors(&self) -> Vec<&FloatTensor> {
        match self {
            FloatLayer::Weighted(t) => vec![t],
            FloatLayer::Separable {
                depthwise,
                pointwise,
            } => vec![depthwise, pointwise],
            FloatLayer::Pool => vec![],
        }
    }
}

/// Activation ranges seen on calibration data, per layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// The largest |value| of each layer's output.
    pub output_max: Vec<f32>,
    /// The largest |value| of each dwconv's middle (`None` for other layers).
    pub middle_max: Vec<Option<f32>>,
}

/// One int8 weight tensor with everything needed to requantise its outputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuantTensor {
    /// int8 weights, same layout as the float ones.
    pub weights: Vec<i8>,
    /// int32 biases at scale `s_w[c]·s_in`, within ±2^30.
    pub bias: Vec<i32>,
    /// Per output channel fixed-point multiplier in [2^30, 2^31).
    pub multiplier: Vec<i32>,
    /// Per output channel right shift.
    pub shift: Vec<u8>,
    /// Per output channel weight scale (for reference; not used by the evaluator).
    pub weight_scale: Vec<f32>,
}

/// One layer of the int8 model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum QuantLayer {
    /// A conv or dense layer.
    Weighted(QuantTensor),
    /// A dwconv: depthwise into a signed middle, then pointwise.
    Separable {
        /// The k×k per-channel half (output signed 8-bit).
        depthwise: QuantTensor,
        /// The 1×1 half.
        pointwise: QuantTensor,
    },
    /// A pool.
    Pool,
}

impl QuantLayer {
    /// Its weight tensors: one, a dwconv's depthwise then pointwise, or none for a pool.
    pub fn tensors(&self) -> Vec<&QuantTensor> {
        match self {
            QuantLayer::Weighted(t) => vec![t],
            QuantLayer::Separable {
                depthwise,
                pointwise,
            } => vec![depthwise, pointwise],
            QuantLayer::Pool => vec![],
        }
    }
}

/// An int8 network: the architecture, its quantised layers and its activation scales.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuantModel {
    /// The (possibly pruned) architecture.
    pub architecture: Architecture,
    /// One entry per layer.
    pub layers: Vec<QuantLayer>,
    /// The real value of one output code of each layer (the input's is 1/255).
    pub output_scale: Vec<f32>,
}

/// The index of the largest logit, the first on ties (as the C export's `model_predict`).
pub fn argmax(logits: &[i32]) -> usize {
    let mut best = 0;
    for (i, &v) in logits.iter().enumerate() {
        if v > logits[best] {
            best = i;
        }
    }
    best
}

/// `m · 2^-shift` with `m ∈ [2^30, 2^31)` closest to `real` (> 0), or zero for `real = 0`.
pub fn fixed_point(real: f64) -> (i32, u8) {
    if real <= 0.0 || !real.is_finite() {
        return (0, 0);
    }
    let mut shift = 30 - real.log2().floor() as i32;
    let mut m = (real * 2f64.powi(shift)).round();
    if m >= 2f64.powi(31) {
        m /= 2.0;
        shift -= 1;
    }
    // A multiplier past 2^32 would need a left shift; no calibrated network gets near it,
    // and one smaller than 2^-31 rounds every accumulator to zero anyway.
    let shift = shift.clamp(1, 62);
    (m.round().min(i32::MAX as f64) as i32, shift as u8)
}

/// Quantises one weight tensor whose input has scale `s_in` and output scale `s_out` and codes
/// of at most `max_code` in magnitude; `None` if an int32 accumulator could overflow.
fn quantize_tensor(t: &FloatTensor, s_in: f32, s_out: f32, max_code: i64) -> Option<QuantTensor> {
    let channels = t.bias.len();
    let per_channel = t.weight.len() / channels.max(1);
    let mut q = QuantTensor {
        weights: Vec::with_capacity(t.weight.len()),
        bias: Vec::with_capacity(channels),
        multiplier: Vec::with_capacity(channels),
        shift: Vec::with_capacity(channels),
        weight_scale: Vec::with_capacity(channels),
    };
    for c in 0..channels {
        let w = &t.weight[c * per_channel..(c + 1) * per_channel];
        let max = w.iter().fold(0f32, |m, v| m.max(v.abs()));
        let s_w = if max > 0.0 { max / 127.0 } else { 1.0 };
        q.weights.extend(
            w.iter()
                .map(|v| (v / s_w).round().clamp(-127.0, 127.0) as i8),
        );
        let bias_scale = s_w as f64 * s_in as f64;
        let bias = (t.bias[c] as f64 / bias_scale)
            .round()
            .clamp(-(2f64.powi(30)), 2f64.powi(30)) as i32;
        q.bias.push(bias);
        // The largest accumulator this channel can reach must fit an int32, which the
        // evaluator and the C export use.
        let start = q.weights.len() - per_channel;
        if accumulator_reach(&q.weights[start..], bias, max_code) > i32::MAX as i64 {
            return None;
        }
        let (m, shift) = fixed_point(bias_scale / s_out as f64);
        q.multiplier.push(m);
        q.shift.push(shift);
        q.weight_scale.push(s_w);
    }
    Some(q)
}

/// The largest |accumulator| of one output channel with `weights` and `bias` over inputs of at
/// most `max_code` in magnitude.
fn accumulator_reach(weights: &[i8], bias: i32, max_code: i64) -> i64 {
    let products: i64 = weights.iter().map(|&v| (v as i64).abs() * max_code).sum();
    products + (bias as i64).abs()
}

/// The largest input code of each of a layer's weight tensors: 255 after a ReLU or from the
/// pixels, 128 (in magnitude) from a dwconv's signed middle.
fn max_input_codes(layer: &QuantLayer) -> &'static [i64] {
    match layer {
        QuantLayer::Weighted(_) => &[255],
        QuantLayer::Separable { .. } => &[255, 128],
        QuantLayer::Pool => &[],
    }
}

/// An output scale from a calibrated maximum: `max / levels`, never zero.
fn scale(max: f32, levels: f32) -> f32 {
    if max > 0.0 && max.is_finite() {
        max / levels
    } else {
        1.0 / levels
    }
}

/// Builds the int8 model of a trained float network.
pub fn quantize(
    architecture: &Architecture,
    layers: &[FloatLayer],
    calibration: &Calibration,
) -> Result<QuantModel> {
    architecture.output_shapes()?;
    let n = architecture.layers.len();
    if layers.len() != n || calibration.output_max.len() != n || calibration.middle_max.len() != n {
        return Err(Error::Architecture(format!(
            "{n} layers, but {} float layers and {} calibration ranges were given",
            layers.len(),
            calibration.output_max.len()
        )));
    }
    let mut s_in = 1.0 / 255.0;
    let mut out_layers = Vec::with_capacity(n);
    let mut output_scale = Vec::with_capacity(n);
    for (i, (layer, float)) in architecture.layers.iter().zip(layers).enumerate() {
        let last = i + 1 == n;
        // The logits are signed: 127 levels for the largest.
        let levels = if last { 127.0 } else { 255.0 };
        let s_out = if layer.is_pool() {
            s_in
        } else {
            scale(calibration.output_max[i], levels)
        };
        let problem = |why: &str| {
            Error::Architecture(format!("layer {}, {}, {why}", i + 1, layer.describe()))
        };
        let overflow = || problem("is too wide for int32 accumulators");
        let q = match (layer, float) {
            (Layer::Conv(_) | Layer::Dense(_), FloatLayer::Weighted(t)) => {
                QuantLayer::Weighted(quantize_tensor(t, s_in, s_out, 255).ok_or_else(overflow)?)
            }
            (
                Layer::Dwconv(_),
                FloatLayer::Separable {
                    depthwise,
                    pointwise,
                },
            ) => {
                let s_mid = scale(calibration.middle_max[i].unwrap_or(0.0), 127.0);
                QuantLayer::Separable {
                    depthwise: quantize_tensor(depthwise, s_in, s_mid, 255).ok_or_else(overflow)?,
                    pointwise: quantize_tensor(pointwise, s_mid, s_out, 128)
                        .ok_or_else(overflow)?,
                }
            }
            (Layer::Maxpool(_) | Layer::Avgpool(_), FloatLayer::Pool) => QuantLayer::Pool,
            _ => return Err(problem("was given parameters of another kind")),
        };
        out_layers.push(q);
        output_scale.push(s_out);
        s_in = s_out;
    }
    Ok(QuantModel {
        architecture: architecture.clone(),
        layers: out_layers,
        output_scale,
    })
}

/// The weights and output channels each tensor of `layer` must hold, given its input and
/// output shapes (none for a pool); a dwconv has its depthwise then its pointwise tensor.
pub fn tensor_sizes(layer: &Layer, input: Shape, output: Shape) -> Vec<(usize, usize)> {
    let ([cin, _, _], [cout, _, _]) = (input.dims(), output.dims());
    match layer {
        Layer::Conv(c) => vec![(cout * cin * c.kernel * c.kernel, cout)],
        Layer::Dwconv(c) => vec![(cin * c.kernel * c.kernel, cin), (cout * cin, cout)],
        Layer::Dense(d) => vec![(d.units * input.elements(), d.units)],
        Layer::Maxpool(_) | Layer::Avgpool(_) => vec![],
    }
}

impl QuantModel {
    /// Reads a model file, checked: a `QuantModel` JSON, or an object holding one under `int8`
    /// (what `sparse-explorer train --save` writes). The error says what is wrong with it.
    pub fn from_model_file(text: &str) -> std::result::Result<Self, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
        let value = match value.get("int8") {
            Some(inner) => inner.clone(),
            None => value,
        };
        let model: QuantModel = serde_json::from_value(value)
            .map_err(|e| format!("not an int8 model (architecture, layers, output_scale): {e}"))?;
        model.check().map_err(|e| e.to_string())?;
        Ok(model)
    }

    /// Checks that the model can be evaluated (and exported): a valid architecture, one
    /// quantised layer of the right kind per layer, every tensor as long as its layer's
    /// shapes imply, and requantisation shifts in range; says which layer is wrong otherwise.
    pub fn check(&self) -> Result<()> {
        let shapes = self.architecture.output_shapes()?;
        let n = shapes.len();
        if self.layers.len() != n || self.output_scale.len() != n {
            return Err(Error::Architecture(format!(
                "the int8 model has {} layers and {} output scales, but its architecture has {n} layers",
                self.layers.len(),
                self.output_scale.len()
            )));
        }
        let mut input = Shape::Map(self.architecture.input);
        for (i, ((layer, q), &output)) in self
            .architecture
            .layers
            .iter()
            .zip(&self.layers)
            .zip(&shapes)
            .enumerate()
        {
            let problem = |why: String| {
                Error::Architecture(format!("layer {}, {}, {why}", i + 1, layer.describe()))
            };
            let tensors = q.tensors();
            let expected = tensor_sizes(layer, input, output);
            let kind_fits = matches!(
                (layer, q),
                (Layer::Conv(_) | Layer::Dense(_), QuantLayer::Weighted(_))
                    | (Layer::Dwconv(_), QuantLayer::Separable { .. })
                    | (Layer::Maxpool(_) | Layer::Avgpool(_), QuantLayer::Pool)
            );
            if !kind_fits {
                return Err(problem("holds int8 parameters of another kind".into()));
            }
            for (t, (weights, channels)) in tensors.iter().zip(expected) {
                if t.weights.len() != weights
                    || [t.bias.len(), t.multiplier.len(), t.shift.len()] != [channels; 3]
                {
                    return Err(problem(format!(
                        "needs {weights} weights and {channels} channel constants, \
                         but holds {} weights and {} biases",
                        t.weights.len(),
                        t.bias.len()
                    )));
                }
                let shift_fits = |(&m, &s): (&i32, &u8)| m == 0 || (m > 0 && (1..=62).contains(&s));
                if t.weights.contains(&i8::MIN)
                    || !t.multiplier.iter().zip(&t.shift).all(shift_fits)
                {
                    return Err(problem(
                        "has a weight of -128 or a requantisation outside the int8 scheme".into(),
                    ));
                }
            }
            // Every accumulator must fit the int32 the evaluator and the C code add in.
            for (t, &max_code) in tensors.iter().zip(max_input_codes(q)) {
                let per_channel = t.weights.len() / t.bias.len().max(1);
                let widest = (0..t.bias.len())
                    .map(|c| {
                        let weights = &t.weights[c * per_channel..(c + 1) * per_channel];
                        accumulator_reach(weights, t.bias[c], max_code)
                    })
                    .max()
                    .unwrap_or(0);
                if widest > i32::MAX as i64 {
                    return Err(problem(format!(
                        "can overflow its int32 accumulators (one reaches {widest})"
                    )));
                }
            }
            input = output;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
