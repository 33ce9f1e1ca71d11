//! Design mode ("Build your own"): the student's network as a list of layers to add, remove,
//! reorder and resize, with one pruning method; at every change its model size, working
//! memory per layer against the SRAM line, MACs and flash, and why it does not fit when it does
//! not. "Train this" trains it in the worker and puts it on the search's Pareto chart.

use super::chart::Chart;
use super::layer_table::{LayerTable, shape_text};
use super::training_panel::TrainingPanel;
use crate::design::{Design, DesignEdit, LayerField, LayerKind, MAX_EPOCHS, PruningMethod};
use crate::protocol::CurvePoint;
use crate::state::{DatasetState, Metric, RunState};
use sparse_core::Layer;
use sparse_core::architecture::{Padding, Shape};
use sparse_core::boards::Board;
use sparse_core::cost::{Budget, CostReport};
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// Props of [`Designer`].
#[derive(Properties, PartialEq)]
pub struct DesignerProps {
    /// The design.
    pub design: Design,
    /// The budget it is judged by (the search form's).
    pub budget: Budget,
    /// The board the search form names, on which its latency is estimated (none for a custom
    /// budget).
    #[prop_or_default]
    pub board: Option<Board>,
    /// Why the page's link could not open its design, if it could not.
    pub note: Option<String>,
    /// The dataset's status (training needs it loaded).
    pub dataset: DatasetState,
    /// The training run's status.
    pub run: RunState,
    /// The worker crashed.
    pub worker_lost: bool,
    /// Fraction of the run done.
    pub fraction_done: f64,
    /// The run's training curve.
    pub curve: Rc<Vec<CurvePoint>>,
    /// The curve on show.
    pub metric: Metric,
    /// A chart tab was clicked.
    pub on_metric: Callback<Metric>,
    /// The design was edited.
    pub on_edit: Callback<DesignEdit>,
    /// Train this was clicked.
    pub on_train: Callback<()>,
    /// Stop was clicked.
    pub on_stop: Callback<()>,
}

/// One number field of a layer row.
fn number_field(
    label: String,
    value: usize,
    min: usize,
    on_edit: &Callback<DesignEdit>,
    edit: impl Fn(usize) -> DesignEdit + 'static,
) -> Html {
    let onchange = on_edit.reform(move |e: Event| {
        let input: HtmlInputElement = e.target_unchecked_into();
        edit(input.value().trim().parse().unwrap_or(min))
    });
    // Shown as "filters"; read out in full ("filters of layer 2").
    let short = label.split(" of ").next().unwrap_or_default().to_string();
    html! {
        <label class="field">{ short }
            <input type="number" min={min.to_string()} value={value.to_string()} aria-label={label}
                {onchange} />
        </label>
    }
}

/// The editable row of hidden layer `i`.
fn layer_row(i: usize, layer: &Layer, count: usize, on_edit: &Callback<DesignEdit>) -> Html {
    let n = i + 1;
    let set = |field: LayerField| move |v: usize| DesignEdit::Set(i, field, v);
    let fields = match layer {
        Layer::Conv(c) | Layer::Dwconv(c) => {
            let padding = on_edit.reform(move |e: Event| {
                let select: HtmlSelectElement = e.target_unchecked_into();
                DesignEdit::Set(
                    i,
                    LayerField::Padding,
                    usize::from(select.value() == "same"),
                )
            });
            let same = c.padding == Padding::Same;
            html! {
                <>
                    { number_field(format!("filters of layer {n}"), c.filters, 1, on_edit, set(LayerField::Width)) }
                    { number_field(format!("kernel of layer {n}"), c.kernel, 1, on_edit, set(LayerField::Size)) }
                    { number_field(format!("stride of layer {n}"), c.stride, 1, on_edit, set(LayerField::Stride)) }
                    <label class="field">{ "padding" }
                        <select aria-label={format!("padding of layer {n}")} onchange={padding}>
                            <option value="valid" selected={!same}>{ "valid" }</option>
                            <option value="same" selected={same}>{ "same" }</option>
                        </select>
                    </label>
                </>
            }
        }
        Layer::Maxpool(p) | Layer::Avgpool(p) => html! {
            <>
                { number_field(format!("window of layer {n}"), p.size, 1, on_edit, set(LayerField::Size)) }
                { number_field(format!("stride of layer {n}"), p.stride, 1, on_edit, set(LayerField::Stride)) }
            </>
        },
        Layer::Dense(d) => number_field(
            format!("units of layer {n}"),
            d.units,
            1,
            on_edit,
            set(LayerField::Width),
        ),
    };
    let button = |text: &'static str, label: String, edit: DesignEdit, enabled: bool| {
        let onclick = on_edit.reform(move |_: MouseEvent| edit.clone());
        html! {
            <button class="secondary icon" aria-label={label} disabled={!enabled} {onclick}>{ text }</button>
        }
    };
    html! {
        <li class="design-layer" data-testid="design-layer">
            <span class="kind">{ layer.kind() }</span>
            { fields }
            <span class="layer-buttons">
                { button("↑", format!("Move layer {n} up"), DesignEdit::Up(i), i > 0) }
                { button("↓", format!("Move layer {n} down"), DesignEdit::Down(i), i + 1 < count) }
                { button("✕", format!("Remove layer {n}"), DesignEdit::Remove(i), true) }
            </span>
        </li>
    }
}

/// The design editor with its live cost and its training.
/// " · about N ms per image on the MCU" for a design costing `pruned` on `board`, or nothing
/// where there is no estimate (a custom budget, a core without a latency model).
fn latency_text(pruned: &CostReport, board: Option<&Board>) -> String {
    board
        .and_then(|b| Some((b.latency_ms(&pruned.workload)?, &b.mcu)))
        .map_or(String::new(), |(ms, mcu)| {
            format!(" · about {ms:.1} ms per image on the {mcu}")
        })
}

#[function_component]
pub fn Designer(props: &DesignerProps) -> Html {
    let design = &props.design;
    let assessment = design.assess(&props.budget);
    let kind = use_state(|| LayerKind::Conv);
    let hidden = design.hidden();
    let rows: Html = hidden
        .iter()
        .enumerate()
        .map(|(i, layer)| layer_row(i, layer, hidden.len(), &props.on_edit))
        .collect();
    let output = design.architecture.layers.last().map(Layer::describe);
    let kinds: Html = LayerKind::ALL
        .into_iter()
        .map(|k| html! { <option value={k.name()} selected={*kind == k}>{ k.name() }</option> })
        .collect();
    let on_kind = {
        let kind = kind.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Some(k) = LayerKind::ALL
                .into_iter()
                .find(|k| k.name() == select.value())
            {
                kind.set(k);
            }
        })
    };
    let on_add = {
        let kind = *kind;
        props
            .on_edit
            .reform(move |_: MouseEvent| DesignEdit::Add(kind))
    };
    let methods: Html = PruningMethod::ALL
        .into_iter()
        .map(|m| {
            let label = match m {
                PruningMethod::None => "none",
                PruningMethod::Spvd => "Sparse Variational Dropout (single weights)",
                PruningMethod::Bc => "Bayesian Compression (whole filters)",
            };
            html! { <option value={m.id()} selected={design.pruning == m}>{ label }</option> }
        })
        .collect();
    let on_pruning = props.on_edit.reform(|e: Event| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        DesignEdit::Pruning(PruningMethod::from_id(&select.value()).unwrap_or_default())
    });
    let on_epochs = props.on_edit.reform(|e: Event| {
        let input: HtmlInputElement = e.target_unchecked_into();
        DesignEdit::Epochs(input.value().trim().parse().unwrap_or(1))
    });
    let budget = props.budget;
    let cost_text = match (&assessment.pruned, &assessment.dense) {
        (Some(pruned), Some(dense)) => {
            format!(
                "Model size {} B once pruned ({} B with every weight) · working memory {} B · \
             {} MACs per image · flash of the int8 export {} B · budget {} B of flash ({}), {} B \
             of SRAM",
                pruned.model_size_bytes,
                dense.model_size_bytes,
                pruned.working_memory_bytes,
                pruned.macs,
                pruned.flash_bytes,
                budget.flash_bytes,
                budget.flash_measure.id(),
                budget.sram_bytes,
            ) + &latency_text(pruned, props.board.as_ref())
        }
        _ => "It cannot be priced until it can be built.".to_string(),
    };
    let [c, h, w] = design.architecture.input;
    html! {
        <section class="panel designer" data-testid="designer" aria-labelledby="designer-title">
            <h2 id="designer-title">{ "Build your own network" }</h2>
            <p class="hint">{
                "Add, remove and reorder layers and see at once what they cost the chip: the \
                 weights go to flash, and the widest layer's input and output activations must \
                 fit in SRAM together. Then train it, and see where it lands beside the search's \
                 Pareto front: can you beat the search?"
            }</p>
            if let Some(note) = &props.note {
                <p class="error" role="status">{ note.clone() }</p>
            }
            <ol class="design-layers">
                <li class="design-layer fixed">{ format!("input {}", shape_text(Shape::Map([c, h, w]))) }</li>
                { rows }
                <li class="design-layer fixed">{ format!("{} (output, one unit per class)", output.unwrap_or_default()) }</li>
            </ol>
            <div class="controls">
                <label>{ "Layer to add " }
                    <select data-testid="design-add-kind" onchange={on_kind}>{ kinds }</select>
                </label>
                <button data-testid="design-add-layer" onclick={on_add}>{ "Add layer" }</button>
                <label>{ "Pruning " }
                    <select data-testid="design-pruning" onchange={on_pruning}>{ methods }</select>
                </label>
                <label>{ "Epochs " }
                    <input data-testid="design-epochs" type="number" min="1" max={MAX_EPOCHS.to_string()}
                        value={design.epochs.to_string()} onchange={on_epochs} />
                </label>
            </div>
            <p class="status" data-testid="design-cost" aria-live="polite">{ cost_text }</p>
            if !assessment.problems.is_empty() {
                <ul class="error" data-testid="design-error" aria-live="polite">
                    { for assessment.problems.iter().map(|p| html! { <li>{ p.clone() }</li> }) }
                </ul>
            }
            if let Some(pruned) = &assessment.pruned {
                <LayerTable report={pruned.clone()} input={design.architecture.input}
                    sram_bytes={budget.sram_bytes} weights_heading="weights kept once pruned (expected)"
                    board={props.board.clone()} />
            }
            <TrainingPanel dataset={props.dataset.clone()} run={props.run.clone()}
                worker_lost={props.worker_lost} fraction_done={props.fraction_done}
                epochs={design.epochs} buildable={assessment.dense.is_some()}
                last_point={props.curve.last().copied()}
                on_train={props.on_train.clone()} on_stop={props.on_stop.clone()} />
            <Chart curve={props.curve.clone()} metric={props.metric} on_metric={props.on_metric.clone()} />
        </section>
    }
}
