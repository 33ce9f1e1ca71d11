//! The page's whole state and the one reducer that changes it: every worker message and every
//! click becomes an [`Action`]. It holds the dataset, the student's design (design mode) with
//! its training run and the networks it trained, and the budget the search form gives.

use crate::design::{Design, DesignEdit};
use crate::protocol::{CurvePoint, DatasetInfo, FromWorker};
use crate::upload::UploadedFile;
use sparse_core::boards::Board;
use sparse_core::cost::Budget;
use sparse_core::{Architecture, TrialRecord};
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
    /// The student's network in design mode.
    pub design: Design,
    /// A design from the page's link, waiting for the dataset to be checked against.
    pub linked_design: Option<String>,
    /// Why the link's design was refused, until the next edit.
    pub design_note: Option<String>,
    /// The networks the student trained, measured as search trials (numbered from 0).
    pub own: Rc<Vec<TrialRecord>>,
    /// The budget the search form gives, which design mode judges by.
    pub budget: Budget,
    /// The board preset the search form names (none for a custom budget), on which design
    /// mode estimates latency.
    pub board: Option<Board>,
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
            design: Design::starter([1, 28, 28], 10),
            linked_design: None,
            design_note: None,
            own: Rc::default(),
            budget: Budget::new(2800, 2048),
            board: None,
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
    /// The design was edited.
    Design(DesignEdit),
    /// A candidate's architecture was opened in design mode.
    OpenDesign(Architecture),
    /// The page's link carries a design (checked once the dataset is known).
    DesignLinked(String),
    /// The search form's budget (and the board it names) changed.
    Budget(Budget, Option<Board>),
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
            Action::Design(edit) => {
                next.design.apply(edit);
                next.design_note = None;
            }
            Action::OpenDesign(architecture) => {
                next.design = Design::from_architecture(&architecture, next.design.pruning);
                next.design_note = None;
            }
            Action::DesignLinked(text) => {
                next.linked_design = Some(text);
                check_linked_design(&mut next);
            }
            Action::Budget(budget, board) => (next.budget, next.board) = (budget, board),
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

/// The input shape and class count of a loaded dataset.
fn dataset_shape(info: &DatasetInfo) -> ([usize; 3], usize) {
    (
        [info.channels, info.height, info.width],
        info.class_counts.len(),
    )
}

/// Opens the link's design once the dataset is known, or says why it does not fit it.
fn check_linked_design(state: &mut AppState) {
    let DatasetState::Ready(info) = &state.dataset else {
        return;
    };
    let Some(text) = state.linked_design.take() else {
        return;
    };
    let (input, classes) = dataset_shape(info);
    match Design::from_query(&text, input, classes) {
        Ok(design) => state.design = design,
        Err(why) => state.design_note = Some(why),
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
            let info: Rc<DatasetInfo> = Rc::from(info);
            let (input, classes) = dataset_shape(&info);
            let a = &state.design.architecture;
            if a.input != input || a.classes != classes {
                state.design = Design::starter(input, classes);
            }
            state.dataset = DatasetState::Ready(info);
            check_linked_design(state);
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
            mut record,
            train_seconds,
            images_per_second,
        } => {
            state.fraction_done = 1.0;
            state.run = RunState::Finished {
                test_accuracy: record.test_accuracy.unwrap_or(0.0),
                int8_test_accuracy: record.int8_test_accuracy.unwrap_or(0.0),
                train_seconds,
                images_per_second,
            };
            record.id = state.own.len() as u64;
            Rc::make_mut(&mut state.own).push(*record);
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
mod tests;
