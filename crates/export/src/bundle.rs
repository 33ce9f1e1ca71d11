//! The download: a zip of `model.h`, `model.c`, `model.json` (the int8 model, loadable back)
//! and a README saying what the files are, how to call them and what they occupy.

use crate::c::CModel;
use sparse_core::cost::CostReport;
use sparse_core::quant::QuantModel;
use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;

/// The files of an export, by name, in the order they are written.
pub fn files(
    model: &QuantModel,
    c: &CModel,
    cost: &CostReport,
    title: &str,
) -> Vec<(&'static str, Vec<u8>)> {
    let json = serde_json::to_vec(model).expect("a QuantModel always serialises");
    vec![
        ("model.h", c.header.clone().into_bytes()),
        ("model.c", c.source.clone().into_bytes()),
        ("model.json", json),
        ("README.md", readme(model, c, cost, title).into_bytes()),
    ]
}

/// A zip archive of `files`, stored uncompressed: they are a few tens of KB, and a compressor
/// would weigh more in the page's module than it saves in the download.
pub fn zip(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut archive = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in files {
        archive
            .start_file(*name, options)
            .and_then(|()| archive.write_all(bytes).map_err(Into::into))
            .expect("writing to memory cannot fail");
    }
    archive
        .finish()
        .expect("writing to memory cannot fail")
        .into_inner()
}

fn readme(model: &QuantModel, c: &CModel, cost: &CostReport, title: &str) -> String {
    let [ch, h, w] = model.architecture.input;
    let layers: Vec<String> = model
        .architecture
        .layers
        .iter()
        .map(|l| l.describe())
        .collect();
    format!(
        "# {title}\n\n\
         Exported by sparse-explorer: an int8 CNN as self-contained C99 for a microcontroller.\n\n\
         Layers: {}.\n\n\
         | file | what |\n| --- | --- |\n\
         | `model.h` | the API and sizes (`MODEL_INPUT_SIZE`, `MODEL_CLASSES`, `MODEL_ARENA_BYTES`) |\n\
         | `model.c` | the kernels, the weights as `const` arrays (in flash; `PROGMEM` on AVR), one static arena |\n\
         | `model.json` | the int8 model (architecture and weights); `sparse-explorer export --model model.json` rebuilds the C |\n\n\
         ## Use\n\n\
         ```c\n#include \"model.h\"\n\n\
         /* {ch}x{h}x{w} raw 0-255 pixels, channel-height-width order. */\n\
         uint8_t *image = model_input();   /* fill MODEL_INPUT_SIZE bytes here, or pass your own buffer */\n\
         int digit = model_predict(image);\n```\n\n\
         Compile `model.c` with your firmware (C99; no malloc, no floating point, no other files).\n\
         See `docs/deploy.md` in sparse-explorer for each board.\n\n\
         ## Memory\n\n\
         | | cost model | this export |\n| --- | --- | --- |\n\
         | flash for weights and per-channel constants | {} B | {} B (`MODEL_WEIGHT_BYTES`) |\n\
         | SRAM for activations | {} B | {} B (`MODEL_ARENA_BYTES`) |\n\n\
         The kernels' code adds about 0.7-1.2 KB of flash on a Cortex-M4 and 2.3-4 KB (with\n\
         libgcc's 64-bit arithmetic) on an AVR; the stack needs about 100 bytes.\n\
         The export stores each tensor dense, or as its non-zero weights plus a bitmap when that\n\
         is smaller, counting the weights that are zero after int8 rounding.\n",
        layers.join(", "),
        cost.flash_bytes,
        c.weight_bytes,
        cost.sram_bytes,
        c.arena_bytes,
    )
}
