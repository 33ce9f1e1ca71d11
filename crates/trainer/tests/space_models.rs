//! Every architecture the search space can produce builds, runs and has exactly the parameter
//! count the cost model prices, and every layer kind's gradients match finite differences.

use candle_core::{DType, Device, Tensor};
use rand::SeedableRng;
use rand::rngs::StdRng;
use sparse_core::Architecture;
use sparse_core::cost::cost;
use sparse_core::space::SearchSpace;
use sparse_train::Network;

#[test]
fn hundred_sampled_architectures_match_the_cost_model() {
    let space = SearchSpace::sparse([1, 28, 28], 10);
    let mut rng = StdRng::seed_from_u64(11);
    for _ in 0..100 {
        let arch = space.sample(&mut rng).architecture(&space);
        let net = Network::new(&arch, 0, &Device::Cpu).unwrap();
        let priced = cost(&arch).unwrap().parameters;
        assert_eq!(net.parameter_count() as u64, priced, "{arch:?}");
        let x = Tensor::zeros((2, 1, 28, 28), DType::F32, &Device::Cpu).unwrap();
        assert_eq!(net.forward(&x).unwrap().dims(), &[2, 10]);
    }
}

/// Summed squared logits of a fixed batch: a smooth objective touching every parameter. For a
/// variational network, the logits are sampled with the same noise every time, and the KL
/// term is added.
fn objective(net: &Network, x: &Tensor) -> Tensor {
    if net.is_variational() {
        let mut rng = StdRng::seed_from_u64(99);
        let logits = net.forward_sampled(x, &mut rng).unwrap();
        let kl = (net.kl_divergence().unwrap() * 1e-3).unwrap();
        (logits.sqr().unwrap().sum_all().unwrap() + kl).unwrap()
    } else {
        net.forward(x).unwrap().sqr().unwrap().sum_all().unwrap()
    }
}

/// Compares backprop with central differences for a sample of every parameter tensor.
fn check_gradients(json: &str) {
    check_gradients_of(json, false);
}

fn check_gradients_of(json: &str, variational: bool) {
    let arch: Architecture = serde_json::from_str(json).unwrap();
    let dev = Device::Cpu;
    let mut net = Network::with_dtype(&arch, 5, &dev, DType::F64).unwrap();
    if variational {
        let plain = net.vars().len();
        for i in 0..arch.layers.len() {
            net.make_variational(i, 3.0).unwrap();
        }
        // Noise large enough to matter: log σ² of -4 instead of the initial -10.
        for var in net.vars().iter().skip(plain) {
            var.set(&(var.ones_like().unwrap() * -4.0).unwrap())
                .unwrap();
        }
    }
    let [c, h, w] = arch.input;
    let n = 2 * c * h * w;
    let pixels: Vec<f64> = (0..n).map(|i| ((i * 7919) % 101) as f64 / 101.0).collect();
    let x = Tensor::from_vec(pixels, (2, c, h, w), &dev).unwrap();
    let grads = objective(&net, &x).backward().unwrap();
    let (mut checked, mut kinks) = (0, 0);
    for (v, var) in net.vars().iter().enumerate() {
        let analytic: Vec<f64> = grads
            .get(var)
            .unwrap_or_else(|| panic!("no gradient for variable {v}"))
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let original: Vec<f64> = var.flatten_all().unwrap().to_vec1().unwrap();
        let step = (original.len() / 7).max(1);
        for i in (0..original.len()).step_by(step) {
            let eval = |delta: f64| {
                let mut values = original.clone();
                values[i] += delta;
                var.set(&Tensor::from_vec(values, var.shape(), &dev).unwrap())
                    .unwrap();
                let value = objective(&net, &x).to_scalar::<f64>().unwrap();
                var.set(&Tensor::from_vec(original.clone(), var.shape(), &dev).unwrap())
                    .unwrap();
                value
            };
            // In f64 a step of 1e-4 leaves rounding far below the tolerance, and makes it rare
            // for a ReLU or a pool's maximum to switch within the step.
            let eps = 1e-4;
            let tolerance = |a: f64, b: f64| 1e-7 + 0.01 * a.abs().max(b.abs());
            let central = |e: f64| (eval(e) - eval(-e)) / (2.0 * e);
            let (wide, narrow) = (central(eps), central(eps / 2.0));
            // Where a ReLU or a pool's maximum switches within ±eps the function has a kink:
            // the two central differences disagree and neither means anything.
            if (wide - narrow).abs() > tolerance(wide, narrow) {
                kinks += 1;
                continue;
            }
            checked += 1;
            let numeric = narrow;
            assert!(
                (numeric - analytic[i]).abs() <= tolerance(numeric, analytic[i]),
                "{json}\nvariable {v}, element {i}: finite differences {numeric}, backprop {}",
                analytic[i]
            );
        }
    }
    assert!(
        checked >= 4 * kinks && checked > 20,
        "only {checked} elements checked, {kinks} at kinks"
    );
}

#[test]
fn conv_and_dense_gradients_match_finite_differences() {
    check_gradients(
        r#"{"input":[2,7,7],"classes":3,"layers":[
          {"conv":{"filters":3,"kernel":3,"stride":2,"padding":"same"}},
          {"conv":{"filters":2,"kernel":2}},{"dense":{"units":4}},{"dense":{"units":3}}]}"#,
    );
}

#[test]
fn dwconv_gradients_match_finite_differences() {
    check_gradients(
        r#"{"input":[3,6,6],"classes":2,"layers":[
          {"dwconv":{"filters":4,"kernel":3,"padding":"same"}},{"dense":{"units":2}}]}"#,
    );
}

#[test]
fn pooled_network_gradients_match_finite_differences() {
    check_gradients(
        r#"{"input":[1,9,9],"classes":2,"layers":[
          {"conv":{"filters":2,"kernel":2}},{"maxpool":{"size":2,"stride":2}},
          {"conv":{"filters":2,"kernel":1}},{"avgpool":{"size":3,"stride":1}},
          {"dense":{"units":2}}]}"#,
    );
}

#[test]
fn variational_layers_gradients_match_finite_differences() {
    check_gradients_of(
        r#"{"input":[2,6,6],"classes":2,"layers":[
          {"conv":{"filters":2,"kernel":3,"padding":"same"}},
          {"dwconv":{"filters":3,"kernel":3}},{"dense":{"units":2}}]}"#,
        true,
    );
}

#[test]
fn removing_compressed_channels_keeps_the_function() {
    let arch: Architecture = serde_json::from_str(
        r#"{"input":[1,8,8],"classes":3,"layers":[
          {"conv":{"filters":4,"kernel":3}},{"maxpool":{"size":2,"stride":2}},
          {"dwconv":{"filters":5,"kernel":1}},{"dense":{"units":6}},{"dense":{"units":3}}]}"#,
    )
    .unwrap();
    let dev = Device::Cpu;
    let mut net = Network::with_dtype(&arch, 8, &dev, DType::F64).unwrap();
    for i in [0, 2, 3, 4] {
        net.make_group_scaled(i, 3.0).unwrap();
    }
    // Scales: mu ≠ 1 everywhere; channel 1 of the conv, 0 and 3 of the dwconv and 2 of the
    // hidden dense switched off (mu 0, so log α is at its clamp of 10).
    let plain = 4 * 2 + 2; // weights and biases of the conv, dwconv (2 halves), dense, dense
    let vars = net.vars();
    let set = |v: &candle_core::Var, values: Vec<f64>| {
        let n = values.len();
        v.set(&Tensor::from_vec(values, n, &dev).unwrap()).unwrap()
    };
    set(&vars[plain], vec![1.5, 0.0, 0.7, 1.2]);
    set(&vars[plain + 2], vec![0.0, 0.9, 1.1, 0.0, 2.0]);
    set(&vars[plain + 4], vec![1.0, 0.5, 0.0, 1.0, 1.3, 0.8]);
    let x = Tensor::from_vec(
        (0..128)
            .map(|i| ((i * 37) % 64) as f64 / 64.0)
            .collect::<Vec<_>>(),
        (2, 1, 8, 8),
        &dev,
    )
    .unwrap();
    let before: Vec<f64> = net
        .forward(&x)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    let small = net.without_pruned_groups().unwrap();
    let filters: Vec<usize> = small
        .architecture()
        .layers
        .iter()
        .filter_map(|l| match l {
            sparse_core::Layer::Conv(c) | sparse_core::Layer::Dwconv(c) => Some(c.filters),
            sparse_core::Layer::Dense(d) => Some(d.units),
            _ => None,
        })
        .collect();
    assert_eq!(filters, [3, 3, 5, 3]);
    let after: Vec<f64> = small
        .forward(&x)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    for (b, a) in before.iter().zip(&after) {
        assert!((b - a).abs() < 1e-9, "before {b}, after {a}");
    }
}
