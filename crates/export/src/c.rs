//! Writes the int8 model as C99: `model.h` (the API and sizes) and `model.c` (the kernels
//! this model uses, its weights as `const` arrays, one static arena, and the layer calls).

use crate::layout::{Layout, layout};
use crate::storage::Stored;
use sparse_core::architecture::Shape;
use sparse_core::cost::CHANNEL_BYTES;
use sparse_core::quant::{QuantLayer, QuantModel, QuantTensor};
use sparse_core::{Error, Layer, Result};
use std::fmt::Write;

const PRELUDE: &str = include_str!("../c/prelude.c");
const CONV: &str = include_str!("../c/conv.c");
const POINTWISE: &str = include_str!("../c/pointwise.c");
const DENSE: &str = include_str!("../c/dense.c");
const CLASSIFIER: &str = include_str!("../c/classifier.c");
const MAXPOOL: &str = include_str!("../c/maxpool.c");
const AVGPOOL: &str = include_str!("../c/avgpool.c");

/// The C dialect and warnings the generated code compiles cleanly under, on every target.
pub const STRICT_C99: [&str; 5] = ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror"];

/// The generated C and what it occupies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CModel {
    /// `model.h`.
    pub header: String,
    /// `model.c`.
    pub source: String,
    /// Bytes of `const` arrays: stored weights plus per-channel bias, multiplier and shift.
    pub weight_bytes: usize,
    /// Bytes of the static activation arena.
    pub arena_bytes: usize,
}

/// The C names and flash bytes of one tensor's arrays.
struct TensorArrays {
    /// `values, mask, bias, multiplier, shift` as call arguments (`NULL` for an absent array).
    arguments: String,
    bytes: usize,
}

/// Emits one `const` array in flash, `count` values per line.
fn array<T: std::fmt::Display>(out: &mut String, c_type: &str, name: &str, values: &[T]) {
    let _ = writeln!(
        out,
        "static const {c_type} {name}[{}] MODEL_FLASH = {{",
        values.len()
    );
    for chunk in values.chunks(20) {
        let line: Vec<String> = chunk.iter().map(|v| v.to_string()).collect();
        let _ = writeln!(out, "    {},", line.join(", "));
    }
    out.push_str("};\n");
}

/// Emits the arrays of one tensor named `prefix`.
fn tensor_arrays(out: &mut String, prefix: &str, tensor: &QuantTensor) -> TensorArrays {
    let stored = Stored::choose(&tensor.weights);
    let (values, mask) = match &stored {
        Stored::Dense(values) => (values, None),
        Stored::Sparse { values, mask } => (values, Some(mask)),
    };
    let values_name = if values.is_empty() {
        "NULL".to_string()
    } else {
        array(out, "int8_t", &format!("{prefix}_w"), values);
        format!("{prefix}_w")
    };
    let mask_name = match mask {
        Some(mask) => {
            array(out, "uint8_t", &format!("{prefix}_mask"), mask);
            format!("{prefix}_mask")
        }
        None => "NULL".to_string(),
    };
    array(out, "int32_t", &format!("{prefix}_bias"), &tensor.bias);
    array(
        out,
        "int32_t",
        &format!("{prefix}_mult"),
        &tensor.multiplier,
    );
    array(out, "uint8_t", &format!("{prefix}_shift"), &tensor.shift);
    TensorArrays {
        arguments: format!(
            "{values_name}, {mask_name}, {prefix}_bias, {prefix}_mult, {prefix}_shift"
        ),
        bytes: stored.bytes() + tensor.bias.len() * CHANNEL_BYTES as usize,
    }
}

/// A shape as `CxHxW` or `N`, for comments.
fn shape_text(shape: Shape) -> String {
    match shape {
        Shape::Map([c, h, w]) => format!("{c}x{h}x{w}"),
        Shape::Flat([n]) => n.to_string(),
    }
}

/// Writes `model.h` and `model.c` for `model`; `title` names it in their comments.
pub fn generate(model: &QuantModel, title: &str) -> Result<CModel> {
    model.check()?;
    let arch = &model.architecture;
    if !matches!(arch.layers.last(), Some(Layer::Dense(_))) {
        return Err(Error::Architecture(
            "the C export needs a dense last layer".into(),
        ));
    }
    let shapes = arch.output_shapes()?;
    let Layout {
        arena_bytes,
        layers: regions,
    } = layout(arch)?;
    let title = title.replace(|c: char| !c.is_ascii() || c == '*', "?");

    let mut weights = String::new();
    let mut calls = String::new();
    let mut weight_bytes = 0;
    let mut kernels = [false; 6];
    let mut input = Shape::Map(arch.input);
    let at = |offset: usize| format!("arena + {offset}");
    for (i, ((layer, q), (&output, regions))) in arch
        .layers
        .iter()
        .zip(&model.layers)
        .zip(shapes.iter().zip(&regions))
        .enumerate()
    {
        let n = i + 1;
        let description = layer.describe().replace('×', "x");
        let [c, h, w] = input.dims();
        let [oc, oh, ow] = output.dims();
        let _ = writeln!(
            calls,
            "    /* layer {n}: {description}, {} -> {} */",
            shape_text(input),
            shape_text(output)
        );
        let _ = writeln!(weights, "\n/* layer {n}: {description} */");
        let src = at(regions.input.offset);
        let dst = regions.output.map(|r| at(r.offset));
        match (layer, q) {
            (Layer::Conv(conv), QuantLayer::Weighted(t)) => {
                let arrays = tensor_arrays(&mut weights, &format!("l{n}"), t);
                weight_bytes += arrays.bytes;
                let (_, (top, _)) = conv.output_side(h).expect("checked");
                let (_, (left, _)) = conv.output_side(w).expect("checked");
                kernels[0] = true;
                let _ = writeln!(
                    calls,
                    "    conv({src}, {c}, {h}, {w}, {}, {oc}, {oh}, {ow}, {}, {}, {top}, {left}, 0,\n         {});",
                    dst.expect("a conv is never last"),
                    conv.kernel,
                    conv.stride,
                    arrays.arguments
                );
            }
            (
                Layer::Dwconv(conv),
                QuantLayer::Separable {
                    depthwise,
                    pointwise,
                },
            ) => {
                let dw = tensor_arrays(&mut weights, &format!("l{n}_dw"), depthwise);
                let pw = tensor_arrays(&mut weights, &format!("l{n}_pw"), pointwise);
                weight_bytes += dw.bytes + pw.bytes;
                let (_, (top, _)) = conv.output_side(h).expect("checked");
                let (_, (left, _)) = conv.output_side(w).expect("checked");
                let middle = at(regions.middle.expect("a dwconv has a middle").offset);
                kernels[0] = true;
                kernels[1] = true;
                let _ = writeln!(
                    calls,
                    "    conv({src}, {c}, {h}, {w}, {middle}, {c}, {oh}, {ow}, {}, {}, {top}, {left}, 1,\n         {});",
                    conv.kernel, conv.stride, dw.arguments
                );
                let _ = writeln!(
                    calls,
                    "    pointwise((const int8_t *)({middle}), {c}, {}, {}, {oc},\n              {});",
                    oh * ow,
                    dst.expect("a dwconv is never last"),
                    pw.arguments
                );
            }
            (Layer::Dense(d), QuantLayer::Weighted(t)) => {
                let arrays = tensor_arrays(&mut weights, &format!("l{n}"), t);
                weight_bytes += arrays.bytes;
                let inputs = input.elements();
                match dst {
                    Some(dst) => {
                        kernels[2] = true;
                        let _ = writeln!(
                            calls,
                            "    dense({src}, {inputs}, {dst}, {},\n          {});",
                            d.units, arrays.arguments
                        );
                    }
                    None => {
                        kernels[3] = true;
                        let _ = writeln!(
                            calls,
                            "    return classifier({src}, {inputs}, {}, logits,\n                      {});",
                            d.units, arrays.arguments
                        );
                    }
                }
            }
            (Layer::Maxpool(p) | Layer::Avgpool(p), QuantLayer::Pool) => {
                let (name, k) = match layer {
                    Layer::Maxpool(_) => ("maxpool", 4),
                    _ => ("avgpool", 5),
                };
                kernels[k] = true;
                let _ = writeln!(weights, "/* (no parameters) */");
                let _ = writeln!(
                    calls,
                    "    {name}({src}, {c}, {h}, {w}, {}, {oh}, {ow}, {}, {});",
                    dst.expect("a pool is never last"),
                    p.size,
                    p.stride
                );
            }
            _ => unreachable!("QuantModel::check matched every layer's kind"),
        }
        if n < arch.layers.len() {
            let _ = writeln!(calls, "    MODEL_LAYER_DONE({n});");
        }
        input = output;
    }

    let [c, h, w] = arch.input;
    let header = format!(
        "/* model.h: {title}, exported by sparse-explorer.\n \
          * Integer-only int8 inference: no malloc, no floating point. See model.c. */\n\
         #ifndef MODEL_H\n#define MODEL_H\n\n#include <stdint.h>\n\n\
         #ifdef __cplusplus\nextern \"C\" {{\n#endif\n\n\
         /* The input: raw 0-255 pixels in channel-height-width order. */\n\
         #define MODEL_INPUT_CHANNELS {c}UL\n#define MODEL_INPUT_HEIGHT {h}UL\n\
         #define MODEL_INPUT_WIDTH {w}UL\n#define MODEL_INPUT_SIZE {}UL\n\
         /* Number of classes: model_predict returns 0 .. MODEL_CLASSES - 1. */\n\
         #define MODEL_CLASSES {}UL\n\
         /* Layers, the last being the dense classifier. */\n\
         #define MODEL_LAYERS {}UL\n\
         /* SRAM of the one static activation arena (the cost model's working memory). */\n\
         #define MODEL_ARENA_BYTES {arena_bytes}UL\n\
         /* Flash of the weights and per-channel constants (code not included). */\n\
         #define MODEL_WEIGHT_BYTES {weight_bytes}UL\n\n\
         /* The start of the arena, MODEL_INPUT_SIZE bytes long: write an image here and pass\n \
         * it to model_predict to save a copy (and an input buffer's worth of SRAM). */\n\
         uint8_t *model_input(void);\n\n\
         /* Classifies one image: returns the index of the largest logit (the first on ties). */\n\
         int model_predict(const uint8_t *input);\n\n\
         /* As model_predict, also storing the MODEL_CLASSES logits (int8 codes, -128..127, at the\n \
         * last layer's scale) when logits is not NULL. */\n\
         int model_logits(const uint8_t *input, int32_t *logits);\n\n\
         #ifdef __cplusplus\n}}\n#endif\n\n#endif\n",
        c * h * w,
        arch.classes,
        arch.layers.len(),
    );

    let largest_tensor = model
        .layers
        .iter()
        .flat_map(QuantLayer::tensors)
        .map(|t| t.weights.len())
        .max()
        .unwrap_or(0);
    let mut source = format!(
        "/* model.c: {title}, exported by sparse-explorer.\n \
          * {} layers; weights {weight_bytes} bytes of flash, activations {arena_bytes} bytes of SRAM. */\n\
         \n/* The largest activation size or index the kernels compute (the arena's), and the\n \
          * most weights in one tensor. */\n\
         #define MODEL_LARGEST_INDEX {arena_bytes}UL\n#define MODEL_LARGEST_TENSOR {largest_tensor}UL\n",
        arch.layers.len(),
    );
    source.push_str(PRELUDE);
    let kernel_code = [CONV, POINTWISE, DENSE, CLASSIFIER, MAXPOOL, AVGPOOL];
    for (used, code) in kernels.iter().zip(kernel_code) {
        if *used {
            source.push_str(code);
        }
    }
    source.push_str(&weights);
    source.push_str(
        "\n/* Every layer's activations, each input at one end and its output at the other. */\n",
    );
    source.push_str("static uint8_t arena[MODEL_ARENA_BYTES];\n\n");
    source.push_str("uint8_t *model_input(void)\n{\n    return arena;\n}\n\n");
    source.push_str("int model_logits(const uint8_t *input, int32_t *logits)\n{\n");
    source.push_str(
        "    if (input != arena) {\n        memcpy(arena, input, MODEL_INPUT_SIZE);\n    }\n",
    );
    source.push_str(&calls);
    source.push_str("}\n\n");
    source.push_str(
        "int model_predict(const uint8_t *input)\n{\n    return model_logits(input, NULL);\n}\n",
    );
    Ok(CModel {
        header,
        source,
        weight_bytes,
        arena_bytes,
    })
}

#[cfg(test)]
pub(crate) mod tests;
