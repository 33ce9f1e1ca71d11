//! The `sparse-explorer` binary as a user runs it: a short real training run with `--json`,
//! and bad arguments rejected with a clear message.

use std::process::{Command, Output};

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
    let int8 = summary["int8_test_accuracy"].as_f64().unwrap();
    assert!(
        (accuracy - int8).abs() < 0.01,
        "float {accuracy}, int8 {int8}"
    );
}

#[test]
fn bad_arguments_get_one_clear_line() {
    let out = sparse_explorer(&["train", "--epochs", "0"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("--epochs and --batch-size must be at least 1")
    );
    // A learning rate of NaN once trained nothing and reported success.
    refused(
        &["train", "--learning-rate", "NaN", "--limit", "100"],
        "the learning rate must be a positive number, not NaN",
    );
    // A time limit past what a Duration holds once panicked.
    let never = std::env::temp_dir().join(format!("sparse-explorer-never-{}", std::process::id()));
    refused(
        &[
            "search",
            "--time-limit",
            "1e300s",
            "--out",
            never.to_str().unwrap(),
        ],
        "--time-limit 1e300s is longer than any run could last",
    );
    assert!(!never.exists(), "a refused search leaves no folder behind");
}

/// Writes `json` to a file in a fresh temporary folder and returns its path.
fn temp_file(name: &str, json: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sparse-explorer-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, json).unwrap();
    path
}

const EXAMPLE: &str = include_str!("../../../docs/examples/example.json");

#[test]
fn cost_prices_the_documented_example_against_a_board() {
    let path = temp_file("example.json", EXAMPLE);
    let out = sparse_explorer(&["cost", path.to_str().unwrap(), "--board", "arduino-uno"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["parameters"], 19_098);
    assert_eq!(report["model_size_bytes"], 19_098);
    assert_eq!(report["working_memory_bytes"], 6_760);
    assert_eq!(report["macs"], 101_224);
    assert_eq!(report["sram_bytes"], 6_760);
    assert_eq!(report["layers"].as_array().unwrap().len(), 6);
    assert_eq!(report["layers"][2]["kind"], "dwconv");
    assert_eq!(
        report["layers"][2]["output"],
        serde_json::json!([16, 13, 13])
    );
    assert_eq!(report["fits"], false);
    assert_eq!(report["violations"][0]["resource"], "sram");
    assert_eq!(report["violations"][0]["over_by"], 6_760 - 1_792);

    let out = sparse_explorer(&[
        "cost",
        path.to_str().unwrap(),
        "--flash-bytes",
        "1000000",
        "--sram-bytes",
        "10000",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["fits"], true);
    assert_eq!(report["violations"], serde_json::json!([]));
}

#[test]
fn cost_explains_each_kind_of_bad_file_in_one_line() {
    let cases = [
        (
            "{\"input\": [1, 28, 28],\n \"classes\": 10,,}",
            "line 2 column 16",
        ),
        (
            r#"{"input":[1,8,8],"classes":2,"layers":[{"lstm":{"units":2}}]}"#,
            "unknown variant `lstm`",
        ),
        (
            r#"{"input":[1,8,8],"classes":2,"layers":[{"conv":{"filters":0,"kernel":3}},{"dense":{"units":2}}]}"#,
            "layer 1, conv 3×3×0, filters must be from 1 to 65536, not 0",
        ),
        (
            r#"{"input":[1,5,5],"classes":2,"layers":[{"conv":{"filters":2,"kernel":3}},
               {"maxpool":{"size":2,"stride":2}},{"conv":{"filters":2,"kernel":1}},
               {"maxpool":{"size":2,"stride":2}},{"dense":{"units":2}}]}"#,
            "layer 4, maxpool 2×2, gets a 1×1 input",
        ),
        (
            r#"{"input":[1,8,8],"classes":3,"layers":[{"dense":{"units":2}}]}"#,
            "the last layer must be a dense layer with 3 units",
        ),
        (
            r#"{"input":[1,8,8],"classes":2,"layers":[{"dense":{"units":99999999999}}]}"#,
            "units must be from 1 to 1048576",
        ),
    ];
    for (i, (json, expected)) in cases.iter().enumerate() {
        let path = temp_file(&format!("bad{i}.json"), json);
        let out = sparse_explorer(&["cost", path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "case {i} was accepted");
        assert!(stderr.contains(expected), "case {i}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "case {i}: {stderr}");
        assert!(!stderr.contains("panicked"), "case {i}: {stderr}");
    }
    let out = sparse_explorer(&["cost", "/nonexistent/arch.json"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/arch.json"));
    let path = temp_file("ok.json", EXAMPLE);
    let out = sparse_explorer(&["cost", path.to_str().unwrap(), "--board", "arduino-mega"]);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("unknown board 'arduino-mega' (known: arduino-uno,")
    );
}

#[test]
fn boards_lists_every_preset_with_its_budget() {
    let out = sparse_explorer(&["boards"]);
    let boards: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = boards
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "arduino-uno",
            "microbit-v1",
            "nano33-ble",
            "stm32f746",
            "rpi-pico",
            "esp32"
        ]
    );
    assert_eq!(boards[0]["budget"]["sram_bytes"], 1_792);
}

#[test]
fn largest_finds_an_architecture_that_fills_but_fits_the_uno() {
    let out = sparse_explorer(&[
        "largest",
        "--board",
        "arduino-uno",
        "--samples",
        "5000",
        "--steps",
        "5000",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let flash = found["flash_bytes"].as_u64().unwrap();
    assert!(flash <= 27_648 && flash > 20_000, "flash {flash}");
    assert!(found["sram_bytes"].as_u64().unwrap() <= 1_792);
    // The architecture it prints is priced the same by `cost`.
    let path = temp_file("largest.json", &found["architecture"].to_string());
    let out = sparse_explorer(&["cost", path.to_str().unwrap(), "--board", "arduino-uno"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["fits"], true);
    assert_eq!(report["flash_bytes"], found["flash_bytes"]);
}

#[test]
fn train_prunes_a_given_architecture_and_prices_what_it_trained() {
    let arch = include_str!("../../../docs/examples/small.json");
    let path = temp_file("small.json", arch);
    let out = sparse_explorer(&[
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
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
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

#[test]
fn labels_beyond_the_architectures_classes_are_refused() {
    // A label 12 against a 10-class network once trained and reported 0% accuracy.
    let csv = bars_csv(40).replacen("\n0,", "\n12,", 1);
    let data = temp_file("label-12.csv", &csv);
    let arch = temp_file(
        "ten-classes.json",
        r#"{"input":[1,8,8],"classes":10,"layers":[{"dense":{"units":10}}]}"#,
    );
    refused(
        &[
            "train",
            "--dataset",
            data.to_str().unwrap(),
            "--arch",
            arch.to_str().unwrap(),
        ],
        "labels up to 12, but the architecture classifies into 10 classes",
    );
}

#[test]
fn more_workers_than_any_machine_runs_are_refused_before_any_folder_is_made() {
    let dir = std::env::temp_dir().join(format!("sparse-explorer-workers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for workers in ["0", "257", "100000000000"] {
        refused(
            &[
                "search",
                "--flash-bytes",
                "4000",
                "--sram-bytes",
                "600",
                "--out",
                dir.to_str().unwrap(),
                "--workers",
                workers,
            ],
            &format!("invalid value '{workers}' for '--workers <N>'"),
        );
    }
    assert!(!dir.exists());
}

#[test]
fn an_edited_state_is_refused_on_resume_with_what_is_wrong() {
    let data = temp_file("state-bars.csv", &bars_csv(120));
    let dir = std::env::temp_dir().join(format!("sparse-explorer-edited-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let common = [
        "--flash-bytes",
        "4000",
        "--sram-bytes",
        "600",
        "--workers",
        "1",
        "--trials",
        "3",
        "--no-teacher",
    ];
    let mut args = vec!["search", "--dataset", data.to_str().unwrap(), "--out"];
    args.push(dir.to_str().unwrap());
    args.extend(common);
    assert!(sparse_explorer(&args).status.success());
    // max_filters 0 once panicked on resume.
    let state = dir.join("state.json");
    let text = std::fs::read_to_string(&state).unwrap();
    let mut saved: serde_json::Value = serde_json::from_str(&text).unwrap();
    saved["space"]["max_filters"] = 0.into();
    std::fs::write(&state, saved.to_string()).unwrap();
    let args = ["search", "--resume", dir.to_str().unwrap(), "--trials", "4"];
    refused(
        &args,
        "state.json cannot be resumed: the saved search is not consistent: the space's 0 filters on ",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_search_on_too_few_images_to_validate_is_refused() {
    // Five training images hold out none for validation: every trial once scored NaN and was
    // recorded as trained.
    let train = temp_file("five-bars.csv", &bars_csv(5));
    let test = temp_file("test-bars.csv", &bars_csv(4));
    let out_dir = std::env::temp_dir().join(format!("sparse-explorer-five-{}", std::process::id()));
    refused(
        &[
            "search",
            "--dataset",
            train.to_str().unwrap(),
            "--test",
            test.to_str().unwrap(),
            "--flash-bytes",
            "4000",
            "--sram-bytes",
            "600",
            "--trials",
            "1",
            "--out",
            out_dir.to_str().unwrap(),
        ],
        "5 training images are too few to search",
    );
    assert!(!out_dir.exists());
}

#[test]
fn an_impossible_budget_is_refused_before_any_folder_is_made() {
    let data = temp_file("tiny-budget-bars.csv", &bars_csv(60));
    let out_dir = std::env::temp_dir().join(format!("sparse-explorer-tiny-{}", std::process::id()));
    refused(
        &[
            "search",
            "--dataset",
            data.to_str().unwrap(),
            "--flash-bytes",
            "10",
            "--sram-bytes",
            "10",
            "--out",
            out_dir.to_str().unwrap(),
        ],
        "no architecture of the search space fits 10 bytes of flash and 10 bytes of SRAM",
    );
    // So the same --out takes the run with a budget that fits.
    assert!(!out_dir.exists());
}

#[test]
fn train_reads_a_csv_dataset_and_holds_out_a_test_split() {
    let data = temp_file("bars.csv", &bars_csv(420));
    let arch = temp_file(
        "bars-arch.json",
        r#"{"input":[1,8,8],"classes":2,"layers":[{"conv":{"filters":4,"kernel":3}},
            {"maxpool":{"size":2,"stride":2}},{"dense":{"units":2}}]}"#,
    );
    let out = sparse_explorer(&[
        "train",
        "--dataset",
        data.to_str().unwrap(),
        "--arch",
        arch.to_str().unwrap(),
        "--epochs",
        "15",
        "--json",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
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
    let out = sparse_explorer(&[
        "train",
        "--dataset",
        folder,
        "--limit",
        "2000",
        "--save",
        saved.to_str().unwrap(),
        "--json",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["test_images"], 10_000);
    assert!(
        summary["test_split"]
            .as_str()
            .unwrap()
            .contains("test IDX files")
    );
}

#[test]
fn bad_datasets_get_one_clear_line() {
    let cases = [
        (
            "bad-value.csv",
            "label,a,b,c,d\n1,0,1,2,3\n0,1,oops,2,3\n",
            "row 3, column 3: pixel 'oops'",
        ),
        (
            "not-square.csv",
            "1,2,3,0\n3,2,1,1\n",
            "rows hold 3 pixel values",
        ),
        ("one-class.csv", "1,2,3,4,0\n4,3,2,1,0\n", "only 1 class"),
    ];
    for (name, csv, expected) in cases {
        let path = temp_file(name, csv);
        let out = sparse_explorer(&["train", "--dataset", path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name} was accepted");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{name}: {stderr}");
    }
    let out = sparse_explorer(&["train", "--dataset", "cifar"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown dataset 'cifar'"));
    let path = temp_file("shape.csv", "1,2,3,4,5,6,0\n6,5,4,3,2,1,1\n");
    let out = sparse_explorer(&[
        "train",
        "--dataset",
        path.to_str().unwrap(),
        "--shape",
        "2x2",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--shape must look like 1x28x28"));
}

/// trials.jsonl without the timings, for comparing runs.
fn trials_without_timing(dir: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("trials.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            let fields = v.as_object_mut().unwrap();
            fields.remove("train_seconds");
            fields.remove("search_seconds");
            v
        })
        .collect()
}

#[test]
fn search_writes_its_files_resumes_and_repeats_by_seed() {
    let data = temp_file("search-bars.csv", &bars_csv(300));
    let base = std::env::temp_dir().join(format!("sparse-explorer-search-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let search = |out: &std::path::Path, extra: &[&str]| {
        let mut args = vec!["search"];
        args.extend_from_slice(extra);
        if !extra.contains(&"--workers") {
            // One at a time: the order of results, hence the run, repeats by seed.
            args.extend(["--workers", "1"]);
        }
        if !extra.contains(&"--resume") {
            // A resumed run keeps its data, budget and seed.
            args.extend(["--dataset", data.to_str().unwrap()]);
            args.extend([
                "--flash-bytes",
                "4000",
                "--sram-bytes",
                "600",
                "--seed",
                "7",
            ]);
            args.extend(["--out", out.to_str().unwrap(), "--no-teacher"]);
        }
        let out = sparse_explorer(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let whole = base.join("whole");
    let summary: serde_json::Value =
        serde_json::from_str(search(&whole, &["--trials", "12"]).lines().last().unwrap()).unwrap();
    assert_eq!(summary["trials"], 12);
    let records = trials_without_timing(&whole);
    assert_eq!(records.len(), 12);
    // mobo (the default) proposes morphs of Pareto members once its 8 random trials are in.
    assert!(
        records[8..].iter().any(|r| !r["parent"].is_null()),
        "{records:?}"
    );
    for r in &records {
        assert!(r["status"] == "trained" || r["status"] == "failed", "{r}");
        if r["status"] == "trained" {
            assert!(r["working_memory_bytes"].as_u64().unwrap() <= 600);
            assert!(r["test_accuracy"].as_f64().is_some());
        }
    }
    let front: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(whole.join("pareto.json")).unwrap()).unwrap();
    assert!(!front.as_array().unwrap().is_empty());
    // Training by promise: the best of the one-epoch trials train on from their own weights to
    // 3 epochs in all, and every record says its total.
    let epochs = |r: &serde_json::Value| r["epochs"].as_u64().unwrap();
    let by_id = |id: &serde_json::Value| records.iter().find(|r| r["id"] == *id).unwrap();
    let promoted: Vec<&serde_json::Value> = records.iter().filter(|r| epochs(r) > 1).collect();
    assert!(!promoted.is_empty(), "{records:?}");
    for r in promoted {
        let parent = by_id(&r["parent"]);
        assert_eq!((epochs(parent), epochs(r)), (1, 3), "{r}");
    }

    // Stopped after 10 trials and resumed to 12: the same trials as the uninterrupted run,
    // morphed children included (their parents' weights were saved in networks/).
    let split = base.join("split");
    search(&split, &["--trials", "10"]);
    assert!(split.join("networks").read_dir().unwrap().count() > 0);
    let resume = split.to_str().unwrap().to_string();
    search(&split, &["--resume", &resume, "--trials", "12"]);
    assert_eq!(trials_without_timing(&split), records);
    // Search time runs on across the resume, for plots against wall-clock time.
    let seconds: Vec<f64> = std::fs::read_to_string(split.join("trials.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["search_seconds"]
                .as_f64()
                .unwrap()
        })
        .collect();
    assert!(
        seconds.windows(2).all(|w| w[0] <= w[1]) && seconds[0] > 0.0,
        "{seconds:?}"
    );

    // --finetune trains the two best networks (by validation accuracy) one epoch more, as two
    // more trials inheriting every layer from them.
    search(
        &split,
        &[
            "--resume",
            &resume,
            "--trials",
            "12",
            "--finetune",
            "1",
            "--finetune-top",
            "2",
        ],
    );
    let tuned = trials_without_timing(&split);
    assert_eq!(tuned.len(), 14);
    let mut best: Vec<&serde_json::Value> = tuned[..12]
        .iter()
        .filter(|r| r["val_accuracy"].is_number())
        .collect();
    best.sort_by(|a, b| {
        let v = |r: &serde_json::Value| r["val_accuracy"].as_f64().unwrap();
        v(b).total_cmp(&v(a))
    });
    let parents: Vec<&serde_json::Value> = tuned[12..].iter().map(|r| &r["parent"]).collect();
    assert!(parents.contains(&&best[0]["id"]), "{parents:?}");
    assert_eq!(tuned[12]["status"], "trained");
    let tuned_parent = tuned
        .iter()
        .find(|r| r["id"] == tuned[12]["parent"])
        .unwrap();
    assert_eq!(epochs(&tuned[12]), epochs(tuned_parent) + 1);

    // With --max-epochs equal to --epochs, nothing is promoted.
    let flat = base.join("flat");
    search(&flat, &["--trials", "8", "--max-epochs", "1"]);
    assert!(trials_without_timing(&flat).iter().all(|r| epochs(r) == 1));

    // Two workers train two trials at once; all are recorded, in the order they finished.
    let parallel = base.join("parallel");
    search(&parallel, &["--trials", "6", "--workers", "2"]);
    let mut ids: Vec<u64> = trials_without_timing(&parallel)
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, (0..6).collect::<Vec<_>>());
}

/// The lines of a run's trials.jsonl.
fn log_lines(dir: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("trials.jsonl")).unwrap();
    text.lines().map(String::from).collect()
}

#[test]
fn a_resumed_run_keeps_its_settings_and_a_log_that_agrees_with_its_state() {
    let data = temp_file("resume-bars.csv", &bars_csv(120));
    let dir = std::env::temp_dir().join(format!("sparse-explorer-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let run = dir.to_str().unwrap();
    let out = sparse_explorer(&[
        "search",
        "--dataset",
        data.to_str().unwrap(),
        "--flash-bytes",
        "4000",
        "--sram-bytes",
        "600",
        "--workers",
        "1",
        "--trials",
        "3",
        "--no-teacher",
        "--out",
        run,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Flags that would change the run are refused, not silently ignored or applied.
    refused(
        &["search", "--resume", run, "--seed", "1", "--trials", "4"],
        "--seed cannot be given with --resume",
    );
    refused(
        &[
            "search",
            "--resume",
            run,
            "--board",
            "uno",
            "--algorithm",
            "random",
            "--shift",
            "0",
            "--train-images",
            "60",
            "--trials",
            "4",
        ],
        "--board, --algorithm, --train-images, --shift cannot be given with --resume",
    );
    refused(
        &[
            "search",
            "--resume",
            run,
            "--dataset",
            "mnist",
            "--trials",
            "4",
        ],
        "--dataset cannot be given with --resume",
    );
    // Other data of the same shape at the same path is noticed.
    let original = std::fs::read_to_string(&data).unwrap();
    std::fs::write(&data, original.replacen(",200", ",201", 1)).unwrap();
    refused(
        &["search", "--resume", run, "--trials", "4"],
        "are not those the run started on",
    );
    std::fs::write(&data, &original).unwrap();

    // A kill after a record was appended but before the state was saved leaves a line the
    // state does not count, perhaps cut short: the resume drops it and runs that trial again.
    let told = log_lines(&dir);
    let mut log = told.join("\n") + "\n";
    log += &told[2].replace("\"id\":2", "\"id\":3");
    log += "\n{\"id\":4,\"archi";
    std::fs::write(dir.join("trials.jsonl"), log).unwrap();
    let out = sparse_explorer(&["search", "--resume", run, "--trials", "5", "--workers", "1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("dropped 2 line(s)"), "{stderr}");
    let lines = log_lines(&dir);
    assert_eq!(lines[..3], told[..]);
    let ids: Vec<u64> = lines
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(ids, [0, 1, 2, 3, 4]);

    // A log that lost its records no longer resumes as an empty history.
    std::fs::rename(dir.join("trials.jsonl"), dir.join("moved.jsonl")).unwrap();
    refused(
        &["search", "--resume", run, "--trials", "6"],
        "which should hold the 5 trials state.json tells",
    );
    // Nor does a new run append to another run's log.
    std::fs::remove_file(dir.join("state.json")).unwrap();
    std::fs::rename(dir.join("moved.jsonl"), dir.join("trials.jsonl")).unwrap();
    refused(
        &[
            "search",
            "--dataset",
            data.to_str().unwrap(),
            "--flash-bytes",
            "4000",
            "--sram-bytes",
            "600",
            "--trials",
            "1",
            "--out",
            run,
        ],
        "holds another run's trials.jsonl but no state.json",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Needs Debian's gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm, gcc-avr,
/// avr-libc and simavr, which `cargo xtask test` installs.
#[test]
fn a_model_searched_for_the_uno_exports_and_verifies_on_host_cortex_m4_and_avr() {
    let base = std::env::temp_dir().join(format!("sparse-explorer-export-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let run = base.join("run");
    let out = sparse_explorer(&[
        "search",
        "--board",
        "arduino-uno",
        "--trials",
        "6",
        "--train-images",
        "6000",
        "--test-images",
        "1000",
        "--seed",
        "3",
        "--workers",
        "1",
        "--no-teacher",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().last().unwrap()).unwrap();
    // The most accurate Pareto member: the largest model the Uno budget allowed.
    let front: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(run.join("pareto.json")).unwrap()).unwrap();
    let best = front
        .iter()
        .max_by(|a, b| {
            a["val_accuracy"]
                .as_f64()
                .unwrap()
                .total_cmp(&b["val_accuracy"].as_f64().unwrap())
        })
        .unwrap();
    assert!(summary["pareto"].as_array().unwrap().contains(&best["id"]));
    let trial = best["id"].to_string();
    let export = base.join("export");
    let out = sparse_explorer(&[
        "export",
        "--run",
        run.to_str().unwrap(),
        "--trial",
        &trial,
        "--out",
        export.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in ["model.h", "model.c", "model.json", "README.md"] {
        assert!(export.join(file).exists(), "{file}");
    }
    let header = std::fs::read_to_string(export.join("model.h")).unwrap();
    assert!(
        header.contains("#define MODEL_INPUT_SIZE 784UL"),
        "{header}"
    );
    assert!(header.contains("#define MODEL_CLASSES 10UL"), "{header}");
    assert!(header.contains(&format!(
        "#define MODEL_ARENA_BYTES {}UL",
        best["working_memory_bytes"]
    )));

    let out = sparse_explorer(&["verify", export.to_str().unwrap(), "--json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(report["failures"], serde_json::json!([]), "{report}");
    assert_eq!(report["host"]["images"], 1000);
    assert_eq!(report["host"]["identical"], 1000);
    let (flash, sram) = (
        report["cost_flash_bytes"].as_u64().unwrap(),
        report["cost_sram_bytes"].as_u64().unwrap(),
    );
    let m4 = &report["cortex_m4"];
    let weights = m4["weight_bytes"].as_u64().unwrap();
    assert!(weights.abs_diff(flash) * 20 <= flash, "{report}");
    assert_eq!(m4["arena_bytes"].as_u64().unwrap(), sram);
    assert_eq!(m4["run"]["identical"], m4["run"]["images"]);
    let avr = &report["avr"];
    assert_eq!(avr["run"]["images"], 5, "{report}");
    assert_eq!(avr["run"]["identical"], 5);
    assert!(
        avr["data_bytes"].as_u64().unwrap() + avr["stack_peak_bytes"].as_u64().unwrap() <= 2048
    );
    assert!(avr["program_bytes"].as_u64().unwrap() <= 32768);

    // A trial whose int8 model was not kept gets a clear line, not a panic.
    let out = sparse_explorer(&[
        "export",
        "--run",
        run.to_str().unwrap(),
        "--trial",
        "999",
        "--out",
        export.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no int8 model for trial 999"));
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn a_time_limit_without_a_trial_count_runs_until_the_time_is_up() {
    let dir = std::env::temp_dir().join(format!("sparse-explorer-time-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = sparse_explorer(&[
        "search",
        "--flash-bytes",
        "2800",
        "--sram-bytes",
        "2048",
        "--algorithm",
        "random",
        "--train-images",
        "60",
        "--test-images",
        "10",
        "--time-limit",
        "4s",
        "--no-teacher",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Without --time-limit a search stops at 20 trials; these take milliseconds each.
    let trials = trials_without_timing(&dir).len();
    assert!(trials > 20, "only {trials} trials in 4 s");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_closing_share_of_a_time_limit_trains_the_leaders_to_the_top_rung() {
    let data = temp_file("closing-bars.csv", &bars_csv(120));
    let base = std::env::temp_dir().join(format!("sparse-explorer-closing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let run = |name: &str, share: &str| {
        let dir = base.join(name);
        let out = sparse_explorer(&[
            "search",
            "--dataset",
            data.to_str().unwrap(),
            "--flash-bytes",
            "4000",
            "--sram-bytes",
            "600",
            "--algorithm",
            "random",
            "--max-epochs",
            "27",
            "--workers",
            "1",
            "--no-teacher",
            "--time-limit",
            "6s",
            "--closing-share",
            share,
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        trials_without_timing(&dir)
    };
    // New candidates train 1 epoch and promotions climb one rung (×3) at a time: a network
    // trained on by any other factor was a leader finished in the closing share (to 27
    // epochs, or as many as the time left allowed).
    let leaps = |records: &[serde_json::Value]| -> Vec<(u64, u64)> {
        let epochs = |r: &serde_json::Value| r["epochs"].as_u64().unwrap();
        records
            .iter()
            .filter_map(|r| {
                let parent = records.iter().find(|p| p["id"] == r["parent"])?;
                let (before, after) = (epochs(parent), epochs(r));
                (after > before && after != 3 * before).then_some((before, after))
            })
            .collect()
    };
    let closing = run("closing", "0.5");
    assert!(!leaps(&closing).is_empty(), "{closing:?}");
    let never = run("never", "0");
    assert!(never.len() > 3);
    assert_eq!(leaps(&never), vec![]);
    refused(
        &[
            "search",
            "--closing-share",
            "1.5",
            "--out",
            base.to_str().unwrap(),
        ],
        "a share of the time limit from 0 to 1, not '1.5'",
    );
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn a_search_distils_by_default_keeps_its_teacher_in_the_run_folder_and_resumes_with_it() {
    let data = temp_file("teacher-bars.csv", &bars_csv(300));
    let dir = std::env::temp_dir().join(format!("sparse-explorer-teacher-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let search = |extra: &[&str]| {
        let mut args = vec!["search", "--workers", "1"];
        args.extend_from_slice(extra);
        sparse_explorer(&args)
    };
    // A new run of `trials` trials in `dir`, with `extra` flags.
    let begin = |trials: &str, extra: &[&str]| {
        let mut args = vec!["--dataset", data.to_str().unwrap(), "--flash-bytes", "4000"];
        args.extend(["--sram-bytes", "600", "--trials", trials]);
        args.extend_from_slice(extra);
        args.extend(["--out", dir.to_str().unwrap()]);
        search(&args)
    };
    let out = begin("3", &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("teacher: "));
    let teacher = std::fs::read_to_string(dir.join("teacher.json")).unwrap();
    // The teacher cannot be switched off part way.
    refused(
        &["search", "--resume", dir.to_str().unwrap(), "--no-teacher"],
        "--no-teacher cannot be given with --resume",
    );
    // Resumed, the run keeps its teacher (not trained again).
    let out = search(&["--resume", dir.to_str().unwrap(), "--trials", "5"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("teacher: "));
    assert_eq!(
        std::fs::read_to_string(dir.join("teacher.json")).unwrap(),
        teacher
    );
    let records = trials_without_timing(&dir);
    assert_eq!(records.len(), 5);
    assert!(records.iter().any(|r| r["status"] == "trained"));
    // A teacher file that is not one is refused with its name.
    std::fs::write(dir.join("teacher.json"), "{}").unwrap();
    let out = search(&["--resume", dir.to_str().unwrap(), "--trials", "6"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("teacher.json is not a saved teacher"));
    let _ = std::fs::remove_dir_all(&dir);

    // --no-teacher trains on the labels alone, and its resume trains no teacher either.
    let out = begin("2", &["--no-teacher"]);
    assert!(out.status.success());
    let out = search(&["--resume", dir.to_str().unwrap(), "--trials", "3"]);
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("teacher: "));
    assert!(!dir.join("teacher.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
