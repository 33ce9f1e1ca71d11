//! A search as the page runs it: the ask/tell engine, which worker trains which candidate, the
//! finished trials and the weights children inherit. No browser code, so it is tested natively;
//! the search panel feeds it worker messages and renders what it holds.

use crate::protocol::{CurvePoint, TeacherJob, TrialJob};
use crate::run_teacher::RunTeacher;
use serde::{Deserialize, Serialize};
use sparse_core::cost::{Budget, FlashMeasure};
use sparse_core::quant::QuantModel;
use sparse_core::space::SearchSpace;
use sparse_core::{FloatModel, TrialRecord};
use sparse_search::{
    Algorithm, Candidate, DEFAULT_CLOSING_SHARE, Deadline, Outcome, Schedule, Search,
    leader_to_finish,
};
use sparse_train::TrainConfig;
use std::collections::HashMap;
use std::rc::Rc;

/// The optimizers offered in the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlgorithmChoice {
    /// SpArSe's multi-objective Bayesian optimisation.
    Mobo,
    /// Aging evolution.
    Evolution,
    /// Random search.
    Random,
}

impl AlgorithmChoice {
    /// Every choice, in the order shown.
    pub const ALL: [AlgorithmChoice; 3] = [Self::Mobo, Self::Evolution, Self::Random];

    /// The short name used in the page and the URL.
    pub fn id(self) -> &'static str {
        match self {
            Self::Mobo => "mobo",
            Self::Evolution => "evolution",
            Self::Random => "random",
        }
    }

    /// The choice named `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.id() == id)
    }

    /// The engine's optimizer with its defaults.
    pub fn algorithm(self) -> Algorithm {
        match self {
            Self::Mobo => Algorithm::mobo(),
            Self::Evolution => Algorithm::evolution(),
            Self::Random => Algorithm::Random,
        }
    }
}

/// Everything a search needs besides the data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchSetup {
    /// Bytes of flash (model size, as SpArSe counts it) and SRAM (working memory) allowed.
    pub budget: Budget,
    /// The optimizer.
    pub algorithm: AlgorithmChoice,
    /// Trials to run.
    pub trials: usize,
    /// Minutes the search may start trials for, if limited (counted while it runs, afresh
    /// after a reload, as the CLI's --time-limit is per session); its last 15% finish the
    /// leaders ([`leader_to_finish`]).
    #[serde(default)]
    pub minutes: Option<u32>,
    /// Epochs every new candidate trains first.
    pub epochs: usize,
    /// The most epochs a promoted network trains in all (the best third of each rung trains
    /// on to 3× the epochs, 9×, … up to this); at most `epochs`: no promotion.
    #[serde(default)]
    pub max_epochs: usize,
    /// Pixels each way every trial moves each training image (augmentation; runs saved
    /// before it trained without).
    #[serde(default)]
    pub shift: usize,
    /// Seed of the search and of every trial's training.
    pub seed: u64,
    /// Train on only the first this many training images, if set.
    pub train_images: Option<usize>,
    /// Score on only the first this many test images, if set.
    pub test_images: Option<usize>,
    /// Workers training at once.
    pub workers: usize,
    /// Whether candidates learn from a teacher too (knowledge distillation, trained by a
    /// worker before the first trial; runs saved before it had none).
    #[serde(default)]
    pub teacher: bool,
}

impl SearchSetup {
    /// Epochs by rung: the first `epochs`, the best third of each rung on to 3× as many, up to
    /// `max_epochs`.
    pub fn schedule(&self) -> Schedule {
        Schedule::by_promise(self.epochs, self.max_epochs)
    }

    /// A search small enough to show a Pareto front within seconds and evolve it for about a
    /// minute: 60 trials on 6,000 training images (1,000 of them held out for validation),
    /// each first trained one epoch, the promising ones on to 3 and 9, scored on 1,000 test
    /// images, under `budget`; no teacher (its training would take a third of the minute).
    pub fn quick_demo(budget: Budget, workers: usize) -> Self {
        Self {
            budget,
            algorithm: AlgorithmChoice::Mobo,
            trials: 60,
            minutes: None,
            epochs: 1,
            max_epochs: 9,
            shift: sparse_search::DEFAULT_SHIFT,
            seed: 1,
            train_images: Some(6000),
            test_images: Some(1000),
            workers,
            teacher: false,
        }
    }
}

/// Reads a run exported by the page or written by `sparse-explorer search` (`trials.jsonl`),
/// or says which line is wrong.
pub fn parse_trials(name: &str, text: &str) -> Result<Vec<TrialRecord>, String> {
    let records = TrialRecord::parse_jsonl(name, text)?;
    if records.is_empty() {
        return Err(format!("{name} holds no trials"));
    }
    Ok(records)
}

/// The records as `trials.jsonl` text, one JSON object per line.
pub fn trials_jsonl(records: &[TrialRecord]) -> String {
    records
        .iter()
        .filter_map(|r| serde_json::to_string(r).ok())
        .map(|line| line + "\n")
        .collect()
}

/// Where a search stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    /// Workers are training candidates.
    Running,
    /// Workers hold their candidates until resumed.
    Paused,
    /// Workers were told to stop and have not all answered.
    Stopping,
    /// Stopped by the user; the trials so far stay.
    Stopped,
    /// Every trial ran.
    Finished,
    /// The search cannot go on (for instance, nothing fits the budget).
    Failed(String),
}

/// The version of [`SavedRun`]'s format this page writes (saves made before versions are 1).
/// (3: the setup says whether a teacher is used, and the teacher is saved apart.)
pub const SAVED_SCHEMA: u32 = 3;

fn first_schema() -> u32 {
    1
}

/// What a search saves to resume after a reload: all but the weights (saved one by one) and
/// the trials in flight (lost).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedRun {
    /// The version of this format it was written in.
    #[serde(default = "first_schema")]
    pub schema: u32,
    /// The setup.
    pub setup: SearchSetup,
    /// The engine's whole state.
    pub search: Search,
    /// Finished trials.
    pub records: Vec<TrialRecord>,
    /// The name of the dataset searched, which a resume needs loaded again.
    pub dataset: String,
    /// Trials whose weights were kept (saved apart).
    pub kept: Vec<u64>,
}

impl SavedRun {
    /// Reads a saved search and checks it before it is trusted (the saved text may come from
    /// another version of the page, or be damaged): a known schema, a consistent state, and
    /// records of exactly the trials the state told; otherwise says what is wrong.
    pub fn parse(text: &str) -> Result<SavedRun, String> {
        let saved: SavedRun = serde_json::from_str(text)
            .map_err(|e| format!("the saved search cannot be read: {e}"))?;
        if saved.schema > SAVED_SCHEMA {
            return Err(format!(
                "the saved search was made by a newer version of the page (format {}, this page \
                 reads up to {SAVED_SCHEMA})",
                saved.schema
            ));
        }
        saved.search.check().map_err(|e| e.to_string())?;
        let told: std::collections::BTreeSet<u64> = saved
            .search
            .trials()
            .iter()
            .filter(|t| t.outcome.is_some())
            .map(|t| t.candidate.id)
            .collect();
        let recorded: std::collections::BTreeSet<u64> =
            saved.records.iter().map(|r| r.id).collect();
        if recorded != told || saved.records.len() != told.len() {
            return Err("the saved search's trials disagree with its state".into());
        }
        let asked = saved.search.trials().len() as u64;
        if saved.kept.iter().any(|&id| id >= asked) {
            return Err("the saved search keeps weights of trials it never asked".into());
        }
        Ok(saved)
    }
}

/// A running (or finished) search in the page.
pub struct SearchRun {
    setup: SearchSetup,
    search: Search,
    /// Shared with the views, which skip redrawing while it is unchanged.
    records: Rc<Vec<TrialRecord>>,
    models: HashMap<u64, FloatModel>,
    /// The int8 models of the trials in `models`, for the C export.
    int8_models: HashMap<u64, QuantModel>,
    curves: HashMap<u64, Vec<CurvePoint>>,
    confusions: HashMap<u64, Vec<Vec<u32>>>,
    busy: Vec<Option<u64>>,
    phase: Phase,
    /// The teacher, when the setup wants one.
    teacher: Option<RunTeacher>,
    /// A candidate asked while the teacher trains (asked early so that a budget nothing fits
    /// fails the search before a teacher is trained for nothing), given out first.
    held: Option<Candidate>,
    /// Milliseconds the search ran before its latest pause (since this page started or
    /// resumed it).
    banked_ms: f64,
    /// When the search last started running, until it pauses (from its first job asked).
    since_ms: Option<f64>,
    /// Whether its time limit passed: it finishes once the trials in flight are in.
    out_of_time: bool,
}

impl SearchRun {
    /// A new search over `space` (the dataset's input and classes) as `setup` says.
    pub fn new(setup: SearchSetup, space: SearchSpace) -> Self {
        let budget = setup.budget.measuring_flash_as(FlashMeasure::ModelSize);
        let search = Search::new(space, budget, setup.algorithm.algorithm(), setup.seed)
            .with_schedule(setup.schedule());
        let workers = setup.workers.max(1);
        Self {
            busy: vec![None; workers],
            teacher: setup.teacher.then(|| RunTeacher::new(workers, None)),
            setup,
            search,
            records: Rc::default(),
            models: HashMap::new(),
            int8_models: HashMap::new(),
            curves: HashMap::new(),
            confusions: HashMap::new(),
            phase: Phase::Running,
            held: None,
            banked_ms: 0.0,
            since_ms: None,
            out_of_time: false,
        }
    }

    /// The search as saved after its latest trial, on `dataset`.
    pub fn saved(&self, dataset: &str) -> SavedRun {
        let mut kept: Vec<u64> = self.models.keys().copied().collect();
        kept.sort();
        SavedRun {
            schema: SAVED_SCHEMA,
            setup: self.setup.clone(),
            search: self.search.clone(),
            records: self.records.to_vec(),
            dataset: dataset.to_string(),
            kept,
        }
    }

    /// The saved search with the kept weights (and int8 models) and teacher found, going on
    /// (or finished, if it was): the trials in flight at the save are lost, the rest carries
    /// on as before (with a new teacher trained first if its teacher was not found).
    pub fn restore(
        saved: SavedRun,
        models: HashMap<u64, FloatModel>,
        int8_models: HashMap<u64, QuantModel>,
        teacher: Option<FloatModel>,
    ) -> Self {
        let mut search = saved.search;
        if search.schedule().is_none() {
            // Saved before training by promise: every trial trained the setup's epochs.
            search.set_schedule(Schedule::fixed(saved.setup.epochs));
        }
        let workers = saved.setup.workers.max(1);
        let mut run = Self {
            busy: vec![None; workers],
            teacher: saved
                .setup
                .teacher
                .then(|| RunTeacher::new(workers, teacher)),
            held: None,
            setup: saved.setup,
            search,
            records: Rc::new(saved.records),
            models,
            int8_models,
            curves: HashMap::new(),
            confusions: HashMap::new(),
            phase: Phase::Running,
            banked_ms: 0.0,
            since_ms: None,
            out_of_time: false,
        };
        run.settle();
        run
    }

    /// The weights kept for trial `id`, if any (to save them).
    pub fn model(&self, id: u64) -> Option<&FloatModel> {
        self.models.get(&id)
    }

    /// The int8 model kept for trial `id`, if any (to export or save it).
    pub fn int8_model(&self, id: u64) -> Option<&QuantModel> {
        self.int8_models.get(&id)
    }

    /// The setup this search runs.
    pub fn setup(&self) -> &SearchSetup {
        &self.setup
    }

    /// Where the search stands.
    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// Finished trials, in the order they finished.
    pub fn records(&self) -> &Rc<Vec<TrialRecord>> {
        &self.records
    }

    /// The training curve of trial `id` so far.
    pub fn curve(&self, id: u64) -> &[CurvePoint] {
        self.curves.get(&id).map_or(&[], Vec::as_slice)
    }

    /// Ids of the Pareto members among the trained trials.
    pub fn pareto_front(&self) -> Vec<u64> {
        self.search.pareto_front()
    }

    /// The search's hypervolume after the latest trial (recorded with it).
    pub fn hypervolume(&self) -> f64 {
        self.records.last().map_or(0.0, |r| r.hypervolume)
    }

    /// Draws the budget rejected before training.
    pub fn rejected(&self) -> u64 {
        self.search.rejected()
    }

    /// The budget candidates must fit.
    pub fn budget(&self) -> Budget {
        self.search.budget()
    }

    /// The candidate each worker is training.
    pub fn busy(&self) -> &[Option<u64>] {
        &self.busy
    }

    /// Trials asked so far that have not finished.
    fn in_flight(&self) -> usize {
        self.busy.iter().flatten().count()
    }

    /// The search's time limit and how much of it has gone at `now_ms`, if it has one.
    pub fn deadline(&self, now_ms: f64) -> Option<Deadline> {
        let running = self.since_ms.map_or(0.0, |since| (now_ms - since).max(0.0));
        self.setup.minutes.map(|minutes| Deadline {
            limit_s: f64::from(minutes) * 60.0,
            elapsed_s: (self.banked_ms + running) / 1000.0,
            closing_share: DEFAULT_CLOSING_SHARE,
        })
    }

    /// The next trial for idle `worker` at `now_ms`, if the search is running, trials and
    /// time remain and the teacher (if any) is trained; asking the engine may fail the search
    /// (nothing fits the budget). In the closing share of a time limit, the job trains a leader
    /// on. A job that distils goes after [`SearchRun::give_teacher`]'s weights.
    pub fn next_job(&mut self, worker: usize, now_ms: f64) -> Option<TrialJob> {
        if self.phase != Phase::Running
            || self.busy.get(worker).is_none_or(Option::is_some)
            || self.records.len() + self.in_flight() >= self.setup.trials
        {
            return None;
        }
        self.since_ms.get_or_insert(now_ms);
        let deadline = self.deadline(now_ms);
        if deadline.is_some_and(|d| d.passed()) {
            self.out_of_time = true;
            self.settle();
            return None;
        }
        let waiting_for_teacher = self.teacher.as_ref().is_some_and(|t| t.model().is_none());
        if waiting_for_teacher && self.held.is_some() {
            return None;
        }
        let finish = deadline.and_then(|d| {
            leader_to_finish(
                &self.search,
                &self.records,
                |id| self.models.contains_key(&id),
                d,
            )
        });
        let candidate = match self.held.take().map(Ok).unwrap_or_else(|| match finish {
            Some((of, epochs)) => self.search.continuation(of, epochs),
            None => self.search.ask(),
        }) {
            Ok(candidate) => candidate,
            Err(e) => {
                self.phase = Phase::Failed(e.to_string());
                return None;
            }
        };
        if waiting_for_teacher {
            self.held = Some(candidate);
            return None;
        }
        self.busy[worker] = Some(candidate.id);
        let space = self.search.space();
        Some(TrialJob {
            id: candidate.id,
            parent: candidate.parent,
            architecture: candidate.genome.architecture(space),
            config: TrainConfig {
                epochs: candidate.epochs,
                seed: self.setup.seed.wrapping_add(candidate.id),
                pruning: candidate.genome.layer_pruning(),
                shift: self.setup.shift,
                ..TrainConfig::default()
            },
            parent_model: candidate.parent.and_then(|p| self.models.get(&p).cloned()),
            inherits_from: candidate.inherits_from,
            continues: candidate.continues,
            train_images: self.setup.train_images,
            test_images: self.setup.test_images,
            distil: self.teacher.is_some(),
        })
    }

    /// The teacher's training for idle `worker`, if the search wants a teacher, none is
    /// trained or training, and the budget is known to fit a candidate (asked before with
    /// [`SearchRun::next_job`]).
    pub fn teacher_job(&mut self, worker: usize) -> Option<TeacherJob> {
        let teacher = self.teacher.as_mut()?;
        if self.phase != Phase::Running
            || self.held.is_none()
            || !teacher.needs_trainer()
            || self.busy.get(worker).is_none_or(Option::is_some)
        {
            return None;
        }
        teacher.start(worker);
        let space = self.search.space();
        Some(TeacherJob {
            input: space.input,
            classes: space.classes,
            seed: self.setup.seed,
            train_images: self.setup.train_images,
            test_images: self.setup.test_images,
        })
    }

    /// The search's teacher, if its setup wants one.
    pub fn teacher(&self) -> Option<&RunTeacher> {
        self.teacher.as_ref()
    }

    /// The worker training the teacher, while one does.
    pub fn teacher_worker(&self) -> Option<usize> {
        self.teacher.as_ref()?.training().map(|(worker, _)| worker)
    }

    /// `worker` reports `fraction` of the teacher's training done.
    pub fn teacher_progress(&mut self, worker: usize, fraction: f64) {
        if let Some(teacher) = self.teacher.as_mut() {
            teacher.progress(worker, fraction);
        }
    }

    /// `worker` trained the teacher: kept (`true`, so the page saves it) if it was asked to.
    pub fn teacher_done(&mut self, worker: usize, model: FloatModel, accuracy: f64) -> bool {
        self.teacher
            .as_mut()
            .is_some_and(|t| t.trained(worker, model, accuracy))
    }

    /// The teacher's weights for `worker` to hold before its next trial, unless it holds them.
    pub fn give_teacher(&mut self, worker: usize) -> Option<FloatModel> {
        self.teacher.as_mut()?.give(worker)
    }

    /// Trial `id`'s test confusion matrix (true class by row), if its worker sent one.
    pub fn confusion(&self, id: u64) -> Option<&Vec<Vec<u32>>> {
        self.confusions.get(&id)
    }

    /// Records trial `id`'s test confusion matrix.
    pub fn set_confusion(&mut self, id: u64, confusion: Vec<Vec<u32>>) {
        self.confusions.insert(id, confusion);
    }

    /// A point of trial `id`'s training curve.
    pub fn progress(&mut self, id: u64, point: CurvePoint) {
        self.curves.entry(id).or_default().push(point);
    }

    /// `worker` finished a trial: the search is told, the record kept (with the hypervolume
    /// after it) and the weights kept for children, with the int8 model for export.
    pub fn done(
        &mut self,
        worker: usize,
        mut record: TrialRecord,
        model: Option<FloatModel>,
        int8: Option<QuantModel>,
    ) {
        let expected = self.busy.get_mut(worker).and_then(Option::take);
        if expected != Some(record.id)
            || self
                .search
                .tell(record.id, Outcome::of_record(&record))
                .is_err()
        {
            // Not the trial this worker was given (a late answer from before a stop).
            self.settle();
            return;
        }
        record.hypervolume = self.search.hypervolume();
        record.epochs = Some(
            self.search.trials()[record.id as usize]
                .candidate
                .total_epochs,
        );
        if let Some(model) = model {
            if let Some(int8) = int8 {
                self.int8_models.insert(record.id, int8);
            }
            self.keep_model(record.id, model);
        }
        Rc::make_mut(&mut self.records).push(record);
        self.settle();
    }

    /// `worker` stopped its trial (or the teacher's training) on request, or had none.
    pub fn stopped(&mut self, worker: usize) {
        if self.teacher_worker() == Some(worker)
            && let Some(teacher) = self.teacher.as_mut()
        {
            teacher.lost(worker);
        }
        if let Some(slot) = self.busy.get_mut(worker) {
            *slot = None;
        }
        self.settle();
    }

    /// `worker` died or was lost: its trial is recorded as failed, and the search goes on
    /// with the others.
    pub fn worker_lost(&mut self, worker: usize, why: &str) {
        if let Some(teacher) = self.teacher.as_mut() {
            teacher.lost(worker);
        }
        let Some(id) = self.busy.get(worker).copied().flatten() else {
            return;
        };
        let candidate = &self.search.trials()[id as usize].candidate;
        let architecture = candidate.genome.architecture(self.search.space());
        let reason = format!("worker lost: {why}");
        let record = TrialRecord::failed(id, architecture, candidate.parent, reason);
        self.done(worker, record, None, None);
    }

    /// Holds the workers (the page sends them `Pause`) at `now_ms`; a time limit's clock
    /// stops until the next job.
    pub fn pause(&mut self, now_ms: f64) {
        if self.phase == Phase::Running {
            self.phase = Phase::Paused;
            if let Some(since) = self.since_ms.take() {
                self.banked_ms += (now_ms - since).max(0.0);
            }
        }
    }

    /// Lets the workers go on (the page sends them `Resume`, then new jobs).
    pub fn resume(&mut self) {
        if self.phase == Phase::Paused {
            self.phase = Phase::Running;
        }
    }

    /// Ends the search after the workers answer (the page sends them `Stop`).
    pub fn stop(&mut self) {
        if matches!(self.phase, Phase::Running | Phase::Paused) {
            self.phase = Phase::Stopping;
            self.settle();
        }
    }

    /// Moves to a final phase once nothing is in flight and nothing more will be asked.
    fn settle(&mut self) {
        if self.in_flight() > 0 {
            return;
        }
        match self.phase {
            Phase::Stopping => self.phase = Phase::Stopped,
            Phase::Running if self.records.len() >= self.setup.trials || self.out_of_time => {
                self.phase = Phase::Finished
            }
            _ => {}
        }
    }

    /// Keeps trial `id`'s weights, dropping the ones the search says are least needed.
    fn keep_model(&mut self, id: u64, model: FloatModel) {
        self.models.insert(id, model);
        let kept: Vec<u64> = self.models.keys().copied().collect();
        if let Some(dropped) = self.search.release_network(&kept) {
            self.models.remove(&dropped);
            self.int8_models.remove(&dropped);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(trials: usize, workers: usize) -> SearchSetup {
        SearchSetup {
            trials,
            workers,
            ..SearchSetup::quick_demo(Budget::new(30_000, 2_048), workers)
        }
    }

    fn space() -> SearchSpace {
        SearchSpace::sparse([1, 28, 28], 10)
    }

    /// What a worker would answer for `job`: trained, with made-up but consistent measures.
    fn trained(job: &TrialJob, accuracy: f64) -> TrialRecord {
        let costs = sparse_core::cost::cost(&job.architecture).unwrap();
        TrialRecord {
            id: job.id,
            architecture: job.architecture.clone(),
            parent: job.parent,
            status: "trained".into(),
            reason: None,
            val_accuracy: Some(accuracy),
            test_accuracy: Some(accuracy),
            int8_test_accuracy: Some(accuracy),
            model_size_bytes: Some(costs.model_size_bytes),
            working_memory_bytes: Some(costs.working_memory_bytes),
            macs: Some(costs.macs),
            epochs: None,
            train_seconds: 1.0,
            search_seconds: None,
            hypervolume: 0.0,
        }
    }

    #[test]
    fn two_workers_share_the_trials_until_all_are_done() {
        let mut run = SearchRun::new(setup(5, 2), space());
        let mut finished = 0;
        while run.phase() == &Phase::Running {
            let jobs: Vec<(usize, TrialJob)> = (0..2)
                .filter_map(|w| run.next_job(w, 0.0).map(|j| (w, j)))
                .collect();
            assert!(!jobs.is_empty() || run.busy().iter().all(Option::is_none));
            assert!(jobs.len() <= 2 && run.records().len() + jobs.len() <= 5);
            for (w, job) in jobs {
                assert!(
                    run.next_job(w, 0.0).is_none(),
                    "a busy worker gets no second job"
                );
                run.progress(
                    job.id,
                    CurvePoint {
                        fraction_done: 1.0,
                        loss: 0.5,
                        accuracy: 0.8,
                    },
                );
                run.done(w, trained(&job, 0.5 + job.id as f64 / 20.0), None, None);
                finished += 1;
            }
        }
        assert_eq!(run.phase(), &Phase::Finished);
        assert_eq!((finished, run.records().len()), (5, 5));
        assert!(run.hypervolume() > 0.0);
        assert_eq!(run.records()[4].hypervolume, run.hypervolume());
        assert_eq!(run.curve(0).len(), 1);
    }

    #[test]
    fn pause_withholds_jobs_and_stop_waits_for_the_workers() {
        let mut run = SearchRun::new(setup(10, 2), space());
        let job = run.next_job(0, 0.0).unwrap();
        run.pause(0.0);
        assert!(run.next_job(1, 0.0).is_none());
        run.resume();
        let second = run.next_job(1, 0.0).unwrap();
        run.done(1, trained(&second, 0.9), None, None);
        run.stop();
        assert_eq!(run.phase(), &Phase::Stopping);
        assert!(run.next_job(1, 0.0).is_none());
        run.stopped(0);
        assert_eq!(run.phase(), &Phase::Stopped);
        // A late answer for the stopped trial changes nothing.
        run.done(0, trained(&job, 0.9), None, None);
        assert_eq!(run.records().len(), 1);
    }

    #[test]
    fn children_get_their_parents_weights() {
        let mut run = SearchRun::new(
            SearchSetup {
                algorithm: AlgorithmChoice::Evolution,
                ..setup(30, 1)
            },
            space(),
        );
        let mut saw_inheritance = false;
        while let Some(job) = run.next_job(0, 0.0) {
            if job.parent.is_some() {
                let model = job.parent_model.as_ref().expect("the parent's weights");
                assert_eq!(model.architecture.input, [1, 28, 28]);
                saw_inheritance = true;
            }
            let model = FloatModel {
                architecture: job.architecture.clone(),
                layers: Vec::new(),
            };
            run.done(0, trained(&job, 0.7), Some(model), None);
        }
        assert!(saw_inheritance);
    }

    #[test]
    fn promising_trials_train_on_from_their_own_weights() {
        let mut run = SearchRun::new(setup(30, 1), space());
        let mut promoted = Vec::new();
        while let Some(job) = run.next_job(0, 0.0) {
            // Every trial, new or promoted, trains on shifted images as the setup says.
            assert_eq!(job.config.shift, run.setup().shift);
            if job.continues {
                let model = job.parent_model.as_ref().expect("its own network");
                assert_eq!(model.architecture, job.architecture);
                promoted.push((job.id, job.config.epochs));
            } else {
                assert_eq!(job.config.epochs, 1);
            }
            let model = FloatModel {
                architecture: job.architecture.clone(),
                layers: Vec::new(),
            };
            let accuracy = 0.5 + (job.id % 5) as f64 / 10.0;
            run.done(0, trained(&job, accuracy), Some(model), None);
        }
        assert!(!promoted.is_empty());
        for (id, epochs) in promoted {
            let record = run.records().iter().find(|r| r.id == id).unwrap();
            let parent = run
                .records()
                .iter()
                .find(|r| Some(r.id) == record.parent)
                .unwrap();
            assert_eq!(record.epochs, Some(parent.epochs.unwrap() + epochs));
            // To the next rung, counting the epochs of weights a morphed ancestor inherited.
            let fidelity = run.search.trials()[id as usize].candidate.fidelity_epochs();
            assert!([3, 9].contains(&fidelity), "{fidelity}");
        }
    }

    #[test]
    fn a_time_limit_finishes_the_leaders_then_the_search() {
        let setup = SearchSetup {
            minutes: Some(1),
            ..setup(100_000, 1)
        };
        let mut run = SearchRun::new(setup, space());
        let answer = |run: &mut SearchRun, job: &TrialJob| {
            let model = FloatModel {
                architecture: job.architecture.clone(),
                layers: Vec::new(),
            };
            // One second an epoch; morphs of the front learn better.
            let mut record = trained(job, 0.5 + (job.id % 7) as f64 / 20.0);
            record.train_seconds = job.config.epochs as f64;
            run.done(0, record, Some(model), None);
        };
        // The first 51 s (of 60) search as usual; a pause stops the clock.
        for now_ms in [0.0, 20_000.0, 40_000.0] {
            for _ in 0..4 {
                let job = run.next_job(0, now_ms).expect("time left");
                answer(&mut run, &job);
            }
        }
        run.pause(45_000.0);
        run.resume();
        assert_eq!(run.deadline(1_000_000.0).unwrap().elapsed_s, 45.0);
        let job = run.next_job(0, 1_000_000.0).unwrap();
        answer(&mut run, &job);
        // The last 9 s: the most accurate member below the top rung trains on, as many
        // epochs as are left (at its pace of one second an epoch).
        let now_ms = 1_000_000.0 + 8_000.0;
        let leader = run.search.unfinished_leader().unwrap();
        let job = run.next_job(0, now_ms).unwrap();
        assert!(job.continues);
        assert_eq!(job.parent, Some(leader.0));
        assert_eq!(job.config.epochs, leader.1.min(7));
        answer(&mut run, &job);
        assert_eq!(run.phase(), &Phase::Running);
        // Out of time: no job, and the search is finished once none is in flight.
        assert!(run.next_job(0, now_ms + 7_000.0).is_none());
        assert_eq!(run.phase(), &Phase::Finished);
        assert_eq!(run.records().len(), 14);
    }

    #[test]
    fn a_lost_worker_fails_its_trial_and_the_search_goes_on() {
        let mut run = SearchRun::new(setup(3, 2), space());
        let lost = run.next_job(0, 0.0).unwrap();
        run.worker_lost(0, "it crashed");
        let record = &run.records()[0];
        assert_eq!((record.id, record.status.as_str()), (lost.id, "failed"));
        assert_eq!(record.reason.as_deref(), Some("worker lost: it crashed"));
        assert!(run.next_job(0, 0.0).is_some());
    }

    #[test]
    fn a_saved_search_resumes_where_it_stood() {
        let mut run = SearchRun::new(setup(6, 2), space());
        for _ in 0..3 {
            let job = run.next_job(0, 0.0).unwrap();
            let model = FloatModel {
                architecture: job.architecture.clone(),
                layers: Vec::new(),
            };
            run.done(0, trained(&job, 0.8), Some(model), None);
        }
        let lost = run.next_job(1, 0.0).unwrap();
        let saved = run.saved("MNIST");
        let text = serde_json::to_string(&saved).unwrap();
        let back = SavedRun::parse(&text).unwrap();
        assert_eq!(back, saved);
        assert_eq!(back.kept, vec![0, 1, 2]);
        assert_eq!(back.schema, SAVED_SCHEMA);
        let models = back
            .kept
            .iter()
            .map(|id| (*id, run.model(*id).unwrap().clone()))
            .collect();
        let mut resumed = SearchRun::restore(back, models, HashMap::new(), None);
        assert_eq!(resumed.records().len(), 3);
        assert_eq!(resumed.phase(), &Phase::Running);
        // The trial in flight at the save is lost; three more finish the six.
        let mut ids = Vec::new();
        while let Some(job) = resumed.next_job(0, 0.0) {
            ids.push(job.id);
            resumed.done(0, trained(&job, 0.9), None, None);
        }
        assert_eq!(resumed.records().len(), 6);
        assert!(!ids.contains(&lost.id));
        assert_eq!(resumed.phase(), &Phase::Finished);
    }

    #[test]
    fn a_saved_search_is_checked_before_it_is_offered() {
        let mut run = SearchRun::new(setup(6, 1), space());
        for _ in 0..2 {
            let job = run.next_job(0, 0.0).unwrap();
            run.done(0, trained(&job, 0.8), None, None);
        }
        let saved = serde_json::to_value(run.saved("MNIST")).unwrap();
        let error = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut value = saved.clone();
            edit(&mut value);
            SavedRun::parse(&value.to_string()).unwrap_err()
        };
        // A save from before the schema field reads as format 1.
        let mut old = saved.clone();
        old.as_object_mut().unwrap().remove("schema");
        assert_eq!(SavedRun::parse(&old.to_string()).unwrap().schema, 1);
        assert!(
            error(&|v| v["schema"] = (SAVED_SCHEMA + 1).into())
                .starts_with("the saved search was made by a newer")
        );
        assert!(
            error(&|v| v["search"]["space"]["max_filters"] = 0.into()).contains("not consistent")
        );
        assert_eq!(
            error(&|v| v["records"].as_array_mut().unwrap().truncate(1)),
            "the saved search's trials disagree with its state"
        );
        assert!(error(&|v| v["kept"] = serde_json::json!([40])).contains("never asked"));
        assert!(
            SavedRun::parse("{")
                .unwrap_err()
                .starts_with("the saved search cannot be read")
        );
    }

    #[test]
    fn trials_round_trip_through_jsonl_and_keep_their_front() {
        let mut run = SearchRun::new(setup(4, 1), space());
        while let Some(job) = run.next_job(0, 0.0) {
            let accuracy = 0.6 + job.id as f64 / 10.0;
            run.done(0, trained(&job, accuracy), None, None);
        }
        let text = trials_jsonl(run.records().as_slice());
        assert_eq!(text.lines().count(), 4);
        let back = parse_trials("trials.jsonl", &text).unwrap();
        assert_eq!(&back, run.records().as_ref());
        let mut front = sparse_search::pareto_front_of_records(&back, run.budget());
        let mut expected = run.pareto_front();
        front.sort();
        expected.sort();
        assert_eq!(front, expected);
        let err = parse_trials("t.jsonl", &format!("{text}{{\"id\": 1}}\n")).unwrap_err();
        assert!(err.starts_with("t.jsonl, line 5: missing field"), "{err}");
        assert_eq!(parse_trials("e", "\n").unwrap_err(), "e holds no trials");
    }

    #[test]
    fn an_impossible_budget_fails_the_search_with_a_reason() {
        let mut run = SearchRun::new(
            SearchSetup {
                budget: Budget::new(10, 10),
                ..setup(3, 1)
            },
            space(),
        );
        assert!(run.next_job(0, 0.0).is_none());
        let Phase::Failed(why) = run.phase() else {
            panic!("{:?}", run.phase())
        };
        assert!(why.contains("fits"), "{why}");
        assert!(run.teacher_job(0).is_none());
    }

    fn teacher_model() -> FloatModel {
        FloatModel {
            architecture: sparse_train::teacher_architecture([1, 28, 28], 10),
            layers: Vec::new(),
        }
    }

    #[test]
    fn trials_wait_for_the_teacher_then_every_worker_gets_it_before_its_first_trial() {
        let mut run = SearchRun::new(
            SearchSetup {
                teacher: true,
                ..setup(4, 2)
            },
            space(),
        );
        assert!(
            run.next_job(0, 0.0).is_none(),
            "no trial before the teacher"
        );
        let job = run.teacher_job(0).expect("worker 0 trains the teacher");
        assert_eq!((job.input, job.classes, job.seed), ([1, 28, 28], 10, 1));
        assert_eq!(job.train_images, Some(6000));
        assert!(run.teacher_job(1).is_none(), "one teacher at a time");
        assert!(run.next_job(1, 0.0).is_none());
        run.teacher_progress(0, 0.5);
        assert_eq!(run.teacher_worker(), Some(0));
        assert_eq!(run.teacher().unwrap().training(), Some((0, 0.5)));
        assert!(
            !run.teacher_done(1, teacher_model(), 0.99),
            "not worker 1's to train"
        );
        assert!(run.teacher_done(0, teacher_model(), 0.99));
        assert_eq!(run.teacher_worker(), None);
        let first = run
            .next_job(1, 0.0)
            .expect("trials once the teacher is trained");
        assert_eq!(
            first.id, 0,
            "the candidate asked while the teacher trained goes first"
        );
        assert!(first.distil);
        assert_eq!(run.give_teacher(1), Some(teacher_model()));
        assert_eq!(run.give_teacher(1), None);
        let second = run.next_job(0, 0.0).unwrap();
        assert_eq!(second.id, 1);
        assert!(run.give_teacher(0).is_some());
        assert!(run.teacher_job(0).is_none());
    }

    #[test]
    fn a_teacher_lost_with_its_worker_is_trained_again_and_a_search_without_one_never_waits() {
        let mut run = SearchRun::new(
            SearchSetup {
                teacher: true,
                ..setup(4, 2)
            },
            space(),
        );
        assert!(run.next_job(0, 0.0).is_none());
        run.teacher_job(0).unwrap();
        run.worker_lost(0, "it crashed");
        assert!(run.records().is_empty(), "no trial was lost with it");
        assert!(run.teacher_job(1).is_some(), "another worker trains it");
        run.stop();
        run.stopped(1);
        assert_eq!(run.phase(), &Phase::Stopped);

        let mut plain = SearchRun::new(setup(4, 1), space());
        assert!(plain.teacher_job(0).is_none());
        let job = plain.next_job(0, 0.0).unwrap();
        assert!(!job.distil);
        assert_eq!(plain.give_teacher(0), None);
    }

    #[test]
    fn a_saved_search_with_a_teacher_resumes_with_it_or_trains_a_new_one() {
        let mut run = SearchRun::new(
            SearchSetup {
                teacher: true,
                ..setup(4, 1)
            },
            space(),
        );
        run.next_job(0, 0.0);
        run.teacher_job(0).unwrap();
        run.teacher_done(0, teacher_model(), 0.99);
        let job = run.next_job(0, 0.0).unwrap();
        run.done(0, trained(&job, 0.8), None, None);
        let text = serde_json::to_string(&run.saved("MNIST")).unwrap();
        let saved = SavedRun::parse(&text).unwrap();
        assert!(saved.setup.teacher);
        let mut kept = SearchRun::restore(
            saved.clone(),
            HashMap::new(),
            HashMap::new(),
            Some(teacher_model()),
        );
        assert!(kept.next_job(0, 0.0).unwrap().distil);
        assert!(kept.give_teacher(0).is_some());
        let mut lost = SearchRun::restore(saved, HashMap::new(), HashMap::new(), None);
        assert!(lost.next_job(0, 0.0).is_none());
        assert!(lost.teacher_job(0).is_some());
        // A search saved before teachers (no `teacher` in its setup) resumes without one.
        let old = text
            .replace(",\"teacher\":true", "")
            .replace("\"schema\":3", "\"schema\":2");
        let old = SavedRun::parse(&old).unwrap();
        assert!(!old.setup.teacher);
        assert!(
            !SearchRun::restore(old, HashMap::new(), HashMap::new(), None)
                .next_job(0, 0.0)
                .unwrap()
                .distil
        );
    }
}
