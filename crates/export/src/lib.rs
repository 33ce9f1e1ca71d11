//! The int8 model as code a microcontroller runs: self-contained C99 (`model.h`, `model.c`)
//! whose weights sit in flash in the cost model's format and whose activations share one
//! static arena of the cost model's size, plus the zip the page offers for download.
//!
//! Pure: no candle, no IO. The CLI writes the files and checks them with real compilers.

pub mod bundle;
pub mod c;
pub mod layout;
pub mod storage;
pub mod tflite;

pub use c::{CModel, generate};

use sparse_core::Result;
use sparse_core::cost::CHANNEL_BYTES;
use sparse_core::quant::{QuantLayer, QuantModel};

/// Everything an export produces, ready to write or zip.
pub struct Export {
    /// The C and its sizes.
    pub c: CModel,
    /// The cost model's prediction for the same architecture.
    pub cost: sparse_core::cost::CostReport,
    /// `(file name, bytes)`: `model.h`, `model.c`, `model.json`, `README.md`.
    pub files: Vec<(&'static str, Vec<u8>)>,
}

/// Exports `model`; `title` (such as "trial 12 of run mnist-uno") heads the files.
pub fn export(model: &QuantModel, title: &str) -> Result<Export> {
    let c = generate(model, title)?;
    let cost = sparse_core::cost::cost(&model.architecture)?;
    let files = bundle::files(model, &c, &cost, title);
    Ok(Export { c, cost, files })
}

/// What the export of `model` will occupy, without writing any C: `(weight_bytes,
/// arena_bytes)`, the flash of its `const` arrays and the SRAM of its arena.
pub fn footprint(model: &QuantModel) -> Result<(usize, usize)> {
    model.check()?;
    let weights = model
        .layers
        .iter()
        .flat_map(QuantLayer::tensors)
        .map(|t| {
            storage::Stored::choose(&t.weights).bytes() + t.bias.len() * CHANNEL_BYTES as usize
        })
        .sum();
    Ok((weights, layout::layout(&model.architecture)?.arena_bytes))
}

/// [`export`] as one zip archive.
pub fn export_zip(model: &QuantModel, title: &str) -> Result<Vec<u8>> {
    Ok(bundle::zip(&export(model, title)?.files))
}
