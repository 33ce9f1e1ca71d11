//! The page's search run driven as its workers would: jobs, answers, pauses, stops, lost
//! workers, time limits, saves and teachers.

use super::test_support::*;
use super::*;
use crate::saved_run::{SAVED_SCHEMA, SavedRun};
use crate::search_setup::AlgorithmChoice;

#[test]
fn two_workers_share_the_trials_until_all_are_done() {
    let mut run = SearchRun::new(setup(5, 2), space());
    let mut finished = 0;
    while run.phase() == &Phase::Running {
        let jobs: Vec<(usize, TrialJob)> = (0..2)
            .filter_map(|w| run.next_job(w, 0.0).map(|j| (w, j)))
            .collect();
        assert!(!jobs.is_empty() || run.busy().iter().all(Option::is_none));
        assert!(jobs.len() <= 2 && run.records().len() + jobs.len() <= 5);
        for (w, job) in jobs {
            assert!(
                run.next_job(w, 0.0).is_none(),
                "a busy worker gets no second job"
            );
            run.progress(
                job.id,
                CurvePoint {
                    fraction_done: 1.0,
                    loss: 0.5,
                    accuracy: 0.8,
                },
            );
            run.done(
                w,
                trained(&job, 0.5 + job.id as f64 / 20.0),
                None,
                None,
                0.0,
            );
            finished += 1;
        }
    }
    assert_eq!(run.phase(), &Phase::Finished);
    assert_eq!((finished, run.records().len()), (5, 5));
    assert!(run.hypervolume() > 0.0);
    assert_eq!(run.records()[4].hypervolume, run.hypervolume());
    assert_eq!(run.curve(0).len(), 1);
}

#[test]
fn pause_withholds_jobs_and_stop_waits_for_the_workers() {
    let mut run = SearchRun::new(setup(10, 2), space());
    let job = run.next_job(0, 0.0).unwrap();
    run.pause(0.0);
    assert!(run.next_job(1, 0.0).is_none());
    run.resume();
    let second = run.next_job(1, 0.0).unwrap();
    run.done(1, trained(&second, 0.9), None, None, 0.0);
    run.stop();
    assert_eq!(run.phase(), &Phase::Stopping);
    assert!(run.next_job(1, 0.0).is_none());
    run.stopped(0);
    assert_eq!(run.phase(), &Phase::Stopped);
    // A late answer for the stopped trial changes nothing.
    run.done(0, trained(&job, 0.9), None, None, 0.0);
    assert_eq!(run.records().len(), 1);
}

#[test]
fn children_get_their_parents_weights() {
    let mut run = SearchRun::new(
        SearchSetup {
            algorithm: AlgorithmChoice::Evolution,
            ..setup(30, 1)
        },
        space(),
    );
    let mut saw_inheritance = false;
    while let Some(job) = run.next_job(0, 0.0) {
        if job.parent.is_some() {
            let model = job.parent_model.as_ref().expect("the parent's weights");
            assert_eq!(model.architecture.input, [1, 28, 28]);
            saw_inheritance = true;
        }
        let model = FloatModel {
            architecture: job.architecture.clone(),
            layers: Vec::new(),
        };
        run.done(0, trained(&job, 0.7), Some(model), None, 0.0);
    }
    assert!(saw_inheritance);
}

#[test]
fn promising_trials_train_on_from_their_own_weights() {
    let mut run = SearchRun::new(setup(30, 1), space());
    let mut promoted = Vec::new();
    while let Some(job) = run.next_job(0, 0.0) {
        // Every trial, new or promoted, trains on shifted images as the setup says.
        assert_eq!(job.config.shift, run.setup().shift);
        if job.continues {
            let model = job.parent_model.as_ref().expect("its own network");
            assert_eq!(model.architecture, job.architecture);
            promoted.push((job.id, job.config.epochs));
        } else {
            assert_eq!(job.config.epochs, 1);
        }
        let model = FloatModel {
            architecture: job.architecture.clone(),
            layers: Vec::new(),
        };
        let accuracy = 0.5 + (job.id % 5) as f64 / 10.0;
        run.done(0, trained(&job, accuracy), Some(model), None, 0.0);
    }
    assert!(!promoted.is_empty());
    for (id, epochs) in promoted {
        let record = run.records().iter().find(|r| r.id == id).unwrap();
        let parent = run
            .records()
            .iter()
            .find(|r| Some(r.id) == record.parent)
            .unwrap();
        assert_eq!(record.epochs, Some(parent.epochs.unwrap() + epochs));
        // To the next rung, counting the epochs of weights a morphed ancestor inherited.
        let fidelity = run.driver().search().trials()[id as usize]
            .candidate
            .fidelity_epochs();
        assert!([3, 9].contains(&fidelity), "{fidelity}");
    }
}

#[test]
fn a_time_limit_finishes_the_leaders_then_the_search() {
    let setup = SearchSetup {
        minutes: Some(1),
        ..setup(100_000, 1)
    };
    let mut run = SearchRun::new(setup, space());
    let answer = |run: &mut SearchRun, job: &TrialJob| {
        let model = FloatModel {
            architecture: job.architecture.clone(),
            layers: Vec::new(),
        };
        // One second an epoch; morphs of the front learn better.
        let mut record = trained(job, 0.5 + (job.id % 7) as f64 / 20.0);
        record.train_seconds = job.config.epochs as f64;
        run.done(0, record, Some(model), None, 0.0);
    };
    // The first 51 s (of 60) search as usual; a pause stops the clock.
    for now_ms in [0.0, 20_000.0, 40_000.0] {
        for _ in 0..4 {
            let job = run.next_job(0, now_ms).expect("time left");
            answer(&mut run, &job);
        }
    }
    run.pause(45_000.0);
    run.resume();
    assert_eq!(run.deadline(1_000_000.0).unwrap().elapsed_s, 45.0);
    let job = run.next_job(0, 1_000_000.0).unwrap();
    answer(&mut run, &job);
    // The last 9 s: the most accurate member below the top rung trains on, as many
    // epochs as are left (at its pace of one second an epoch).
    let now_ms = 1_000_000.0 + 8_000.0;
    let leader = run.driver().search().unfinished_leader().unwrap();
    let job = run.next_job(0, now_ms).unwrap();
    assert!(job.continues);
    assert_eq!(job.parent, Some(leader.0));
    assert_eq!(job.config.epochs, leader.1.min(7));
    answer(&mut run, &job);
    assert_eq!(run.phase(), &Phase::Running);
    // Out of time: no job, and the search is finished once none is in flight.
    assert!(run.next_job(0, now_ms + 7_000.0).is_none());
    assert_eq!(run.phase(), &Phase::Finished);
    assert_eq!(run.records().len(), 14);
}

#[test]
fn a_lost_worker_fails_its_trial_and_the_search_goes_on() {
    let mut run = SearchRun::new(setup(3, 2), space());
    let lost = run.next_job(0, 0.0).unwrap();
    run.worker_lost(0, "it crashed", 0.0);
    let record = &run.records()[0];
    assert_eq!((record.id, record.status.as_str()), (lost.id, "failed"));
    assert_eq!(record.reason.as_deref(), Some("worker lost: it crashed"));
    assert!(run.next_job(0, 0.0).is_some());
}

#[test]
fn a_saved_search_resumes_where_it_stood() {
    let mut run = SearchRun::new(setup(6, 2), space());
    for _ in 0..3 {
        let job = run.next_job(0, 0.0).unwrap();
        let model = FloatModel {
            architecture: job.architecture.clone(),
            layers: Vec::new(),
        };
        run.done(0, trained(&job, 0.8), Some(model), None, 0.0);
    }
    let lost = run.next_job(1, 0.0).unwrap();
    let saved = SavedRun::of(&run, "MNIST");
    let text = serde_json::to_string(&saved).unwrap();
    let back = SavedRun::parse(&text).unwrap();
    assert_eq!(back, saved);
    assert_eq!(back.kept, vec![0, 1, 2]);
    assert_eq!(back.schema, SAVED_SCHEMA);
    let models = back
        .kept
        .iter()
        .map(|id| (*id, run.model(*id).unwrap().clone()))
        .collect();
    let mut resumed = SearchRun::restore(back, models, HashMap::new(), None);
    assert_eq!(resumed.records().len(), 3);
    assert_eq!(resumed.phase(), &Phase::Running);
    // The trial in flight at the save trains again first; two more finish the six.
    let mut ids = Vec::new();
    while let Some(job) = resumed.next_job(0, 0.0) {
        ids.push(job.id);
        resumed.done(0, trained(&job, 0.9), None, None, 0.0);
    }
    assert_eq!(resumed.records().len(), 6);
    assert_eq!(ids, vec![lost.id, 4, 5]);
    assert_eq!(resumed.phase(), &Phase::Finished);
}

#[test]
fn an_impossible_budget_fails_the_search_with_a_reason() {
    let mut run = SearchRun::new(
        SearchSetup {
            budget: Budget::new(10, 10),
            ..setup(3, 1)
        },
        space(),
    );
    assert!(run.next_job(0, 0.0).is_none());
    let Phase::Failed(why) = run.phase() else {
        panic!("{:?}", run.phase())
    };
    assert!(why.contains("fits"), "{why}");
    assert!(run.teacher_job(0).is_none());
}

fn teacher_model() -> FloatModel {
    FloatModel {
        architecture: sparse_train::teacher_architecture([1, 28, 28], 10),
        layers: Vec::new(),
    }
}

#[test]
fn trials_wait_for_the_teacher_then_every_worker_gets_it_before_its_first_trial() {
    let mut run = SearchRun::new(
        SearchSetup {
            teacher: true,
            ..setup(4, 2)
        },
        space(),
    );
    assert!(
        run.next_job(0, 0.0).is_none(),
        "no trial before the teacher"
    );
    let job = run.teacher_job(0).expect("worker 0 trains the teacher");
    assert_eq!((job.input, job.classes, job.seed), ([1, 28, 28], 10, 1));
    assert_eq!(job.train_images, Some(6000));
    assert!(run.teacher_job(1).is_none(), "one teacher at a time");
    assert!(run.next_job(1, 0.0).is_none());
    run.teacher_mut().unwrap().progress(0, 0.5);
    assert_eq!(run.teacher_worker(), Some(0));
    assert_eq!(run.teacher().unwrap().training(), Some((0, 0.5)));
    assert!(
        !run.teacher_mut().unwrap().trained(1, teacher_model(), 0.99),
        "not worker 1's to train"
    );
    assert!(run.teacher_mut().unwrap().trained(0, teacher_model(), 0.99));
    assert_eq!(run.teacher_worker(), None);
    let first = run
        .next_job(1, 0.0)
        .expect("trials once the teacher is trained");
    assert_eq!(
        first.id, 0,
        "the candidate asked while the teacher trained goes first"
    );
    assert!(first.distil);
    assert_eq!(
        run.teacher_mut().and_then(|t| t.give(1)),
        Some(teacher_model())
    );
    assert_eq!(run.teacher_mut().and_then(|t| t.give(1)), None);
    let second = run.next_job(0, 0.0).unwrap();
    assert_eq!(second.id, 1);
    assert!(run.teacher_mut().and_then(|t| t.give(0)).is_some());
    assert!(run.teacher_job(0).is_none());
}

#[test]
fn a_teacher_lost_with_its_worker_is_trained_again_and_a_search_without_one_never_waits() {
    let mut run = SearchRun::new(
        SearchSetup {
            teacher: true,
            ..setup(4, 2)
        },
        space(),
    );
    assert!(run.next_job(0, 0.0).is_none());
    run.teacher_job(0).unwrap();
    run.worker_lost(0, "it crashed", 0.0);
    assert!(run.records().is_empty(), "no trial was lost with it");
    assert!(run.teacher_job(1).is_some(), "another worker trains it");
    run.stop();
    run.stopped(1);
    assert_eq!(run.phase(), &Phase::Stopped);

    let mut plain = SearchRun::new(setup(4, 1), space());
    assert!(plain.teacher_job(0).is_none());
    let job = plain.next_job(0, 0.0).unwrap();
    assert!(!job.distil);
    assert_eq!(plain.teacher_mut().and_then(|t| t.give(0)), None);
}

#[test]
fn a_saved_search_with_a_teacher_resumes_with_it_or_trains_a_new_one() {
    let mut run = SearchRun::new(
        SearchSetup {
            teacher: true,
            ..setup(4, 1)
        },
        space(),
    );
    run.next_job(0, 0.0);
    run.teacher_job(0).unwrap();
    run.teacher_mut().unwrap().trained(0, teacher_model(), 0.99);
    let job = run.next_job(0, 0.0).unwrap();
    run.done(0, trained(&job, 0.8), None, None, 0.0);
    let text = serde_json::to_string(&SavedRun::of(&run, "MNIST")).unwrap();
    let saved = SavedRun::parse(&text).unwrap();
    assert!(saved.setup.teacher);
    let mut kept = SearchRun::restore(
        saved.clone(),
        HashMap::new(),
        HashMap::new(),
        Some(teacher_model()),
    );
    assert!(kept.next_job(0, 0.0).unwrap().distil);
    assert!(kept.teacher_mut().and_then(|t| t.give(0)).is_some());
    let mut lost = SearchRun::restore(saved, HashMap::new(), HashMap::new(), None);
    assert!(lost.next_job(0, 0.0).is_none());
    assert!(lost.teacher_job(0).is_some());
    // A search saved before teachers (no `teacher` in its setup) resumes without one.
    let old = text
        .replace(",\"teacher\":true", "")
        .replace("\"schema\":3", "\"schema\":2");
    let old = SavedRun::parse(&old).unwrap();
    assert!(!old.setup.teacher);
    assert!(
        !SearchRun::restore(old, HashMap::new(), HashMap::new(), None)
            .next_job(0, 0.0)
            .unwrap()
            .distil
    );
}
