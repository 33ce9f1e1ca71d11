//! What the page's search-run tests share with the tests of the saved run and of the search
//! panel: a setup, the space, a worker's answer, and a run with some trials done.

use super::*;
use sparse_core::cost::FlashMeasure;

/// The quick demo's setup with `trials` trials and `workers` workers.
pub(crate) fn setup(trials: usize, workers: usize) -> SearchSetup {
    SearchSetup {
        trials,
        workers,
        ..SearchSetup::quick_demo(
            Budget::new(30_000, 2_048).measuring_flash_as(FlashMeasure::ModelSize),
            workers,
        )
    }
}

/// SpArSe's space for MNIST.
pub(crate) fn space() -> SearchSpace {
    SearchSpace::sparse([1, 28, 28], 10)
}

/// What a worker would answer for `job`: trained, with made-up but consistent measures.
pub(crate) fn trained(job: &TrialJob, accuracy: f64) -> TrialRecord {
    let costs = sparse_core::cost::cost(&job.architecture).unwrap();
    TrialRecord {
        id: job.id,
        architecture: job.architecture.clone(),
        parent: job.parent,
        status: "trained".into(),
        reason: None,
        val_accuracy: Some(accuracy),
        test_accuracy: Some(accuracy),
        int8_test_accuracy: Some(accuracy),
        model_size_bytes: Some(costs.model_size_bytes),
        working_memory_bytes: Some(costs.working_memory_bytes),
        macs: Some(costs.macs),
        epochs: None,
        train_seconds: 1.0,
        search_seconds: None,
        hypervolume: 0.0,
    }
}

/// A run of `trials` trials on one worker, its first `done` trained to 80% (no weights kept).
pub(crate) fn run_with_done(trials: usize, done: usize) -> SearchRun {
    let mut run = SearchRun::new(setup(trials, 1), space());
    for _ in 0..done {
        let job = run.next_job(0, 0.0).unwrap();
        run.done(0, trained(&job, 0.8), None, None, 0.0);
    }
    run
}
