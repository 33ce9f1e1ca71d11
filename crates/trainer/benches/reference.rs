//! `cargo bench -p sparse-train --bench reference`: the trainer's speed on the peers'
//! reference network (see `sparse_train::reference_benchmark`), natively. Pin it to one core
//! to compare with the peers: `RAYON_NUM_THREADS=1 taskset -c 0 cargo bench …`. With
//! `EPOCH=1` (as for the peers' script) it also trains to the end of one epoch and reports the
//! test accuracy. Prints one JSON line like the peers' scripts.

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
    let test = (std::env::var("EPOCH").as_deref() == Ok("1")).then(|| {
        parse_idx_pair(
            &read("t10k-images.idx3-ubyte.gz"),
            &read("t10k-labels.idx1-ubyte.gz"),
        )
        .expect("MNIST parses")
    });
    let origin = Instant::now();
    let run =
        sparse_train::reference_benchmark(&train, test.as_ref(), || origin.elapsed().as_secs_f64())
            .expect("the benchmark trains");
    let accuracy = run
        .test_accuracy
        .map_or("null".to_string(), |a| format!("{a:.4}"));
    println!(
        "{{\"engine\": \"sparse-explorer native\", \"images_per_s\": {:.0}, \"gflops\": {:.2}, \"loss\": {:.4}, \"test_acc\": {accuracy}}}",
        run.images_per_s, run.gflops, run.final_loss
    );
}
