//! The TFLite stage of `verify`: the model written as `model.tflite` (the export's
//! `--format tflite`) and run by the real interpreters, LiteRT and TensorFlow Lite for
//! Microcontrollers, through `tflite_check.py` in a Python that has them (`--python`,
//! `SPARSE_EXPLORER_PYTHON`, else `python3`); their classes and logits against the evaluator's,
//! and the arena TFLM needed beside the cost model's SRAM.

use super::run_tool;
use anyhow::Context;
use serde::Serialize;
use sparse_core::Dataset;
use sparse_core::quant::{QuantModel, argmax};
use std::path::Path;

/// The script, written beside the model.
const CHECK: &str = include_str!("tflite_check.py");
/// The packages it needs, as `cargo xtask test` pins them.
pub(super) const PACKAGES: &str = "ai-edge-litert==2.3.0 tflite-micro==0.dev20261023182759";
/// The arena TFLM is offered; it reports what it used.
const ARENA_OFFERED: u64 = 16 << 20;
/// The share of images whose class must agree, and whose every logit must be within one code.
pub(super) const AGREEMENT: f64 = 0.999;

/// One interpreter's results against the evaluator's.
#[derive(Debug, Serialize)]
pub(super) struct Interpreted {
    pub(super) images: usize,
    /// Images whose class equals the evaluator's.
    pub(super) same_class: usize,
    /// Images whose every logit is within one code of the evaluator's.
    pub(super) logits_within_one: usize,
    /// The largest difference of a logit, over all images.
    pub(super) largest_difference: i64,
}

impl Interpreted {
    /// Whether at least [`AGREEMENT`] of the images got the evaluator's class, and as many
    /// its every logit within one code (LiteRT runs the XNNPACK delegate's kernels, whose
    /// rounding is not TFLite's reference: a code may differ; TFLM's reference kernels round as
    /// the evaluator does).
    pub(super) fn agrees(&self) -> bool {
        let enough = |n: usize| self.images > 0 && n as f64 >= AGREEMENT * self.images as f64;
        enough(self.same_class) && enough(self.logits_within_one)
    }
}

/// The TFLite figures.
#[derive(Debug, Serialize)]
pub(super) struct Tflite {
    /// Size of model.tflite.
    pub(super) file_bytes: u64,
    /// LiteRT's run.
    pub(super) litert: Interpreted,
    /// TensorFlow Lite for Microcontrollers' run.
    pub(super) micro: Interpreted,
    /// The arena TFLM allocated in all, its head (the activations, planned) and its tail
    /// (the interpreter's own tensors, nodes and buffers).
    pub(super) arena_bytes: u64,
    pub(super) arena_head_bytes: u64,
    pub(super) arena_tail_bytes: u64,
}

/// `TAG class logit...` lines as the logits.
fn logits_of(text: &str, tag: &str) -> Vec<Vec<i64>> {
    super::parse_results(text, tag)
        .into_iter()
        .map(|line| line.into_iter().skip(1).collect())
        .collect()
}

/// Compares an interpreter's logits with the evaluator's on the first images of `data`.
fn compare(model: &QuantModel, data: &Dataset, found: &[Vec<i64>]) -> Interpreted {
    let mut result = Interpreted {
        images: found.len(),
        same_class: 0,
        logits_within_one: 0,
        largest_difference: 0,
    };
    for (i, theirs) in found.iter().enumerate() {
        let ours: Vec<i64> = model
            .logits(data.image(i))
            .iter()
            .map(|&v| v as i64)
            .collect();
        let first_largest = |v: &[i64]| argmax(&v.iter().map(|&x| x as i32).collect::<Vec<_>>());
        result.same_class += usize::from(first_largest(theirs) == first_largest(&ours));
        let difference = ours
            .iter()
            .zip(theirs)
            .map(|(a, b)| (a - b).abs())
            .max()
            .unwrap_or(i64::MAX);
        result.logits_within_one += usize::from(difference <= 1 && theirs.len() == ours.len());
        result.largest_difference = result.largest_difference.max(difference);
    }
    result
}

/// The `[RecordingMicroAllocator] Arena allocation WHAT N bytes` figure of TFLM's report.
fn arena_figure(report: &str, what: &str) -> anyhow::Result<u64> {
    let prefix = format!("[RecordingMicroAllocator] Arena allocation {what} ");
    report
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix(&prefix)?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .with_context(|| format!("TFLM reported no arena {what}: {report}"))
}

/// Whether `python` can import the interpreters.
pub(super) fn available(python: &str) -> bool {
    std::process::Command::new(python)
        .args(["-c", "import ai_edge_litert.interpreter, tflite_micro"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Writes `model.tflite` and the script into `dir`, runs both interpreters with `python` on
/// the images of `images_bin` (the host stage's file, the first images of `data`).
pub(super) fn run(
    python: &str,
    model: &QuantModel,
    data: &Dataset,
    dir: &Path,
    images_bin: &Path,
) -> anyhow::Result<Tflite> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let bytes = sparse_export::tflite::tflite(model)?;
    std::fs::write(dir.join("model.tflite"), &bytes)?;
    std::fs::write(dir.join("tflite_check.py"), CHECK)?;
    let [c, h, w] = model.architecture.input;
    // The script runs in `dir`, so the images' path must not be relative.
    let images = std::fs::canonicalize(images_bin)
        .with_context(|| format!("cannot find {}", images_bin.display()))?;
    let images = images.to_str().context("the images' path is not UTF-8")?;
    let out = run_tool(
        dir,
        python,
        &[
            "tflite_check.py",
            "model.tflite",
            images,
            &c.to_string(),
            &h.to_string(),
            &w.to_string(),
            &ARENA_OFFERED.to_string(),
        ],
    )?;
    let (text, report) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    Ok(Tflite {
        file_bytes: bytes.len() as u64,
        litert: compare(model, data, &logits_of(&text, "L")),
        micro: compare(model, data, &logits_of(&text, "M")),
        arena_bytes: arena_figure(&report, "total")?,
        arena_head_bytes: arena_figure(&report, "head")?,
        arena_tail_bytes: arena_figure(&report, "tail")?,
    })
}
