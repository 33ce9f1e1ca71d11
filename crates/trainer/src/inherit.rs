//! Weight inheritance after a network morphism (Net2Net, Chen et al. 2016): a child network
//! starts from its parent's trained weights wherever a layer carries over.
//!
//! Each weight tensor is viewed as `[outputs, input channels, rest]` (rest: the kernel window,
//! or the spatial positions a dense layer reads per input channel). Every inherited layer maps
//! its child outputs to parent outputs: widened, child output `o` copies parent output
//! `o mod P` (replication); narrowed, the child keeps the parent outputs whose weights have the
//! largest norms. The next layer reads its input channels through the same map and divides the
//! weight of a channel replicated `n` times by `n`, so a widened network computes exactly what
//! its parent did. Windows or positions that differ keep the child's fresh initialisation
//! beyond the overlap, and layers with no parent stay fresh.

use crate::{Network, Result};
use candle_core::{DType, Tensor, Var};
use sparse_core::architecture::{Layer, Shape};

/// A weight tensor's values with its `[outputs, inputs, rest]` view.
struct View {
    values: Vec<f64>,
    outputs: usize,
    inputs: usize,
    rest: usize,
}

impl View {
    fn of(var: &Var, inputs: usize) -> Result<View> {
        let values: Vec<f64> = var.flatten_all()?.to_dtype(DType::F64)?.to_vec1()?;
        let outputs = var.dims()[0];
        let rest = values.len() / (outputs * inputs).max(1);
        Ok(View {
            values,
            outputs,
            inputs,
            rest,
        })
    }
}

/// Which parent output each child output copies: all of them then replicas when widening,
/// the `child` outputs with the largest weight norms (in order) when narrowing.
fn output_map(parent: &View, child: usize) -> Vec<usize> {
    if child >= parent.outputs {
        return (0..child).map(|o| o % parent.outputs).collect();
    }
    let row = parent.inputs * parent.rest;
    let norm = |o: usize| -> f64 {
        parent.values[o * row..(o + 1) * row]
            .iter()
            .map(|v| v * v)
            .sum()
    };
    let mut ranked: Vec<usize> = (0..parent.outputs).collect();
    ranked.sort_by(|&a, &b| norm(b).total_cmp(&norm(a)));
    let mut kept = ranked[..child].to_vec();
    kept.sort_unstable();
    kept
}

/// How many times each parent channel appears in `map`.
fn replication(map: &[usize], parent: usize) -> Vec<usize> {
    let mut counts = vec![0; parent];
    for &s in map {
        counts[s] += 1;
    }
    counts
}

/// Copies `parent` into `child` (a weight and its bias). `inputs` maps each child input
/// channel to a parent one (`None`: the channels do not correspond, so use the same index
/// where it exists, or `k mod P`); a replicated input channel's weight is divided by its count.
/// Returns the output map.
fn inherit_tensor(
    parent: (&Var, &Var),
    child: (&Var, &Var),
    input_channels: (usize, usize),
    inputs: Option<&[usize]>,
    outputs: Option<Vec<usize>>,
) -> Result<Vec<usize>> {
    let p = View::of(parent.0, input_channels.0)?;
    let mut c = View::of(child.0, input_channels.1)?;
    let p_bias: Vec<f64> = parent.1.to_dtype(DType::F64)?.to_vec1()?;
    let mut c_bias: Vec<f64> = child.1.to_dtype(DType::F64)?.to_vec1()?;
    let out_map = outputs.unwrap_or_else(|| output_map(&p, c.outputs));
    let in_map: Vec<usize> = match inputs {
        Some(map) if map.len() == c.inputs && map.iter().all(|&s| s < p.inputs) => map.to_vec(),
        _ => (0..c.inputs).map(|k| k % p.inputs).collect(),
    };
    let counts = replication(&in_map, p.inputs);
    let rest = p.rest.min(c.rest);
    for (o, &so) in out_map.iter().enumerate() {
        c_bias[o] = p_bias[so];
        for (k, &sk) in in_map.iter().enumerate() {
            let scale = 1.0 / counts[sk] as f64;
            for r in 0..rest {
                c.values[(o * c.inputs + k) * c.rest + r] =
                    p.values[(so * p.inputs + sk) * p.rest + r] * scale;
            }
        }
    }
    let (dims, dtype, device) = (child.0.dims().to_vec(), child.0.dtype(), child.0.device());
    let weight = Tensor::from_vec(c.values, dims, device)?.to_dtype(dtype)?;
    child.0.set(&weight)?;
    let n = c_bias.len();
    child
        .1
        .set(&Tensor::from_vec(c_bias, n, device)?.to_dtype(dtype)?)?;
    Ok(out_map)
}

/// Channels of a shape (a flat vector counts as that many channels).
fn channels(shape: Shape) -> usize {
    match shape {
        Shape::Map([c, _, _]) => c,
        Shape::Flat([n]) => n,
    }
}

impl Network {
    /// Overwrites this (freshly built) network's weights with `parent`'s where
    /// `inherits_from[i] = Some(j)` says child layer `i` carries over parent layer `j` (as
    /// [`sparse_core::space::Morph::inherits_from`] does).
    pub fn inherit_from(&self, parent: &Network, inherits_from: &[Option<usize>]) -> Result<()> {
        self.transfer(parent, inherits_from, &[])
    }

    /// Copies `parent` layer by layer into this network of the same layers with fewer channels:
    /// `kept[i]` lists the parent channels layer `i` keeps (`None`: all of them).
    pub(crate) fn copy_channels_from(
        &self,
        parent: &Network,
        kept: &[Option<Vec<usize>>],
    ) -> Result<()> {
        let same: Vec<Option<usize>> = (0..kept.len()).map(Some).collect();
        self.transfer(parent, &same, kept)
    }

    /// Copies weights from `parent` along `inherits_from`, with explicit output maps where
    /// `outputs[i]` gives them.
    fn transfer(
        &self,
        parent: &Network,
        inherits_from: &[Option<usize>],
        outputs: &[Option<Vec<usize>>],
    ) -> Result<()> {
        let child_arch = self.architecture();
        let parent_arch = parent.architecture();
        let input_shapes = |arch: &sparse_core::Architecture| -> Result<Vec<Shape>> {
            let mut shapes = vec![Shape::Map(arch.input)];
            shapes.extend(arch.output_shapes()?);
            Ok(shapes)
        };
        let (child_in, parent_in) = (input_shapes(child_arch)?, input_shapes(parent_arch)?);
        // The parent channel behind each channel flowing into the current layer, if they came
        // from an inherited layer.
        let mut incoming: Option<Vec<usize>> = None;
        for (i, layer) in child_arch.layers.iter().enumerate() {
            let Some(j) = inherits_from.get(i).copied().flatten() else {
                incoming = None;
                continue;
            };
            let parent_layer = &parent_arch.layers[j];
            if std::mem::discriminant(layer) != std::mem::discriminant(parent_layer) {
                incoming = None;
                continue;
            }
            let (ci, pi) = (channels(child_in[i]), channels(parent_in[j]));
            let (c, p) = (self.layer_params(i), parent.layer_params(j));
            let inputs = incoming.as_deref();
            let explicit = outputs.get(i).cloned().flatten();
            incoming = match layer {
                Layer::Conv(_) | Layer::Dense(_) => Some(inherit_tensor(
                    (&p[0], &p[1]),
                    (&c[0], &c[1]),
                    (pi, ci),
                    inputs,
                    explicit,
                )?),
                Layer::Dwconv(_) => {
                    // Depthwise: one filter per channel, following the incoming channels.
                    let channel_map = inputs
                        .filter(|m| m.len() == ci && m.iter().all(|&s| s < pi))
                        .map_or_else(|| (0..ci).map(|k| k % pi).collect(), <[usize]>::to_vec);
                    let middle = inherit_tensor(
                        (&p[0], &p[1]),
                        (&c[0], &c[1]),
                        (1, 1),
                        None,
                        Some(channel_map),
                    )?;
                    Some(inherit_tensor(
                        (&p[2], &p[3]),
                        (&c[2], &c[3]),
                        (pi, ci),
                        Some(&middle),
                        explicit,
                    )?)
                }
                // Pools pass channels through unchanged.
                Layer::Maxpool(_) | Layer::Avgpool(_) => incoming,
            };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_replicate_when_widening_and_keep_the_strongest_when_narrowing() {
        let view = View {
            values: vec![0.1, 3.0, -2.0, 0.5],
            outputs: 4,
            inputs: 1,
            rest: 1,
        };
        assert_eq!(output_map(&view, 6), vec![0, 1, 2, 3, 0, 1]);
        assert_eq!(output_map(&view, 2), vec![1, 2]);
        assert_eq!(replication(&[0, 1, 2, 3, 0, 1], 4), vec![2, 2, 1, 1]);
    }
}
