//! One error type for everything core can reject, each variant a message a user can act on.

/// What went wrong when reading a dataset or checking an architecture.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// The bytes look gzipped but do not inflate.
    #[error("{file}: not a valid gzip stream ({reason})")]
    Gzip {
        /// Which file: "images" or "labels".
        file: &'static str,
        /// What the decompressor said.
        reason: String,
    },
    /// The bytes inflate to more than a dataset file may hold.
    #[error("{file}: the gzip stream inflates past {limit_mib} MiB, more than a dataset may hold")]
    TooLarge {
        /// Which file: "images" or "labels".
        file: &'static str,
        /// The limit, in MiB.
        limit_mib: usize,
    },
    /// The file does not start with the IDX magic number expected for its kind.
    #[error(
        "{file}: not an IDX {expected} file (magic number {found:#010x}, expected {magic:#010x})"
    )]
    BadMagic {
        /// Which file: "images" or "labels".
        file: &'static str,
        /// A word for what was expected, such as "image" or "label".
        expected: &'static str,
        /// The magic number that was read.
        found: u32,
        /// The magic number that was expected.
        magic: u32,
    },
    /// The file ends before its header says it should.
    #[error("{file}: truncated: the header promises {expected} bytes but the file has {actual}")]
    Truncated {
        /// Which file: "images" or "labels".
        file: &'static str,
        /// Bytes the header promises (header included).
        expected: usize,
        /// Bytes present.
        actual: usize,
    },
    /// The image and label files disagree on how many examples there are.
    #[error("the image file holds {images} images but the label file holds {labels} labels")]
    CountMismatch {
        /// Number of images.
        images: usize,
        /// Number of labels.
        labels: usize,
    },
    /// A dataset with no examples.
    #[error("the dataset holds no images")]
    Empty,
    /// A bad value in a CSV file, located by row and column (from 1).
    #[error("row {row}, column {column}: {message}")]
    Csv {
        /// Line of the file, from 1.
        row: usize,
        /// Column, from 1 (0: the whole row).
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The pixel count of a row does not match the image shape.
    #[error("rows hold {values} pixel values but the shape {shape:?} needs {}", shape.iter().map(|&d| d as u64).product::<u64>())]
    ShapeMismatch {
        /// Pixel values per row.
        values: usize,
        /// `[channels, height, width]` given or guessed.
        shape: [usize; 3],
    },
    /// A dataset needs at least two classes to classify.
    #[error("the dataset has only {classes} class; a classifier needs at least 2")]
    TooFewClasses {
        /// Classes present.
        classes: usize,
    },
    /// An architecture that cannot be built, with the reason.
    #[error("invalid architecture: {0}")]
    Architecture(String),
}

/// Core's result type.
pub type Result<T> = std::result::Result<T, Error>;
