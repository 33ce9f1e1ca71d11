//! The speed benchmark shared by the native bench and the wasm one: the reference network of
//! `shared/bench/peers` trained exactly as the peers train it (batch 64 from a seeded shuffle,
//! plain SGD at 0.05, fp32, 20 warm-up steps, 200 timed steps, the loss read back every step),
//! and optionally on to the end of one epoch (938 steps) for its test accuracy.

use crate::{Network, Result, evaluate};
use candle_core::{Device, Tensor};
use candle_nn::{Optimizer, SGD};
use rand::seq::SliceRandom;
use rand::{SeedableRng, rngs::StdRng};
use serde::Serialize;
use sparse_core::{Architecture, Dataset};

const BATCH: usize = 64;
const WARMUP: usize = 20;
const STEPS: usize = 200;
/// FLOPs to train one image: forward MACs 192,064 (the peers' README), two FLOPs a MAC, and
/// training about three forward passes.
const FLOP_PER_IMAGE: f64 = 192_064.0 * 2.0 * 3.0;

/// One benchmark run.
#[derive(Clone, Debug, Serialize)]
pub struct ReferenceRun {
    /// Training images per second over the timed steps.
    pub images_per_s: f64,
    /// Arithmetic throughput implied.
    pub gflops: f64,
    /// The loss of the last timed step (a check that training happened).
    pub final_loss: f32,
    /// Test accuracy after one epoch, when a test set was given.
    pub test_accuracy: Option<f64>,
}

/// Trains the reference network on `train` (MNIST) as the peers do; `now` reads a clock in
/// seconds (the platform's: `Instant` natively, `Date.now()` in a browser or node). With
/// `test`, training goes on to the end of the first epoch and the network is scored.
pub fn reference_benchmark(
    train: &Dataset,
    test: Option<&Dataset>,
    now: impl Fn() -> f64,
) -> Result<ReferenceRun> {
    let net = Network::new(&Architecture::skeleton(), 0, &Device::Cpu)?;
    let mut sgd = SGD::new(net.vars(), 0.05)?;
    let mut rng = StdRng::seed_from_u64(0);
    let mut order: Vec<usize> = (0..train.len()).collect();
    order.shuffle(&mut rng);
    let mut position = 0;
    let mut step = || -> Result<f32> {
        if position + BATCH > order.len() {
            order.shuffle(&mut rng);
            position = 0;
        }
        let batch = &order[position..position + BATCH];
        position += BATCH;
        let pixels: Vec<f32> = batch
            .iter()
            .flat_map(|&j| train.image(j).iter().map(|&p| f32::from(p) / 255.0))
            .collect();
        let labels: Vec<u32> = batch.iter().map(|&j| u32::from(train.label(j))).collect();
        let x = Tensor::from_vec(pixels, (BATCH, 1, 28, 28), &Device::Cpu)?;
        let y = Tensor::from_vec(labels, BATCH, &Device::Cpu)?;
        let loss = candle_nn::loss::cross_entropy(&net.forward(&x)?, &y)?;
        sgd.backward_step(&loss)?;
        Ok(loss.to_scalar::<f32>()?)
    };
    for _ in 0..WARMUP {
        step()?;
    }
    let started = now();
    let mut final_loss = 0.0;
    for _ in 0..STEPS {
        final_loss = step()?;
    }
    let images_per_s = (STEPS * BATCH) as f64 / (now() - started);
    let test_accuracy = match test {
        Some(test) => {
            for _ in WARMUP + STEPS..train.len().div_ceil(BATCH) {
                step()?;
            }
            Some(evaluate(&net, test)?)
        }
        None => None,
    };
    Ok(ReferenceRun {
        images_per_s,
        gflops: images_per_s * FLOP_PER_IMAGE / 1e9,
        final_loss,
        test_accuracy,
    })
}
