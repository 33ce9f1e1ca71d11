//! Knowledge distillation (Hinton, Vinyals, Dean 2015): a larger teacher network, trained once
//! per dataset and bound by no budget, gives every training image a softened class
//! distribution; candidates then learn from a mix of the labels and those soft targets. The
//! targets are computed once (a few bytes per image and class) and shared read-only by every
//! trial, so a step costs one more softmax, not a teacher forward pass.

use crate::batch::batch_tensors;
use crate::{Error, Network, Result};
use candle_core::{D, DType, Device, Tensor};
use candle_nn::ops::log_softmax;
use sparse_core::Dataset;
use sparse_core::architecture::{Architecture, Conv, Dense, Layer, Padding, Pool};
use std::ops::Range;

/// Epochs a search's teacher trains (the CLI's and the page's).
pub const TEACHER_EPOCHS: usize = 3;

/// How a student learns from its teacher.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Distillation {
    /// Share of the loss given to the soft targets, in [0, 1] (the rest to the labels).
    pub weight: f64,
    /// Softmax temperature of both teacher and student in the soft term (scaled back by its
    /// square, so its gradients keep their size).
    pub temperature: f64,
}

impl Default for Distillation {
    /// Half labels, half teacher, at temperature 2.
    fn default() -> Self {
        Self {
            weight: 0.5,
            temperature: 2.0,
        }
    }
}

/// A teacher's class probabilities at a temperature, for every image of one training set.
#[derive(Clone, Debug, PartialEq)]
pub struct SoftTargets {
    classes: usize,
    temperature: f64,
    /// Row-major `[images, classes]`.
    probabilities: Vec<f32>,
}

impl SoftTargets {
    /// `teacher`'s probabilities at `temperature` for every image of `data`.
    pub fn of(teacher: &Network, data: &Dataset, temperature: f64) -> Result<Self> {
        let probabilities = Self::probabilities(teacher, data, 0..data.len(), temperature)?;
        Self::from_probabilities(teacher.architecture().classes, temperature, probabilities)
    }

    /// `teacher`'s probabilities at `temperature` for the images `range` of `data` (cut to
    /// its length), row by row: a large set's targets can be computed a part at a time (the
    /// page's worker does, reporting between parts) and joined by
    /// [`SoftTargets::from_probabilities`].
    pub fn probabilities(
        teacher: &Network,
        data: &Dataset,
        range: Range<usize>,
        temperature: f64,
    ) -> Result<Vec<f32>> {
        let device = Device::Cpu;
        let indices: Vec<usize> =
            (range.start.min(data.len())..range.end.min(data.len())).collect();
        let mut probabilities = Vec::with_capacity(indices.len() * teacher.architecture().classes);
        for chunk in indices.chunks(500) {
            let (x, _) = batch_tensors(data, chunk, &device)?;
            let softened = (teacher.forward(&x)?.detach() / temperature)?;
            probabilities.extend(
                candle_nn::ops::softmax(&softened, D::Minus1)?
                    .to_dtype(DType::F32)?
                    .flatten_all()?
                    .to_vec1::<f32>()?,
            );
        }
        Ok(probabilities)
    }

    /// Targets given as probabilities (`classes` per image), already at `temperature`.
    pub fn from_probabilities(
        classes: usize,
        temperature: f64,
        probabilities: Vec<f32>,
    ) -> Result<Self> {
        let whole_rows = classes > 0 && probabilities.len().is_multiple_of(classes);
        if !whole_rows || temperature.is_nan() || temperature <= 0.0 {
            return Err(Error::Teacher(format!(
                "{} probabilities are not whole rows of {classes} classes at temperature {temperature}",
                probabilities.len()
            )));
        }
        Ok(Self {
            classes,
            temperature,
            probabilities,
        })
    }

    /// Images covered.
    pub fn len(&self) -> usize {
        self.probabilities.len() / self.classes
    }

    /// Whether no image is covered.
    pub fn is_empty(&self) -> bool {
        self.probabilities.is_empty()
    }

    /// Classes per image.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Every image's probabilities, row after row (`classes()` each), as
    /// [`SoftTargets::from_probabilities`] takes them.
    pub fn rows(&self) -> &[f32] {
        &self.probabilities
    }

    /// The temperature the probabilities were softened at.
    pub fn temperature(&self) -> f64 {
        self.temperature
    }

    /// The targets of the images at `indices` as a `[n, classes]` tensor.
    pub(crate) fn batch(&self, indices: &[usize], device: &Device) -> Result<Tensor> {
        let mut rows = Vec::with_capacity(indices.len() * self.classes);
        for &i in indices {
            rows.extend_from_slice(&self.probabilities[i * self.classes..(i + 1) * self.classes]);
        }
        Ok(Tensor::from_vec(
            rows,
            (indices.len(), self.classes),
            device,
        )?)
    }
}

/// The soft term: cross-entropy of the student's softened distribution against the targets,
/// times the temperature squared, averaged over the batch. With one-hot targets at
/// temperature 1 it is exactly the usual cross-entropy.
pub(crate) fn soft_cross_entropy(
    logits: &Tensor,
    targets: &Tensor,
    temperature: f64,
) -> Result<Tensor> {
    let log_p = log_softmax(&(logits / temperature)?, D::Minus1)?;
    let per_image = (targets.to_dtype(log_p.dtype())? * log_p)?.sum(D::Minus1)?;
    let scale = -temperature * temperature;
    Ok((per_image.mean_all()? * scale)?)
}

/// The teacher for images of `input` (`[channels, height, width]`) and `classes`: two 3×3
/// convolutions of 16 and 32 filters, each followed by a 2×2 max pool while the map is large
/// enough, a dense layer of 64 and the classifier (about 100 K parameters on MNIST, no budget).
pub fn teacher_architecture(input: [usize; 3], classes: usize) -> Architecture {
    let mut layers = Vec::new();
    let mut side = input[1].min(input[2]);
    for filters in [16, 32] {
        layers.push(Layer::Conv(Conv {
            filters,
            kernel: 3,
            stride: 1,
            padding: Padding::Same,
            density: None,
        }));
        if side >= 4 {
            layers.push(Layer::Maxpool(Pool { size: 2, stride: 2 }));
            side /= 2;
        }
    }
    for units in [64, classes] {
        layers.push(Layer::Dense(Dense {
            units,
            density: None,
        }));
    }
    Architecture {
        input,
        classes,
        layers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_hot_targets_at_temperature_one_are_the_usual_cross_entropy() {
        let device = Device::Cpu;
        let logits = Tensor::new(&[[2.0f32, -1.0, 0.5], [0.1, 0.2, 3.0]], &device).unwrap();
        let labels = Tensor::new(&[2u32, 2], &device).unwrap();
        let one_hot = Tensor::new(&[[0.0f32, 0.0, 1.0], [0.0, 0.0, 1.0]], &device).unwrap();
        let usual = candle_nn::loss::cross_entropy(&logits, &labels)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        let soft = soft_cross_entropy(&logits, &one_hot, 1.0)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!((usual - soft).abs() < 1e-6, "{usual} vs {soft}");
        // Hotter, the student's distribution flattens and the term changes.
        let hot = soft_cross_entropy(&logits, &one_hot, 4.0)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!((hot - soft).abs() > 1e-3);
    }

    #[test]
    fn targets_must_be_whole_rows() {
        assert!(SoftTargets::from_probabilities(3, 1.0, vec![0.5; 7]).is_err());
        assert!(SoftTargets::from_probabilities(3, 0.0, vec![0.5; 6]).is_err());
        let t = SoftTargets::from_probabilities(3, 2.0, vec![0.5; 6]).unwrap();
        assert_eq!((t.len(), t.classes(), t.temperature()), (2, 3, 2.0));
    }

    #[test]
    fn targets_computed_in_parts_equal_targets_computed_at_once() {
        let shape = sparse_core::ImageShape {
            channels: 1,
            height: 6,
            width: 6,
        };
        let pixels = (0..7 * 36).map(|i| (i * 37 % 256) as u8).collect();
        let data = Dataset::new(shape, pixels, vec![0, 1, 2, 0, 1, 2, 0]).unwrap();
        let teacher = Network::new(&teacher_architecture([1, 6, 6], 3), 3, &Device::Cpu).unwrap();
        let whole = SoftTargets::of(&teacher, &data, 2.0).unwrap();
        let mut parts = SoftTargets::probabilities(&teacher, &data, 0..4, 2.0).unwrap();
        parts.extend(SoftTargets::probabilities(&teacher, &data, 4..100, 2.0).unwrap());
        assert_eq!(
            SoftTargets::from_probabilities(3, 2.0, parts).unwrap(),
            whole
        );
        assert_eq!(whole.len(), 7);
        let row_sums: Vec<f32> = whole
            .probabilities
            .chunks(3)
            .map(|r| r.iter().sum())
            .collect();
        assert!(
            row_sums.iter().all(|s| (s - 1.0).abs() < 1e-5),
            "{row_sums:?}"
        );
    }

    #[test]
    fn the_teacher_fits_any_image_size() {
        for (input, classes) in [([1, 28, 28], 10), ([3, 8, 8], 2), ([1, 3, 3], 4)] {
            let arch = teacher_architecture(input, classes);
            assert!(arch.output_shapes().is_ok(), "{input:?}");
            assert_eq!(arch.classes, classes);
        }
    }
}
