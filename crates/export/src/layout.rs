//! Where each layer's activations sit in the one static arena. A layer's input lies at one
//! end and its output is written at the other, so no layer ever needs more than its input
//! plus its output: the arena is exactly the cost model's working memory (`sram_bytes`).
//! A separable conv writes its middle at the far end and its output back at the near end.

use sparse_core::architecture::Shape;
use sparse_core::{Architecture, Layer, Result};

/// A byte range of the arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// First byte.
    pub offset: usize,
    /// Length in bytes.
    pub bytes: usize,
}

impl Region {
    /// Whether two regions share a byte.
    pub fn overlaps(&self, other: &Region) -> bool {
        self.offset < other.offset + other.bytes && other.offset < self.offset + self.bytes
    }
}

/// The arena regions one layer reads and writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerRegions {
    /// Its input.
    pub input: Region,
    /// A separable conv's signed middle.
    pub middle: Option<Region>,
    /// Its output; `None` for the last layer, whose logits go to the caller.
    pub output: Option<Region>,
}

/// The arena of a whole model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Arena size: the largest input + output (or middle) of any layer.
    pub arena_bytes: usize,
    /// One entry per layer.
    pub layers: Vec<LayerRegions>,
}

/// Lays out `architecture`'s activations; the model input starts at offset 0.
pub fn layout(architecture: &Architecture) -> Result<Layout> {
    let shapes = architecture.output_shapes()?;
    let report = sparse_core::cost::cost(architecture)?;
    let arena_bytes = report.sram_bytes as usize;
    let at = |low: bool, bytes: usize| Region {
        offset: if low { 0 } else { arena_bytes - bytes },
        bytes,
    };
    let mut input = Shape::Map(architecture.input);
    let mut low = true;
    let mut layers = Vec::with_capacity(shapes.len());
    for (i, (layer, &output)) in architecture.layers.iter().zip(&shapes).enumerate() {
        let last = i + 1 == shapes.len();
        let input_region = at(low, input.elements());
        let regions = match (layer, output) {
            (Layer::Dwconv(_), Shape::Map([_, h, w])) => {
                let [channels, _, _] = input.dims();
                LayerRegions {
                    input: input_region,
                    middle: Some(at(!low, channels * h * w)),
                    output: (!last).then(|| at(low, output.elements())),
                }
            }
            _ => {
                low = !low;
                LayerRegions {
                    input: input_region,
                    middle: None,
                    output: (!last).then(|| at(low, output.elements())),
                }
            }
        };
        layers.push(regions);
        input = output;
    }
    Ok(Layout {
        arena_bytes,
        layers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of `docs/architecture-format.md` (working memory 6760 bytes).
    const EXAMPLE: &str = include_str!("../../../docs/examples/example.json");

    #[test]
    fn inputs_and_outputs_alternate_ends_and_never_overlap() {
        let arch: Architecture = serde_json::from_str(EXAMPLE).unwrap();
        let layout = layout(&arch).unwrap();
        assert_eq!(layout.arena_bytes, 6760);
        let region = |offset, bytes| Region { offset, bytes };
        assert_eq!(layout.layers[0].input, region(0, 784));
        assert_eq!(layout.layers[0].output, Some(region(6760 - 5408, 5408)));
        assert_eq!(layout.layers[1].output, Some(region(0, 1352)));
        // The dwconv: middle at the far end, output back at the near end.
        assert_eq!(layout.layers[2].middle, Some(region(6760 - 1352, 1352)));
        assert_eq!(layout.layers[2].output, Some(region(0, 2704)));
        assert_eq!(layout.layers[3].output, Some(region(6760 - 576, 576)));
        assert_eq!(layout.layers[5].output, None);
        for (i, l) in layout.layers.iter().enumerate() {
            let written = [l.middle, l.output].into_iter().flatten();
            for w in written {
                assert!(w.offset + w.bytes <= layout.arena_bytes, "layer {i}");
            }
            if let Some(m) = l.middle {
                assert!(!m.overlaps(&l.input), "layer {i}");
                assert!(l.output.is_none_or(|o| !o.overlaps(&m)), "layer {i}");
            } else if let Some(o) = l.output {
                assert!(!o.overlaps(&l.input), "layer {i}");
            }
            if let Some(next) = layout.layers.get(i + 1) {
                assert_eq!(
                    Some(next.input),
                    l.output,
                    "layer {i} feeds layer {}",
                    i + 1
                );
            }
        }
    }
}
