//! The workload benchmark: the search's own trainer on a fixed suite of networks drawn from
//! the search space, from a few thousand multiply-accumulates to the reference network's
//! 192 K, each trained one epoch as the peers (PyTorch, TF.js) train the same networks: Adam at
//! 0.003, batches of 32, no pruning and no shift, the loss read back every step. Small networks
//! are where fixed costs per layer and per step dominate, and they are what a search trains.

use crate::{Result, TrainConfig, Trainer};
use serde::Serialize;
use sparse_core::architecture::{Architecture, Conv, Dense, Layer, Padding, Pool};
use sparse_core::{Dataset, cost::cost};

/// Batches of one warm-up round: a throwaway copy of each network trains rounds of these,
/// untimed, before the timed epoch (every engine of `bench/workload/` does the same), so that
/// no engine's first steps on a network (first allocations, lazy initialisation, code not yet
/// optimised) count in its figure.
pub const WARMUP_BATCHES: usize = 10;

/// Seconds the warm-up rounds last at least. Time, not a count of batches: V8 runs wasm in
/// its baseline compiler (Liftoff) until a function has run enough to be optimised, which on
/// the smallest networks takes longer than a whole 10,000-image epoch; a search's trials,
/// minutes long in workers that live for the whole search, run optimised code.
pub const WARMUP_SECONDS: f64 = 2.0;

/// One network of the suite.
#[derive(Clone, Debug, Serialize)]
pub struct WorkloadNet {
    /// A short name for tables.
    pub name: &'static str,
    /// What trains.
    pub architecture: Architecture,
}

/// One network trained for the benchmark.
#[derive(Clone, Debug, Serialize)]
pub struct WorkloadRun {
    /// The network's name.
    pub name: &'static str,
    /// Forward multiply-accumulates per image.
    pub macs: u64,
    /// Trainable parameters.
    pub parameters: u64,
    /// Training images per second over the epoch's steps.
    pub images_per_s: f64,
    /// Milliseconds to build the trainer (initial weights, data-dependent initialisation).
    pub setup_ms: f64,
    /// Mean loss of the epoch's last 20 steps (a check that training happened).
    pub final_loss: f32,
}

fn conv(filters: usize, kernel: usize, stride: usize, padding: Padding) -> Conv {
    Conv {
        filters,
        kernel,
        stride,
        padding,
        density: None,
    }
}

fn pool(size: usize) -> Pool {
    Pool { size, stride: size }
}

fn dense(units: usize) -> Layer {
    Layer::Dense(Dense {
        units,
        density: None,
    })
}

/// The suite for 28×28 grayscale images of 10 classes (MNIST), smallest first: every layer
/// kind of the search space (convolutions plain, downsampling and depthwise-separable, both
/// poolings, hidden dense layers), ending with the peers' reference network.
pub fn workload_suite() -> Vec<WorkloadNet> {
    use Padding::{Same, Valid};
    let net = |name, layers| WorkloadNet {
        name,
        architecture: Architecture {
            input: [1, 28, 28],
            classes: 10,
            layers,
        },
    };
    vec![
        net(
            "conv3x3x2/2-pool-dense",
            vec![
                Layer::Conv(conv(2, 3, 2, Valid)),
                Layer::Maxpool(pool(2)),
                dense(10),
            ],
        ),
        net(
            "conv5x5x4/2-pool-dense",
            vec![
                Layer::Conv(conv(4, 5, 2, Same)),
                Layer::Maxpool(pool(2)),
                dense(10),
            ],
        ),
        net(
            "2conv/2-dense",
            vec![
                Layer::Conv(conv(4, 3, 2, Same)),
                Layer::Conv(conv(8, 3, 2, Same)),
                dense(10),
            ],
        ),
        net(
            "conv/2-dwconv-pool-dense",
            vec![
                Layer::Conv(conv(8, 3, 2, Same)),
                Layer::Dwconv(conv(16, 3, 1, Same)),
                Layer::Maxpool(pool(2)),
                dense(10),
            ],
        ),
        net(
            "conv5x5x6-avgpool-dense32",
            vec![
                Layer::Conv(conv(6, 5, 1, Valid)),
                Layer::Avgpool(pool(2)),
                dense(32),
                dense(10),
            ],
        ),
        net(
            "conv1x1-pool-conv/2-dense",
            vec![
                Layer::Conv(conv(16, 1, 1, Valid)),
                Layer::Maxpool(pool(2)),
                Layer::Conv(conv(16, 3, 2, Same)),
                dense(10),
            ],
        ),
        net(
            "3conv-3pool-dense",
            vec![
                Layer::Conv(conv(4, 3, 1, Same)),
                Layer::Maxpool(pool(2)),
                Layer::Conv(conv(8, 3, 1, Same)),
                Layer::Maxpool(pool(2)),
                Layer::Conv(conv(16, 3, 1, Same)),
                Layer::Maxpool(pool(2)),
                dense(10),
            ],
        ),
        net("reference", Architecture::skeleton().layers),
    ]
}

/// The benchmark's training: one epoch of batches of 32 at Adam's 0.003, nothing pruned or
/// shifted (what the peers can do alike).
pub fn workload_config() -> TrainConfig {
    TrainConfig {
        epochs: 1,
        batch_size: 32,
        learning_rate: 3e-3,
        seed: 0,
        pruning: Vec::new(),
        shift: 0,
    }
}

/// Trains `net` for one epoch of `train` and times it, after [`WARMUP_SECONDS`] of untimed
/// rounds of [`WARMUP_BATCHES`] batches by throwaway copies; `now` reads a clock in seconds
/// (the platform's: `Instant` natively, `Date.now()` in wasm).
pub fn workload_benchmark(
    net: &WorkloadNet,
    train: &Dataset,
    now: impl Fn() -> f64,
) -> Result<WorkloadRun> {
    let costs = cost(&net.architecture)?;
    let warm = train.head(WARMUP_BATCHES * workload_config().batch_size);
    let warming = now();
    while now() - warming < WARMUP_SECONDS {
        let mut warmup = Trainer::new(&net.architecture, &warm, workload_config())?;
        while warmup.step(&warm)?.is_some() {}
    }
    let started = now();
    let mut trainer = Trainer::new(&net.architecture, train, workload_config())?;
    let setup_ms = (now() - started) * 1000.0;
    let started = now();
    let (mut images, mut last_losses) = (0usize, Vec::new());
    while let Some(report) = trainer.step(train)? {
        images += report.examples;
        last_losses.push(report.loss);
        if last_losses.len() > 20 {
            last_losses.remove(0);
        }
    }
    let seconds = now() - started;
    Ok(WorkloadRun {
        name: net.name,
        macs: costs.macs,
        parameters: costs.parameters,
        images_per_s: images as f64 / seconds,
        setup_ms,
        final_loss: last_losses.iter().sum::<f32>() / last_losses.len().max(1) as f32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suite_spans_the_search_space_and_every_network_is_priced() {
        let suite = workload_suite();
        assert_eq!(suite.len(), 8);
        let macs: Vec<u64> = suite
            .iter()
            .map(|n| cost(&n.architecture).unwrap().macs)
            .collect();
        assert!(
            macs.windows(2).all(|w| w[0] < w[1]),
            "smallest first: {macs:?}"
        );
        assert!(macs[0] < 5_000 && macs[7] == 192_064, "{macs:?}");
        let kinds =
            |f: fn(&Layer) -> bool| suite.iter().any(|n| n.architecture.layers.iter().any(f));
        assert!(kinds(|l| matches!(l, Layer::Dwconv(_))));
        assert!(kinds(|l| matches!(l, Layer::Avgpool(_))));
        assert!(kinds(|l| matches!(l, Layer::Conv(c) if c.stride > 1)));
    }

    #[test]
    fn a_network_of_the_suite_trains_and_is_timed() {
        let shape = sparse_core::ImageShape {
            channels: 1,
            height: 28,
            width: 28,
        };
        let labels: Vec<u8> = (0..96).map(|i| (i % 10) as u8).collect();
        let pixels = (0..96 * 784).map(|i| ((i * 7) % 251) as u8).collect();
        let data = Dataset::new(shape, pixels, labels).unwrap();
        let clock = std::time::Instant::now();
        let run = workload_benchmark(&workload_suite()[0], &data, || {
            clock.elapsed().as_secs_f64()
        })
        .unwrap();
        assert!(run.images_per_s > 0.0 && run.final_loss.is_finite());
        assert_eq!(
            run.macs,
            cost(&workload_suite()[0].architecture).unwrap().macs
        );
    }
}
