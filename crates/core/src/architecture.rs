//! The JSON description of a CNN (see `docs/architecture-format.md`) and its validation: the
//! shape of every layer's output, computed before anything is built or trained, or the first
//! reason the description cannot be built, naming the layer.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// The largest channel count, filter count, spatial side or class count accepted: far beyond
/// any microcontroller, small enough that no cost computation can overflow.
pub const MAX_SIZE: usize = 1 << 16;
/// The largest dense layer accepted.
pub const MAX_UNITS: usize = 1 << 20;
/// The largest kernel, pool window or stride accepted.
pub const MAX_KERNEL: usize = 64;
/// The most values any activation (the input included) may hold: 64 Mi, far beyond any
/// microcontroller, and small enough that every cost fits in a u64.
pub const MAX_VALUES: usize = 1 << 26;

/// A CNN: an input shape, a list of layers applied in order, and the number of classes the
/// final dense layer scores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Architecture {
    /// `[channels, height, width]` of one input image.
    pub input: [usize; 3],
    /// Number of output classes; the last layer must be a dense layer with this many units.
    pub classes: usize,
    /// The layers, first to last. A ReLU follows every layer but pools and the last.
    pub layers: Vec<Layer>,
}

/// One layer of an [`Architecture`], written as `{"conv": {...}}` and so on in JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// A standard 2-D convolution with bias.
    Conv(Conv),
    /// Depthwise-separable: a depthwise k×k convolution (one filter per input channel, with
    /// bias) then a pointwise 1×1 convolution to `filters` (with bias), no ReLU between.
    Dwconv(Conv),
    /// Max pooling over square windows.
    Maxpool(Pool),
    /// Average pooling over square windows.
    Avgpool(Pool),
    /// A fully connected layer with bias; the feature map is flattened before the first.
    Dense(Dense),
}

/// A convolution's settings (standard or depthwise-separable).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// Fraction of the weights left non-zero by unstructured pruning, in (0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub density: Option<f64>,
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
#[serde(deny_unknown_fields)]
pub struct Pool {
    /// Side of the square window.
    pub size: usize,
    /// Step between windows: `out = floor((in - size) / stride) + 1`.
    pub stride: usize,
}

/// A dense layer's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dense {
    /// Output units.
    pub units: usize,
    /// Fraction of the weights left non-zero by unstructured pruning, in (0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub density: Option<f64>,
}

fn one() -> usize {
    1
}

/// The shape of the values flowing between two layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Shape {
    /// A feature map: channels, height, width.
    Map([usize; 3]),
    /// A flat vector of features.
    Flat([usize; 1]),
}

impl Shape {
    /// `[c, h, w]`: a map's dimensions, or a flat vector's as `[n, 1, 1]`.
    pub fn dims(&self) -> [usize; 3] {
        match *self {
            Shape::Map(d) => d,
            Shape::Flat([n]) => [n, 1, 1],
        }
    }

    /// Number of values (of a validated shape, which never exceeds [`MAX_VALUES`]).
    pub fn elements(&self) -> usize {
        self.values() as usize
    }

    /// Number of values, computed without overflow on 32-bit targets.
    fn values(&self) -> u64 {
        match *self {
            Shape::Map(dims) => dims.iter().map(|&d| d as u64).product(),
            Shape::Flat([n]) => n as u64,
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

impl Layer {
    /// A short human name such as `conv 3×3×8` or `maxpool 2×2`, for messages.
    pub fn describe(&self) -> String {
        match self {
            Layer::Conv(c) => format!("conv {0}×{0}×{1}", c.kernel, c.filters),
            Layer::Dwconv(c) => format!("dwconv {0}×{0}×{1}", c.kernel, c.filters),
            Layer::Maxpool(p) => format!("maxpool {0}×{0}", p.size),
            Layer::Avgpool(p) => format!("avgpool {0}×{0}", p.size),
            Layer::Dense(d) => format!("dense {}", d.units),
        }
    }

    /// The layer's kind as written in JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Layer::Conv(_) => "conv",
            Layer::Dwconv(_) => "dwconv",
            Layer::Maxpool(_) => "maxpool",
            Layer::Avgpool(_) => "avgpool",
            Layer::Dense(_) => "dense",
        }
    }

    /// The unstructured-pruning density, 1 where none is given or the layer has no weights.
    pub fn density(&self) -> f64 {
        self.density_setting().unwrap_or(1.0)
    }

    /// Sets the unstructured-pruning density of a conv, dwconv or dense layer (`None`: every
    /// weight kept); a pool has none to set.
    pub fn set_density(&mut self, density: Option<f64>) {
        match self {
            Layer::Conv(c) | Layer::Dwconv(c) => c.density = density,
            Layer::Dense(d) => d.density = density,
            Layer::Maxpool(_) | Layer::Avgpool(_) => {}
        }
    }

    /// Whether the layer is a pool (no parameters, no ReLU after it).
    pub fn is_pool(&self) -> bool {
        matches!(self, Layer::Maxpool(_) | Layer::Avgpool(_))
    }
}

/// Checks a size against (0, max], for messages such as "filters must be from 1 to 65536".
fn check_size(what: &str, value: usize, max: usize) -> std::result::Result<(), String> {
    if value == 0 || value > max {
        Err(format!("{what} must be from 1 to {max}, not {value}"))
    } else {
        Ok(())
    }
}

/// The output shape of one layer given its input shape, or why it cannot be built.
fn layer_output(layer: &Layer, input: Shape) -> std::result::Result<Shape, String> {
    if let Some(d) = layer.density_setting()
        && !(d > 0.0 && d <= 1.0)
    {
        return Err(format!("density must be in (0, 1], not {d}"));
    }
    match (layer, input) {
        (Layer::Conv(conv) | Layer::Dwconv(conv), Shape::Map([_, h, w])) => {
            check_size("filters", conv.filters, MAX_SIZE)?;
            check_size("kernel", conv.kernel, MAX_KERNEL)?;
            check_size("stride", conv.stride, MAX_KERNEL)?;
            match (conv.output_side(h), conv.output_side(w)) {
                (Some((oh, _)), Some((ow, _))) => Ok(Shape::Map([conv.filters, oh, ow])),
                _ => Err(format!("gets a {h}×{w} input, smaller than its kernel")),
            }
        }
        (Layer::Maxpool(pool) | Layer::Avgpool(pool), Shape::Map([c, h, w])) => {
            check_size("size", pool.size, MAX_KERNEL)?;
            check_size("stride", pool.stride, MAX_KERNEL)?;
            if pool.size > h || pool.size > w {
                return Err(format!("gets a {h}×{w} input, smaller than its window"));
            }
            let out = |s: usize| (s - pool.size) / pool.stride + 1;
            Ok(Shape::Map([c, out(h), out(w)]))
        }
        (Layer::Dense(dense), _) => {
            check_size("units", dense.units, MAX_UNITS)?;
            Ok(Shape::Flat([dense.units]))
        }
        (_, Shape::Flat(_)) => Err("follows a dense layer, but only dense layers can".into()),
    }
}

impl Layer {
    fn density_setting(&self) -> Option<f64> {
        match self {
            Layer::Conv(c) | Layer::Dwconv(c) => c.density,
            Layer::Dense(d) => d.density,
            Layer::Maxpool(_) | Layer::Avgpool(_) => None,
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
                density: None,
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
                Layer::Dense(Dense {
                    units: 10,
                    density: None,
                }),
            ],
        }
    }

    /// The output shape of every layer, in order, or the first reason the description cannot
    /// be built, naming the layer (from 1) as in "layer 4, maxpool 2×2, gets a 1×1 input,
    /// smaller than its window".
    pub fn output_shapes(&self) -> Result<Vec<Shape>> {
        let [c, h, w] = self.input;
        for (what, value) in [
            ("input channels", c),
            ("input height", h),
            ("input width", w),
        ] {
            check_size(what, value, MAX_SIZE).map_err(Error::Architecture)?;
        }
        check_size("classes", self.classes, MAX_SIZE).map_err(Error::Architecture)?;
        let mut shape = Shape::Map(self.input);
        if shape.values() > MAX_VALUES as u64 {
            return Err(Error::Architecture(format!(
                "the input holds {} values, more than any microcontroller holds",
                shape.values()
            )));
        }
        let mut shapes = Vec::with_capacity(self.layers.len());
        for (i, layer) in self.layers.iter().enumerate() {
            shape = layer_output(layer, shape).map_err(|why| {
                Error::Architecture(format!("layer {}, {}, {why}", i + 1, layer.describe()))
            })?;
            if shape.values() > MAX_VALUES as u64 {
                return Err(Error::Architecture(format!(
                    "layer {}, {}, outputs {} values, more than any microcontroller holds",
                    i + 1,
                    layer.describe(),
                    shape.values()
                )));
            }
            shapes.push(shape);
        }
        match self.layers.last() {
            Some(Layer::Dense(d)) if d.units == self.classes => Ok(shapes),
            last => Err(Error::Architecture(format!(
                "the last layer must be a dense layer with {} units (one per class), not {}",
                self.classes,
                last.map_or("nothing".to_string(), Layer::describe)
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
                Shape::Flat([10]),
            ]
        );
    }

    #[test]
    fn json_format_round_trips_and_fills_defaults() {
        let json = r#"{"input": [1, 28, 28], "classes": 10, "layers": [
            {"conv": {"filters": 4, "kernel": 5, "stride": 2, "padding": "same"}},
            {"maxpool": {"size": 2, "stride": 2}},
            {"dwconv": {"filters": 6, "kernel": 3, "density": 0.5}},
            {"avgpool": {"size": 2, "stride": 1}},
            {"dense": {"units": 10}}]}"#;
        let arch: Architecture = serde_json::from_str(json).unwrap();
        assert_eq!(
            arch.output_shapes().unwrap()[..4],
            [
                Shape::Map([4, 14, 14]),
                Shape::Map([4, 7, 7]),
                Shape::Map([6, 5, 5]),
                Shape::Map([6, 4, 4])
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
            density: None,
        };
        assert_eq!(conv.output_side(7), Some((7, (1, 2))));
    }

    fn error(json: &str) -> String {
        let arch: Architecture = serde_json::from_str(json).unwrap();
        arch.output_shapes().unwrap_err().to_string()
    }

    #[test]
    fn impossible_descriptions_name_the_layer() {
        assert_eq!(
            error(
                r#"{"input":[1,5,5],"classes":2,"layers":[{"conv":{"filters":2,"kernel":3}},
                {"maxpool":{"size":2,"stride":2}},{"conv":{"filters":2,"kernel":1}},
                {"maxpool":{"size":2,"stride":2}},{"dense":{"units":2}}]}"#
            ),
            "invalid architecture: layer 4, maxpool 2×2, gets a 1×1 input, smaller than its window"
        );
        assert_eq!(
            error(
                r#"{"input":[1,4,4],"classes":2,"layers":[{"conv":{"filters":2,"kernel":5}},{"dense":{"units":2}}]}"#
            ),
            "invalid architecture: layer 1, conv 5×5×2, gets a 4×4 input, smaller than its kernel"
        );
        assert_eq!(
            error(r#"{"input":[1,4,4],"classes":5,"layers":[{"dense":{"units":2}}]}"#),
            "invalid architecture: the last layer must be a dense layer with 5 units (one per class), not dense 2"
        );
        assert_eq!(
            error(
                r#"{"input":[1,4,4],"classes":2,"layers":[{"dense":{"units":3}},{"conv":{"filters":2,"kernel":1}},{"dense":{"units":2}}]}"#
            ),
            "invalid architecture: layer 2, conv 1×1×2, follows a dense layer, but only dense layers can"
        );
        assert_eq!(
            error(
                r#"{"input":[1,4,4],"classes":2,"layers":[{"conv":{"filters":0,"kernel":1}},{"dense":{"units":2}}]}"#
            ),
            "invalid architecture: layer 1, conv 1×1×0, filters must be from 1 to 65536, not 0"
        );
        assert_eq!(
            error(
                r#"{"input":[1,4,4],"classes":2,"layers":[{"dense":{"units":2,"density":1.5}}]}"#
            ),
            "invalid architecture: layer 1, dense 2, density must be in (0, 1], not 1.5"
        );
        assert_eq!(
            error(r#"{"input":[0,4,4],"classes":2,"layers":[{"dense":{"units":2}}]}"#),
            "invalid architecture: input channels must be from 1 to 65536, not 0"
        );
        assert_eq!(
            error(r#"{"input":[1,4,4],"classes":2,"layers":[]}"#),
            "invalid architecture: the last layer must be a dense layer with 2 units (one per class), not nothing"
        );
    }

    #[test]
    fn unknown_kinds_and_fields_are_rejected_by_the_parser() {
        let err = serde_json::from_str::<Architecture>(
            r#"{"input":[1,4,4],"classes":2,"layers":[{"batchnorm":{}}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("unknown variant `batchnorm`"), "{err}");
        let err = serde_json::from_str::<Architecture>(
            r#"{"input":[1,4,4],"classes":2,"layers":[{"dense":{"unit":2}}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("unknown field `unit`"), "{err}");
    }
}
