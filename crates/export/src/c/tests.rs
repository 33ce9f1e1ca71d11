//! The C export checked by host gcc: every kernel, sparse tensors and padding against the Rust
//! evaluator exactly, a dense-only model, and sizes against the cost model.

use super::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sparse_core::Architecture;
use sparse_core::quant::{Calibration, FloatLayer, FloatTensor, quantize};
use std::path::PathBuf;
use std::process::Command;

/// An int8 model of random float parameters for `arch`, with about `zeros` of every tensor's
/// weights zero (also used by the TFLite writer's tests).
pub(crate) fn random_model(arch: &Architecture, zeros: f64, rng: &mut StdRng) -> QuantModel {
    let shapes = arch.output_shapes().unwrap();
    let mut input = Shape::Map(arch.input);
    let mut tensor = |(weights, channels): (usize, usize)| FloatTensor {
        weight: (0..weights)
            .map(|_| match rng.random_bool(zeros) {
                true => 0.0,
                false => rng.random_range(-1.0..1.0),
            })
            .collect(),
        bias: (0..channels).map(|_| rng.random_range(-0.2..0.2)).collect(),
    };
    let mut layers = vec![];
    for (layer, &output) in arch.layers.iter().zip(&shapes) {
        let sizes = sparse_core::quant::tensor_sizes(layer, input, output);
        layers.push(match (layer, sizes.as_slice()) {
            (Layer::Dwconv(_), &[dw, pw]) => FloatLayer::Separable {
                depthwise: tensor(dw),
                pointwise: tensor(pw),
            },
            (_, &[t]) => FloatLayer::Weighted(tensor(t)),
            _ => FloatLayer::Pool,
        });
        input = output;
    }
    let n = arch.layers.len();
    let calibration = Calibration {
        output_max: (0..n).map(|i| 1.0 + i as f32).collect(),
        middle_max: arch
            .layers
            .iter()
            .map(|l| matches!(l, Layer::Dwconv(_)).then_some(1.5))
            .collect(),
    };
    quantize(arch, &layers, &calibration).unwrap()
}

/// Compiles `model` with the host's C compiler, warnings as errors, runs it on `images`
/// and returns each image's printed class and logits.
fn run_on_host(model: &QuantModel, images: &[Vec<u8>], name: &str) -> Vec<Vec<i64>> {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("sparse-export-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let c = generate(model, name).unwrap();
    std::fs::write(dir.join("model.h"), &c.header).unwrap();
    std::fs::write(dir.join("model.c"), &c.source).unwrap();
    let pixels: Vec<String> = images.iter().flatten().map(|p| p.to_string()).collect();
    let main = format!(
        "#include <stdio.h>\n#include \"model.h\"\n\
         static const uint8_t images[] = {{{}}};\n\
         int main(void) {{\n  int32_t logits[MODEL_CLASSES];\n  unsigned i, k;\n\
           for (i = 0; i < {}; i++) {{\n\
             printf(\"%d\", model_logits(images + i * MODEL_INPUT_SIZE, logits));\n\
             for (k = 0; k < MODEL_CLASSES; k++) printf(\" %ld\", (long)logits[k]);\n\
             printf(\"\\n\");\n  }}\n  return 0;\n}}\n",
        pixels.join(","),
        images.len()
    );
    std::fs::write(dir.join("main.c"), main).unwrap();
    let build = Command::new("cc")
        .args(STRICT_C99)
        .args(["-O2", "model.c", "main.c", "-o", "model"])
        .current_dir(&dir)
        .output()
        .expect("a host C compiler (cc)");
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let run = Command::new(dir.join("model")).output().unwrap();
    assert!(run.status.success());
    std::fs::remove_dir_all(&dir).unwrap();
    String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split(' ').map(|v| v.parse().unwrap()).collect())
        .collect()
}

fn check_against_rust(arch: &str, zeros: f64, seed: u64) {
    let arch: Architecture = serde_json::from_str(arch).unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    let model = random_model(&arch, zeros, &mut rng);
    let size = arch.input.iter().product::<usize>();
    let images: Vec<Vec<u8>> = (0..12)
        .map(|_| (0..size).map(|_| rng.random()).collect())
        .collect();
    let c = generate(&model, "sizes").unwrap();
    assert_eq!(
        crate::footprint(&model).unwrap(),
        (c.weight_bytes, c.arena_bytes)
    );
    let from_c = run_on_host(&model, &images, &format!("seed{seed}"));
    for (image, c_line) in images.iter().zip(&from_c) {
        let logits = model.logits(image);
        let class = sparse_core::quant::argmax(&logits) as i64;
        let logits: Vec<i64> = logits.iter().map(|&v| v as i64).collect();
        assert_eq!(c_line[0], class);
        assert_eq!(&c_line[1..], logits.as_slice());
    }
    // Not every logit equal: the images tell the model something.
    assert!(from_c.iter().any(|l| l[1..] != from_c[0][1..]));
}

#[test]
fn every_kernel_in_c_matches_the_rust_evaluator_exactly() {
    check_against_rust(
        r#"{"input":[2,11,9],"classes":4,"layers":[
          {"conv":{"filters":5,"kernel":3,"stride":1,"padding":"valid"}},
          {"maxpool":{"size":2,"stride":2}},
          {"dwconv":{"filters":6,"kernel":3,"stride":2,"padding":"same"}},
          {"avgpool":{"size":2,"stride":1}},
          {"dense":{"units":12}},{"dense":{"units":4}}]}"#,
        0.0,
        1,
    );
}

#[test]
fn sparse_tensors_and_padding_on_both_sides_match_exactly() {
    check_against_rust(
        r#"{"input":[1,12,12],"classes":3,"layers":[
          {"conv":{"filters":4,"kernel":5,"stride":2,"padding":"same"}},
          {"dwconv":{"filters":8,"kernel":4,"stride":1,"padding":"same"}},
          {"dense":{"units":3}}]}"#,
        0.8,
        2,
    );
}

#[test]
fn a_dense_only_model_exports_and_an_all_zero_tensor_passes_null() {
    check_against_rust(
        r#"{"input":[1,4,4],"classes":5,"layers":[{"dense":{"units":5}}]}"#,
        0.0,
        3,
    );
    let arch: Architecture =
        serde_json::from_str(r#"{"input":[1,4,4],"classes":2,"layers":[{"dense":{"units":2}}]}"#)
            .unwrap();
    let model = random_model(&arch, 1.0, &mut StdRng::seed_from_u64(4));
    let c = generate(&model, "zeros").unwrap();
    assert!(
        c.source
            .contains("classifier(arena + 0, 16, 2, logits,\n                      NULL, l1_mask,")
    );
    // 32 zero weights: no values, a 4-byte mask, 2 × 9 bytes of channel constants.
    assert_eq!(c.weight_bytes, 4 + 18);
    assert_eq!(crate::footprint(&model).unwrap(), (4 + 18, 16 + 2));
}

#[test]
fn sizes_match_the_cost_model_when_no_weight_rounds_to_zero() {
    let arch: Architecture = serde_json::from_str(
        r#"{"input":[1,28,28],"classes":10,"layers":[
          {"conv":{"filters":8,"kernel":3,"stride":2,"padding":"valid"}},
          {"maxpool":{"size":2,"stride":2}},{"dense":{"units":10}}]}"#,
    )
    .unwrap();
    let model = random_model(&arch, 0.0, &mut StdRng::seed_from_u64(5));
    let c = generate(&model, "sizes").unwrap();
    let cost = sparse_core::cost::cost(&arch).unwrap();
    assert_eq!(c.arena_bytes as u64, cost.sram_bytes);
    let zeros = model
        .layers
        .iter()
        .flat_map(|l| match l {
            QuantLayer::Weighted(t) => t.weights.clone(),
            _ => vec![],
        })
        .filter(|&w| w == 0)
        .count();
    // A dense tensor keeps its int8 zeros, so the flash is the cost model's exactly.
    assert!(zeros < 50, "{zeros} weights rounded to zero");
    assert_eq!(c.weight_bytes as u64, cost.flash_bytes);
    assert_eq!(
        crate::footprint(&model).unwrap(),
        (c.weight_bytes, c.arena_bytes)
    );
    assert!(
        c.header
            .contains(&format!("#define MODEL_ARENA_BYTES {}UL", cost.sram_bytes))
    );
    assert!(c.header.contains("#define MODEL_INPUT_SIZE 784UL"));
    assert!(c.header.contains("#define MODEL_CLASSES 10UL"));
}
