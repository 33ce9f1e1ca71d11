//! The architecture search in the page: the setup form (`search_form.rs`), Quick demo,
//! Start / Pause / Resume / Stop, and the live views fed by a pool of training workers. The
//! ask/tell engine runs here on the UI thread (an ask is milliseconds); all training (the
//! teacher's too) happens in the workers.

use super::candidate_view::CandidateView;
use super::hypervolume_chart::HypervolumeChart;
use super::pareto_chart::ParetoChart;
use super::search_form::{Form, FormEdit, SetupForm};
use super::trial_table::{Column, SortOrder, TrialTable};
use crate::download::download;
use crate::pool::{PoolEvent, WorkerPool};
use crate::protocol::{DatasetInfo, FromWorker, ToWorker};
use crate::search_run::{Phase, SavedRun, SearchRun, SearchSetup, parse_trials, trials_jsonl};
use crate::state::DatasetSource;
use crate::store;
use sparse_core::FloatModel;
use sparse_core::TrialRecord;
use sparse_core::cost::Budget;
use sparse_core::quant::QuantModel;
use sparse_core::space::SearchSpace;
use sparse_search::pareto_front_of_records;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// A busy worker silent this long (ms) is taken for crashed or hung.
const SILENCE_MS: f64 = 60_000.0;
/// The same once an uncaught worker error was seen on the page.
const CRASH_SILENCE_MS: f64 = 1_500.0;
/// Where the search saves itself in IndexedDB.
const RUN_KEY: &str = "run";
/// Prefix of the keys of kept weights (`model:ID`).
const MODEL_KEY: &str = "model:";
/// IndexedDB key prefix of a kept trial's int8 model (for the C export).
const INT8_KEY: &str = "int8:";
/// IndexedDB key of the search's teacher (its weights), once trained.
const TEACHER_KEY: &str = "teacher";

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
}

/// What the panel reacts to.
pub enum Msg {
    /// The setup form was edited.
    Edit(FormEdit),
    /// Start a search with the setup.
    Start,
    /// Start the quick demo.
    QuickDemo,
    /// Hold the workers.
    Pause,
    /// Let them go on.
    Resume,
    /// End the search.
    Stop,
    /// A worker of the pool said something.
    Pool(PoolEvent),
    /// A trial was selected.
    Select(u64),
    /// A table header was clicked.
    Sort(Column),
    /// A second passed (the watchdog looks at the workers).
    Tick,
    /// A search saved before the page was (re)loaded was found.
    SavedFound(Box<SavedRun>),
    /// A saved search was found but cannot be resumed: its text (kept to download) and why.
    SavedUnreadable(String, String),
    /// Download the unreadable saved search.
    DownloadUnreadable,
    /// Saving to IndexedDB worked (`None`) or failed, and why.
    SaveOutcome(Option<String>),
    /// Resume the saved search.
    ResumeSaved,
    /// Forget the saved search.
    DiscardSaved,
    /// The saved search, its kept weights and its teacher (if saved) were read back.
    Restored(
        Box<SavedRun>,
        HashMap<u64, FloatModel>,
        HashMap<u64, QuantModel>,
        Option<Box<FloatModel>>,
    ),
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

/// The panel's state.
pub struct SearchPanel {
    form: Form,
    form_error: Option<String>,
    pool: WorkerPool,
    ready: Vec<bool>,
    /// The dataset version each worker holds (or is loading).
    loaded: Vec<Option<u32>>,
    pool_error: Option<String>,
    run: Option<SearchRun>,
    started_ms: f64,
    ended_ms: Option<f64>,
    selected: Option<u64>,
    order: SortOrder,
    /// A search saved by an earlier visit, offered for resuming.
    saved_offer: Option<Box<SavedRun>>,
    /// A saved search that cannot be resumed: its text and why (offered for download, wiped
    /// only by Discard or a new search).
    unreadable: Option<(String, String)>,
    /// Why the latest save to IndexedDB failed, while it does.
    save_error: Option<String>,
    /// A run opened from a file: its name and trials.
    imported: Option<(String, Rc<Vec<TrialRecord>>)>,
    /// When each worker last said something.
    last_heard: Vec<f64>,
    /// A worker crashed and has not been found yet.
    crash_seen: bool,
}

impl SearchPanel {
    /// Starts `setup` on the page's dataset, forgetting any saved search.
    fn start(&mut self, ctx: &Context<Self>, setup: SearchSetup) {
        let Some(info) = ctx.props().dataset.clone() else {
            self.form_error = Some("wait for the dataset to load".into());
            return;
        };
        let space = SearchSpace::sparse(
            [info.channels, info.height, info.width],
            info.class_counts.len(),
        );
        self.saved_offer = None;
        self.unreadable = None;
        self.imported = None;
        let run = SearchRun::new(setup, space);
        let first_save = serde_json::to_string(&run.saved(&info.name)).ok();
        let link = ctx.link().clone();
        spawn_local(async move {
            let mut saved = store::clear().await;
            if let Some(text) = first_save {
                saved = saved.and(store::put(RUN_KEY, &text).await);
            }
            link.send_message(Msg::SaveOutcome(saved.err()));
        });
        self.launch(ctx, run);
    }

    /// Runs `run` in the pool; workers that hold another dataset load the page's first.
    fn launch(&mut self, ctx: &Context<Self>, run: SearchRun) {
        let workers = run.busy().len();
        self.pool.grow_to(workers);
        self.ready.resize(self.pool.len(), false);
        self.loaded.resize(self.pool.len(), None);
        self.last_heard.resize(self.pool.len(), now_ms());
        for worker in 0..workers {
            self.load_dataset(ctx, worker);
        }
        self.run = Some(run);
        self.started_ms = now_ms();
        self.ended_ms = None;
        self.selected = None;
        self.feed();
    }

    /// Saves the search (and trial `new_model`'s weights and int8 model, if kept) to IndexedDB.
    fn persist(&self, ctx: &Context<Self>, new_model: Option<u64>) {
        let (Some(run), Some(info)) = (&self.run, &ctx.props().dataset) else {
            return;
        };
        let saved = run.saved(&info.name);
        let kept = saved.kept.clone();
        let text = serde_json::to_string(&saved).ok();
        let model = new_model.and_then(|id| {
            let json = serde_json::to_string(run.model(id)?).ok()?;
            Some((format!("{MODEL_KEY}{id}"), json))
        });
        let int8 = new_model.and_then(|id| {
            let json = serde_json::to_string(run.int8_model(id)?).ok()?;
            Some((format!("{INT8_KEY}{id}"), json))
        });
        let link = ctx.link().clone();
        spawn_local(async move {
            let mut saved = Ok(());
            for (key, json) in model.into_iter().chain(int8) {
                saved = saved.and(store::put(&key, &json).await);
            }
            if let Some(text) = text {
                saved = saved.and(store::put(RUN_KEY, &text).await);
            }
            // The weights of trials the search no longer keeps go, so saved weights stay as
            // many as the search keeps.
            if saved.is_ok() {
                let keys = store::keys().await.unwrap_or_default();
                let stale = store::stale_weight_keys(&keys, &[MODEL_KEY, INT8_KEY], &kept);
                saved = store::delete(&stale).await;
            }
            link.send_message(Msg::SaveOutcome(saved.err()));
        });
    }

    /// Resumes the offered saved search, once its kept weights are read back.
    fn resume_saved(&mut self, ctx: &Context<Self>) {
        let Some(saved) = self.saved_offer.take() else {
            return;
        };
        let current = ctx.props().dataset.as_ref().map(|d| d.name.clone());
        if current.as_deref() != Some(saved.dataset.as_str()) {
            self.form_error = Some(format!(
                "the saved search ran on {}; load that dataset to resume it",
                saved.dataset
            ));
            self.saved_offer = Some(saved);
            return;
        }
        let link = ctx.link().clone();
        spawn_local(async move {
            let mut models = HashMap::new();
            let mut int8_models = HashMap::new();
            for id in &saved.kept {
                let text = store::get(&format!("{MODEL_KEY}{id}")).await.ok().flatten();
                if let Some(model) = text.and_then(|t| serde_json::from_str(&t).ok()) {
                    models.insert(*id, model);
                }
                let text = store::get(&format!("{INT8_KEY}{id}")).await.ok().flatten();
                if let Some(model) = text.and_then(|t| serde_json::from_str(&t).ok()) {
                    int8_models.insert(*id, model);
                }
            }
            // A teacher that is missing or unreadable is trained again.
            let text = store::get(TEACHER_KEY).await.ok().flatten();
            let teacher = text.and_then(|t| serde_json::from_str(&t).ok());
            link.send_message(Msg::Restored(saved, models, int8_models, teacher));
        });
    }

    /// Gives every ready, idle worker of the search its next trial (with the teacher first,
    /// if it distils and the worker does not hold it yet), or the teacher to train.
    fn feed(&mut self) {
        let Some(run) = self.run.as_mut() else {
            return;
        };
        for worker in 0..run.busy().len() {
            if self.ready.get(worker) != Some(&true) {
                continue;
            }
            if let Some(job) = run.next_job(worker, now_ms()) {
                if job.distil
                    && let Some(teacher) = run.give_teacher(worker)
                {
                    self.pool
                        .send(worker, ToWorker::SetTeacher(Box::new(teacher)));
                }
                self.pool.send(worker, ToWorker::RunTrial(Box::new(job)));
            } else if let Some(job) = run.teacher_job(worker) {
                self.pool.send(worker, ToWorker::TrainTeacher(job));
            }
        }
        if self.ended_ms.is_none()
            && matches!(
                run.phase(),
                Phase::Finished | Phase::Stopped | Phase::Failed(_)
            )
        {
            self.ended_ms = Some(now_ms());
        }
    }

    /// Replaces every busy worker that has been silent too long (a busy worker reports ten
    /// times a second): its trial is recorded as failed and a fresh worker takes its place.
    fn watch(&mut self, ctx: &Context<Self>) {
        let Some(run) = self.run.as_ref() else {
            return;
        };
        if run.phase() != &Phase::Running {
            return;
        }
        // After a crash was seen on the page, a second of silence is enough to tell which.
        let patience = if self.crash_seen {
            CRASH_SILENCE_MS
        } else {
            SILENCE_MS
        };
        let now = now_ms();
        let silent: Vec<usize> = run
            .busy()
            .iter()
            .enumerate()
            .filter(|(w, trial)| {
                (trial.is_some() || run.teacher_worker() == Some(*w))
                    && self.ready.get(*w) == Some(&true)
                    && self.last_heard.get(*w).is_some_and(|t| now - t > patience)
            })
            .map(|(w, _)| w)
            .collect();
        for worker in silent {
            if let Some(run) = self.run.as_mut() {
                run.worker_lost(
                    worker,
                    "it stopped answering (crashed or hung); a new worker took its place",
                );
            }
            self.pool.replace(worker);
            self.loaded[worker] = None;
            self.ready[worker] = false;
            self.crash_seen = false;
            self.load_dataset(ctx, worker);
        }
        self.feed();
    }

    /// Sends worker `worker` the dataset in use, unless it holds it already.
    fn load_dataset(&mut self, ctx: &Context<Self>, worker: usize) {
        let source = &ctx.props().source;
        if self.loaded[worker] == Some(source.version()) {
            return;
        }
        self.loaded[worker] = Some(source.version());
        self.ready[worker] = false;
        self.last_heard[worker] = now_ms();
        self.pool.send(
            worker,
            match source {
                DatasetSource::Mnist => ToWorker::LoadMnist {
                    base_url: ctx.props().dataset_url.clone(),
                },
                DatasetSource::Files { files, .. } => ToWorker::LoadFiles {
                    files: (**files).clone(),
                },
            },
        );
    }

    /// Sends `message` to every worker with a trial or training the teacher.
    fn tell_busy(&self, message: ToWorker) {
        if let Some(run) = &self.run {
            for (worker, trial) in run.busy().iter().enumerate() {
                if trial.is_some() || run.teacher_worker() == Some(worker) {
                    self.pool.send(worker, message.clone());
                }
            }
        }
    }

    /// Keeps the teacher `worker` trained and saves it for a resume.
    fn teacher_ready(
        &mut self,
        ctx: &Context<Self>,
        worker: usize,
        model: FloatModel,
        accuracy: f64,
    ) {
        let text = serde_json::to_string(&model).ok();
        let kept = self
            .run
            .as_mut()
            .is_some_and(|run| run.teacher_done(worker, model, accuracy));
        if let (true, Some(text)) = (kept, text) {
            let link = ctx.link().clone();
            spawn_local(async move {
                let saved = store::put(TEACHER_KEY, &text).await;
                link.send_message(Msg::SaveOutcome(saved.err()));
            });
        }
    }

    fn on_pool(&mut self, ctx: &Context<Self>, event: PoolEvent) {
        let (PoolEvent::Message(worker, generation, _) | PoolEvent::Closed(worker, generation)) =
            &event;
        if self.pool.generation(*worker) != Some(*generation) {
            return;
        }
        if let Some(heard) = self.last_heard.get_mut(*worker) {
            *heard = now_ms();
        }
        match event {
            PoolEvent::Message(worker, _, message) => match message {
                FromWorker::DatasetReady { .. } => {
                    if let Some(ready) = self.ready.get_mut(worker) {
                        *ready = true;
                    }
                }
                FromWorker::TrialProgress { id, point } => {
                    if let Some(run) = self.run.as_mut() {
                        run.progress(id, point);
                    }
                }
                FromWorker::TrialDone {
                    record,
                    model,
                    int8,
                    confusion,
                } => {
                    if let Some(run) = self.run.as_mut() {
                        let id = record.id;
                        let kept = model.is_some();
                        if let Some(confusion) = confusion {
                            run.set_confusion(id, confusion);
                        }
                        run.done(worker, *record, model.map(|m| *m), int8.map(|m| *m));
                        self.persist(ctx, kept.then_some(id));
                    }
                }
                FromWorker::TeacherProgress { fraction_done } => {
                    if let Some(run) = self.run.as_mut() {
                        run.teacher_progress(worker, fraction_done);
                    }
                }
                FromWorker::TeacherReady {
                    model,
                    validation_accuracy,
                    ..
                } => self.teacher_ready(ctx, worker, *model, validation_accuracy),
                FromWorker::Stopped => {
                    if let Some(run) = self.run.as_mut() {
                        run.stopped(worker);
                    }
                }
                FromWorker::Failed { message } | FromWorker::UploadRejected { message } => {
                    self.pool_error = Some(format!("Worker {}: {message}", worker + 1));
                }
                _ => {}
            },
            PoolEvent::Closed(worker, _) => {
                if let Some(ready) = self.ready.get_mut(worker) {
                    *ready = false;
                }
                if let Some(run) = self.run.as_mut() {
                    run.worker_lost(worker, "it closed");
                }
            }
        }
        self.feed();
    }

    fn status_line(&self, run: &SearchRun) -> String {
        let done = run.records().len();
        let busy = run.busy().iter().flatten().count();
        let minutes = (self.ended_ms.unwrap_or_else(now_ms) - self.started_ms) / 60_000.0;
        let rate = if minutes > 0.0 {
            done as f64 / minutes
        } else {
            0.0
        };
        let teacher = run.teacher();
        let phase = match run.phase() {
            Phase::Running if self.ready.iter().take(run.busy().len()).any(|r| !r) => {
                "Running (workers loading the dataset)".to_string()
            }
            Phase::Running if teacher.is_some_and(|t| t.model().is_none()) => {
                let done = teacher.and_then(|t| t.training()).map_or(0.0, |(_, f)| f);
                format!("Running: training the teacher first ({:.0}%)", done * 100.0)
            }
            Phase::Running => match run.deadline(now_ms()) {
                Some(d) if d.closing() => {
                    format!("Running: finishing the leaders ({:.0} s left)", d.left_s())
                }
                Some(d) => format!("Running ({:.0} min left)", d.left_s() / 60.0),
                None => "Running".into(),
            },
            Phase::Paused => "Paused".into(),
            Phase::Stopping => "Stopping".into(),
            Phase::Stopped => "Stopped".into(),
            Phase::Finished => "Finished".into(),
            Phase::Failed(why) => format!("Failed: {why}"),
        };
        let taught = match teacher {
            Some(t) => match (t.model(), t.accuracy()) {
                (Some(_), Some(accuracy)) => {
                    format!(
                        " · distilled from a teacher of {:.2}% validation accuracy",
                        accuracy * 100.0
                    )
                }
                (Some(_), None) => " · distilled from the saved teacher".into(),
                (None, _) => String::new(),
            },
            None => String::new(),
        };
        format!(
            "{phase} · {done}/{} trials · {busy} of {} workers busy · hypervolume {:.4} · \
             {} draws rejected by the budget · {rate:.1} trials/min{taught}",
            run.setup().trials,
            run.busy().len(),
            run.hypervolume(),
            run.rejected(),
        )
    }
}

impl Component for SearchPanel {
    type Message = Msg;
    type Properties = SearchPanelProps;

    fn create(ctx: &Context<Self>) -> Self {
        let query = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default();
        let form = Form::from_query(&query);
        let form_error = form.setup().err();
        Self {
            form,
            form_error,
            pool: WorkerPool::new(ctx.link().callback(Msg::Pool)),
            ready: Vec::new(),
            loaded: Vec::new(),
            pool_error: None,
            run: None,
            started_ms: 0.0,
            ended_ms: None,
            selected: None,
            order: SortOrder {
                column: Column::Id,
                ascending: false,
            },
            saved_offer: None,
            unreadable: None,
            save_error: None,
            imported: None,
            last_heard: Vec::new(),
            crash_seen: false,
        }
    }

    fn changed(&mut self, ctx: &Context<Self>, old: &Self::Properties) -> bool {
        if ctx.props().crashes > old.crashes {
            self.crash_seen = true;
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
            let link = ctx.link().clone();
            spawn_local(async move {
                loop {
                    yew::platform::time::sleep(std::time::Duration::from_secs(1)).await;
                    link.send_message(Msg::Tick);
                }
            });
            let link = ctx.link().clone();
            spawn_local(async move {
                if let Some(text) = store::get(RUN_KEY).await.ok().flatten() {
                    link.send_message(match SavedRun::parse(&text) {
                        Ok(saved) => Msg::SavedFound(Box::new(saved)),
                        Err(why) => Msg::SavedUnreadable(text, why),
                    });
                }
            });
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Self::Message) -> bool {
        match msg {
            Msg::Edit(edit) => {
                self.form.apply(edit);
                self.form_error = self.form.setup().err();
                self.form.write_to_url();
            }
            Msg::Start => match self.form.setup() {
                Ok(setup) => {
                    self.form_error = None;
                    self.start(ctx, setup);
                }
                Err(why) => self.form_error = Some(why),
            },
            Msg::QuickDemo => match (self.form.budget(), self.form.workers()) {
                (Ok(budget), Ok(workers)) => {
                    self.form_error = None;
                    self.start(ctx, SearchSetup::quick_demo(budget, workers));
                }
                (Err(why), _) | (_, Err(why)) => self.form_error = Some(why),
            },
            Msg::Pause => {
                if let Some(run) = self.run.as_mut() {
                    run.pause(now_ms());
                }
                self.tell_busy(ToWorker::Pause);
            }
            Msg::Resume => {
                if let Some(run) = self.run.as_mut() {
                    run.resume();
                }
                self.tell_busy(ToWorker::Resume);
                self.last_heard.iter_mut().for_each(|t| *t = now_ms());
                self.feed();
            }
            Msg::Stop => {
                self.tell_busy(ToWorker::Stop);
                if let Some(run) = self.run.as_mut() {
                    run.stop();
                }
                self.feed();
            }
            Msg::Pool(event) => self.on_pool(ctx, event),
            Msg::Tick => {
                self.watch(ctx);
                // Only a live run's status line (rate, elapsed) changes between trials.
                return self.run.as_ref().is_some_and(|r| {
                    matches!(r.phase(), Phase::Running | Phase::Paused | Phase::Stopping)
                });
            }
            Msg::SavedFound(saved) => {
                if self.run.is_none() {
                    self.saved_offer = Some(saved);
                }
            }
            Msg::SavedUnreadable(text, why) => {
                if self.run.is_none() {
                    self.unreadable = Some((text, why));
                }
            }
            Msg::DownloadUnreadable => {
                if let Some((text, _)) = &self.unreadable
                    && download(
                        "sparse-explorer-saved-search.json",
                        text.as_bytes(),
                        "application/json",
                    )
                    .is_none()
                {
                    self.form_error = Some("the browser refused the download".into());
                }
            }
            Msg::SaveOutcome(outcome) => {
                if self.save_error == outcome {
                    return false;
                }
                self.save_error = outcome;
            }
            Msg::ResumeSaved => self.resume_saved(ctx),
            Msg::DiscardSaved => {
                self.saved_offer = None;
                self.unreadable = None;
                spawn_local(async {
                    let _ = store::clear().await;
                });
            }
            Msg::Import(Some(file)) => {
                let link = ctx.link().clone();
                spawn_local(async move {
                    let name = file.name();
                    let text = wasm_bindgen_futures::JsFuture::from(file.text())
                        .await
                        .ok()
                        .and_then(|t| t.as_string());
                    let parsed = match text {
                        Some(text) => parse_trials(&name, &text).map(|r| (name, r)),
                        None => Err(format!("{name} could not be read as text")),
                    };
                    link.send_message(Msg::Imported(parsed));
                });
            }
            Msg::Import(None) => {}
            Msg::Imported(Ok((name, records))) => {
                self.form_error = None;
                self.run = None;
                self.selected = None;
                self.imported = Some((name, Rc::new(records)));
            }
            Msg::Imported(Err(why)) => self.form_error = Some(why),
            Msg::Export => {
                if let Some((records, name)) = self.shown_records() {
                    download(
                        &name,
                        trials_jsonl(&records).as_bytes(),
                        "application/x-ndjson",
                    );
                }
            }
            Msg::Restored(saved, models, int8_models, teacher) => {
                let teacher = teacher.map(|t| *t);
                self.launch(
                    ctx,
                    SearchRun::restore(*saved, models, int8_models, teacher),
                );
            }
            Msg::Select(id) => self.selected = Some(id),
            Msg::Sort(column) => {
                self.order = SortOrder {
                    column,
                    ascending: if self.order.column == column {
                        !self.order.ascending
                    } else {
                        column == Column::ModelSize || column == Column::WorkingMemory
                    },
                };
            }
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
        let controls = html! {
            <div class="controls">
                <button data-testid="quick-demo" disabled={!startable} onclick={link.callback(|_| Msg::QuickDemo)}>
                    { "Quick demo" }
                </button>
                <button data-testid="start-search" disabled={!startable} onclick={link.callback(|_| Msg::Start)}>
                    { "Start search" }
                </button>
                <button class="secondary" data-testid="pause-search" disabled={phase != Some(Phase::Running)}
                    onclick={link.callback(|_| Msg::Pause)}>{ "Pause" }</button>
                <button class="secondary" data-testid="resume-search" disabled={phase != Some(Phase::Paused)}
                    onclick={link.callback(|_| Msg::Resume)}>{ "Resume" }</button>
                <button class="secondary" data-testid="stop-search"
                    disabled={!matches!(phase, Some(Phase::Running | Phase::Paused))}
                    onclick={link.callback(|_| Msg::Stop)}>{ "Stop" }</button>
            </div>
        };
        let errors = html! {
            <>
                if let Some(why) = &self.form_error {
                    <p class="error" data-testid="setup-error">{ why }</p>
                }
                if let Some(why) = &self.pool_error {
                    <p class="error">{ why }</p>
                }
                if let Some(why) = &self.save_error {
                    <p class="error" data-testid="save-error">{ format!(
                        "This browser did not save the search ({why}): it goes on, but a reload \
                         could not resume it. Free some storage for this site, or export the \
                         trials (trials.jsonl) to keep them.") }</p>
                }
            </>
        };
        let offer = match &self.saved_offer {
            Some(saved) if self.run.is_none() => html! {
                <div class="offer" role="status">
                    <p>{ format!(
                        "A search saved in this browser can go on where it stopped: {} of {} trials on {}, \
                         hypervolume {:.4}.",
                        saved.records.len(), saved.setup.trials, saved.dataset,
                        saved.records.last().map_or(0.0, |r| r.hypervolume)) }</p>
                    <div class="controls">
                        <button data-testid="resume-run" disabled={ctx.props().dataset.is_none()}
                            onclick={link.callback(|_| Msg::ResumeSaved)}>{ "Resume saved search" }</button>
                        <button class="secondary" data-testid="discard-run"
                            onclick={link.callback(|_| Msg::DiscardSaved)}>{ "Discard it" }</button>
                    </div>
                </div>
            },
            _ => html! {},
        };
        let unreadable = match &self.unreadable {
            Some((_, why)) if self.run.is_none() => html! {
                <div class="offer" role="status" data-testid="saved-unreadable">
                    <p>{ format!("A search saved in this browser cannot be resumed: {why}. \
                                  It stays saved until you discard it or start a new search.") }</p>
                    <div class="controls">
                        <button class="secondary" data-testid="download-saved"
                            onclick={link.callback(|_| Msg::DownloadUnreadable)}>{ "Download it" }</button>
                        <button class="secondary" data-testid="discard-unreadable"
                            onclick={link.callback(|_| Msg::DiscardSaved)}>{ "Discard it" }</button>
                    </div>
                </div>
            },
            _ => html! {},
        };
        let body = match (&self.run, &self.imported) {
            (None, Some((name, records))) => {
                let budget = self.form.budget().unwrap_or(Budget::new(1, 1));
                html! {
                    <>
                        <p class="status" data-testid="search-status">{ format!(
                            "Opened {name}: {} trials, judged against the budget above.", records.len()) }</p>
                        { self.view_results(ctx, records.clone(), pareto_front_of_records(records, budget), budget, None) }
                    </>
                }
            }
            (Some(run), _) => self.view_run(ctx, run),
            (None, None) => html! {
                <p class="hint">{
                    "Quick demo runs 60 short trials on a slice of MNIST within the budget above, so a \
                     Pareto front appears in seconds and evolves for about a minute; Start search runs \
                     the whole setup on all of MNIST."
                }</p>
            },
        };
        html! {
            <section class="panel search" aria-labelledby="search-title">
                <h2 id="search-title">{ "Search architectures for a microcontroller" }</h2>
                <p class="hint">{
                    "A microcontroller keeps the model's weights in flash and its activations in SRAM. \
                     The search trains and prunes candidate CNNs and keeps those no other beats on all \
                     three counts at once: error, model size (flash) and working memory (SRAM)."
                }</p>
                { offer }
                { unreadable }
                <SetupForm form={self.form.clone()} disabled={active}
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
                { controls }
                { errors }
                { body }
            </section>
        }
    }
}

impl SearchPanel {
    fn view_run(&self, ctx: &Context<Self>, run: &SearchRun) -> Html {
        let workers: Html = run
            .busy()
            .iter()
            .enumerate()
            .map(|(i, trial)| {
                let ready = self.ready.get(i) == Some(&true);
                let teacher = run.teacher().and_then(|t| t.training()).filter(|(w, _)| *w == i);
                let text = match (ready, trial, teacher) {
                    (false, _, _) => format!("worker {}: loading the dataset", i + 1),
                    (true, Some(id), _) => {
                        let done = run.curve(*id).last().map_or(0.0, |p| p.fraction_done);
                        format!("worker {}: trial {id} ({:.0}%)", i + 1, done * 100.0)
                    }
                    (true, None, Some((_, done))) => {
                        format!("worker {}: training the teacher ({:.0}%)", i + 1, done * 100.0)
                    }
                    (true, None, None) => format!("worker {}: idle", i + 1),
                };
                html! {
                    <span class="worker" data-testid="worker-status"
                        data-busy={(trial.is_some() || teacher.is_some()).to_string()}>{ text }</span>
                }
            })
            .collect();
        html! {
            <>
                <p class="status" data-testid="search-status">{ self.status_line(run) }</p>
                <div class="workers">{ workers }</div>
                { self.view_results(ctx, run.records().clone(), run.pareto_front(), run.budget(), Some(run)) }
            </>
        }
    }

    /// The charts, the selected candidate and the table, for a live or an opened run.
    fn view_results(
        &self,
        ctx: &Context<Self>,
        records: Rc<Vec<TrialRecord>>,
        front: Vec<u64>,
        budget: Budget,
        live: Option<&SearchRun>,
    ) -> Html {
        let link = ctx.link();
        let front = Rc::new(front);
        let hypervolumes = Rc::new(records.iter().map(|r| r.hypervolume).collect::<Vec<_>>());
        let on_select = link.callback(Msg::Select);
        let selected = self
            .selected
            .and_then(|id| records.iter().find(|r| r.id == id))
            .cloned();
        html! {
            <>
                <ParetoChart records={records.clone()} front={front.clone()} {budget}
                    selected={self.selected} on_select={on_select.clone()} />
                <p class="hint">{
                    "Pareto front: a filled point is a network no other candidate beats on error, \
                     model size and working memory together; a hollow one is beaten by some other on \
                     all three. Each step of mobo weighs the three objectives at random \
                     (a random scalarisation; every third step, the error alone), so over many steps the \
                     whole front gets explored."
                }</p>
                <HypervolumeChart values={hypervolumes} />
                <p class="hint">{
                    "Hypervolume: the share of the (error × size/budget × memory/budget) cube the front \
                     dominates. It grows as trials find better networks (a flat stretch: nothing better) and \
                     can dip when a network trained on measures a little worse than before, since \
                     each network counts at its latest measure."
                }</p>
                if let Some(record) = selected {
                    <CandidateView record={record.clone()}
                        parent_epochs={record.parent.and_then(|p| records.iter().find(|r| r.id == p)).and_then(|p| p.epochs)}
                        curve={live.map(|r| r.curve(record.id).to_vec()).unwrap_or_default()}
                        confusion={live.and_then(|r| r.confusion(record.id).cloned())}
                        int8={live.and_then(|r| r.int8_model(record.id).cloned()).map(Rc::new)}
                        {budget} on_select={on_select.clone()} />
                }
                <div class="controls">
                    <button class="secondary" data-testid="export-run" onclick={link.callback(|_| Msg::Export)}>
                        { "Export trials (trials.jsonl)" }
                    </button>
                </div>
                <TrialTable {records} {front} order={self.order}
                    on_sort={link.callback(Msg::Sort)} selected={self.selected} {on_select} />
            </>
        }
    }

    /// The records on show: the live run's, else the opened run's.
    fn shown_records(&self) -> Option<(Rc<Vec<TrialRecord>>, String)> {
        match (&self.run, &self.imported) {
            (Some(run), _) => Some((run.records().clone(), "trials.jsonl".into())),
            (None, Some((name, records))) => Some((records.clone(), name.clone())),
            (None, None) => None,
        }
    }
}
