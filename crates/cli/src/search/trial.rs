//! One trial in a worker thread: the asked genome trained (on its parent's weights when it
//! was morphed or promoted), pruned, quantised and measured; a failure or a panic is the
//! trial's outcome, never the search's end.

use sparse_core::quant::QuantModel;
use sparse_core::space::SearchSpace;
use sparse_core::{Dataset, TrialRecord};
use sparse_search::Candidate;
use sparse_train::{Network, SoftTargets, TrainConfig, TrialRun};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

/// Runs `trial`, a trial of `candidate`, recording a panic inside it as the trial's failure
/// (with the panic's message), so that one broken trial neither stops nor hangs the search.
pub(super) fn caught(
    space: &SearchSpace,
    candidate: &Candidate,
    trial: impl FnOnce() -> (TrialRecord, Option<(Network, QuantModel)>),
) -> (TrialRecord, Option<(Network, QuantModel)>) {
    std::panic::catch_unwind(AssertUnwindSafe(trial)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        let architecture = candidate.genome.architecture(space);
        let reason = format!("training panicked: {message}");
        let record = TrialRecord::failed(candidate.id, architecture, candidate.parent, reason);
        (record, None)
    })
}

/// Trains one candidate and measures it; a failure is an outcome, never an error. Returns the
/// trained network too, for children to inherit from, and its int8 model, for export.
pub(super) fn run_trial(
    space: &SearchSpace,
    candidate: &Candidate,
    data: (&Dataset, &Dataset, &Dataset),
    parent: Option<&Network>,
    config: &TrainConfig,
    teacher: Option<&(Arc<SoftTargets>, f64)>,
) -> (TrialRecord, Option<(Network, QuantModel)>) {
    let (train, validation, test) = data;
    let started = Instant::now();
    let architecture = candidate.genome.architecture(space);
    let config = TrainConfig {
        epochs: candidate.epochs,
        pruning: candidate.genome.layer_pruning(),
        ..config.clone()
    };
    let started_run = match (candidate.continues, parent) {
        (true, Some(parent)) => TrialRun::continuing(parent, train, config),
        (true, None) => {
            let reason = "the network it would train on is no longer kept".to_string();
            return (
                TrialRecord::failed(candidate.id, architecture, candidate.parent, reason),
                None,
            );
        }
        (false, parent) => {
            let parent = parent.map(|p| (p, candidate.inherits_from.as_slice()));
            TrialRun::new(&architecture, train, config, parent)
        }
    };
    let trained = started_run.and_then(|mut run| {
        if let Some((targets, weight)) = teacher {
            run.distil_from(targets.clone(), *weight)?;
        }
        run.train_to_end(train)?;
        run.finish(train, validation, test)
    });
    let seconds = started.elapsed().as_secs_f64();
    match trained {
        Ok((measures, network)) => (
            measures.record(candidate.id, candidate.parent, seconds),
            Some((network, measures.int8)),
        ),
        Err(e) => {
            let mut record =
                TrialRecord::failed(candidate.id, architecture, candidate.parent, e.to_string());
            record.train_seconds = seconds;
            (record, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sparse_search::{Algorithm, Outcome, Search};

    #[test]
    fn a_trial_that_panics_is_recorded_as_failed_with_the_panic_message() {
        let space = SearchSpace::sparse([1, 28, 28], 10);
        let budget = sparse_core::boards::Board::custom(64_000, 64_000).budget();
        let mut search = Search::new(space.clone(), budget, Algorithm::Random, 3);
        let candidate = search.ask().unwrap();
        let (record, network) = caught(&space, &candidate, || panic!("a kernel broke"));
        assert!(network.is_none());
        assert_eq!(record.id, candidate.id);
        assert_eq!(record.status, "failed");
        assert_eq!(
            record.reason.as_deref(),
            Some("training panicked: a kernel broke")
        );
        // The search takes it as any failed trial and goes on.
        search.tell(record.id, Outcome::of_record(&record)).unwrap();
        assert_eq!(search.ask().unwrap().id, candidate.id + 1);
    }
}
