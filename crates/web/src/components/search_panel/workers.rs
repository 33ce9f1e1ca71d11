//! The search panel's side of the worker pool: launching a run on it, giving idle workers their
//! trials and the teacher, replacing workers that stopped answering, and taking in what
//! workers report.

use super::{Msg, PanelAction, SearchPanel, now_ms, saving};
use crate::pool::PoolEvent;
use crate::protocol::{FromWorker, ToWorker};
use crate::search_run::{Phase, SearchRun};
use yew::prelude::*;

impl SearchPanel {
    /// Runs `run` in the pool; workers that hold another dataset load the page's first.
    pub(super) fn launch(&mut self, ctx: &Context<Self>, run: SearchRun) {
        let workers = run.busy().len();
        self.pool.grow_to(workers, now_ms());
        for worker in 0..workers {
            self.load_dataset(ctx, worker);
        }
        self.run = Some(run);
        self.started_ms = now_ms();
        self.ended_ms = None;
        self.dispatch(PanelAction::Started);
        self.feed();
    }

    /// Sends worker `worker` the dataset in use, unless it holds it already.
    fn load_dataset(&mut self, ctx: &Context<Self>, worker: usize) {
        let props = ctx.props();
        self.pool
            .load(worker, &props.source, &props.dataset_url, now_ms());
    }

    /// Gives every ready, idle worker of the search its next trial (with the teacher first,
    /// if it distils and the worker does not hold it yet), or the teacher to train.
    pub(super) fn feed(&mut self) {
        let Some(run) = self.run.as_mut() else {
            return;
        };
        for worker in 0..run.busy().len() {
            if !self.pool.is_ready(worker) {
                continue;
            }
            if let Some(job) = run.next_job(worker, now_ms()) {
                if job.distil
                    && let Some(teacher) = run.teacher_mut().and_then(|t| t.give(worker))
                {
                    self.pool
                        .send(worker, ToWorker::SetTeacher(Box::new(teacher)));
                }
                self.pool
                    .give(worker, ToWorker::RunTrial(Box::new(job)), now_ms());
            } else if let Some(job) = run.teacher_job(worker) {
                self.pool
                    .give(worker, ToWorker::TrainTeacher(job), now_ms());
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

    /// Whether worker `worker` of `run` has a trial or trains the teacher.
    fn is_busy(run: &SearchRun, worker: usize) -> bool {
        run.busy().get(worker).is_some_and(Option::is_some) || run.teacher_worker() == Some(worker)
    }

    /// Replaces every busy worker that has been silent too long: its trial is recorded as
    /// failed and a fresh worker takes its place.
    pub(super) fn watch(&mut self, ctx: &Context<Self>) {
        let Some(run) = self.run.as_mut() else {
            return;
        };
        if run.phase() != &Phase::Running {
            return;
        }
        let now = now_ms();
        for worker in self.pool.silent(|w| Self::is_busy(run, w), now) {
            run.worker_lost(
                worker,
                "it stopped answering (crashed or hung); a new worker took its place",
                now,
            );
            self.pool.replace(worker, now);
            let props = ctx.props();
            self.pool
                .load(worker, &props.source, &props.dataset_url, now);
        }
        self.feed();
    }

    /// Sends `message` to every worker with a trial or training the teacher.
    pub(super) fn tell_busy(&self, message: ToWorker) {
        if let Some(run) = &self.run {
            for worker in (0..run.busy().len()).filter(|&w| Self::is_busy(run, w)) {
                self.pool.send(worker, message.clone());
            }
        }
    }

    /// Takes in what a worker said (or that it closed): progress, a finished trial (saved at
    /// once), the teacher's progress and weights, a stop, a failure. Returns whether the panel
    /// repaints now: progress waits for the repaint of the next second's tick, so busy workers,
    /// each reporting ten times a second, do not take the CPU they train on to redraw the
    /// table and the charts.
    pub(super) fn on_pool(&mut self, ctx: &Context<Self>, event: PoolEvent) -> bool {
        let now = now_ms();
        if !self.pool.accept(&event, now) {
            return false;
        }
        let Some(run) = self.run.as_mut() else {
            return false;
        };
        let mut repaint = true;
        match event {
            PoolEvent::Message(worker, _, message) => match message {
                FromWorker::TrialProgress { id, point } => {
                    run.progress(id, point);
                    repaint = false;
                }
                FromWorker::TrialDone {
                    record,
                    model,
                    int8,
                    confusion,
                } => {
                    let id = record.id;
                    let kept = model.is_some();
                    if let Some(confusion) = confusion {
                        run.set_confusion(id, confusion);
                    }
                    run.done(worker, *record, model.map(|m| *m), int8.map(|m| *m), now);
                    if let Some(info) = &ctx.props().dataset {
                        let done = ctx.link().callback(Msg::SaveOutcome);
                        saving::save_after_trial(run, &info.name, kept.then_some(id), done);
                    }
                }
                FromWorker::TeacherProgress { fraction_done } => {
                    if let Some(teacher) = run.teacher_mut() {
                        teacher.progress(worker, fraction_done);
                    }
                    repaint = false;
                }
                FromWorker::TeacherReady {
                    model,
                    validation_accuracy,
                    ..
                } => {
                    // Kept if it was asked for, and then saved for a resume.
                    let kept = run
                        .teacher_mut()
                        .is_some_and(|t| t.trained(worker, *model, validation_accuracy));
                    if kept && let Some(model) = run.teacher().and_then(|t| t.model()) {
                        saving::save_teacher(model, ctx.link().callback(Msg::SaveOutcome));
                    }
                }
                FromWorker::Stopped => run.stopped(worker),
                FromWorker::Failed { message } | FromWorker::UploadRejected { message } => {
                    let why = format!("Worker {}: {message}", worker + 1);
                    self.dispatch(PanelAction::WorkerFailed(why));
                }
                _ => {}
            },
            PoolEvent::Closed(worker, _) => run.worker_lost(worker, "it closed", now),
        }
        self.feed();
        repaint
    }
}
