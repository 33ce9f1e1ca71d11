//! What the page offers when this browser holds a search from an earlier visit: resume it or
//! discard it; or, when it cannot be resumed, download it or discard it.

use yew::prelude::*;

/// Props of [`SavedOffer`].
#[derive(Properties, PartialEq)]
pub struct SavedOfferProps {
    /// Trials done.
    pub done: usize,
    /// Trials the search was set to run.
    pub trials: usize,
    /// The dataset it ran on.
    pub dataset: String,
    /// Its hypervolume after its latest trial.
    pub hypervolume: f64,
    /// Whether it can be resumed now (a dataset is loaded).
    pub resumable: bool,
    /// Resume was clicked.
    pub on_resume: Callback<()>,
    /// Discard was clicked.
    pub on_discard: Callback<()>,
}

/// The saved search, offered for resuming.
#[function_component]
pub fn SavedOffer(props: &SavedOfferProps) -> Html {
    html! {
        <div class="offer" role="status">
            <p>{ format!(
                "A search saved in this browser can go on where it stopped: {} of {} trials on {}, \
                 hypervolume {:.4}.",
                props.done, props.trials, props.dataset, props.hypervolume) }</p>
            <div class="controls">
                <button data-testid="resume-run" disabled={!props.resumable}
                    onclick={props.on_resume.reform(|_| ())}>{ "Resume saved search" }</button>
                <button class="secondary" data-testid="discard-run"
                    onclick={props.on_discard.reform(|_| ())}>{ "Discard it" }</button>
            </div>
        </div>
    }
}

/// Props of [`UnreadableSave`].
#[derive(Properties, PartialEq)]
pub struct UnreadableSaveProps {
    /// Why it cannot be resumed.
    pub why: String,
    /// Download was clicked.
    pub on_download: Callback<()>,
    /// Discard was clicked.
    pub on_discard: Callback<()>,
}

/// A saved search that cannot be resumed, kept until the user discards it.
#[function_component]
pub fn UnreadableSave(props: &UnreadableSaveProps) -> Html {
    html! {
        <div class="offer" role="status" data-testid="saved-unreadable">
            <p>{ format!("A search saved in this browser cannot be resumed: {}. \
                          It stays saved until you discard it or start a new search.", props.why) }</p>
            <div class="controls">
                <button class="secondary" data-testid="download-saved"
                    onclick={props.on_download.reform(|_| ())}>{ "Download it" }</button>
                <button class="secondary" data-testid="discard-unreadable"
                    onclick={props.on_discard.reform(|_| ())}>{ "Discard it" }</button>
            </div>
        </div>
    }
}
