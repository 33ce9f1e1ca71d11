//! The driver checked: plans and seeds, trials given out and stamped, resumed runs, time limits and
//! their closing share, fine-tunes, failed asks, kept networks bounded, seeds and objectives.

use super::*;
use crate::{KEPT_PARENTS, Objectives};
use sparse_core::boards::Board;

fn plan(seed: u64) -> SearchPlan {
    SearchPlan {
        space: SearchSpace::sparse([1, 28, 28], 10),
        // Room for any network: the tests' made-up sizes are not the architectures'.
        budget: Board::custom(1 << 24, 1 << 24).budget(),
        algorithm: Algorithm::Random,
        seed,
        schedule: Schedule::by_promise(1, 9),
    }
}

/// The record of `candidate` trained to `accuracy` in 10 s (sizes that fit any budget).
fn trained(driver: &Driver, candidate: &Candidate, accuracy: f64) -> TrialRecord {
    let mut record = driver.failed_record(candidate.id, String::new());
    record.status = "trained".into();
    record.reason = None;
    record.val_accuracy = Some(accuracy);
    record.test_accuracy = Some(accuracy);
    record.model_size_bytes = Some(100 + candidate.id);
    record.working_memory_bytes = Some(100);
    record.macs = Some(1000);
    record.train_seconds = 10.0;
    record
}

#[test]
fn a_plan_asks_the_same_candidates_for_the_same_seed_and_an_impossible_budget_is_found() {
    let asks = |seed| {
        let mut driver = Driver::new(plan(seed).search(), vec![], [], Limits::trials(5));
        (0..5)
            .map(|_| driver.next(0.0).unwrap().genome)
            .collect::<Vec<_>>()
    };
    assert_eq!(asks(3), asks(3));
    assert_ne!(asks(3), asks(4));
    let impossible = SearchPlan {
        budget: Budget::new(1, 1),
        ..plan(3)
    };
    assert!(matches!(impossible.check(), Err(Error::NothingFits { .. })));
    assert_eq!(plan(3).check(), Ok(()));
}

#[test]
fn trials_are_given_out_until_the_count_is_reached_and_told_records_are_stamped() {
    let mut driver = Driver::new(plan(1).search(), vec![], [], Limits::trials(3));
    let a = driver.next(0.0).unwrap();
    let b = driver.next(0.0).unwrap();
    let c = driver.next(0.0).unwrap();
    assert_eq!(driver.next(0.0), None, "three trials are in flight");
    assert_eq!(driver.in_flight(), 3);
    let record = trained(&driver, &b, 0.9);
    let told = driver.tell(record, 12.5).unwrap();
    assert_eq!(told.search_seconds, Some(12.5));
    assert_eq!(told.epochs, Some(1));
    assert!(told.hypervolume > 0.0);
    assert!(
        matches!(
            driver.tell(trained(&driver, &b, 0.9), 13.0),
            Err(Error::UnknownCandidate(_))
        ),
        "a trial is told once"
    );
    assert_eq!(driver.next(1.0), None, "every trial is given out");
    driver.abandon(a.id);
    let failed = driver.failed_record(c.id, "worker lost: crashed".into());
    driver.tell(failed, 14.0).unwrap();
    assert!(!driver.is_over(), "the abandoned trial is owed");
    let d = driver.next(2.0).unwrap();
    assert_eq!(d.id, 3, "a new trial takes the abandoned one's place");
    let record = trained(&driver, &d, 0.8);
    driver.tell(record, 15.0).unwrap();
    assert!(driver.is_over());
    assert_eq!(driver.records().len(), 3);
}

#[test]
fn a_resumed_run_trains_its_unfinished_trials_first_and_counts_earlier_time() {
    let mut first = Driver::new(plan(2).search(), vec![], [], Limits::trials(4));
    let a = first.next(0.0).unwrap();
    let b = first.next(0.0).unwrap();
    let c = first.next(0.0).unwrap();
    let record = trained(&first, &b, 0.9);
    first.tell(record, 100.0).unwrap();
    // Saved here: `a` and `c` were in flight.
    let saved = first.search().clone();
    let mut second = Driver::new(saved, first.records().to_vec(), [], Limits::trials(4));
    assert_eq!(second.next(0.0).map(|n| n.id), Some(a.id));
    assert_eq!(second.next(0.0).map(|n| n.id), Some(c.id));
    assert_eq!(second.next(0.0).map(|n| n.id), Some(3));
    assert_eq!(second.next(0.0), None);
    let record = trained(&second, &c, 0.95);
    assert_eq!(
        second.tell(record, 5.0).unwrap().search_seconds,
        Some(105.0)
    );
}

#[test]
fn a_time_limit_ends_the_asking_and_its_closing_share_finishes_a_kept_leader() {
    let limits = Limits {
        trials: None,
        time_limit_s: Some(1000.0),
        ..Limits::trials(0)
    };
    let mut driver = Driver::new(plan(5).search(), vec![], [], limits);
    let a = driver.next(0.0).unwrap();
    driver.tell(trained(&driver, &a, 0.9), 10.0).unwrap();
    assert_eq!(driver.keep(a.id), None);
    // In the closing share, the kept leader trains on towards the top rung (9 epochs).
    let next = driver.next(900.0).unwrap();
    assert!(next.continues);
    assert_eq!((next.parent, next.epochs), (Some(a.id), 8));
    driver.abandon(next.id);
    assert_eq!(driver.next(1000.0), None, "the limit has passed");
    assert!(driver.is_over());
}

#[test]
fn a_finetune_trains_the_best_kept_networks_once_the_search_is_over() {
    let limits = Limits {
        finetune_epochs: 2,
        finetune_top: 2,
        ..Limits::trials(3)
    };
    let mut driver = Driver::new(plan(6).search(), vec![], [], limits);
    let asked: Vec<Candidate> = (0..3).map(|_| driver.next(0.0).unwrap()).collect();
    for (candidate, accuracy) in asked.iter().zip([0.7, 0.9, 0.8]) {
        let record = trained(&driver, candidate, accuracy);
        driver.tell(record, 1.0).unwrap();
        driver.keep(candidate.id);
    }
    let first = driver.next(1.0).unwrap();
    let second = driver.next(1.0).unwrap();
    assert_eq!((first.parent, first.epochs), (Some(asked[1].id), 2));
    assert_eq!(second.parent, Some(asked[2].id));
    assert_eq!(driver.next(1.0), None);
    assert!(!driver.is_over());
    for candidate in [first, second] {
        driver
            .tell(trained(&driver, &candidate, 0.95), 2.0)
            .unwrap();
    }
    assert!(driver.is_over());
}

#[test]
fn a_failed_ask_ends_the_run_with_its_reason() {
    // A search saved under a budget nothing fits (a plan refuses one before it starts).
    let impossible = Search::new(plan(7).space, Budget::new(1, 1), Algorithm::Random, 7);
    let mut driver = Driver::new(impossible, vec![], [], Limits::trials(5));
    assert_eq!(driver.next(0.0), None);
    assert!(matches!(driver.failure(), Some(Error::NothingFits { .. })));
    assert!(driver.is_over());
}

#[test]
fn the_networks_kept_are_bounded_and_a_dropped_one_is_no_longer_kept() {
    let mut driver = Driver::new(plan(8).search(), vec![], [], Limits::trials(100));
    let mut dropped = Vec::new();
    for _ in 0..=KEPT_PARENTS {
        let c = driver.next(0.0).unwrap();
        let record = trained(&driver, &c, 0.5);
        driver.tell(record, 1.0).unwrap();
        dropped.extend(driver.keep(c.id));
    }
    assert_eq!(dropped.len(), 1);
    assert_eq!(driver.kept().len(), KEPT_PARENTS);
    assert!(!driver.kept().contains(&dropped[0]));
}

#[test]
fn training_seeds_differ_by_trial() {
    let driver = Driver::new(plan(9).search(), vec![], [], Limits::trials(1));
    assert_eq!(driver.training_seed(0), 9);
    assert_eq!(driver.training_seed(3), 12);
}

#[test]
fn objectives_of_a_trained_record_reach_the_search() {
    let mut driver = Driver::new(plan(10).search(), vec![], [], Limits::trials(1));
    let c = driver.next(0.0).unwrap();
    driver.tell(trained(&driver, &c, 0.9), 1.0).unwrap();
    let outcome = driver.search().trials()[0].outcome.clone();
    assert!(matches!(
        outcome,
        Some(Outcome::Trained(Objectives { val_accuracy, .. })) if val_accuracy == 0.9
    ));
    assert_eq!(driver.search().pareto_front(), vec![c.id]);
}
