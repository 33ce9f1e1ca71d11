//! The microcontroller cost model: for any valid architecture, exactly what SpArSe counts
//! (parameters, model size, working memory, MACs) and what a deployment needs (flash and SRAM
//! bytes of the int8 C export), per layer and in total, before anything is trained.
//!
//! The formulas are stated in `docs/cost-model.md`; the tests check hand-computed cases.

use crate::architecture::{Layer, Shape};
use crate::latency::{
    LatencyBound, Work, Workload, count_lone_dense_reads, layer_work, specialised,
};
use crate::{Architecture, Result};
use serde::{Deserialize, Serialize};

/// Flash bytes per output channel (or unit) besides its weights: an int32 bias, an int32
/// fixed-point requantisation multiplier and an int8 shift.
pub const CHANNEL_BYTES: u64 = 4 + 4 + 1;

/// What one layer costs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerCost {
    /// `conv`, `dwconv`, `maxpool`, `avgpool` or `dense`.
    pub kind: String,
    /// The layer in words, such as `conv 3×3×8`.
    pub description: String,
    /// Output shape: `[c, h, w]` or `[n]`.
    pub output: Shape,
    /// Weights and biases.
    pub parameters: u64,
    /// Weights left after pruning (density × weights, rounded) plus all biases.
    pub nonzero_parameters: u64,
    /// Input activations, one byte each.
    pub input_bytes: u64,
    /// Output activations, one byte each.
    pub output_bytes: u64,
    /// The most this layer holds at once: input + output (for a dwconv, the larger of its
    /// depthwise and pointwise halves).
    pub working_memory_bytes: u64,
    /// Multiply-accumulates for one image.
    pub macs: u64,
    /// Flash for the int8 export: weights (dense, or non-zeros plus a bitmap where smaller)
    /// and [`CHANNEL_BYTES`] per output channel.
    pub flash_bytes: u64,
    /// What the C kernels do for one image, which the latency model prices.
    #[serde(default)]
    pub work: Work,
    /// Whether the compiler specialises this layer's code (the only caller of a kernel),
    /// which the latency model prices apart.
    #[serde(default)]
    pub specialised: bool,
}

/// What a whole network costs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostReport {
    /// All weights and biases.
    pub parameters: u64,
    /// SpArSe's model size (MS): non-zero parameters, one byte each.
    pub model_size_bytes: u64,
    /// SpArSe's working memory (WM): the largest input + output of any layer, one byte each.
    pub working_memory_bytes: u64,
    /// Multiply-accumulates for one image.
    pub macs: u64,
    /// Flash the int8 C export's weights and per-channel constants take.
    pub flash_bytes: u64,
    /// SRAM the int8 C export's activation arena takes: exactly WM, since inputs and outputs
    /// alternate between the two ends of one arena and no scratch buffer is used.
    pub sram_bytes: u64,
    /// What the C kernels do for one image, all layers together (see [`crate::latency`]).
    #[serde(default)]
    pub workload: Workload,
    /// Per layer, in order.
    pub layers: Vec<LayerCost>,
}

/// Which resource a budget violation concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Resource {
    /// Program memory, holding the weights.
    Flash,
    /// Data memory, holding the activations.
    Sram,
    /// Time for one inference, estimated by the latency model.
    Latency,
}

/// What the flash budget is compared with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlashMeasure {
    /// The int8 export's flash: weights in their stored format plus per-channel constants
    /// ([`CostReport::flash_bytes`]); what a real deployment needs.
    #[default]
    Export,
    /// SpArSe's model size: non-zero parameters, one byte each
    /// ([`CostReport::model_size_bytes`]); what the paper's budgets count.
    ModelSize,
}

impl FlashMeasure {
    /// Both measures, the default first.
    pub const ALL: [FlashMeasure; 2] = [Self::Export, Self::ModelSize];

    /// Its name in the CLI's `--flash-measure` and the page's URL.
    pub fn id(self) -> &'static str {
        match self {
            Self::Export => "export",
            Self::ModelSize => "model-size",
        }
    }

    /// The measure named `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.id() == id)
    }
}

/// The memory a model may use on a board (after what the firmware reserves).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    /// Flash bytes available to the model.
    pub flash_bytes: u64,
    /// SRAM bytes available to the model.
    pub sram_bytes: u64,
    /// What `flash_bytes` bounds.
    #[serde(default)]
    pub flash_measure: FlashMeasure,
    /// An optional bound on the estimated latency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencyBound>,
}

impl Budget {
    /// A budget on the export's flash and SRAM.
    pub fn new(flash_bytes: u64, sram_bytes: u64) -> Self {
        Self {
            flash_bytes,
            sram_bytes,
            flash_measure: FlashMeasure::Export,
            latency: None,
        }
    }

    /// This budget with a bound on the estimated latency.
    pub fn with_latency(self, bound: LatencyBound) -> Self {
        Self {
            latency: Some(bound),
            ..self
        }
    }

    /// This budget with its flash compared with `measure`.
    pub fn measuring_flash_as(self, measure: FlashMeasure) -> Self {
        Self {
            flash_measure: measure,
            ..self
        }
    }
}

/// One budget broken, and by how much.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The resource concerned.
    pub resource: Resource,
    /// Bytes the model needs (microseconds for latency).
    pub needed: u64,
    /// Bytes available (microseconds for latency).
    pub available: u64,
    /// `needed - available`.
    pub over_by: u64,
}

impl CostReport {
    /// The budgets this model breaks (flash, or model size, as the budget says, against
    /// `flash_bytes`; SRAM against `sram_bytes`; the estimated latency against its bound,
    /// if any, in microseconds); empty when it fits.
    pub fn violations(&self, budget: &Budget) -> Vec<Violation> {
        let flash = match budget.flash_measure {
            FlashMeasure::Export => self.flash_bytes,
            FlashMeasure::ModelSize => self.model_size_bytes,
        };
        let latency = budget.latency.map(|bound| {
            (
                Resource::Latency,
                bound.microseconds(&self.workload),
                bound.max_us,
            )
        });
        [
            (Resource::Flash, flash, budget.flash_bytes),
            (Resource::Sram, self.sram_bytes, budget.sram_bytes),
        ]
        .into_iter()
        .chain(latency)
        .filter(|&(_, needed, available)| needed > available)
        .map(|(resource, needed, available)| Violation {
            resource,
            needed,
            available,
            over_by: needed - available,
        })
        .collect()
    }
}

/// Non-zero weights after pruning to `density`, rounded to nearest.
fn nonzero(weights: u64, density: f64) -> u64 {
    (weights as f64 * density).round() as u64
}

/// Flash for one int8 weight tensor: every weight, or the non-zeros and a one-bit-per-weight
/// mask, whichever is smaller.
pub(crate) fn weight_flash(weights: u64, nonzero: u64) -> u64 {
    weights.min(nonzero + weights.div_ceil(8))
}

/// Costs of one weight tensor and its biases: (parameters, non-zero, flash).
fn weighted(weights: u64, outputs: u64, density: f64) -> (u64, u64, u64) {
    let nz = nonzero(weights, density);
    (
        weights + outputs,
        nz + outputs,
        weight_flash(weights, nz) + outputs * CHANNEL_BYTES,
    )
}

/// Computes the cost of every layer and the totals, or says why the architecture is invalid.
pub fn cost(architecture: &Architecture) -> Result<CostReport> {
    let shapes = architecture.output_shapes()?;
    let mut input = Shape::Map(architecture.input);
    let mut layers = Vec::with_capacity(shapes.len());
    for (layer, &output) in architecture.layers.iter().zip(&shapes) {
        let (in_elems, out_elems) = (input.elements() as u64, output.elements() as u64);
        let density = layer.density();
        let mut working_memory = in_elems + out_elems;
        let ((parameters, nonzero_parameters, flash), macs) = match (layer, input, output) {
            (Layer::Conv(c), Shape::Map([cin, _, _]), Shape::Map([cout, ho, wo])) => {
                let (cin, cout, k) = (cin as u64, cout as u64, c.kernel as u64);
                let positions = (ho * wo) as u64;
                (
                    weighted(cout * cin * k * k, cout, density),
                    positions * cout * k * k * cin,
                )
            }
            (Layer::Dwconv(c), Shape::Map([cin, _, _]), Shape::Map([cout, ho, wo])) => {
                let (cin, cout, k) = (cin as u64, cout as u64, c.kernel as u64);
                let positions = (ho * wo) as u64;
                let middle = positions * cin;
                working_memory = (in_elems + middle).max(middle + out_elems);
                let (p1, n1, f1) = weighted(cin * k * k, cin, density);
                let (p2, n2, f2) = weighted(cin * cout, cout, density);
                (
                    (p1 + p2, n1 + n2, f1 + f2),
                    positions * cin * k * k + positions * cin * cout,
                )
            }
            (Layer::Dense(d), _, _) => {
                let units = d.units as u64;
                (weighted(in_elems * units, units, density), in_elems * units)
            }
            // Pools, and the impossible conv-on-flat cases that output_shapes rejects.
            _ => ((0, 0, 0), 0),
        };
        layers.push(LayerCost {
            kind: layer.kind().to_string(),
            description: layer.describe(),
            output,
            parameters,
            nonzero_parameters,
            input_bytes: in_elems,
            output_bytes: out_elems,
            working_memory_bytes: working_memory,
            macs,
            flash_bytes: flash,
            work: layer_work(layer, input, output),
            specialised: false,
        });
        input = output;
    }
    for (layer, specialised) in layers.iter_mut().zip(specialised(&architecture.layers)) {
        layer.specialised = specialised;
    }
    count_lone_dense_reads(&architecture.layers, layers.iter_mut().map(|l| &mut l.work));
    let sum = |f: fn(&LayerCost) -> u64| layers.iter().map(f).sum::<u64>();
    let working_memory_bytes = layers
        .iter()
        .map(|l| l.working_memory_bytes)
        .max()
        .unwrap_or(0);
    Ok(CostReport {
        parameters: sum(|l| l.parameters),
        model_size_bytes: sum(|l| l.nonzero_parameters),
        working_memory_bytes,
        macs: sum(|l| l.macs),
        flash_bytes: sum(|l| l.flash_bytes),
        sram_bytes: working_memory_bytes,
        workload: Workload::of(layers.iter().map(|l| (&l.work, l.specialised))),
        layers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arch(json: &str) -> Architecture {
        serde_json::from_str(json).unwrap()
    }

    /// The example of `docs/architecture-format.md`, computed by hand:
    /// conv 8·1·9+8 = 80 params, out 8×26×26 = 5408, MACs 26·26·8·9 = 48,672, WM 784+5408;
    /// maxpool → 8×13×13 = 1352, WM 5408+1352;
    /// dwconv same: depthwise 8·9+8 = 80, pointwise 8·16+16 = 144; out 16×13×13 = 2704;
    ///   WM max(1352+1352, 1352+2704) = 4056; MACs 169·8·9 + 169·8·16 = 33,800;
    /// avgpool → 16×6×6 = 576; dense 576·32+32 = 18,464, MACs 18,432; dense 32·10+10 = 330.
    const EXAMPLE: &str = r#"{"input": [1, 28, 28], "classes": 10,
     "layers": [
       {"conv":    {"filters": 8, "kernel": 3, "stride": 1, "padding": "valid"}},
       {"maxpool": {"size": 2, "stride": 2}},
       {"dwconv":  {"filters": 16, "kernel": 3, "stride": 1, "padding": "same"}},
       {"avgpool": {"size": 2, "stride": 2}},
       {"dense":   {"units": 32}},
       {"dense":   {"units": 10}}]}"#;

    #[test]
    fn example_matches_hand_computation() {
        let r = cost(&arch(EXAMPLE)).unwrap();
        assert_eq!(r.parameters, 80 + 80 + 144 + 18_464 + 330);
        assert_eq!(r.model_size_bytes, r.parameters);
        // The largest layer is the first maxpool: 5408 in + 1352 out.
        assert_eq!(r.working_memory_bytes, 5408 + 1352);
        assert_eq!(r.sram_bytes, r.working_memory_bytes);
        assert_eq!(r.macs, 48_672 + 33_800 + 18_432 + 320);
        let wm: Vec<u64> = r.layers.iter().map(|l| l.working_memory_bytes).collect();
        assert_eq!(wm, [6192, 6760, 4056, 3280, 608, 42]);
        // Dense int8 weights everywhere (no density), 9 bytes per output channel.
        let weights = 72 + 72 + 128 + 18_432 + 320;
        let channels = 8 + 8 + 16 + 32 + 10;
        assert_eq!(r.flash_bytes, weights + 9 * channels);
    }

    #[test]
    fn density_prunes_weights_not_biases_and_switches_to_a_bitmap() {
        let r = cost(&arch(
            r#"{"input":[1,4,4],"classes":2,"layers":[
                {"dense":{"units":10,"density":0.25}},{"dense":{"units":2,"density":0.95}}]}"#,
        ))
        .unwrap();
        // 160 weights at 25%: 40 non-zero + 10 biases; 20 weights at 95%: 19 + 2.
        assert_eq!(r.layers[0].nonzero_parameters, 50);
        assert_eq!(r.layers[1].nonzero_parameters, 21);
        assert_eq!(r.model_size_bytes, 71);
        assert_eq!(r.parameters, 170 + 22);
        // 40 + 160/8 = 60 < 160 bytes; 19 + 3 = 22 > 20, so stored dense.
        assert_eq!(r.layers[0].flash_bytes, 60 + 10 * 9);
        assert_eq!(r.layers[1].flash_bytes, 20 + 2 * 9);
    }

    #[test]
    fn strided_same_conv_and_overlapping_pool() {
        let r = cost(&arch(
            r#"{"input":[3,10,10],"classes":4,"layers":[
                {"conv":{"filters":5,"kernel":3,"stride":2,"padding":"same"}},
                {"maxpool":{"size":3,"stride":1}},{"dense":{"units":4}}]}"#,
        ))
        .unwrap();
        assert_eq!(r.layers[0].output, Shape::Map([5, 5, 5]));
        assert_eq!(r.layers[0].macs, 25 * 5 * 9 * 3);
        assert_eq!(r.layers[0].working_memory_bytes, 300 + 125);
        assert_eq!(r.layers[1].output, Shape::Map([5, 3, 3]));
        assert_eq!(r.layers[2].parameters, 45 * 4 + 4);
        assert_eq!(r.working_memory_bytes, 425);
    }

    #[test]
    fn violations_say_which_budget_and_by_how_much() {
        let r = cost(&arch(EXAMPLE)).unwrap();
        let tight = Budget::new(r.flash_bytes, 2048);
        assert_eq!(
            r.violations(&tight),
            vec![Violation {
                resource: Resource::Sram,
                needed: 6760,
                available: 2048,
                over_by: 4712
            }]
        );
        let roomy = Budget::new(1 << 20, 1 << 20);
        assert!(r.violations(&roomy).is_empty());
        // The paper's measure is looser: model size leaves out the per-channel constants.
        let paper = Budget::new(r.model_size_bytes, 1 << 20);
        assert_eq!(r.violations(&paper)[0].resource, Resource::Flash);
        assert!(
            r.violations(&paper.measuring_flash_as(FlashMeasure::ModelSize))
                .is_empty()
        );
    }

    #[test]
    fn largest_allowed_sizes_do_not_overflow() {
        use crate::architecture::{MAX_KERNEL, MAX_SIZE, MAX_UNITS};
        // 1×8192×8192 = 2^26 values in, the most allowed; the widest kernel and layers.
        let r = cost(&arch(&format!(
            r#"{{"input":[1,8192,8192],"classes":{MAX_SIZE},"layers":[
                {{"conv":{{"filters":1,"kernel":{MAX_KERNEL},"padding":"same"}}}},
                {{"dense":{{"units":{MAX_UNITS}}}}},{{"dense":{{"units":{MAX_SIZE}}}}}]}}"#
        )))
        .unwrap();
        assert_eq!(r.layers[1].macs, (1u64 << 26) * (1 << 20));
        let too_big =
            arch(r#"{"input":[2,8192,8192],"classes":2,"layers":[{"dense":{"units":2}}]}"#);
        assert_eq!(
            cost(&too_big).unwrap_err().to_string(),
            "invalid architecture: the input holds 134217728 values, more than any microcontroller holds"
        );
    }
}

#[cfg(test)]
mod overflow_tests {
    use super::*;
    use crate::architecture::{Conv, Dense, Layer, Padding, Pool};
    use proptest::prelude::*;

    fn layer() -> impl Strategy<Value = Layer> {
        let size = prop_oneof![1usize..8, 0usize..=usize::MAX];
        (0u8..5, size.clone(), size.clone(), size, any::<bool>()).prop_map(
            |(kind, a, b, c, same)| {
                let conv = Conv {
                    filters: a,
                    kernel: b,
                    stride: c,
                    padding: if same { Padding::Same } else { Padding::Valid },
                    density: Some(0.5),
                };
                match kind {
                    0 => Layer::Conv(conv),
                    1 => Layer::Dwconv(conv),
                    2 => Layer::Maxpool(Pool { size: b, stride: c }),
                    3 => Layer::Avgpool(Pool { size: b, stride: c }),
                    _ => Layer::Dense(Dense {
                        units: a,
                        density: None,
                    }),
                }
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Any description, however absurd, is priced or refused: never a panic or overflow.
        #[test]
        fn cost_is_total_on_arbitrary_descriptions(
            input in prop::array::uniform3(prop_oneof![1usize..64, 0usize..=usize::MAX]),
            classes in prop_oneof![1usize..20, 0usize..=usize::MAX],
            layers in prop::collection::vec(layer(), 0..8),
        ) {
            let arch = Architecture { input, classes, layers };
            if let Ok(report) = cost(&arch) {
                prop_assert!(report.model_size_bytes <= report.parameters);
                prop_assert!(report.working_memory_bytes >= input.iter().product::<usize>() as u64);
            }
        }
    }
}
