//! Runs in headless Chromium (`cargo xtask test`): the worker protocol through the page's
//! serde-wasm-bindgen codec, and the compute crates as they run inside the worker (IDX parsing and a
//! real candle training run compiled to wasm32 with simd128).
#![cfg(target_arch = "wasm32")]

use sparse_core::quant::{Calibration, QuantModel, quantize};
use sparse_core::{Architecture, Dataset, ImageShape, idx::parse_idx_pair};
use sparse_core::{FloatModel, TrialRecord};
use sparse_train::Network;
use sparse_train::{TrainConfig, Trainer, evaluate};
use sparse_web::codec::JsCodec;
use sparse_web::protocol::{
    CurvePoint, DatasetInfo, FromWorker, Sample, TeacherJob, ToWorker, TrialJob,
};
use sparse_web::upload::UploadedFile;
use wasm_bindgen_test::*;
use yew_agent::Codec;

wasm_bindgen_test_configure!(run_in_browser);

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(value: &T) -> T {
    JsCodec::decode(JsCodec::encode(value))
}

/// The skeleton's freshly initialised weights as plain data.
fn skeleton_model() -> FloatModel {
    Network::new(&Architecture::skeleton(), 1, &candle_core::Device::Cpu)
        .unwrap()
        .to_float_model()
        .unwrap()
}

/// The skeleton's int8 model (random weights, unit calibration ranges).
fn skeleton_int8() -> QuantModel {
    let model = skeleton_model();
    let n = model.layers.len();
    let ranges = Calibration {
        output_max: vec![1.0; n],
        middle_max: vec![Some(1.0); n],
    };
    quantize(&model.architecture, &model.layers, &ranges).unwrap()
}

#[wasm_bindgen_test]
fn every_message_survives_the_codec() {
    let to = vec![
        ToWorker::LoadMnist {
            base_url: "http://127.0.0.1:8080/data/mnist/".into(),
        },
        ToWorker::Train {
            architecture: Architecture::skeleton(),
            config: TrainConfig::default(),
        },
        ToWorker::RunTrial(Box::new(TrialJob {
            id: u64::MAX - 1,
            parent: Some(3),
            architecture: Architecture::skeleton(),
            config: TrainConfig::default(),
            parent_model: Some(skeleton_model()),
            inherits_from: vec![Some(0), None, Some(2)],
            continues: true,
            train_images: Some(3000),
            test_images: None,
            distil: true,
        })),
        ToWorker::TrainTeacher(TeacherJob {
            input: [1, 28, 28],
            classes: 10,
            seed: 7,
            train_images: None,
            test_images: Some(1000),
        }),
        ToWorker::SetTeacher(Box::new(skeleton_model())),
        ToWorker::LoadFiles {
            files: vec![UploadedFile {
                name: "digits.csv".into(),
                bytes: vec![0, 1, 2, 255],
            }],
        },
        ToWorker::Pause,
        ToWorker::Resume,
        ToWorker::Stop,
    ];
    for m in &to {
        assert_eq!(&round_trip(m), m);
    }
    let from = vec![
        FromWorker::Loading {
            loaded_bytes: 10,
            total_bytes: Some(20),
        },
        FromWorker::DatasetReady(Box::new(DatasetInfo {
            name: "MNIST".into(),
            train_images: 2,
            test_images: 1,
            channels: 1,
            height: 2,
            width: 2,
            class_counts: vec![1, 1],
            test_source: "held out".into(),
            samples: vec![Sample {
                pixels: vec![0, 255, 3, 4],
                label: 7,
            }],
        })),
        FromWorker::UploadRejected {
            message: "a.csv: row 3, column 2: not a number".into(),
        },
        FromWorker::Progress {
            point: CurvePoint {
                fraction_done: 0.5,
                loss: 0.25,
                accuracy: 0.9,
            },
            epoch: 1,
            images_per_second: 1500.0,
        },
        FromWorker::Evaluating,
        FromWorker::Finished {
            record: Box::new(TrialRecord::failed(
                0,
                Architecture::skeleton(),
                None,
                "stopped".into(),
            )),
            train_seconds: 30.0,
            images_per_second: 2000.0,
        },
        FromWorker::TrialProgress {
            id: 4,
            point: CurvePoint {
                fraction_done: 0.25,
                loss: 1.5,
                accuracy: 0.5,
            },
        },
        FromWorker::TrialDone {
            record: Box::new(TrialRecord::failed(
                9,
                Architecture::skeleton(),
                None,
                "diverged".into(),
            )),
            model: Some(Box::new(skeleton_model())),
            int8: Some(Box::new(skeleton_int8())),
            confusion: Some(vec![vec![5, 1], vec![0, 7]]),
        },
        FromWorker::Preparing { fraction_done: 0.5 },
        FromWorker::TeacherProgress {
            fraction_done: 0.75,
        },
        FromWorker::TeacherReady {
            model: Box::new(skeleton_model()),
            validation_accuracy: 0.99,
            seconds: 70.0,
        },
        FromWorker::Stopped,
        FromWorker::Failed {
            message: "x".into(),
        },
    ];
    for m in &from {
        assert_eq!(&round_trip(m), m);
    }
}

#[wasm_bindgen_test]
fn idx_parser_rejects_a_truncated_file_in_wasm() {
    let mut images = 0x0803u32.to_be_bytes().to_vec();
    for d in [2u32, 2, 2] {
        images.extend(d.to_be_bytes());
    }
    images.extend([1, 2, 3]);
    let mut labels = 0x0801u32.to_be_bytes().to_vec();
    labels.extend(2u32.to_be_bytes());
    labels.extend([0, 1]);
    let err = parse_idx_pair(&images, &labels).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
}

/// Vertical bar (class 0) against horizontal bar (class 1) on 8×8 images.
fn bars(n: usize) -> Dataset {
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for i in 0..n {
        let label = (i % 2) as u8;
        let at = 1 + (i / 2) % 6;
        for r in 0..8 {
            for c in 0..8 {
                let on = if label == 0 { c == at } else { r == at };
                pixels.push(if on { 255 } else { ((i + r * c) % 40) as u8 });
            }
        }
        labels.push(label);
    }
    let shape = ImageShape {
        channels: 1,
        height: 8,
        width: 8,
    };
    Dataset::new(shape, pixels, labels).unwrap()
}

#[wasm_bindgen_test]
fn candle_trains_a_small_cnn_in_wasm() {
    let arch: Architecture = serde_json::from_str(
        r#"{"input":[1,8,8],"classes":2,"layers":[
          {"conv":{"filters":4,"kernel":3}},{"maxpool":{"size":2,"stride":2}},
          {"dense":{"units":2}}]}"#,
    )
    .unwrap();
    let data = bars(96);
    let config = TrainConfig {
        epochs: 6,
        batch_size: 16,
        learning_rate: 0.02,
        seed: 5,
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(&arch, &data, config).unwrap();
    let first = trainer.step(&data).unwrap().unwrap().loss;
    let mut last = first;
    while let Some(report) = trainer.step(&data).unwrap() {
        last = report.loss;
    }
    assert!(last < first * 0.5, "loss went from {first} to {last}");
    assert!(evaluate(trainer.network(), &data).unwrap() > 0.95);
}
