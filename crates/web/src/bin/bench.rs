//! The trainer's speed benchmarks compiled to wasm32 (+simd128), for node to run beside the
//! native ones: `reference(images, labels)` (`cargo xtask bench`) and `workload(images,
//! labels, count)` (`bench/workload/run.sh`) take the gzipped MNIST training files and return
//! JSON.

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
