//! A searched model taken to a chip: `export` and `verify` on the host, a Cortex-M4 and a
//! Cortex-M0 under qemu and an ATmega328P under simavr, each run timed against the latency
//! model.

use crate::{json_summary, sparse_explorer, succeeds};

/// Needs Debian's gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm, gcc-avr,
/// avr-libc and simavr, which `cargo xtask test` installs.
#[test]
fn a_model_searched_for_the_uno_exports_and_verifies_on_host_cortex_m4_m0_and_avr() {
    let base = std::env::temp_dir().join(format!("sparse-explorer-export-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let run = base.join("run");
    let out = succeeds(&[
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
    succeeds(&[
        "export",
        "--run",
        run.to_str().unwrap(),
        "--trial",
        &trial,
        "--out",
        export.to_str().unwrap(),
    ]);
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

    let report = json_summary(&["verify", export.to_str().unwrap(), "--json"]);
    assert_eq!(report["failures"], serde_json::json!([]), "{report}");
    assert_eq!(report["host"]["images"], 1000);
    assert_eq!(report["host"]["identical"], 1000);
    let (flash, sram) = (
        report["cost_flash_bytes"].as_u64().unwrap(),
        report["cost_sram_bytes"].as_u64().unwrap(),
    );
    // LiteRT and TensorFlow Lite Micro run it as model.tflite (cargo xtask test gives the
    // tests a Python with both); TFLM's arena holds our SRAM's activations and its own state.
    let tflite = &report["tflite"];
    assert!(
        tflite.is_object(),
        "no TFLite stage: run through cargo xtask test, which installs LiteRT and TFLM: {report}"
    );
    for interpreter in ["litert", "micro"] {
        assert_eq!(tflite[interpreter]["images"], 1000, "{report}");
        assert!(
            tflite[interpreter]["same_class"].as_u64().unwrap() >= 999,
            "{report}"
        );
    }
    let head = tflite["arena_head_bytes"].as_u64().unwrap();
    assert!(head >= sram && head <= sram + 64, "{report}");
    assert_eq!(
        tflite["arena_bytes"].as_u64().unwrap(),
        head + tflite["arena_tail_bytes"].as_u64().unwrap()
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
    // Each emulated core timed the blank image and the 5 test images layer by layer; its
    // calibration read its known length, the kernels did the same work for every image, and
    // the latency model's estimate is within 15% of the measurement.
    for (core, timing, clock_hz) in [
        ("avr", &avr["timing"], 16_000_000.0),
        ("cortex-m0", &report["cortex_m0"]["timing"], 16_000_000.0),
        ("cortex-m4", &m4["timing"], 64_000_000.0),
    ] {
        assert_eq!(timing["inferences"], 6, "{core}: {report}");
        assert_eq!(timing["calibration"], timing["calibration_expected"]);
        let [min, mean, max] = ["min", "mean", "max"].map(|k| timing[k].as_u64().unwrap());
        assert!(
            min <= mean && mean <= max && max <= min + min / 20,
            "{core}: {report}"
        );
        assert!(min > 10_000, "{core}: {report}");
        let layers: Vec<u64> = serde_json::from_value(timing["layers"].clone()).unwrap();
        assert_eq!(layers.len(), report["work"].as_array().unwrap().len());
        assert!(layers.iter().sum::<u64>().abs_diff(mean) <= layers.len() as u64);
        assert_eq!(timing["estimate"]["core"], core);
        let estimate = timing["estimate"]["total"].as_u64().unwrap();
        assert!(
            estimate.abs_diff(mean) * 100 <= mean * 15,
            "{core}: estimated {estimate}, measured {mean}: {report}"
        );
        let latency = timing["latency_ms"].as_f64().unwrap();
        assert!((latency - mean as f64 * 1000.0 / clock_hz).abs() < 1e-9);
    }
    assert_eq!(report["cortex_m0"]["run"]["identical"], 5, "{report}");
    assert_eq!(report["cortex_m0"]["blank_identical"], true);

    // --format picks the files beside model.json and README.md: a TFLite flatbuffer alone, or
    // with the C.
    for (format, files) in [
        ("tflite", &["model.tflite", "model.json", "README.md"][..]),
        (
            "c,tflite",
            &[
                "model.h",
                "model.c",
                "model.tflite",
                "model.json",
                "README.md",
            ],
        ),
    ] {
        let dir = base.join(format.replace(',', "-"));
        succeeds(&[
            "export",
            "--run",
            run.to_str().unwrap(),
            "--trial",
            &trial,
            "--format",
            format,
            "--out",
            dir.to_str().unwrap(),
        ]);
        let mut written: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let mut expected: Vec<String> = files.iter().map(|f| f.to_string()).collect();
        written.sort();
        expected.sort();
        assert_eq!(written, expected, "{format}");
        let tflite = std::fs::read(dir.join("model.tflite")).unwrap();
        assert_eq!(&tflite[4..8], b"TFL3");
    }

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

/// A pruned dense layer of 75,264 weights, stored as its non-zeros and a bitmap, fits the Uno's
/// flash, though its weights' positions do not fit the AVR's 16-bit unsigned int.
#[test]
fn a_pruned_layer_of_more_weights_than_an_avr_int_counts_runs_on_the_uno() {
    let base = std::env::temp_dir().join(format!("sparse-explorer-wide-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    let arch = crate::temp_file(
        "wide.json",
        r#"{"input":[1,28,28],"classes":10,"layers":[{"dense":{"units":96}},{"dense":{"units":10}}]}"#,
    );
    let model = base.join("model.json");
    let export = base.join("export");
    for args in [
        &[
            "train",
            "--arch",
            arch.to_str().unwrap(),
            "--limit",
            "600",
            "--prune",
            "magnitude",
            "--sparsity",
            "0.9",
            "--save",
            model.to_str().unwrap(),
        ][..],
        &[
            "export",
            "--model",
            model.to_str().unwrap(),
            "--out",
            export.to_str().unwrap(),
        ],
    ] {
        succeeds(args);
    }
    let source = std::fs::read_to_string(export.join("model.c")).unwrap();
    assert!(source.contains("#define MODEL_LARGEST_TENSOR 75264UL"));
    let report = json_summary(&[
        "verify",
        export.to_str().unwrap(),
        "--images",
        "100",
        "--emulated-images",
        "2",
        "--json",
    ]);
    assert_eq!(report["failures"], serde_json::json!([]), "{report}");
    assert_eq!(report["avr"]["run"]["identical"], 2, "{report}");
    std::fs::remove_dir_all(&base).unwrap();
}
