//! Pricing architectures from the command line: `cost` on the documented example and on bad files,
//! `boards`, and `largest`.

use crate::{sparse_explorer, succeeds, temp_file};

const EXAMPLE: &str = include_str!("../../../../docs/examples/example.json");

#[test]
fn cost_prices_the_documented_example_against_a_board() {
    let path = temp_file("example.json", EXAMPLE);
    let out = succeeds(&["cost", path.to_str().unwrap(), "--board", "arduino-uno"]);
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
    let out = succeeds(&[
        "largest",
        "--board",
        "arduino-uno",
        "--samples",
        "5000",
        "--steps",
        "5000",
    ]);
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
