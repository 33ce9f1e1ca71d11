//! `cargo xtask bench [--peers]`: the trainer's reference benchmark natively and as wasm32
//! (+simd128) in node, each pinned to one core, and with `--peers` the TF.js and PyTorch peers
//! of `../shared/bench/peers` right after, for ratios measured back to back.

use crate::run::{command, output, root, status};
use crate::tools::{ensure_site_tools, wasm_bindgen_version};

/// Runs the benchmarks; `peers` adds the peers' script.
pub fn bench(peers: bool) -> Result<(), String> {
    ensure_site_tools()?;
    let pinned = |program: &str| {
        if output(command("which").arg("taskset")).is_some() {
            let mut cmd = command("taskset");
            cmd.args(["-c", "0", program]);
            cmd
        } else {
            command(program)
        }
    };
    status(
        pinned("cargo")
            .args([
                "bench",
                "--locked",
                "-q",
                "-p",
                "sparse-train",
                "--bench",
                "reference",
            ])
            .env("RAYON_NUM_THREADS", "1"),
    )?;
    status(command("cargo").args([
        "build",
        "--locked",
        "--profile",
        "web-worker",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "sparse-web",
        "--bin",
        "bench",
    ]))?;
    let out = root().join("target/bench-wasm");
    status(command("wasm-bindgen").args([
        "--target",
        "nodejs",
        "--out-dir",
        out.to_str().ok_or("target path is not UTF-8")?,
        "target/wasm32-unknown-unknown/web-worker/bench.wasm",
    ]))?;
    status(pinned("node").args([
        "tests/bench/wasm.cjs",
        "target/bench-wasm/bench.js",
        "www/data/mnist",
    ]))?;
    eprintln!("xtask: wasm-bindgen {}", wasm_bindgen_version()?);
    if peers {
        let script = root().join("../shared/bench/peers/run.sh");
        if !script.exists() {
            return Err(format!("no peers' script at {}", script.display()));
        }
        status(command("bash").arg(script))?;
    }
    Ok(())
}
