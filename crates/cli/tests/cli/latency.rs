//! Latency from the command line: `cost` estimates it on a board and checks a bound, and a
//! search with `--max-latency-ms` keeps to it.

use crate::{sparse_explorer, succeeds, temp_file};
use sparse_core::Architecture;
use sparse_core::boards::Board;
use sparse_core::cost::cost;

const EXAMPLE: &str = include_str!("../../../../docs/examples/example.json");

#[test]
fn cost_estimates_latency_on_a_board_and_checks_a_latency_bound() {
    let path = temp_file("latency.json", EXAMPLE);
    let path = path.to_str().unwrap();
    let report = |args: &[&str]| -> serde_json::Value {
        let out = succeeds(&[&["cost", path][..], args].concat());
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let uno = report(&["--board", "arduino-uno"]);
    let ms = uno["latency_ms"].as_f64().unwrap();
    let cycles = uno["latency"]["total"].as_u64().unwrap();
    assert_eq!(uno["latency"]["core"], "avr");
    assert_eq!(uno["latency"]["unit"], "cycles");
    assert!((ms - cycles as f64 / 16_000.0).abs() < 1e-3, "{uno}");
    // The same network on the Nano 33 BLE's Cortex-M4 at 64 MHz is far faster.
    let nano = report(&["--board", "nano33-ble"]);
    assert!(nano["latency_ms"].as_f64().unwrap() * 10.0 < ms, "{nano}");
    // No model for the ESP32's Xtensa: no figure, not a guess.
    assert_eq!(
        report(&["--board", "esp32"])["latency_ms"],
        serde_json::Value::Null
    );

    // A bound just under the estimate is broken, in microseconds; one above it is kept.
    let bounded = |max_ms: f64| {
        let max_ms = max_ms.to_string();
        report(&[
            "--flash-bytes",
            "1000000",
            "--sram-bytes",
            "100000",
            "--core",
            "avr",
            "--clock-mhz",
            "16",
            "--max-latency-ms",
            &max_ms,
        ])
    };
    let over = bounded((ms * 1000.0).floor() / 1000.0 - 0.001);
    assert_eq!(over["fits"], false, "{over}");
    assert_eq!(over["violations"][0]["resource"], "latency");
    let fits = bounded(ms + 1.0);
    assert_eq!(fits["fits"], true, "{fits}");

    // A bound needs a core and a clock, and a number.
    for (args, expected) in [
        (
            vec![
                "--flash-bytes",
                "1000",
                "--sram-bytes",
                "100",
                "--max-latency-ms",
                "5",
            ],
            "--max-latency-ms needs a core and a clock: Custom budget has no latency model",
        ),
        (
            vec!["--board", "esp32", "--max-latency-ms", "5"],
            "ESP32 DevKitC has no latency model; give --core and --clock-mhz",
        ),
        (
            vec!["--board", "arduino-uno", "--max-latency-ms", "0"],
            "--max-latency-ms must be a positive number of milliseconds, not 0",
        ),
        (
            vec!["--max-latency-ms", "5"],
            "need --board or --flash-bytes/--sram-bytes",
        ),
    ] {
        let out = sparse_explorer(&[&["cost", path][..], &args].concat());
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn a_search_with_a_latency_bound_keeps_its_pareto_front_within_it() {
    let dir = std::env::temp_dir().join(format!("sparse-explorer-latency-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = succeeds(&[
        "search",
        "--board",
        "arduino-uno",
        "--max-latency-ms",
        "60",
        "--algorithm",
        "random",
        "--trials",
        "6",
        "--train-images",
        "600",
        "--test-images",
        "100",
        "--no-teacher",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("at most 60 ms per image on AVR at 16 MHz (estimated)"),
        "{stderr}"
    );
    // Without the bound, most networks that fit the Uno's memory take 100-300 ms. Every
    // Pareto member, pruned as trained, keeps to it.
    let uno = Board::preset("arduino-uno").unwrap();
    let trials = std::fs::read_to_string(dir.join("trials.jsonl")).unwrap();
    assert_eq!(trials.lines().count(), 6);
    let front: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("pareto.json")).unwrap()).unwrap();
    assert!(!front.is_empty());
    for member in &front {
        let architecture: Architecture =
            serde_json::from_value(member["architecture"].clone()).unwrap();
        let ms = uno
            .latency_ms(&cost(&architecture).unwrap().workload)
            .unwrap();
        assert!(ms <= 60.0, "trial {}: {ms} ms", member["id"]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
