//! The SpArSe search space: what the optimizers sample and how they mutate it.
//!
//! A [`Genome`] is 1 to N convolution blocks (a conv, a dwconv or a stride-2 downsampling
//! conv, each optionally followed by a pool), 0 to 2 hidden dense layers and the classifier,
//! with a [`Pruning`] setting per weighted layer. [`SearchSpace::sample`] draws genomes and
//! [`SearchSpace::morph`] applies one network morphism; both only ever return genomes whose
//! architecture validates. Every gene carries an id that survives morphisms, so a child can
//! say which parent layer each of its layers inherits weights from
//! ([`Morph::inherits_from`]). Samples and morphs avoid two kinds of network that cannot
//! learn: a downsampling conv with a 1×1 kernel (it never sees three pixels in four) and a
//! layer that passes on fewer values than there are classes ([`Genome::is_learnable`]).

use crate::Architecture;
use crate::architecture::{
    Conv, Dense, Layer, MAX_KERNEL, MAX_SIZE, MAX_UNITS, MAX_VALUES, Padding, Pool,
};
use rand::Rng;
use rand::seq::IndexedRandom;
use serde::{Deserialize, Serialize};

mod morph;

pub use morph::{Morph, MorphKind};

/// Draws [`SearchSpace::sample`] makes before it settles for a genome with a layer narrower
/// than the class count (only a space with tiny inputs or many classes needs more than a few).
const SAMPLE_TRIES: usize = 100;

/// The most convolution blocks or hidden dense layers a space may allow: far beyond SpArSe's 4
/// and 2, and few enough that drawing a genome stays quick.
pub const MAX_DEPTH: usize = 32;

/// The density of non-zero weights that Sparse Variational Dropout and Bayesian Compression
/// are hoped to reach when a candidate is priced before training (see
/// [`Genome::expected_architecture`]): half. One epoch of SpVD left 67-90% of a layer's
/// weights in a trial, nine epochs 45%.
pub const LEARNED_PRUNING_DENSITY: f64 = 0.5;

/// How a layer is pruned after (or while) training.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "lowercase")]
pub enum Pruning {
    /// Not pruned.
    None,
    /// Sparse Variational Dropout: weights whose log α exceeds `log_alpha` are removed.
    Spvd {
        /// The log α threshold (3 in Molchanov et al.).
        log_alpha: f64,
    },
    /// Bayesian Compression: filters or units whose group log α exceeds `log_alpha` are
    /// removed.
    Bc {
        /// The group log α threshold.
        log_alpha: f64,
    },
    /// Magnitude pruning: the `sparsity` fraction of smallest weights is removed.
    Magnitude {
        /// Fraction of weights removed, in [0, 1).
        sparsity: f64,
    },
}

/// What a convolution block's convolution is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockKind {
    /// A standard convolution, stride 1.
    Conv,
    /// A depthwise-separable convolution, stride 1.
    Dwconv,
    /// A standard convolution with stride 2 and same padding: halves the feature map.
    Downsample,
}

/// The pool after a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PoolKind {
    /// 2×2 max pooling, stride 2.
    Max,
    /// 2×2 average pooling, stride 2.
    Avg,
}

/// One convolution block.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvGene {
    /// Stable identity across morphisms (weights follow it).
    pub id: u32,
    /// The convolution's kind.
    pub kind: BlockKind,
    /// Output channels.
    pub filters: usize,
    /// Kernel side, from the space's kernel set.
    pub kernel: usize,
    /// Border handling (downsampling convs always use same).
    pub padding: Padding,
    /// An optional pool after the convolution.
    pub pool: Option<PoolKind>,
    /// How the convolution's weights are pruned.
    pub pruning: Pruning,
}

/// One dense layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DenseGene {
    /// Stable identity across morphisms.
    pub id: u32,
    /// Output units (for the classifier, the class count).
    pub units: usize,
    /// How the weights are pruned.
    pub pruning: Pruning,
}

/// A point of the search space: the architecture and its pruning settings, searched jointly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Genome {
    /// Convolution blocks, first to last (at least one).
    pub blocks: Vec<ConvGene>,
    /// Hidden dense layers (0 to 2).
    pub hidden: Vec<DenseGene>,
    /// The classifier.
    pub classifier: DenseGene,
    /// The id the next new gene gets.
    pub next_id: u32,
}

/// The bounds of the space.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchSpace {
    /// `[channels, height, width]` of the data.
    pub input: [usize; 3],
    /// Number of classes.
    pub classes: usize,
    /// Most convolution blocks.
    pub max_blocks: usize,
    /// Most filters in a convolution.
    pub max_filters: usize,
    /// Kernel sides to choose from.
    pub kernels: Vec<usize>,
    /// Most hidden dense layers.
    pub max_hidden: usize,
    /// Fewest and most units in a hidden dense layer.
    pub hidden_units: (usize, usize),
}

impl SearchSpace {
    /// SpArSe's space for data of this shape and class count: 1–4 blocks of 1–100 filters with
    /// kernels {1, 3, 5}, 0–2 hidden dense layers of 10–200 units. On images so large that 100
    /// maps of them would pass `architecture::MAX_VALUES`, fewer filters.
    pub fn sparse(input: [usize; 3], classes: usize) -> Self {
        let pixels = (input[1] * input[2]).max(1);
        Self {
            input,
            classes,
            max_blocks: 4,
            max_filters: (MAX_VALUES / pixels).clamp(1, 100),
            kernels: vec![1, 3, 5],
            max_hidden: 2,
            hidden_units: (10, 200),
        }
    }

    /// Why genomes cannot be drawn from this space, if they cannot: every bound must be one
    /// an architecture accepts (`architecture::MAX_*`), so that every sample validates. A space
    /// read from a saved search is checked before it is used.
    pub fn check(&self) -> Result<(), String> {
        let values = |sides: &[usize]| sides.iter().map(|&d| d as u64).product::<u64>();
        let sides_ok = self.input.iter().all(|&d| (1..=MAX_SIZE).contains(&d));
        if !sides_ok || values(&self.input) > MAX_VALUES as u64 {
            return Err(format!("the space's input {:?}", self.input));
        }
        if !(1..=MAX_SIZE).contains(&self.classes) {
            return Err(format!("the space's {} classes", self.classes));
        }
        if !(1..=MAX_DEPTH).contains(&self.max_blocks) || self.max_hidden > MAX_DEPTH {
            return Err(format!(
                "the space's {} blocks and {} hidden layers (at most {MAX_DEPTH} each, and a block)",
                self.max_blocks, self.max_hidden
            ));
        }
        // The widest block keeps the input's sides ('same' padding, no stride).
        let [_, height, width] = self.input;
        if !(1..=MAX_SIZE).contains(&self.max_filters)
            || values(&[self.max_filters, height, width]) > MAX_VALUES as u64
        {
            return Err(format!(
                "the space's {} filters on {height}×{width} images",
                self.max_filters
            ));
        }
        if self.kernels.is_empty() || !self.kernels.iter().all(|k| (1..=MAX_KERNEL).contains(k)) {
            return Err(format!("the space's kernels {:?}", self.kernels));
        }
        let (fewest, most) = self.hidden_units;
        if fewest == 0 || fewest > most || most > MAX_UNITS {
            return Err(format!("the space's hidden units {fewest} to {most}"));
        }
        Ok(())
    }
}

impl Genome {
    /// The architecture this genome describes, for a space's input and classes.
    pub fn architecture(&self, space: &SearchSpace) -> Architecture {
        Architecture {
            input: space.input,
            classes: space.classes,
            layers: self
                .layers()
                .into_iter()
                .map(|(layer, _, _)| layer)
                .collect(),
        }
    }

    /// The architecture as its pruning settings promise it after training, for pricing a
    /// candidate before it trains: magnitude pruning leaves `1 − sparsity` of each layer's
    /// weights (exactly), Sparse Variational Dropout and Bayesian Compression are hoped to
    /// leave [`LEARNED_PRUNING_DENSITY`] (what they leave is known only after training).
    pub fn expected_architecture(&self, space: &SearchSpace) -> Architecture {
        let mut architecture = self.architecture(space);
        for (layer, pruning) in architecture.layers.iter_mut().zip(self.layer_pruning()) {
            let density = match pruning {
                Some(Pruning::Magnitude { sparsity }) => Some((1.0 - sparsity).clamp(0.01, 1.0)),
                Some(Pruning::Spvd { .. } | Pruning::Bc { .. }) => Some(LEARNED_PRUNING_DENSITY),
                Some(Pruning::None) | None => None,
            };
            layer.set_density(density);
        }
        architecture
    }

    /// The pruning setting of each layer of [`Genome::architecture`] (`None` for pools).
    pub fn layer_pruning(&self) -> Vec<Option<Pruning>> {
        self.layers().into_iter().map(|(_, _, p)| p).collect()
    }

    /// Layers with the (gene id, is-pool) key that identifies them across morphisms.
    fn layers(&self) -> Vec<(Layer, (u32, bool), Option<Pruning>)> {
        let mut out = Vec::new();
        for b in &self.blocks {
            let conv = Conv {
                filters: b.filters,
                kernel: b.kernel,
                stride: if b.kind == BlockKind::Downsample {
                    2
                } else {
                    1
                },
                padding: b.padding,
                density: None,
            };
            let layer = match b.kind {
                BlockKind::Dwconv => Layer::Dwconv(conv),
                BlockKind::Conv | BlockKind::Downsample => Layer::Conv(conv),
            };
            out.push((layer, (b.id, false), Some(b.pruning)));
            if let Some(kind) = b.pool {
                let pool = Pool { size: 2, stride: 2 };
                let layer = match kind {
                    PoolKind::Max => Layer::Maxpool(pool),
                    PoolKind::Avg => Layer::Avgpool(pool),
                };
                out.push((layer, (b.id, true), None));
            }
        }
        for d in self.hidden.iter().chain([&self.classifier]) {
            let layer = Layer::Dense(Dense {
                units: d.units,
                density: None,
            });
            out.push((layer, (d.id, false), Some(d.pruning)));
        }
        out
    }

    /// Whether the genome's architecture validates in `space`.
    pub fn is_valid(&self, space: &SearchSpace) -> bool {
        !self.blocks.is_empty() && self.architecture(space).output_shapes().is_ok()
    }

    /// Whether every layer passes on at least as many values as there are classes: a network
    /// that squeezes an image through fewer numbers (a 1×1×1 map, two features) cannot tell
    /// the classes apart, however long it trains.
    pub fn is_learnable(&self, space: &SearchSpace) -> bool {
        self.architecture(space)
            .output_shapes()
            .is_ok_and(|shapes| shapes.iter().all(|s| s.elements() >= space.classes))
    }

    fn fresh_id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id - 1
    }
}

impl SearchSpace {
    fn sample_pruning(&self, rng: &mut impl Rng) -> Pruning {
        match rng.random_range(0..4) {
            0 => Pruning::None,
            1 => Pruning::Spvd {
                log_alpha: rng.random_range(2.0..4.0),
            },
            2 => Pruning::Bc {
                log_alpha: rng.random_range(1.0..4.0),
            },
            _ => Pruning::Magnitude {
                sparsity: rng.random_range(0.3..0.95),
            },
        }
    }

    fn sample_filters(&self, rng: &mut impl Rng) -> usize {
        // Log-uniform: small layers are as likely to be tried as large ones.
        let max = self.max_filters.max(1) as f64;
        (max.powf(rng.random_range(0.0..1.0)).round() as usize).clamp(1, self.max_filters)
    }

    /// The kernel sides a block of `kind` may use: a downsampling conv's kernel is at least its
    /// stride of 2, so it reads every input pixel (a 1×1 kernel at stride 2 would discard three
    /// quarters of its input unseen; with one or two filters such networks barely learn).
    fn kernels_for(&self, kind: BlockKind) -> Vec<usize> {
        let wide: Vec<usize> = self.kernels.iter().copied().filter(|&k| k >= 2).collect();
        if kind == BlockKind::Downsample && !wide.is_empty() {
            wide
        } else {
            self.kernels.clone()
        }
    }

    /// A block that fits an input of side `side`: valid padding only where the kernel fits,
    /// a pool only where the output has a side of at least 2.
    fn sample_block(&self, id: u32, side: usize, rng: &mut impl Rng) -> ConvGene {
        let kind = *[BlockKind::Conv, BlockKind::Dwconv, BlockKind::Downsample]
            .choose(rng)
            .expect("non-empty");
        let kernel = *self.kernels_for(kind).choose(rng).unwrap_or(&3);
        let padding = if kind != BlockKind::Downsample && side >= kernel && rng.random_bool(0.5) {
            Padding::Valid
        } else {
            Padding::Same
        };
        let mut block = ConvGene {
            id,
            kind,
            filters: self.sample_filters(rng),
            kernel,
            padding,
            pool: None,
            pruning: self.sample_pruning(rng),
        };
        if block_output_side(&block, side) >= 2 && rng.random_bool(0.5) {
            block.pool = Some(if rng.random_bool(0.5) {
                PoolKind::Max
            } else {
                PoolKind::Avg
            });
        }
        block
    }

    fn sample_dense(&self, id: u32, rng: &mut impl Rng) -> DenseGene {
        let (lo, hi) = self.hidden_units;
        DenseGene {
            id,
            units: rng.random_range(lo..=hi.max(lo)),
            pruning: self.sample_pruning(rng),
        }
    }

    /// A random genome of the space; its architecture always validates, and it is redrawn
    /// (up to [`SAMPLE_TRIES`] times) until no layer is narrower than the class count.
    pub fn sample(&self, rng: &mut impl Rng) -> Genome {
        let mut genome = self.sample_once(rng);
        for _ in 1..SAMPLE_TRIES {
            if genome.is_learnable(self) {
                break;
            }
            genome = self.sample_once(rng);
        }
        genome
    }

    fn sample_once(&self, rng: &mut impl Rng) -> Genome {
        let mut genome = Genome {
            blocks: Vec::new(),
            hidden: Vec::new(),
            classifier: DenseGene {
                id: 0,
                units: self.classes,
                pruning: Pruning::None,
            },
            next_id: 1,
        };
        genome.classifier.pruning = self.sample_pruning(rng);
        let mut side = self.input[1].min(self.input[2]);
        for _ in 0..rng.random_range(1..=self.max_blocks.max(1)) {
            let id = genome.fresh_id();
            let block = self.sample_block(id, side, rng);
            side = block_output_side(&block, side);
            genome.blocks.push(block);
        }
        for _ in 0..rng.random_range(0..=self.max_hidden) {
            let id = genome.fresh_id();
            genome.hidden.push(self.sample_dense(id, rng));
        }
        debug_assert!(genome.is_valid(self));
        genome
    }
}

/// The side of a block's output for an input of side `side` (pool included).
fn block_output_side(block: &ConvGene, side: usize) -> usize {
    let stride = if block.kind == BlockKind::Downsample {
        2
    } else {
        1
    };
    let out = match block.padding {
        Padding::Same => side.div_ceil(stride),
        Padding::Valid => (side.saturating_sub(block.kernel)) / stride + 1,
    };
    match block.pool {
        Some(_) if out >= 2 => (out - 2) / 2 + 1,
        _ => out,
    }
}

/// The smaller input side that block `at` of `genome` receives.
fn input_side_of_block(genome: &Genome, space: &SearchSpace, at: usize) -> usize {
    let side = space.input[1].min(space.input[2]);
    genome.blocks[..at]
        .iter()
        .fold(side, |s, b| block_output_side(b, s))
}

#[cfg(test)]
mod tests;
