//! Deterministic stand-ins for training, and a small space, shared by the search's tests.

use super::{Algorithm, Search};
use crate::fidelity::Schedule;
use crate::trial::{Candidate, Objectives, Outcome};
use sparse_core::TrialRecord;
use sparse_core::boards::Board;
use sparse_core::cost::cost;
use sparse_core::space::SearchSpace;

pub(super) fn space() -> SearchSpace {
    SearchSpace::sparse([1, 28, 28], 10)
}

/// A made-up but deterministic "training": error falls from 61% towards 1% as the
/// non-zero parameters grow, as small CNNs on MNIST do.
pub(super) fn fake_train(search: &Search, c: &Candidate) -> Outcome {
    let report = cost(&c.genome.architecture(search.space())).unwrap();
    if c.id % 7 == 3 {
        return Outcome::Failed {
            reason: "diverged".into(),
        };
    }
    Outcome::Trained(Objectives {
        val_accuracy: 0.99 - 0.6 * (-(report.model_size_bytes as f64) / 3000.0).exp(),
        model_size_bytes: report.model_size_bytes,
        working_memory_bytes: report.working_memory_bytes,
        macs: report.macs,
        flash_bytes: None,
        work: Some(report.workload),
    })
}

pub(super) fn run(algorithm: Algorithm, seed: u64, trials: usize) -> Search {
    let budget = Board::preset("arduino-uno").unwrap().budget();
    let mut search = Search::new(space(), budget, algorithm, seed);
    for _ in 0..trials {
        let c = search.ask().unwrap();
        let outcome = fake_train(&search, &c);
        search.tell(c.id, outcome).unwrap();
    }
    search
}

/// Like `fake_train`, but longer training lowers the error (a third per rung), and a
/// genome's pseudo-random quality spreads trials at a rung.
pub(super) fn fake_train_by_epochs(search: &Search, c: &Candidate) -> Outcome {
    let report = cost(&c.genome.architecture(search.space())).unwrap();
    let quality = (report.macs % 97) as f64 / 97.0;
    let error = (0.02 + 0.2 * quality) / (c.fidelity_epochs() as f64).sqrt();
    Outcome::Trained(Objectives {
        val_accuracy: 1.0 - error,
        model_size_bytes: report.model_size_bytes,
        working_memory_bytes: report.working_memory_bytes,
        macs: report.macs,
        flash_bytes: None,
        work: Some(report.workload),
    })
}

pub(super) fn by_promise() -> Schedule {
    Schedule {
        epochs: 1,
        factor: 3,
        max_epochs: 9,
    }
}

/// The record a driver would write for trained trial `id` of `search`.
pub(super) fn record_of(search: &Search, id: u64) -> TrialRecord {
    let trial = &search.trials()[id as usize];
    let Some(Outcome::Trained(o)) = &trial.outcome else {
        panic!("trial {id} has not trained");
    };
    TrialRecord {
        status: "trained".into(),
        reason: None,
        val_accuracy: Some(o.val_accuracy),
        test_accuracy: Some(o.val_accuracy),
        int8_test_accuracy: Some(o.val_accuracy),
        model_size_bytes: Some(o.model_size_bytes),
        working_memory_bytes: Some(o.working_memory_bytes),
        macs: Some(o.macs),
        epochs: Some(trial.candidate.total_epochs),
        ..TrialRecord::failed(
            id,
            trial.candidate.genome.architecture(search.space()),
            trial.candidate.parent,
            String::new(),
        )
    }
}
