//! One line of a run's `trials.jsonl`: what the CLI writes after every trial and the page
//! exports and imports, so a run made in one opens in the other.

use crate::Architecture;
use serde::{Deserialize, Serialize};

/// A finished trial as the user sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrialRecord {
    /// The candidate's id in its search.
    pub id: u64,
    /// The architecture (with densities after pruning once trained).
    pub architecture: Architecture,
    /// The trial it was morphed from, whose weights it started with.
    pub parent: Option<u64>,
    /// `trained` or `failed`.
    pub status: String,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Accuracy on the validation images the search optimises.
    pub val_accuracy: Option<f64>,
    /// Accuracy on the test split.
    pub test_accuracy: Option<f64>,
    /// The int8 model's accuracy on the test split.
    pub int8_test_accuracy: Option<f64>,
    /// SpArSe's model size after pruning.
    pub model_size_bytes: Option<u64>,
    /// SpArSe's working memory after pruning.
    pub working_memory_bytes: Option<u64>,
    /// Multiply-accumulates per image.
    pub macs: Option<u64>,
    /// Epochs its weights trained in all, counting those of the trials it continues (absent
    /// from runs made before training by promise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epochs: Option<usize>,
    /// Seconds from the start of training to the end of scoring.
    pub train_seconds: f64,
    /// Wall-clock seconds of the search (summed over resumed sessions) when it was told this
    /// trial, for plots against time (absent from runs made before, and from the page's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_seconds: Option<f64>,
    /// The search's hypervolume once this trial was told (for plots against trials).
    #[serde(default)]
    pub hypervolume: f64,
}

impl TrialRecord {
    /// A trial that failed for `reason`.
    pub fn failed(
        id: u64,
        architecture: Architecture,
        parent: Option<u64>,
        reason: String,
    ) -> Self {
        Self {
            id,
            architecture,
            parent,
            status: "failed".into(),
            reason: Some(reason),
            val_accuracy: None,
            test_accuracy: None,
            int8_test_accuracy: None,
            model_size_bytes: None,
            working_memory_bytes: None,
            macs: None,
            epochs: None,
            train_seconds: 0.0,
            search_seconds: None,
            hypervolume: 0.0,
        }
    }

    /// The records of a `trials.jsonl` text (blank lines skipped), or which line of `name` is
    /// wrong and why.
    pub fn parse_jsonl(name: &str, text: &str) -> Result<Vec<Self>, String> {
        text.lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(i, line)| {
                serde_json::from_str(line).map_err(|e| format!("{name}, line {}: {e}", i + 1))
            })
            .collect()
    }

    /// Whether the trial trained and was measured.
    pub fn is_trained(&self) -> bool {
        self.status == "trained"
    }
}
