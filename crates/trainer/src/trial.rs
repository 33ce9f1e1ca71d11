//! One search trial's training, shared by the CLI and the page's workers: build the candidate,
//! start from its parent's weights, train with its pruning settings, then measure what the
//! search is told and the user is shown. Timing is the caller's (wasm has no clock here).

use crate::trainer::predict;
use crate::{BatchReport, Error, Network, Result, TrainConfig, Trainer, evaluate, quantize};
use serde::{Deserialize, Serialize};
use sparse_core::cost::{CostReport, cost};
use sparse_core::quant::QuantModel;
use sparse_core::{Architecture, Dataset, TrialRecord};

/// Training images whose activations set the int8 model's ranges, in every trial and in the
/// page's own training.
pub const CALIBRATION_IMAGES: usize = 1000;

/// What a finished trial measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrialMeasures {
    /// The architecture after pruning (layer densities, channels Bayesian Compression kept).
    pub architecture: Architecture,
    /// The cost model's figures for that architecture.
    pub costs: CostReport,
    /// Accuracy on the held-out validation images (what the search optimises).
    pub val_accuracy: f64,
    /// Accuracy on the test split.
    pub test_accuracy: f64,
    /// Accuracy of the int8 model (integer arithmetic only) on the test split.
    pub int8_test_accuracy: f64,
    /// Test images by true class (rows) and predicted class (columns).
    pub confusion: Vec<Vec<u32>>,
    /// The int8 model (its architecture the pruned one), what the C export compiles.
    pub int8: QuantModel,
}

impl TrialMeasures {
    /// The record of trial `id` (morphed from `parent`) that measured this.
    pub fn record(&self, id: u64, parent: Option<u64>, train_seconds: f64) -> TrialRecord {
        TrialRecord {
            id,
            architecture: self.architecture.clone(),
            parent,
            status: "trained".into(),
            reason: None,
            val_accuracy: Some(self.val_accuracy),
            test_accuracy: Some(self.test_accuracy),
            int8_test_accuracy: Some(self.int8_test_accuracy),
            model_size_bytes: Some(self.costs.model_size_bytes),
            working_memory_bytes: Some(self.costs.working_memory_bytes),
            macs: Some(self.costs.macs),
            epochs: None,
            train_seconds,
            search_seconds: None,
            hypervolume: 0.0,
        }
    }
}

/// A candidate in training.
pub struct TrialRun {
    trainer: Trainer,
}

impl TrialRun {
    /// Builds `architecture` for `train` with `config` (its pruning settings included) and, if
    /// given, copies the weights of `parent` along `inherits_from` (child layer `i` from
    /// parent layer `inherits_from[i]`).
    pub fn new(
        architecture: &Architecture,
        train: &Dataset,
        config: TrainConfig,
        parent: Option<(&Network, &[Option<usize>])>,
    ) -> Result<Self> {
        let trainer = Trainer::new(architecture, train, config)?;
        if let Some((parent, inherits_from)) = parent {
            trainer.network().inherit_from(parent, inherits_from)?;
            // The fresh layers are centred again on what the inherited ones now feed them.
            let fresh: Vec<bool> = inherits_from.iter().map(Option::is_none).collect();
            trainer.initialise_from_data(train, &fresh)?;
        }
        Ok(Self { trainer })
    }

    /// Trains `parent` on as it is, `config.epochs` more (a promotion or a fine-tune): its
    /// architecture as trained (Bayesian Compression's smaller layers included) and every
    /// weight, with `config`'s pruning set up afresh on them.
    pub fn continuing(parent: &Network, train: &Dataset, config: TrainConfig) -> Result<Self> {
        let layers = parent.architecture().layers.len();
        let every_layer: Vec<Option<usize>> = (0..layers).map(Some).collect();
        Self::new(
            parent.architecture(),
            train,
            config,
            Some((parent, &every_layer)),
        )
    }

    /// Learns from a teacher's soft targets for `train` as well as from its labels (see
    /// [`Trainer::distil_from`]).
    pub fn distil_from(
        &mut self,
        targets: std::sync::Arc<crate::SoftTargets>,
        weight: f64,
    ) -> Result<()> {
        self.trainer.distil_from(targets, weight)
    }

    /// Trains one batch of `train`; `None` once every epoch has run.
    pub fn step(&mut self, train: &Dataset) -> Result<Option<BatchReport>> {
        self.trainer.step(train)
    }

    /// Whether training is over.
    pub fn is_done(&self) -> bool {
        self.trainer.is_done()
    }

    /// Trains to the end without pausing.
    pub fn train_to_end(&mut self, train: &Dataset) -> Result<()> {
        while self.step(train)?.is_some() {}
        Ok(())
    }

    /// Scores the trained network (float on `validation` and `test`, int8 calibrated on
    /// `train` and scored on `test`) and hands it over with the measures.
    pub fn finish(
        self,
        train: &Dataset,
        validation: &Dataset,
        test: &Dataset,
    ) -> Result<(TrialMeasures, Network)> {
        // An accuracy over no images is NaN, which a search would take for a score.
        for (split, data) in [("validation", validation), ("test", test)] {
            if data.is_empty() {
                return Err(Error::NothingToScore(split));
            }
        }
        let architecture = self.trainer.pruned_architecture()?;
        let costs = cost(&architecture)?;
        let network = self.trainer.into_network();
        let classes = architecture.classes;
        let mut confusion = vec![vec![0u32; classes]; classes];
        for (i, predicted) in predict(&network, test)?.into_iter().enumerate() {
            if let Some(row) = confusion.get_mut(test.label(i) as usize) {
                row[(predicted as usize).min(classes - 1)] += 1;
            }
        }
        let correct: u32 = (0..classes).map(|c| confusion[c][c]).sum();
        let mut int8 = quantize(&network, train, CALIBRATION_IMAGES)?;
        int8.architecture = architecture.clone();
        let measures = TrialMeasures {
            val_accuracy: evaluate(&network, validation)?,
            test_accuracy: f64::from(correct) / test.len().max(1) as f64,
            confusion,
            int8_test_accuracy: int8.accuracy(test),
            int8,
            architecture,
            costs,
        };
        Ok((measures, network))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sparse_core::ImageShape;

    /// Two classes a network tells apart at once: bright top half or bright bottom half.
    fn halves(n: usize) -> Dataset {
        let mut pixels = Vec::new();
        let mut labels = Vec::new();
        for i in 0..n {
            let label = (i % 2) as u8;
            for row in 0..8 {
                let bright = (row < 4) == (label == 0);
                pixels.extend(std::iter::repeat_n(if bright { 200 } else { 10 }, 8));
            }
            labels.push(label);
        }
        let shape = ImageShape {
            channels: 1,
            height: 8,
            width: 8,
        };
        Dataset::new(shape, pixels, labels).unwrap()
    }

    fn arch(filters: usize) -> Architecture {
        serde_json::from_str(&format!(
            r#"{{"input":[1,8,8],"classes":2,"layers":[
                {{"conv":{{"filters":{filters},"kernel":3}}}},{{"dense":{{"units":2}}}}]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn a_trial_trains_measures_and_hands_on_its_network() {
        let data = halves(64);
        let config = TrainConfig {
            epochs: 3,
            batch_size: 8,
            ..TrainConfig::default()
        };
        let mut run = TrialRun::new(&arch(2), &data, config.clone(), None).unwrap();
        run.train_to_end(&data).unwrap();
        assert!(run.is_done());
        let (measures, parent) = run.finish(&data, &data, &data).unwrap();
        assert_eq!(measures.val_accuracy, 1.0);
        assert_eq!(measures.int8_test_accuracy, 1.0);
        assert_eq!(measures.costs, cost(&measures.architecture).unwrap());
        assert_eq!(measures.confusion, vec![vec![32, 0], vec![0, 32]]);
        assert_eq!(measures.int8.architecture, measures.architecture);
        measures.int8.check().unwrap();
        // A child that inherits every layer starts where the parent ended.
        let child = TrialRun::new(
            &arch(2),
            &data,
            config,
            Some((&parent, &[Some(0), Some(1)])),
        )
        .unwrap();
        let (start, _) = child.finish(&data, &data, &data).unwrap();
        assert_eq!(start.val_accuracy, 1.0);
    }

    #[test]
    fn a_trial_with_no_image_to_score_on_fails_instead_of_scoring_nan() {
        let data = halves(64);
        let (_, none) = data.head(4).hold_out(6);
        assert!(none.is_empty());
        let config = TrainConfig {
            batch_size: 8,
            ..TrainConfig::default()
        };
        for (validation, test, split) in [(&none, &data, "validation"), (&data, &none, "test")] {
            let mut run = TrialRun::new(&arch(2), &data, config.clone(), None).unwrap();
            run.train_to_end(&data).unwrap();
            let Err(error) = run.finish(&data, validation, test) else {
                panic!("scored on an empty {split} split");
            };
            assert_eq!(
                error.to_string(),
                format!("there are no {split} images to score the trial on")
            );
        }
    }

    #[test]
    fn a_continued_trial_starts_from_every_weight_of_its_parent_as_trained() {
        let data = halves(64);
        let config = TrainConfig {
            epochs: 2,
            batch_size: 8,
            ..TrainConfig::default()
        };
        let mut run = TrialRun::new(&arch(3), &data, config.clone(), None).unwrap();
        run.train_to_end(&data).unwrap();
        let (_, parent) = run.finish(&data, &data, &data).unwrap();
        // Bayesian Compression may hand on a narrower network than the genome's: the
        // continuation trains that one, not the genome's width.
        let narrower = crate::Network::from_float_model(&sparse_core::FloatModel {
            architecture: arch(2),
            layers: parent
                .float_layers()
                .unwrap()
                .into_iter()
                .map(|layer| match layer {
                    sparse_core::quant::FloatLayer::Weighted(mut t) => {
                        let rows = t.bias.len().min(2);
                        if t.weight.len() == 3 * 9 {
                            t.weight.truncate(rows * 9);
                            t.bias.truncate(rows);
                        } else {
                            // The dense layer reads 3 channels of 6×6; keep the first 2.
                            let per_unit = t.weight.len() / 2;
                            t.weight = (0..2)
                                .flat_map(|u| {
                                    t.weight[u * per_unit..u * per_unit + 2 * 36].to_vec()
                                })
                                .collect();
                        }
                        sparse_core::quant::FloatLayer::Weighted(t)
                    }
                    other => other,
                })
                .collect(),
        })
        .unwrap();
        let standing = TrialRun::continuing(
            &narrower,
            &data,
            TrainConfig {
                epochs: 0,
                ..config.clone()
            },
        )
        .unwrap();
        assert_eq!(standing.trainer.network().architecture(), &arch(2));
        assert_eq!(
            standing.trainer.network().float_layers().unwrap(),
            narrower.float_layers().unwrap(),
            "no layer was re-initialised"
        );
        let mut more = TrialRun::continuing(&parent, &data, config).unwrap();
        more.train_to_end(&data).unwrap();
        let (measures, _) = more.finish(&data, &data, &data).unwrap();
        assert_eq!(measures.val_accuracy, 1.0);
    }
}
