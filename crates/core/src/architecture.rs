//! The JSON description of a CNN (see `docs/architecture-format.md`) and the shape of every
//! layer's output, computed before anything is built or trained.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// A CNN: an input shape, a list of layers applied in order, and the number of classes the
/// final dense layer scores.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Architecture {
    /// `[channels, height, width]` of one input image.
    pub input: [usize; 3],
    /// Number of output classes; the last layer must be a dense layer with this many units.
    pub classes: usize,
    /// The layers, first to last. A ReLU follows every layer but pools and the last.
    pub layers: Vec<Layer>,
}

/// One layer of an [`Architecture`], written as `{"conv": {...}}` and so on in JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// A standard 2-D convolution with bias.
    Conv(Conv),
    /// Max pooling over square windows.
    Maxpool(Pool),
    /// A fully connected layer with bias; the feature map is flattened before the first.
    Dense(Dense),
}

/// A convolution's settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conv {
    /// Output channels.
    pub filters: usize,
    /// Side of the square kernel.
    pub kernel: usize,
    /// Step between windows.
    #[serde(default = "one")]
    pub stride: usize,
    /// How borders are handled.
    #[serde(default)]
    pub padding: Padding,
}

/// Border handling of a convolution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Padding {
    /// No padding: `out = floor((in - k) / stride) + 1`.
    #[default]
    Valid,
    /// Zero padding so that `out = ceil(in / stride)`; any odd pixel of padding goes to the
    /// bottom and right, as in TensorFlow.
    Same,
}

/// A pooling layer's settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool {
    /// Side of the square window.
    pub size: usize,
    /// Step between windows: `out = floor((in - size) / stride) + 1`.
    pub stride: usize,
}

/// A dense layer's settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dense {
    /// Output units.
    pub units: usize,
}

fn one() -> usize {
    1
}

/// The shape of the values flowing between two layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A feature map: channels, height, width.
    Map([usize; 3]),
    /// A flat vector of features.
    Flat(usize),
}

impl Shape {
    /// Number of values.
    pub fn elements(&self) -> usize {
        match *self {
            Shape::Map([c, h, w]) => c * h * w,
            Shape::Flat(n) => n,
        }
    }
}

impl Conv {
    /// Output side and the (before, after) zero padding for an input side of `side`, or
    /// `None` when the kernel does not fit.
    pub fn output_side(&self, side: usize) -> Option<(usize, (usize, usize))> {
        match self.padding {
            Padding::Valid => {
                (side >= self.kernel).then(|| ((side - self.kernel) / self.stride + 1, (0, 0)))
            }
            Padding::Same => {
                let out = side.div_ceil(self.stride);
                let total = ((out - 1) * self.stride + self.kernel).saturating_sub(side);
                Some((out, (total / 2, total - total / 2)))
            }
        }
    }
}

impl Architecture {
    /// The fixed network of the walking skeleton: conv 3×3×8 → maxpool 2 → conv 3×3×16 →
    /// maxpool 2 → dense 10, for 28×28 grayscale digits.
    pub fn skeleton() -> Self {
        let conv = |filters| {
            Layer::Conv(Conv {
                filters,
                kernel: 3,
                stride: 1,
                padding: Padding::Valid,
            })
        };
        let pool = || Layer::Maxpool(Pool { size: 2, stride: 2 });
        Architecture {
            input: [1, 28, 28],
            classes: 10,
            layers: vec![
                conv(8),
                pool(),
                conv(16),
                pool(),
                Layer::Dense(Dense { units: 10 }),
            ],
        }
    }

    /// The output shape of every layer, in order, or the first reason the description cannot
    /// be built (a zero size, a window larger than its input, a conv after a dense, a last
    /// layer that is not a dense of `classes` units).
    pub fn output_shapes(&self) -> Result<Vec<Shape>> {
        let bad = |i: usize, why: String| Error::Architecture(format!("layer {i}: {why}"));
        let [c, h, w] = self.input;
        if c == 0 || h == 0 || w == 0 {
            return Err(Error::Architecture(format!(
                "input {:?} has a zero dimension",
                self.input
            )));
        }
        let mut shape = Shape::Map(self.input);
        let mut shapes = Vec::with_capacity(self.layers.len());
        for (i, layer) in self.layers.iter().enumerate() {
            shape = match (layer, shape) {
                (Layer::Conv(conv), Shape::Map([_, h, w])) => {
                    if conv.filters == 0 || conv.kernel == 0 || conv.stride == 0 {
                        return Err(bad(i, "conv filters, kernel and stride must be ≥ 1".into()));
                    }
                    let side = |s| conv.output_side(s).map(|(o, _)| o);
                    match (side(h), side(w)) {
                        (Some(oh), Some(ow)) => Shape::Map([conv.filters, oh, ow]),
                        _ => {
                            return Err(bad(
                                i,
                                format!("{0}×{0} kernel does not fit a {h}×{w} input", conv.kernel),
                            ));
                        }
                    }
                }
                (Layer::Maxpool(pool), Shape::Map([c, h, w])) => {
                    if pool.size == 0 || pool.stride == 0 {
                        return Err(bad(i, "pool size and stride must be ≥ 1".into()));
                    }
                    if pool.size > h || pool.size > w {
                        return Err(bad(
                            i,
                            format!("{0}×{0} pool does not fit a {h}×{w} input", pool.size),
                        ));
                    }
                    let out = |s: usize| (s - pool.size) / pool.stride + 1;
                    Shape::Map([c, out(h), out(w)])
                }
                (Layer::Dense(dense), _) => {
                    if dense.units == 0 {
                        return Err(bad(i, "dense units must be ≥ 1".into()));
                    }
                    Shape::Flat(dense.units)
                }
                (_, Shape::Flat(_)) => {
                    return Err(bad(
                        i,
                        "convolutions and pools cannot follow a dense layer".into(),
                    ));
                }
            };
            shapes.push(shape);
        }
        match self.layers.last() {
            Some(Layer::Dense(d)) if d.units == self.classes => Ok(shapes),
            _ => Err(Error::Architecture(format!(
                "the last layer must be a dense layer with {} units (one per class)",
                self.classes
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skeleton_shapes_follow_valid_conv_and_pool_arithmetic() {
        let shapes = Architecture::skeleton().output_shapes().unwrap();
        assert_eq!(
            shapes,
            vec![
                Shape::Map([8, 26, 26]),
                Shape::Map([8, 13, 13]),
                Shape::Map([16, 11, 11]),
                Shape::Map([16, 5, 5]),
                Shape::Flat(10),
            ]
        );
    }

    #[test]
    fn json_format_round_trips_and_fills_defaults() {
        let json = r#"{"input": [1, 28, 28], "classes": 10, "layers": [
            {"conv": {"filters": 4, "kernel": 5, "stride": 2, "padding": "same"}},
            {"maxpool": {"size": 2, "stride": 2}},
            {"conv": {"filters": 6, "kernel": 3}},
            {"dense": {"units": 10}}]}"#;
        let arch: Architecture = serde_json::from_str(json).unwrap();
        assert_eq!(
            arch.output_shapes().unwrap()[..3],
            [
                Shape::Map([4, 14, 14]),
                Shape::Map([4, 7, 7]),
                Shape::Map([6, 5, 5])
            ]
        );
        let again: Architecture =
            serde_json::from_str(&serde_json::to_string(&arch).unwrap()).unwrap();
        assert_eq!(arch, again);
    }

    #[test]
    fn same_padding_puts_the_odd_pixel_after() {
        let conv = Conv {
            filters: 1,
            kernel: 4,
            stride: 1,
            padding: Padding::Same,
        };
        assert_eq!(conv.output_side(7), Some((7, (1, 2))));
    }

    #[test]
    fn impossible_descriptions_are_explained() {
        let mut arch = Architecture::skeleton();
        arch.input = [1, 4, 4];
        let err = arch.output_shapes().unwrap_err().to_string();
        assert_eq!(
            err,
            "invalid architecture: layer 2: 3×3 kernel does not fit a 1×1 input"
        );
        let mut arch = Architecture::skeleton();
        arch.classes = 5;
        assert!(
            arch.output_shapes()
                .unwrap_err()
                .to_string()
                .contains("5 units")
        );
        let mut arch = Architecture::skeleton();
        arch.layers.insert(4, arch.layers[0].clone());
        arch.layers.swap(4, 5);
        assert!(arch.output_shapes().is_err());
    }
}
