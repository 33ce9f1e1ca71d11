//! Turns a slice of a u8 dataset into the f32 input and u32 label tensors of one batch, so the
//! dataset itself is held once, as bytes; training batches may move each image a few pixels.

use candle_core::{Device, Tensor};
use sparse_core::Dataset;

/// Pixels scaled to [0, 1] as a `[n, c, h, w]` tensor and labels as a `[n]` u32 tensor, for the
/// examples at `indices`.
pub(crate) fn batch_tensors(
    data: &Dataset,
    indices: &[usize],
    device: &Device,
) -> candle_core::Result<(Tensor, Tensor)> {
    shifted_batch_tensors(data, indices, &[], device)
}

/// As [`batch_tensors`], with the `k`-th image moved by `shifts[k]` = (down, right) pixels
/// (negative: up, left), pixels moved in from outside blank; images past the end of `shifts`
/// stay where they are.
pub(crate) fn shifted_batch_tensors(
    data: &Dataset,
    indices: &[usize],
    shifts: &[(isize, isize)],
    device: &Device,
) -> candle_core::Result<(Tensor, Tensor)> {
    let shape = data.shape();
    let (height, width) = (shape.height as isize, shape.width as isize);
    let mut pixels = Vec::with_capacity(indices.len() * shape.len());
    let mut labels = Vec::with_capacity(indices.len());
    for (k, &i) in indices.iter().enumerate() {
        let image = data.image(i);
        match shifts.get(k) {
            Some(&(down, right)) if (down, right) != (0, 0) => {
                for plane in image.chunks(shape.height * shape.width) {
                    for y in 0..height {
                        for x in 0..width {
                            let (from_y, from_x) = (y - down, x - right);
                            let inside =
                                (0..height).contains(&from_y) && (0..width).contains(&from_x);
                            pixels.push(if inside {
                                f32::from(plane[(from_y * width + from_x) as usize]) / 255.0
                            } else {
                                0.0
                            });
                        }
                    }
                }
            }
            _ => pixels.extend(image.iter().map(|&p| f32::from(p) / 255.0)),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use sparse_core::ImageShape;

    #[test]
    fn a_shift_moves_every_channel_and_blanks_what_comes_in() {
        // Two 2-channel 3×3 images; the first moved one down and one left.
        let image: Vec<u8> = (1..=18).collect();
        let data = Dataset::new(
            ImageShape {
                channels: 2,
                height: 3,
                width: 3,
            },
            [image.clone(), image].concat(),
            vec![4, 7],
        )
        .unwrap();
        let (x, y) = shifted_batch_tensors(&data, &[0, 1], &[(1, -1)], &Device::Cpu).unwrap();
        let x: Vec<f32> = x.flatten_all().unwrap().to_vec1().unwrap();
        let moved: Vec<u8> = x[..18].iter().map(|v| (v * 255.0).round() as u8).collect();
        assert_eq!(
            moved,
            [0, 0, 0, 2, 3, 0, 5, 6, 0, 0, 0, 0, 11, 12, 0, 14, 15, 0]
        );
        let unmoved: Vec<u8> = x[18..].iter().map(|v| (v * 255.0).round() as u8).collect();
        assert_eq!(unmoved, (1..=18).collect::<Vec<u8>>());
        assert_eq!(y.to_vec1::<u32>().unwrap(), [4, 7]);
    }
}
