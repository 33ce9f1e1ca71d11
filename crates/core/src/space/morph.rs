//! Network morphisms of a genome: the ten kinds, one drawn at random until it yields a valid
//! (and, from a learnable parent, learnable) child, and for each child layer the parent layer
//! whose weights it inherits.

use super::{Genome, PoolKind, SearchSpace, input_side_of_block};
use rand::Rng;
use rand::seq::IndexedRandom;
use serde::{Deserialize, Serialize};

/// Which morphism made a child.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MorphKind {
    /// A new convolution block.
    AddBlock,
    /// A convolution block removed.
    RemoveBlock,
    /// A new hidden dense layer.
    AddDense,
    /// A hidden dense layer removed.
    RemoveDense,
    /// More filters or units in one layer.
    Widen,
    /// Fewer filters or units in one layer.
    Narrow,
    /// Another kernel size for one convolution.
    ChangeKernel,
    /// A pool added after a block.
    AddPool,
    /// A pool removed.
    RemovePool,
    /// Another pruning method or threshold for one layer.
    ChangePruning,
}

impl MorphKind {
    /// What the morphism did, in words ("added a convolution block").
    pub fn describe(self) -> &'static str {
        match self {
            Self::AddBlock => "added a convolution block",
            Self::RemoveBlock => "removed a convolution block",
            Self::AddDense => "added a hidden dense layer",
            Self::RemoveDense => "removed a hidden dense layer",
            Self::Widen => "widened a layer",
            Self::Narrow => "narrowed a layer",
            Self::ChangeKernel => "changed a convolution's kernel",
            Self::AddPool => "added a pool",
            Self::RemovePool => "removed a pool",
            Self::ChangePruning => "changed a layer's pruning",
        }
    }
}

/// A child genome, the morphism that made it, and where its weights come from.
#[derive(Clone, Debug, PartialEq)]
pub struct Morph {
    /// The child.
    pub child: Genome,
    /// The morphism applied.
    pub kind: MorphKind,
    /// For each layer of the child's architecture, the layer of the parent's architecture
    /// whose weights it starts from (copied where shapes agree, resized after a widen or
    /// narrow), or `None` for a new layer. Pools are listed too, having no weights.
    pub inherits_from: Vec<Option<usize>>,
}

impl SearchSpace {
    /// One random network morphism of `parent` that yields a valid child. Morphisms that
    /// cannot apply (removing the only block, adding past the limits) or would break the
    /// architecture are redrawn; a change of pruning setting always applies.
    pub fn morph(&self, parent: &Genome, rng: &mut impl Rng) -> Morph {
        const KINDS: [MorphKind; 10] = [
            MorphKind::AddBlock,
            MorphKind::RemoveBlock,
            MorphKind::AddDense,
            MorphKind::RemoveDense,
            MorphKind::Widen,
            MorphKind::Narrow,
            MorphKind::ChangeKernel,
            MorphKind::AddPool,
            MorphKind::RemovePool,
            MorphKind::ChangePruning,
        ];
        // A parent that already squeezes below the class count (a run saved before that rule)
        // may still have children that do.
        let must_be_learnable = parent.is_learnable(self);
        for _ in 0..32 {
            let kind = *KINDS.choose(rng).expect("non-empty");
            if let Some(child) = self.try_morph(parent, kind, rng)
                && child != *parent
                && child.is_valid(self)
                && (!must_be_learnable || child.is_learnable(self))
            {
                return Morph {
                    inherits_from: inheritance(parent, &child),
                    child,
                    kind,
                };
            }
        }
        let child = self
            .try_morph(parent, MorphKind::ChangePruning, rng)
            .expect("a pruning change always applies");
        Morph {
            inherits_from: inheritance(parent, &child),
            child,
            kind: MorphKind::ChangePruning,
        }
    }

    fn try_morph(&self, parent: &Genome, kind: MorphKind, rng: &mut impl Rng) -> Option<Genome> {
        let mut g = parent.clone();
        let blocks = g.blocks.len();
        match kind {
            MorphKind::AddBlock if blocks < self.max_blocks => {
                let at = rng.random_range(0..=blocks);
                let id = g.fresh_id();
                let side = input_side_of_block(&g, self, at);
                let block = self.sample_block(id, side, rng);
                g.blocks.insert(at, block);
            }
            MorphKind::RemoveBlock if blocks > 1 => {
                g.blocks.remove(rng.random_range(0..blocks));
            }
            MorphKind::AddDense if g.hidden.len() < self.max_hidden => {
                let at = rng.random_range(0..=g.hidden.len());
                let id = g.fresh_id();
                let dense = self.sample_dense(id, rng);
                g.hidden.insert(at, dense);
            }
            MorphKind::RemoveDense if !g.hidden.is_empty() => {
                g.hidden.remove(rng.random_range(0..g.hidden.len()));
            }
            MorphKind::Widen | MorphKind::Narrow => {
                let grow = kind == MorphKind::Widen;
                let factor = rng.random_range(1.25..2.0);
                let resize = |n: usize, lo: usize, hi: usize| {
                    let m = if grow {
                        (n as f64 * factor).ceil() as usize
                    } else {
                        (n as f64 / factor).floor() as usize
                    };
                    m.clamp(lo, hi)
                };
                let target = rng.random_range(0..blocks + g.hidden.len());
                if target < blocks {
                    let b = &mut g.blocks[target];
                    b.filters = resize(b.filters, 1, self.max_filters);
                } else {
                    let (lo, hi) = self.hidden_units;
                    let d = &mut g.hidden[target - blocks];
                    d.units = resize(d.units, lo, hi);
                }
            }
            MorphKind::ChangeKernel => {
                let b = &mut g.blocks[rng.random_range(0..blocks)];
                let others: Vec<usize> = self
                    .kernels_for(b.kind)
                    .into_iter()
                    .filter(|&k| k != b.kernel)
                    .collect();
                b.kernel = *others.choose(rng)?;
                // New kernel, new weights.
                b.id = g.next_id;
                g.next_id += 1;
            }
            MorphKind::AddPool => {
                let free: Vec<usize> = (0..blocks)
                    .filter(|&i| g.blocks[i].pool.is_none())
                    .collect();
                let i = *free.choose(rng)?;
                g.blocks[i].pool = Some(if rng.random_bool(0.5) {
                    PoolKind::Max
                } else {
                    PoolKind::Avg
                });
            }
            MorphKind::RemovePool => {
                let pooled: Vec<usize> = (0..blocks)
                    .filter(|&i| g.blocks[i].pool.is_some())
                    .collect();
                g.blocks[*pooled.choose(rng)?].pool = None;
            }
            MorphKind::ChangePruning => {
                let target = rng.random_range(0..blocks + g.hidden.len() + 1);
                let pruning = self.sample_pruning(rng);
                if target < blocks {
                    g.blocks[target].pruning = pruning;
                } else if target < blocks + g.hidden.len() {
                    g.hidden[target - blocks].pruning = pruning;
                } else {
                    g.classifier.pruning = pruning;
                }
            }
            _ => return None,
        }
        Some(g)
    }
}

/// For each child layer, the parent layer with the same gene and role.
pub(super) fn inheritance(parent: &Genome, child: &Genome) -> Vec<Option<usize>> {
    let parent_keys: Vec<(u32, bool)> = parent.layers().into_iter().map(|(_, k, _)| k).collect();
    child
        .layers()
        .into_iter()
        .map(|(_, key, _)| parent_keys.iter().position(|&k| k == key))
        .collect()
}
