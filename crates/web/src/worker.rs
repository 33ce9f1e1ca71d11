//! The training worker: downloads MNIST, then trains the skeleton network, a search's
//! teacher or its trials in time slices and reports progress. The page runs one for the
//! skeleton and a pool of them for a search.
//!
//! Training runs in slices of about [`SLICE_MS`]; between slices the reactor yields to the
//! worker's event loop (a zero-delay timer) so that a `Stop` or `Pause` sent by the page is
//! read within one slice. Progress goes out once per slice, about ten times a second.

use crate::fetch::Download;
use crate::protocol::{
    CurvePoint, DatasetInfo, FromWorker, Sample, TeacherJob, ToWorker, TrialJob,
};
use crate::upload::parse_upload;
use futures::{FutureExt, SinkExt, StreamExt};
use sparse_core::{Architecture, Dataset, FloatModel, TrialRecord, idx::parse_idx_pair};
use sparse_train::{
    BatchReport, Distillation, Network, SoftTargets, TEACHER_EPOCHS, TrainConfig, Trainer,
    TrialRun, evaluate, quantize, teacher_architecture,
};
use std::sync::Arc;
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

/// Training images whose soft targets a worker computes between two words to the page.
const TARGETS_PART: usize = 2000;

/// Every `VALIDATION`-th training image is held out to score search candidates (as the CLI).
const VALIDATION: usize = 6;

/// The training and test splits, held once in the worker.
struct Splits {
    train: Dataset,
    test: Dataset,
    name: String,
    test_source: String,
}

impl Splits {
    /// What the page shows of these splits.
    fn info(&self) -> DatasetInfo {
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
struct TrialData {
    /// The subset sizes these were made for.
    sizes: Sizes,
    train: Dataset,
    validation: Dataset,
    test: Dataset,
}

impl TrialData {
    fn new(splits: &Splits, sizes: Sizes) -> Self {
        let subset = |data: &Dataset, n: Option<usize>| match n {
            Some(n) => data.head(n),
            None => data.clone(),
        };
        let (train, validation) = subset(&splits.train, sizes.0).hold_out(VALIDATION);
        Self {
            sizes,
            train,
            validation,
            test: subset(&splits.test, sizes.1),
        }
    }
}

/// Sizes of the training and test subsets a search uses (`None`: all).
type Sizes = (Option<usize>, Option<usize>);

/// The search's teacher as a worker holds it: its network, and its soft targets for the
/// training split they were computed on (once per teacher and split, shared by every trial).
struct HeldTeacher {
    network: Network,
    targets: Option<(Sizes, Arc<SoftTargets>)>,
}

impl HeldTeacher {
    /// The teacher's soft targets for `data`'s training images, computed (the first time) in
    /// parts with a word to the page between them, so its watchdog hears the worker.
    async fn targets(
        &mut self,
        scope: &mut ReactorScope<ToWorker, FromWorker>,
        data: &TrialData,
    ) -> Result<Arc<SoftTargets>, String> {
        if let Some((sizes, targets)) = &self.targets
            && *sizes == data.sizes
        {
            return Ok(targets.clone());
        }
        let temperature = Distillation::default().temperature;
        let fail = |e: sparse_train::Error| format!("the teacher does not fit this data: {e}");
        let images = data.train.len();
        let mut probabilities = Vec::new();
        for start in (0..images).step_by(TARGETS_PART) {
            let part = start..start + TARGETS_PART;
            probabilities.extend(
                SoftTargets::probabilities(&self.network, &data.train, part, temperature)
                    .map_err(fail)?,
            );
            let fraction_done = ((start + TARGETS_PART).min(images)) as f64 / images as f64;
            let _ = scope.send(FromWorker::Preparing { fraction_done }).await;
            sleep(Duration::ZERO).await;
        }
        let classes = self.network.architecture().classes;
        let targets = SoftTargets::from_probabilities(classes, temperature, probabilities)
            .map(Arc::new)
            .map_err(fail)?;
        self.targets = Some((data.sizes, targets.clone()));
        Ok(targets)
    }
}

/// The trial data for `sizes`, made from `splits` unless `held` is already it.
fn trial_data_for<'a>(
    held: &'a mut Option<TrialData>,
    splits: &Splits,
    sizes: Sizes,
) -> &'a TrialData {
    if held.as_ref().is_none_or(|d| d.sizes != sizes) {
        *held = Some(TrialData::new(splits, sizes));
    }
    held.as_ref().expect("just made")
}

/// What the page asked for while a run was paused: carry on, or stop.
enum AfterPause {
    Resume,
    Stop,
}

/// The worker's message loop: one request at a time, failures reported as
/// [`FromWorker::Failed`] and never ending the loop.
#[reactor]
pub async fn TrainReactor(mut scope: ReactorScope<ToWorker, FromWorker>) {
    let mut splits: Option<Splits> = None;
    let mut trial_data: Option<TrialData> = None;
    let mut teacher: Option<HeldTeacher> = None;
    while let Some(message) = scope.next().await {
        let outcome = match message {
            ToWorker::LoadMnist { base_url } => match load_mnist(&mut scope, &base_url).await {
                Ok(loaded) => {
                    splits = Some(loaded);
                    trial_data = None;
                    teacher = None;
                    Ok(())
                }
                Err(e) => Err(e),
            },
            ToWorker::Train { config } => match &splits {
                Some(splits) => train(&mut scope, splits, config).await,
                None => Err("the dataset has not been loaded yet".to_string()),
            },
            ToWorker::LoadFiles { files } => {
                match parse_upload(&files) {
                    Ok(data) => {
                        let loaded = Splits {
                            train: data.train,
                            test: data.test,
                            name: data.name,
                            test_source: data.test_source,
                        };
                        let _ = scope
                            .send(FromWorker::DatasetReady(Box::new(loaded.info())))
                            .await;
                        splits = Some(loaded);
                        trial_data = None;
                        teacher = None;
                    }
                    Err(message) => {
                        let _ = scope.send(FromWorker::UploadRejected { message }).await;
                    }
                }
                Ok(())
            }
            ToWorker::RunTrial(job) => match &splits {
                Some(splits) => {
                    let data = trial_data_for(
                        &mut trial_data,
                        splits,
                        (job.train_images, job.test_images),
                    );
                    let targets = match (job.distil, teacher.as_mut()) {
                        (false, _) => Ok(None),
                        (true, Some(teacher)) => teacher.targets(&mut scope, data).await.map(Some),
                        (true, None) => Err("this worker was given no teacher".to_string()),
                    };
                    match targets {
                        Ok(targets) => run_trial(&mut scope, data, *job, targets).await,
                        Err(reason) => send_failed(&mut scope, &job, reason, now_ms()).await,
                    }
                    Ok(())
                }
                None => Err("the dataset has not been loaded yet".to_string()),
            },
            ToWorker::TrainTeacher(job) => match &splits {
                Some(splits) => {
                    let data = trial_data_for(
                        &mut trial_data,
                        splits,
                        (job.train_images, job.test_images),
                    );
                    train_teacher(&mut scope, data, job).await
                }
                None => Err("the dataset has not been loaded yet".to_string()),
            },
            ToWorker::SetTeacher(model) => match Network::from_float_model(&model) {
                Ok(network) => {
                    teacher = Some(HeldTeacher {
                        network,
                        targets: None,
                    });
                    Ok(())
                }
                Err(e) => Err(format!("the teacher's weights do not fit: {e}")),
            },
            // Nothing is running, so there is nothing to stop, pause or resume.
            ToWorker::Stop | ToWorker::Pause | ToWorker::Resume => Ok(()),
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
        name: "MNIST handwritten digits".into(),
        test_source: "the MNIST test set".into(),
    };
    let _ = scope
        .send(FromWorker::DatasetReady(Box::new(splits.info())))
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
    let progress = |slice: &Slice, point: CurvePoint| {
        images += slice.images;
        FromWorker::Progress {
            point,
            epoch: slice.epoch,
            images_per_second: images as f64 / ((now_ms() - started) / 1000.0),
        }
    };
    let trained = train_to_end(scope, &mut trainer, &splits.train, progress)
        .await
        .map_err(|e| e.to_string())?;
    if !trained {
        return Ok(());
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

/// Trains `trainer` on `data` to its last batch in slices, sending `progress` of each slice
/// that ran batches and heeding Pause and Stop between slices: `Ok(false)` once it was told to
/// stop (and has said `Stopped`).
async fn train_to_end(
    scope: &mut ReactorScope<ToWorker, FromWorker>,
    trainer: &mut Trainer,
    data: &Dataset,
    mut progress: impl FnMut(&Slice, CurvePoint) -> FromWorker,
) -> sparse_train::Result<bool> {
    loop {
        let slice = train_slice(|| trainer.step(data))?;
        if let Some(point) = slice.point {
            let _ = scope.send(progress(&slice, point)).await;
        }
        if trainer.is_done() {
            return Ok(true);
        }
        if let AfterPause::Stop = between_slices(scope).await {
            let _ = scope.send(FromWorker::Stopped).await;
            return Ok(false);
        }
    }
}

/// What one slice of training did.
struct Slice {
    /// Mean loss and accuracy of its batches (`None` if it ran none).
    point: Option<CurvePoint>,
    /// Examples it trained on.
    images: usize,
    /// The epoch of its last batch, from 1 (0 if it ran none).
    epoch: usize,
}

/// Runs `step` for about [`SLICE_MS`], or until it has no batch left.
fn train_slice(
    mut step: impl FnMut() -> sparse_train::Result<Option<BatchReport>>,
) -> sparse_train::Result<Slice> {
    let slice_start = now_ms();
    let (mut loss, mut accuracy, mut batches, mut images) = (0.0f32, 0.0f32, 0usize, 0usize);
    let (mut fraction_done, mut epoch) = (0.0, 0);
    while now_ms() - slice_start < SLICE_MS {
        let Some(report) = step()? else {
            break;
        };
        loss += report.loss;
        accuracy += report.accuracy;
        batches += 1;
        images += report.examples;
        fraction_done = report.fraction_done;
        epoch = report.epoch + 1;
    }
    let point = (batches > 0).then(|| CurvePoint {
        fraction_done,
        loss: loss / batches as f32,
        accuracy: accuracy / batches as f32,
    });
    Ok(Slice {
        point,
        images,
        epoch,
    })
}

/// Yields to the event loop between two slices and reads what the page sent meanwhile: `Stop`
/// ends the run; `Pause` holds it until `Resume` (or `Stop`). Other requests are not expected
/// while training (the page withholds them) and are ignored.
async fn between_slices(scope: &mut ReactorScope<ToWorker, FromWorker>) -> AfterPause {
    futures::select! {
        message = scope.next() => match message {
            Some(ToWorker::Stop) | None => return AfterPause::Stop,
            Some(ToWorker::Pause) => {}
            Some(_) => return AfterPause::Resume,
        },
        _ = sleep(Duration::ZERO).fuse() => return AfterPause::Resume,
    }
    loop {
        match scope.next().await {
            Some(ToWorker::Stop) | None => return AfterPause::Stop,
            Some(ToWorker::Resume) => return AfterPause::Resume,
            Some(_) => {}
        }
    }
}

/// Trains a search's teacher on the trials' training split in slices, reporting progress,
/// then sends its weights and validation accuracy (or `Stopped` if told to stop).
async fn train_teacher(
    scope: &mut ReactorScope<ToWorker, FromWorker>,
    data: &TrialData,
    job: TeacherJob,
) -> Result<(), String> {
    let started = now_ms();
    let config = TrainConfig {
        epochs: TEACHER_EPOCHS,
        seed: job.seed,
        ..TrainConfig::default()
    };
    let architecture = teacher_architecture(job.input, job.classes);
    let mut trainer =
        Trainer::new(&architecture, &data.train, config).map_err(|e| e.to_string())?;
    let progress = |_: &Slice, point: CurvePoint| FromWorker::TeacherProgress {
        fraction_done: point.fraction_done,
    };
    let trained = train_to_end(scope, &mut trainer, &data.train, progress)
        .await
        .map_err(|e| format!("the teacher's training failed: {e}"))?;
    if !trained {
        return Ok(());
    }
    let network = trainer.into_network();
    let validation_accuracy = evaluate(&network, &data.validation).map_err(|e| e.to_string())?;
    let model: FloatModel = network.to_float_model().map_err(|e| e.to_string())?;
    let _ = scope
        .send(FromWorker::TeacherReady {
            model: Box::new(model),
            validation_accuracy,
            seconds: (now_ms() - started) / 1000.0,
        })
        .await;
    Ok(())
}

/// Trains one search trial in slices (learning from the teacher's `targets` too, if given),
/// streaming its curve, then measures it and sends the record (a failure is a record too,
/// never the end of the worker) with the trained weights.
async fn run_trial(
    scope: &mut ReactorScope<ToWorker, FromWorker>,
    data: &TrialData,
    job: TrialJob,
    targets: Option<Arc<SoftTargets>>,
) {
    let started = now_ms();
    let parent = match job.parent_model.as_ref().map(Network::from_float_model) {
        Some(Ok(network)) => Some(network),
        Some(Err(e)) => {
            let reason = format!("the parent's weights do not fit: {e}");
            send_failed(scope, &job, reason, started).await;
            return;
        }
        None => None,
    };
    let started_run = match (job.continues, parent.as_ref()) {
        (true, Some(parent)) => TrialRun::continuing(parent, &data.train, job.config.clone()),
        (true, None) => {
            let reason = "the network it would train on is no longer kept".to_string();
            return send_failed(scope, &job, reason, started).await;
        }
        (false, parent) => {
            let inheritance = parent.map(|p| (p, job.inherits_from.as_slice()));
            TrialRun::new(
                &job.architecture,
                &data.train,
                job.config.clone(),
                inheritance,
            )
        }
    };
    let distilled = started_run.and_then(|mut run| {
        if let Some(targets) = targets {
            run.distil_from(targets, Distillation::default().weight)?;
        }
        Ok(run)
    });
    let mut run = match distilled {
        Ok(run) => run,
        Err(e) => return send_failed(scope, &job, e.to_string(), started).await,
    };
    drop(parent);
    loop {
        let slice = match train_slice(|| run.step(&data.train)) {
            Ok(slice) => slice,
            Err(e) => return send_failed(scope, &job, e.to_string(), started).await,
        };
        if let Some(point) = slice.point {
            let _ = scope
                .send(FromWorker::TrialProgress { id: job.id, point })
                .await;
        }
        if run.is_done() {
            break;
        }
        if let AfterPause::Stop = between_slices(scope).await {
            let _ = scope.send(FromWorker::Stopped).await;
            return;
        }
    }
    match run.finish(&data.train, &data.validation, &data.test) {
        Ok((measures, network)) => {
            let seconds = (now_ms() - started) / 1000.0;
            let record = measures.record(job.id, job.parent, seconds);
            let model = network.to_float_model().ok().map(Box::new);
            let _ = scope
                .send(FromWorker::TrialDone {
                    record: Box::new(record),
                    model,
                    int8: Some(Box::new(measures.int8)),
                    confusion: Some(measures.confusion),
                })
                .await;
        }
        Err(e) => send_failed(scope, &job, e.to_string(), started).await,
    }
}

/// Reports trial `job` as failed for `reason`.
async fn send_failed(
    scope: &mut ReactorScope<ToWorker, FromWorker>,
    job: &TrialJob,
    reason: String,
    started: f64,
) {
    let mut record = TrialRecord::failed(job.id, job.architecture.clone(), job.parent, reason);
    record.train_seconds = (now_ms() - started) / 1000.0;
    let _ = scope
        .send(FromWorker::TrialDone {
            record: Box::new(record),
            model: None,
            int8: None,
            confusion: None,
        })
        .await;
}
