//! What the exported C kernels do for one image, layer by layer, counted in the units the
//! latency model prices; and which layers' kernels the compiler specialises.

use crate::architecture::{Conv, Layer, Shape};
use crate::cost::weight_flash;
use serde::{Deserialize, Serialize};

/// What one layer's kernels do for one image, counted in the units the model prices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Work {
    /// Weights read by the windowed kernel (a conv, or a dwconv's depthwise half) from a
    /// tensor stored dense.
    pub window_reads: u64,
    /// The same from a tensor stored sparse (non-zeros and a bitmap).
    pub window_reads_sparse: u64,
    /// Input planes the windowed kernel visits: outputs × input channels per filter.
    pub window_planes: u64,
    /// Kernel rows the windowed kernel visits: outputs × input channels per filter × kernel.
    pub window_rows: u64,
    /// Weights read by the pointwise kernel (a dwconv's 1×1 half, whose inputs are strided)
    /// from a tensor stored dense.
    pub pointwise_reads: u64,
    /// The same from a tensor stored sparse.
    pub pointwise_reads_sparse: u64,
    /// Weights read by the dense kernels (hidden dense layers and the classifier, whose inputs
    /// are contiguous) from a tensor stored dense.
    pub dense_reads: u64,
    /// The same from a tensor stored sparse.
    pub dense_reads_sparse: u64,
    /// Weights read by the dense kernels of a network without convolutions, stored dense: the
    /// only kernel that reads weights, its weight reader is inlined (measured 30-40% faster).
    pub lone_dense_reads: u64,
    /// The same from a tensor stored sparse.
    pub lone_dense_reads_sparse: u64,
    /// Multiply-accumulates with a non-zero weight (for a window, on an input inside the
    /// image rather than its zero padding, which the kernel skips).
    pub nonzero_macs: u64,
    /// Outputs requantised (convs, a dwconv's middle and outputs, dense units).
    pub requantized: u64,
    /// Codes read by pooling windows.
    pub pool_reads: u64,
    /// Outputs of max pooling.
    pub maxpool_outputs: u64,
    /// Outputs of average pooling (each a division).
    pub avgpool_outputs: u64,
    /// Kernel calls.
    pub calls: u64,
}

impl Work {
    /// How many kinds of work there are.
    pub const KINDS: usize = 16;
    /// Their names, in the order of [`Work::units`] and the fitted prices.
    pub const NAMES: [&'static str; Work::KINDS] = [
        "window_reads",
        "window_reads_sparse",
        "window_planes",
        "window_rows",
        "pointwise_reads",
        "pointwise_reads_sparse",
        "dense_reads",
        "dense_reads_sparse",
        "lone_dense_reads",
        "lone_dense_reads_sparse",
        "nonzero_macs",
        "requantized",
        "pool_reads",
        "maxpool_outputs",
        "avgpool_outputs",
        "calls",
    ];

    /// The counts in [`Work::NAMES`] order.
    pub fn units(&self) -> [u64; Work::KINDS] {
        [
            self.window_reads,
            self.window_reads_sparse,
            self.window_planes,
            self.window_rows,
            self.pointwise_reads,
            self.pointwise_reads_sparse,
            self.dense_reads,
            self.dense_reads_sparse,
            self.lone_dense_reads,
            self.lone_dense_reads_sparse,
            self.nonzero_macs,
            self.requantized,
            self.pool_reads,
            self.maxpool_outputs,
            self.avgpool_outputs,
            self.calls,
        ]
    }

    /// Reads of a weight tensor of `weights` weights at `density`, each weight read `uses`
    /// times, into the dense or sparse count as the export stores it, and the non-zero MACs:
    /// the share `inside` of the reads that multiply.
    fn read_tensor(&mut self, weights: u64, density: f64, uses: u64, inside: f64, by: Kernel) {
        let nonzero = (weights as f64 * density).round() as u64;
        let sparse = weight_flash(weights, nonzero) < weights;
        let reads = weights * uses;
        let count = match (by, sparse) {
            (Kernel::Window, false) => &mut self.window_reads,
            (Kernel::Window, true) => &mut self.window_reads_sparse,
            (Kernel::Pointwise, false) => &mut self.pointwise_reads,
            (Kernel::Pointwise, true) => &mut self.pointwise_reads_sparse,
            (_, false) => &mut self.dense_reads,
            (_, true) => &mut self.dense_reads_sparse,
        };
        *count += reads;
        self.nonzero_macs += (nonzero as f64 * uses as f64 * inside).round() as u64;
    }
}

impl std::ops::Add for Work {
    type Output = Work;

    fn add(self, other: Work) -> Work {
        Work {
            window_reads: self.window_reads + other.window_reads,
            window_reads_sparse: self.window_reads_sparse + other.window_reads_sparse,
            window_planes: self.window_planes + other.window_planes,
            window_rows: self.window_rows + other.window_rows,
            pointwise_reads: self.pointwise_reads + other.pointwise_reads,
            pointwise_reads_sparse: self.pointwise_reads_sparse + other.pointwise_reads_sparse,
            dense_reads: self.dense_reads + other.dense_reads,
            dense_reads_sparse: self.dense_reads_sparse + other.dense_reads_sparse,
            lone_dense_reads: self.lone_dense_reads + other.lone_dense_reads,
            lone_dense_reads_sparse: self.lone_dense_reads_sparse + other.lone_dense_reads_sparse,
            nonzero_macs: self.nonzero_macs + other.nonzero_macs,
            requantized: self.requantized + other.requantized,
            pool_reads: self.pool_reads + other.pool_reads,
            maxpool_outputs: self.maxpool_outputs + other.maxpool_outputs,
            avgpool_outputs: self.avgpool_outputs + other.avgpool_outputs,
            calls: self.calls + other.calls,
        }
    }
}

/// The share of a window's taps along one side of `side` inputs that fall inside the input
/// rather than on its zero padding, over the convolution's outputs.
fn inside_share(conv: &Conv, side: usize) -> f64 {
    let Some((outputs, (before, _))) = conv.output_side(side) else {
        return 0.0;
    };
    let inside: usize = (0..outputs)
        .map(|o| {
            let first = o * conv.stride;
            // Taps first..first + kernel of the padded input; the image is before..before + side.
            let start = first.max(before);
            let end = (first + conv.kernel).min(before + side);
            end.saturating_sub(start)
        })
        .sum();
    inside as f64 / (outputs * conv.kernel).max(1) as f64
}

/// The work of `layer`'s kernels for one image, from `input` to `output` (shapes that
/// `Architecture::output_shapes` checked).
pub(crate) fn layer_work(layer: &Layer, input: Shape, output: Shape) -> Work {
    let density = layer.density();
    let mut w = Work {
        calls: 1,
        ..Work::default()
    };
    let out = output.elements() as u64;
    match (layer, input, output) {
        (Layer::Conv(c), Shape::Map([cin, h, wi]), Shape::Map([cout, ho, wo])) => {
            let (cin, k, positions) = (cin as u64, c.kernel as u64, (ho * wo) as u64);
            let inside = inside_share(c, h) * inside_share(c, wi);
            w.read_tensor(
                cout as u64 * cin * k * k,
                density,
                positions,
                inside,
                Kernel::Window,
            );
            w.window_planes = out * cin;
            w.window_rows = out * cin * k;
            w.requantized = out;
        }
        (Layer::Dwconv(c), Shape::Map([cin, h, wi]), Shape::Map([cout, ho, wo])) => {
            let (cin, k, positions) = (cin as u64, c.kernel as u64, (ho * wo) as u64);
            let middle = cin * positions;
            let inside = inside_share(c, h) * inside_share(c, wi);
            w.read_tensor(cin * k * k, density, positions, inside, Kernel::Window);
            w.read_tensor(
                cin * cout as u64,
                density,
                positions,
                1.0,
                Kernel::Pointwise,
            );
            w.window_planes = middle;
            w.window_rows = middle * k;
            w.requantized = middle + out;
            w.calls = 2;
        }
        (Layer::Dense(d), _, _) => {
            w.read_tensor(
                input.elements() as u64 * d.units as u64,
                density,
                1,
                1.0,
                Kernel::Dense,
            );
            w.requantized = out;
        }
        (Layer::Maxpool(p) | Layer::Avgpool(p), _, _) => {
            w.pool_reads = out * (p.size * p.size) as u64;
            match layer {
                Layer::Maxpool(_) => w.maxpool_outputs = out,
                _ => w.avgpool_outputs = out,
            }
        }
        // Convs on flat inputs, which output_shapes rejects.
        _ => {}
    }
    w
}

/// The kernel functions of the C export a layer calls.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kernel {
    Window,
    Pointwise,
    Dense,
    Classifier,
    Maxpool,
    Avgpool,
}

/// The kernels `layer` calls; `last` is whether it is the model's last layer.
fn kernels(layer: &Layer, last: bool) -> &'static [Kernel] {
    match layer {
        Layer::Conv(_) => &[Kernel::Window],
        Layer::Dwconv(_) => &[Kernel::Window, Kernel::Pointwise],
        Layer::Dense(_) if last => &[Kernel::Classifier],
        Layer::Dense(_) => &[Kernel::Dense],
        Layer::Maxpool(_) => &[Kernel::Maxpool],
        Layer::Avgpool(_) => &[Kernel::Avgpool],
    }
}

/// Per layer, whether the compiler specialises its code: GCC inlines a static function
/// called from one place and folds the layer's sizes into it as constants, which runs
/// markedly faster (measured 25-35%). A layer is specialised when it is the only caller of one
/// of its kernels, the classifier aside (always called once, so its price includes it).
pub(crate) fn specialised(layers: &[Layer]) -> Vec<bool> {
    let n = layers.len();
    let calls: Vec<&[Kernel]> = layers
        .iter()
        .enumerate()
        .map(|(i, l)| kernels(l, i + 1 == n))
        .collect();
    let callers = |k: Kernel| calls.iter().filter(|ks| ks.contains(&k)).count();
    calls
        .iter()
        .map(|ks| {
            ks.iter()
                .any(|&k| k != Kernel::Classifier && callers(k) == 1)
        })
        .collect()
}

/// Moves the dense kernels' weight reads of a network without convolutions, whose weight
/// reader then has one caller and is inlined, to their own counts.
pub(crate) fn count_lone_dense_reads<'a>(
    layers: &[Layer],
    work: impl IntoIterator<Item = &'a mut Work>,
) {
    if layers
        .iter()
        .any(|l| matches!(l, Layer::Conv(_) | Layer::Dwconv(_)))
    {
        return;
    }
    for w in work {
        w.lone_dense_reads = std::mem::take(&mut w.dense_reads);
        w.lone_dense_reads_sparse = std::mem::take(&mut w.dense_reads_sparse);
    }
}

/// A whole model's work, split by whether its layers' code is specialised (priced apart).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workload {
    /// Work of the layers whose kernels are shared with other layers.
    pub general: Work,
    /// Work of the layers the compiler specialises (see [`LayerCost::specialised`](crate::cost::LayerCost::specialised)).
    pub specialised: Work,
}

impl Workload {
    /// The workload of layers with `work`, specialised or not.
    pub fn of<'a>(layers: impl IntoIterator<Item = (&'a Work, bool)>) -> Self {
        let mut load = Workload::default();
        for (work, specialised) in layers {
            match specialised {
                true => load.specialised = load.specialised + *work,
                false => load.general = load.general + *work,
            }
        }
        load
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Architecture;
    use crate::cost::cost;

    fn arch(json: &str) -> Architecture {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn work_counts_what_the_kernels_do() {
        // conv 3×3, 2 filters, same padding on a 1×4×4 input: 32 outputs, 9 reads each;
        // along a side of 4 the taps inside are 2 + 3 + 3 + 2 of 12, so (10/12)² of the reads
        // multiply. Then maxpool 2×2 and a dense layer of 3 units at 25% density, sparse.
        let a = arch(
            r#"{"input":[1,4,4],"classes":3,"layers":[
                {"conv":{"filters":2,"kernel":3,"padding":"same"}},
                {"maxpool":{"size":2,"stride":2}},
                {"dense":{"units":3,"density":0.25}}]}"#,
        );
        let report = cost(&a).unwrap();
        let work: Vec<Work> = report.layers.iter().map(|l| l.work).collect();
        let conv = Work {
            window_reads: 288,
            window_planes: 32,
            window_rows: 96,
            nonzero_macs: (288.0_f64 * 100.0 / 144.0).round() as u64,
            requantized: 32,
            calls: 1,
            ..Work::default()
        };
        assert_eq!(work[0], conv);
        let pool = Work {
            pool_reads: 32,
            maxpool_outputs: 8,
            calls: 1,
            ..Work::default()
        };
        assert_eq!(work[1], pool);
        // 24 weights, 6 non-zero: 6 + 3 bitmap bytes < 24, so stored sparse.
        let dense = Work {
            dense_reads_sparse: 24,
            nonzero_macs: 6,
            requantized: 3,
            calls: 1,
            ..Work::default()
        };
        assert_eq!(work[2], dense);
        // The conv and the pool are their kernels' only callers, so specialised; the
        // classifier never counts as one.
        assert_eq!(
            report.workload,
            Workload {
                general: dense,
                specialised: conv + pool
            }
        );
    }

    #[test]
    fn a_separable_conv_is_two_kernels() {
        let a = arch(
            r#"{"input":[2,5,5],"classes":2,"layers":[
                {"dwconv":{"filters":4,"kernel":3,"padding":"valid"}},
                {"avgpool":{"size":3,"stride":1}},{"dense":{"units":2}}]}"#,
        );
        let report = cost(&a).unwrap();
        // 3×3 outputs: a middle of 2×9 values from 9 reads each, then 4×9 outputs from 2 reads.
        let dw = report.layers[0].work;
        assert_eq!((dw.window_reads, dw.pointwise_reads), (162, 72));
        assert_eq!((dw.window_planes, dw.window_rows), (18, 54));
        assert_eq!(
            (dw.nonzero_macs, dw.requantized, dw.calls),
            (162 + 72, 18 + 36, 2)
        );
        let pool = report.layers[1].work;
        assert_eq!((pool.pool_reads, pool.avgpool_outputs), (36, 4));
    }

    #[test]
    fn a_network_without_convolutions_counts_its_dense_reads_apart() {
        let dense_only = cost(&arch(
            r#"{"input":[1,4,4],"classes":2,"layers":[
                {"maxpool":{"size":2,"stride":2}},{"dense":{"units":3}},{"dense":{"units":2}}]}"#,
        ))
        .unwrap();
        let reads: Vec<(u64, u64)> = dense_only
            .layers
            .iter()
            .map(|l| (l.work.dense_reads, l.work.lone_dense_reads))
            .collect();
        assert_eq!(reads, [(0, 0), (0, 12), (0, 6)]);
        let with_conv = cost(&arch(
            r#"{"input":[1,4,4],"classes":2,"layers":[
                {"conv":{"filters":1,"kernel":3}},{"dense":{"units":2}}]}"#,
        ))
        .unwrap();
        assert_eq!(with_conv.layers[1].work.dense_reads, 8);
        assert_eq!(with_conv.workload.general.lone_dense_reads, 0);
    }

    #[test]
    fn a_layer_is_specialised_when_it_alone_calls_a_kernel() {
        let a = arch(
            r#"{"input":[1,12,12],"classes":2,"layers":[
                {"conv":{"filters":2,"kernel":3}},{"maxpool":{"size":2,"stride":2}},
                {"dwconv":{"filters":4,"kernel":3}},{"maxpool":{"size":2,"stride":2}},
                {"dense":{"units":8}},{"dense":{"units":2}}]}"#,
        );
        // Two window callers and two max pools; the dwconv alone calls the pointwise kernel,
        // the hidden dense layer alone the dense one; the classifier is never counted.
        assert_eq!(
            specialised(&a.layers),
            [false, false, true, false, true, false]
        );
    }
}
