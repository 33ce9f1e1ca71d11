//! The page's whole state and the one reducer that changes it: every worker message and every
//! click becomes an [`Action`].

use crate::protocol::{CurvePoint, DatasetInfo, FromWorker};
use crate::upload::UploadedFile;
use std::rc::Rc;
use yew::Reducible;

/// Where the dataset is.
#[derive(Clone, Debug, PartialEq)]
pub enum DatasetState {
    /// Downloading (and then parsing) in the worker.
    Loading {
        /// Bytes received.
        loaded_bytes: u64,
        /// Bytes expected, when known.
        total_bytes: Option<u64>,
    },
    /// Parsed and held by the worker.
    Ready(Rc<DatasetInfo>),
    /// Could not be loaded; the message says why.
    Failed(String),
}

/// Where the data the workers train on comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum DatasetSource {
    /// MNIST, downloaded next to the page.
    Mnist,
    /// Files the user uploaded, accepted by the worker; `version` counts accepted uploads.
    Files {
        /// The files as uploaded.
        files: Rc<Vec<UploadedFile>>,
        /// 1 for the first accepted upload, 2 for the next…
        version: u32,
    },
}

impl DatasetSource {
    /// Tells sources apart cheaply: 0 for MNIST, else the upload's version.
    pub fn version(&self) -> u32 {
        match self {
            DatasetSource::Mnist => 0,
            DatasetSource::Files { version, .. } => *version,
        }
    }
}

/// Where an upload is.
#[derive(Clone, Debug, PartialEq)]
pub enum UploadState {
    /// No upload under way.
    Idle,
    /// The worker is parsing these files.
    Parsing(Rc<Vec<UploadedFile>>),
    /// Refused, for this reason; the earlier dataset stays.
    Rejected(String),
}

/// Where the training run is.
#[derive(Clone, Debug, PartialEq)]
pub enum RunState {
    /// Nothing has been trained yet.
    Idle,
    /// Training in the worker.
    Training {
        /// Current epoch, from 1.
        epoch: usize,
        /// Throughput so far (0 until the first report).
        images_per_second: f64,
    },
    /// Stop was clicked; waiting for the worker to confirm.
    Stopping,
    /// Scoring the test set.
    Evaluating,
    /// Done and scored.
    Finished {
        /// Fraction of the test set classified correctly.
        test_accuracy: f64,
        /// The same for the int8 model.
        int8_test_accuracy: f64,
        /// Seconds of training.
        train_seconds: f64,
        /// Training throughput.
        images_per_second: f64,
    },
    /// Stopped before the end.
    Stopped,
    /// Failed; the message says why.
    Failed(String),
}

impl RunState {
    /// Whether the worker is busy with this run.
    pub fn is_active(&self) -> bool {
        matches!(
            self,
            RunState::Training { .. } | RunState::Stopping | RunState::Evaluating
        )
    }
}

/// Which training curve the chart shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Cross-entropy loss.
    Loss,
    /// Fraction of the batch classified correctly.
    Accuracy,
}

/// Everything the page shows.
#[derive(Clone, Debug, PartialEq)]
pub struct AppState {
    /// The dataset's status.
    pub dataset: DatasetState,
    /// The run's status.
    pub run: RunState,
    /// Fraction of the run done, 0 to 1.
    pub fraction_done: f64,
    /// The training curve so far (append-only).
    pub curve: Rc<Vec<CurvePoint>>,
    /// The curve on show.
    pub metric: Metric,
    /// The worker crashed: nothing more can be asked of it.
    pub worker_lost: bool,
    /// The data in use.
    pub source: DatasetSource,
    /// The upload under way or just refused.
    pub upload: UploadState,
    /// Uncaught worker errors while a search ran (the search finds whose).
    pub pool_crashes: u32,
}

impl Default for AppState {
    fn default() -> Self {
        Self {
            dataset: DatasetState::Loading {
                loaded_bytes: 0,
                total_bytes: None,
            },
            run: RunState::Idle,
            fraction_done: 0.0,
            curve: Rc::default(),
            metric: Metric::Loss,
            worker_lost: false,
            source: DatasetSource::Mnist,
            upload: UploadState::Idle,
            pool_crashes: 0,
        }
    }
}

/// Something that happened: a worker message or a click.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// A message from the worker.
    Worker(FromWorker),
    /// The worker crashed or closed; the text says how.
    WorkerLost(String),
    /// Train was clicked (and the request sent).
    TrainRequested,
    /// Stop was clicked (and the request sent).
    StopRequested,
    /// A chart tab was clicked.
    ShowMetric(Metric),
    /// Files were read and sent to the worker to parse.
    UploadRequested(Rc<Vec<UploadedFile>>),
    /// The chosen files could not even be read; the text says why.
    UploadUnreadable(String),
    /// A worker error was seen while a search ran.
    PoolCrashed,
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::TrainRequested => {
                next.run = RunState::Training {
                    epoch: 1,
                    images_per_second: 0.0,
                };
                next.fraction_done = 0.0;
                next.curve = Rc::default();
            }
            Action::StopRequested if next.run.is_active() => next.run = RunState::Stopping,
            Action::StopRequested => {}
            Action::ShowMetric(metric) => next.metric = metric,
            Action::UploadRequested(files) => next.upload = UploadState::Parsing(files),
            Action::UploadUnreadable(why) => next.upload = UploadState::Rejected(why),
            Action::PoolCrashed => next.pool_crashes += 1,
            Action::WorkerLost(reason) => {
                let message = format!(
                    "the training worker crashed ({reason}); reload the page to start again"
                );
                next.worker_lost = true;
                if next.run.is_active() {
                    next.run = RunState::Failed(message);
                } else if matches!(next.dataset, DatasetState::Loading { .. }) {
                    next.dataset = DatasetState::Failed(message);
                }
            }
            Action::Worker(message) => apply_worker_message(&mut next, message),
        }
        Rc::new(next)
    }
}

fn apply_worker_message(state: &mut AppState, message: FromWorker) {
    match message {
        FromWorker::Loading {
            loaded_bytes,
            total_bytes,
        } => {
            state.dataset = DatasetState::Loading {
                loaded_bytes,
                total_bytes,
            }
        }
        FromWorker::DatasetReady(info) => {
            if let UploadState::Parsing(files) = &state.upload {
                let version = state.source.version() + 1;
                state.source = DatasetSource::Files {
                    files: files.clone(),
                    version,
                };
                state.upload = UploadState::Idle;
            }
            state.dataset = DatasetState::Ready(Rc::from(info));
        }
        FromWorker::UploadRejected { message } => state.upload = UploadState::Rejected(message),
        FromWorker::Progress {
            point,
            epoch,
            images_per_second,
        } => {
            // A late report after Stop was clicked must not bring back "Training".
            if let RunState::Training { .. } = state.run {
                state.run = RunState::Training {
                    epoch,
                    images_per_second,
                };
            }
            state.fraction_done = point.fraction_done;
            Rc::make_mut(&mut state.curve).push(point);
        }
        FromWorker::Evaluating => state.run = RunState::Evaluating,
        FromWorker::Finished {
            test_accuracy,
            int8_test_accuracy,
            train_seconds,
            images_per_second,
        } => {
            state.fraction_done = 1.0;
            state.run = RunState::Finished {
                test_accuracy,
                int8_test_accuracy,
                train_seconds,
                images_per_second,
            };
        }
        FromWorker::Stopped => state.run = RunState::Stopped,
        // Search trials and teachers go to the search's pool, never to the skeleton's worker.
        FromWorker::TrialProgress { .. }
        | FromWorker::TrialDone { .. }
        | FromWorker::Preparing { .. }
        | FromWorker::TeacherProgress { .. }
        | FromWorker::TeacherReady { .. } => {}
        FromWorker::Failed { message } => {
            if matches!(state.dataset, DatasetState::Loading { .. }) {
                state.dataset = DatasetState::Failed(message);
            } else {
                state.run = RunState::Failed(message);
            }
        }
    }
}

#[cfg(test)]
mod tests {
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
}
