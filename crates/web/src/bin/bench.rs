//! The trainer's speed benchmarks compiled to wasm32 (+simd128), for node to run beside the
//! native ones: `reference(images, labels)` (`cargo xtask bench`), `workload(images, labels,
//! count)` (`bench/workload/run.sh`) and `design(images, labels)` (`bench/page/workers.sh`,
//! the page's worker against node) take the gzipped MNIST training files and return JSON.

use wasm_bindgen::prelude::*;

/// Seconds on the platform's clock.
fn clock() -> f64 {
    js_sys::Date::now() / 1000.0
}

/// Runs `sparse_train::reference_benchmark` on MNIST given as gzipped IDX bytes.
#[wasm_bindgen]
pub fn reference(images: &[u8], labels: &[u8]) -> Result<String, String> {
    let train = sparse_core::idx::parse_idx_pair(images, labels).map_err(|e| e.to_string())?;
    let run = sparse_train::reference_benchmark(&train, None, clock).map_err(|e| e.to_string())?;
    Ok(format!(
        "{{\"engine\": \"sparse-explorer wasm32+simd128\", \"images_per_s\": {:.0}, \"gflops\": {:.2}, \"loss\": {:.4}}}",
        run.images_per_s, run.gflops, run.final_loss
    ))
}

/// Runs `sparse_train::workload_benchmark` on every network of the suite, one epoch of the
/// first `count` training images of MNIST given as gzipped IDX bytes: one JSON line each.
#[wasm_bindgen]
pub fn workload(images: &[u8], labels: &[u8], count: usize) -> Result<String, String> {
    let train = sparse_core::idx::parse_idx_pair(images, labels)
        .map_err(|e| e.to_string())?
        .head(count);
    let mut lines = String::new();
    for net in &sparse_train::workload_suite() {
        let run =
            sparse_train::workload_benchmark(net, &train, clock).map_err(|e| e.to_string())?;
        let mut line = serde_json::to_value(&run).map_err(|e| e.to_string())?;
        line["engine"] = "sparse-explorer wasm32+simd128".into();
        lines.push_str(&format!("{line}\n"));
    }
    Ok(lines)
}

fn main() {}

/// Trains the skeleton CNN one epoch exactly as the page's design mode does in its worker (a
/// `TrialRun` with the default settings, unpruned, on the training images less the sixth held
/// out for validation), timed from the first step as the page times it: JSON with images/s.
#[wasm_bindgen]
pub fn design(images: &[u8], labels: &[u8]) -> Result<String, String> {
    let data = sparse_core::idx::parse_idx_pair(images, labels).map_err(|e| e.to_string())?;
    let (train, _) = data.hold_out(sparse_core::dataset::VALIDATION_EVERY);
    let architecture = sparse_core::Architecture::skeleton();
    let config = sparse_train::TrainConfig::default();
    let mut run = sparse_train::TrialRun::new(&architecture, &train, config, None)
        .map_err(|e| e.to_string())?;
    let started = clock();
    let mut trained = 0usize;
    while let Some(report) = run.step(&train).map_err(|e| e.to_string())? {
        trained += report.examples;
    }
    let seconds = clock() - started;
    Ok(format!(
        "{{\"engine\": \"sparse-explorer wasm32+simd128 in node\", \"images_per_s\": {:.0}, \"images\": {trained}, \"seconds\": {seconds:.1}}}",
        trained as f64 / seconds
    ))
}
