//! A search's work in a worker: training the teacher, holding it with its soft targets, and
//! training, measuring and reporting one trial (a failure is a record too, never the end of
//! the worker).

use super::data::{Sizes, TrialData};
use super::now_ms;
use super::slices::{Slice, train_to_end};
use crate::protocol::{CurvePoint, FromWorker, TeacherJob, ToWorker, TrialJob};
use futures::SinkExt;
use sparse_core::{FloatModel, TrialRecord};
use sparse_train::{
    Distillation, Network, SoftTargets, TEACHER_EPOCHS, TrainConfig, Trainer, TrialRun, evaluate,
    teacher_architecture,
};
use std::sync::Arc;
use std::time::Duration;
use yew::platform::time::sleep;
use yew_agent::prelude::*;

/// Training images whose soft targets a worker computes between two words to the page.
const TARGETS_PART: usize = 2000;

/// The search's teacher as a worker holds it: its network, and its soft targets for the
/// training split they were computed on (once per teacher and split, shared by every trial).
pub(super) struct HeldTeacher {
    pub(super) network: Network,
    pub(super) targets: Option<(Sizes, Arc<SoftTargets>)>,
}

impl HeldTeacher {
    /// The teacher's soft targets for `data`'s training images, computed (the first time) in
    /// parts with a word to the page between them, so its watchdog hears the worker.
    pub(super) async fn targets(
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

/// Trains a search's teacher on the trials' training split in slices, reporting progress,
/// then sends its weights and validation accuracy (or `Stopped` if told to stop).
pub(super) async fn train_teacher(
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
pub(super) async fn run_trial(
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
    let id = job.id;
    let progress = |_: &Slice, point: CurvePoint| FromWorker::TrialProgress { id, point };
    match train_to_end(scope, &mut run, &data.train, progress).await {
        Ok(true) => {}
        // Stopped on request (and said so).
        Ok(false) => return,
        Err(e) => return send_failed(scope, &job, e.to_string(), started).await,
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
pub(super) async fn send_failed(
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
