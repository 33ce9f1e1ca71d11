//! Post-training quantisation: calibrates activation ranges of a trained [`Network`] on
//! training images and builds core's integer-only [`QuantModel`].

use crate::batch::batch_tensors;
use crate::{Network, Result};
use candle_core::{DType, Device, Tensor};
use sparse_core::Dataset;
use sparse_core::quant::{Calibration, QuantModel, quantize as quantize_layers};

/// The largest |value| of a tensor.
fn max_abs(t: &Tensor) -> Result<f32> {
    Ok(t.abs()?
        .flatten_all()?
        .max(0)?
        .to_dtype(DType::F32)?
        .to_scalar::<f32>()?)
}

/// Quantises `network` to int8, calibrating each layer's output range as the largest value
/// seen on the first `images` examples of `calibration`.
pub fn quantize(network: &Network, calibration: &Dataset, images: usize) -> Result<QuantModel> {
    let layers = network.architecture().layers.len();
    let mut ranges = Calibration {
        output_max: vec![0.0; layers],
        middle_max: vec![None; layers],
    };
    let indices: Vec<usize> = (0..images.clamp(1, calibration.len())).collect();
    for chunk in indices.chunks(250) {
        let (x, _) = batch_tensors(calibration, chunk, &Device::Cpu)?;
        for (i, (out, middle)) in network.trace(&x)?.iter().enumerate() {
            ranges.output_max[i] = ranges.output_max[i].max(max_abs(out)?);
            if let Some(middle) = middle {
                let m = max_abs(middle)?;
                ranges.middle_max[i] = Some(ranges.middle_max[i].map_or(m, |v: f32| v.max(m)));
            }
        }
    }
    Ok(quantize_layers(
        network.architecture(),
        &network.float_layers()?,
        &ranges,
    )?)
}
