//! `train` as a user runs it: MNIST, a given architecture pruned, a CSV with a held-out test split,
//! a folder of IDX files.

use crate::{bars_csv, json_summary, sparse_explorer, succeeds, temp_file};

#[test]
fn short_training_run_prints_accuracy_and_a_json_summary() {
    let out = succeeds(&[
        "train", "--limit", "5000", "--epochs", "2", "--seed", "4", "--json",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("test accuracy:"), "{stdout}");
    let last = stdout.lines().last().unwrap();
    let summary: serde_json::Value = serde_json::from_str(last).unwrap();
    assert_eq!(summary["train_images"], 5000);
    assert_eq!(summary["parameters"], 5258);
    assert_eq!(summary["architecture"]["layers"][0]["conv"]["filters"], 8);
    // Two passes over 5,000 images learn most digits (about 93%).
    let accuracy = summary["test_accuracy"].as_f64().unwrap();
    assert!(accuracy > 0.9, "test accuracy {accuracy}");
    let int8 = summary["int8_test_accuracy"].as_f64().unwrap();
    assert!(
        (accuracy - int8).abs() < 0.01,
        "float {accuracy}, int8 {int8}"
    );
}

#[test]
fn train_prunes_a_given_architecture_and_prices_what_it_trained() {
    let arch = include_str!("../../../../docs/examples/small.json");
    let path = temp_file("small.json", arch);
    let summary = json_summary(&[
        "train",
        "--arch",
        path.to_str().unwrap(),
        "--prune",
        "magnitude",
        "--sparsity",
        "0.6",
        "--limit",
        "4000",
        "--json",
    ]);
    assert_eq!(summary["parameters"], 3226);
    let size = summary["model_size_bytes"].as_u64().unwrap();
    // 60% of the 3,168 weights go; the 58 biases stay.
    assert!((1300..1400).contains(&size), "model size {size}");
    assert_eq!(summary["working_memory_bytes"], 1936);
    let density = summary["architecture"]["layers"][0]["conv"]["density"]
        .as_f64()
        .unwrap();
    assert!((density - 0.4).abs() < 0.02, "density {density}");

    let out = sparse_explorer(&[
        "train",
        "--arch",
        path.to_str().unwrap(),
        "--sparsity",
        "1.5",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--sparsity must be in [0, 1)"));
}

#[test]
fn train_reads_a_csv_dataset_and_holds_out_a_test_split() {
    let data = temp_file("bars.csv", &bars_csv(420));
    let arch = temp_file(
        "bars-arch.json",
        r#"{"input":[1,8,8],"classes":2,"layers":[{"conv":{"filters":4,"kernel":3}},
            {"maxpool":{"size":2,"stride":2}},{"dense":{"units":2}}]}"#,
    );
    let summary = json_summary(&[
        "train",
        "--dataset",
        data.to_str().unwrap(),
        "--arch",
        arch.to_str().unwrap(),
        "--epochs",
        "15",
        "--json",
    ]);
    assert_eq!(summary["train_images"], 360);
    assert_eq!(summary["test_images"], 60);
    assert!(
        summary["test_split"]
            .as_str()
            .unwrap()
            .starts_with("held out")
    );
    assert!(
        summary["test_accuracy"].as_f64().unwrap() > 0.95,
        "{summary}"
    );

    // Without --arch the skeleton CNN cannot fit 8×8 images, and says so.
    let out = sparse_explorer(&["train", "--dataset", data.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("give one with --arch"));
}

#[test]
fn train_reads_a_folder_of_idx_files() {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../../www/data/mnist");
    let saved =
        std::env::temp_dir().join(format!("sparse-explorer-model-{}.json", std::process::id()));
    let summary = json_summary(&[
        "train",
        "--dataset",
        folder,
        "--limit",
        "2000",
        "--save",
        saved.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(summary["test_images"], 10_000);
    assert!(
        summary["test_split"]
            .as_str()
            .unwrap()
            .contains("test IDX files")
    );
}
