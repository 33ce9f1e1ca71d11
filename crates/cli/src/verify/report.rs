//! What `verify` found, as one JSON object and as a line per stage.

use super::Agreement;
use super::avr::{Avr, UNO_FLASH, UNO_SRAM};
use super::cortex_m::CortexM;
use super::tflite::{Interpreted, Tflite};
use serde::Serialize;
use sparse_core::latency::Work;

/// Everything `verify` found.
#[derive(Debug, Serialize)]
pub(super) struct Report {
    pub(super) cost_flash_bytes: u64,
    pub(super) cost_sram_bytes: u64,
    pub(super) host: Agreement,
    /// `None` when no Python with LiteRT and TFLM is at hand (see `tflite_skipped`).
    pub(super) tflite: Option<Tflite>,
    pub(super) tflite_skipped: Option<String>,
    pub(super) cortex_m4: CortexM,
    /// `None` when the model does not fit the micro:bit (see `cortex_m0_skipped`).
    pub(super) cortex_m0: Option<CortexM>,
    pub(super) cortex_m0_skipped: Option<String>,
    /// `None` when the model is not meant for an Uno (see `avr_skipped`).
    pub(super) avr: Option<Avr>,
    pub(super) avr_skipped: Option<String>,
    /// What each layer's kernels do, which the latency model prices, and whether the
    /// compiler specialises its code (the fit of `bench/latency/run.sh` reads them beside the
    /// measured layers).
    pub(super) work: Vec<Work>,
    pub(super) specialised: Vec<bool>,
    pub(super) failures: Vec<String>,
}

/// One interpreter's line: how many images agree with the evaluator.
fn interpreted_line(name: &str, file_bytes: u64, run: &Interpreted) -> String {
    format!(
        "{name} (model.tflite, {file_bytes} B): {} of {} images give the evaluator's class, {} \
         every logit within 1 (largest difference {})",
        run.same_class, run.images, run.logits_within_one, run.largest_difference
    )
}

/// The lines of one emulated run: its images, then its timing.
fn emulated_lines(emulator: &str, core: &str, m: &CortexM) -> [String; 2] {
    [
        format!(
            "{emulator}: blank image {}, {} of {} test images identical",
            if m.blank_identical {
                "identical"
            } else {
                "DIFFERENT"
            },
            m.run.identical,
            m.run.images
        ),
        m.timing.describe(core),
    ]
}

/// Prints what `verify` found, a line per stage.
pub(super) fn print_report(r: &Report) -> anyhow::Result<()> {
    let print = crate::output::print;
    print(&format!(
        "host gcc: {} of {} test images give the Rust evaluator's class and logits exactly ({:.1}% correct)",
        r.host.identical,
        r.host.images,
        100.0 * r.host.correct as f64 / r.host.images as f64
    ))?;
    match (&r.tflite, &r.tflite_skipped) {
        (Some(t), _) => {
            for (name, run) in [("LiteRT", &t.litert), ("TensorFlow Lite Micro", &t.micro)] {
                print(&interpreted_line(name, t.file_bytes, run))?;
            }
            print(&format!(
                "TensorFlow Lite Micro arena: {} B ({} B of activations, our SRAM {} B; {} B of \
                 the interpreter's own tensors and nodes)",
                t.arena_bytes, t.arena_head_bytes, r.cost_sram_bytes, t.arena_tail_bytes
            ))?;
        }
        (None, Some(why)) => print(&format!("TFLite: skipped, {why}"))?,
        (None, None) => {}
    }
    let m = &r.cortex_m4;
    print(&format!(
        "Cortex-M4: weights {} B (cost model flash {} B), arena {} B (cost model SRAM {} B), \
         code {} B; whole program text {} data {} bss {}",
        m.weight_bytes,
        r.cost_flash_bytes,
        m.arena_bytes,
        r.cost_sram_bytes,
        m.code_bytes,
        m.program[0],
        m.program[1],
        m.program[2]
    ))?;
    for line in emulated_lines("qemu-system-arm mps2-an386", "Cortex-M4", m) {
        print(&line)?;
    }
    match (&r.cortex_m0, &r.cortex_m0_skipped) {
        (Some(m), _) => {
            for line in emulated_lines("qemu-system-arm microbit", "Cortex-M0", m) {
                print(&line)?;
            }
        }
        (None, Some(why)) => print(&format!("Cortex-M0: skipped, {why}"))?,
        (None, None) => {}
    }
    match (&r.avr, &r.avr_skipped) {
        (Some(a), _) => {
            print(&format!(
                "ATmega328P: program {} B of {UNO_FLASH}, static RAM {} B + stack peak {} B = {} B of {UNO_SRAM}; \
                 simavr: blank image {}, {} of {} test images identical",
                a.program_bytes,
                a.data_bytes,
                a.stack_peak_bytes,
                a.data_bytes + a.stack_peak_bytes,
                if a.blank_identical {
                    "identical"
                } else {
                    "DIFFERENT"
                },
                a.run.identical,
                a.run.images
            ))?;
            print(&a.timing.describe("ATmega328P"))
        }
        (None, Some(why)) => print(&format!("ATmega328P: skipped, {why}")),
        (None, None) => Ok(()),
    }
}
