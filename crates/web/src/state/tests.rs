//! The page's reducer driven by clicks and worker messages.

use super::*;

fn reduce(state: AppState, actions: Vec<Action>) -> AppState {
    let mut s = Rc::new(state);
    for a in actions {
        s = s.reduce(a);
    }
    (*s).clone()
}

fn progress(fraction_done: f64) -> Action {
    Action::Worker(FromWorker::Progress {
        point: CurvePoint {
            fraction_done,
            loss: 1.0,
            accuracy: 0.5,
        },
        epoch: 1,
        images_per_second: 100.0,
    })
}

#[test]
fn progress_appends_to_the_curve_and_a_new_run_clears_it() {
    let s = reduce(
        AppState::default(),
        vec![Action::TrainRequested, progress(0.1), progress(0.2)],
    );
    assert_eq!(s.curve.len(), 2);
    assert_eq!(s.fraction_done, 0.2);
    let s = reduce(s, vec![Action::TrainRequested]);
    assert!(s.curve.is_empty());
}

#[test]
fn a_report_after_stop_keeps_the_run_stopping() {
    let s = reduce(
        AppState::default(),
        vec![Action::TrainRequested, Action::StopRequested, progress(0.3)],
    );
    assert_eq!(s.run, RunState::Stopping);
    let s = reduce(s, vec![Action::Worker(FromWorker::Stopped)]);
    assert_eq!(s.run, RunState::Stopped);
    assert!(!s.run.is_active());
}

#[test]
fn a_crashed_worker_fails_the_run_and_blocks_new_ones() {
    let s = reduce(
        AppState::default(),
        vec![
            Action::TrainRequested,
            Action::WorkerLost("RuntimeError: unreachable".into()),
        ],
    );
    assert!(s.worker_lost);
    let RunState::Failed(message) = &s.run else {
        panic!("{:?}", s.run)
    };
    assert!(message.contains("crashed (RuntimeError: unreachable)"));
}

fn info(name: &str) -> DatasetInfo {
    DatasetInfo {
        name: name.into(),
        train_images: 1,
        test_images: 1,
        channels: 1,
        height: 28,
        width: 28,
        class_counts: vec![1],
        test_source: "test".into(),
        samples: vec![],
    }
}

#[test]
fn an_accepted_upload_replaces_the_dataset_and_a_refused_one_keeps_it() {
    let files = Rc::new(vec![UploadedFile {
        name: "a.csv".into(),
        bytes: vec![1],
    }]);
    let mnist = Action::Worker(FromWorker::DatasetReady(Box::new(info("MNIST"))));
    let refused = reduce(
        AppState::default(),
        vec![
            mnist.clone(),
            Action::UploadRequested(files.clone()),
            Action::Worker(FromWorker::UploadRejected {
                message: "a.csv: row 2, column 3: not a number".into(),
            }),
        ],
    );
    assert_eq!(refused.source, DatasetSource::Mnist);
    assert_eq!(refused.dataset, DatasetState::Ready(Rc::new(info("MNIST"))));
    assert!(matches!(refused.upload, UploadState::Rejected(ref m) if m.contains("row 2")));
    let accepted = reduce(
        refused,
        vec![
            Action::UploadRequested(files.clone()),
            Action::Worker(FromWorker::DatasetReady(Box::new(info("a.csv")))),
        ],
    );
    assert_eq!(accepted.source, DatasetSource::Files { files, version: 1 });
    assert_eq!(accepted.upload, UploadState::Idle);
    assert_eq!(
        accepted.dataset,
        DatasetState::Ready(Rc::new(info("a.csv")))
    );
}

#[test]
fn failures_land_on_the_dataset_while_loading_and_on_the_run_after() {
    let failed = || {
        Action::Worker(FromWorker::Failed {
            message: "boom".into(),
        })
    };
    let s = reduce(AppState::default(), vec![failed()]);
    assert_eq!(s.dataset, DatasetState::Failed("boom".into()));
    let ready = Action::Worker(FromWorker::DatasetReady(Box::new(info("MNIST"))));
    let s = reduce(
        AppState::default(),
        vec![ready, Action::TrainRequested, failed()],
    );
    assert_eq!(s.run, RunState::Failed("boom".into()));
}

/// MNIST as the worker describes it: 28×28, ten classes.
fn mnist() -> Action {
    let mut mnist = info("MNIST");
    mnist.class_counts = vec![6000; 10];
    Action::Worker(FromWorker::DatasetReady(Box::new(mnist)))
}

#[test]
fn design_edits_change_the_design_and_a_new_dataset_shape_resets_it() {
    use crate::design::{DesignEdit, LayerKind};
    let s = reduce(
        AppState::default(),
        vec![Action::Design(DesignEdit::Add(LayerKind::Dense))],
    );
    assert_eq!(s.design.hidden().len(), 3);
    // MNIST's shape keeps the design; a 12×12 upload of 3 classes starts afresh for it.
    let s = reduce(s, vec![mnist()]);
    assert_eq!(s.design.hidden().len(), 3);
    let mut bars = info("bars.csv");
    (bars.height, bars.width, bars.class_counts) = (12, 12, vec![1, 1, 1]);
    let s = reduce(
        s,
        vec![Action::Worker(FromWorker::DatasetReady(Box::new(bars)))],
    );
    assert_eq!(s.design.architecture.input, [1, 12, 12]);
    assert_eq!(s.design.architecture.classes, 3);
}

#[test]
fn a_linked_design_waits_for_the_dataset_and_a_foreign_one_is_explained() {
    use crate::design::{Design, DesignEdit, LayerKind};
    let mut wider = Design::starter([1, 28, 28], 10);
    wider.apply(DesignEdit::Add(LayerKind::Conv));
    let s = reduce(
        AppState::default(),
        vec![Action::DesignLinked(wider.to_query()), mnist()],
    );
    assert_eq!(s.design, wider);
    assert_eq!(s.linked_design, None);
    let foreign = Design::starter([3, 32, 32], 10).to_query();
    let s = reduce(s, vec![Action::DesignLinked(foreign)]);
    assert_eq!(s.design, wider, "the design in use stays");
    assert!(
        s.design_note
            .unwrap()
            .contains("not this dataset's 1×28×28")
    );
}

#[test]
fn a_trained_design_joins_the_students_networks_numbered_in_order() {
    use sparse_core::{Architecture, TrialRecord};
    let finished = |accuracy: f64| {
        let mut record = TrialRecord::failed(0, Architecture::skeleton(), None, String::new());
        record.status = "trained".into();
        record.test_accuracy = Some(accuracy);
        record.int8_test_accuracy = Some(accuracy - 0.001);
        Action::Worker(FromWorker::Finished {
            record: Box::new(record),
            train_seconds: 2.0,
            images_per_second: 100.0,
        })
    };
    let s = reduce(
        AppState::default(),
        vec![
            Action::TrainRequested,
            finished(0.9),
            Action::TrainRequested,
            finished(0.95),
        ],
    );
    let ids: Vec<u64> = s.own.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![0, 1]);
    let RunState::Finished { test_accuracy, .. } = s.run else {
        panic!("{:?}", s.run)
    };
    assert_eq!(test_accuracy, 0.95);
}
