//! A search kept across page loads and files: the run saved in IndexedDB after every trial,
//! checked before it is offered for resuming, and `trials.jsonl` as exported by the page or
//! written by `sparse-explorer search`.

use crate::search_run::SearchRun;
use crate::search_setup::SearchSetup;
use serde::{Deserialize, Serialize};
use sparse_core::TrialRecord;
use sparse_search::Search;

/// Reads a run exported by the page or written by `sparse-explorer search` (`trials.jsonl`),
/// or says which line is wrong.
pub fn parse_trials(name: &str, text: &str) -> Result<Vec<TrialRecord>, String> {
    let records = TrialRecord::parse_jsonl(name, text)?;
    if records.is_empty() {
        return Err(format!("{name} holds no trials"));
    }
    Ok(records)
}

/// The records as `trials.jsonl` text, one JSON object per line.
pub fn trials_jsonl(records: &[TrialRecord]) -> String {
    records
        .iter()
        .filter_map(|r| serde_json::to_string(r).ok())
        .map(|line| line + "\n")
        .collect()
}

/// The version of [`SavedRun`]'s format this page writes (saves made before versions are 1).
/// (3: the setup says whether a teacher is used, and the teacher is saved apart.)
pub const SAVED_SCHEMA: u32 = 3;

fn first_schema() -> u32 {
    1
}

/// What a search saves to resume after a reload: all but the weights (saved one by one) and
/// the trials in flight (lost).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedRun {
    /// The version of this format it was written in.
    #[serde(default = "first_schema")]
    pub schema: u32,
    /// The setup.
    pub setup: SearchSetup,
    /// The engine's whole state.
    pub search: Search,
    /// Finished trials.
    pub records: Vec<TrialRecord>,
    /// The name of the dataset searched, which a resume needs loaded again.
    pub dataset: String,
    /// Trials whose weights were kept (saved apart).
    pub kept: Vec<u64>,
}

impl SavedRun {
    /// `run` as saved after its latest trial, on `dataset`.
    pub fn of(run: &SearchRun, dataset: &str) -> Self {
        let driver = run.driver();
        Self {
            schema: SAVED_SCHEMA,
            setup: run.setup().clone(),
            search: driver.search().clone(),
            records: driver.records().to_vec(),
            dataset: dataset.to_string(),
            kept: driver.kept().iter().copied().collect(),
        }
    }

    /// Reads a saved search and checks it before it is trusted (the saved text may come from
    /// another version of the page, or be damaged): a known schema, a consistent state, and
    /// records of exactly the trials the state told; otherwise says what is wrong.
    pub fn parse(text: &str) -> Result<SavedRun, String> {
        let saved: SavedRun = serde_json::from_str(text)
            .map_err(|e| format!("the saved search cannot be read: {e}"))?;
        if saved.schema > SAVED_SCHEMA {
            return Err(format!(
                "the saved search was made by a newer version of the page (format {}, this page \
                 reads up to {SAVED_SCHEMA})",
                saved.schema
            ));
        }
        saved.search.check().map_err(|e| e.to_string())?;
        let told: std::collections::BTreeSet<u64> = saved
            .search
            .trials()
            .iter()
            .filter(|t| t.outcome.is_some())
            .map(|t| t.candidate.id)
            .collect();
        let recorded: std::collections::BTreeSet<u64> =
            saved.records.iter().map(|r| r.id).collect();
        if recorded != told || saved.records.len() != told.len() {
            return Err("the saved search's trials disagree with its state".into());
        }
        let asked = saved.search.trials().len() as u64;
        if saved.kept.iter().any(|&id| id >= asked) {
            return Err("the saved search keeps weights of trials it never asked".into());
        }
        Ok(saved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search_run::test_support::{run_with_done, setup, space, trained};

    #[test]
    fn a_saved_search_is_checked_before_it_is_offered() {
        let run = run_with_done(6, 2);
        let saved = serde_json::to_value(SavedRun::of(&run, "MNIST")).unwrap();
        let error = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut value = saved.clone();
            edit(&mut value);
            SavedRun::parse(&value.to_string()).unwrap_err()
        };
        // A save from before the schema field reads as format 1.
        let mut old = saved.clone();
        old.as_object_mut().unwrap().remove("schema");
        assert_eq!(SavedRun::parse(&old.to_string()).unwrap().schema, 1);
        assert!(
            error(&|v| v["schema"] = (SAVED_SCHEMA + 1).into())
                .starts_with("the saved search was made by a newer")
        );
        assert!(
            error(&|v| v["search"]["space"]["max_filters"] = 0.into()).contains("not consistent")
        );
        assert_eq!(
            error(&|v| v["records"].as_array_mut().unwrap().truncate(1)),
            "the saved search's trials disagree with its state"
        );
        assert!(error(&|v| v["kept"] = serde_json::json!([40])).contains("never asked"));
        assert!(
            SavedRun::parse("{")
                .unwrap_err()
                .starts_with("the saved search cannot be read")
        );
    }

    #[test]
    fn trials_round_trip_through_jsonl_and_keep_their_front() {
        let mut run = SearchRun::new(setup(4, 1), space());
        while let Some(job) = run.next_job(0, 0.0) {
            let accuracy = 0.6 + job.id as f64 / 10.0;
            run.done(0, trained(&job, accuracy), None, None, 0.0);
        }
        let text = trials_jsonl(run.records().as_slice());
        assert_eq!(text.lines().count(), 4);
        let back = parse_trials("trials.jsonl", &text).unwrap();
        assert_eq!(&back, run.records().as_ref());
        let mut front = sparse_search::pareto_front_of_records(&back, run.budget());
        let mut expected = run.pareto_front();
        front.sort();
        expected.sort();
        assert_eq!(front, expected);
        let err = parse_trials("t.jsonl", &format!("{text}{{\"id\": 1}}\n")).unwrap_err();
        assert!(err.starts_with("t.jsonl, line 5: missing field"), "{err}");
        assert_eq!(parse_trials("e", "\n").unwrap_err(), "e holds no trials");
    }
}
