//! The root component: connects the worker to the reducer and lays out the panels.

use super::chart::Chart;
use super::dataset_panel::DatasetPanel;
use super::search_panel::SearchPanel;
use super::training_panel::TrainingPanel;
use crate::codec::JsCodec;
use crate::protocol::ToWorker;
use crate::state::{Action, AppState, Metric};
use crate::worker::TrainReactor;
use gloo_events::EventListener;
use sparse_train::TrainConfig;
use wasm_bindgen::JsCast;
use web_sys::ErrorEvent;
use yew::prelude::*;
use yew_agent::reactor::{ReactorEvent, ReactorProvider, use_reactor_bridge};

/// The page: a worker provider around the explorer.
#[function_component]
pub fn App() -> Html {
    html! {
        <ReactorProvider<TrainReactor, JsCodec> path="worker.js">
            <Explorer />
        </ReactorProvider<TrainReactor, JsCodec>>
    }
}

/// Where the dataset files live: `data/mnist/` next to the page.
fn mnist_base_url() -> String {
    let href = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    web_sys::Url::new_with_base("data/mnist/", &href)
        .map(|u| u.href())
        .unwrap_or_else(|_| "data/mnist/".to_string())
}

#[function_component]
fn Explorer() -> Html {
    let state = use_reducer(AppState::default);
    let bridge = {
        let dispatch = state.dispatcher();
        use_reactor_bridge::<TrainReactor, _>(move |event| match event {
            ReactorEvent::Output(message) => dispatch.dispatch(Action::Worker(message)),
            ReactorEvent::Finished => dispatch.dispatch(Action::WorkerLost("it closed".into())),
        })
    };
    {
        // An uncaught error in the worker (a wasm panic traps) is re-raised on the window as an
        // ErrorEvent without an error object: those of the page's own scripts carry one.
        let dispatch = state.dispatcher();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                EventListener::new(&window, "error", move |event| {
                    if let Some(error) = event.dyn_ref::<ErrorEvent>()
                        && (error.error().is_null() || error.error().is_undefined())
                    {
                        dispatch.dispatch(Action::WorkerLost(error.message()));
                    }
                })
            });
            move || drop(listener)
        });
    }
    {
        let bridge = bridge.clone();
        use_effect_with((), move |_| {
            bridge.send(ToWorker::LoadMnist {
                base_url: mnist_base_url(),
            });
        });
    }
    let config = TrainConfig::default();
    let on_train = {
        let (bridge, dispatch, config) = (bridge.clone(), state.dispatcher(), config.clone());
        Callback::from(move |_| {
            bridge.send(ToWorker::Train {
                config: config.clone(),
            });
            dispatch.dispatch(Action::TrainRequested);
        })
    };
    let on_stop = {
        let (bridge, dispatch) = (bridge.clone(), state.dispatcher());
        Callback::from(move |_| {
            bridge.send(ToWorker::Stop);
            dispatch.dispatch(Action::StopRequested);
        })
    };
    let on_metric = {
        let dispatch = state.dispatcher();
        Callback::from(move |metric: Metric| dispatch.dispatch(Action::ShowMetric(metric)))
    };
    html! {
        <main class="page">
            <header class="masthead">
                <h1>{ "sparse-explorer" }</h1>
                <p class="tagline">
                    { "Design, train and prune CNNs that fit a microcontroller — in this tab, \
                       with no server. Set the chip's flash and SRAM, start a search, and watch a \
                       pool of Web Workers train, prune and compare networks while the page stays \
                       responsive." }
                </p>
            </header>
            <DatasetPanel dataset={state.dataset.clone()} />
            <SearchPanel dataset_url={mnist_base_url()} />
            <TrainingPanel
                dataset={state.dataset.clone()}
                run={state.run.clone()}
                worker_lost={state.worker_lost}
                fraction_done={state.fraction_done}
                config={config}
                last_point={state.curve.last().copied()}
                {on_train}
                {on_stop}
            />
            <Chart curve={state.curve.clone()} metric={state.metric} {on_metric} />
        </main>
    }
}
