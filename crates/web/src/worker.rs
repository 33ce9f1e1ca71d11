//! The training worker: downloads MNIST, trains in time slices and reports progress.
//!
//! Training runs in slices of about [`SLICE_MS`]; between slices the reactor yields to the
//! worker's event loop (a zero-delay timer) so that a `Stop` sent by the page is read within
//! one slice. Progress goes out once per slice, about ten times a second.

use crate::fetch::Download;
use crate::protocol::{CurvePoint, FromWorker, Sample, ToWorker};
use futures::{FutureExt, SinkExt, StreamExt};
use sparse_core::{Architecture, Dataset, idx::parse_idx_pair};
use sparse_train::{TrainConfig, Trainer, evaluate, quantize};
use std::time::Duration;
use yew::platform::time::sleep;
use yew_agent::prelude::*;

/// Milliseconds of training between two looks at the message queue.
const SLICE_MS: f64 = 100.0;
/// Milliseconds between two download progress messages.
const PROGRESS_MS: f64 = 100.0;
/// The four MNIST files, in the order images, labels (training) then images, labels (test).
const MNIST_FILES: [&str; 4] = [
    "train-images.idx3-ubyte.gz",
    "train-labels.idx1-ubyte.gz",
    "t10k-images.idx3-ubyte.gz",
    "t10k-labels.idx1-ubyte.gz",
];
/// Training images whose activations set the int8 model's ranges.
const CALIBRATION_IMAGES: usize = 1000;
/// Training images shown in the page's sample grid.
const SAMPLES: usize = 40;

/// The training and test splits, held once in the worker.
struct Splits {
    train: Dataset,
    test: Dataset,
}

/// The worker's message loop: one request at a time, failures reported as
/// [`FromWorker::Failed`] and never ending the loop.
#[reactor]
pub async fn TrainReactor(mut scope: ReactorScope<ToWorker, FromWorker>) {
    let mut splits: Option<Splits> = None;
    while let Some(message) = scope.next().await {
        let outcome = match message {
            ToWorker::LoadMnist { base_url } => match load_mnist(&mut scope, &base_url).await {
                Ok(loaded) => {
                    splits = Some(loaded);
                    Ok(())
                }
                Err(e) => Err(e),
            },
            ToWorker::Train { config } => match &splits {
                Some(splits) => train(&mut scope, splits, config).await,
                None => Err("the dataset has not been loaded yet".to_string()),
            },
            // Nothing is running, so there is nothing to stop.
            ToWorker::Stop => Ok(()),
        };
        if let Err(message) = outcome {
            let _ = scope.send(FromWorker::Failed { message }).await;
        }
    }
}

/// Milliseconds since the epoch, for slicing and throttling.
fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Downloads the four files (all requests first, so the total size is known), then parses them.
async fn load_mnist(
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
    };
    let samples = (0..SAMPLES.min(splits.train.len()))
        .map(|i| Sample {
            pixels: splits.train.image(i).to_vec(),
            label: splits.train.label(i),
        })
        .collect();
    let _ = scope
        .send(FromWorker::DatasetReady {
            train_images: splits.train.len(),
            test_images: splits.test.len(),
            side: splits.train.shape().width,
            samples,
        })
        .await;
    Ok(splits)
}

/// Trains the skeleton CNN, streaming one curve point per slice, then scores the test set in
/// float and as the int8 model.
async fn train(
    scope: &mut ReactorScope<ToWorker, FromWorker>,
    splits: &Splits,
    config: TrainConfig,
) -> Result<(), String> {
    let mut trainer = Trainer::new(&Architecture::skeleton(), &splits.train, config)
        .map_err(|e| e.to_string())?;
    let started = now_ms();
    let mut images = 0usize;
    loop {
        let slice_start = now_ms();
        let (mut loss, mut accuracy, mut batches) = (0.0f32, 0.0f32, 0usize);
        let mut fraction_done = 0.0;
        let mut epoch = 0;
        while now_ms() - slice_start < SLICE_MS {
            match trainer.step(&splits.train).map_err(|e| e.to_string())? {
                Some(report) => {
                    loss += report.loss;
                    accuracy += report.accuracy;
                    batches += 1;
                    images += report.examples;
                    fraction_done = report.fraction_done;
                    epoch = report.epoch + 1;
                }
                None => break,
            }
        }
        if batches > 0 {
            let point = CurvePoint {
                fraction_done,
                loss: loss / batches as f32,
                accuracy: accuracy / batches as f32,
            };
            let images_per_second = images as f64 / ((now_ms() - started) / 1000.0);
            let _ = scope
                .send(FromWorker::Progress {
                    point,
                    epoch,
                    images_per_second,
                })
                .await;
        }
        if trainer.is_done() {
            break;
        }
        futures::select! {
            message = scope.next() => match message {
                Some(ToWorker::Stop) | None => {
                    let _ = scope.send(FromWorker::Stopped).await;
                    return Ok(());
                }
                // The page disables its other requests while training, so none is expected.
                Some(_) => {}
            },
            _ = sleep(Duration::ZERO).fuse() => {}
        }
    }
    let train_seconds = (now_ms() - started) / 1000.0;
    let _ = scope.send(FromWorker::Evaluating).await;
    let test_accuracy = evaluate(trainer.network(), &splits.test).map_err(|e| e.to_string())?;
    let int8 = quantize(trainer.network(), &splits.train, CALIBRATION_IMAGES)
        .map_err(|e| e.to_string())?;
    let int8_test_accuracy = int8.accuracy(&splits.test);
    let _ = scope
        .send(FromWorker::Finished {
            test_accuracy,
            int8_test_accuracy,
            train_seconds,
            images_per_second: images as f64 / train_seconds,
        })
        .await;
    Ok(())
}
