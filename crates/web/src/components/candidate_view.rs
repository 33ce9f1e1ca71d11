//! The selected candidate up close: its layers drawn as rows with their output shapes, weights
//! before and after pruning, and working memory against the SRAM budget line; its parent; and
//! its training curve; and its int8 model as C for a microcontroller, to download.

use super::confusion_matrix::ConfusionMatrix;
use super::digit_pad::DigitPad;
use super::layer_table::LayerTable;
use super::lineage_view::LineageView;
use super::pruning_figure::PruningFigure;
use crate::download::download;
use crate::lineage::LineageStep;
use crate::protocol::CurvePoint;
use sparse_core::boards::Board;
use sparse_core::cost::{Budget, CostReport, FlashMeasure, cost};
use sparse_core::latency::CoreFamily;
use sparse_core::quant::QuantModel;
use sparse_core::{Architecture, TrialRecord};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`CandidateView`].
#[derive(Properties, PartialEq)]
pub struct CandidateViewProps {
    /// The candidate.
    pub record: TrialRecord,
    /// The epochs its parent trained in all, when known (more in the candidate's total
    /// means it trained its parent's network on: a promotion).
    #[prop_or_default]
    pub parent_epochs: Option<usize>,
    /// Its training curve.
    pub curve: Vec<CurvePoint>,
    /// The budget.
    pub budget: Budget,
    /// The parent was clicked.
    pub on_select: Callback<u64>,
    /// Its test confusion matrix, when known.
    pub confusion: Option<Vec<Vec<u32>>>,
    /// Its int8 model, when kept (for "Download C" and the draw-a-digit pad).
    pub int8: Option<Rc<QuantModel>>,
    /// "Build on this" was clicked: its architecture, to open in design mode.
    pub on_design: Callback<Architecture>,
    /// Its lineage, oldest first.
    #[prop_or_default]
    pub lineage: Vec<LineageStep>,
    /// The cost of its network before pruning, for the before → after figure.
    #[prop_or_default]
    pub before: Option<CostReport>,
    /// The board chosen in the form, whose estimated latency the card states.
    #[prop_or_default]
    pub board: Option<Board>,
}

/// What one inference of a network costing `report` takes on `board`, by the latency model.
fn latency_line(report: &CostReport, board: Option<&Board>) -> String {
    let Some(board) = board else {
        return "Latency: choose a board preset to see how long one image takes on its chip."
            .into();
    };
    match (board.core, board.latency_ms(&report.workload)) {
        (Some(core), Some(ms)) => format!(
            "Latency: about {ms:.1} ms per image on the {} ({}, {} at {} MHz), by the latency \
             model: the exported C's {} per unit of work, fitted to simavr and qemu runs \
             (typically within 10%{}; docs/deploy.md).",
            board.name,
            board.mcu,
            core.name(),
            board.clock_hz / 1_000_000,
            core.unit(),
            if core == CoreFamily::Avr {
                ""
            } else {
                "; one cycle per instruction, so a real Cortex-M takes somewhat longer"
            }
        ),
        _ => format!(
            "Latency: the {} ({}) has no latency model for its core.",
            board.name, board.mcu
        ),
    }
}

/// The "Download C" button: the int8 model as `model.h`, `model.c`, `model.json` and a README
/// in a zip, or why there is none.
#[derive(Properties, PartialEq)]
struct DownloadCProps {
    id: u64,
    int8: Option<Rc<QuantModel>>,
    /// The cost model's flash for the weights, to compare with the export's.
    cost_flash_bytes: u64,
    /// The search's budget, which the export may exceed.
    budget: Budget,
}

/// Why a model whose `(weight, arena)` bytes the C export needs does not fit `budget` on the
/// chip, though the search (which budgets SpArSe's model size) let it in; `None` if it fits.
fn export_overrun((weights, arena): (usize, usize), budget: Budget) -> Option<String> {
    let mut over = Vec::new();
    if weights as u64 > budget.flash_bytes {
        let why = match budget.flash_measure {
            FlashMeasure::ModelSize => {
                " (the search budgets SpArSe's model size, one byte per non-zero weight; the \
                 export also stores where the non-zeros are, and each channel's constants)"
            }
            FlashMeasure::Export => "",
        };
        over.push(format!(
            "{weights} B of flash for its weights, over the {} B flash budget{why}",
            budget.flash_bytes
        ));
    }
    if arena as u64 > budget.sram_bytes {
        over.push(format!(
            "{arena} B of SRAM for its activations, over the {} B SRAM budget",
            budget.sram_bytes
        ));
    }
    (!over.is_empty()).then(|| format!("Its C export needs {}.", over.join(", and ")))
}

/// Makes one downloadable file of an int8 model.
type ModelFile = dyn Fn(&QuantModel) -> sparse_core::Result<Vec<u8>>;

#[function_component]
fn DownloadC(props: &DownloadCProps) -> Html {
    let problem = use_state(|| None::<String>);
    let footprint = use_memo(props.int8.clone(), |model| {
        model
            .as_ref()
            .and_then(|m| sparse_export::footprint(m).ok())
    });
    let Some(model) = props.int8.clone() else {
        return html! {
            <p class="hint" data-testid="download-c-missing">{
                "No C export for this trial: its int8 model was not kept (the page keeps the \
                 Pareto members' and the networks the search may still morph)."
            }</p>
        };
    };
    let id = props.id;
    let title = format!("trial {id} of a sparse-explorer search");
    // Offers one export of the model: its bytes, file name and MIME type.
    let offer = |export: Rc<ModelFile>, name: String, mime: &'static str| {
        let (problem, model) = (problem.clone(), model.clone());
        Callback::from(move |_: MouseEvent| match export(&model) {
            Ok(bytes) => {
                if download(&name, &bytes, mime).is_none() {
                    problem.set(Some("the browser refused the download".into()));
                }
            }
            Err(e) => problem.set(Some(format!("cannot export this model: {e}"))),
        })
    };
    let onclick = offer(
        Rc::new(move |m: &QuantModel| sparse_export::export_zip(m, &title)),
        format!("sparse-explorer-trial-{id}-c.zip"),
        "application/zip",
    );
    let on_tflite = offer(
        Rc::new(sparse_export::tflite::tflite),
        format!("sparse-explorer-trial-{id}.tflite"),
        "application/octet-stream",
    );
    html! {
        <div class="controls">
            <button class="secondary" data-testid="download-c" {onclick}>
                { "Download C (model.h, model.c)" }
            </button>
            <button class="secondary" data-testid="download-tflite" onclick={on_tflite}>
                { "Download .tflite" }
            </button>
            <span class="hint">{
                " C: int8 weights in flash, one static arena, no malloc or floats: \
                 int model_predict(const uint8_t *pixels). TensorFlow Lite: the same int8 model \
                 for LiteRT and TensorFlow Lite for Microcontrollers (its arena: the SRAM below \
                 plus a few KB of interpreter state)."
            }</span>
            if let Some(overrun) = (*footprint).and_then(|f| export_overrun(f, props.budget)) {
                <p class="error" data-testid="c-over-budget">{ overrun }</p>
            }
            if let Some((weights, arena)) = *footprint {
                <p class="hint" data-testid="c-footprint">{ format!(
                    "On the chip: {weights} B of flash for the weights (the cost model counted {} B; \
                     weights that round to zero in int8 cost nothing) plus about 1 KB of code \
                     (4 KB on an AVR), and {arena} B of SRAM for activations plus about 100 B of stack.",
                    props.cost_flash_bytes
                ) }</p>
            }
            if let Some(p) = &*problem {
                <p class="error">{ p.clone() }</p>
            }
        </div>
    }
}

/// The candidate's card.
#[function_component]
pub fn CandidateView(props: &CandidateViewProps) -> Html {
    let r = &props.record;
    let Ok(report) = cost(&r.architecture) else {
        return html! { <p class="error">{ "This architecture cannot be priced." }</p> };
    };
    let continued =
        matches!((r.epochs, props.parent_epochs), (Some(mine), Some(theirs)) if mine > theirs);
    let parent = match r.parent {
        Some(p) if continued => {
            let on_select = props.on_select.clone();
            html! {
                <p class="hint">
                    { "Trained on from " }
                    <button class="link" onclick={Callback::from(move |_: MouseEvent| on_select.emit(p))}>
                        { format!("trial {p}") }
                    </button>
                    { format!(": that network ranked in the best third of those trained as long, so it was promoted and trained on from its own weights, to {} epochs in all.",
                       r.epochs.unwrap_or_default()) }
                </p>
            }
        }
        Some(p) => {
            let on_select = props.on_select.clone();
            html! {
                <p class="hint">
                    { "Morphed from " }
                    <button class="link" onclick={Callback::from(move |_: MouseEvent| on_select.emit(p))}>
                        { format!("trial {p}") }
                    </button>
                    { ": it started from that network's trained weights (a network morphism keeps \
                       what the parent learned where the layers still match) instead of from random ones." }
                </p>
            }
        }
        None => {
            html! { <p class="hint">{ "Sampled from the search space; trained from random weights." }</p> }
        }
    };
    let curve: String = props
        .curve
        .iter()
        .map(|p| {
            format!(
                "{:.1},{:.1} ",
                8.0 + p.fraction_done * 300.0,
                8.0 + (1.0 - f64::from(p.accuracy)) * 80.0
            )
        })
        .collect();
    html! {
        <section class="candidate" data-testid="candidate-view">
            <h3>{ format!("Trial {}", r.id) }
                <span class="hint">{
                    match (r.val_accuracy, r.int8_test_accuracy) {
                        (Some(v), Some(q)) => format!(
                            " — {:.2}% validation, {:.2}% int8 test accuracy; {} B model size, {} B working memory{}",
                            v * 100.0, q * 100.0, report.model_size_bytes, report.working_memory_bytes,
                            if report.violations(&props.budget).is_empty() {
                                String::new()
                            } else {
                                format!(
                                    ". Over the budget ({} B {}, {} B SRAM{}): its pruning promised to fit but left too many weights, so it is no Pareto member",
                                    props.budget.flash_bytes,
                                    match props.budget.flash_measure {
                                        FlashMeasure::ModelSize => "model size",
                                        FlashMeasure::Export => "flash",
                                    },
                                    props.budget.sram_bytes,
                                    props.budget.latency.map_or(String::new(), |b| {
                                        format!(", {} ms per image", b.max_us as f64 / 1000.0)
                                    }),
                                )
                            }),
                        _ => format!(" — failed: {}", r.reason.clone().unwrap_or_default()),
                    }
                }</span>
            </h3>
            { parent }
            <div class="controls">
                <button class="secondary" data-testid="open-in-designer"
                    onclick={{
                        let (on_design, architecture) = (props.on_design.clone(), r.architecture.clone());
                        Callback::from(move |_: MouseEvent| on_design.emit(architecture.clone()))
                    }}>
                    { "Build on this (open in design mode)" }
                </button>
            </div>
            <LineageView steps={props.lineage.clone()} on_select={props.on_select.clone()} />
            if let (Some(before), true) = (&props.before, r.is_trained()) {
                <PruningFigure before={before.clone()} after={report.clone()} />
            }
            <LayerTable report={report.clone()} input={r.architecture.input} sram_bytes={props.budget.sram_bytes}
                board={props.board.clone()} />
            if r.is_trained() {
                <p class="hint" data-testid="candidate-latency">{ latency_line(&report, props.board.as_ref()) }</p>
            }
            <p class="hint">{
                "Pruning removes single weights (Sparse Variational Dropout, magnitude) or whole \
                 filters (Bayesian Compression): removed weights cost no flash. Working memory is \
                 what a layer needs in SRAM at once — its input and output activations — so the \
                 widest layer sets the chip's SRAM need, however few weights it has."
            }</p>
            if r.is_trained() {
                <DownloadC id={r.id} int8={props.int8.clone()} cost_flash_bytes={report.flash_bytes}
                    budget={props.budget} />
            }
            <div class="candidate-extras">
                if let Some(counts) = &props.confusion {
                    <ConfusionMatrix counts={counts.clone()} />
                }
                if let Some(model) = props.int8.as_ref().filter(|m| m.architecture.input == [1, 28, 28]) {
                    <DigitPad model={model.clone()} />
                }
            </div>
            if !props.curve.is_empty() {
                <svg class="mini-curve" viewBox="0 0 316 96" role="img" aria-label="Training accuracy of this trial">
                    <polyline class="line" points={curve} />
                    <text class="tick" x="312" y="92" text-anchor="end">{ "training batch accuracy over training" }</text>
                </svg>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_over_the_budget_is_named_and_one_that_fits_is_not() {
        let budget = Budget::new(2800, 2048);
        assert_eq!(export_overrun((2800, 2048), budget), None);
        let flash = export_overrun((3100, 1000), budget).unwrap();
        assert!(
            flash.starts_with(
                "Its C export needs 3100 B of flash for its weights, over the 2800 B flash budget"
            ),
            "{flash}"
        );
        let both = export_overrun((2801, 2049), budget).unwrap();
        assert!(
            both.ends_with(
                ", and 2049 B of SRAM for its activations, over the 2048 B SRAM budget."
            ),
            "{both}"
        );
    }
}
