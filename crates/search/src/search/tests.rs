//! The ask/tell cycle checked: budgets and rejections, seeds and resumes, saved states checked,
//! continuations, dropping, pruning on the front, impossible budgets and failed asks.

use super::test_support::*;
use super::*;
use sparse_core::boards::Board;
use sparse_core::cost::FlashMeasure;

#[test]
fn every_asked_candidate_fits_the_budget_and_rejections_are_counted() {
    for algorithm in [Algorithm::Random, Algorithm::evolution(), Algorithm::mobo()] {
        let search = run(algorithm, 1, 60);
        assert_eq!(search.trials().len(), 60);
        for t in search.trials() {
            let genome = &t.candidate.genome;
            let report = cost(&genome.expected_architecture(search.space())).unwrap();
            assert!(report.violations(&search.budget()).is_empty());
        }
        assert!(
            search.rejected() > 0,
            "the Uno's 1.8 KB of SRAM rejects many draws"
        );
        assert!(search.hypervolume() > 0.0);
        assert!(!search.pareto_front().is_empty());
    }
}

#[test]
fn same_seed_same_search_and_resume_after_serialising() {
    let a = run(Algorithm::evolution(), 3, 40);
    let b = run(Algorithm::evolution(), 3, 40);
    assert!(a == b, "the same seed gave two searches");
    // Stop after 25 trials, save, load, continue: the same 40 trials.
    let budget = Board::preset("arduino-uno").unwrap().budget();
    let mut first = Search::new(space(), budget, Algorithm::evolution(), 3);
    for _ in 0..25 {
        let c = first.ask().unwrap();
        let o = fake_train(&first, &c);
        first.tell(c.id, o).unwrap();
    }
    let json = serde_json::to_string(&first).unwrap();
    let mut resumed: Search = serde_json::from_str(&json).unwrap();
    for _ in 25..40 {
        let c = resumed.ask().unwrap();
        let o = fake_train(&resumed, &c);
        resumed.tell(c.id, o).unwrap();
    }
    assert!(
        resumed == a,
        "a resumed search differs from an uninterrupted one"
    );
    assert!(run(Algorithm::evolution(), 4, 40) != a);
}

#[test]
fn a_saved_search_is_checked_before_it_is_trusted() {
    let budget = Board::preset("arduino-uno").unwrap().budget();
    let mut search = Search::new(space(), budget, Algorithm::mobo(), 3);
    for _ in 0..12 {
        let c = search.ask().unwrap();
        let o = fake_train(&search, &c);
        search.tell(c.id, o).unwrap();
    }
    search.ask().unwrap(); // one in flight
    search.check().unwrap();
    let saved: serde_json::Value = serde_json::to_value(&search).unwrap();
    // Each edit once panicked on resume (or later); now each is named.
    type Edit = fn(&mut serde_json::Value);
    let edits: [(&str, Edit); 8] = [
        ("0 filters", |v| v["space"]["max_filters"] = 0.into()),
        ("kernels [1, 305]", |v| {
            v["space"]["kernels"] = serde_json::json!([1, 305])
        }),
        ("kernels", |v| v["space"]["kernels"] = serde_json::json!([])),
        ("not an earlier trial", |v| {
            v["trials"][10]["candidate"]["parent"] = 999.into()
        }),
        ("trial 3 has id 7", |v| {
            v["trials"][3]["candidate"]["id"] = 7.into()
        }),
        ("told trial 99 is unknown", |v| {
            v["told"].as_array_mut().unwrap().push(99.into())
        }),
        ("never told", |v| {
            v["told"].as_array_mut().unwrap().truncate(5)
        }),
        ("released trial 500 is unknown", |v| {
            v["released"] = serde_json::json!([500])
        }),
    ];
    for (expected, edit) in edits {
        let mut damaged = saved.clone();
        edit(&mut damaged);
        let search: Search = serde_json::from_value(damaged).unwrap();
        let error = search.check().unwrap_err().to_string();
        assert!(
            error.starts_with("the saved search is not consistent") && error.contains(expected),
            "{expected}: {error}"
        );
    }
}

#[test]
fn a_trial_in_flight_when_killed_is_simply_asked_again() {
    let budget = Board::preset("arduino-uno").unwrap().budget();
    let mut search = Search::new(space(), budget, Algorithm::Random, 5);
    let c = search.ask().unwrap();
    // The state was saved with the trial in flight; its result never arrived.
    let saved = serde_json::to_string(&search).unwrap();
    let mut resumed: Search = serde_json::from_str(&saved).unwrap();
    assert_eq!(resumed.trials()[0].outcome, None);
    let next = resumed.ask().unwrap();
    assert_eq!(next.id, c.id + 1);
    assert_eq!(
        resumed.tell(42, Outcome::Failed { reason: "x".into() }),
        Err(Error::UnknownCandidate(42))
    );
    resumed
        .tell(
            c.id,
            Outcome::Failed {
                reason: "lost".into(),
            },
        )
        .unwrap();
    assert!(
        resumed
            .tell(
                c.id,
                Outcome::Failed {
                    reason: "again".into()
                }
            )
            .is_err()
    );
}

#[test]
fn a_continuation_repeats_a_trained_genome_and_inherits_every_layer() {
    let mut search = run(Algorithm::Random, 2, 8);
    let trained = search
        .trials()
        .iter()
        .find(|t| matches!(t.outcome, Some(Outcome::Trained(_))))
        .unwrap()
        .candidate
        .clone();
    let c = search.continuation(trained.id, 4).unwrap();
    assert_eq!((c.id, c.parent), (8, Some(trained.id)));
    assert!(c.continues);
    assert_eq!((c.epochs, c.total_epochs), (4, 5));
    assert_eq!(c.genome, trained.genome);
    assert!(
        c.inherits_from
            .iter()
            .enumerate()
            .all(|(i, j)| *j == Some(i))
    );
    search.tell(c.id, fake_train(&search, &c)).unwrap();
    let failed = search
        .trials()
        .iter()
        .find(|t| matches!(t.outcome, Some(Outcome::Failed { .. })))
        .unwrap()
        .candidate
        .id;
    assert!(search.continuation(failed, 1).is_err());
    assert!(search.continuation(99, 1).is_err());
}

#[test]
fn the_oldest_network_off_the_front_is_dropped_first() {
    let budget = Board::preset("arduino-uno").unwrap().budget();
    let mut search = Search::new(space(), budget, Algorithm::Random, 3);
    // Equal costs, and only trial 0 accurate: it alone is on the front.
    for _ in 0..KEPT_PARENTS + 2 {
        let c = search.ask().unwrap();
        let objectives = Objectives {
            val_accuracy: if c.id == 0 { 0.99 } else { 0.5 },
            model_size_bytes: 100,
            working_memory_bytes: 100,
            macs: 1000,
            flash_bytes: None,
            work: None,
        };
        search.tell(c.id, Outcome::Trained(objectives)).unwrap();
    }
    assert_eq!(search.pareto_front(), vec![0]);
    let kept: Vec<u64> = (0..KEPT_PARENTS as u64 + 2).collect();
    assert_eq!(search.release_network(&kept[..KEPT_PARENTS]), None);
    assert_eq!(search.release_network(&kept), Some(1));
    let without_1: Vec<u64> = kept.iter().copied().filter(|&id| id != 1).collect();
    assert_eq!(search.release_network(&without_1), Some(2));
}

#[test]
fn a_network_trained_on_is_judged_by_its_latest_measure() {
    let budget = Board::preset("arduino-uno").unwrap().budget();
    let mut search = Search::new(space(), budget, Algorithm::Random, 5).with_schedule(by_promise());
    let first = search.ask().unwrap();
    let mut outcome = fake_train_by_epochs(&search, &first);
    search.tell(first.id, outcome.clone()).unwrap();
    assert_eq!(search.pareto_front(), vec![first.id]);
    // Trained on, it measures a little worse: the earlier, luckier measure no longer counts.
    let more = search.continuation(first.id, 2).unwrap();
    if let Outcome::Trained(o) = &mut outcome {
        o.val_accuracy -= 0.001;
    }
    search.tell(more.id, outcome).unwrap();
    assert_eq!(search.pareto_front(), vec![more.id]);
    let records = vec![record_of(&search, first.id), record_of(&search, more.id)];
    assert_eq!(pareto_front_of_records(&records, budget), vec![more.id]);
    // A morph of it is a new network, however it trained.
    let child = search
        .space()
        .morph(&first.genome, &mut StdRng::seed_from_u64(1));
    assert!(records[1].epochs > records[0].epochs);
    let mut morph = record_of(&search, more.id);
    morph.id = 2;
    morph.parent = Some(more.id);
    morph.architecture = child.child.architecture(search.space());
    morph.epochs = Some(1);
    morph.val_accuracy = Some(0.1);
    let front = pareto_front_of_records(&[records[0].clone(), records[1].clone(), morph], budget);
    assert!(front.contains(&more.id), "{front:?}");
}

#[test]
fn a_search_saved_before_training_by_promise_resumes_without_a_schedule() {
    let search = run(Algorithm::evolution(), 3, 10);
    let mut json = serde_json::to_value(&search).unwrap();
    let state = json.as_object_mut().unwrap();
    state.remove("schedule");
    state.remove("released");
    for t in state["trials"].as_array_mut().unwrap() {
        let c = t["candidate"].as_object_mut().unwrap();
        for field in ["epochs", "total_epochs", "inherited_epochs", "continues"] {
            c.remove(field);
        }
    }
    let mut old: Search = serde_json::from_value(json).unwrap();
    assert_eq!(old.schedule(), None);
    old.set_schedule(Schedule::fixed(2));
    let c = old.ask().unwrap();
    assert_eq!((c.epochs, c.total_epochs, c.continues), (2, 2, false));
}

#[test]
fn pruning_lets_larger_networks_in_and_those_pruned_too_little_stay_off_the_front() {
    let budget = Budget::new(2800, 2048).measuring_flash_as(FlashMeasure::ModelSize);
    let mut search = Search::new(space(), budget, Algorithm::Random, 11);
    let mut larger = 0;
    for _ in 0..60 {
        let c = search.ask().unwrap();
        let unpruned = cost(&c.genome.architecture(search.space())).unwrap();
        let promised = cost(&c.genome.expected_architecture(search.space())).unwrap();
        assert!(promised.violations(&budget).is_empty());
        if unpruned.model_size_bytes > 2800 {
            larger += 1;
        }
        // Trained, it keeps every weight: over budget if it was larger than the budget.
        let outcome = Outcome::Trained(Objectives {
            val_accuracy: 0.5 + unpruned.model_size_bytes as f64 / 1e6,
            model_size_bytes: unpruned.model_size_bytes,
            working_memory_bytes: unpruned.working_memory_bytes,
            macs: unpruned.macs,
            flash_bytes: Some(unpruned.flash_bytes),
            work: Some(unpruned.workload),
        });
        search.tell(c.id, outcome).unwrap();
    }
    assert!(
        larger >= 5,
        "{larger} of 60 larger than the budget before pruning"
    );
    for id in search.pareto_front() {
        let Some(Outcome::Trained(o)) = &search.trials()[id as usize].outcome else {
            panic!("a failed trial on the front");
        };
        assert!(o.model_size_bytes <= 2800, "trial {id} does not fit");
    }
    let records: Vec<TrialRecord> = Vec::new();
    assert!(pareto_front_of_records(&records, budget).is_empty());
}

#[test]
fn an_impossible_budget_is_explained() {
    let tiny = Budget::new(10, 10);
    let mut search = Search::new(space(), tiny, Algorithm::Random, 0);
    let err = search.ask().unwrap_err();
    assert!(
        err.to_string()
            .starts_with("no architecture of the search space fits 10 bytes")
    );
}

#[test]
fn a_failed_ask_moves_the_saved_stream_on() {
    // The state saved after a failed ask draws anew when resumed, so one unlucky stream of
    // draws cannot block a run for good.
    let tiny = Budget::new(10, 10);
    let mut search = Search::new(space(), tiny, Algorithm::Random, 0);
    let before = search.clone();
    search.ask().unwrap_err();
    let saved: Search = serde_json::from_str(&serde_json::to_string(&search).unwrap()).unwrap();
    assert_eq!(saved.rejected(), MAX_REJECTIONS_PER_ASK as u64);
    let first_draw = |s: &Search| s.space.sample(&mut s.rng());
    assert_ne!(first_draw(&saved), first_draw(&before));
}
