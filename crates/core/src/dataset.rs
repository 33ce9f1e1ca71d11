//! An in-memory image classification dataset, one byte per pixel, held exactly once.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Every `VALIDATION_EVERY`-th training image is held out to score search candidates, by the
/// CLI and the page alike.
pub const VALIDATION_EVERY: usize = 6;

/// Every `TEST_EVERY`-th image of data given without a test split is held out as its test
/// split, by the CLI and the page alike.
pub const TEST_EVERY: usize = 7;

/// The shape of one image: channels, height, width (the layout of its bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageShape {
    /// Colour channels (1 for grayscale).
    pub channels: usize,
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
}

impl ImageShape {
    /// Bytes (values) in one image.
    pub fn len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Whether an image of this shape holds no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Images (u8, channel-height-width order, one after another) and their class labels.
///
/// Training streams batches out of this one copy; nothing else holds the pixels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dataset {
    shape: ImageShape,
    classes: usize,
    pixels: Vec<u8>,
    labels: Vec<u8>,
}

impl Dataset {
    /// Builds a dataset, checking that the pixel buffer holds exactly one image per label.
    /// The class count is one more than the largest label.
    pub fn new(shape: ImageShape, pixels: Vec<u8>, labels: Vec<u8>) -> Result<Self> {
        if labels.is_empty() || shape.is_empty() {
            return Err(Error::Empty);
        }
        if pixels.len() != shape.len() * labels.len() {
            return Err(Error::CountMismatch {
                images: pixels.len() / shape.len(),
                labels: labels.len(),
            });
        }
        let classes = labels.iter().copied().max().map_or(0, |m| m as usize + 1);
        Ok(Self {
            shape,
            classes,
            pixels,
            labels,
        })
    }

    /// This dataset counting `classes` classes (a part of a larger set may lack its last
    /// classes), or `None` if a label is not below `classes`.
    pub fn with_classes(mut self, classes: usize) -> Option<Self> {
        (classes >= self.classes).then(|| {
            self.classes = classes;
            self
        })
    }

    /// The shape of every image.
    pub fn shape(&self) -> ImageShape {
        self.shape
    }

    /// Number of classes (largest label + 1).
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no examples (never true for a constructed dataset).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The pixels of example `index`.
    ///
    /// # Panics
    /// If `index >= self.len()`.
    pub fn image(&self, index: usize) -> &[u8] {
        let n = self.shape.len();
        &self.pixels[index * n..(index + 1) * n]
    }

    /// The label of example `index`.
    ///
    /// # Panics
    /// If `index >= self.len()`.
    pub fn label(&self, index: usize) -> u8 {
        self.labels[index]
    }

    /// All pixels, image after image (each `shape().len()` bytes, channel-first).
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// All labels, in order.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// How many examples each class has, indexed by class.
    pub fn label_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for &l in &self.labels {
            counts[l as usize] += 1;
        }
        counts
    }

    /// Splits off every `every`-th example (the `every`-th, the `2·every`-th, …) as a held-out
    /// set: `(kept, held_out)`, both with this dataset's class count.
    pub fn hold_out(&self, every: usize) -> (Dataset, Dataset) {
        let every = every.max(2);
        let (mut kept, mut held) = (self.empty_like(), self.empty_like());
        for i in 0..self.len() {
            let target = if (i + 1) % every == 0 {
                &mut held
            } else {
                &mut kept
            };
            target.pixels.extend_from_slice(self.image(i));
            target.labels.push(self.labels[i]);
        }
        (kept, held)
    }

    /// A checksum of the shape, class count, labels and pixels: equal for the same data,
    /// different (but for a 1 in 4 billion chance) for any other, so a resumed run can tell
    /// that it is given the data it started on.
    pub fn fingerprint(&self) -> u32 {
        let mut hasher = crc32fast::Hasher::new();
        let s = self.shape;
        for n in [s.channels, s.height, s.width, self.classes, self.len()] {
            hasher.update(&(n as u64).to_le_bytes());
        }
        hasher.update(&self.labels);
        hasher.update(&self.pixels);
        hasher.finalize()
    }

    fn empty_like(&self) -> Dataset {
        Dataset {
            shape: self.shape,
            classes: self.classes,
            pixels: Vec::new(),
            labels: Vec::new(),
        }
    }

    /// The first `n` examples (all of them when `n >= len`), as a new dataset with the same
    /// class count; used for quick runs and tests.
    pub fn head(&self, n: usize) -> Dataset {
        let n = n.min(self.len()).max(1);
        Dataset {
            shape: self.shape,
            classes: self.classes,
            pixels: self.pixels[..n * self.shape.len()].to_vec(),
            labels: self.labels[..n].to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPE: ImageShape = ImageShape {
        channels: 1,
        height: 2,
        width: 2,
    };

    #[test]
    fn indexes_images_and_counts_classes() {
        let d = Dataset::new(SHAPE, (0..12).collect(), vec![2, 0, 2]).unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(d.classes(), 3);
        assert_eq!(d.image(1), &[4, 5, 6, 7]);
        assert_eq!(d.label_counts(), vec![1, 0, 2]);
        assert_eq!(d.head(2).len(), 2);
        assert_eq!(d.head(2).classes(), 3);
        let (kept, held) = d.hold_out(3);
        assert_eq!(kept.labels(), &[2, 0]);
        assert_eq!(held.labels(), &[2]);
        assert_eq!(held.image(0), &[8, 9, 10, 11]);
        assert_eq!(held.classes(), 3);
    }

    #[test]
    fn a_fingerprint_changes_with_any_pixel_label_or_shape() {
        let d = Dataset::new(SHAPE, (0..12).collect(), vec![2, 0, 2]).unwrap();
        let same = Dataset::new(SHAPE, (0..12).collect(), vec![2, 0, 2]).unwrap();
        assert_eq!(d.fingerprint(), same.fingerprint());
        let mut pixels: Vec<u8> = (0..12).collect();
        pixels[11] = 0;
        let others = [
            Dataset::new(SHAPE, pixels, vec![2, 0, 2]).unwrap(),
            Dataset::new(SHAPE, (0..12).collect(), vec![2, 1, 2]).unwrap(),
            Dataset::new(
                ImageShape {
                    channels: 1,
                    height: 1,
                    width: 4,
                },
                (0..12).collect(),
                vec![2, 0, 2],
            )
            .unwrap(),
            d.head(2),
        ];
        for other in others {
            assert_ne!(d.fingerprint(), other.fingerprint());
        }
    }

    #[test]
    fn rejects_pixels_that_do_not_match_labels() {
        let err = Dataset::new(SHAPE, vec![0; 7], vec![0, 1]).unwrap_err();
        assert_eq!(
            err,
            Error::CountMismatch {
                images: 1,
                labels: 2
            }
        );
        assert_eq!(Dataset::new(SHAPE, vec![], vec![]), Err(Error::Empty));
    }
}
