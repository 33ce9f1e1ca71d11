//! The int8 model: per-channel symmetric int8 weights, activations calibrated to 8 bits, and
//! an evaluator that uses integer arithmetic only — the arithmetic the C export reproduces.
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

use crate::architecture::{Conv, Layer, Shape};
use crate::{Architecture, Dataset, Error, Result};
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

/// `acc · multiplier · 2^-shift` rounded as TensorFlow Lite's `MultiplyByQuantizedMultiplier`
/// rounds it: a shift below 31 first shifts the accumulator left (wrapping, as TFLite's int32
/// does); then a rounding doubling high multiply, `(x·multiplier ± 2^30) / 2^31` towards zero
/// (the nudge is `1 - 2^30` for a negative product); then a division by the remaining power of
/// two that rounds ties away from zero. Zero for a zero multiplier.
pub fn requantize(acc: i32, multiplier: i32, shift: u8) -> i32 {
    if multiplier == 0 {
        return 0;
    }
    let exponent = shift as i32 - 31;
    let x = if exponent < 0 {
        acc.wrapping_mul(1 << -exponent)
    } else {
        acc
    };
    let product = x as i64 * multiplier as i64;
    let nudge = if product >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    let high = ((product + nudge) / (1i64 << 31)) as i32;
    let exponent = exponent.max(0) as u32;
    let mask = ((1i64 << exponent) - 1) as i32;
    let threshold = (mask >> 1) + i32::from(high < 0);
    (high >> exponent) + i32::from(high & mask > threshold)
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

/// The range output codes are clamped to.
#[derive(Clone, Copy)]
enum Range {
    /// After a ReLU: [0, 255].
    Unsigned,
    /// A dwconv's middle and the logits: int8, [-128, 127].
    Signed,
}

impl Range {
    fn clamp(self, v: i32) -> i32 {
        match self {
            Range::Unsigned => v.clamp(0, 255),
            Range::Signed => v.clamp(-128, 127),
        }
    }
}

/// A direct convolution over `groups` channel groups (1, or one per channel for depthwise).
/// The input is laid into a zero-padded copy once, so that no tap tests its bounds; each
/// weight then adds its multiple of a shifted input plane to the output channel's
/// accumulators, and a pruned (zero) weight costs nothing. The arithmetic wraps rather than
/// checks: [`quantize`] and [`QuantModel::check`] refuse a model whose accumulators could leave
/// int32, so it never does (and sparse-core keeps overflow checks on for the cost model).
fn conv_int(
    input: &[i32],
    [c, h, w]: [usize; 3],
    conv: &Conv,
    groups: usize,
    q: &QuantTensor,
    range: Range,
) -> (Vec<i32>, [usize; 3]) {
    let (oh, (top, _)) = conv.output_side(h).expect("validated");
    let (ow, (left, _)) = conv.output_side(w).expect("validated");
    let (k, stride) = (conv.kernel, conv.stride);
    // Tall and wide enough for every tap of every output, padding included.
    let ph = (top + h).max((oh - 1) * stride + k);
    let pw = (left + w).max((ow - 1) * stride + k);
    let mut padded = vec![0; c * ph * pw];
    for (plane, source) in padded
        .chunks_exact_mut(ph * pw)
        .zip(input.chunks_exact(h * w))
    {
        for (y, row) in source.chunks_exact(w).enumerate() {
            let at = (top + y) * pw + left;
            plane[at..at + w].copy_from_slice(row);
        }
    }
    let outputs = q.bias.len();
    let in_per_group = c / groups;
    let out_per_group = outputs / groups;
    let taps = in_per_group * k * k;
    let mut out = vec![0; outputs * oh * ow];
    for (co, out) in out.chunks_exact_mut(oh * ow).enumerate() {
        let g = co / out_per_group;
        out.fill(q.bias[co]);
        let weights = &q.weights[co * taps..(co + 1) * taps];
        for ci in 0..in_per_group {
            let plane = &padded[(g * in_per_group + ci) * ph * pw..][..ph * pw];
            for ky in 0..k {
                for kx in 0..k {
                    let weight = weights[(ci * k + ky) * k + kx] as i32;
                    if weight == 0 {
                        continue;
                    }
                    for (oy, acc) in out.chunks_exact_mut(ow).enumerate() {
                        let row = &plane[(oy * stride + ky) * pw + kx..];
                        for (ox, a) in acc.iter_mut().enumerate() {
                            *a = a.wrapping_add(weight.wrapping_mul(row[ox * stride]));
                        }
                    }
                }
            }
        }
        for a in out.iter_mut() {
            *a = range.clamp(requantize(*a, q.multiplier[co], q.shift[co]));
        }
    }
    (out, [outputs, oh, ow])
}

/// The weights and output channels each tensor of `layer` must hold, given its input and
/// output shapes (none for a pool); a dwconv has its depthwise then its pointwise tensor.
pub fn tensor_sizes(layer: &Layer, input: Shape, output: Shape) -> Vec<(usize, usize)> {
    let dims = |s: Shape| match s {
        Shape::Map(d) => d,
        Shape::Flat([n]) => [n, 1, 1],
    };
    let ([cin, _, _], [cout, _, _]) = (dims(input), dims(output));
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

    /// The int32 logits for one image of raw 0–255 pixels in channel-height-width order.
    ///
    /// # Panics
    /// If `pixels` is not exactly one input image.
    pub fn logits(&self, pixels: &[u8]) -> Vec<i32> {
        let arch = &self.architecture;
        assert_eq!(pixels.len(), arch.input.iter().product::<usize>());
        let mut x: Vec<i32> = pixels.iter().map(|&p| p as i32).collect();
        let mut shape = Shape::Map(arch.input);
        let last = arch.layers.len() - 1;
        for (i, (layer, q)) in arch.layers.iter().zip(&self.layers).enumerate() {
            let range = if i == last {
                Range::Signed
            } else {
                Range::Unsigned
            };
            let dims = match shape {
                Shape::Map(d) => d,
                Shape::Flat([n]) => [n, 1, 1],
            };
            (x, shape) = match (layer, q) {
                (Layer::Conv(conv), QuantLayer::Weighted(t)) => {
                    let (y, d) = conv_int(&x, dims, conv, 1, t, range);
                    (y, Shape::Map(d))
                }
                (
                    Layer::Dwconv(conv),
                    QuantLayer::Separable {
                        depthwise,
                        pointwise,
                    },
                ) => {
                    let (mid, d) = conv_int(&x, dims, conv, dims[0], depthwise, Range::Signed);
                    let one = Conv {
                        filters: pointwise.bias.len(),
                        kernel: 1,
                        stride: 1,
                        padding: Default::default(),
                        density: None,
                    };
                    let (y, d) = conv_int(&mid, d, &one, 1, pointwise, range);
                    (y, Shape::Map(d))
                }
                (Layer::Dense(_), QuantLayer::Weighted(t)) => {
                    let inputs = x.len();
                    let y = (0..t.bias.len())
                        .map(|o| {
                            let row = &t.weights[o * inputs..(o + 1) * inputs];
                            let acc = row.iter().zip(&x).fold(t.bias[o], |a, (&w, &v)| {
                                a.wrapping_add((w as i32).wrapping_mul(v))
                            });
                            range.clamp(requantize(acc, t.multiplier[o], t.shift[o]))
                        })
                        .collect::<Vec<_>>();
                    let n = y.len();
                    (y, Shape::Flat([n]))
                }
                (Layer::Maxpool(p) | Layer::Avgpool(p), QuantLayer::Pool) => {
                    let [c, h, w] = dims;
                    let (oh, ow) = ((h - p.size) / p.stride + 1, (w - p.size) / p.stride + 1);
                    let n = (p.size * p.size) as i32;
                    let mut y = Vec::with_capacity(c * oh * ow);
                    for ch in 0..c {
                        for oy in 0..oh {
                            for ox in 0..ow {
                                let window = (0..p.size).flat_map(|ky| {
                                    let row = (ch * h + oy * p.stride + ky) * w + ox * p.stride;
                                    x[row..row + p.size].iter().copied()
                                });
                                y.push(match layer {
                                    Layer::Maxpool(_) => window.max().unwrap_or(0),
                                    _ => {
                                        // TFLite's int8 mean: of the signed codes (code - 128),
                                        // ties away from zero.
                                        let sum = window.sum::<i32>() - 128 * n;
                                        let half = if sum > 0 { n / 2 } else { -(n / 2) };
                                        (sum + half) / n + 128
                                    }
                                });
                            }
                        }
                    }
                    (y, Shape::Map([c, oh, ow]))
                }
                _ => unreachable!("quantize builds one matching entry per layer"),
            };
        }
        x
    }

    /// The predicted class: the index of the largest logit (the first on ties).
    pub fn predict(&self, pixels: &[u8]) -> usize {
        argmax(&self.logits(pixels))
    }

    /// The class probabilities for one image: the softmax of the int8 logits, each read at the
    /// classifier's output scale (what the page's draw-a-digit pad shows).
    pub fn probabilities(&self, pixels: &[u8]) -> Vec<f32> {
        let scale = self.output_scale.last().copied().unwrap_or(1.0);
        let logits: Vec<f32> = self
            .logits(pixels)
            .into_iter()
            .map(|l| l as f32 * scale)
            .collect();
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exp: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
        let sum: f32 = exp.iter().sum();
        exp.into_iter().map(|e| e / sum).collect()
    }

    /// Fraction of `data` classified correctly.
    pub fn accuracy(&self, data: &Dataset) -> f64 {
        let correct = (0..data.len())
            .filter(|&i| self.predict(data.image(i)) == data.label(i) as usize)
            .count();
        correct as f64 / data.len() as f64
    }
}

#[cfg(test)]
mod tests;
