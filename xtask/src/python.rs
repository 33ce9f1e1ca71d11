//! The Python environment the tests need, pinned in `xtask/python-requirements.txt` and
//! installed into `target/python` (a virtual environment) whenever that file changes: LiteRT
//! and TensorFlow Lite for Microcontrollers, for `sparse-explorer verify`'s TFLite stage;
//! maturin, pytest and Ray Tune for the Python package (`python/`), whose wheel is built and
//! installed into it for its tests.

use crate::run::{command, root, status};
use std::path::PathBuf;

/// The pinned packages, relative to the root.
const REQUIREMENTS: &str = "xtask/python-requirements.txt";

/// The environment's interpreter, which the tests get as `SPARSE_EXPLORER_PYTHON`.
pub fn python() -> PathBuf {
    root().join("target/python/bin/python")
}

/// Creates the environment and installs the pinned packages, unless it already holds exactly
/// these. Debian's python3-venv is installed first where `python3 -m venv` is missing.
pub fn ensure_python() -> Result<(), String> {
    let venv = root().join("target/python");
    let requirements = std::fs::read(root().join(REQUIREMENTS))
        .map_err(|e| format!("cannot read {REQUIREMENTS}: {e}"))?;
    let stamp = venv.join(".xtask-installed-requirements.txt");
    if python().exists() && std::fs::read(&stamp).ok().as_deref() == Some(&requirements[..]) {
        return Ok(());
    }
    let _ = std::fs::remove_dir_all(&venv);
    let create = |cmd: &mut std::process::Command| status(cmd.args(["-m", "venv"]).arg(&venv));
    if create(&mut command("python3")).is_err() {
        crate::tools::ensure_debian_package("python3-venv")?;
        create(&mut command("python3"))?;
    }
    status(
        command(python().to_str().ok_or("the venv path is not UTF-8")?)
            .args(["-m", "pip", "install", "--quiet", "--no-deps", "-r"])
            .arg(root().join(REQUIREMENTS)),
    )?;
    std::fs::write(&stamp, &requirements)
        .map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}

/// Builds the Python package's wheel (maturin, into `target/wheels`) and installs it into the
/// environment, replacing the one there.
pub fn install_package() -> Result<(), String> {
    ensure_python()?;
    let bin = root().join("target/python/bin");
    let wheels = root().join("target/wheels");
    let _ = std::fs::remove_dir_all(&wheels);
    status(
        command(
            bin.join("maturin")
                .to_str()
                .ok_or("the venv path is not UTF-8")?,
        )
        .args(["build", "--release", "--locked", "--quiet", "--out"])
        .arg(&wheels)
        .current_dir(root().join("python")),
    )?;
    let wheel = std::fs::read_dir(&wheels)
        .map_err(|e| format!("cannot list {}: {e}", wheels.display()))?
        .filter_map(|e| Some(e.ok()?.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or("maturin built no wheel")?;
    status(
        command(python().to_str().ok_or("the venv path is not UTF-8")?)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--force-reinstall",
            ])
            .arg(&wheel),
    )
}
