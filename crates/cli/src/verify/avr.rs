//! The ATmega328P stage of `verify`: the model built with the AVR harness (`avr_main.c`) for an
//! Arduino Uno, run under simavr for its logits, its stack's peak and its cycles per layer.

use super::timing::{Clock, Timing};
use super::{Agreement, LAYER_HOOK, agreement, expected_line, parse_results, run_tool, strict};
use anyhow::{Context, bail};
use serde::Serialize;
use sparse_core::Dataset;
use sparse_core::cost::CostReport;
use sparse_core::latency::CoreFamily;
use sparse_core::quant::QuantModel;
use std::path::Path;

/// The harness, built beside the model.
pub(super) const AVR_MAIN: &str = include_str!("avr_main.c");
/// The ATmega328P's flash and SRAM.
pub(super) const UNO_FLASH: u64 = 32 * 1024;
pub(super) const UNO_SRAM: u64 = 2 * 1024;
/// The Uno's clock, which the build and simavr are told.
const UNO_CLOCK_HZ: u64 = 16_000_000;
/// Flash the AVR harness needs besides the weights and test images: the kernels, its UART
/// printing, its timer and per-layer timing, start-up and libgcc (5.8 KB measured for a model
/// of 26.5 KB of weights whose tensors need 32-bit positions), with a margin.
pub(super) const AVR_CODE_BYTES: u64 = 6144;

/// The ATmega328P figures.
#[derive(Debug, Serialize)]
pub(super) struct Avr {
    /// `avr-size -C` Program: flash of the whole program (harness and test images included).
    pub(super) program_bytes: u64,
    /// `avr-size -C` Data: static SRAM (the arena, the harness's UART stream).
    pub(super) data_bytes: u64,
    /// The stack's measured peak.
    pub(super) stack_peak_bytes: u64,
    /// Whether a blank (all-zero) image gave the evaluator's class and logits.
    pub(super) blank_identical: bool,
    /// Its run under simavr.
    pub(super) run: Agreement,
    /// How long an inference took, timed on the blank image and each test image.
    pub(super) timing: Timing,
}

/// Timer1 counts CPU cycles; the calibration is a busy wait of exactly 1 ms.
const UNO_TIMER: Clock = Clock {
    core: CoreFamily::Avr,
    counts_per_tick: 1.0,
    calibration_counts: UNO_CLOCK_HZ / 1000,
    board_hz: UNO_CLOCK_HZ,
    board: "Arduino Uno",
};

/// Builds the ATmega328P program in `dir` (model.c, avr_main.c, images.h with `images` test
/// images), checks it fits the Uno's flash, and runs it under simavr.
pub(super) fn run_on_uno(
    model: &QuantModel,
    cost: &CostReport,
    data: &Dataset,
    dir: &Path,
    images: usize,
) -> anyhow::Result<Avr> {
    run_tool(
        dir,
        "avr-gcc",
        &strict(&[
            "-mmcu=atmega328p",
            "-Os",
            &format!("-DF_CPU={UNO_CLOCK_HZ}UL"),
            LAYER_HOOK,
            "-ffunction-sections",
            "-fdata-sections",
            "-Wl,--gc-sections",
            "model.c",
            "avr_main.c",
            "-o",
            "uno.elf",
        ]),
    )?;
    let sizes = run_tool(dir, "avr-size", &["-C", "--mcu=atmega328p", "uno.elf"])?;
    let sizes = String::from_utf8_lossy(&sizes.stdout);
    let figure = |label: &str| {
        sizes
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .and_then(|l| l.split_whitespace().next()?.parse::<u64>().ok())
            .with_context(|| format!("avr-size printed no {label} line: {sizes}"))
    };
    let (program_bytes, data_bytes) = (figure("Program:")?, figure("Data:")?);
    if program_bytes > UNO_FLASH {
        bail!("the ATmega328P program needs {program_bytes} B of flash; the chip has {UNO_FLASH}");
    }
    let out = run_tool(
        dir,
        "timeout",
        &[
            "60",
            "simavr",
            "-m",
            "atmega328p",
            "-f",
            &UNO_CLOCK_HZ.to_string(),
            "uno.elf",
        ],
    )?;
    // simavr prints the UART on stderr, coloured, each newline shown as a trailing '.'.
    let text: String = String::from_utf8_lossy(&out.stderr)
        .replace("\x1b[32m", "")
        .replace("\x1b[0m", "")
        .lines()
        .map(|l| format!("{}\n", l.trim_end_matches('.')))
        .collect();
    let stack_peak_bytes = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("S "))
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("the ATmega328P program under simavr did not finish: {text}"))?;
    let blank = vec![0u8; data.image(0).len()];
    let blank_lines = parse_results(&text, "B");
    Ok(Avr {
        program_bytes,
        data_bytes,
        stack_peak_bytes,
        blank_identical: blank_lines == [expected_line(model, &blank)],
        run: agreement(model, data, &parse_results(&text, "R"), images),
        timing: Timing::parse(&text, &UNO_TIMER, cost)
            .with_context(|| format!("the ATmega328P program printed no timing: {text}"))?,
    })
}
