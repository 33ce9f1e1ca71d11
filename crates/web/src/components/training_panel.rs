//! Design mode's training: Train this and Stop, the run's progress bar, its live figures and
//! the trained network's accuracy.

use crate::protocol::CurvePoint;
use crate::state::{DatasetState, RunState};
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
    /// Epochs the run trains.
    pub epochs: usize,
    /// Whether the design can be built (Train this is offered only then).
    pub buildable: bool,
    /// The newest curve point, if any.
    pub last_point: Option<CurvePoint>,
    /// Train was clicked.
    pub on_train: Callback<()>,
    /// Stop was clicked.
    pub on_stop: Callback<()>,
}

/// The controls and live status of the student's training run.
#[function_component]
pub fn TrainingPanel(props: &TrainingPanelProps) -> Html {
    let ready = matches!(props.dataset, DatasetState::Ready { .. }) && !props.worker_lost;
    let trainable = ready && props.buildable;
    let active = props.run.is_active();
    let training = matches!(props.run, RunState::Training { .. });
    let percent = (props.fraction_done * 100.0).clamp(0.0, 100.0);
    let on_train = props.on_train.reform(|_: MouseEvent| ());
    let on_stop = props.on_stop.reform(|_: MouseEvent| ());
    let status = match &props.run {
        RunState::Idle if props.worker_lost => {
            "The training worker crashed; reload the page to start again.".to_string()
        }
        RunState::Idle if ready => "Ready to train your network.".to_string(),
        RunState::Idle => "Waiting for the dataset…".to_string(),
        RunState::Training {
            epoch,
            images_per_second,
        } => {
            let mut text = format!("Training epoch {epoch} of {}", props.epochs);
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
        RunState::Evaluating => {
            "Scoring the validation and test sets, in float and as an int8 model…".to_string()
        }
        RunState::Finished {
            train_seconds,
            images_per_second,
            ..
        } => format!(
            "Trained in {train_seconds:.1} s ({images_per_second:.0} images/s in the worker); \
             it is on the Pareto chart as a diamond."
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
    html! {
        <div class="design-training">
            <div class="controls">
                <button data-testid="design-train" onclick={on_train} disabled={!trainable || active}>
                    { "Train this" }
                </button>
                <button class="secondary" data-testid="stop-button" onclick={on_stop} disabled={!training}>
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
        </div>
    }
}
