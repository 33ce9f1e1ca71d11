//! The root component: connects the worker to the reducer and lays out the panels.

use super::dataset_panel::DatasetPanel;
use super::designer::Designer;
use super::lesson::Lesson;
use super::search_panel::SearchPanel;
use crate::codec::JsCodec;
use crate::design::DesignEdit;
use crate::protocol::ToWorker;
use crate::state::{Action, AppState, DatasetState, Metric};
use crate::upload::{MAX_UPLOAD_BYTES, UploadedFile};
use crate::worker::TrainReactor;
use gloo_events::EventListener;
use sparse_train::TrainConfig;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::ErrorEvent;
use yew::prelude::*;
use yew_agent::reactor::{ReactorEvent, ReactorProvider, use_reactor_bridge};

/// The page: a worker provider around the explorer.
#[function_component]
pub fn App() -> Html {
    html! {
        <ReactorProvider<TrainReactor, JsCodec> path={crate::pool::worker_script()}>
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

/// The bytes of the chosen files, or why they cannot be read (too big, unreadable).
async fn read_files(chosen: Vec<web_sys::File>) -> Result<Vec<UploadedFile>, String> {
    let total: f64 = chosen.iter().map(|f| f.size()).sum();
    if total > MAX_UPLOAD_BYTES as f64 {
        return Err(format!(
            "the files hold {:.0} MB; the page takes at most {} MB",
            total / 1e6,
            MAX_UPLOAD_BYTES >> 20
        ));
    }
    let mut files = Vec::with_capacity(chosen.len());
    for file in chosen {
        let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
            .await
            .map_err(|_| format!("{} could not be read", file.name()))?;
        files.push(UploadedFile {
            name: file.name(),
            bytes: js_sys::Uint8Array::new(&buffer).to_vec(),
        });
    }
    Ok(files)
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
    // Whether a search runs: a worker error is then the search's to find, else the skeleton's.
    let searching = use_mut_ref(|| false);
    {
        // An uncaught error in a worker (a wasm panic traps) is re-raised on the window as an
        // ErrorEvent without an error object: those of the page's own scripts carry one.
        let dispatch = state.dispatcher();
        let searching = searching.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                EventListener::new(&window, "error", move |event| {
                    if let Some(error) = event.dyn_ref::<ErrorEvent>()
                        && (error.error().is_null() || error.error().is_undefined())
                    {
                        if *searching.borrow() {
                            dispatch.dispatch(Action::PoolCrashed);
                        } else {
                            dispatch.dispatch(Action::WorkerLost(error.message()));
                        }
                    }
                })
            });
            move || drop(listener)
        });
    }
    let on_searching = {
        let searching = searching.clone();
        Callback::from(move |active: bool| *searching.borrow_mut() = active)
    };
    {
        let bridge = bridge.clone();
        use_effect_with((), move |_| {
            bridge.send(ToWorker::LoadMnist {
                base_url: mnist_base_url(),
            });
        });
    }
    {
        // A design in the link opens once the dataset is known; every edit goes back to it.
        let dispatch = state.dispatcher();
        use_effect_with((), move |_| {
            if let Some(text) = crate::link::param("design") {
                dispatch.dispatch(Action::DesignLinked(text));
            }
        });
    }
    {
        let design = state.design.clone();
        let linked = state.linked_design.is_some();
        use_effect_with(design, move |design| {
            if !linked {
                crate::link::set_params(&[("design", &design.to_query())]);
            }
        });
    }
    let on_train = {
        let (bridge, dispatch, design) = (bridge.clone(), state.dispatcher(), state.design.clone());
        Callback::from(move |_| {
            bridge.send(ToWorker::Train {
                architecture: design.architecture.clone(),
                config: TrainConfig {
                    epochs: design.epochs,
                    pruning: design.layer_pruning(),
                    ..TrainConfig::default()
                },
            });
            dispatch.dispatch(Action::TrainRequested);
        })
    };
    let on_edit = {
        let dispatch = state.dispatcher();
        Callback::from(move |edit: DesignEdit| dispatch.dispatch(Action::Design(edit)))
    };
    let on_design = {
        let dispatch = state.dispatcher();
        Callback::from(move |architecture| {
            dispatch.dispatch(Action::OpenDesign(architecture));
            // Design mode is below the search: bring it into view.
            if let Some(designer) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id("designer-title"))
            {
                designer.scroll_into_view();
            }
        })
    };
    let on_budget = {
        let dispatch = state.dispatcher();
        Callback::from(move |(budget, board)| dispatch.dispatch(Action::Budget(budget, board)))
    };
    let on_stop = {
        let (bridge, dispatch) = (bridge.clone(), state.dispatcher());
        Callback::from(move |_| {
            bridge.send(ToWorker::Stop);
            dispatch.dispatch(Action::StopRequested);
        })
    };
    let on_upload = {
        let (bridge, dispatch) = (bridge.clone(), state.dispatcher());
        Callback::from(move |chosen: Vec<web_sys::File>| {
            let (bridge, dispatch) = (bridge.clone(), dispatch.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match read_files(chosen).await {
                    Ok(files) => {
                        let files = Rc::new(files);
                        dispatch.dispatch(Action::UploadRequested(files.clone()));
                        bridge.send(ToWorker::LoadFiles {
                            files: (*files).clone(),
                        });
                    }
                    Err(why) => dispatch.dispatch(Action::UploadUnreadable(why)),
                }
            });
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
            <Lesson />
            <DatasetPanel dataset={state.dataset.clone()} upload={state.upload.clone()} {on_upload} />
            <SearchPanel dataset_url={mnist_base_url()} source={state.source.clone()}
                crashes={state.pool_crashes} {on_searching} {on_budget} own={state.own.clone()}
                {on_design}
                dataset={match &state.dataset { DatasetState::Ready(info) => Some(info.clone()), _ => None }} />
            <Designer design={state.design.clone()} budget={state.budget} board={state.board.clone()}
                note={state.design_note.clone()}
                dataset={state.dataset.clone()} run={state.run.clone()} worker_lost={state.worker_lost}
                fraction_done={state.fraction_done} curve={state.curve.clone()} metric={state.metric}
                {on_metric} {on_edit} {on_train} {on_stop} />
        </main>
    }
}
