//! Before → after pruning, drawn as the SpArSe paper's figure 1 does: each layer with weights a
//! block sized by its weights before pruning, the part pruning kept filled and the part it
//! removed hatched, with the counts (and the filters or units Bayesian Compression removed).

use sparse_core::cost::{CostReport, LayerCost};
use yew::prelude::*;

/// Props of [`PruningFigure`].
#[derive(Properties, PartialEq)]
pub struct PruningFigureProps {
    /// The network as drawn, every weight kept.
    pub before: CostReport,
    /// The network as pruning left it (the same layers).
    pub after: CostReport,
}

/// The tallest block, in pixels; others scale by the square root of their weights, so a large
/// dense layer does not flatten the rest.
const TALLEST: f64 = 120.0;

/// Filters (of a convolution) or units (of a dense layer) a layer outputs, if it has weights.
fn width(layer: &LayerCost) -> Option<usize> {
    if layer.parameters == 0 {
        return None;
    }
    Some(match layer.output {
        sparse_core::architecture::Shape::Map([c, _, _]) => c,
        sparse_core::architecture::Shape::Flat([n]) => n,
    })
}

/// The figure, or nothing if the two reports do not describe the same layers.
#[function_component]
pub fn PruningFigure(props: &PruningFigureProps) -> Html {
    let (before, after) = (&props.before, &props.after);
    if before.layers.len() != after.layers.len() {
        return html! {};
    }
    let largest = before
        .layers
        .iter()
        .map(|l| l.parameters)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let blocks: Html = before
        .layers
        .iter()
        .zip(&after.layers)
        .filter(|(b, _)| b.parameters > 0)
        .map(|(b, a)| {
            let height = TALLEST * (b.parameters as f64 / largest).sqrt();
            let kept = a.nonzero_parameters as f64 / b.parameters as f64;
            let filters = match (width(b), width(a)) {
                (Some(was), Some(now)) if now < was => {
                    let unit = if matches!(b.kind.as_str(), "dense") { "units" } else { "filters" };
                    format!("; {now} of {was} {unit}")
                }
                _ => String::new(),
            };
            let caption = format!(
                "{}: kept {} of {} weights ({:.0}%){filters}",
                b.description,
                a.nonzero_parameters,
                b.parameters,
                kept * 100.0
            );
            html! {
                <figure class="prune-layer" data-testid="pruning-layer">
                    <div class="prune-block" style={format!("height: {height:.0}px; width: {:.0}px", height.max(24.0))}
                        role="img" aria-label={caption.clone()}>
                        <div class="prune-kept" style={format!("height: {:.1}%", kept * 100.0)} />
                    </div>
                    <figcaption>{ caption }</figcaption>
                </figure>
            }
        })
        .collect();
    let removed = before.parameters.saturating_sub(after.model_size_bytes);
    html! {
        <div class="pruning" data-testid="pruning-figure">
            <p class="hint">{ format!(
                "Before → after pruning: each block is a layer's weights before pruning (its area \
                 grows with their count); the filled part is what pruning kept, the hatched part \
                 what it removed: {removed} of {} weights in all, {} B of flash saved.",
                before.parameters, removed) }</p>
            <div class="prune-row">{ blocks }</div>
        </div>
    }
}
