//! `cargo bench -p sparse-train --bench workload`: the trainer on the workload suite (see
//! `sparse_train::workload_suite`), natively, one epoch of the first `IMAGES` (default 10,000)
//! MNIST training images per network. Pin it to one core to compare with the peers:
//! `RAYON_NUM_THREADS=1 taskset -c 0 cargo bench …` (`bench/workload/run.sh` does). Prints one
//! JSON line per network; with `SUITE_JSON=PATH` it first writes the suite there, for the peers.

use sparse_core::idx::parse_idx_pair;
use std::time::Instant;

fn main() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../www/data/mnist");
    let read = |f: &str| std::fs::read(format!("{dir}/{f}")).expect("MNIST ships in www/data");
    let images = std::env::var("IMAGES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let train = parse_idx_pair(
        &read("train-images.idx3-ubyte.gz"),
        &read("train-labels.idx1-ubyte.gz"),
    )
    .expect("MNIST parses")
    .head(images);
    let suite = sparse_train::workload_suite();
    if let Ok(path) = std::env::var("SUITE_JSON") {
        let text = serde_json::to_string_pretty(&suite).expect("the suite serialises");
        std::fs::write(&path, text).expect("SUITE_JSON is writable");
    }
    let origin = Instant::now();
    for net in &suite {
        let run = sparse_train::workload_benchmark(net, &train, || origin.elapsed().as_secs_f64())
            .expect("the network trains");
        let mut line = serde_json::to_value(&run).expect("a run serialises");
        line["engine"] = "sparse-explorer native".into();
        println!("{line}");
    }
}
