//! The `sparse-explorer` binary as a user runs it: a short real training run with `--json`,
//! and bad arguments rejected with a clear message.

use std::process::{Command, Output};

fn sparse_explorer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sparse-explorer"))
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn short_training_run_prints_accuracy_and_a_json_summary() {
    let out = sparse_explorer(&[
        "train", "--limit", "5000", "--epochs", "2", "--seed", "4", "--json",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("test accuracy:"), "{stdout}");
    let last = stdout.lines().last().unwrap();
    let summary: serde_json::Value = serde_json::from_str(last).unwrap();
    assert_eq!(summary["train_images"], 5000);
    assert_eq!(summary["parameters"], 5258);
    assert_eq!(summary["architecture"]["layers"][0]["conv"]["filters"], 8);
    // Two passes over 5,000 images learn most digits (about 93%).
    let accuracy = summary["test_accuracy"].as_f64().unwrap();
    assert!(accuracy > 0.9, "test accuracy {accuracy}");
}

#[test]
fn bad_arguments_get_one_clear_line() {
    let out = sparse_explorer(&["train", "--dataset", "cifar"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown dataset 'cifar'"), "{stderr}");
    let out = sparse_explorer(&["train", "--epochs", "0"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("--epochs and --batch-size must be at least 1")
    );
}
