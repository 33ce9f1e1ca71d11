//! Training in slices of about [`SLICE_MS`]: between slices the worker yields to its event loop
//! and reads what the page sent meanwhile, so Stop and Pause are heeded within one slice and
//! progress goes out about ten times a second.

use super::now_ms;
use crate::protocol::{CurvePoint, FromWorker, ToWorker};
use futures::{FutureExt, SinkExt, StreamExt};
use sparse_core::Dataset;
use sparse_train::{BatchReport, Trainer, TrialRun};
use std::time::Duration;
use yew::platform::time::sleep;
use yew_agent::prelude::*;

/// Milliseconds of training between two looks at the message queue.
const SLICE_MS: f64 = 100.0;

/// What the page asked for while a run was paused: carry on, or stop.
enum AfterPause {
    Resume,
    Stop,
}

/// Something trained batch by batch: a plain trainer (the teacher) or a trial's run.
pub(super) trait Steps {
    /// Trains one batch of `data`, or says there is none left.
    fn step(&mut self, data: &Dataset) -> sparse_train::Result<Option<BatchReport>>;
    /// Whether every batch has been trained.
    fn is_done(&self) -> bool;
}

impl Steps for Trainer {
    fn step(&mut self, data: &Dataset) -> sparse_train::Result<Option<BatchReport>> {
        Trainer::step(self, data)
    }

    fn is_done(&self) -> bool {
        Trainer::is_done(self)
    }
}

impl Steps for TrialRun {
    fn step(&mut self, data: &Dataset) -> sparse_train::Result<Option<BatchReport>> {
        TrialRun::step(self, data)
    }

    fn is_done(&self) -> bool {
        TrialRun::is_done(self)
    }
}

/// Trains `trainer` on `data` to its last batch in slices, sending `progress` of each slice
/// that ran batches and heeding Pause and Stop between slices: `Ok(false)` once it was told to
/// stop (and has said `Stopped`).
pub(super) async fn train_to_end(
    scope: &mut ReactorScope<ToWorker, FromWorker>,
    trainer: &mut impl Steps,
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
pub(super) struct Slice {
    /// Mean loss and accuracy of its batches (`None` if it ran none).
    pub(super) point: Option<CurvePoint>,
    /// Examples it trained on.
    pub(super) images: usize,
    /// The epoch of its last batch, from 1 (0 if it ran none).
    pub(super) epoch: usize,
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
