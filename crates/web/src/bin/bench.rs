//! The trainer's speed benchmark compiled to wasm32 (+simd128), for `cargo xtask bench` to run
//! in node beside the native one: `reference(images, labels)` takes the gzipped MNIST training
//! files and returns the run as JSON.

use wasm_bindgen::prelude::*;

/// Runs `sparse_train::reference_benchmark` on MNIST given as gzipped IDX bytes.
#[wasm_bindgen]
pub fn reference(images: &[u8], labels: &[u8]) -> Result<String, String> {
    let train = sparse_core::idx::parse_idx_pair(images, labels).map_err(|e| e.to_string())?;
    let clock = || js_sys::Date::now() / 1000.0;
    let run = sparse_train::reference_benchmark(&train, None, clock).map_err(|e| e.to_string())?;
    Ok(format!(
        "{{\"engine\": \"sparse-explorer wasm32+simd128\", \"images_per_s\": {:.0}, \"gflops\": {:.2}, \"loss\": {:.4}}}",
        run.images_per_s, run.gflops, run.final_loss
    ))
}

fn main() {}
