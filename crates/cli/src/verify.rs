//! `sparse-explorer verify`: proves an exported model right with real compilers. The host
//! build must give the Rust int8 evaluator's logits exactly on test images; the Cortex-M4
//! build's weights and arena must match the cost model's flash and SRAM within 5%, and its
//! run under qemu-system-arm the same logits; a model that fits the micro:bit must give them
//! on its Cortex-M0 under qemu, and an Uno-sized model on the ATmega328P under simavr, within
//! 2 KB of SRAM with its stack. Every emulated run also times each layer, beside the latency
//! model's estimate. Where a Python has LiteRT and TensorFlow Lite Micro, both run the model as
//! `.tflite` and must give the evaluator's classes; TFLM's arena is reported.

mod avr;
mod cortex_m;
mod report;
mod tflite;
mod timing;

use crate::dataset::DatasetArgs;
use anyhow::{Context, bail};
use avr::{AVR_CODE_BYTES, AVR_MAIN, UNO_FLASH, UNO_SRAM};
use clap::Args;
use cortex_m::{CM_MAIN, CM_STARTUP, CORTEX_M0, CORTEX_M4, CortexM, Machine};
use report::{Report, print_report};
use serde::Serialize;
use sparse_core::Dataset;
use sparse_core::boards::Board;
use sparse_core::cost::CostReport;
use sparse_core::quant::{QuantModel, argmax};
use sparse_export::c::STRICT_C99;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use timing::Timing;

const HOST_MAIN: &str = include_str!("verify/host_main.c");
/// The flag that makes model.c call the emulated harnesses' `verify_layer_done` after each
/// layer, to time it.
const LAYER_HOOK: &str = "-DMODEL_LAYER_HOOK=verify_layer_done";

/// How far the compiled weights and arena may be from the cost model's figures.
const TOLERANCE: f64 = 0.05;

/// Options of `sparse-explorer verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// A folder written by `sparse-explorer export` (model.h, model.c, model.json); the builds
    /// go to DIR/verify.
    dir: PathBuf,
    /// Test images the host build must agree on.
    #[arg(long, default_value_t = 1000)]
    images: usize,
    /// Test images run in each emulator.
    #[arg(long, default_value_t = 5)]
    emulated_images: usize,
    #[command(flatten)]
    data: DatasetArgs,
    /// Print one JSON object with every figure as the last line.
    #[arg(long)]
    json: bool,
    /// A Python with LiteRT and TensorFlow Lite for Microcontrollers (pip's ai-edge-litert
    /// and tflite-micro), which run the model as model.tflite; by default
    /// $SPARSE_EXPLORER_PYTHON, else python3 (without them the TFLite stage is skipped).
    #[arg(long, value_name = "PATH")]
    python: Option<String>,
}

/// Predictions of one build against the Rust evaluator's.
#[derive(Debug, Serialize)]
pub(super) struct Agreement {
    /// Images run.
    pub(super) images: usize,
    /// Images whose class and every logit equal the evaluator's.
    pub(super) identical: usize,
    /// Images classified correctly by the build.
    pub(super) correct: usize,
}

impl Agreement {
    fn passed(&self) -> bool {
        self.images > 0 && self.identical == self.images
    }
}

/// The export's strict C99 flags followed by `rest`: the model and every harness build clean
/// under them.
fn strict<'a>(rest: &[&'a str]) -> Vec<&'a str> {
    STRICT_C99.iter().chain(rest).copied().collect()
}

/// Runs `program` with `args` in `dir`, failing with its output when it fails.
fn run_tool(dir: &Path, program: &str, args: &[&str]) -> anyhow::Result<Output> {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .with_context(|| {
            format!(
                "cannot run {program}: install Debian's gcc-arm-none-eabi libnewlib-arm-none-eabi \
                 qemu-system-arm gcc-avr avr-libc binutils-avr simavr (cargo xtask test does)"
            )
        })?;
    if !output.status.success() {
        bail!(
            "{program} {} failed ({}): {}{}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(output)
}

/// The `TAG class logit...` lines of a harness's output (`R` for test images, `B` for the
/// blank one), as numbers.
fn parse_results(text: &str, tag: &str) -> Vec<Vec<i64>> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix(tag)?.strip_prefix(' '))
        .map(|l| l.split(' ').filter_map(|v| v.parse().ok()).collect())
        .collect()
}

/// The line a harness must print for `pixels`: the evaluator's class, then its logits.
fn expected_line(model: &QuantModel, pixels: &[u8]) -> Vec<i64> {
    let logits = model.logits(pixels);
    std::iter::once(argmax(&logits) as i64)
        .chain(logits.iter().map(|&v| v as i64))
        .collect()
}

/// Compares a build's results on the first images of `data` with the evaluator's.
fn agreement(model: &QuantModel, data: &Dataset, results: &[Vec<i64>], images: usize) -> Agreement {
    let mut found = Agreement {
        images,
        identical: 0,
        correct: 0,
    };
    for (i, line) in results.iter().take(images).enumerate() {
        found.identical += usize::from(*line == expected_line(model, data.image(i)));
        found.correct += usize::from(line.first() == Some(&(data.label(i) as i64)));
    }
    found
}

/// `images.h`: the first `count` images of `data` as a const array (in flash on AVR; one
/// unused zero when `count` is 0, as C has no empty arrays).
fn images_header(data: &Dataset, count: usize) -> String {
    let mut pixels: Vec<String> = (0..count)
        .flat_map(|i| data.image(i).iter().map(|p| p.to_string()))
        .collect();
    if pixels.is_empty() {
        pixels.push("0".into());
    }
    let rows: Vec<String> = pixels.chunks(28).map(|r| r.join(",")).collect();
    format!(
        "/* The test images the emulated harness runs, generated by sparse-explorer verify. */\n\
         #include <stdint.h>\n#include \"model.h\"\n\
         #if defined(__AVR__)\n#include <avr/pgmspace.h>\n#define VERIFY_FLASH PROGMEM\n\
         #else\n#define VERIFY_FLASH\n#endif\n\
         #define VERIFY_IMAGES {count}u\n\
         static const uint8_t verify_images[] VERIFY_FLASH = {{\n{}\n}};\n",
        rows.join(",\n")
    )
}

/// A fresh build folder `name` under `root` holding the exported files and `extra`.
fn build_dir(
    root: &Path,
    export: &Path,
    name: &str,
    extra: &[(&str, &str)],
) -> anyhow::Result<PathBuf> {
    let dir = root.join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for file in ["model.h", "model.c"] {
        std::fs::copy(export.join(file), dir.join(file))
            .with_context(|| format!("cannot read {}", export.join(file).display()))?;
    }
    for (file, text) in extra {
        std::fs::write(dir.join(file), text)?;
    }
    Ok(dir)
}

fn host(
    model: &QuantModel,
    data: &Dataset,
    dir: &Path,
    images: usize,
) -> anyhow::Result<Agreement> {
    let bytes: Vec<u8> = (0..images).flat_map(|i| data.image(i).to_vec()).collect();
    std::fs::write(dir.join("images.bin"), bytes)?;
    run_tool(
        dir,
        "cc",
        &strict(&["-O2", "model.c", "host_main.c", "-o", "host"]),
    )?;
    let out = run_tool(dir, "./host", &["images.bin"])?;
    Ok(agreement(
        model,
        data,
        &parse_results(&String::from_utf8_lossy(&out.stdout), "R"),
        images,
    ))
}

/// Why `model` does not fit `board`, if it does not (`None` when it does).
fn misfit(cost: &CostReport, board: &Board) -> Option<String> {
    let budget = board.budget();
    (cost.flash_bytes > budget.flash_bytes || cost.sram_bytes > budget.sram_bytes).then(|| {
        format!(
            "it does not fit the {}: it needs {} B of flash and {} B of SRAM for weights \
             and activations, and the board leaves {} B and {} B",
            board.name, cost.flash_bytes, cost.sram_bytes, budget.flash_bytes, budget.sram_bytes
        )
    })
}

/// Builds and runs `machine`'s program in the build folder `name`.
fn cortex_m(
    machine: &Machine,
    model: &QuantModel,
    cost: &CostReport,
    test: &Dataset,
    export: &Path,
    images: usize,
) -> anyhow::Result<CortexM> {
    let dir = build_dir(
        &export.join("verify"),
        export,
        &machine.name.to_lowercase(),
        &[
            ("cm_main.c", CM_MAIN),
            ("cm_startup.c", CM_STARTUP),
            ("images.h", &images_header(test, images)),
        ],
    )?;
    cortex_m::run_on(machine, model, cost, test, &dir, images)
}

/// The failures of one emulated run: test images or the blank image not identical, or a timer
/// that did not count what it should.
fn emulated_failures(
    core: &str,
    blank_identical: bool,
    run: &Agreement,
    timing: &Timing,
) -> Vec<String> {
    let mut failures = vec![];
    if !blank_identical {
        failures.push(format!("{core}: the blank image's logits differ"));
    }
    // A model that fills the Uno leaves no flash for test images: then the blank one alone.
    if run.identical != run.images {
        failures.push(format!(
            "{core}: {} of {} images identical",
            run.identical, run.images
        ));
    }
    if !timing.calibrated() {
        failures.push(format!(
            "{core}: a calibration of {} {} was timed at {}: the timing is wrong",
            timing.calibration_expected, timing.unit, timing.calibration
        ));
    }
    failures
}

/// Whether `found` is within [`TOLERANCE`] of `predicted`.
fn close(found: u64, predicted: u64) -> bool {
    (found as f64 - predicted as f64).abs() <= TOLERANCE * predicted as f64
}

/// Runs the command.
pub fn run(args: VerifyArgs) -> anyhow::Result<()> {
    let model = crate::export::read_model(&args.dir.join("model.json"))?;
    let test = args.data.load()?.test;
    let shape = test.shape();
    if [shape.channels, shape.height, shape.width] != model.architecture.input {
        bail!(
            "the model takes {:?} images but the dataset's are {}x{}x{}",
            model.architecture.input,
            shape.channels,
            shape.height,
            shape.width
        );
    }
    let images = args.images.clamp(1, test.len());
    let emulated = args.emulated_images.clamp(1, images);
    let cost = sparse_core::cost::cost(&model.architecture)?;
    let root = args.dir.join("verify");

    let dir = build_dir(&root, &args.dir, "host", &[("host_main.c", HOST_MAIN)])?;
    let host = host(&model, &test, &dir, images)?;
    let python = args
        .python
        .clone()
        .or_else(|| std::env::var("SPARSE_EXPLORER_PYTHON").ok())
        .unwrap_or_else(|| "python3".into());
    let tflite_skipped = (!tflite::available(&python)).then(|| {
        format!(
            "{python} has no LiteRT and TensorFlow Lite Micro: pip install {} (cargo xtask test \
             installs them in target/python), or give --python",
            tflite::PACKAGES
        )
    });
    let tflite = match tflite_skipped {
        Some(_) => None,
        None => Some(tflite::run(
            &python,
            &model,
            &test,
            &root.join("tflite"),
            &dir.join("images.bin"),
        )?),
    };
    let cortex_m4 = cortex_m(&CORTEX_M4, &model, &cost, &test, &args.dir, emulated)?;
    let microbit = Board::preset("microbit-v1").expect("a preset");
    let cortex_m0_skipped = misfit(&cost, &microbit);
    let cortex_m0 = match cortex_m0_skipped {
        Some(_) => None,
        None => Some(cortex_m(
            &CORTEX_M0, &model, &cost, &test, &args.dir, emulated,
        )?),
    };
    let avr_skipped = misfit(&cost, &Board::preset("arduino-uno").expect("a preset"));
    let avr = match avr_skipped {
        Some(_) => None,
        None => {
            // A model that fills the Uno leaves room for fewer test images in its flash (or
            // none: the harness always classifies a blank image too).
            let room = UNO_FLASH.saturating_sub(cost.flash_bytes + AVR_CODE_BYTES);
            let fit = (room / test.image(0).len() as u64).min(emulated as u64) as usize;
            let images_h = images_header(&test, fit);
            let dir = build_dir(
                &root,
                &args.dir,
                "atmega328p",
                &[("avr_main.c", AVR_MAIN), ("images.h", &images_h)],
            )?;
            Some(avr::run_on_uno(&model, &cost, &test, &dir, fit)?)
        }
    };

    let mut failures = vec![];
    if !host.passed() {
        failures.push(format!(
            "host: {} of {} images identical",
            host.identical, host.images
        ));
    }
    if let Some(t) = &tflite {
        for (name, run) in [("LiteRT", &t.litert), ("TensorFlow Lite Micro", &t.micro)] {
            if !run.agrees() {
                failures.push(format!(
                    "{name}: {} of {} images give the evaluator's class and {} every logit \
                     within one code (at least {}% must)",
                    run.same_class,
                    run.images,
                    run.logits_within_one,
                    100.0 * tflite::AGREEMENT
                ));
            }
        }
    }
    if !close(cortex_m4.weight_bytes, cost.flash_bytes) {
        failures.push(format!(
            "Cortex-M4 weights {} B are not within 5% of the cost model's flash {} B",
            cortex_m4.weight_bytes, cost.flash_bytes
        ));
    }
    if !close(cortex_m4.arena_bytes, cost.sram_bytes) {
        failures.push(format!(
            "Cortex-M4 arena {} B is not within 5% of the cost model's SRAM {} B",
            cortex_m4.arena_bytes, cost.sram_bytes
        ));
    }
    for (machine, m) in [
        (&CORTEX_M4, Some(&cortex_m4)),
        (&CORTEX_M0, cortex_m0.as_ref()),
    ] {
        if let Some(m) = m {
            failures.extend(emulated_failures(
                machine.name,
                m.blank_identical,
                &m.run,
                &m.timing,
            ));
        }
    }
    if let Some(avr) = &avr {
        failures.extend(emulated_failures(
            "ATmega328P",
            avr.blank_identical,
            &avr.run,
            &avr.timing,
        ));
        if avr.data_bytes + avr.stack_peak_bytes > UNO_SRAM {
            failures.push(format!(
                "ATmega328P static RAM {} B + stack peak {} B exceed {UNO_SRAM} B",
                avr.data_bytes, avr.stack_peak_bytes
            ));
        }
    }
    let report = Report {
        cost_flash_bytes: cost.flash_bytes,
        cost_sram_bytes: cost.sram_bytes,
        host,
        tflite,
        tflite_skipped,
        cortex_m4,
        cortex_m0,
        cortex_m0_skipped,
        avr,
        avr_skipped,
        work: cost.layers.iter().map(|l| l.work).collect(),
        specialised: cost.layers.iter().map(|l| l.specialised).collect(),
        failures,
    };
    print_report(&report)?;
    if args.json {
        crate::output::print(&serde_json::to_string(&report)?)?;
    }
    if !report.failures.is_empty() {
        bail!("verification failed: {}", report.failures.join("; "));
    }
    Ok(())
}
