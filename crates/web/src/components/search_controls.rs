//! The search's buttons (Quick demo, Start, Pause, Resume, Stop), each enabled only when it
//! can act, and the messages that say why something did not happen.

use crate::search_run::Phase;
use yew::prelude::*;

/// What the buttons can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Start the quick demo.
    QuickDemo,
    /// Start the whole setup.
    Start,
    /// Hold the workers.
    Pause,
    /// Let them go on.
    Resume,
    /// End the search.
    Stop,
}

/// Props of [`SearchControls`].
#[derive(Properties, PartialEq)]
pub struct SearchControlsProps {
    /// Where the search on show stands (`None`: no search).
    pub phase: Option<Phase>,
    /// Whether a search can start (none active, a dataset loaded).
    pub startable: bool,
    /// A button was clicked.
    pub on_control: Callback<Control>,
}

/// The search's buttons.
#[function_component]
pub fn SearchControls(props: &SearchControlsProps) -> Html {
    let click = |control: Control| props.on_control.reform(move |_: MouseEvent| control);
    let phase = &props.phase;
    html! {
        <div class="controls">
            <button data-testid="quick-demo" disabled={!props.startable} onclick={click(Control::QuickDemo)}>
                { "Quick demo" }
            </button>
            <button data-testid="start-search" disabled={!props.startable} onclick={click(Control::Start)}>
                { "Start search" }
            </button>
            <button class="secondary" data-testid="pause-search" disabled={*phase != Some(Phase::Running)}
                onclick={click(Control::Pause)}>{ "Pause" }</button>
            <button class="secondary" data-testid="resume-search" disabled={*phase != Some(Phase::Paused)}
                onclick={click(Control::Resume)}>{ "Resume" }</button>
            <button class="secondary" data-testid="stop-search"
                disabled={!matches!(phase, Some(Phase::Running | Phase::Paused))}
                onclick={click(Control::Stop)}>{ "Stop" }</button>
        </div>
    }
}

/// Props of [`SearchErrors`].
#[derive(Properties, PartialEq)]
pub struct SearchErrorsProps {
    /// Why the setup cannot start, or the last action failed.
    pub form: Option<String>,
    /// What a worker reported as failed.
    pub pool: Option<String>,
    /// Why the latest save to IndexedDB failed, while it does.
    pub save: Option<String>,
}

/// The messages that say why something did not happen.
#[function_component]
pub fn SearchErrors(props: &SearchErrorsProps) -> Html {
    html! {
        <>
            if let Some(why) = &props.form {
                <p class="error" data-testid="setup-error">{ why }</p>
            }
            if let Some(why) = &props.pool {
                <p class="error">{ why }</p>
            }
            if let Some(why) = &props.save {
                <p class="error" data-testid="save-error">{ format!(
                    "This browser did not save the search ({why}): it goes on, but a reload \
                     could not resume it. Free some storage for this site, or export the \
                     trials (trials.jsonl) to keep them.") }</p>
            }
        </>
    }
}
