//! A network layer by layer: each layer's output shape, the weights it keeps, and its working
//! memory (input plus output activations) as a bar against the SRAM budget. The candidate card
//! and design mode both draw it.

use sparse_core::architecture::Shape;
use sparse_core::cost::CostReport;
use yew::prelude::*;

/// Props of [`LayerTable`].
#[derive(Properties, PartialEq)]
pub struct LayerTableProps {
    /// The network's cost, layer by layer.
    pub report: CostReport,
    /// Its input shape.
    pub input: [usize; 3],
    /// The SRAM budget the bars are drawn against.
    pub sram_bytes: u64,
    /// The third column's heading.
    #[prop_or(AttrValue::Static("weights kept after pruning"))]
    pub weights_heading: AttrValue,
}

/// A shape as `C×H×W` or a count.
pub fn shape_text(s: Shape) -> String {
    match s {
        Shape::Map([c, h, w]) => format!("{c}×{h}×{w}"),
        Shape::Flat([n]) => n.to_string(),
    }
}

/// The table of layers.
#[function_component]
pub fn LayerTable(props: &LayerTableProps) -> Html {
    let sram = props.sram_bytes.max(1) as f64;
    let widest = props
        .report
        .layers
        .iter()
        .map(|l| l.working_memory_bytes as f64)
        .fold(sram, f64::max);
    let bar = |bytes: u64| format!("width: {:.1}%", bytes as f64 / widest * 100.0);
    let budget_at = format!("left: {:.1}%", sram / widest * 100.0);
    let rows: Html = props
        .report
        .layers
        .iter()
        .map(|l| {
            let over = l.working_memory_bytes as f64 > sram;
            let kept = if l.parameters == 0 {
                "–".to_string()
            } else {
                format!(
                    "{} of {} ({:.0}%)",
                    l.nonzero_parameters,
                    l.parameters,
                    l.nonzero_parameters as f64 / l.parameters as f64 * 100.0
                )
            };
            html! {
                <tr data-testid="layer-row">
                    <td class="network">{ &l.description }</td>
                    <td>{ shape_text(l.output) }</td>
                    <td>{ kept }</td>
                    <td>
                        <div class="memory-cell">
                            <div class="memory-track">
                                <div class={classes!("memory-bar", over.then_some("over"))}
                                    style={bar(l.working_memory_bytes)} />
                                <div class="memory-budget" style={budget_at.clone()} />
                            </div>
                            <span class="memory-value">{ format!("{} B", l.working_memory_bytes) }</span>
                        </div>
                    </td>
                </tr>
            }
        })
        .collect();
    html! {
        <div class="table-scroll" tabindex="0" role="region" aria-label="Layers and their memory">
        <table class="layers">
            <thead><tr>
                <th>{ "layer" }</th><th>{ "output" }</th><th>{ props.weights_heading.clone() }</th>
                <th>{ format!("working memory (input + output) vs SRAM budget {} B", props.sram_bytes) }</th>
            </tr></thead>
            <tbody>
                <tr><td class="network">{ "input" }</td><td>{ shape_text(Shape::Map(props.input)) }</td><td>{ "–" }</td><td /></tr>
                { rows }
            </tbody>
        </table>
        </div>
    }
}
