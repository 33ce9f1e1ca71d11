//! The training worker: downloads MNIST, then trains the student's own network, a search's
//! teacher or its trials in time slices and reports progress. The page runs one for the
//! student's network and a pool of them for a search.
//!
//! Training runs in slices of about 100 ms (`slices.rs`); between slices the reactor yields to
//! the worker's event loop (a zero-delay timer) so that a `Stop` or `Pause` sent by the page is
//! read within one slice. Progress goes out once per slice, about ten times a second. The data
//! it holds is `data.rs`'s; a search's teacher and trials are `trial.rs`'s.

mod data;
mod slices;
mod trial;

use crate::protocol::{CurvePoint, FromWorker, ToWorker};
use crate::upload::parse_upload;
use data::{Splits, TrialData, load_mnist, trial_data_for};
use futures::{SinkExt, StreamExt};
use slices::{Slice, train_to_end};
use sparse_core::Architecture;
use sparse_train::{Network, TrainConfig, TrialRun};
use trial::{HeldTeacher, run_trial, send_failed, train_teacher};
use yew_agent::prelude::*;

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
            ToWorker::Train {
                architecture,
                config,
            } => match &splits {
                Some(splits) => {
                    let data = trial_data_for(&mut trial_data, splits, (None, None));
                    train(&mut scope, data, architecture, config).await
                }
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

/// Trains the student's network (design mode) in slices on `data`, streaming one curve point
/// per slice, then measures it as the search measures a trial: validation and test accuracy,
/// in float and as the int8 model, and the sizes pruning left.
async fn train(
    scope: &mut ReactorScope<ToWorker, FromWorker>,
    data: &TrialData,
    architecture: Architecture,
    config: TrainConfig,
) -> Result<(), String> {
    let mut run =
        TrialRun::new(&architecture, &data.train, config, None).map_err(|e| e.to_string())?;
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
    let trained = train_to_end(scope, &mut run, &data.train, progress)
        .await
        .map_err(|e| e.to_string())?;
    if !trained {
        return Ok(());
    }
    let train_seconds = (now_ms() - started) / 1000.0;
    let _ = scope.send(FromWorker::Evaluating).await;
    let (measures, _) = run
        .finish(&data.train, &data.validation, &data.test)
        .map_err(|e| e.to_string())?;
    let _ = scope
        .send(FromWorker::Finished {
            record: Box::new(measures.record(0, None, train_seconds)),
            train_seconds,
            images_per_second: images as f64 / train_seconds,
        })
        .await;
    Ok(())
}
