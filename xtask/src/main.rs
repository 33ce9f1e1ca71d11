//! `cargo xtask build|serve|test|bench|fuzz`: the project's automation, in Rust so that it needs nothing
//! but cargo. Every command first installs what it lacks (see `tools`).

mod bench;
mod fuzz;
mod python;
mod run;
mod site;
mod stamp;
mod suites;
mod tools;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  build   build the page into dist/ (installs the wasm toolchain first)
  serve   build the page and serve it on http://127.0.0.1:8080, rebuilding on change
  stamp   name a built site by its contents (Trunk's post-build hook runs it; or: stamp DIR)
  test    run every test: native, wasm (headless Chromium), the Python package (pytest,
          Ray Tune) and browser end-to-end
  bench   the trainer's speed on the reference network, natively and as wasm in node
          (--peers: then TF.js and PyTorch from ../shared/bench/peers)
  fuzz    fuzz every parser of user files under libFuzzer ([--seconds N] [TARGET...];
          600 s per target by default)";

fn main() -> ExitCode {
    let command = std::env::args().nth(1).unwrap_or_default();
    let result = match command.as_str() {
        "build" => site::build(),
        "serve" => site::serve(),
        "stamp" => stamp::stamp(std::env::args().nth(2).as_deref()),
        "test" => suites::test_all(),
        "bench" => bench::bench(std::env::args().any(|a| a == "--peers")),
        "fuzz" => fuzz::fuzz(&std::env::args().skip(2).collect::<Vec<_>>()),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
