//! A network layer by layer: each layer's output shape, the weights it keeps, its working
//! memory (input plus output activations) as a bar against the SRAM budget, and, on a board
//! with a latency model, its estimated time per image. The candidate card and design mode both
//! draw it.

use sparse_core::architecture::Shape;
use sparse_core::boards::Board;
use sparse_core::cost::{CostReport, LayerCost};
use sparse_core::latency::Workload;
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
    /// The board whose estimated time per layer a last column shows (none: no column).
    #[prop_or_default]
    pub board: Option<Board>,
}

/// The estimated milliseconds of `layer` on `board`, when it has a latency model.
fn layer_ms(layer: &LayerCost, board: &Board) -> Option<f64> {
    board.latency_ms(&Workload::of([(&layer.work, layer.specialised)]))
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
    let board = props.board.as_ref().filter(|b| b.latency_core().is_some());
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
                    if let Some(board) = board {
                        <td data-testid="layer-ms">{
                            layer_ms(l, board).map_or("–".into(), |ms| format!("{ms:.1}"))
                        }</td>
                    }
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
                if let Some(board) = board {
                    <th>{ format!("ms on the {}", board.mcu) }</th>
                }
            </tr></thead>
            <tbody>
                <tr><td class="network">{ "input" }</td><td>{ shape_text(Shape::Map(props.input)) }</td><td>{ "–" }</td><td />
                    if board.is_some() { <td /> }
                </tr>
                { rows }
            </tbody>
        </table>
        </div>
    }
}
