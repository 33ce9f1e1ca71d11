//! A grid of sample images, each drawn on its own small canvas with its label beneath.

use crate::protocol::Sample;
use std::rc::Rc;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};
use yew::prelude::*;

/// Props of [`SampleGrid`].
#[derive(Properties, PartialEq)]
pub struct SampleGridProps {
    /// The images to show.
    pub samples: Rc<[Sample]>,
    /// Channels, height and width of each image (one channel: grayscale; three: RGB; else
    /// the first channel).
    pub shape: [usize; 3],
}

/// The samples with their labels.
#[function_component]
pub fn SampleGrid(props: &SampleGridProps) -> Html {
    html! {
        <div class="sample-grid" data-testid="sample-grid">
            { for props.samples.iter().map(|s| html! {
                <figure>
                    <Digit pixels={s.pixels.clone()} shape={props.shape} />
                    <figcaption>{ s.label }</figcaption>
                </figure>
            }) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct DigitProps {
    pixels: Vec<u8>,
    shape: [usize; 3],
}

/// One image (MNIST's: white ink on black).
#[function_component]
fn Digit(props: &DigitProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        use_effect_with(
            (props.pixels.clone(), props.shape),
            move |(pixels, shape)| {
                draw(&canvas, pixels, *shape);
            },
        );
    }
    let [_, height, width] = props.shape;
    html! { <canvas ref={canvas} width={width.to_string()} height={height.to_string()} /> }
}

/// RGBA pixels of a channel-height-width image.
fn rgba(pixels: &[u8], [channels, height, width]: [usize; 3]) -> Vec<u8> {
    let plane = height * width;
    (0..plane)
        .flat_map(|i| {
            let at = |c: usize| pixels.get(c * plane + i).copied().unwrap_or(0);
            if channels == 3 {
                [at(0), at(1), at(2), 255]
            } else {
                [at(0), at(0), at(0), 255]
            }
        })
        .collect()
}

fn draw(canvas: &NodeRef, pixels: &[u8], shape: [usize; 3]) -> Option<()> {
    let canvas: HtmlCanvasElement = canvas.cast()?;
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    let [_, height, width] = shape;
    let rgba = rgba(pixels, shape);
    let image =
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), width as u32, height as u32)
            .ok()?;
    ctx.put_image_data(&image, 0.0, 0.0).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn planes_become_rgba_pixels() {
        assert_eq!(
            super::rgba(&[7, 9], [1, 1, 2]),
            vec![7, 7, 7, 255, 9, 9, 9, 255]
        );
        assert_eq!(super::rgba(&[1, 2, 3], [3, 1, 1]), vec![1, 2, 3, 255]);
    }
}
