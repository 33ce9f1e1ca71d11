//! `search`: its run folder, resuming, repeating by seed, time limits and their closing share, and
//! the teacher kept in the folder.

use crate::{bars_csv, refused, sparse_explorer, succeeds, temp_file};

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
        let out = succeeds(&args);
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
    succeeds(&[
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
    let out = succeeds(&["search", "--resume", run, "--trials", "5", "--workers", "1"]);
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

#[test]
fn a_time_limit_without_a_trial_count_runs_until_the_time_is_up() {
    let dir = std::env::temp_dir().join(format!("sparse-explorer-time-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    succeeds(&[
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
        succeeds(&[
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
