//! The trainer's speed on the reference network of `shared/bench/peers` (conv 3×3×8 → maxpool 2
//! → conv 3×3×16 → maxpool 2 → dense 10 on MNIST, batch 64, plain SGD at 0.05, fp32): 20
//! warm-up steps, then 200 timed steps with the loss read back every step, as the peers do.
//! Run pinned to one core for the peers' comparison:
//! `RAYON_NUM_THREADS=1 taskset -c 0 cargo bench -p sparse-train --bench reference`.
//! Prints one JSON line like the peers' scripts.

use candle_core::{Device, Tensor};
use candle_nn::{Optimizer, SGD};
use sparse_core::{Architecture, idx::parse_idx_pair};
use sparse_train::Network;
use std::time::Instant;

const BATCH: usize = 64;
const WARMUP: usize = 20;
const STEPS: usize = 200;
/// Forward MACs of the reference network per image (the peers' README): training is about
/// three times the forward pass, two FLOPs a MAC.
const FORWARD_MACS: f64 = 192_064.0;

fn main() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../www/data/mnist");
    let read = |f: &str| std::fs::read(format!("{dir}/{f}")).expect("MNIST ships in www/data");
    let train = parse_idx_pair(
        &read("train-images.idx3-ubyte.gz"),
        &read("train-labels.idx1-ubyte.gz"),
    )
    .expect("MNIST parses");
    let net = Network::new(&Architecture::skeleton(), 0, &Device::Cpu).expect("builds");
    let mut sgd = SGD::new(net.vars(), 0.05).expect("optimiser");
    let batch = |step: usize| -> (Tensor, Tensor) {
        let start = (step * BATCH) % (train.len() - BATCH);
        let pixels: Vec<f32> = (start..start + BATCH)
            .flat_map(|i| train.image(i).iter().map(|&p| p as f32 / 255.0))
            .collect();
        let labels: Vec<u32> = (start..start + BATCH)
            .map(|i| train.label(i) as u32)
            .collect();
        (
            Tensor::from_vec(pixels, (BATCH, 1, 28, 28), &Device::Cpu).unwrap(),
            Tensor::from_vec(labels, BATCH, &Device::Cpu).unwrap(),
        )
    };
    let mut step = |i: usize| -> f32 {
        let (x, y) = batch(i);
        let loss = candle_nn::loss::cross_entropy(&net.forward(&x).unwrap(), &y).unwrap();
        sgd.backward_step(&loss).unwrap();
        loss.to_scalar::<f32>().unwrap()
    };
    for i in 0..WARMUP {
        step(i);
    }
    let started = Instant::now();
    let mut last = 0.0;
    for i in WARMUP..WARMUP + STEPS {
        last = step(i);
    }
    let seconds = started.elapsed().as_secs_f64();
    let images_per_s = (STEPS * BATCH) as f64 / seconds;
    let gflops = images_per_s * FORWARD_MACS * 2.0 * 3.0 / 1e9;
    println!(
        "{{\"engine\": \"sparse-explorer native (candle 0.11.1)\", \"batch\": {BATCH}, \"steps\": {STEPS}, \
         \"images_per_s\": {images_per_s:.0}, \"gflops\": {gflops:.2}, \"final_loss\": {last:.4}}}"
    );
}
