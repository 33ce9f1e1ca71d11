//! The network checked: the skeleton's parameters and output, a ReLU moved after its max pool
//! changing nothing, architectures too large to hold refused, seeds, and every layer kind built and
//! run.

use super::*;

#[test]
fn skeleton_has_the_expected_parameters_and_output() {
    let net = Network::new(&Architecture::skeleton(), 7, &Device::Cpu).unwrap();
    // conv 8·1·9+8, conv 16·8·9+16, dense 10·400+10
    assert_eq!(net.parameter_count(), 80 + 1168 + 4010);
    let x = Tensor::zeros((3, 1, 28, 28), DType::F32, &Device::Cpu).unwrap();
    assert_eq!(net.forward(&x).unwrap().dims(), &[3, 10]);
}

#[test]
fn a_relu_moved_after_its_max_pool_changes_neither_output_nor_gradients() {
    // conv → maxpool → dwconv → maxpool → dense, and layer by layer (as calibration runs).
    let arch: Architecture = serde_json::from_str(
        r#"{"input":[1,12,12],"classes":3,"layers":[
          {"conv":{"filters":4,"kernel":3}},{"maxpool":{"size":2,"stride":2}},
          {"dwconv":{"filters":6,"kernel":3}},{"maxpool":{"size":2,"stride":2}},
          {"dense":{"units":3}}]}"#,
    )
    .unwrap();
    let net = Network::new(&arch, 5, &Device::Cpu).unwrap();
    let x = Tensor::rand(0f32, 1.0, (4, 1, 12, 12), &Device::Cpu).unwrap();
    let whole = net.forward(&x).unwrap();
    let by_layer = net.trace(&x).unwrap().pop().unwrap().0;
    assert_eq!(
        whole.to_vec2::<f32>().unwrap(),
        by_layer.to_vec2::<f32>().unwrap()
    );
    let grads = |y: &Tensor| {
        let g = y.sqr().unwrap().sum_all().unwrap().backward().unwrap();
        net.vars()
            .iter()
            .map(|v| {
                g.get(v)
                    .unwrap()
                    .flatten_all()
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(grads(&whole), grads(&by_layer));
}

#[test]
fn an_architecture_too_large_to_hold_is_refused_before_any_allocation() {
    // Hundreds of millions of weights could abort the process when the allocation failed.
    let huge: Architecture = serde_json::from_str(
        r#"{"input":[1,28,28],"classes":10,"layers":[
          {"dense":{"units":1000000}},{"dense":{"units":10}}]}"#,
    )
    .unwrap();
    let Err(error) = Network::new(&huge, 0, &Device::Cpu) else {
        panic!("built a network of 795 million weights");
    };
    assert!(
        error
            .to_string()
            .starts_with("the architecture has 795000010 parameters"),
        "{error}"
    );
}

#[test]
fn same_seed_same_network_other_seed_other_network() {
    let weights = |seed| {
        Network::new(&Architecture::skeleton(), seed, &Device::Cpu)
            .unwrap()
            .vars()[0]
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()
    };
    assert_eq!(weights(1), weights(1));
    assert_ne!(weights(1), weights(2));
}

#[test]
fn every_layer_kind_builds_and_runs() {
    let arch: Architecture = serde_json::from_str(
        r#"{"input":[2,9,9],"classes":3,"layers":[
          {"conv":{"filters":4,"kernel":4,"stride":2,"padding":"same"}},
          {"dwconv":{"filters":5,"kernel":3,"padding":"same"}},
          {"maxpool":{"size":3,"stride":2}},
          {"avgpool":{"size":1,"stride":1}},
          {"dense":{"units":6}},
          {"dense":{"units":3}}]}"#,
    )
    .unwrap();
    let net = Network::new(&arch, 0, &Device::Cpu).unwrap();
    // conv 4·2·16+4, dwconv 4·9+4 + 5·4+5, dense 6·20+6, dense 3·6+3
    assert_eq!(net.parameter_count(), 132 + 40 + 25 + 126 + 21);
    let x = Tensor::ones((2, 2, 9, 9), DType::F32, &Device::Cpu).unwrap();
    assert_eq!(net.forward(&x).unwrap().dims(), &[2, 3]);
}
