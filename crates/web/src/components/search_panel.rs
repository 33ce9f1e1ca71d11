//! The architecture search in the page: the setup form (`search_form.rs`), Quick demo,
//! Start / Pause / Resume / Stop, opening and exporting runs, and the live views fed by a pool
//! of training workers (`pool.rs`). The ask/tell engine runs here on the UI thread (an ask is
//! milliseconds) through the driver the CLI shares (`search_run.rs`); all training (the
//! teacher's too) happens in the workers. Every message comes through [`Msg`] in `update`:
//! plain state changes go through the reducer in `state.rs`, effects (the run, the pool,
//! IndexedDB) stay here; saving to IndexedDB is `saving.rs`'s.

mod body;
mod run_files;
mod saving;
mod state;
mod workers;

use super::saved_offer::{SavedOffer, UnreadableSave};
use super::search_controls::{Control, SearchControls, SearchErrors};
use super::search_form::{Form, FormEdit, SetupForm, cores};
use super::trial_table::Column;
use crate::download::download;
use crate::pool::{PoolEvent, WorkerPool};
use crate::protocol::{DatasetInfo, ToWorker};
use crate::saved_run::SavedRun;
use crate::search_run::{Phase, SearchRun};
use crate::search_setup::SearchSetup;
use crate::state::DatasetSource;
use saving::{Restored, SaveOutcome};
use sparse_core::boards::Board;
use sparse_core::cost::Budget;
use sparse_core::space::SearchSpace;
use sparse_core::{Architecture, TrialRecord};
use state::{Offer, PanelAction, PanelState};
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::Reducible;
use yew::prelude::*;

/// Props of [`SearchPanel`].
#[derive(Properties, PartialEq)]
pub struct SearchPanelProps {
    /// Absolute URL of the folder holding MNIST, for the pool's workers.
    pub dataset_url: String,
    /// The data in use (MNIST or an accepted upload).
    pub source: DatasetSource,
    /// What the page knows of it, once loaded.
    pub dataset: Option<Rc<DatasetInfo>>,
    /// Uncaught worker errors seen while a search ran (a rise means one of ours crashed).
    pub crashes: u32,
    /// Whether a search is running (so the page knows whose a worker error is).
    pub on_searching: Callback<bool>,
    /// The budget as the form gives it, and the board it names, whenever they change (design
    /// mode judges by them).
    pub on_budget: Callback<(Budget, Option<Board>)>,
    /// The student's own trained networks, drawn beside the search's.
    pub own: Rc<Vec<TrialRecord>>,
    /// "Build on this" was clicked for a candidate: its architecture, for design mode.
    pub on_design: Callback<Architecture>,
}

/// What the panel reacts to.
pub enum Msg {
    /// The setup form was edited.
    Edit(FormEdit),
    /// A button of the search was clicked.
    Control(Control),
    /// A worker of the pool said something.
    Pool(PoolEvent),
    /// A trial was selected.
    Select(u64),
    /// A table header was clicked.
    Sort(Column),
    /// A second passed (the watchdog looks at the workers).
    Tick,
    /// A search saved by an earlier visit was found: checked, or its text and why it cannot
    /// be resumed.
    SavedFound(Result<Rc<SavedRun>, (String, String)>),
    /// Download the unreadable saved search.
    DownloadUnreadable,
    /// Saving to IndexedDB worked (`None`) or failed, and why.
    SaveOutcome(SaveOutcome),
    /// Resume the saved search.
    ResumeSaved,
    /// Forget the saved search.
    DiscardSaved,
    /// The saved search, its kept weights and its teacher (if saved) were read back.
    Restored(Restored),
    /// A run file was chosen to open.
    Import(Option<web_sys::File>),
    /// The chosen run file, read and parsed (or why not).
    Imported(Result<(String, Vec<TrialRecord>), String>),
    /// Download the trials on show.
    Export,
}

/// Milliseconds since the epoch, for the watchdog and the rate.
fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The panel: its plain state (through the reducer) beside the live run and its workers.
pub struct SearchPanel {
    state: Rc<PanelState>,
    pool: WorkerPool,
    run: Option<SearchRun>,
    started_ms: f64,
    ended_ms: Option<f64>,
}

impl SearchPanel {
    /// Passes `action` to the reducer; whether anything changed.
    fn dispatch(&mut self, action: PanelAction) -> bool {
        let next = self.state.clone().reduce(action);
        let changed = !Rc::ptr_eq(&next, &self.state);
        self.state = next;
        changed
    }

    /// Starts `setup` on the page's dataset, forgetting any saved search.
    fn start(&mut self, ctx: &Context<Self>, setup: SearchSetup) {
        let Some(info) = ctx.props().dataset.clone() else {
            self.dispatch(PanelAction::Refused("wait for the dataset to load".into()));
            return;
        };
        let space = SearchSpace::sparse(
            [info.channels, info.height, info.width],
            info.class_counts.len(),
        );
        let run = SearchRun::new(setup, space);
        saving::save_new(&run, &info.name, ctx.link().callback(Msg::SaveOutcome));
        self.launch(ctx, run);
    }

    /// Resumes the offered saved search, once its kept weights are read back.
    fn resume_saved(&mut self, ctx: &Context<Self>) {
        let Offer::Resumable(saved) = &self.state.offer else {
            return;
        };
        let saved = saved.clone();
        let current = ctx.props().dataset.as_ref().map(|d| d.name.clone());
        if current.as_deref() != Some(saved.dataset.as_str()) {
            self.dispatch(PanelAction::Refused(format!(
                "the saved search ran on {}; load that dataset to resume it",
                saved.dataset
            )));
            return;
        }
        self.dispatch(PanelAction::Resuming);
        saving::read_back(saved, ctx.link().callback(Msg::Restored));
    }

    /// The records on show: the live run's, else the opened run's.
    fn shown_records(&self) -> Option<(Arc<Vec<TrialRecord>>, String)> {
        match (&self.run, &self.state.opened) {
            (Some(run), _) => Some((run.records().clone(), "trials.jsonl".into())),
            (None, Some(opened)) => Some((opened.records.clone(), opened.name.clone())),
            (None, None) => None,
        }
    }
}

impl Component for SearchPanel {
    type Message = Msg;
    type Properties = SearchPanelProps;

    fn create(ctx: &Context<Self>) -> Self {
        let form = Form::from_params(crate::link::param, cores());
        Self {
            state: Rc::new(PanelState::new(form)),
            pool: WorkerPool::new(ctx.link().callback(Msg::Pool)),
            run: None,
            started_ms: 0.0,
            ended_ms: None,
        }
    }

    fn changed(&mut self, ctx: &Context<Self>, old: &Self::Properties) -> bool {
        if ctx.props().crashes > old.crashes {
            self.pool.crash_seen();
        }
        true
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        let searching = self
            .run
            .as_ref()
            .is_some_and(|r| matches!(r.phase(), Phase::Running | Phase::Paused | Phase::Stopping));
        ctx.props().on_searching.emit(searching);
        if first_render {
            if let Ok(budget) = self.state.form.budget() {
                ctx.props()
                    .on_budget
                    .emit((budget, self.state.form.board()));
            }
            let link = ctx.link().clone();
            spawn_local(async move {
                loop {
                    yew::platform::time::sleep(std::time::Duration::from_secs(1)).await;
                    link.send_message(Msg::Tick);
                }
            });
            saving::look_for_saved(
                ctx.link()
                    .callback(|found: Result<SavedRun, _>| Msg::SavedFound(found.map(Rc::new))),
            );
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Self::Message) -> bool {
        match msg {
            Msg::Edit(edit) => {
                self.dispatch(PanelAction::Edit(edit));
                let form = &self.state.form;
                form.write_to_url();
                if let Ok(budget) = form.budget() {
                    ctx.props().on_budget.emit((budget, form.board()));
                }
            }
            Msg::Control(Control::Start) => match self.state.form.setup() {
                Ok(setup) => self.start(ctx, setup),
                Err(why) => return self.dispatch(PanelAction::Refused(why)),
            },
            Msg::Control(Control::QuickDemo) => {
                let form = &self.state.form;
                match (form.budget(), form.workers()) {
                    (Ok(budget), Ok(workers)) => {
                        self.start(ctx, SearchSetup::quick_demo(budget, workers))
                    }
                    (Err(why), _) | (_, Err(why)) => {
                        return self.dispatch(PanelAction::Refused(why));
                    }
                }
            }
            Msg::Control(Control::Pause) => {
                if let Some(run) = self.run.as_mut() {
                    run.pause(now_ms());
                }
                self.tell_busy(ToWorker::Pause);
            }
            Msg::Control(Control::Resume) => {
                if let Some(run) = self.run.as_mut() {
                    run.resume();
                }
                self.tell_busy(ToWorker::Resume);
                self.pool.heard_all(now_ms());
                self.feed();
            }
            Msg::Control(Control::Stop) => {
                self.tell_busy(ToWorker::Stop);
                if let Some(run) = self.run.as_mut() {
                    run.stop();
                }
                self.feed();
            }
            Msg::Pool(event) => return self.on_pool(ctx, event),
            Msg::Tick => {
                self.watch(ctx);
                // Only a live run's status line (rate, elapsed) changes between trials.
                return self.run.as_ref().is_some_and(|r| {
                    matches!(r.phase(), Phase::Running | Phase::Paused | Phase::Stopping)
                });
            }
            // Found after a search started here: the search replaced it.
            Msg::SavedFound(_) if self.run.is_some() => return false,
            Msg::SavedFound(found) => return self.dispatch(PanelAction::Found(found)),
            Msg::DownloadUnreadable => {
                if let Offer::Unreadable { text, .. } = &self.state.offer
                    && download(
                        "sparse-explorer-saved-search.json",
                        text.as_bytes(),
                        "application/json",
                    )
                    .is_none()
                {
                    return self.dispatch(PanelAction::Refused(
                        "the browser refused the download".into(),
                    ));
                }
            }
            Msg::SaveOutcome(outcome) => return self.dispatch(PanelAction::Saved(outcome)),
            Msg::ResumeSaved => self.resume_saved(ctx),
            Msg::DiscardSaved => {
                saving::discard();
                return self.dispatch(PanelAction::Discarded);
            }
            Msg::Import(Some(file)) => {
                run_files::read_run_file(file, ctx.link().callback(Msg::Imported));
            }
            Msg::Import(None) => {}
            Msg::Imported(Ok((name, records))) => {
                self.run = None;
                self.dispatch(PanelAction::Opened(name, records));
            }
            Msg::Imported(Err(why)) => return self.dispatch(PanelAction::Refused(why)),
            Msg::Export => {
                if let Some((records, name)) = self.shown_records() {
                    run_files::export(&records, &name);
                }
            }
            Msg::Restored((saved, models, int8_models, teacher)) => {
                let teacher = teacher.map(|t| *t);
                let saved = Rc::unwrap_or_clone(saved);
                self.launch(ctx, SearchRun::restore(saved, models, int8_models, teacher));
            }
            Msg::Select(id) => return self.dispatch(PanelAction::Select(id)),
            Msg::Sort(column) => return self.dispatch(PanelAction::Sort(column)),
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let phase = self.run.as_ref().map(|r| r.phase().clone());
        let active = matches!(
            phase,
            Some(Phase::Running | Phase::Paused | Phase::Stopping)
        );
        // Searching needs the dataset's shape and classes, known once it has loaded.
        let startable = !active && ctx.props().dataset.is_some();
        let saved = match (&self.run, &self.state.offer) {
            (None, Offer::Resumable(saved)) => html! {
                <SavedOffer done={saved.records.len()} trials={saved.setup.trials}
                    dataset={saved.dataset.clone()}
                    hypervolume={saved.records.last().map_or(0.0, |r| r.hypervolume)}
                    resumable={ctx.props().dataset.is_some()}
                    on_resume={link.callback(|_| Msg::ResumeSaved)}
                    on_discard={link.callback(|_| Msg::DiscardSaved)} />
            },
            (None, Offer::Unreadable { why, .. }) => html! {
                <UnreadableSave why={why.clone()}
                    on_download={link.callback(|_| Msg::DownloadUnreadable)}
                    on_discard={link.callback(|_| Msg::DiscardSaved)} />
            },
            _ => html! {},
        };
        html! {
            <section class="panel search" aria-labelledby="search-title">
                <h2 id="search-title">{ "Search architectures for a microcontroller" }</h2>
                <p class="hint">{
                    "A microcontroller keeps the model's weights in flash and its activations in SRAM. \
                     The search trains and prunes candidate CNNs and keeps those no other beats on all \
                     three counts at once: error, model size (flash) and working memory (SRAM)."
                }</p>
                { saved }
                <SetupForm form={self.state.form.clone()} disabled={active}
                    on_edit={link.callback(Msg::Edit)} />
                <label class="import">{ "Open a run (trials.jsonl from this page or from sparse-explorer search): " }
                    <input type="file" data-testid="import-run" accept=".jsonl,.json,application/x-ndjson"
                        disabled={active}
                        onchange={link.callback(|e: Event| {
                            let input: HtmlInputElement = e.target_unchecked_into();
                            let file = input.files().and_then(|f| f.get(0));
                            input.set_value("");
                            Msg::Import(file)
                        })} />
                </label>
                <SearchControls {phase} {startable} on_control={link.callback(Msg::Control)} />
                <SearchErrors form={self.state.form_error.clone()}
                    pool={self.state.pool_error.clone()} save={self.state.save_error.clone()} />
                { self.view_body(ctx) }
            </section>
        }
    }
}
