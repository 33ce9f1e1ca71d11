//! The trainer checked: it learns a separable problem and reports every step, distils, stops when
//! told, repeats by seed (shifted or not), and refuses bad settings, labels and shapes, or a
//! diverging run, with a reason.

use super::*;
use sparse_core::ImageShape;

/// Two classes of 6×6 images: a bright left half or a bright right half, with noise.
fn halves(n: usize) -> Dataset {
    let shape = ImageShape {
        channels: 1,
        height: 6,
        width: 6,
    };
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for i in 0..n {
        let label = (i % 2) as u8;
        for r in 0..6 {
            for c in 0..6 {
                let bright = (c < 3) == (label == 0);
                let noise = ((i * 31 + r * 7 + c * 13) % 60) as u8;
                pixels.push(if bright { 180 + noise } else { noise });
            }
        }
        labels.push(label);
    }
    Dataset::new(shape, pixels, labels).unwrap()
}

fn tiny_arch() -> Architecture {
    serde_json::from_str(
        r#"{"input":[1,6,6],"classes":2,"layers":[
          {"conv":{"filters":3,"kernel":3}},{"maxpool":{"size":2,"stride":2}},
          {"dense":{"units":2}}]}"#,
    )
    .unwrap()
}

fn config(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        batch_size: 8,
        learning_rate: 0.01,
        seed: 3,
        ..TrainConfig::default()
    }
}

#[test]
fn learns_a_separable_problem_and_reports_every_step() {
    let data = halves(64);
    let mut trainer = Trainer::new(&tiny_arch(), &data, config(5)).unwrap();
    let mut reports = Vec::new();
    let outcome = trainer
        .run(&data, &mut |r: &BatchReport| {
            reports.push(r.clone());
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(outcome, RunOutcome::Completed);
    assert_eq!(reports.len(), 5 * 8);
    assert_eq!(reports.last().unwrap().fraction_done, 1.0);
    assert!(reports.last().unwrap().loss < reports[0].loss);
    assert_eq!(evaluate(trainer.network(), &data).unwrap(), 1.0);
    assert!(trainer.step(&data).unwrap().is_none());
}

/// The trained weights, flattened.
fn weights(trainer: &Trainer) -> Vec<f32> {
    trainer
        .network()
        .vars()
        .iter()
        .flat_map(|v| v.flatten_all().unwrap().to_vec1::<f32>().unwrap())
        .collect()
}

#[test]
fn distilling_from_a_teacher_that_outputs_the_labels_is_plain_training() {
    let data = halves(64);
    let trained = |teacher: Option<(Arc<SoftTargets>, f64)>| {
        let mut t = Trainer::new(&tiny_arch(), &data, config(3)).unwrap();
        if let Some((targets, weight)) = teacher {
            t.distil_from(targets, weight).unwrap();
        }
        while t.step(&data).unwrap().is_some() {}
        weights(&t)
    };
    let one_hot: Vec<f32> = data
        .labels()
        .iter()
        .flat_map(|&l| [f32::from(l == 0), f32::from(l == 1)])
        .collect();
    let labels = Arc::new(SoftTargets::from_probabilities(2, 1.0, one_hot).unwrap());
    let plain = trained(None);
    let distilled = trained(Some((labels, 0.5)));
    let gap = plain
        .iter()
        .zip(&distilled)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(gap < 1e-4, "weights differ by up to {gap}");
    // A teacher that says the opposite of the labels, at full weight, teaches the opposite.
    let flipped: Vec<f32> = data
        .labels()
        .iter()
        .flat_map(|&l| [f32::from(l == 1), f32::from(l == 0)])
        .collect();
    let liar = Arc::new(SoftTargets::from_probabilities(2, 1.0, flipped).unwrap());
    let mut t = Trainer::new(&tiny_arch(), &data, config(3)).unwrap();
    t.distil_from(liar, 1.0).unwrap();
    while t.step(&data).unwrap().is_some() {}
    assert_eq!(evaluate(t.network(), &data).unwrap(), 0.0);
    // Targets for another training set are refused.
    let short = Arc::new(SoftTargets::from_probabilities(2, 1.0, vec![0.5; 20]).unwrap());
    let mut t = Trainer::new(&tiny_arch(), &data, config(1)).unwrap();
    assert!(matches!(t.distil_from(short, 0.5), Err(Error::Teacher(_))));
}

#[test]
fn observer_stops_training() {
    let data = halves(64);
    let mut trainer = Trainer::new(&tiny_arch(), &data, config(5)).unwrap();
    let mut seen = 0;
    let outcome = trainer
        .run(&data, &mut |_: &BatchReport| {
            seen += 1;
            if seen == 3 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert_eq!(outcome, RunOutcome::Stopped);
    assert_eq!(seen, 3);
}

#[test]
fn same_seed_gives_the_same_losses() {
    let data = halves(32);
    let losses = || {
        let mut t = Trainer::new(&tiny_arch(), &data, config(2)).unwrap();
        std::iter::from_fn(|| t.step(&data).unwrap().map(|r| r.loss)).collect::<Vec<_>>()
    };
    assert_eq!(losses(), losses());
}

#[test]
fn shifted_images_train_the_same_by_seed_and_otherwise_than_unshifted() {
    let data = halves(32);
    let trained = |shift: usize| {
        let mut t = Trainer::new(&tiny_arch(), &data, TrainConfig { shift, ..config(2) }).unwrap();
        while t.step(&data).unwrap().is_some() {}
        weights(&t)
    };
    assert_eq!(trained(1), trained(1));
    assert_ne!(trained(1), trained(0));
    // Shifting stays within the image: still learnable, still the same shapes.
    assert_eq!(trained(1).len(), trained(0).len());
    let old: TrainConfig = serde_json::from_str(
        r#"{"epochs":1,"batch_size":8,"learning_rate":0.01,"seed":0,"pruning":[]}"#,
    )
    .unwrap();
    assert_eq!(
        old.shift, 0,
        "configs saved before augmentation train unshifted"
    );
}

#[test]
fn unusable_settings_are_refused_with_a_reason() {
    let data = halves(16);
    for (config, expected) in [
        (
            TrainConfig {
                learning_rate: f64::NAN,
                ..config(1)
            },
            "the learning rate must be a positive number, not NaN",
        ),
        (
            TrainConfig {
                learning_rate: 0.0,
                ..config(1)
            },
            "not 0",
        ),
        (
            TrainConfig {
                learning_rate: f64::INFINITY,
                ..config(1)
            },
            "not inf",
        ),
        (
            TrainConfig {
                shift: MAX_SHIFT + 1,
                ..config(1)
            },
            "a shift of 9 pixels is more than the 8 allowed",
        ),
    ] {
        let Err(error) = Trainer::new(&tiny_arch(), &data, config) else {
            panic!("{expected}: accepted");
        };
        assert!(error.to_string().contains(expected), "{error}");
    }
    assert!(config(1).check().is_ok());
}

#[test]
fn labels_the_network_has_no_output_for_are_refused() {
    // Labels 0 to 5 against a 2-class network once failed deep in candle ("gather invalid
    // index") or trained to 0% accuracy.
    let data = halves(12);
    let mut labels = data.labels().to_vec();
    labels[3] = 5;
    let pixels: Vec<u8> = (0..data.len())
        .flat_map(|i| data.image(i).to_vec())
        .collect();
    let wrong = Dataset::new(data.shape(), pixels, labels).unwrap();
    let Err(error) = Trainer::new(&tiny_arch(), &wrong, config(1)) else {
        panic!("accepted labels beyond the classes");
    };
    assert_eq!(
        error.to_string(),
        "the dataset has labels up to 5, but the architecture classifies into 2 classes (labels 0 to 1)"
    );
}

#[test]
fn divergence_is_an_error_with_a_reason() {
    let data = halves(32);
    let mut cfg = config(3);
    cfg.learning_rate = 1e30;
    let mut trainer = Trainer::new(&tiny_arch(), &data, cfg).unwrap();
    let err = loop {
        match trainer.step(&data) {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("a learning rate of 1e30 must diverge"),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, Error::Diverged { .. }), "{err}");
    assert!(err.to_string().starts_with("training diverged at epoch"));
}

#[test]
fn mismatched_input_shape_is_explained() {
    let data = halves(8);
    let err = Trainer::new(&Architecture::skeleton(), &data, config(1))
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "the architecture expects [1, 28, 28] inputs but the dataset's images are [1, 6, 6]"
    );
}
