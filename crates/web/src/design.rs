//! The student's own network in design mode: an architecture edited layer by layer, with one
//! pruning method for every conv and dense layer, judged at every edit against the budget: its
//! cost (model size, working memory per layer, MACs, flash), dense and as pruning is expected
//! to leave it, or why it cannot be built or does not fit. Pure, so it is tested natively;
//! `components/designer.rs` draws it.

use serde::{Deserialize, Serialize};
use sparse_core::architecture::{Conv, Dense, Padding, Pool};
use sparse_core::cost::{Budget, CostReport, Resource, cost};
use sparse_core::space::{LEARNED_PRUNING_DENSITY, Pruning};
use sparse_core::{Architecture, Layer};

/// The kinds of layer a student can add.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerKind {
    /// A standard convolution.
    Conv,
    /// A depthwise-separable convolution.
    Dwconv,
    /// Max pooling.
    Maxpool,
    /// Average pooling.
    Avgpool,
    /// A hidden dense layer.
    Dense,
}

impl LayerKind {
    /// Every kind, in the order offered.
    pub const ALL: [LayerKind; 5] = [
        Self::Conv,
        Self::Dwconv,
        Self::Maxpool,
        Self::Avgpool,
        Self::Dense,
    ];

    /// Its name in the page.
    pub fn name(self) -> &'static str {
        match self {
            Self::Conv => "conv",
            Self::Dwconv => "dwconv",
            Self::Maxpool => "maxpool",
            Self::Avgpool => "avgpool",
            Self::Dense => "dense",
        }
    }

    /// A layer of this kind with the settings a student starts from (a convolution halves the
    /// image, so a first one fits an Arduino's 2 KB of SRAM).
    fn starter(self) -> Layer {
        let conv = Conv {
            filters: 4,
            kernel: 3,
            stride: 2,
            padding: Padding::Same,
            density: None,
        };
        let pool = Pool { size: 2, stride: 2 };
        match self {
            Self::Conv => Layer::Conv(conv),
            Self::Dwconv => Layer::Dwconv(conv),
            Self::Maxpool => Layer::Maxpool(pool),
            Self::Avgpool => Layer::Avgpool(pool),
            Self::Dense => Layer::Dense(Dense {
                units: 16,
                density: None,
            }),
        }
    }
}

/// A setting of one layer a student can change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerField {
    /// A convolution's filters, or a dense layer's units.
    Width,
    /// A convolution's kernel side, or a pool's window side.
    Size,
    /// A convolution's or a pool's stride.
    Stride,
    /// A convolution's padding: 0 valid, 1 same.
    Padding,
}

/// How the student's network is pruned, every conv and dense layer alike.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PruningMethod {
    /// Not pruned.
    None,
    /// Sparse Variational Dropout: single weights removed.
    #[default]
    Spvd,
    /// Bayesian Compression: whole filters and units removed.
    Bc,
}

impl PruningMethod {
    /// Every method, in the order offered.
    pub const ALL: [PruningMethod; 3] = [Self::None, Self::Spvd, Self::Bc];

    /// Its short name (in the page and the URL).
    pub fn id(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Spvd => "spvd",
            Self::Bc => "bc",
        }
    }

    /// The method named `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.id() == id)
    }

    /// The trainer's setting for a layer (log α threshold 3, as the CLI's `train`).
    fn setting(self) -> Option<Pruning> {
        match self {
            Self::None => None,
            Self::Spvd => Some(Pruning::Spvd { log_alpha: 3.0 }),
            Self::Bc => Some(Pruning::Bc { log_alpha: 3.0 }),
        }
    }
}

/// One edit of the design.
#[derive(Clone, Debug, PartialEq)]
pub enum DesignEdit {
    /// Adds a layer of this kind before the output layer.
    Add(LayerKind),
    /// Removes hidden layer `0`.
    Remove(usize),
    /// Moves hidden layer `0` one place earlier.
    Up(usize),
    /// Moves hidden layer `0` one place later.
    Down(usize),
    /// Sets a field of hidden layer `0` (values below 1 become 1; padding is 0 or 1).
    Set(usize, LayerField, usize),
    /// Chooses the pruning method.
    Pruning(PruningMethod),
    /// Sets the epochs "Train this" trains (1 to [`MAX_EPOCHS`]).
    Epochs(usize),
}

/// The most epochs design mode trains.
pub const MAX_EPOCHS: usize = 30;

fn one() -> usize {
    1
}

/// A student's network: its architecture (the last layer is the output: dense, one unit per
/// class, fixed) and its pruning method.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Design {
    /// The architecture.
    pub architecture: Architecture,
    /// The pruning method.
    pub pruning: PruningMethod,
    /// Epochs "Train this" trains.
    #[serde(default = "one")]
    pub epochs: usize,
}

/// What a design costs under a budget, or why it cannot be built or does not fit.
#[derive(Clone, Debug, PartialEq)]
pub struct Assessment {
    /// The cost of the architecture as drawn (every weight kept), when it can be built.
    pub dense: Option<CostReport>,
    /// The cost once pruned as the method is expected to leave it (half the weights for SpVD
    /// and BC, as the search expects before training), when it can be built.
    pub pruned: Option<CostReport>,
    /// Why it cannot be built or, once pruned, breaks the budget: one sentence each; empty if
    /// it fits.
    pub problems: Vec<String>,
}

impl Design {
    /// A small network to start from for `input` images of `classes` classes: conv 3×3×4 of
    /// stride 2, max pooling, then the output layer; pruned by SpVD.
    pub fn starter(input: [usize; 3], classes: usize) -> Self {
        let output = Layer::Dense(Dense {
            units: classes,
            density: None,
        });
        Self {
            architecture: Architecture {
                input,
                classes,
                layers: vec![
                    LayerKind::Conv.starter(),
                    LayerKind::Maxpool.starter(),
                    output,
                ],
            },
            pruning: PruningMethod::default(),
            epochs: 1,
        }
    }

    /// A design starting from `architecture` (a candidate of a run, say): its layers without
    /// what pruning did (densities cleared), ending in the output layer for its classes.
    pub fn from_architecture(architecture: &Architecture, pruning: PruningMethod) -> Self {
        let mut architecture = with_density(architecture, None);
        let has_output = matches!(
            architecture.layers.last(),
            Some(Layer::Dense(d)) if d.units == architecture.classes
        );
        if !has_output {
            architecture.layers.push(Layer::Dense(Dense {
                units: architecture.classes,
                density: None,
            }));
        }
        Self {
            architecture,
            pruning,
            epochs: 1,
        }
    }

    /// The hidden layers (all but the output layer).
    pub fn hidden(&self) -> &[Layer] {
        let layers = &self.architecture.layers;
        &layers[..layers.len().saturating_sub(1)]
    }

    /// Applies `edit`; an edit naming no hidden layer changes nothing.
    pub fn apply(&mut self, edit: DesignEdit) {
        let hidden = self.hidden().len();
        let layers = &mut self.architecture.layers;
        match edit {
            DesignEdit::Add(kind) => layers.insert(hidden, kind.starter()),
            DesignEdit::Remove(i) if i < hidden => {
                layers.remove(i);
            }
            DesignEdit::Up(i) if i > 0 && i < hidden => layers.swap(i - 1, i),
            DesignEdit::Down(i) if i + 1 < hidden => layers.swap(i, i + 1),
            DesignEdit::Set(i, field, value) if i < hidden => set(&mut layers[i], field, value),
            DesignEdit::Pruning(method) => self.pruning = method,
            DesignEdit::Epochs(epochs) => self.epochs = epochs.clamp(1, MAX_EPOCHS),
            DesignEdit::Remove(_)
            | DesignEdit::Up(_)
            | DesignEdit::Down(_)
            | DesignEdit::Set(..) => {}
        }
    }

    /// Each layer's pruning setting for the trainer (`None` for pools).
    pub fn layer_pruning(&self) -> Vec<Option<Pruning>> {
        let setting = self.pruning.setting();
        self.architecture
            .layers
            .iter()
            .map(|l| setting.filter(|_| !l.is_pool()))
            .collect()
    }

    /// The architecture as pruning is expected to leave it: every conv and dense layer at
    /// half its weights under SpVD or BC (what the search assumes before training).
    pub fn expected_architecture(&self) -> Architecture {
        let density = (self.pruning != PruningMethod::None).then_some(LEARNED_PRUNING_DENSITY);
        with_density(&self.architecture, density)
    }

    /// What the design costs under `budget`, or why it cannot be built or does not fit.
    pub fn assess(&self, budget: &Budget) -> Assessment {
        let dense = cost(&self.architecture);
        let pruned = cost(&self.expected_architecture());
        let mut problems = Vec::new();
        match (&dense, &pruned) {
            (Err(e), _) | (_, Err(e)) => problems.push(format!("It cannot be built: {e}.")),
            (Ok(_), Ok(pruned)) => {
                for v in pruned.violations(budget) {
                    problems.push(match v.resource {
                        Resource::Flash => format!(
                            "Its weights need {} B of flash{}, {} B over the {} B budget: use \
                             fewer or narrower layers, prune, or pool earlier so the dense \
                             layers get fewer inputs.",
                            v.needed,
                            if self.pruning == PruningMethod::None {
                                ""
                            } else {
                                " once pruned"
                            },
                            v.over_by,
                            v.available
                        ),
                        Resource::Sram => {
                            let over: Vec<String> = pruned
                                .layers
                                .iter()
                                .filter(|l| l.working_memory_bytes > v.available)
                                .map(|l| l.description.clone())
                                .collect();
                            format!(
                                "Its activations need {} B of SRAM at {}, {} B over the {} B \
                                 budget: give the convolution there fewer filters or a stride \
                                 of 2, or pool earlier.",
                                v.needed,
                                over.join(" and "),
                                v.over_by,
                                v.available
                            )
                        }
                        Resource::Latency => format!(
                            "One inference takes about {:.1} ms by the latency model, {:.1} ms \
                             over the {:.1} ms bound: use fewer multiply-accumulates (fewer \
                             filters, strides of 2, pooling earlier) or prune harder.",
                            v.needed as f64 / 1000.0,
                            v.over_by as f64 / 1000.0,
                            v.available as f64 / 1000.0
                        ),
                    });
                }
            }
        }
        Assessment {
            dense: dense.ok(),
            pruned: pruned.ok(),
            problems,
        }
    }

    /// The design as one line of JSON, for the page's URL.
    pub fn to_query(&self) -> String {
        serde_json::to_string(self).expect("a design always serialises")
    }

    /// The design a URL's text describes, checked to be for `input` images of `classes`
    /// classes, or why not.
    pub fn from_query(text: &str, input: [usize; 3], classes: usize) -> Result<Self, String> {
        let design: Design = serde_json::from_str(text)
            .map_err(|e| format!("the link's design cannot be read: {e}"))?;
        let a = &design.architecture;
        if a.input != input || a.classes != classes {
            return Err(format!(
                "the link's design is for {}×{}×{} images of {} classes, not this dataset's \
                 {}×{}×{} of {classes}",
                a.input[0], a.input[1], a.input[2], a.classes, input[0], input[1], input[2]
            ));
        }
        Ok(Self {
            epochs: design.epochs.clamp(1, MAX_EPOCHS),
            ..Self::from_architecture(a, design.pruning)
        })
    }
}

/// `architecture` with every conv and dense layer at `density` (`None`: every weight kept).
pub fn with_density(architecture: &Architecture, density: Option<f64>) -> Architecture {
    let mut architecture = architecture.clone();
    for layer in &mut architecture.layers {
        layer.set_density(density);
    }
    architecture
}

/// Sets `field` of `layer` to `value` (at least 1; padding 0 or 1); a field the layer does
/// not have is left alone.
fn set(layer: &mut Layer, field: LayerField, value: usize) {
    let padding = if value == 1 {
        Padding::Same
    } else {
        Padding::Valid
    };
    let value = value.max(1);
    match (layer, field) {
        (Layer::Conv(c) | Layer::Dwconv(c), LayerField::Width) => c.filters = value,
        (Layer::Conv(c) | Layer::Dwconv(c), LayerField::Size) => c.kernel = value,
        (Layer::Conv(c) | Layer::Dwconv(c), LayerField::Stride) => c.stride = value,
        (Layer::Conv(c) | Layer::Dwconv(c), LayerField::Padding) => c.padding = padding,
        (Layer::Maxpool(p) | Layer::Avgpool(p), LayerField::Size) => p.size = value,
        (Layer::Maxpool(p) | Layer::Avgpool(p), LayerField::Stride) => p.stride = value,
        (Layer::Dense(d), LayerField::Width) => d.units = value,
        _ => {}
    }
}

#[cfg(test)]
mod tests;
