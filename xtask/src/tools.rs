//! Installs, pinned, whatever the build and the tests need and the machine lacks: the wasm32
//! target, Trunk, wasm-bindgen-cli (at Cargo.lock's wasm-bindgen version), Debian's Chromium,
//! ChromeDriver and the Cortex-M and AVR toolchains and emulators, the npm packages of the
//! end-to-end tests and of wasm-opt (each from its lockfile), and the tests' Python
//! environment (`python.rs`). Only the package registries are
//! used.

use crate::run::{command, output, root, status};

/// The folder whose `node_modules/.bin` holds wasm-opt (see [`crate::run::command`]).
pub const WASM_OPT_DIR: &str = "xtask/binaryen";

/// The Trunk release the page is built with.
const TRUNK_VERSION: &str = "0.21.14";

/// Everything `cargo xtask build` and `serve` need.
pub fn ensure_site_tools() -> Result<(), String> {
    ensure_wasm_target()?;
    ensure_cargo_tool("trunk", "trunk", TRUNK_VERSION, true)?;
    ensure_wasm_bindgen()?;
    // Trunk's release build runs wasm-opt on the page's main module: npm's binaryen, whose
    // version Trunk.toml names (Debian's wasm-opt 108 breaks on wasm-bindgen's output).
    ensure_npm_packages(WASM_OPT_DIR)?;
    // Trunk runs offline, and its `cargo metadata` wants every platform's crates present.
    status(command("cargo").args(["fetch", "--locked"]))
}

/// Everything `cargo xtask test` needs beyond the site tools.
pub fn ensure_test_tools() -> Result<(), String> {
    ensure_site_tools()?;
    ensure_debian(&[
        ("chromium", "chromium"),
        ("chromedriver", "chromium-driver"),
        // `sparse-explorer verify` builds exported models for a Cortex-M4 and an ATmega328P
        // and runs them in emulators.
        ("arm-none-eabi-gcc", "gcc-arm-none-eabi"),
        (
            "/usr/lib/arm-none-eabi/newlib/libc.a",
            "libnewlib-arm-none-eabi",
        ),
        ("qemu-system-arm", "qemu-system-arm"),
        ("avr-gcc", "gcc-avr"),
        ("avr-size", "binutils-avr"),
        ("/usr/lib/avr/include/avr/io.h", "avr-libc"),
        ("simavr", "simavr"),
    ])?;
    ensure_npm_packages("tests/e2e")?;
    crate::python::ensure_python()
}

fn ensure_wasm_target() -> Result<(), String> {
    let installed =
        output(command("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    status(command("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// Installs `krate` at `version` unless `binary --version` already reports that version.
pub fn ensure_cargo_tool(
    binary: &str,
    krate: &str,
    version: &str,
    locked: bool,
) -> Result<(), String> {
    let found = output(command(binary).arg("--version")).unwrap_or_default();
    if found.split_whitespace().any(|w| w == version) {
        return Ok(());
    }
    let mut cmd = command("cargo");
    cmd.args(["install", krate, "--version", version]);
    if locked {
        cmd.arg("--locked");
    }
    status(&mut cmd)
}

/// wasm-bindgen-cli must match the `wasm-bindgen` crate exactly. It is installed without
/// `--locked`: its own lockfile names a dependency version the registry no longer serves.
fn ensure_wasm_bindgen() -> Result<(), String> {
    let version = wasm_bindgen_version()?;
    ensure_cargo_tool("wasm-bindgen", "wasm-bindgen-cli", &version, false)
}

/// The `wasm-bindgen` version in Cargo.lock.
pub fn wasm_bindgen_version() -> Result<String, String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_string());
        }
    }
    Err("Cargo.lock has no wasm-bindgen package".into())
}

/// Installs one Debian package.
pub fn ensure_debian_package(package: &str) -> Result<(), String> {
    apt_install(&[package])
}

/// Installs the Debian packages whose probe is missing: a binary on PATH, or an absolute path
/// to a file the package installs.
fn ensure_debian(probes: &[(&str, &str)]) -> Result<(), String> {
    let present = |probe: &str| match probe.starts_with('/') {
        true => std::path::Path::new(probe).exists(),
        false => output(command("which").arg(probe)).is_some(),
    };
    let missing: Vec<&str> = probes
        .iter()
        .filter(|(probe, _)| !present(probe))
        .map(|&(_, package)| package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    apt_install(&missing)
}

/// `apt-get update`, then `apt-get install` of `packages`.
fn apt_install(packages: &[&str]) -> Result<(), String> {
    status(command("apt-get").arg("update"))?;
    status(
        command("apt-get")
            .args([
                "-o",
                "DPkg::Lock::Timeout=300",
                "install",
                "-y",
                "--no-install-recommends",
            ])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// `npm ci` in `dir` (relative to the root) whenever its lockfile differs from the one last
/// installed there.
fn ensure_npm_packages(dir: &str) -> Result<(), String> {
    let dir = root().join(dir);
    let lock = std::fs::read(dir.join("package-lock.json"))
        .map_err(|e| format!("cannot read {}/package-lock.json: {e}", dir.display()))?;
    let stamp = dir.join("node_modules/.xtask-installed-lock.json");
    if std::fs::read(&stamp).ok().as_deref() == Some(&lock[..]) {
        return Ok(());
    }
    status(
        command("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir),
    )?;
    std::fs::write(&stamp, &lock).map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}
