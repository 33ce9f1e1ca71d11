//! Bad input refused with one clear line, no panic, and nothing left behind: arguments, labels,
//! workers, an edited state, too few images, an impossible budget, malformed datasets.

use crate::{bars_csv, refused, sparse_explorer, temp_file};

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
