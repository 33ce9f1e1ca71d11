//! On real MNIST: a network trained for one epoch keeps its accuracy within half a point
//! after int8 quantisation, for a plain CNN and for one with a dwconv and an average pool.

mod common;

use common::mnist;
use sparse_core::Architecture;
use sparse_train::{TrainConfig, Trainer, evaluate, quantize};

fn float_and_int8_accuracy(json: &str) -> (f64, f64) {
    let arch: Architecture = serde_json::from_str(json).unwrap();
    let train = mnist("train").head(20_000);
    let test = mnist("t10k");
    let mut trainer = Trainer::new(&arch, &train, TrainConfig::default()).unwrap();
    while trainer.step(&train).unwrap().is_some() {}
    let float = evaluate(trainer.network(), &test).unwrap();
    let model = quantize(trainer.network(), &train, 1000).unwrap();
    (float, model.accuracy(&test))
}

#[test]
fn int8_accuracy_stays_within_half_a_point_of_float() {
    let (float, int8) = float_and_int8_accuracy(
        r#"{"input":[1,28,28],"classes":10,"layers":[
          {"conv":{"filters":4,"kernel":3,"stride":2,"padding":"same"}},
          {"conv":{"filters":8,"kernel":3}},{"maxpool":{"size":2,"stride":2}},
          {"dense":{"units":10}}]}"#,
    );
    eprintln!("float {float:.4}, int8 {int8:.4}");
    assert!(float > 0.93, "float accuracy {float}");
    assert!((float - int8).abs() <= 0.005, "float {float}, int8 {int8}");
}

#[test]
fn int8_handles_dwconv_and_average_pooling() {
    let (float, int8) = float_and_int8_accuracy(
        r#"{"input":[1,28,28],"classes":10,"layers":[
          {"conv":{"filters":6,"kernel":3,"stride":2,"padding":"same"}},
          {"dwconv":{"filters":12,"kernel":3,"padding":"same"}},
          {"avgpool":{"size":2,"stride":2}},{"dense":{"units":24}},
          {"dense":{"units":10}}]}"#,
    );
    eprintln!("float {float:.4}, int8 {int8:.4}");
    // A third of an epoch: it learns, if not yet well (about 90%).
    assert!(float > 0.85, "float accuracy {float}");
    assert!((float - int8).abs() <= 0.005, "float {float}, int8 {int8}");
}
