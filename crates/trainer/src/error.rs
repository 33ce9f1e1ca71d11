//! The trainer's error type: candle failures, unbuildable architectures, unusable settings and
//! divergence.

/// Why training could not go on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The architecture cannot be built or does not fit the dataset.
    #[error(transparent)]
    Architecture(#[from] sparse_core::Error),
    /// The architecture's input shape differs from the dataset's images.
    #[error("the architecture expects {expected:?} inputs but the dataset's images are {found:?}")]
    InputMismatch {
        /// `[channels, height, width]` the architecture expects.
        expected: [usize; 3],
        /// `[channels, height, width]` of the dataset.
        found: [usize; 3],
    },
    /// The architecture is too large to build.
    #[error("the architecture has {parameters} parameters; the trainer builds at most {limit}")]
    TooLarge {
        /// Its weights and biases.
        parameters: u64,
        /// The most the trainer builds.
        limit: u64,
    },
    /// The dataset has labels the architecture has no output for.
    #[error(
        "the dataset has labels up to {largest}, but the architecture classifies into {classes} classes (labels 0 to {})",
        classes.saturating_sub(1)
    )]
    LabelsBeyondClasses {
        /// The largest label found.
        largest: usize,
        /// The architecture's class count.
        classes: usize,
    },
    /// The loss became NaN or infinite: the run cannot recover and is ended with this reason.
    #[error("training diverged at epoch {epoch}, batch {batch}: the loss became {loss}")]
    Diverged {
        /// Epoch (from 0) of the bad batch.
        epoch: usize,
        /// Batch (from 0) within the epoch.
        batch: usize,
        /// The non-finite loss.
        loss: f32,
    },
    /// A step was given a dataset of another size than the trainer was made for.
    #[error("the trainer was made for {expected} examples but was given {found}")]
    DatasetChanged {
        /// Examples at construction.
        expected: usize,
        /// Examples given.
        found: usize,
    },
    /// A training setting no run could use (a learning rate that is not a positive number).
    #[error("{0}")]
    Config(String),
    /// A split a trial is scored on holds no image (its accuracy would be NaN).
    #[error("there are no {0} images to score the trial on")]
    NothingToScore(&'static str),
    /// A teacher's soft targets do not match the training set.
    #[error("the teacher's targets do not fit: {0}")]
    Teacher(String),
    /// A tensor operation failed.
    #[error("tensor operation failed: {0}")]
    Candle(#[from] candle_core::Error),
}

/// The trainer's result type.
pub type Result<T> = std::result::Result<T, Error>;
