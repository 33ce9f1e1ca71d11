//! The data a worker holds: MNIST downloaded (with progress) or an upload, its splits, and the
//! training, validation and test subsets a search's trials use, made once per search.

use super::now_ms;
use crate::fetch::Download;
use crate::protocol::{DatasetInfo, FromWorker, Sample, ToWorker};
use futures::SinkExt;
use sparse_core::dataset::VALIDATION_EVERY;
use sparse_core::{Dataset, idx::parse_idx_pair};
use yew_agent::prelude::*;

/// Milliseconds between two download progress messages.
const PROGRESS_MS: f64 = 100.0;
/// The four MNIST files, in the order images, labels (training) then images, labels (test).
const MNIST_FILES: [&str; 4] = [
    "train-images.idx3-ubyte.gz",
    "train-labels.idx1-ubyte.gz",
    "t10k-images.idx3-ubyte.gz",
    "t10k-labels.idx1-ubyte.gz",
];
/// Training images shown in the page's sample grid.
const SAMPLES: usize = 40;

/// The training and test splits, held once in the worker.
pub(super) struct Splits {
    pub(super) train: Dataset,
    pub(super) test: Dataset,
    pub(super) name: String,
    pub(super) test_source: String,
}

impl Splits {
    /// What the page shows of these splits.
    pub(super) fn info(&self) -> DatasetInfo {
        let shape = self.train.shape();
        DatasetInfo {
            name: self.name.clone(),
            train_images: self.train.len(),
            test_images: self.test.len(),
            channels: shape.channels,
            height: shape.height,
            width: shape.width,
            class_counts: self.train.label_counts(),
            test_source: self.test_source.clone(),
            samples: (0..SAMPLES.min(self.train.len()))
                .map(|i| Sample {
                    pixels: self.train.image(i).to_vec(),
                    label: self.train.label(i),
                })
                .collect(),
        }
    }
}

/// The data a search trains on: a training subset split into training and validation, and a
/// test subset; kept between trials of the same search.
pub(super) struct TrialData {
    /// The subset sizes these were made for.
    pub(super) sizes: Sizes,
    pub(super) train: Dataset,
    pub(super) validation: Dataset,
    pub(super) test: Dataset,
}

impl TrialData {
    fn new(splits: &Splits, sizes: Sizes) -> Self {
        let subset = |data: &Dataset, n: Option<usize>| match n {
            Some(n) => data.head(n),
            None => data.clone(),
        };
        let (train, validation) = subset(&splits.train, sizes.0).hold_out(VALIDATION_EVERY);
        Self {
            sizes,
            train,
            validation,
            test: subset(&splits.test, sizes.1),
        }
    }
}

/// Sizes of the training and test subsets a search uses (`None`: all).
pub(super) type Sizes = (Option<usize>, Option<usize>);

/// The trial data for `sizes`, made from `splits` unless `held` is already it.
pub(super) fn trial_data_for<'a>(
    held: &'a mut Option<TrialData>,
    splits: &Splits,
    sizes: Sizes,
) -> &'a TrialData {
    if held.as_ref().is_none_or(|d| d.sizes != sizes) {
        *held = Some(TrialData::new(splits, sizes));
    }
    held.as_ref().expect("just made")
}

/// Downloads the four files (all requests first, so the total size is known), then parses them.
pub(super) async fn load_mnist(
    scope: &mut ReactorScope<ToWorker, FromWorker>,
    base_url: &str,
) -> Result<Splits, String> {
    let mut downloads = Vec::with_capacity(MNIST_FILES.len());
    for file in MNIST_FILES {
        downloads.push(Download::start(&format!("{base_url}{file}")).await?);
    }
    let total_bytes = downloads.iter().map(|d| d.total).sum::<Option<u64>>();
    let mut last_report = f64::NEG_INFINITY;
    for i in 0..downloads.len() {
        while downloads[i].read_chunk().await? {
            if now_ms() - last_report >= PROGRESS_MS {
                last_report = now_ms();
                let loaded_bytes = downloads.iter().map(|d| d.bytes.len() as u64).sum();
                let _ = scope
                    .send(FromWorker::Loading {
                        loaded_bytes,
                        total_bytes,
                    })
                    .await;
            }
        }
    }
    let parse = |images: usize, split: &str| {
        parse_idx_pair(&downloads[images].bytes, &downloads[images + 1].bytes)
            .map_err(|e| format!("MNIST {split} set: {e}"))
    };
    let splits = Splits {
        train: parse(0, "training")?,
        test: parse(2, "test")?,
        name: "MNIST handwritten digits".into(),
        test_source: "the MNIST test set".into(),
    };
    let _ = scope
        .send(FromWorker::DatasetReady(Box::new(splits.info())))
        .await;
    Ok(splits)
}
