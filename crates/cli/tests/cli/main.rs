//! The `sparse-explorer` binary as a user runs it, one module per command family: `train`,
//! `cost` and its kin, `search`, `export` and `verify`, and bad input refused with a clear
//! message. The helpers here run the binary and make small datasets.

mod cost;
mod export;
mod refusals;
mod search;
mod train;

use std::process::{Command, Output};

/// Runs the binary with `args`.
fn sparse_explorer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sparse-explorer"))
        .args(args)
        .output()
        .expect("the binary runs")
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

/// Vertical against horizontal bars on 8×8 images, as CSV with a header.
fn bars_csv(rows: usize) -> String {
    let mut csv = String::from("label");
    for i in 0..64 {
        csv += &format!(",p{i}");
    }
    csv.push('\n');
    for i in 0..rows {
        let label = i % 2;
        let at = 1 + (i / 2) % 6;
        csv += &label.to_string();
        for r in 0..8 {
            for c in 0..8 {
                let on = if label == 0 { c == at } else { r == at };
                csv += if on { ",200" } else { ",3" };
            }
        }
        csv.push('\n');
    }
    csv
}
