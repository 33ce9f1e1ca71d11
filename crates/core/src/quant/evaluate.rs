//! The int8 model's integer-only evaluator: each layer's codes from the previous layer's,
//! rounded exactly as TensorFlow Lite's reference kernels round them (see the scheme in
//! [`super`]), so that the C export and the `.tflite` export compute the same codes.

use super::{QuantLayer, QuantModel, QuantTensor, argmax};
use crate::Dataset;
use crate::architecture::{Conv, Layer, Shape};

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

/// The range output codes are clamped to.
#[derive(Clone, Copy)]
pub(super) enum Range {
    /// After a ReLU: [0, 255].
    Unsigned,
    /// A dwconv's middle and the logits: int8, [-128, 127].
    Signed,
}

impl Range {
    pub(super) fn clamp(self, v: i32) -> i32 {
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
/// checks: [`quantize`](super::quantize) and [`QuantModel::check`] refuse a model whose accumulators could leave
/// int32, so it never does (and sparse-core keeps overflow checks on for the cost model).
pub(super) fn conv_int(
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

impl QuantModel {
    /// The logits (int8 codes, -128..127, at the last layer's scale) for one image of raw 0–255
    /// pixels in channel-height-width order.
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
            let dims = shape.dims();
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
