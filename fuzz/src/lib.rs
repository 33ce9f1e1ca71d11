//! What each fuzz target does with its bytes: hand them to one parser of user files and, where
//! it accepts them, use the result as the CLI and the page would. Any panic, abort or runaway
//! allocation is a finding; a clear refusal (an `Err`) is the right answer to a bad file.
//!
//! `cargo xtask fuzz` runs the targets under libFuzzer; the test below replays the committed
//! corpus (`fuzz/corpus/TARGET/`) and past findings (`fuzz/regressions/TARGET/`) through the
//! same functions on every `cargo xtask test`.

use sparse_core::cost::{Budget, cost};
use sparse_core::quant::QuantModel;
use sparse_core::space::SearchSpace;
use sparse_core::{Architecture, Dataset, ImageShape, TrialRecord};
use sparse_search::{Algorithm, Search};

/// A fuzz target's body: takes any bytes, must never panic.
pub type Target = fn(&[u8]);

/// Every target, by the name `cargo xtask fuzz` and the corpus folders use.
pub const TARGETS: [(&str, Target); 6] = [
    ("csv", csv),
    ("idx", idx),
    ("architecture", architecture),
    ("trials", trials),
    ("state", state),
    ("model", model),
];

/// Most activation bytes a target lets a model it accepted allocate when evaluating it: a
/// parser may accept a model far larger than any MCU's, whose evaluation is not the parser's
/// finding.
const MOST_WORKING_BYTES: u64 = 1 << 22;

/// A CSV dataset upload (`--dataset FILE.csv`, the page's upload), with the shape given or
/// guessed as the first byte chooses, then searched on as a run would start.
pub fn csv(data: &[u8]) {
    let (choice, bytes) = match data.split_first() {
        Some((&first, rest)) => (first, rest),
        None => (0, data),
    };
    let shape = match choice % 3 {
        0 => None,
        1 => Some(ImageShape {
            channels: 1,
            height: 2,
            width: 2,
        }),
        _ => Some(ImageShape {
            channels: 3,
            height: 1,
            width: 1,
        }),
    };
    if let Ok(dataset) = sparse_core::csv::parse_csv(bytes, shape) {
        start_search_on(&dataset);
    }
}

/// A pair of IDX files, plain or gzipped (the first byte says where the images end and the
/// labels begin), then searched on as a run would start.
pub fn idx(data: &[u8]) {
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let at = (split as usize * rest.len()) / 255;
    let (images, labels) = rest.split_at(at.min(rest.len()));
    if let Ok(dataset) = sparse_core::idx::parse_idx_pair(images, labels) {
        start_search_on(&dataset);
    }
}

/// What a run does first with loaded data: split off validation, fingerprint it, and ask a
/// search over its shape for a first candidate.
fn start_search_on(dataset: &Dataset) {
    let (train, validation) = dataset.hold_out(6);
    let _ = (train.fingerprint(), validation.label_counts());
    let s = dataset.shape();
    let space = SearchSpace::sparse([s.channels, s.height, s.width], dataset.classes());
    let mut search = Search::new(space, Budget::new(2800, 2048), Algorithm::Random, 0);
    if search.check().is_ok() {
        let _ = search.ask();
    }
}

/// An architecture description (`sparse-explorer cost FILE`, `train --arch FILE`): priced, and
/// laid out as the C export would.
pub fn architecture(data: &[u8]) {
    let Ok(architecture) = serde_json::from_slice::<Architecture>(data) else {
        return;
    };
    if cost(&architecture).is_ok() {
        let _ = sparse_export::layout::layout(&architecture);
    }
}

/// A run's `trials.jsonl`, and the Pareto front the CLI recomputes from it.
pub fn trials(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(records) = TrialRecord::parse_jsonl("trials.jsonl", text) {
        let _ = sparse_search::pareto_front_of_records(&records, Budget::new(2800, 2048));
    }
}

/// A run's `state.json`: once checked, it must resume without a panic (its front, its next
/// candidate).
pub fn state(data: &[u8]) {
    let Ok(mut search) = serde_json::from_slice::<Search>(data) else {
        return;
    };
    if search.check().is_ok() {
        let _ = search.pareto_front();
        let _ = search.ask();
    }
}

/// An int8 model file (`export --model FILE`, `verify`): read, checked, exported as C and, if
/// its activations are of a sane size, evaluated on a blank image.
pub fn model(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(model) = QuantModel::from_model_file(text) else {
        return;
    };
    let _ = sparse_export::footprint(&model);
    let _ = sparse_export::export(&model, "fuzz");
    let fits = cost(&model.architecture).is_ok_and(|c| c.working_memory_bytes < MOST_WORKING_BYTES);
    if fits {
        let pixels: usize = model.architecture.input.iter().product();
        let _ = model.predict(&vec![0; pixels]);
    }
}

#[cfg(test)]
mod tests {
    use super::TARGETS;
    use std::path::Path;

    /// The inputs kept in `fuzz/FOLDER/TARGET/`.
    fn inputs(folder: &str, target: &str) -> Vec<(String, Vec<u8>)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(folder)
            .join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        entries
            .map(|e| e.unwrap().path())
            .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
            .collect()
    }

    #[test]
    fn every_target_survives_its_corpus_and_past_findings() {
        for (target, run) in TARGETS {
            let corpus = inputs("corpus", target);
            assert!(!corpus.is_empty(), "fuzz/corpus/{target} is empty");
            for (path, bytes) in corpus.iter().chain(&inputs("regressions", target)) {
                let outcome = std::panic::catch_unwind(|| run(bytes));
                assert!(outcome.is_ok(), "{target} panicked on {path}");
            }
        }
    }
}
