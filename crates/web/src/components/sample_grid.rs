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
    /// Side of each square grayscale image.
    pub side: usize,
}

/// The samples with their labels.
#[function_component]
pub fn SampleGrid(props: &SampleGridProps) -> Html {
    html! {
        <div class="sample-grid" data-testid="sample-grid">
            { for props.samples.iter().map(|s| html! {
                <figure>
                    <Digit pixels={s.pixels.clone()} side={props.side} />
                    <figcaption>{ s.label }</figcaption>
                </figure>
            }) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct DigitProps {
    pixels: Vec<u8>,
    side: usize,
}

/// One grayscale image (white ink on black, as MNIST stores it).
#[function_component]
fn Digit(props: &DigitProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        use_effect_with((props.pixels.clone(), props.side), move |(pixels, side)| {
            draw(&canvas, pixels, *side);
        });
    }
    let side = props.side.to_string();
    html! { <canvas ref={canvas} width={side.clone()} height={side} /> }
}

fn draw(canvas: &NodeRef, pixels: &[u8], side: usize) -> Option<()> {
    let canvas: HtmlCanvasElement = canvas.cast()?;
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    let rgba: Vec<u8> = pixels.iter().flat_map(|&p| [p, p, p, 255]).collect();
    let image =
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), side as u32, side as u32)
            .ok()?;
    ctx.put_image_data(&image, 0.0, 0.0).ok()
}
