//! A run as a file: `trials.jsonl` opened from this page's export or from `sparse-explorer
//! search`, and the trials on show exported as one.

use crate::download::download;
use crate::saved_run::{parse_trials, trials_jsonl};
use sparse_core::TrialRecord;
use wasm_bindgen_futures::spawn_local;
use yew::Callback;

/// Reads `file` as a run's trials: `done` gets its name and trials, or what is wrong with it.
pub fn read_run_file(
    file: web_sys::File,
    done: Callback<Result<(String, Vec<TrialRecord>), String>>,
) {
    spawn_local(async move {
        let name = file.name();
        let text = wasm_bindgen_futures::JsFuture::from(file.text())
            .await
            .ok()
            .and_then(|t| t.as_string());
        done.emit(match text {
            Some(text) => parse_trials(&name, &text).map(|r| (name, r)),
            None => Err(format!("{name} could not be read as text")),
        });
    });
}

/// Downloads `records` as `name`, one JSON object per line.
pub fn export(records: &[TrialRecord], name: &str) {
    download(
        name,
        trials_jsonl(records).as_bytes(),
        "application/x-ndjson",
    );
}
