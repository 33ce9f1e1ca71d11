//! Draw a digit and see what the selected network makes of it: a 28×28 canvas (shown large)
//! drawn with the pointer in white on black like MNIST, classified after every stroke by the
//! candidate's int8 model: integer arithmetic only, what the exported C computes on the chip
//! (and no tensor library on the page's main thread).

use sparse_core::quant::QuantModel;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, PointerEvent};
use yew::prelude::*;

/// Pixels on a side of the pad (MNIST's).
const SIDE: u32 = 28;
/// Brush radius in pad pixels.
const BRUSH: f64 = 1.3;

/// Props of [`DigitPad`].
#[derive(Properties, PartialEq)]
pub struct DigitPadProps {
    /// The int8 model that classifies the drawing.
    pub model: Rc<QuantModel>,
}

fn context(canvas: &NodeRef) -> Option<CanvasRenderingContext2d> {
    let canvas: HtmlCanvasElement = canvas.cast()?;
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

fn clear(canvas: &NodeRef) {
    if let Some(ctx) = context(canvas) {
        ctx.set_fill_style_str("black");
        ctx.fill_rect(0.0, 0.0, f64::from(SIDE), f64::from(SIDE));
    }
}

/// The pad's pixels, one gray byte each (the red channel of the drawing).
fn pixels(canvas: &NodeRef) -> Option<Vec<u8>> {
    let data = context(canvas)?
        .get_image_data(0.0, 0.0, f64::from(SIDE), f64::from(SIDE))
        .ok()?
        .data();
    Some(data.iter().step_by(4).copied().collect())
}

/// The pad, a Clear button, and the class probabilities.
#[function_component]
pub fn DigitPad(props: &DigitPadProps) -> Html {
    let canvas = use_node_ref();
    let drawing = use_mut_ref(|| false);
    let probabilities = use_state(|| None::<Vec<f32>>);
    {
        let canvas = canvas.clone();
        use_effect_with((), move |_| clear(&canvas));
    }
    let paint = {
        let canvas = canvas.clone();
        move |e: &PointerEvent| {
            let Some(element) = canvas.cast::<HtmlCanvasElement>() else {
                return;
            };
            let Some(ctx) = context(&canvas) else {
                return;
            };
            let scale = f64::from(SIDE) / f64::from(element.client_width().max(1));
            let (x, y) = (
                f64::from(e.offset_x()) * scale,
                f64::from(e.offset_y()) * scale,
            );
            ctx.set_fill_style_str("white");
            ctx.begin_path();
            let _ = ctx.arc(x, y, BRUSH, 0.0, std::f64::consts::TAU);
            ctx.fill();
        }
    };
    let on_down = {
        let (drawing, paint) = (drawing.clone(), paint.clone());
        Callback::from(move |e: PointerEvent| {
            *drawing.borrow_mut() = true;
            paint(&e);
        })
    };
    let on_move = {
        let drawing = drawing.clone();
        Callback::from(move |e: PointerEvent| {
            if *drawing.borrow() {
                paint(&e);
            }
        })
    };
    let on_up = {
        let (drawing, canvas, probabilities, model) = (
            drawing.clone(),
            canvas.clone(),
            probabilities.clone(),
            props.model.clone(),
        );
        Callback::from(move |_: PointerEvent| {
            if std::mem::replace(&mut *drawing.borrow_mut(), false)
                && let Some(pixels) = pixels(&canvas)
            {
                probabilities.set(Some(model.probabilities(&pixels)));
            }
        })
    };
    let on_clear = {
        let (canvas, probabilities) = (canvas.clone(), probabilities.clone());
        Callback::from(move |_: MouseEvent| {
            clear(&canvas);
            probabilities.set(None);
        })
    };
    let verdict = match &*probabilities {
        None => html! { <p class="hint">{ "Draw a digit in the square." }</p> },
        Some(p) => {
            let best = (0..p.len())
                .max_by(|&a, &b| p[a].total_cmp(&p[b]))
                .unwrap_or(0);
            let bars: Html = p
                .iter()
                .enumerate()
                .map(|(class, &v)| html! {
                    <div class="prob">
                        <span>{ class }</span>
                        <div class="prob-track"><div class="prob-bar" style={format!("width: {:.1}%", v * 100.0)} /></div>
                        <span>{ format!("{:.0}%", v * 100.0) }</span>
                    </div>
                })
                .collect();
            html! {
                <>
                    <p class="result" data-testid="digit-prediction">{ format!("It reads a {best}.") }</p>
                    { bars }
                </>
            }
        }
    };
    html! {
        <div class="digit-pad">
            <div>
                <canvas ref={canvas} data-testid="digit-canvas" width={SIDE.to_string()} height={SIDE.to_string()}
                    onpointerdown={on_down} onpointermove={on_move} onpointerup={on_up.clone()}
                    onpointerleave={on_up} />
                <button class="secondary" onclick={on_clear}>{ "Clear" }</button>
            </div>
            <div class="verdict">{ verdict }</div>
        </div>
    }
}
