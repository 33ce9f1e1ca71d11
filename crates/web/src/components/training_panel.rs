//! Train and Stop, the run's progress bar, its live figures and the final test accuracy.

use crate::protocol::CurvePoint;
use crate::state::{DatasetState, RunState};
use sparse_core::Architecture;
use sparse_core::architecture::Shape;
use sparse_train::TrainConfig;
use yew::prelude::*;

/// Props of [`TrainingPanel`].
#[derive(Properties, PartialEq)]
pub struct TrainingPanelProps {
    /// The dataset's status (training needs it loaded).
    pub dataset: DatasetState,
    /// The run's status.
    pub run: RunState,
    /// The worker crashed, so Train is unavailable.
    pub worker_lost: bool,
    /// Fraction of the run done.
    pub fraction_done: f64,
    /// The settings Train will use.
    pub config: TrainConfig,
    /// The newest curve point, if any.
    pub last_point: Option<CurvePoint>,
    /// Train was clicked.
    pub on_train: Callback<()>,
    /// Stop was clicked.
    pub on_stop: Callback<()>,
}

/// One line describing the fixed network, layer by layer.
fn network_summary() -> String {
    let arch = Architecture::skeleton();
    let [c, h, w] = arch.input;
    let shapes = arch.output_shapes().unwrap_or_default();
    let mut parts = vec![format!("input {c}×{h}×{w}")];
    for (layer, shape) in arch.layers.iter().zip(shapes) {
        let out = match shape {
            Shape::Map([c, h, w]) => format!("{c}×{h}×{w}"),
            Shape::Flat([n]) => n.to_string(),
        };
        parts.push(format!("{} → {out}", layer.describe()));
    }
    parts.join("  ·  ")
}

/// The controls and live status of one training run.
#[function_component]
pub fn TrainingPanel(props: &TrainingPanelProps) -> Html {
    let ready = matches!(props.dataset, DatasetState::Ready { .. }) && !props.worker_lost;
    let active = props.run.is_active();
    let training = matches!(props.run, RunState::Training { .. });
    let percent = (props.fraction_done * 100.0).clamp(0.0, 100.0);
    let on_train = props.on_train.reform(|_: MouseEvent| ());
    let on_stop = props.on_stop.reform(|_: MouseEvent| ());
    let status = match &props.run {
        RunState::Idle if props.worker_lost => {
            "The training worker crashed; reload the page to start again.".to_string()
        }
        RunState::Idle if ready => "Ready to train.".to_string(),
        RunState::Idle => "Waiting for the dataset…".to_string(),
        RunState::Training {
            epoch,
            images_per_second,
        } => {
            let mut text = format!("Training epoch {epoch} of {}", props.config.epochs);
            if let Some(p) = props.last_point {
                text += &format!(
                    " · loss {:.3} · batch accuracy {:.1}%",
                    p.loss,
                    p.accuracy * 100.0
                );
            }
            if *images_per_second > 0.0 {
                text += &format!(" · {images_per_second:.0} images/s");
            }
            text
        }
        RunState::Stopping => "Stopping after this batch…".to_string(),
        RunState::Evaluating => "Scoring the test set, in float and as an int8 model…".to_string(),
        RunState::Finished {
            train_seconds,
            images_per_second,
            ..
        } => format!(
            "Trained in {train_seconds:.1} s ({images_per_second:.0} images/s in the worker)."
        ),
        RunState::Stopped => "Stopped.".to_string(),
        RunState::Failed(message) => format!("Training failed: {message}"),
    };
    let accuracy = match &props.run {
        RunState::Finished {
            test_accuracy,
            int8_test_accuracy,
            ..
        } => html! {
            <>
                <p class="result">
                    { "Test accuracy: " }
                    <strong data-testid="test-accuracy">{ format!("{:.1}%", test_accuracy * 100.0) }</strong>
                </p>
                <p class="hint">
                    { "As an int8 model (one byte per weight, integer arithmetic only, as it would \
                       run on a microcontroller): " }
                    <strong data-testid="int8-test-accuracy">
                        { format!("{:.1}%", int8_test_accuracy * 100.0) }
                    </strong>
                </p>
            </>
        },
        _ => html! {},
    };
    let c = &props.config;
    html! {
        <section class="panel">
            <h2>{ "Train" }</h2>
            <p class="network">{ network_summary() }</p>
            <p class="hint">
                { format!("Adam, learning rate {}, batches of {}, {} epoch(s), seed {}. \
                           The worker trains in slices of about 0.1 s and reports after each one.",
                          c.learning_rate, c.batch_size, c.epochs, c.seed) }
            </p>
            <div class="controls">
                <button data-testid="train-button" onclick={on_train} disabled={!ready || active}>
                    { "Train" }
                </button>
                <button data-testid="stop-button" onclick={on_stop} disabled={!training}>
                    { "Stop" }
                </button>
            </div>
            <div class="bar" role="progressbar" data-testid="progress" aria-label="training progress"
                aria-valuemin="0" aria-valuemax="100" aria-valuenow={format!("{percent:.0}")}>
                <div class="fill" style={format!("width: {percent:.1}%")}></div>
            </div>
            <p class={classes!("status", (props.worker_lost || matches!(props.run, RunState::Failed(_))).then_some("error"))}
                data-testid="run-status" role="status">
                { status }
            </p>
            { accuracy }
        </section>
    }
}
