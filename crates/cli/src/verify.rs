//! `sparse-explorer verify`: proves an exported model right with real compilers. The host
//! build must give the Rust int8 evaluator's logits exactly on test images; the Cortex-M4
//! build's weights and arena must match the cost model's flash and SRAM within 5%, and its
//! run under qemu-system-arm the same logits; an Uno-sized model must build for the
//! ATmega328P, give the same logits under simavr and fit 2 KB of SRAM with its stack.

mod avr;

use crate::dataset::DatasetArgs;
use anyhow::{Context, bail};
use avr::{AVR_CODE_BYTES, AVR_MAIN, Avr, UNO_FLASH, UNO_SRAM};
use clap::Args;
use serde::Serialize;
use sparse_core::Dataset;
use sparse_core::quant::{QuantModel, argmax};
use sparse_export::c::STRICT_C99;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const HOST_MAIN: &str = include_str!("verify/host_main.c");
const CM_MAIN: &str = include_str!("verify/cm_main.c");
const CM_STARTUP: &str = include_str!("verify/cm_startup.c");
const CM_LINKER_SCRIPT: &str = include_str!("verify/cm.ld");

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
}

/// Predictions of one build against the Rust evaluator's.
#[derive(Debug, Serialize)]
struct Agreement {
    /// Images run.
    images: usize,
    /// Images whose class and every logit equal the evaluator's.
    identical: usize,
    /// Images classified correctly by the build.
    correct: usize,
}

impl Agreement {
    fn passed(&self) -> bool {
        self.images > 0 && self.identical == self.images
    }
}

/// The Cortex-M4 figures.
#[derive(Debug, Serialize)]
struct CortexM4 {
    /// `.rodata` of model.o: the weights and per-channel constants.
    weight_bytes: u64,
    /// `.bss` of model.o: the arena.
    arena_bytes: u64,
    /// `.text` of model.o: the kernels and the layer calls (not in the cost model).
    code_bytes: u64,
    /// The whole emulated program (harness, newlib-nano, test images): text, data, bss.
    program: [u64; 3],
    /// Its run under qemu-system-arm.
    run: Agreement,
}

/// Everything `verify` found.
#[derive(Debug, Serialize)]
struct Report {
    cost_flash_bytes: u64,
    cost_sram_bytes: u64,
    host: Agreement,
    cortex_m4: CortexM4,
    /// `None` when the model is not meant for an Uno (see `avr_skipped`).
    avr: Option<Avr>,
    avr_skipped: Option<String>,
    failures: Vec<String>,
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

fn cortex_m4(
    model: &QuantModel,
    data: &Dataset,
    dir: &Path,
    images: usize,
) -> anyhow::Result<CortexM4> {
    let cpu = strict(&[
        "-Os",
        "-mcpu=cortex-m4",
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
        "--specs=nano.specs",
        "--specs=rdimon.specs",
        "-nostartfiles",
        "-T",
        "cm.ld",
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
            "60",
            "qemu-system-arm",
            "-M",
            "mps2-an386",
            "-nographic",
            "-semihosting-config",
            "enable=on,target=native",
            "-kernel",
            "prog.elf",
        ],
    )?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !text.contains("DONE") {
        bail!("the Cortex-M4 program under qemu did not finish: {text}");
    }
    Ok(CortexM4 {
        weight_bytes: section_bytes(&sizes, ".rodata"),
        arena_bytes: section_bytes(&sizes, ".bss"),
        code_bytes: section_bytes(&sizes, ".text"),
        program: program.try_into().unwrap_or([0; 3]),
        run: agreement(model, data, &parse_results(&text, "R"), images),
    })
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
    let images_h = images_header(&test, emulated);

    let dir = build_dir(&root, &args.dir, "host", &[("host_main.c", HOST_MAIN)])?;
    let host = host(&model, &test, &dir, images)?;
    let dir = build_dir(
        &root,
        &args.dir,
        "cortex-m4",
        &[
            ("cm_main.c", CM_MAIN),
            ("cm_startup.c", CM_STARTUP),
            ("cm.ld", CM_LINKER_SCRIPT),
            ("images.h", &images_h),
        ],
    )?;
    let cortex_m4 = cortex_m4(&model, &test, &dir, emulated)?;
    let avr_skipped = (cost.flash_bytes > UNO_FLASH || cost.sram_bytes > UNO_SRAM).then(|| {
        format!(
            "not an Uno model: it needs {} B of flash and {} B of SRAM for weights and activations",
            cost.flash_bytes, cost.sram_bytes
        )
    });
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
            Some(avr::run_on_uno(&model, &test, &dir, fit)?)
        }
    };

    let mut failures = vec![];
    if !host.passed() {
        failures.push(format!(
            "host: {} of {} images identical",
            host.identical, host.images
        ));
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
    if !cortex_m4.run.passed() {
        failures.push(format!(
            "qemu: {} of {} images identical",
            cortex_m4.run.identical, cortex_m4.run.images
        ));
    }
    if let Some(avr) = &avr {
        if !avr.blank_identical {
            failures.push("simavr: the blank image's logits differ".into());
        }
        if avr.run.identical != avr.run.images {
            failures.push(format!(
                "simavr: {} of {} images identical",
                avr.run.identical, avr.run.images
            ));
        }
        if !avr.cycles.counts_cpu_cycles() {
            failures.push(format!(
                "simavr: a 1 ms busy wait was timed at {} cycles, not 16000: the cycle count is wrong",
                avr.cycles.one_ms_wait
            ));
        }
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
        cortex_m4,
        avr,
        avr_skipped,
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

fn print_report(r: &Report) -> anyhow::Result<()> {
    let print = crate::output::print;
    print(&format!(
        "host gcc: {} of {} test images give the Rust evaluator's class and logits exactly ({:.1}% correct)",
        r.host.identical,
        r.host.images,
        100.0 * r.host.correct as f64 / r.host.images as f64
    ))?;
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
    print(&format!(
        "qemu-system-arm mps2-an386: {} of {} images identical",
        m.run.identical, m.run.images
    ))?;
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
            let c = &a.cycles;
            print(&format!(
                "ATmega328P inference: {} cycles (min {}, max {}, {} timed), {:.1} ms at 16 MHz",
                c.mean, c.min, c.max, c.inferences, c.latency_ms
            ))
        }
        (None, Some(why)) => print(&format!("ATmega328P: skipped, {why}")),
        (None, None) => Ok(()),
    }
}
