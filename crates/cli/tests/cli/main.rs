//! The `sparse-explorer` binary as a user runs it, one module per command family: `train`,
//! `cost` and its kin, latency, `search`, `export` and `verify`, and bad input refused with a clear
//! message. The helpers here run the binary and write small files; `tests/support/` holds the
//! datasets it shares with the crash test.

#[path = "../support/mod.rs"]
mod support;

mod cost;
mod export;
mod latency;
mod refusals;
mod search;
mod train;

use std::process::{Command, Output};
use support::bars_csv;

/// Runs the binary with `args`.
fn sparse_explorer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sparse-explorer"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs the binary with `args`, which must succeed (else its output is shown).
fn succeeds(args: &[&str]) -> Output {
    let out = sparse_explorer(args);
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs the binary with `args` (which end in `--json`), which must succeed, and returns the JSON
/// object its last line of output holds.
fn json_summary(args: &[&str]) -> serde_json::Value {
    let out = succeeds(args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().expect("a last line")).expect("a JSON line")
}

/// Runs the binary with `args`, which it must refuse with a message holding `expected` (and no
/// panic).
fn refused(args: &[&str], expected: &str) {
    let out = sparse_explorer(args);
    assert!(!out.status.success(), "accepted {args:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(expected) && !stderr.contains("panicked"),
        "{stderr}"
    );
}

/// Writes `json` to a file in a fresh temporary folder and returns its path.
fn temp_file(name: &str, json: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sparse-explorer-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, json).unwrap();
    path
}
