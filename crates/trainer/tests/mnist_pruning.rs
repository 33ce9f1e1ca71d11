//! On real MNIST: pruning removes weights while accuracy holds, and the pruned architecture's
//! densities are what the cost model prices.

mod common;

use common::mnist;
use sparse_core::Architecture;
use sparse_core::cost::cost;
use sparse_core::space::Pruning;
use sparse_train::{TrainConfig, Trainer, evaluate};

/// Trains the skeleton CNN on 20,000 images with `pruning` on every weighted layer; returns
/// the test accuracy and the trainer.
fn train(pruning: Option<Pruning>) -> (f64, Trainer) {
    let arch = Architecture::skeleton();
    let train = mnist("train").head(20_000);
    let test = mnist("t10k");
    let config = TrainConfig {
        epochs: 2,
        pruning: arch
            .layers
            .iter()
            .map(|l| (!l.is_pool()).then_some(pruning).flatten())
            .collect(),
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(&arch, &train, config).unwrap();
    while trainer.step(&train).unwrap().is_some() {}
    (evaluate(trainer.network(), &test).unwrap(), trainer)
}

#[test]
fn magnitude_spvd_and_bc_remove_weights_while_accuracy_holds() {
    let (dense_accuracy, dense) = train(None);
    let before = cost(&dense.pruned_architecture().unwrap()).unwrap();
    assert_eq!(before.model_size_bytes, before.parameters);

    // Magnitude pruning to 70% in every layer costs at most a point and a half.
    let (accuracy, pruned) = train(Some(Pruning::Magnitude { sparsity: 0.7 }));
    let arch = pruned.pruned_architecture().unwrap();
    let after = cost(&arch).unwrap();
    eprintln!(
        "dense {dense_accuracy:.4} ({} B), magnitude {accuracy:.4} ({} B)",
        before.model_size_bytes, after.model_size_bytes
    );
    for layer in &arch.layers {
        if !layer.is_pool() {
            assert!((layer.density() - 0.3).abs() < 0.01, "{layer:?}");
        }
    }
    assert!(after.model_size_bytes < before.model_size_bytes * 4 / 10);
    assert!(
        accuracy > dense_accuracy - 0.015,
        "magnitude {accuracy}, dense {dense_accuracy}"
    );

    // Sparse Variational Dropout finds its own sparsity, within a point.
    let (accuracy, pruned) = train(Some(Pruning::Spvd { log_alpha: 3.0 }));
    let arch = pruned.pruned_architecture().unwrap();
    let after = cost(&arch).unwrap();
    let densities: Vec<f64> = arch.layers.iter().map(|l| l.density()).collect();
    eprintln!(
        "spvd {accuracy:.4} ({} B), densities {densities:?}",
        after.model_size_bytes
    );
    assert!(after.model_size_bytes < before.model_size_bytes * 8 / 10);
    assert!(
        accuracy > dense_accuracy - 0.01,
        "spvd {accuracy}, dense {dense_accuracy}"
    );

    // Bayesian Compression prices what it keeps: the architecture it reports is the network it
    // built (never wider than the original), and accuracy holds. (In two epochs it keeps every
    // live filter of the skeleton: with data-dependent initialisation none starts dead, and
    // that is all it used to remove.)
    let (accuracy, pruned) = train(Some(Pruning::Bc { log_alpha: 3.0 }));
    let arch = pruned.pruned_architecture().unwrap();
    let after = cost(&arch).unwrap();
    let widths: Vec<String> = arch.layers.iter().map(|l| l.describe()).collect();
    eprintln!(
        "bc {accuracy:.4} ({} B, working memory {} B), layers {widths:?}",
        after.model_size_bytes, after.working_memory_bytes
    );
    assert_eq!(&arch, pruned.network().architecture());
    assert!(after.parameters <= before.parameters);
    assert!(
        accuracy > dense_accuracy - 0.01,
        "bc {accuracy}, dense {dense_accuracy}"
    );
}
