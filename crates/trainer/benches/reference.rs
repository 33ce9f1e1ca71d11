//! `cargo bench -p sparse-train --bench reference`: the trainer's speed on the peers'
//! reference network (see `sparse_train::reference_benchmark`), natively. Pin it to one core
//! to compare with the peers: `RAYON_NUM_THREADS=1 taskset -c 0 cargo bench …`. Prints one
//! JSON line like the peers' scripts.

use sparse_core::idx::parse_idx_pair;
use std::time::Instant;

fn main() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../www/data/mnist");
    let read = |f: &str| std::fs::read(format!("{dir}/{f}")).expect("MNIST ships in www/data");
    let train = parse_idx_pair(
        &read("train-images.idx3-ubyte.gz"),
        &read("train-labels.idx1-ubyte.gz"),
    )
    .expect("MNIST parses");
    let origin = Instant::now();
    let run = sparse_train::reference_benchmark(&train, || origin.elapsed().as_secs_f64())
        .expect("the benchmark trains");
    println!(
        "{{\"engine\": \"sparse-explorer native\", \"images_per_s\": {:.0}, \"gflops\": {:.2}, \"loss\": {:.4}}}",
        run.images_per_s, run.gflops, run.final_loss
    );
}
