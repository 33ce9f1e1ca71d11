//! A candle network built from an [`Architecture`]: weight and bias variables for every conv,
//! dwconv and dense layer, initialised from a seed, and the forward pass the description
//! implies.

mod linear;

use crate::compress::GroupScales;
use crate::pool::{Reduce, pool};
use crate::relu::relu;
use crate::{Error, Result};
use candle_core::{DType, Device, Tensor, Var};
use linear::sampled;
pub(crate) use linear::{LinearOp, conv_op, pointwise, standard_normal};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sparse_core::Architecture;
use sparse_core::architecture::{Layer, Shape};
use sparse_core::quant::{FloatLayer, FloatTensor};

/// The most weights a network may have: 50 million (with Adam's two moments, 600 MB of f32),
/// far past any microcontroller, so a mistyped architecture is refused instead of aborting
/// the process when its memory cannot be had.
const MAX_PARAMETERS: u64 = 50_000_000;

/// A trainable CNN: the description it was built from and its candle variables, per layer in
/// the order weight, bias (and for a dwconv: depthwise weight, bias, pointwise weight, bias).
#[derive(Debug)]
pub struct Network {
    architecture: Architecture,
    params: Vec<Vec<Var>>,
    dtype: DType,
    /// Sparse Variational Dropout state per layer: the log α threshold and a log σ² per
    /// weight tensor (aligned with [`Network::layer_weights`]), or `None`.
    variational: Vec<Option<(f64, Vec<Var>)>>,
    /// Bayesian Compression scales of each layer's output channels, or `None`.
    groups: Vec<Option<GroupScales>>,
}

/// Draws weights and biases uniform in ±1/√fan-in (PyTorch's default) from one seeded stream.
struct Init {
    rng: StdRng,
    dtype: DType,
}

impl Init {
    fn uniform(&mut self, dims: &[usize], fan_in: usize, device: &Device) -> Result<Var> {
        let bound = 1.0 / (fan_in as f32).sqrt();
        let n = dims.iter().product();
        let values: Vec<f32> = (0..n)
            .map(|_| self.rng.random_range(-bound..bound))
            .collect();
        let tensor = Tensor::from_vec(values, dims, device)?.to_dtype(self.dtype)?;
        Ok(Var::from_tensor(&tensor)?)
    }

    /// A weight of `dims` and a bias of `outputs`.
    fn layer(
        &mut self,
        dims: &[usize],
        fan_in: usize,
        outputs: usize,
        device: &Device,
    ) -> Result<[Var; 2]> {
        Ok([
            self.uniform(dims, fan_in, device)?,
            self.uniform(&[outputs], fan_in, device)?,
        ])
    }
}

impl Network {
    /// Builds the network in f32 with weights drawn from `seed`, so that a seed always gives
    /// the same network.
    pub fn new(architecture: &Architecture, seed: u64, device: &Device) -> Result<Self> {
        Self::with_dtype(architecture, seed, device, DType::F32)
    }

    /// As [`Network::new`], computing in `dtype` (f64 lets tests take finite differences).
    pub fn with_dtype(
        architecture: &Architecture,
        seed: u64,
        device: &Device,
        dtype: DType,
    ) -> Result<Self> {
        let shapes = architecture.output_shapes()?;
        let costs = sparse_core::cost::cost(architecture)?;
        // (Activations are bounded by the architecture's own validation.)
        if costs.parameters > MAX_PARAMETERS {
            return Err(Error::TooLarge {
                parameters: costs.parameters,
                limit: MAX_PARAMETERS,
            });
        }
        let mut init = Init {
            rng: StdRng::seed_from_u64(seed),
            dtype,
        };
        let mut input = Shape::Map(architecture.input);
        let mut params = Vec::with_capacity(architecture.layers.len());
        for (layer, &output) in architecture.layers.iter().zip(&shapes) {
            let channels = match input {
                Shape::Map([c, _, _]) => c,
                Shape::Flat([n]) => n,
            };
            let vars: Vec<Var> = match layer {
                Layer::Conv(conv) => {
                    let k = conv.kernel;
                    let dims = [conv.filters, channels, k, k];
                    init.layer(&dims, channels * k * k, conv.filters, device)?
                        .into()
                }
                Layer::Dwconv(conv) => {
                    let k = conv.kernel;
                    let [dw, dw_bias] =
                        init.layer(&[channels, 1, k, k], k * k, channels, device)?;
                    let pw_dims = [conv.filters, channels, 1, 1];
                    let [pw, pw_bias] = init.layer(&pw_dims, channels, conv.filters, device)?;
                    vec![dw, dw_bias, pw, pw_bias]
                }
                Layer::Dense(dense) => {
                    let fan_in = input.elements();
                    init.layer(&[dense.units, fan_in], fan_in, dense.units, device)?
                        .into()
                }
                Layer::Maxpool(_) | Layer::Avgpool(_) => Vec::new(),
            };
            params.push(vars);
            input = output;
        }
        Ok(Self {
            architecture: architecture.clone(),
            variational: vec![None; params.len()],
            groups: vec![None; params.len()],
            params,
            dtype,
        })
    }

    /// The description this network was built from.
    pub fn architecture(&self) -> &Architecture {
        &self.architecture
    }

    /// Every trainable variable, for the optimiser (log σ² of variational layers included).
    pub fn vars(&self) -> Vec<Var> {
        let variational = self.variational.iter().flatten().flat_map(|(_, v)| v);
        let groups = self
            .groups
            .iter()
            .flatten()
            .flat_map(|g| [&g.mu, &g.log_sigma2]);
        self.params
            .iter()
            .flatten()
            .chain(variational)
            .chain(groups)
            .cloned()
            .collect()
    }

    /// Makes layer `index` variational for Sparse Variational Dropout: a log σ² per weight,
    /// starting at -10 (almost no noise); weights whose log α ends above `threshold` are
    /// removed by [`Network::apply_variational_masks`].
    pub fn make_variational(&mut self, index: usize, threshold: f64) -> Result<()> {
        let log_sigma2 = self
            .layer_weights(index)
            .iter()
            .map(|w| Ok(Var::from_tensor(&(w.ones_like()? * -10.0)?)?))
            .collect::<Result<Vec<_>>>()?;
        if !log_sigma2.is_empty() {
            self.variational[index] = Some((threshold, log_sigma2));
        }
        Ok(())
    }

    /// Gives the output channels of layer `index` (a conv, dwconv or hidden dense layer)
    /// Bayesian Compression scales; channels whose log α ends above `threshold` are removed by
    /// [`Network::without_pruned_groups`]. The last layer (the classes) is left whole.
    pub fn make_group_scaled(&mut self, index: usize, threshold: f64) -> Result<()> {
        let last = index + 1 == self.architecture.layers.len();
        let channels = match &self.architecture.layers[index] {
            Layer::Conv(c) | Layer::Dwconv(c) => c.filters,
            Layer::Dense(d) => d.units,
            Layer::Maxpool(_) | Layer::Avgpool(_) => return Ok(()),
        };
        if !last {
            self.groups[index] = Some(GroupScales::new(channels, threshold, self.dtype)?);
        }
        Ok(())
    }

    /// The Bayesian Compression scales of layer `index`, if any.
    pub(crate) fn group_scales(&self, index: usize) -> Option<&GroupScales> {
        self.groups[index].as_ref()
    }

    /// The type the network computes in.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Whether any layer is variational (Sparse Variational Dropout or Bayesian Compression),
    /// so that training samples noise and adds a KL term.
    pub fn is_variational(&self) -> bool {
        self.variational.iter().any(Option::is_some) || self.groups.iter().any(Option::is_some)
    }

    /// log α = log σ² − log θ² of one weight tensor, clamped to [-10, 10].
    fn log_alpha(weight: &Var, log_sigma2: &Var) -> Result<Tensor> {
        let log_theta2 = (weight.sqr()? + 1e-8)?.log()?;
        Ok((log_sigma2.as_tensor() - log_theta2)?.clamp(-10.0, 10.0)?)
    }

    /// The KL divergence of every variational weight and channel scale from the log-uniform
    /// prior, with the approximation of Molchanov et al. (2017).
    pub fn kl_divergence(&self) -> Result<Tensor> {
        const K1: f64 = 0.63576;
        const K2: f64 = 1.87320;
        const K3: f64 = 1.48695;
        let kl = |la: Tensor| -> Result<Tensor> {
            let sig = candle_nn::ops::sigmoid(&((la.clone() * K3)? + K2)?)?;
            let log1p = (la.neg()?.exp()? + 1.0)?.log()?;
            let neg_kl = (((sig * K1)? - (log1p * 0.5)?)? - K1)?;
            Ok(neg_kl.sum_all()?.neg()?)
        };
        let mut total = Tensor::zeros((), self.dtype, &Device::Cpu)?;
        for scales in self.groups.iter().flatten() {
            total = (total + kl(scales.log_alpha()?)?)?;
        }
        for (i, state) in self.variational.iter().enumerate() {
            let Some((_, log_sigma2)) = state else {
                continue;
            };
            for (weight, ls2) in self.layer_weights(i).into_iter().zip(log_sigma2) {
                total = (total + kl(Self::log_alpha(weight, ls2)?)?)?;
            }
        }
        Ok(total)
    }

    /// Removes, for good, every variational weight whose log α exceeds its layer's threshold.
    pub fn apply_variational_masks(&self) -> Result<()> {
        for (i, state) in self.variational.iter().enumerate() {
            let Some((threshold, log_sigma2)) = state else {
                continue;
            };
            for (weight, ls2) in self.layer_weights(i).into_iter().zip(log_sigma2) {
                let log_alpha = Self::log_alpha(weight, ls2)?;
                let mut keep = log_alpha.lt(*threshold)?.to_dtype(weight.dtype())?;
                // Never the whole tensor: the weight with the smallest log α stays.
                if keep.sum_all()?.to_dtype(DType::F64)?.to_scalar::<f64>()? == 0.0 {
                    let flat = log_alpha.flatten_all()?;
                    let best = flat.argmin(0)?.to_scalar::<u32>()? as usize;
                    let mut mask = vec![0f64; flat.elem_count()];
                    mask[best] = 1.0;
                    keep = Tensor::from_vec(mask, weight.shape(), weight.device())?
                        .to_dtype(weight.dtype())?;
                }
                weight.set(&(weight.as_tensor() * keep)?)?;
            }
        }
        Ok(())
    }

    /// The weight tensors (not biases) of layer `index`: one for a conv or dense layer, the
    /// depthwise and pointwise weights of a dwconv, none for a pool.
    pub fn layer_weights(&self, index: usize) -> Vec<&Var> {
        let p = &self.params[index];
        match self.architecture.layers[index] {
            Layer::Conv(_) | Layer::Dense(_) => vec![&p[0]],
            Layer::Dwconv(_) => vec![&p[0], &p[2]],
            Layer::Maxpool(_) | Layer::Avgpool(_) => Vec::new(),
        }
    }

    /// All variables of layer `index` (weights and biases), in construction order.
    pub(crate) fn layer_params(&self, index: usize) -> &[Var] {
        &self.params[index]
    }

    /// Number of weights and biases.
    pub fn parameter_count(&self) -> usize {
        self.params.iter().flatten().map(|v| v.elem_count()).sum()
    }

    /// Class scores (logits, `[n, classes]`) for a `[n, c, h, w]` batch of inputs in [0, 1].
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut x = x.to_dtype(self.dtype)?;
        for i in 0..self.architecture.layers.len() {
            x = self.layer_forward(i, &x, &mut None, true)?.0;
        }
        Ok(x)
    }

    /// As [`Network::forward`], with the weight noise of variational layers sampled through
    /// the local reparameterisation trick (for training).
    pub fn forward_sampled(&self, x: &Tensor, rng: &mut StdRng) -> Result<Tensor> {
        let mut x = x.to_dtype(self.dtype)?;
        for i in 0..self.architecture.layers.len() {
            x = self.layer_forward(i, &x, &mut Some(&mut *rng), true)?.0;
        }
        Ok(x)
    }

    /// Every layer's output for a batch, with the middle of each dwconv: what calibration
    /// measures.
    pub fn trace(&self, x: &Tensor) -> Result<Vec<(Tensor, Option<Tensor>)>> {
        let mut x = x.to_dtype(self.dtype)?;
        let mut outputs = Vec::with_capacity(self.architecture.layers.len());
        for i in 0..self.architecture.layers.len() {
            let (out, middle) = self.layer_forward(i, &x, &mut None, false)?;
            outputs.push((out.clone(), middle));
            x = out;
        }
        Ok(outputs)
    }

    /// Layer `i` applied to `x` (ReLU included), without noise.
    pub(crate) fn layer_output(&self, i: usize, x: &Tensor) -> Result<Tensor> {
        Ok(self.layer_forward(i, x, &mut None, false)?.0)
    }

    /// Whether layer `i`'s ReLU may wait until after the max pool that follows it: a max pool
    /// and a ReLU commute exactly, and after the pool the ReLU and its gradient see a quarter
    /// of the values (or fewer).
    fn relu_after_pool(&self, i: usize) -> bool {
        let layers = &self.architecture.layers;
        !layers[i].is_pool() && matches!(layers.get(i + 1), Some(Layer::Maxpool(_)))
    }

    /// Layer `i` applied to `x` (ReLU included), and a dwconv's middle; with `noise`, a
    /// variational layer samples its pre-activations. With `pool_first`, a ReLU followed by a
    /// max pool moves after it ([`Network::relu_after_pool`]): the same network output, for a
    /// whole forward pass; without, every layer's own output is exact (for calibration).
    fn layer_forward(
        &self,
        i: usize,
        x: &Tensor,
        noise: &mut Option<&mut StdRng>,
        pool_first: bool,
    ) -> Result<(Tensor, Option<Tensor>)> {
        let layer = &self.architecture.layers[i];
        let p = &self.params[i];
        let log_sigma2 = |k: usize| self.variational[i].as_ref().map(|(_, v)| &v[k]);
        let mut middle = None;
        let mut y = match layer {
            Layer::Conv(conv) => {
                let op = conv_op(x, conv, 1)?;
                sampled(&op, &p[0], &p[1], log_sigma2(0), noise)?
            }
            Layer::Dwconv(conv) => {
                let channels = x.dims4()?.1;
                let op = conv_op(x, conv, channels)?;
                let depthwise = sampled(&op, &p[0], &p[1], log_sigma2(0), noise)?;
                let op = conv_op(&depthwise, &pointwise(conv), 1)?;
                let y = sampled(&op, &p[2], &p[3], log_sigma2(1), noise)?;
                middle = Some(depthwise);
                y
            }
            Layer::Dense(_) => {
                let flat = x.flatten_from(1)?;
                let op = LinearOp::Dense(flat);
                sampled(&op, &p[0], &p[1], log_sigma2(0), noise)?
            }
            Layer::Maxpool(pl) => pool(x, pl.size, pl.stride, Reduce::Max)?,
            Layer::Avgpool(pl) => pool(x, pl.size, pl.stride, Reduce::Mean)?,
        };
        if let Some(scales) = &self.groups[i] {
            y = scales.scale(&y, noise)?;
        }
        let deferred = pool_first && self.relu_after_pool(i);
        if i + 1 != self.architecture.layers.len() && !layer.is_pool() && !deferred {
            y = relu(&y)?;
        }
        if pool_first && i > 0 && self.relu_after_pool(i - 1) {
            y = relu(&y)?;
        }
        Ok((y, middle))
    }

    /// The trained parameters as plain f32 vectors, layer by layer, for quantisation.
    pub fn float_layers(&self) -> Result<Vec<FloatLayer>> {
        let values =
            |v: &Var| -> Result<Vec<f32>> { Ok(v.flatten_all()?.to_dtype(DType::F32)?.to_vec1()?) };
        let tensor = |w: &Var, b: &Var| -> Result<FloatTensor> {
            Ok(FloatTensor {
                weight: values(w)?,
                bias: values(b)?,
            })
        };
        self.architecture
            .layers
            .iter()
            .zip(&self.params)
            .map(|(layer, p)| {
                Ok(match layer {
                    Layer::Conv(_) | Layer::Dense(_) => FloatLayer::Weighted(tensor(&p[0], &p[1])?),
                    Layer::Dwconv(_) => FloatLayer::Separable {
                        depthwise: tensor(&p[0], &p[1])?,
                        pointwise: tensor(&p[2], &p[3])?,
                    },
                    Layer::Maxpool(_) | Layer::Avgpool(_) => FloatLayer::Pool,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
