//! A search as the page runs it: the driver the CLI shares (what trains next, the records, the
//! networks kept), which worker trains which candidate, the weights children inherit, the pause
//! clock and the teacher. No browser code, so it is tested natively; the search panel feeds it
//! worker messages and renders what it holds.

use crate::protocol::{CurvePoint, TeacherJob, TrialJob};
use crate::run_teacher::RunTeacher;
use crate::saved_run::SavedRun;
use crate::search_setup::SearchSetup;
use sparse_core::cost::Budget;
use sparse_core::quant::QuantModel;
use sparse_core::space::SearchSpace;
use sparse_core::{FloatModel, TrialRecord};
use sparse_search::{Candidate, Deadline, Driver, Schedule};
use sparse_train::TrainConfig;
use std::collections::HashMap;
use std::sync::Arc;

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

/// A running (or finished) search in the page: the [`Driver`] the CLI runs too, with what only
/// the page holds: the kept weights (float and int8), training curves and confusion matrices,
/// which worker trains what, the pause clock and the teacher.
pub struct SearchRun {
    setup: SearchSetup,
    driver: Driver,
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
}

impl SearchRun {
    /// A new search over `space` (the dataset's input and classes) as `setup` says.
    pub fn new(setup: SearchSetup, space: SearchSpace) -> Self {
        let driver = Driver::new(setup.plan(space).search(), Vec::new(), [], setup.limits());
        Self::around(setup, driver, HashMap::new(), HashMap::new(), None)
    }

    /// A run of `driver` as `setup` says, holding `models` and `int8_models`, with `teacher`'s
    /// weights if one was kept.
    fn around(
        setup: SearchSetup,
        driver: Driver,
        models: HashMap<u64, FloatModel>,
        int8_models: HashMap<u64, QuantModel>,
        teacher: Option<FloatModel>,
    ) -> Self {
        let workers = setup.workers.max(1);
        Self {
            busy: vec![None; workers],
            teacher: setup.teacher.then(|| RunTeacher::new(workers, teacher)),
            setup,
            driver,
            models,
            int8_models,
            curves: HashMap::new(),
            confusions: HashMap::new(),
            phase: Phase::Running,
            held: None,
            banked_ms: 0.0,
            since_ms: None,
        }
    }

    /// The driver: the engine, the records, the networks kept.
    pub fn driver(&self) -> &Driver {
        &self.driver
    }

    /// The saved search with the kept weights (and int8 models) and teacher found, going on
    /// (or finished, if it was): the trials in flight at the save train again first, the rest
    /// carries on as before (with a new teacher trained first if its teacher was not found).
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
        let driver = Driver::new(
            search,
            saved.records,
            models.keys().copied(),
            saved.setup.limits(),
        );
        let mut run = Self::around(saved.setup, driver, models, int8_models, teacher);
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
    pub fn records(&self) -> &Arc<Vec<TrialRecord>> {
        self.driver.records()
    }

    /// The training curve of trial `id` so far.
    pub fn curve(&self, id: u64) -> &[CurvePoint] {
        self.curves.get(&id).map_or(&[], Vec::as_slice)
    }

    /// Ids of the Pareto members among the trained trials.
    pub fn pareto_front(&self) -> Vec<u64> {
        self.driver.search().pareto_front()
    }

    /// The search's hypervolume after the latest trial (recorded with it).
    pub fn hypervolume(&self) -> f64 {
        self.records().last().map_or(0.0, |r| r.hypervolume)
    }

    /// The budget candidates must fit.
    pub fn budget(&self) -> Budget {
        self.driver.search().budget()
    }

    /// The candidate each worker is training.
    pub fn busy(&self) -> &[Option<u64>] {
        &self.busy
    }

    /// Seconds the search has run at `now_ms`, in this page's session, pauses left out.
    fn elapsed_s(&self, now_ms: f64) -> f64 {
        let running = self.since_ms.map_or(0.0, |since| (now_ms - since).max(0.0));
        (self.banked_ms + running) / 1000.0
    }

    /// The search's time limit and how much of it has gone at `now_ms`, if it has one.
    pub fn deadline(&self, now_ms: f64) -> Option<Deadline> {
        self.driver.deadline(self.elapsed_s(now_ms))
    }

    /// The next trial for idle `worker` at `now_ms`, if the search is running, trials and
    /// time remain and the teacher (if any) is trained; asking the engine may fail the search
    /// (nothing fits the budget). In the closing share of a time limit, the job trains a leader
    /// on. A job that distils goes after the teacher's weights ([`RunTeacher::give`]).
    pub fn next_job(&mut self, worker: usize, now_ms: f64) -> Option<TrialJob> {
        if self.phase != Phase::Running || self.busy.get(worker).is_none_or(Option::is_some) {
            return None;
        }
        self.since_ms.get_or_insert(now_ms);
        let waiting_for_teacher = self.teacher.as_ref().is_some_and(|t| t.model().is_none());
        if waiting_for_teacher && self.held.is_some() {
            return None;
        }
        let Some(candidate) = self
            .held
            .take()
            .or_else(|| self.driver.next(self.elapsed_s(now_ms)))
        else {
            if let Some(e) = self.driver.failure() {
                self.phase = Phase::Failed(e.to_string());
            }
            self.settle();
            return None;
        };
        if waiting_for_teacher {
            self.held = Some(candidate);
            return None;
        }
        self.busy[worker] = Some(candidate.id);
        let space = self.driver.search().space();
        Some(TrialJob {
            id: candidate.id,
            parent: candidate.parent,
            architecture: candidate.genome.architecture(space),
            config: TrainConfig {
                epochs: candidate.epochs,
                seed: self.driver.training_seed(candidate.id),
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
        let space = self.driver.search().space();
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

    /// The search's teacher, to report its training to and to give its weights out.
    pub fn teacher_mut(&mut self) -> Option<&mut RunTeacher> {
        self.teacher.as_mut()
    }

    /// The worker training the teacher, while one does.
    pub fn teacher_worker(&self) -> Option<usize> {
        self.teacher.as_ref()?.training().map(|(worker, _)| worker)
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

    /// `worker` finished a trial at `now_ms`: the search is told, the record kept (stamped
    /// by the driver) and the weights kept for children, with the int8 model for export.
    pub fn done(
        &mut self,
        worker: usize,
        record: TrialRecord,
        model: Option<FloatModel>,
        int8: Option<QuantModel>,
        now_ms: f64,
    ) {
        let expected = self.busy.get_mut(worker).and_then(Option::take);
        let id = record.id;
        // An answer for a trial this worker was not given (late, from before a stop) is dropped.
        let elapsed_s = self.elapsed_s(now_ms);
        if expected == Some(id)
            && self.driver.tell(record, elapsed_s).is_ok()
            && let Some(model) = model
        {
            if let Some(int8) = int8 {
                self.int8_models.insert(id, int8);
            }
            self.models.insert(id, model);
            if let Some(dropped) = self.driver.keep(id) {
                self.models.remove(&dropped);
                self.int8_models.remove(&dropped);
            }
        }
        self.settle();
    }

    /// `worker` stopped its trial (or the teacher's training) on request, or had none.
    pub fn stopped(&mut self, worker: usize) {
        if self.teacher_worker() == Some(worker)
            && let Some(teacher) = self.teacher.as_mut()
        {
            teacher.lost(worker);
        }
        if let Some(id) = self.busy.get_mut(worker).and_then(Option::take) {
            self.driver.abandon(id);
        }
        self.settle();
    }

    /// `worker` died or was lost at `now_ms`: its trial is recorded as failed, and the search
    /// goes on with the others.
    pub fn worker_lost(&mut self, worker: usize, why: &str, now_ms: f64) {
        if let Some(teacher) = self.teacher.as_mut() {
            teacher.lost(worker);
        }
        let Some(id) = self.busy.get(worker).copied().flatten() else {
            return;
        };
        let record = self.driver.failed_record(id, format!("worker lost: {why}"));
        self.done(worker, record, None, None, now_ms);
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
            if let Some(held) = self.held.take() {
                self.driver.abandon(held.id);
            }
            self.settle();
        }
    }

    /// Moves to a final phase once nothing is in flight and nothing more will be asked.
    fn settle(&mut self) {
        if self.busy.iter().any(Option::is_some) {
            return;
        }
        match self.phase {
            Phase::Stopping => self.phase = Phase::Stopped,
            Phase::Running if self.held.is_none() && self.driver.is_over() => {
                self.phase = Phase::Finished
            }
            _ => {}
        }
    }
}

#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;
