//! What the search asks for and is told: a candidate network to train, what training measured,
//! and the two together as a trial.

use serde::{Deserialize, Serialize};
use sparse_core::TrialRecord;
use sparse_core::cost::{Budget, FlashMeasure, cost};
use sparse_core::latency::Workload;
use sparse_core::space::{Genome, MorphKind};

/// A network to train: its genome, and for a morphed child its parent and the parent layer
/// each of its layers inherits weights from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Unique, increasing.
    pub id: u64,
    /// Architecture and pruning settings.
    pub genome: Genome,
    /// The candidate this one was morphed from.
    pub parent: Option<u64>,
    /// Per child layer, the parent layer to inherit from (empty without a parent).
    pub inherits_from: Vec<Option<usize>>,
    /// Epochs this trial trains.
    #[serde(default)]
    pub epochs: usize,
    /// Epochs its network will have trained in all: with those of the trials it continues.
    #[serde(default)]
    pub total_epochs: usize,
    /// Epochs the weights a morphed child inherits had trained (its parent's, in all), carried
    /// down its continuations; 0 for a sampled network. See [`Candidate::fidelity_epochs`].
    #[serde(default)]
    pub inherited_epochs: usize,
    /// Whether it trains its parent's network on as it is (a promotion or a fine-tune: the
    /// parent's pruned architecture and every weight), rather than a morphed child.
    #[serde(default)]
    pub continues: bool,
    /// For a morphed child, the morphism that made it (none for a sampled network or a
    /// continuation, and in searches saved before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub morph: Option<MorphKind>,
}

impl Candidate {
    /// Epochs its network's weights will embody: its own in all, and those of the weights it
    /// inherited. Trials are compared (ranked for promotion, carried to full training for the
    /// optimizers) at the rung this reaches.
    pub fn fidelity_epochs(&self) -> usize {
        self.total_epochs + self.inherited_epochs
    }
}

/// What training a candidate measured, all to be minimised but accuracy.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Objectives {
    /// Validation accuracy in [0, 1].
    pub val_accuracy: f64,
    /// Model size after pruning (bytes).
    pub model_size_bytes: u64,
    /// Working memory after pruning (bytes).
    pub working_memory_bytes: u64,
    /// Multiply-accumulates per image.
    pub macs: u64,
    /// The export's flash after pruning, where known (for budgets on the export's flash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flash_bytes: Option<u64>,
    /// What the C kernels do per image after pruning, where known (for latency bounds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work: Option<Workload>,
}

impl Objectives {
    /// Whether the trained, pruned network fits `budget` (a candidate is asked when its
    /// pruning promises to fit; whether it did is known only now).
    pub fn fits(&self, budget: Budget) -> bool {
        let flash = match budget.flash_measure {
            FlashMeasure::ModelSize => Some(self.model_size_bytes),
            FlashMeasure::Export => self.flash_bytes,
        };
        let latency = budget
            .latency
            .zip(self.work)
            .is_none_or(|(bound, work)| bound.allows(&work));
        flash.is_none_or(|f| f <= budget.flash_bytes)
            && self.working_memory_bytes <= budget.sram_bytes
            && latency
    }

    /// The objectives as the search compares them, all to be minimised: validation error,
    /// model size / flash budget, working memory / SRAM budget.
    pub fn normalised(&self, budget: Budget) -> Vec<f64> {
        vec![
            1.0 - self.val_accuracy,
            self.model_size_bytes as f64 / budget.flash_bytes.max(1) as f64,
            self.working_memory_bytes as f64 / budget.sram_bytes.max(1) as f64,
        ]
    }
}

/// The result of a trial. A trained one carries its workload (about 250 bytes in all): there
/// is one per trial, and boxing it would cost [`Objectives`] its `Copy`.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Outcome {
    /// Trained and measured.
    Trained(Objectives),
    /// Training failed (diverged, crashed); never stops the search.
    Failed {
        /// Why, in words.
        reason: String,
    },
}

impl Outcome {
    /// What a trial's record tells the search: its measures if it trained, else its failure.
    pub fn of_record(record: &TrialRecord) -> Self {
        let measured = (
            record.val_accuracy,
            record.model_size_bytes,
            record.working_memory_bytes,
            record.macs,
        );
        match measured {
            (
                Some(val_accuracy),
                Some(model_size_bytes),
                Some(working_memory_bytes),
                Some(macs),
            ) if record.is_trained() => {
                let cost = cost(&record.architecture).ok();
                Outcome::Trained(Objectives {
                    val_accuracy,
                    model_size_bytes,
                    working_memory_bytes,
                    macs,
                    flash_bytes: cost.as_ref().map(|r| r.flash_bytes),
                    work: cost.map(|r| r.workload),
                })
            }
            _ => Outcome::Failed {
                reason: record
                    .reason
                    .clone()
                    .unwrap_or_else(|| "no measures recorded".into()),
            },
        }
    }
    /// Whether the trial trained and its pruned network fits `budget`: what may join the
    /// Pareto front.
    pub fn fits(&self, budget: Budget) -> bool {
        matches!(self, Outcome::Trained(o) if o.fits(budget))
    }
}

/// A candidate and, once told, its outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    /// What was asked.
    pub candidate: Candidate,
    /// What was told (`None` while in flight).
    pub outcome: Option<Outcome>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use sparse_core::Architecture;
    use sparse_core::latency::{CoreFamily, LatencyBound};

    #[test]
    fn a_trained_network_fits_a_latency_bound_by_its_pruned_workload() {
        let architecture: Architecture = serde_json::from_str(
            r#"{"input":[1,28,28],"classes":10,"layers":[
                {"conv":{"filters":2,"kernel":3,"stride":2,"padding":"same"}},
                {"dense":{"units":10,"density":0.5}}]}"#,
        )
        .unwrap();
        let mut record = TrialRecord::failed(0, architecture.clone(), None, String::new());
        record.status = "trained".into();
        (record.val_accuracy, record.model_size_bytes) = (Some(0.9), Some(100));
        (record.working_memory_bytes, record.macs) = (Some(100), Some(1000));
        let outcome = Outcome::of_record(&record);
        let load = cost(&architecture).unwrap().workload;
        let bound = |max_us| LatencyBound {
            core: CoreFamily::CortexM0,
            clock_hz: 16_000_000,
            max_us,
        };
        let needed = bound(0).microseconds(&load);
        let budget = Budget::new(10_000, 10_000);
        assert!(outcome.fits(budget));
        assert!(outcome.fits(budget.with_latency(bound(needed))));
        assert!(!outcome.fits(budget.with_latency(bound(needed - 1))));
    }
}
