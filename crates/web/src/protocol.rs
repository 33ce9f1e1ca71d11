//! The messages between the page and the training workers: the one place both sides agree on.
//! yew-agent sends them with [`crate::codec::JsCodec`].

use crate::upload::UploadedFile;
use serde::{Deserialize, Serialize};
use sparse_core::quant::QuantModel;
use sparse_core::{Architecture, FloatModel, TrialRecord};
use sparse_train::TrainConfig;

/// One search trial for a pool worker to train.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrialJob {
    /// The candidate's id in the search.
    pub id: u64,
    /// The trial it was morphed from.
    pub parent: Option<u64>,
    /// What to build.
    pub architecture: Architecture,
    /// Epochs, seed and per-layer pruning.
    pub config: TrainConfig,
    /// The parent's trained weights, when the page still holds them.
    pub parent_model: Option<FloatModel>,
    /// Per child layer, the parent layer its weights come from.
    pub inherits_from: Vec<Option<usize>>,
    /// Whether it trains the parent's network on as it is (a promotion): then
    /// `parent_model` is required and its architecture is what trains.
    #[serde(default)]
    pub continues: bool,
    /// Train on only the first this many training images (a quick demo), if set.
    pub train_images: Option<usize>,
    /// Score on only the first this many test images, if set.
    pub test_images: Option<usize>,
    /// Whether it learns from the search's teacher too (sent before with `SetTeacher`).
    #[serde(default)]
    pub distil: bool,
}

/// The teacher of a search for a pool worker to train: a larger network for the search's
/// data, trained once on the same training split as every trial.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeacherJob {
    /// `[channels, height, width]` of the images.
    pub input: [usize; 3],
    /// Classes (as many as the trials').
    pub classes: usize,
    /// Seed of its training.
    pub seed: u64,
    /// Train on only the first this many training images, as the trials do, if set.
    pub train_images: Option<usize>,
    /// The trials' test subset (so the worker keeps one split for teacher and trials).
    pub test_images: Option<usize>,
}

/// What the page asks of the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    /// Download and parse MNIST from `base_url` (ending in `/`), reporting progress.
    LoadMnist {
        /// Absolute URL of the folder holding the four gzipped IDX files.
        base_url: String,
    },
    /// Parse an uploaded dataset; on success it replaces the loaded one, otherwise the worker
    /// answers `UploadRejected` and keeps what it had.
    LoadFiles {
        /// One CSV file or an IDX pair.
        files: Vec<UploadedFile>,
    },
    /// Train the student's network (design mode) on the loaded training set, a sixth held
    /// out for validation as in a search, then measure it as a search trial.
    Train {
        /// The network.
        architecture: Architecture,
        /// Epochs, batch size, learning rate, seed and each layer's pruning.
        config: TrainConfig,
    },
    /// Train one search trial on the loaded dataset and report it.
    RunTrial(Box<TrialJob>),
    /// Train a search's teacher, reporting progress, then send its weights.
    TrainTeacher(TeacherJob),
    /// Keep this teacher for the trials that distil (replacing any other).
    SetTeacher(Box<FloatModel>),
    /// Hold the trial in progress after the current slice until `Resume` or `Stop`.
    Pause,
    /// Carry on with a paused trial.
    Resume,
    /// End the training in progress after the current batch.
    Stop,
}

/// What the page shows of a loaded dataset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetInfo {
    /// What the data is called ("MNIST" or the uploaded files' names).
    pub name: String,
    /// Training images.
    pub train_images: usize,
    /// Test images.
    pub test_images: usize,
    /// Image channels.
    pub channels: usize,
    /// Image height.
    pub height: usize,
    /// Image width.
    pub width: usize,
    /// Training images per class.
    pub class_counts: Vec<usize>,
    /// Where the test split came from, in words.
    pub test_source: String,
    /// A few training images to show.
    pub samples: Vec<Sample>,
}

/// One image shown in the sample grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Pixels, channel by channel, row by row.
    pub pixels: Vec<u8>,
    /// The image's label.
    pub label: u8,
}

/// Mean loss and accuracy over the batches since the previous point: one point of the curve.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Fraction of training done at this point, in (0, 1].
    pub fraction_done: f64,
    /// Mean training loss of the batches this point covers.
    pub loss: f32,
    /// Mean training accuracy of the batches this point covers.
    pub accuracy: f32,
}

/// What the worker tells the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// Bytes of the dataset downloaded so far.
    Loading {
        /// Bytes received over all files.
        loaded_bytes: u64,
        /// Bytes expected over all files, when the server said.
        total_bytes: Option<u64>,
    },
    /// The dataset is parsed and ready to train on.
    DatasetReady(Box<DatasetInfo>),
    /// An uploaded dataset was refused; the worker keeps the one it had.
    UploadRejected {
        /// Why, in one line (file, row and column where it applies).
        message: String,
    },
    /// Training progress, at most about ten times a second.
    Progress {
        /// The newest point of the training curve.
        point: CurvePoint,
        /// Current epoch, from 1.
        epoch: usize,
        /// Training throughput so far.
        images_per_second: f64,
    },
    /// Training is over; the test set is being scored.
    Evaluating,
    /// The student's network is trained and measured.
    Finished {
        /// Its measures as a search trial's record (validation, test and int8 test accuracy,
        /// the pruned architecture and its sizes); its id is the page's to set.
        record: Box<TrialRecord>,
        /// Seconds spent training (scoring excluded).
        train_seconds: f64,
        /// Training throughput.
        images_per_second: f64,
    },
    /// A search trial's progress, about ten times a second.
    TrialProgress {
        /// The candidate's id.
        id: u64,
        /// The newest point of its training curve.
        point: CurvePoint,
    },
    /// A search trial is over: trained and measured, or failed (the record says which and
    /// why); `model` holds the trained weights for children to inherit.
    TrialDone {
        /// The trial as the search and the page record it (hypervolume not yet set).
        record: Box<TrialRecord>,
        /// The trained network's weights.
        model: Option<Box<FloatModel>>,
        /// Its int8 model (the pruned architecture's), for the C export.
        int8: Option<Box<QuantModel>>,
        /// Test images by true class (rows) and predicted class (columns), if trained.
        confusion: Option<Vec<Vec<u32>>>,
    },
    /// The worker is computing the teacher's soft targets for its trials (before its first
    /// trial that distils): how far it got.
    Preparing {
        /// Fraction of the training images done.
        fraction_done: f64,
    },
    /// How far the teacher's training got, about ten times a second.
    TeacherProgress {
        /// Fraction of its training done, in (0, 1].
        fraction_done: f64,
    },
    /// The teacher is trained.
    TeacherReady {
        /// Its weights.
        model: Box<FloatModel>,
        /// Its accuracy on the trials' validation split.
        validation_accuracy: f64,
        /// Seconds its training took.
        seconds: f64,
    },
    /// Training was stopped on request.
    Stopped,
    /// Something went wrong; the message says what, in words for the user.
    Failed {
        /// What went wrong.
        message: String,
    },
}
