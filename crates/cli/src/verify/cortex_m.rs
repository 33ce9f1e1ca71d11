//! The Cortex-M stages of `verify`: the model built with the Cortex-M harness (`cm_main.c`)
//! for a Cortex-M4 (qemu's `mps2-an386`) or a Cortex-M0 (qemu's `microbit`, the nRF51 of the
//! BBC micro:bit v1), run for its logits and, under `-icount shift=0`, its instructions per
//! layer; the M4's object file gives the weights' and arena's bytes.

use super::timing::{Clock, Timing};
use super::{Agreement, LAYER_HOOK, agreement, expected_line, parse_results, run_tool, strict};
use anyhow::{Context, bail};
use serde::Serialize;
use sparse_core::Dataset;
use sparse_core::cost::CostReport;
use sparse_core::latency::CoreFamily;
use sparse_core::quant::QuantModel;
use std::path::Path;

/// The harness and its start-up code, built beside the model, and the linker script.
pub(super) const CM_MAIN: &str = include_str!("cm_main.c");
pub(super) const CM_STARTUP: &str = include_str!("cm_startup.c");
const LINKER_SCRIPT: &str = include_str!("cortex_m.ld");

/// Instructions the harness's calibration loop runs (`CALIBRATION_INSTRUCTIONS`).
const CALIBRATION_INSTRUCTIONS: u64 = 200_000;

/// An emulated Cortex-M board.
pub(super) struct Machine {
    /// The core, as `verify` names it.
    pub(super) name: &'static str,
    /// gcc's `-mcpu`.
    cpu: &'static str,
    /// qemu's `-M`.
    qemu: &'static str,
    /// Its code memory and RAM.
    flash: &'static str,
    ram: &'static str,
    /// How its SysTick's ticks become instructions, and the board the milliseconds are for.
    clock: Clock,
}

/// A Cortex-M4 on qemu's MPS2 AN386 board: SysTick at 25 MHz, 40 instructions a tick.
pub(super) const CORTEX_M4: Machine = Machine {
    name: "Cortex-M4",
    cpu: "cortex-m4",
    qemu: "mps2-an386",
    flash: "4M",
    ram: "4M",
    clock: Clock {
        core: CoreFamily::CortexM4,
        counts_per_tick: 40.0,
        calibration_counts: CALIBRATION_INSTRUCTIONS,
        board_hz: 64_000_000,
        board: "Arduino Nano 33 BLE Sense, nRF52840",
    },
};

/// A Cortex-M0 on qemu's BBC micro:bit (nRF51822): SysTick at 16 MHz, 62.5 instructions a
/// tick; the chip's whole 256 KB of flash and 16 KB of RAM.
pub(super) const CORTEX_M0: Machine = Machine {
    name: "Cortex-M0",
    cpu: "cortex-m0",
    qemu: "microbit",
    flash: "256K",
    ram: "16K",
    clock: Clock {
        core: CoreFamily::CortexM0,
        counts_per_tick: 62.5,
        calibration_counts: CALIBRATION_INSTRUCTIONS,
        board_hz: 16_000_000,
        board: "BBC micro:bit v1, nRF51822",
    },
};

/// What a Cortex-M build occupies and did.
#[derive(Debug, Serialize)]
pub(super) struct CortexM {
    /// `.rodata` of model.o: the weights and per-channel constants.
    pub(super) weight_bytes: u64,
    /// `.bss` of model.o: the arena.
    pub(super) arena_bytes: u64,
    /// `.text` of model.o: the kernels and the layer calls (not in the cost model).
    pub(super) code_bytes: u64,
    /// The whole emulated program (harness, newlib-nano, test images): text, data, bss.
    pub(super) program: [u64; 3],
    /// Whether a blank (all-zero) image gave the evaluator's class and logits.
    pub(super) blank_identical: bool,
    /// Its run under qemu-system-arm.
    pub(super) run: Agreement,
    /// Instructions per inference, timed on the blank image and each test image.
    pub(super) timing: Timing,
}

/// Section sizes of an object file by prefix, from `size -A`.
fn section_bytes(size_output: &str, prefix: &str) -> u64 {
    size_output
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let (name, bytes) = (parts.next()?, parts.next()?.parse::<u64>().ok()?);
            (name == prefix || name.starts_with(&format!("{prefix}."))).then_some(bytes)
        })
        .sum()
}

/// Builds the harness in `dir` (model.c, the harness files, images.h with `images` test
/// images) for `machine` and runs it under qemu-system-arm.
pub(super) fn run_on(
    machine: &Machine,
    model: &QuantModel,
    cost: &CostReport,
    data: &Dataset,
    dir: &Path,
    images: usize,
) -> anyhow::Result<CortexM> {
    let script = LINKER_SCRIPT
        .replace("FLASH_BYTES", machine.flash)
        .replace("RAM_BYTES", machine.ram);
    std::fs::write(dir.join("cortex_m.ld"), script)?;
    let mcpu = format!("-mcpu={}", machine.cpu);
    let cpu = strict(&[
        "-Os",
        &mcpu,
        "-mthumb",
        "-ffunction-sections",
        "-fdata-sections",
    ]);
    let mut object = cpu.clone();
    object.extend(["-c", "model.c", "-o", "model.o"]);
    run_tool(dir, "arm-none-eabi-gcc", &object)?;
    let sizes = run_tool(dir, "arm-none-eabi-size", &["-A", "model.o"])?;
    let sizes = String::from_utf8_lossy(&sizes.stdout);
    let mut link = cpu;
    link.extend([
        LAYER_HOOK,
        "--specs=nano.specs",
        "--specs=rdimon.specs",
        "-nostartfiles",
        "-T",
        "cortex_m.ld",
        "-Wl,--gc-sections",
        "model.c",
        "cm_main.c",
        "cm_startup.c",
        "-o",
        "prog.elf",
    ]);
    run_tool(dir, "arm-none-eabi-gcc", &link)?;
    let program = run_tool(dir, "arm-none-eabi-size", &["prog.elf"])?;
    let program: Vec<u64> = String::from_utf8_lossy(&program.stdout)
        .lines()
        .nth(1)
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .filter_map(|v| v.parse().ok())
        .collect();
    let out = run_tool(
        dir,
        "timeout",
        &[
            "120",
            "qemu-system-arm",
            "-M",
            machine.qemu,
            "-nographic",
            "-semihosting-config",
            "enable=on,target=native",
            "-icount",
            "shift=0",
            "-kernel",
            "prog.elf",
        ],
    )?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !text.contains("DONE") {
        bail!(
            "the {} program under qemu did not finish: {text}",
            machine.name
        );
    }
    Ok(CortexM {
        weight_bytes: section_bytes(&sizes, ".rodata"),
        arena_bytes: section_bytes(&sizes, ".bss"),
        code_bytes: section_bytes(&sizes, ".text"),
        program: program.try_into().unwrap_or([0; 3]),
        blank_identical: parse_results(&text, "B")
            == [expected_line(model, &vec![0; data.image(0).len()])],
        run: agreement(model, data, &parse_results(&text, "R"), images),
        timing: Timing::parse(&text, &machine.clock, cost)
            .with_context(|| format!("the {} program printed no timing: {text}", machine.name))?,
    })
}
