//! Turns a slice of a u8 dataset into the f32 input and u32 label tensors of one batch, so the
//! dataset itself is held once, as bytes.

use candle_core::{Device, Tensor};
use sparse_core::Dataset;

/// Pixels scaled to [0, 1] as a `[n, c, h, w]` tensor and labels as a `[n]` u32 tensor, for the
/// examples at `indices`.
pub(crate) fn batch_tensors(
    data: &Dataset,
    indices: &[usize],
    device: &Device,
) -> candle_core::Result<(Tensor, Tensor)> {
    let shape = data.shape();
    let mut pixels = Vec::with_capacity(indices.len() * shape.len());
    let mut labels = Vec::with_capacity(indices.len());
    for &i in indices {
        pixels.extend(data.image(i).iter().map(|&p| f32::from(p) / 255.0));
        labels.push(u32::from(data.label(i)));
    }
    let n = indices.len();
    let x = Tensor::from_vec(
        pixels,
        (n, shape.channels, shape.height, shape.width),
        device,
    )?;
    let y = Tensor::from_vec(labels, n, device)?;
    Ok((x, y))
}
