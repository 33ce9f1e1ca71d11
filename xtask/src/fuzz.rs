//! `cargo xtask fuzz [--seconds N] [TARGET...]`: runs the fuzz targets of `fuzz/` (every
//! parser of user files) under libFuzzer with cargo-fuzz (installed, pinned), each for N
//! seconds (default 600), then minimises its corpus in `fuzz/corpus/TARGET/` (committed, and
//! replayed by `cargo xtask test`) and reports its executions. A crash's input is left in
//! `fuzz/artifacts/TARGET/`; copied to `fuzz/regressions/TARGET/` it is replayed by every test.

use crate::run::{command, describe, output, status};
use crate::tools::ensure_cargo_tool;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

/// The cargo-fuzz release the targets run under.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// Every target, as `fuzz/Cargo.toml` names its binaries.
const TARGETS: [&str; 6] = ["csv", "idx", "architecture", "trials", "state", "model"];

/// Largest input libFuzzer builds, in bytes: room for a small run's state or a small model.
const MAX_LEN: usize = 16_384;

/// Runs the command: `args` are what follows `fuzz`.
pub fn fuzz(args: &[String]) -> Result<(), String> {
    let mut seconds = 600u64;
    let mut targets = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => {
                seconds = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or("--seconds needs a whole number of seconds")?;
            }
            name if TARGETS.contains(&name) => targets.push(name),
            other => {
                return Err(format!(
                    "unknown fuzz target or option {other}: the targets are {}",
                    TARGETS.join(", ")
                ));
            }
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    ensure_cargo_tool("cargo-fuzz", "cargo-fuzz", CARGO_FUZZ_VERSION, true)?;
    let mut report = Vec::new();
    for target in targets {
        let runs = run_target(target, seconds)?;
        let mut cmin = fuzz_command();
        cmin.args(["cmin", "--sanitizer", "none", target]);
        status(&mut cmin)?;
        report.push(format!(
            "{target}: {runs} executions in {seconds} s, no crash"
        ));
    }
    eprintln!("xtask: fuzzing done\n  {}", report.join("\n  "));
    Ok(())
}

/// `cargo fuzz`, on the nightly toolchain where one is installed, else on stable with
/// `RUSTC_BOOTSTRAP` (cargo-fuzz passes unstable flags; no sanitizer is asked for).
fn fuzz_command() -> std::process::Command {
    let toolchains = output(command("rustup").args(["toolchain", "list"])).unwrap_or_default();
    let mut cmd = command("cargo");
    if toolchains.lines().any(|l| l.starts_with("nightly")) {
        cmd.arg("+nightly");
    } else {
        cmd.env("RUSTC_BOOTSTRAP", "1");
    }
    cmd.arg("fuzz");
    cmd
}

/// Fuzzes `target` for `seconds` and returns libFuzzer's count of executions, or the crash.
fn run_target(target: &str, seconds: u64) -> Result<u64, String> {
    let mut cmd = fuzz_command();
    cmd.args(["run", "--sanitizer", "none", target, "--"])
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-max_len={MAX_LEN}"))
        .arg("-rss_limit_mb=4096")
        .arg("-print_final_stats=1")
        .stderr(Stdio::piped());
    eprintln!("xtask: running {}", describe(&cmd));
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("could not start cargo fuzz: {e}"))?;
    let stderr = child.stderr.take().expect("stderr is piped");
    let (mut runs, mut tail) = (None, Vec::new());
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        // "Done 123456 runs in 600 second(s)" and "stat::number_of_executed_units: 123456".
        let count = line
            .strip_prefix("Done ")
            .or_else(|| line.strip_prefix("stat::number_of_executed_units: "))
            .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok());
        if count.is_some() {
            runs = count;
        }
        if !line.starts_with('#') {
            eprintln!("{line}");
        }
        tail.push(line);
        if tail.len() > 40 {
            tail.remove(0);
        }
    }
    let exit = child
        .wait()
        .map_err(|e| format!("cargo fuzz did not finish: {e}"))?;
    match (exit.success(), runs) {
        (true, Some(runs)) => Ok(runs),
        _ => Err(format!(
            "fuzz target {target} failed ({exit}); its input is in fuzz/artifacts/{target}/:\n{}",
            tail.join("\n")
        )),
    }
}
