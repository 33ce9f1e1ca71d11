//! The int8 model checked: the padded convolution against a bounds-tested one, fixed-point
//! multipliers, rounding, logits and probabilities against the float network, and damaged,
//! overflowing or too wide models refused.

use super::evaluate::{Range, conv_int};
use super::*;
use crate::architecture::Conv;

/// The convolution as first written: every tap tests its bounds (the evaluator's reference).
fn conv_int_reference(
    input: &[i32],
    [c, h, w]: [usize; 3],
    conv: &Conv,
    groups: usize,
    q: &QuantTensor,
    range: Range,
) -> (Vec<i32>, [usize; 3]) {
    let (oh, (top, _)) = conv.output_side(h).expect("validated");
    let (ow, (left, _)) = conv.output_side(w).expect("validated");
    let outputs = q.bias.len();
    let k = conv.kernel;
    let in_per_group = c / groups;
    let out_per_group = outputs / groups;
    let mut out = vec![0; outputs * oh * ow];
    for co in 0..outputs {
        let g = co / out_per_group;
        let weights = &q.weights[co * in_per_group * k * k..(co + 1) * in_per_group * k * k];
        for oy in 0..oh {
            for ox in 0..ow {
                let mut acc = q.bias[co];
                for ci in 0..in_per_group {
                    let channel = g * in_per_group + ci;
                    for ky in 0..k {
                        let iy = (oy * conv.stride + ky) as isize - top as isize;
                        if iy < 0 || iy >= h as isize {
                            continue;
                        }
                        for kx in 0..k {
                            let ix = (ox * conv.stride + kx) as isize - left as isize;
                            if ix < 0 || ix >= w as isize {
                                continue;
                            }
                            let v = input[(channel * h + iy as usize) * w + ix as usize];
                            acc += weights[(ci * k + ky) * k + kx] as i32 * v;
                        }
                    }
                }
                out[(co * oh + oy) * ow + ox] =
                    range.clamp(requantize(acc, q.multiplier[co], q.shift[co]));
            }
        }
    }
    (out, [outputs, oh, ow])
}

#[test]
fn the_padded_convolution_equals_the_bounds_tested_one() {
    use crate::architecture::Padding;
    let mut seed = 7u64;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) % n) as i64
    };
    for case in 0..200 {
        let groups_are_channels = case % 3 == 0;
        let c = 1 + next(4) as usize;
        let (h, w) = (3 + next(8) as usize, 3 + next(8) as usize);
        let conv = Conv {
            filters: if groups_are_channels {
                c
            } else {
                1 + next(5) as usize
            },
            kernel: [1, 3, 5][next(3) as usize].min(h).min(w),
            stride: 1 + next(2) as usize,
            padding: if next(2) == 0 {
                Padding::Same
            } else {
                Padding::Valid
            },
            density: None,
        };
        let groups = if groups_are_channels { c } else { 1 };
        let taps = c / groups * conv.kernel * conv.kernel;
        let q = QuantTensor {
            // A third of the weights pruned to zero, as SpVD leaves them.
            weights: (0..conv.filters * taps)
                .map(|_| {
                    if next(3) == 0 {
                        0
                    } else {
                        (next(255) - 127) as i8
                    }
                })
                .collect(),
            bias: (0..conv.filters)
                .map(|_| next(2001) as i32 - 1000)
                .collect(),
            multiplier: (0..conv.filters)
                .map(|_| (1 << 30) + next(1 << 30) as i32)
                .collect(),
            shift: (0..conv.filters).map(|_| 8 + next(8) as u8).collect(),
            weight_scale: vec![1.0; conv.filters],
        };
        let input: Vec<i32> = (0..c * h * w).map(|_| next(256) as i32).collect();
        for range in [Range::Unsigned, Range::Signed] {
            assert_eq!(
                conv_int(&input, [c, h, w], &conv, groups, &q, range),
                conv_int_reference(&input, [c, h, w], &conv, groups, &q, range),
                "case {case}: {conv:?} over {c}×{h}×{w}, {groups} groups"
            );
        }
    }
}

#[test]
fn fixed_point_represents_multipliers_closely() {
    for real in [1e-6, 3.7e-4, 0.0123, 0.5, 0.99, 1.0, 7.25, 300.0] {
        let (m, shift) = fixed_point(real);
        assert!((1 << 30..=i32::MAX).contains(&m), "{real}: {m}");
        let back = m as f64 / 2f64.powi(shift as i32);
        assert!((back - real).abs() / real < 1e-8, "{real} → {back}");
    }
    assert_eq!(fixed_point(0.0), (0, 0));
}

#[test]
fn requantize_rounds_as_tensorflow_lite_does() {
    // 0.5 is 2^30·2^-31: the doubling high multiply alone, whose ties go up.
    let (m, s) = fixed_point(0.5);
    assert_eq!(requantize(5, m, s), 3);
    assert_eq!(requantize(-5, m, s), -2);
    assert_eq!(requantize(1000, m, s), 500);
    let (m, s) = fixed_point(0.1);
    assert_eq!(requantize(1234, m, s), 123);
    assert_eq!(requantize(-1235, m, s), -124);
    assert_eq!(requantize(i32::MAX, m, s), 214_748_365);
    // Two roundings: 0.3 is stored as 1288490189·2^-32. For -2998 the exact product is
    // -899.4000001; the doubling high multiply rounds it, in halves, to -1799 (-899.5), and the
    // division by 2 takes that tie away from zero: -900, where one rounding gives -899.
    let (m, s) = fixed_point(0.3);
    assert_eq!((m, s), (1_288_490_189, 32));
    assert_eq!(requantize(-2998, m, s), -900);
    assert_eq!(requantize(5, m, s), 2);
    assert_eq!(requantize(7, m, s), 2);
    // A multiplier above one shifts the accumulator left first.
    let (m, s) = fixed_point(3.0);
    assert_eq!(requantize(7, m, s), 21);
    assert_eq!(requantize(0, 0, 0), 0);
}

/// A 1×3×3 input, conv 2×2×2 → maxpool 2 → dense 2, with weights chosen by hand.
fn tiny() -> (Architecture, Vec<FloatLayer>) {
    let arch: Architecture = serde_json::from_str(
        r#"{"input":[1,3,3],"classes":2,"layers":[
          {"conv":{"filters":2,"kernel":2}},{"maxpool":{"size":2,"stride":2}},
          {"dense":{"units":2}}]}"#,
    )
    .unwrap();
    let layers = vec![
        FloatLayer::Weighted(FloatTensor {
            weight: vec![1.0, 0.5, -0.5, 0.25, -1.0, 0.0, 0.5, 1.0],
            bias: vec![0.1, 0.0],
        }),
        FloatLayer::Pool,
        FloatLayer::Weighted(FloatTensor {
            weight: vec![1.0, -1.0, -0.5, 2.0],
            bias: vec![0.0, -0.2],
        }),
    ];
    (arch, layers)
}

/// The float forward pass of [`tiny`], written out.
fn tiny_float(pixels: &[u8]) -> (Vec<f32>, Vec<f32>) {
    let x: Vec<f32> = pixels.iter().map(|&p| p as f32 / 255.0).collect();
    let (_, layers) = tiny();
    let FloatLayer::Weighted(conv) = &layers[0] else {
        unreachable!()
    };
    let mut pooled = vec![];
    for c in 0..2 {
        let mut best = f32::MIN;
        for oy in 0..2 {
            for ox in 0..2 {
                let mut acc = conv.bias[c];
                for ky in 0..2 {
                    for kx in 0..2 {
                        acc += conv.weight[c * 4 + ky * 2 + kx] * x[(oy + ky) * 3 + ox + kx];
                    }
                }
                best = best.max(acc.max(0.0));
            }
        }
        pooled.push(best);
    }
    let FloatLayer::Weighted(dense) = &layers[2] else {
        unreachable!()
    };
    let logits = (0..2)
        .map(|o| {
            dense.bias[o] + dense.weight[o * 2] * pooled[0] + dense.weight[o * 2 + 1] * pooled[1]
        })
        .collect();
    (pooled, logits)
}

#[test]
fn int8_logits_track_the_float_network() {
    let (arch, layers) = tiny();
    let images: Vec<Vec<u8>> = (0..20u32)
        .map(|i| (0..9).map(|j| ((i * 37 + j * 53) % 256) as u8).collect())
        .collect();
    let mut pooled_max = 0f32;
    let mut logit_max = 0f32;
    for img in &images {
        let (pooled, logits) = tiny_float(img);
        pooled_max = pooled.iter().fold(pooled_max, |m, v| m.max(*v));
        logit_max = logits.iter().fold(logit_max, |m, v| m.max(v.abs()));
    }
    let calibration = Calibration {
        output_max: vec![pooled_max, pooled_max, logit_max],
        middle_max: vec![None; 3],
    };
    let model = quantize(&arch, &layers, &calibration).unwrap();
    for img in &images {
        let (_, float) = tiny_float(img);
        let ints = model.logits(img);
        for (f, q) in float.iter().zip(&ints) {
            let back = *q as f32 * model.output_scale[2];
            assert!((back - f).abs() < 0.03, "float {f}, int8 {back}");
        }
    }
    let json = serde_json::to_string(&model).unwrap();
    assert_eq!(serde_json::from_str::<QuantModel>(&json).unwrap(), model);
}

#[test]
fn probabilities_are_the_softmax_of_the_scaled_int8_logits() {
    let (arch, layers) = tiny();
    let calibration = Calibration {
        output_max: vec![2.0, 2.0, 3.0],
        middle_max: vec![None; 3],
    };
    let model = quantize(&arch, &layers, &calibration).unwrap();
    for i in 0..20u32 {
        let img: Vec<u8> = (0..9).map(|j| ((i * 37 + j * 53) % 256) as u8).collect();
        let p = model.probabilities(&img);
        let logits = model.logits(&img);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert_eq!(argmax_f32(&p), model.predict(&img));
        // Their ratio is the exponent of the logits' difference at the output scale.
        let (a, b) = (0, 1);
        let expected = ((logits[a] - logits[b]) as f32 * model.output_scale[2]).exp();
        assert!((p[a] / p[b] - expected).abs() < 1e-3 * expected.max(1.0));
    }
}

fn argmax_f32(p: &[f32]) -> usize {
    (0..p.len())
        .max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a)))
        .unwrap()
}

#[test]
fn check_accepts_a_quantised_model_and_names_a_damaged_layer() {
    let (arch, layers) = tiny();
    let calibration = Calibration {
        output_max: vec![1.0; 3],
        middle_max: vec![None; 3],
    };
    let mut model = quantize(&arch, &layers, &calibration).unwrap();
    model.check().unwrap();
    if let QuantLayer::Weighted(t) = &mut model.layers[2] {
        t.weights.pop();
    }
    assert_eq!(
        model.check().unwrap_err().to_string(),
        "invalid architecture: layer 3, dense 2, needs 4 weights and 2 channel constants, \
         but holds 3 weights and 2 biases"
    );
    model.layers.pop();
    assert!(
        model
            .check()
            .unwrap_err()
            .to_string()
            .contains("has 2 layers")
    );
}

#[test]
fn check_refuses_a_model_whose_accumulators_overflow_int32() {
    // An edited model file once exported C with undefined behaviour and made verify panic.
    let (arch, layers) = tiny();
    let calibration = Calibration {
        output_max: vec![1.0; 3],
        middle_max: vec![None; 3],
    };
    let mut model = quantize(&arch, &layers, &calibration).unwrap();
    if let QuantLayer::Weighted(t) = &mut model.layers[2] {
        t.bias[1] = i32::MAX - 10;
    }
    let error = model.check().unwrap_err().to_string();
    assert!(
        error.starts_with(
            "invalid architecture: layer 3, dense 2, can overflow its int32 accumulators"
        ),
        "{error}"
    );
}

#[test]
fn mismatched_parameters_are_refused() {
    let (arch, mut layers) = tiny();
    layers.swap(0, 1);
    let calibration = Calibration {
        output_max: vec![1.0; 3],
        middle_max: vec![None; 3],
    };
    let err = quantize(&arch, &layers, &calibration).unwrap_err();
    assert!(err.to_string().contains("layer 1, conv 2×2×2"), "{err}");
}

#[test]
fn a_layer_too_wide_for_int32_is_refused_by_name() {
    // 70,000 inputs × 127 × 255 exceeds 2^31.
    let arch: Architecture = serde_json::from_str(
        r#"{"input":[1,7,10000],"classes":2,"layers":[{"dense":{"units":2}}]}"#,
    )
    .unwrap();
    let layers = vec![FloatLayer::Weighted(FloatTensor {
        weight: vec![0.5; 140_000],
        bias: vec![0.0; 2],
    })];
    let calibration = Calibration {
        output_max: vec![1.0],
        middle_max: vec![None],
    };
    let err = quantize(&arch, &layers, &calibration).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid architecture: layer 1, dense 2, is too wide for int32 accumulators"
    );
}
