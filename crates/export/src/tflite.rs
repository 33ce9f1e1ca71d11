//! Writes the int8 model as a TensorFlow Lite flatbuffer (`model.tflite`, schema version 3),
//! for LiteRT and TensorFlow Lite for Microcontrollers: input int8 `[1, H, W, C]` (pixel − 128,
//! scale 1/255), CONV_2D with a fused ReLU for a conv, DEPTHWISE_CONV_2D into an int8 middle
//! then a 1×1 CONV_2D for a dwconv, MAX_POOL_2D and AVERAGE_POOL_2D, FULLY_CONNECTED for dense
//! layers (its weights' columns permuted from our channel-first flattening to TFLite's
//! channel-last one); per-channel int8 weights, int32 biases, activations zero point −128 after
//! a ReLU and 0 for the middles and the logits. TFLite derives from these scales the
//! requantisation multipliers our evaluator uses and rounds as it does, so TensorFlow Lite
//! Micro computes our codes exactly (LiteRT's XNNPACK kernels, within one code).
//!
//! This builds the graph; `tflite/write.rs` writes it as the flatbuffer.

mod write;

use sparse_core::architecture::{Padding, Shape};
use sparse_core::quant::{QuantLayer, QuantModel, QuantTensor};
use sparse_core::{Error, Layer, Result};
use write::serialise;

/// TFLite's `TensorType`s used here.
const INT8: i8 = 9;
const INT32: i8 = 2;
/// `BuiltinOperator` codes and the op versions of their int8 kernels.
const AVERAGE_POOL_2D: (i32, i32) = (1, 2);
const CONV_2D: (i32, i32) = (3, 3);
const DEPTHWISE_CONV_2D: (i32, i32) = (4, 3);
const FULLY_CONNECTED: (i32, i32) = (9, 4);
const MAX_POOL_2D: (i32, i32) = (17, 2);
/// `Padding` and `ActivationFunctionType`.
const SAME: i8 = 0;
const VALID: i8 = 1;
const RELU: i8 = 1;
const NO_ACTIVATION: i8 = 0;
/// The zero point of codes after a ReLU (our unsigned 0..255 are TFLite's −128..127).
const UNSIGNED_ZERO: i64 = -128;

/// One tensor of the graph.
struct Tensor {
    shape: Vec<i32>,
    kind: i8,
    /// Index into the model's buffers (0: none, for activations).
    buffer: u32,
    name: String,
    scale: Vec<f32>,
    zero_point: Vec<i64>,
    quantized_dimension: i32,
}

/// An operator's options table, written when the operator is.
enum Options {
    Conv {
        padding: i8,
        stride: i32,
        activation: i8,
    },
    Depthwise {
        padding: i8,
        stride: i32,
    },
    Pool {
        size: i32,
        stride: i32,
    },
    FullyConnected {
        activation: i8,
    },
}

/// One operator: its (builtin code, version), input tensors, output tensor, options.
struct Operator {
    code: (i32, i32),
    inputs: Vec<i32>,
    output: i32,
    options: Options,
}

/// The graph as it is built, before it is serialised.
#[derive(Default)]
struct Graph {
    tensors: Vec<Tensor>,
    /// Buffer 0 is TFLite's empty sentinel.
    buffers: Vec<Vec<u8>>,
    operators: Vec<Operator>,
}

impl Graph {
    /// Adds operator `code` from `inputs` to `output`.
    fn op(&mut self, code: (i32, i32), inputs: Vec<i32>, output: i32, options: Options) {
        self.operators.push(Operator {
            code,
            inputs,
            output,
            options,
        });
    }

    fn tensor(&mut self, tensor: Tensor) -> i32 {
        self.tensors.push(tensor);
        self.tensors.len() as i32 - 1
    }

    /// An activation tensor of `shape` at `scale` and `zero_point`.
    fn activation(&mut self, name: String, shape: Shape, scale: f32, zero_point: i64) -> i32 {
        self.tensor(Tensor {
            shape: nhwc(shape),
            kind: INT8,
            buffer: 0,
            name,
            scale: vec![scale],
            zero_point: vec![zero_point],
            quantized_dimension: 0,
        })
    }

    /// A constant tensor holding `bytes`.
    fn constant(&mut self, mut tensor: Tensor, bytes: Vec<u8>) -> i32 {
        self.buffers.push(bytes);
        tensor.buffer = self.buffers.len() as u32 - 1;
        self.tensor(tensor)
    }

    /// The weight and bias tensors of `t`, its weights already in TFLite's order and `shape`,
    /// per-channel along `dimension`, for an input at scale `s_in`.
    fn weights(
        &mut self,
        name: &str,
        t: &QuantTensor,
        weights: Vec<i8>,
        shape: Vec<i32>,
        dimension: i32,
        s_in: f32,
    ) -> (i32, i32) {
        let channels = t.bias.len();
        let w = self.constant(
            Tensor {
                shape,
                kind: INT8,
                buffer: 0,
                name: format!("{name}/weights"),
                scale: t.weight_scale.clone(),
                zero_point: vec![0; channels],
                quantized_dimension: dimension,
            },
            weights.iter().map(|&v| v as u8).collect(),
        );
        let b = self.constant(
            Tensor {
                shape: vec![channels as i32],
                kind: INT32,
                buffer: 0,
                name: format!("{name}/bias"),
                scale: t
                    .weight_scale
                    .iter()
                    .map(|&s| (s as f64 * s_in as f64) as f32)
                    .collect(),
                zero_point: vec![0; channels],
                quantized_dimension: 0,
            },
            t.bias.iter().flat_map(|v| v.to_le_bytes()).collect(),
        );
        (w, b)
    }
}

/// A shape in TFLite's order: `[1, H, W, C]` or `[1, N]`.
fn nhwc(shape: Shape) -> Vec<i32> {
    match shape {
        Shape::Map([c, h, w]) => vec![1, h as i32, w as i32, c as i32],
        Shape::Flat([n]) => vec![1, n as i32],
    }
}

/// Weights `[o][c][ky][kx]` (ours) as `[o][ky][kx][c]` (TFLite's OHWI).
fn ohwi(weights: &[i8], outputs: usize, channels: usize, k: usize) -> Vec<i8> {
    let mut out = vec![0; weights.len()];
    for o in 0..outputs {
        for c in 0..channels {
            for y in 0..k {
                for x in 0..k {
                    out[((o * k + y) * k + x) * channels + c] =
                        weights[((o * channels + c) * k + y) * k + x];
                }
            }
        }
    }
    out
}

/// The scale of a dwconv's middle, recovered from its depthwise multipliers: `m·2^-shift` is
/// `s_in·s_w / s_mid` for every channel (the first one not all zero).
fn middle_scale(t: &QuantTensor, s_in: f32) -> f32 {
    (0..t.bias.len())
        .find(|&c| t.multiplier[c] != 0)
        .map_or(1.0, |c| {
            let real = t.multiplier[c] as f64 / 2f64.powi(t.shift[c] as i32);
            (s_in as f64 * t.weight_scale[c] as f64 / real) as f32
        })
}

/// The description inside every file, so that the same model always gives the same bytes
/// (the page's download, the CLI's export and `verify`'s copy).
const DESCRIPTION: &str = "int8 model exported by sparse-explorer";

/// The int8 model as a `.tflite` file.
pub fn tflite(model: &QuantModel) -> Result<Vec<u8>> {
    model.check()?;
    let arch = &model.architecture;
    let shapes = arch.output_shapes()?;
    let mut g = Graph {
        buffers: vec![vec![]],
        ..Graph::default()
    };
    let mut s_in = 1.0f32 / 255.0;
    let mut input = Shape::Map(arch.input);
    let mut x = g.activation("input".into(), input, s_in, UNSIGNED_ZERO);
    let first = x;
    let n = arch.layers.len();
    for (i, ((layer, q), &output)) in arch
        .layers
        .iter()
        .zip(&model.layers)
        .zip(&shapes)
        .enumerate()
    {
        let name = format!("layer{}", i + 1);
        let last = i + 1 == n;
        let s_out = model.output_scale[i];
        let zero = if last { 0 } else { UNSIGNED_ZERO };
        let [c, _, _] = input.dims();
        let [oc, _, _] = output.dims();
        match (layer, q) {
            (Layer::Conv(conv), QuantLayer::Weighted(t)) => {
                let k = conv.kernel;
                let (w, b) = g.weights(
                    &name,
                    t,
                    ohwi(&t.weights, oc, c, k),
                    vec![oc as i32, k as i32, k as i32, c as i32],
                    0,
                    s_in,
                );
                let y = g.activation(name, output, s_out, zero);
                g.op(
                    CONV_2D,
                    vec![x, w, b],
                    y,
                    Options::Conv {
                        padding: padding(conv.padding),
                        stride: conv.stride as i32,
                        activation: RELU,
                    },
                );
                x = y;
            }
            (
                Layer::Dwconv(conv),
                QuantLayer::Separable {
                    depthwise,
                    pointwise,
                },
            ) => {
                let k = conv.kernel;
                let s_mid = middle_scale(depthwise, s_in);
                let (w, b) = g.weights(
                    &format!("{name}/depthwise"),
                    depthwise,
                    ohwi(&depthwise.weights, 1, c, k),
                    vec![1, k as i32, k as i32, c as i32],
                    3,
                    s_in,
                );
                let [_, oh, ow] = output.dims();
                let middle =
                    g.activation(format!("{name}/middle"), Shape::Map([c, oh, ow]), s_mid, 0);
                g.op(
                    DEPTHWISE_CONV_2D,
                    vec![x, w, b],
                    middle,
                    Options::Depthwise {
                        padding: padding(conv.padding),
                        stride: conv.stride as i32,
                    },
                );
                let (w, b) = g.weights(
                    &format!("{name}/pointwise"),
                    pointwise,
                    pointwise.weights.clone(),
                    vec![oc as i32, 1, 1, c as i32],
                    0,
                    s_mid,
                );
                let y = g.activation(name, output, s_out, zero);
                g.op(
                    CONV_2D,
                    vec![middle, w, b],
                    y,
                    Options::Conv {
                        padding: VALID,
                        stride: 1,
                        activation: RELU,
                    },
                );
                x = y;
            }
            (Layer::Dense(d), QuantLayer::Weighted(t)) => {
                // Our columns follow the input's channel-first order, TFLite's channel-last.
                let [c, h, w] = input.dims();
                let inputs = c * h * w;
                let mut weights = vec![0i8; t.weights.len()];
                for o in 0..d.units {
                    for ci in 0..c {
                        for yx in 0..h * w {
                            weights[o * inputs + yx * c + ci] =
                                t.weights[o * inputs + ci * h * w + yx];
                        }
                    }
                }
                let (wt, b) = g.weights(
                    &name,
                    t,
                    weights,
                    vec![d.units as i32, inputs as i32],
                    0,
                    s_in,
                );
                let y = g.activation(name, output, s_out, zero);
                g.op(
                    FULLY_CONNECTED,
                    vec![x, wt, b],
                    y,
                    Options::FullyConnected {
                        activation: if last { NO_ACTIVATION } else { RELU },
                    },
                );
                x = y;
            }
            (Layer::Maxpool(p) | Layer::Avgpool(p), QuantLayer::Pool) => {
                let y = g.activation(name, output, s_out, zero);
                g.op(
                    if matches!(layer, Layer::Maxpool(_)) {
                        MAX_POOL_2D
                    } else {
                        AVERAGE_POOL_2D
                    },
                    vec![x],
                    y,
                    Options::Pool {
                        size: p.size as i32,
                        stride: p.stride as i32,
                    },
                );
                x = y;
            }
            _ => {
                return Err(Error::Architecture(format!(
                    "layer {}: parameters of another kind",
                    i + 1
                )));
            }
        }
        s_in = s_out;
        input = output;
    }
    Ok(serialise(&g, first, x, DESCRIPTION))
}

fn padding(p: Padding) -> i8 {
    match p {
        Padding::Same => SAME,
        Padding::Valid => VALID,
    }
}

#[cfg(test)]
mod tests {
    use super::write::slot;
    use super::*;
    use flatbuffers::{ForwardsUOffset, Table, Vector};
    use rand::SeedableRng;

    type Tables<'a> = Vector<'a, ForwardsUOffset<Table<'a>>>;

    /// A table's vector of tables in field `n`.
    fn tables<'a>(table: &Table<'a>, n: u16) -> Tables<'a> {
        // SAFETY (of the unchecked reads): the buffer was just written by `tflite` and each
        // field is read with the type the writer gave it.
        unsafe { table.get::<ForwardsUOffset<Tables<'a>>>(slot(n), None) }.unwrap()
    }

    #[test]
    fn every_layer_kind_becomes_tflite_operators_and_tensors() {
        let arch: sparse_core::Architecture = serde_json::from_str(
            r#"{"input":[1,8,8],"classes":3,"layers":[
                {"conv":{"filters":2,"kernel":3,"padding":"same"}},
                {"dwconv":{"filters":4,"kernel":3,"stride":2,"padding":"same"}},
                {"maxpool":{"size":2,"stride":2}},{"avgpool":{"size":2,"stride":1}},
                {"dense":{"units":5}},{"dense":{"units":3}}]}"#,
        )
        .unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let model = crate::c::tests::random_model(&arch, 0.2, &mut rng);
        let bytes = tflite(&model).unwrap();
        assert_eq!(&bytes[4..8], b"TFL3");
        // SAFETY: as above.
        let root = unsafe { flatbuffers::root_unchecked::<Table>(&bytes) };
        let subgraph = tables(&root, 2).get(0);
        // conv, depthwise + pointwise, two pools, two fully connected.
        let operators = tables(&subgraph, 3);
        assert_eq!(operators.len(), 7);
        let codes: Vec<i32> = tables(&root, 1)
            .iter()
            .map(|c| unsafe { c.get::<i32>(slot(3), None) }.unwrap())
            .collect();
        assert_eq!(codes, [3, 4, 17, 1, 9]);
        // An activation per operator and the input; weights and bias for 5 weighted ops.
        assert_eq!(tables(&subgraph, 0).len(), 1 + 7 + 2 * 5);
        // The sentinel and one buffer per weight and bias tensor.
        assert_eq!(tables(&root, 4).len(), 1 + 2 * 5);
    }

    #[test]
    fn weights_move_from_channel_first_to_channel_last() {
        // 1 output, 2 channels, 2×2: ours [o][c][y][x], TFLite's [o][y][x][c].
        let ours: Vec<i8> = (0..8).collect();
        assert_eq!(ohwi(&ours, 1, 2, 2), [0, 4, 1, 5, 2, 6, 3, 7]);
    }
}
