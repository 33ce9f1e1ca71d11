//! Bayesian Compression at the level of whole filters and units (after Louizos, Ullrich and
//! Welling, 2017): each output channel of a pruned layer is multiplied by a scale z with a
//! Gaussian posterior N(μ, σ²) under a log-uniform prior. Training samples z per example and
//! adds the KL term; channels whose log α = log σ² − log μ² ends above the threshold are
//! removed, and [`Network::without_pruned_groups`] builds the smaller network (μ folded into
//! the weights), so working memory falls as well as model size.

use crate::{Network, Result};
use candle_core::{DType, Tensor, Var};
use rand::rngs::StdRng;
use sparse_core::architecture::Layer;

/// The scales of one layer's output channels.
#[derive(Clone, Debug)]
pub(crate) struct GroupScales {
    /// Channels whose log α ends above this are removed.
    pub threshold: f64,
    /// Posterior means, one per channel (start at 1: the layer unchanged).
    pub mu: Var,
    /// Posterior log variances (start at -10: almost no noise).
    pub log_sigma2: Var,
}

impl GroupScales {
    /// Scales for `channels` outputs in `dtype`.
    pub fn new(channels: usize, threshold: f64, dtype: DType) -> Result<Self> {
        let ones = Tensor::ones(channels, dtype, &candle_core::Device::Cpu)?;
        Ok(Self {
            threshold,
            mu: Var::from_tensor(&ones)?,
            log_sigma2: Var::from_tensor(&(ones * -10.0)?)?,
        })
    }

    /// log α per channel, clamped to [-10, 10].
    pub fn log_alpha(&self) -> Result<Tensor> {
        let log_mu2 = (self.mu.sqr()? + 1e-8)?.log()?;
        Ok((self.log_sigma2.as_tensor() - log_mu2)?.clamp(-10.0, 10.0)?)
    }

    /// Multiplies `y` (`[n, c, …]`) channel by channel by μ, or, with `noise`, by a sample of z
    /// drawn for each example.
    pub fn scale(&self, y: &Tensor, noise: &mut Option<&mut StdRng>) -> Result<Tensor> {
        let (n, c) = (y.dims()[0], y.dims()[1]);
        let z = match noise {
            Some(rng) => {
                let eps = crate::network::standard_normal(&[n, c], y.dtype(), rng)?;
                let std = (self.log_sigma2.as_tensor() * 0.5)?.exp()?;
                eps.broadcast_mul(&std)?.broadcast_add(&self.mu)?
            }
            None => self.mu.as_tensor().reshape((1, c))?,
        };
        let shape: Vec<usize> = [z.dims()[0], c]
            .into_iter()
            .chain(std::iter::repeat_n(1, y.rank() - 2))
            .collect();
        Ok(y.broadcast_mul(&z.reshape(shape)?)?)
    }

    /// Indices of the channels that stay (at least the one with the smallest log α).
    pub fn kept(&self) -> Result<Vec<usize>> {
        let la: Vec<f64> = self.log_alpha()?.to_dtype(DType::F64)?.to_vec1()?;
        let mut kept: Vec<usize> = (0..la.len()).filter(|&c| la[c] < self.threshold).collect();
        if kept.is_empty() {
            let best = (0..la.len()).min_by(|&a, &b| la[a].total_cmp(&la[b]));
            kept.extend(best);
        }
        Ok(kept)
    }
}

impl Network {
    /// A removed channel feeds zeros into the next layer, but where that layer is a dwconv its
    /// depthwise bias still turns the zeros into a constant that the pointwise half reads; that
    /// constant is added to the child's pointwise bias so the function is unchanged.
    fn absorb_removed_depthwise_biases(
        &self,
        child: &Network,
        kept: &[Option<Vec<usize>>],
    ) -> Result<()> {
        let mut incoming: Option<&Vec<usize>> = None;
        for (i, layer) in self.architecture().layers.iter().enumerate() {
            if let (Layer::Dwconv(_), Some(inputs)) = (layer, incoming) {
                let parent = self.layer_params(i);
                let dw_bias: Vec<f64> = parent[1].to_dtype(DType::F64)?.to_vec1()?;
                let pw: Vec<Vec<f64>> =
                    parent[2].flatten_from(1)?.to_dtype(DType::F64)?.to_vec2()?;
                let removed: Vec<usize> =
                    (0..dw_bias.len()).filter(|m| !inputs.contains(m)).collect();
                let outputs: Vec<usize> =
                    kept[i].clone().unwrap_or_else(|| (0..pw.len()).collect());
                let extra: Vec<f64> = outputs
                    .iter()
                    .map(|&o| removed.iter().map(|&m| pw[o][m] * dw_bias[m]).sum())
                    .collect();
                let bias = &child.layer_params(i)[3];
                let n = extra.len();
                let extra = Tensor::from_vec(extra, n, bias.device())?.to_dtype(bias.dtype())?;
                bias.set(&(bias.as_tensor() + extra)?)?;
            }
            if !layer.is_pool() {
                incoming = kept[i].as_ref();
            }
        }
        Ok(())
    }

    /// The network without the channels Bayesian Compression removed: a smaller architecture
    /// whose layers carry the kept channels' weights with μ folded in. Unchanged when no layer
    /// has group scales.
    pub fn without_pruned_groups(&self) -> Result<Network> {
        let mut arch = self.architecture().clone();
        let mut kept: Vec<Option<Vec<usize>>> = Vec::with_capacity(arch.layers.len());
        for (i, layer) in arch.layers.iter_mut().enumerate() {
            let Some(scales) = self.group_scales(i) else {
                kept.push(None);
                continue;
            };
            let channels = scales.kept()?;
            match layer {
                Layer::Conv(c) | Layer::Dwconv(c) => c.filters = channels.len(),
                Layer::Dense(d) => d.units = channels.len(),
                Layer::Maxpool(_) | Layer::Avgpool(_) => {}
            }
            kept.push(Some(channels));
        }
        let child = Network::with_dtype(&arch, 0, &candle_core::Device::Cpu, self.dtype())?;
        child.copy_channels_from(self, &kept)?;
        self.absorb_removed_depthwise_biases(&child, &kept)?;
        // Fold the kept channels' μ into their weights and biases (the last weight tensor of
        // the layer: the pointwise half of a dwconv).
        for (i, channels) in kept.iter().enumerate() {
            let (Some(channels), Some(scales)) = (channels, self.group_scales(i)) else {
                continue;
            };
            let index: Vec<u32> = channels.iter().map(|&c| c as u32).collect();
            let index = Tensor::from_vec(index, channels.len(), &candle_core::Device::Cpu)?;
            let mu = scales.mu.as_tensor().index_select(&index, 0)?;
            let params = child.layer_params(i);
            let (weight, bias) = (&params[params.len() - 2], &params[params.len() - 1]);
            let row: Vec<usize> = std::iter::once(channels.len())
                .chain(std::iter::repeat_n(1, weight.rank() - 1))
                .collect();
            weight.set(&weight.broadcast_mul(&mu.reshape(row)?)?)?;
            bias.set(&(bias.as_tensor() * &mu)?)?;
        }
        Ok(child)
    }
}
