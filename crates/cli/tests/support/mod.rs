//! Data shared by the CLI's test binaries (`tests/cli/` and `tests/crash.rs`).

/// Vertical against horizontal bars on 8×8 images, as CSV with a header.
pub fn bars_csv(rows: usize) -> String {
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
