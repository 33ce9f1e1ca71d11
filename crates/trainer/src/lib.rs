//! Trains CNNs described by [`sparse_core::Architecture`] with candle, natively and in wasm32.
//!
//! [`Network::new`] turns a description into candle variables with a seeded initialisation
//! (which [`Trainer`] centres and scales on real images, `init.rs`);
//! [`Trainer`] runs Adam over shuffled mini-batches that it streams out of one
//! [`sparse_core::Dataset`], one [`Trainer::step`] at a time, so the page's worker can yield
//! between batches and the CLI can drive [`Trainer::run`] with a [`TrainObserver`] that draws a
//! progress bar. [`evaluate`] scores a trained network on held-out data; [`quantize`] turns
//! it into core's integer-only `QuantModel`. [`SoftTargets`] hold a teacher's softened outputs for
//! knowledge distillation ([`Trainer::distil_from`]). [`TrialRun`] is one search trial from build to
//! measures, the same in the CLI and the page's workers.

mod batch;
mod compress;
mod contiguous;
mod conv;
mod conv_op;
mod depthwise;
mod distill;
mod error;
mod im2col;
mod inherit;
mod init;
mod matmul;
mod network;
mod pool;
mod portable;
mod prune;
mod quantize;
mod reference;
mod relu;
mod trainer;
mod trial;
mod workload;

pub use distill::{Distillation, SoftTargets, TEACHER_EPOCHS, teacher_architecture};
pub use error::{Error, Result};
pub use network::Network;
pub use quantize::quantize;
pub use reference::{ReferenceRun, reference_benchmark};
pub use trainer::{
    BatchReport, MAX_SHIFT, RunOutcome, TrainConfig, TrainObserver, Trainer, evaluate,
};
pub use trial::{CALIBRATION_IMAGES, TrialMeasures, TrialRun};
pub use workload::{
    WARMUP_BATCHES, WorkloadNet, WorkloadRun, workload_benchmark, workload_config, workload_suite,
};
