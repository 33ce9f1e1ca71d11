//! The crash test: a small search killed with SIGKILL at random moments, and resumed after each
//! kill, keeps a consistent run folder: no told trial lost or changed, only the trials in flight
//! trained again, every id told once, `pareto.json` the front of `trials.jsonl`, and every Pareto
//! member's networks kept. `CRASH_KILLS` sets the kills (20 by default; the closing notes report
//! longer runs), `CRASH_SEED` their moments and `CRASH_TRIALS` the search's length (500, about
//! 7 s uninterrupted, long enough for the kills to land while it runs).

mod support;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sparse_core::TrialRecord;
use sparse_core::cost::Budget;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::bars_csv;

/// Trials trained at once.
const WORKERS: usize = 2;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The told records of the run in `dir` by id, as the lines of `trials.jsonl` that its state
/// counts (a line after them was appended before a kill that came before the state was saved).
fn told_lines(dir: &Path) -> BTreeMap<u64, String> {
    let state = saved_state(dir);
    let told = state["trials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| !t["outcome"].is_null())
        .count();
    let text = std::fs::read_to_string(dir.join("trials.jsonl")).unwrap_or_default();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    assert!(lines.len() >= told, "the log lost a told trial");
    lines[..told]
        .iter()
        .map(|line| {
            let record: TrialRecord = serde_json::from_str(line.trim_end()).unwrap();
            (record.id, line.trim_end().to_string())
        })
        .collect()
}

fn saved_state(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("state.json")).unwrap()).unwrap()
}

/// Trials asked but never told in the saved state: those in flight at the kill.
fn in_flight(dir: &Path) -> usize {
    saved_state(dir)["trials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["outcome"].is_null())
        .count()
}

#[test]
fn a_search_killed_at_random_moments_resumes_without_losing_or_repeating_trials() {
    let kills = env_or("CRASH_KILLS", 20);
    let trials_in_all = env_or("CRASH_TRIALS", 500) as usize;
    let mut rng = StdRng::seed_from_u64(env_or("CRASH_SEED", 1));
    let base = std::env::temp_dir().join(format!("sparse-explorer-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    let data = base.join("bars.csv");
    std::fs::write(&data, bars_csv(1200)).unwrap();
    let dir: PathBuf = base.join("run");
    let (data, run) = (data.to_str().unwrap(), dir.to_str().unwrap());
    let (trials, workers) = (trials_in_all.to_string(), WORKERS.to_string());
    let new = [
        "search",
        "--dataset",
        data,
        "--flash-bytes",
        "4000",
        "--sram-bytes",
        "600",
        "--max-epochs",
        "9",
        "--seed",
        "3",
        "--trials",
        &trials,
        "--workers",
        &workers,
        // Without a teacher, so the kills land among trials rather than in its training.
        "--no-teacher",
        "--out",
        run,
    ];
    let resume = [
        "search",
        "--resume",
        run,
        "--trials",
        &trials,
        "--workers",
        &workers,
    ];
    let sparse_explorer = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sparse-explorer"));
        command
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    };
    // Every told record seen at any kill: it must survive to the end unchanged.
    let mut seen: BTreeMap<u64, String> = BTreeMap::new();
    let mut killed = 0;
    while killed < kills {
        let args: &[&str] = if dir.join("state.json").exists() {
            &resume
        } else {
            &new
        };
        let mut child = sparse_explorer(args).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(rng.random_range(20..400)));
        if let Some(status) = child.try_wait().unwrap() {
            let output = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(status.success(), "{args:?} failed: {stderr}");
            // Finished before the kill came: the run is over.
            break;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        killed += 1;
        if !dir.join("state.json").exists() {
            continue;
        }
        assert!(
            in_flight(&dir) <= WORKERS,
            "more trials untold than in flight"
        );
        for (id, line) in told_lines(&dir) {
            let before = seen.entry(id).or_insert_with(|| line.clone());
            assert_eq!(*before, line, "told trial {id} changed after a kill");
        }
    }
    assert!(killed >= kills.min(5), "the run ended after {killed} kills");
    eprintln!("{killed} kills, then resumed to the end");
    let output = sparse_explorer(&resume).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");

    // Every trial told once, none left in flight, nothing seen lost or changed.
    let lines = told_lines(&dir);
    let text = std::fs::read_to_string(dir.join("trials.jsonl")).unwrap();
    assert_eq!(
        text.lines().count(),
        trials_in_all,
        "the log holds only told trials"
    );
    assert_eq!(
        lines.keys().copied().collect::<Vec<_>>(),
        (0..trials_in_all as u64).collect::<Vec<_>>()
    );
    assert_eq!(in_flight(&dir), 0);
    for (id, line) in &seen {
        assert_eq!(lines.get(id), Some(line), "told trial {id} lost or changed");
    }
    // pareto.json is the front of trials.jsonl, each member's networks kept.
    let records: Vec<TrialRecord> = lines
        .values()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let budget: Budget = serde_json::from_value(saved_state(&dir)["budget"].clone()).unwrap();
    let front: BTreeSet<u64> = sparse_search::pareto_front_of_records(&records, budget)
        .into_iter()
        .collect();
    let pareto: Vec<TrialRecord> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("pareto.json")).unwrap()).unwrap();
    assert_eq!(pareto.iter().map(|r| r.id).collect::<BTreeSet<_>>(), front);
    for id in front {
        for file in [format!("{id}.json"), format!("{id}.int8.json")] {
            assert!(dir.join("networks").join(&file).exists(), "{file} lost");
        }
    }
    std::fs::remove_dir_all(&base).unwrap();
}
