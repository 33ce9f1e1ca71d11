//! `cargo xtask test`: formatting and clippy, then the native tests, the wasm tests in
//! headless Chromium, the Python package's tests (its wheel built and installed, Ray started
//! on this machine) and the browser end-to-end tests, with a count for each kind. It fails if
//! the lints fail, any test fails or any kind ran none.

use crate::run::{command, describe, output, root, status};
use crate::site;
use crate::tools::ensure_test_tools;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Passed and failed tests of one kind.
#[derive(Default, Clone, Copy)]
struct Counts {
    passed: usize,
    failed: usize,
}

/// Runs every kind of test and prints a summary.
pub fn test_all() -> Result<(), String> {
    ensure_test_tools()?;
    let chromedriver = output(command("which").arg("chromedriver"))
        .map(|s| s.trim().to_string())
        .ok_or("chromedriver is not installed")?;
    let chromium = output(command("which").arg("chromium"))
        .map(|s| s.trim().to_string())
        .ok_or("chromium is not installed")?;

    let lint = status(command("cargo").args(["fmt", "--all", "--", "--check"])).and_then(|()| {
        status(command("cargo").args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--release",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]))
    });

    let mut results: Vec<(&str, Result<Counts, String>)> = Vec::new();
    let native = run_counted(
        command("cargo")
            .args(["test", "--workspace", "--release", "--locked"])
            .env("SPARSE_EXPLORER_PYTHON", crate::python::python()),
        libtest_counts,
    );
    results.push(("native (cargo test)", native));

    let wasm = run_counted(
        command("cargo")
            .args([
                "test",
                "--release",
                "--locked",
                "--target",
                "wasm32-unknown-unknown",
            ])
            .args(["-p", "sparse-web", "--test", "wasm"])
            .env("CHROMEDRIVER", &chromedriver)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "300"),
        libtest_counts,
    );
    results.push(("wasm (wasm-bindgen-test, headless Chromium)", wasm));

    // The Python package's tests resume its runs with the CLI, and the page's Download C test
    // checks the zip with the CLI's `verify`.
    let cli = root().join("target/release/sparse-explorer");
    let built_cli = status(command("cargo").args([
        "build",
        "--release",
        "--locked",
        "-p",
        "sparse-cli",
        "--bin",
        "sparse-explorer",
    ]));
    let python = built_cli
        .clone()
        .and_then(|()| crate::python::install_package())
        .and_then(|()| {
            run_counted(
                command(
                    crate::python::python()
                        .to_str()
                        .ok_or("the venv path is not UTF-8")?,
                )
                .args([
                    "-m",
                    "pytest",
                    "-v",
                    "-p",
                    "no:cacheprovider",
                    "python/tests",
                ])
                .env("SPARSE_EXPLORER", &cli),
                pytest_counts,
            )
        });
    results.push(("Python package (pytest, Ray Tune)", python));

    let e2e = site::build().and(built_cli).and_then(|()| {
        let mut files: Vec<String> = std::fs::read_dir(root().join("tests/e2e"))
            .map_err(|e| format!("cannot list tests/e2e: {e}"))?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| name.ends_with(".test.mjs"))
            .map(|name| format!("tests/e2e/{name}"))
            .collect();
        files.sort();
        run_counted(
            command("node")
                .args(["--test", "--test-reporter=spec", "--test-concurrency=1"])
                .args(&files)
                .env("CHROMIUM", &chromium)
                .env("E2E_DIST", root().join("dist"))
                .env("E2E_OUT", root().join("target/e2e"))
                .env("SPARSE_EXPLORER", &cli)
                .env("SPARSE_EXPLORER_PYTHON", crate::python::python()),
            node_counts,
        )
    });
    results.push(("browser end-to-end (Playwright, Chromium)", e2e));

    println!("\n== test summary ==");
    let mut total = Counts::default();
    let mut problems = Vec::new();
    match &lint {
        Ok(()) => println!("{:<46} clean", "lints (cargo fmt, cargo clippy)"),
        Err(e) => {
            println!("{:<46} error: {e}", "lints (cargo fmt, cargo clippy)");
            problems.push(format!("lints: {e}"));
        }
    }
    for (kind, result) in &results {
        match result {
            Ok(c) => {
                println!("{kind:<46} {:>4} passed, {} failed", c.passed, c.failed);
                total.passed += c.passed;
                total.failed += c.failed;
                if c.passed + c.failed == 0 {
                    problems.push(format!("{kind}: no test ran"));
                }
            }
            Err(e) => {
                println!("{kind:<46} error: {e}");
                problems.push(format!("{kind}: {e}"));
            }
        }
    }
    println!("{} passed, {} failed", total.passed, total.failed);
    if problems.is_empty() && total.failed == 0 {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Runs `cmd`, echoing its standard output, and counts tests with `count_line`; an exit
/// failure with no failed test counted is an error of its own.
fn run_counted(cmd: &mut Command, count_line: fn(&str, &mut Counts)) -> Result<Counts, String> {
    eprintln!("xtask: running {}", describe(cmd));
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", describe(cmd)))?;
    let mut counts = Counts::default();
    let stdout = child.stdout.take().expect("stdout is piped");
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| e.to_string())?;
        println!("{line}");
        count_line(&line, &mut counts);
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() && counts.failed == 0 {
        return Err(format!("{} failed ({status})", describe(cmd)));
    }
    Ok(counts)
}

/// Adds up libtest's `test result: ok. 3 passed; 1 failed; ...` lines (cargo test and
/// wasm-bindgen-test-runner both print them).
fn libtest_counts(line: &str, counts: &mut Counts) {
    let Some(rest) = line.trim().strip_prefix("test result: ") else {
        return;
    };
    for part in rest.split(';') {
        let words: Vec<&str> = part.split_whitespace().collect();
        if let [.., n, kind] = words[..] {
            match (kind, n.parse::<usize>()) {
                ("passed", Ok(n)) => counts.passed += n,
                ("failed", Ok(n)) => counts.failed += n,
                _ => {}
            }
        }
    }
}

/// Reads pytest's closing summary, `===== 5 passed, 1 failed in 30.12s =====`.
fn pytest_counts(line: &str, counts: &mut Counts) {
    let line = line.trim();
    if !(line.starts_with('=') && line.ends_with('=') && line.contains(" in ")) {
        return;
    }
    let words: Vec<&str> = line
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    for pair in words.windows(2) {
        match (pair[0].parse::<usize>(), pair[1]) {
            (Ok(n), "passed") => counts.passed += n,
            (Ok(n), "failed" | "error" | "errors") => counts.failed += n,
            _ => {}
        }
    }
}

/// Reads node's spec reporter summary: `ℹ pass 3` and `ℹ fail 0`.
fn node_counts(line: &str, counts: &mut Counts) {
    let words: Vec<&str> = line.split_whitespace().collect();
    if let [_, kind, n] = words[..] {
        match (kind, n.parse::<usize>()) {
            ("pass", Ok(n)) => counts.passed += n,
            ("fail", Ok(n)) => counts.failed += n,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libtest_and_node_summaries() {
        let mut c = Counts::default();
        libtest_counts(
            "test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s",
            &mut c,
        );
        libtest_counts("test result: FAILED. 3 passed; 2 failed; 0 ignored", &mut c);
        libtest_counts("test foo ... ok", &mut c);
        node_counts("ℹ pass 4", &mut c);
        node_counts("ℹ fail 1", &mut c);
        node_counts("ℹ tests 5", &mut c);
        pytest_counts(
            "=========== 5 passed, 1 failed, 2 errors in 30.12s ===========",
            &mut c,
        );
        pytest_counts("tests/test_tune.py::test_a PASSED [ 50%]", &mut c);
        pytest_counts("===== 1 passed in 2.00s =====", &mut c);
        assert_eq!((c.passed, c.failed), (25, 6));
    }
}
