//! Mini-batch Adam training, one step at a time, with progress reports and cancellation.

use crate::batch::{batch_tensors, shifted_batch_tensors};
use crate::distill::{SoftTargets, soft_cross_entropy};
use crate::prune::{MagnitudePruner, pruned_architecture};
use crate::{Error, Network, Result};
use candle_core::{D, Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};
use serde::{Deserialize, Serialize};
use sparse_core::space::Pruning;
use sparse_core::{Architecture, Dataset};
use std::ops::ControlFlow;
use std::sync::Arc;

/// Images of the batch on which a new network's layers are centred and scaled: twice the
/// default training batch, so its forward passes need about the memory of one training step
/// (im2col copies each input k² times, and a step keeps its backward graph).
const INIT_EXAMPLES: usize = 64;

/// How to train: epochs, batch size, Adam's peak learning rate and the seed that fixes the
/// initial weights and the order of examples. The learning rate follows a cosine from its peak
/// down to zero over the planned steps, which settles the weights by the end of a short run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Examples per step.
    pub batch_size: usize,
    /// Adam's step size at the start (it decays along a cosine to zero).
    pub learning_rate: f64,
    /// Seed for initial weights and shuffling.
    pub seed: u64,
    /// How each layer is pruned (aligned with the architecture's layers; `None` or a missing
    /// entry: not pruned).
    #[serde(default)]
    pub pruning: Vec<Option<Pruning>>,
    /// Augmentation: each training image of each step is moved by up to this many pixels
    /// down or up and left or right (drawn per image), blank pixels moving in. The validation
    /// split is drawn from the training set's writers, the test set from others; small shifts
    /// teach what a new hand does.
    #[serde(default)]
    pub shift: usize,
}

impl Default for TrainConfig {
    /// One epoch of batches of 32 at Adam's learning rate 0.003: the skeleton CNN reaches
    /// about 98% on MNIST's test set.
    fn default() -> Self {
        Self {
            epochs: 1,
            batch_size: 32,
            learning_rate: 3e-3,
            seed: 0,
            pruning: Vec::new(),
            shift: 0,
        }
    }
}

impl TrainConfig {
    /// Refuses settings no run could use: a learning rate that is not a positive finite number
    /// (NaN would train nothing and report success) or a shift wider than any image.
    pub fn check(&self) -> Result<()> {
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(Error::Config(format!(
                "the learning rate must be a positive number, not {}",
                self.learning_rate
            )));
        }
        if self.shift > MAX_SHIFT {
            return Err(Error::Config(format!(
                "a shift of {} pixels is more than the {MAX_SHIFT} allowed",
                self.shift
            )));
        }
        Ok(())
    }
}

/// The widest shift augmentation allows, in pixels.
pub const MAX_SHIFT: usize = 8;

/// What one training step did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchReport {
    /// Epoch of this step, from 0.
    pub epoch: usize,
    /// Batch within the epoch, from 0.
    pub batch: usize,
    /// Mean cross-entropy of the batch (before the update).
    pub loss: f32,
    /// Fraction of the batch classified correctly (before the update).
    pub accuracy: f32,
    /// Examples in the batch.
    pub examples: usize,
    /// Fraction of all planned steps done, in (0, 1].
    pub fraction_done: f64,
}

/// Receives a report after every step and says whether training should go on.
pub trait TrainObserver {
    /// Called after each step; `ControlFlow::Break(())` stops training after this step.
    fn on_batch(&mut self, report: &BatchReport) -> ControlFlow<()>;
}

impl<F: FnMut(&BatchReport) -> ControlFlow<()>> TrainObserver for F {
    fn on_batch(&mut self, report: &BatchReport) -> ControlFlow<()> {
        self(report)
    }
}

/// How [`Trainer::run`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// Every planned epoch ran.
    Completed,
    /// The observer asked to stop.
    Stopped,
}

/// Trains one network on one dataset, a batch per [`Trainer::step`].
pub struct Trainer {
    network: Network,
    /// Weight noise of Sparse Variational Dropout.
    noise: StdRng,
    magnitude: Option<MagnitudePruner>,
    optimizer: AdamW,
    config: TrainConfig,
    device: Device,
    rng: StdRng,
    /// Draws the shifts of augmentation.
    shifts: StdRng,
    order: Vec<usize>,
    epoch: usize,
    batch: usize,
    /// A teacher's soft targets and the share of the loss they get.
    teacher: Option<(Arc<SoftTargets>, f64)>,
}

impl Trainer {
    /// Builds the network for `architecture` and an Adam optimiser for a dataset of
    /// `examples` images shaped as the architecture's input.
    pub fn new(architecture: &Architecture, data: &Dataset, config: TrainConfig) -> Result<Self> {
        config.check()?;
        if data.classes() > architecture.classes {
            return Err(Error::LabelsBeyondClasses {
                largest: data.classes() - 1,
                classes: architecture.classes,
            });
        }
        let s = data.shape();
        let found = [s.channels, s.height, s.width];
        if found != architecture.input {
            return Err(Error::InputMismatch {
                expected: architecture.input,
                found,
            });
        }
        let device = Device::Cpu;
        let mut network = Network::new(architecture, config.seed, &device)?;
        for (i, setting) in config.pruning.iter().enumerate() {
            match setting {
                Some(Pruning::Spvd { log_alpha }) if i < architecture.layers.len() => {
                    network.make_variational(i, *log_alpha)?
                }
                Some(Pruning::Bc { log_alpha }) if i < architecture.layers.len() => {
                    network.make_group_scaled(i, *log_alpha)?
                }
                _ => {}
            }
        }
        let params = ParamsAdamW {
            lr: config.learning_rate,
            weight_decay: 0.0,
            ..ParamsAdamW::default()
        };
        let optimizer = AdamW::new(network.vars(), params)?;
        let magnitude = MagnitudePruner::new(&config.pruning);
        let mut rng = StdRng::seed_from_u64(config.seed.wrapping_add(1));
        let mut order: Vec<usize> = (0..data.len()).collect();
        order.shuffle(&mut rng);
        let shifts = StdRng::seed_from_u64(config.seed.wrapping_add(3));
        let trainer = Self {
            network,
            noise: StdRng::seed_from_u64(config.seed.wrapping_add(2)),
            magnitude,
            optimizer,
            config,
            device,
            rng,
            shifts,
            order,
            epoch: 0,
            batch: 0,
            teacher: None,
        };
        trainer.initialise_from_data(data, &[])?;
        Ok(trainer)
    }

    /// Rescales the layers marked `fresh` (a missing entry: fresh) so that each channel starts
    /// centred with unit variance on a batch of `data` (see `init.rs`). [`Trainer::new`] does
    /// this for every layer; call it again after copying a parent's weights into some layers.
    pub fn initialise_from_data(&self, data: &Dataset, fresh: &[bool]) -> Result<()> {
        let sample = &self.order[..self.order.len().min(INIT_EXAMPLES)];
        if sample.is_empty() {
            return Ok(());
        }
        let (x, _) = batch_tensors(data, sample, &self.device)?;
        self.network.initialise_from_data(&x, fresh)
    }

    /// From now on, learns from `targets` (a teacher's softened outputs for every image of the
    /// training set, in its order) as well as from the labels: the loss is `(1 − weight)` of
    /// the labels' cross-entropy plus `weight` of the soft targets' (see `distill.rs`).
    pub fn distil_from(&mut self, targets: Arc<SoftTargets>, weight: f64) -> Result<()> {
        let classes = self.network.architecture().classes;
        if targets.len() != self.order.len() || targets.classes() != classes {
            return Err(Error::Teacher(format!(
                "{} images of {} classes, for a training set of {} images of {classes}",
                targets.len(),
                targets.classes(),
                self.order.len()
            )));
        }
        if !(0.0..=1.0).contains(&weight) {
            return Err(Error::Teacher(format!("weight {weight} is not in [0, 1]")));
        }
        self.teacher = Some((targets, weight));
        Ok(())
    }

    /// The network being trained.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The trained network, for keeping once training is over.
    pub fn into_network(self) -> Network {
        self.network
    }

    /// The configuration this trainer runs.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Steps in one epoch (the last batch may be smaller).
    pub fn batches_per_epoch(&self) -> usize {
        self.order.len().div_ceil(self.config.batch_size.max(1))
    }

    /// The architecture as trained so far, with each layer's density of non-zero weights: what
    /// the cost model should price.
    pub fn pruned_architecture(&self) -> Result<Architecture> {
        pruned_architecture(&self.network)
    }

    /// Whether every planned epoch has run.
    pub fn is_done(&self) -> bool {
        self.epoch >= self.config.epochs
    }

    /// Trains on the next batch of `data` (the dataset the trainer was made for) and reports
    /// it, or returns `None` once every epoch has run. A non-finite loss is
    /// [`Error::Diverged`], and the weights are left as they were before the step.
    pub fn step(&mut self, data: &Dataset) -> Result<Option<BatchReport>> {
        if self.is_done() {
            return Ok(None);
        }
        if data.len() != self.order.len() {
            return Err(Error::DatasetChanged {
                expected: self.order.len(),
                found: data.len(),
            });
        }
        let size = self.config.batch_size.max(1);
        let start = self.batch * size;
        let indices = &self.order[start..(start + size).min(self.order.len())];
        let total = self.config.epochs * self.batches_per_epoch();
        let done = self.epoch * self.batches_per_epoch() + self.batch;
        let progress = done as f64 / total as f64;
        let cosine = 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
        self.optimizer
            .set_learning_rate(self.config.learning_rate * cosine);
        let reach = self.config.shift as i32;
        let shifts: Vec<(isize, isize)> = if reach > 0 {
            (0..indices.len())
                .map(|_| {
                    (
                        self.shifts.random_range(-reach..=reach) as isize,
                        self.shifts.random_range(-reach..=reach) as isize,
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        let (x, y) = shifted_batch_tensors(data, indices, &shifts, &self.device)?;
        let variational = self.network.is_variational();
        let logits = if variational {
            self.network.forward_sampled(&x, &mut self.noise)?
        } else {
            self.network.forward(&x)?
        };
        let label_loss = candle_nn::loss::cross_entropy(&logits, &y)?;
        let loss = label_loss.to_scalar::<f32>()?;
        let data_loss = match &self.teacher {
            Some((targets, weight)) => {
                let soft = targets.batch(indices, &self.device)?;
                let soft_loss = soft_cross_entropy(&logits, &soft, targets.temperature())?;
                ((label_loss * (1.0 - weight))? + (soft_loss * *weight)?)?
            }
            None => label_loss,
        };
        let loss_t = if variational {
            // The KL term of the whole training set, per example as the data term is; its
            // weight warms up from 0 to 1 over the first half of training.
            let warmup = (2.0 * progress).min(1.0);
            let scale = warmup / self.order.len() as f64;
            let total = (&data_loss + (self.network.kl_divergence()? * scale)?)?;
            let value = total
                .to_dtype(candle_core::DType::F32)?
                .to_scalar::<f32>()?;
            if !value.is_finite() {
                return Err(Error::Diverged {
                    epoch: self.epoch,
                    batch: self.batch,
                    loss: value,
                });
            }
            total
        } else {
            data_loss
        };
        if !loss.is_finite() {
            return Err(Error::Diverged {
                epoch: self.epoch,
                batch: self.batch,
                loss,
            });
        }
        let correct = correct_count(&logits, &y)? as f32;
        self.optimizer.backward_step(&loss_t)?;
        if let Some(pruner) = &self.magnitude {
            pruner.apply(&self.network, (done + 1) as f64 / total as f64)?;
        }

        let report = BatchReport {
            epoch: self.epoch,
            batch: self.batch,
            loss,
            accuracy: correct / indices.len() as f32,
            examples: indices.len(),
            fraction_done: 0.0,
        };
        self.batch += 1;
        if self.batch == self.batches_per_epoch() {
            self.batch = 0;
            self.epoch += 1;
            self.order.shuffle(&mut self.rng);
        }
        if self.is_done() && variational {
            self.network.apply_variational_masks()?;
            // Bayesian Compression: the trained network becomes the smaller one it implies.
            self.network = self.network.without_pruned_groups()?;
        }
        let done = self.epoch * self.batches_per_epoch() + self.batch;
        Ok(Some(BatchReport {
            fraction_done: done as f64 / total as f64,
            ..report
        }))
    }

    /// Trains until every epoch has run or `observer` breaks.
    pub fn run(&mut self, data: &Dataset, observer: &mut impl TrainObserver) -> Result<RunOutcome> {
        while let Some(report) = self.step(data)? {
            if observer.on_batch(&report).is_break() {
                return Ok(RunOutcome::Stopped);
            }
        }
        Ok(RunOutcome::Completed)
    }
}

/// How many rows of `logits` have their largest score at the label in `labels`.
fn correct_count(logits: &Tensor, labels: &Tensor) -> Result<u32> {
    Ok(logits
        .argmax(D::Minus1)?
        .eq(labels)?
        .to_dtype(candle_core::DType::U32)?
        .sum_all()?
        .to_scalar::<u32>()?)
}

/// Fraction of `data` that `network` classifies correctly, computed in batches of 500.
pub fn evaluate(network: &Network, data: &Dataset) -> Result<f64> {
    let device = Device::Cpu;
    let mut correct = 0.0f64;
    let indices: Vec<usize> = (0..data.len()).collect();
    for chunk in indices.chunks(500) {
        let (x, y) = batch_tensors(data, chunk, &device)?;
        let logits = network.forward(&x)?.detach();
        correct += correct_count(&logits, &y)? as f64;
    }
    Ok(correct / data.len() as f64)
}

/// `network`'s logits for every image of `data` as one `[images, classes]` tensor, computed in
/// batches of 500.
pub(crate) fn predict_logits(network: &Network, data: &Dataset) -> Result<Tensor> {
    let device = Device::Cpu;
    let indices: Vec<usize> = (0..data.len()).collect();
    let mut parts = Vec::new();
    for chunk in indices.chunks(500) {
        let (x, _) = batch_tensors(data, chunk, &device)?;
        parts.push(network.forward(&x)?.detach());
    }
    Ok(Tensor::cat(&parts, 0)?)
}

/// The class `network` predicts for each image of `data`, computed in batches of 500.
pub fn predict(network: &Network, data: &Dataset) -> Result<Vec<u32>> {
    Ok(predict_logits(network, data)?
        .argmax(D::Minus1)?
        .to_vec1::<u32>()?)
}

#[cfg(test)]
mod tests;
