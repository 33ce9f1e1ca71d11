//! One search run as every front end drives it, so the CLI and the page cannot drift apart:
//! which candidate trains next (a trial an earlier session left unfinished, a leader to finish
//! in a time limit's closing minutes, a fine-tune, or a new ask), the records told so far
//! stamped with the hypervolume, epochs and search time, which trained networks to keep for
//! children, and the record of a trial that failed outside training. It trains nothing and
//! holds no weights: the caller trains, keeps the networks this says to keep and drops the ones
//! it says to drop.

use crate::{
    Algorithm, Candidate, DEFAULT_CLOSING_SHARE, Deadline, Error, Outcome, Schedule, Search,
    leader_to_finish,
};
use sparse_core::TrialRecord;
use sparse_core::cost::Budget;
use sparse_core::space::SearchSpace;
use std::collections::BTreeSet;
use std::sync::Arc;

/// What a new search is: the space, the budget, the optimizer, the seed and the epochs by
/// rung. The CLI and the page both build their search from one of these, so the same settings
/// ask the same candidates.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchPlan {
    /// The architectures and pruning settings searched.
    pub space: SearchSpace,
    /// What every candidate must fit.
    pub budget: Budget,
    /// The optimizer.
    pub algorithm: Algorithm,
    /// Seed of the search and of every trial's training ([`Driver::training_seed`]).
    pub seed: u64,
    /// Epochs by rung.
    pub schedule: Schedule,
}

impl SearchPlan {
    /// The engine for this plan.
    pub fn search(self) -> Search {
        Search::new(self.space, self.budget, self.algorithm, self.seed).with_schedule(self.schedule)
    }

    /// Why no candidate can be asked (nothing in the space fits the budget), if so: to refuse
    /// a plan before anything is trained or saved.
    pub fn check(&self) -> Result<(), Error> {
        self.clone().search().ask().map(|_| ())
    }
}

/// How long a run goes on, and what it does at its end.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Trials to run in all, counting those of earlier sessions (`None`: until the time
    /// limit).
    pub trials: Option<usize>,
    /// Seconds this session may start trials for, if limited.
    pub time_limit_s: Option<f64>,
    /// The last share of the time limit spent finishing the leaders ([`leader_to_finish`]).
    pub closing_share: f64,
    /// Epochs each of the `finetune_top` best kept networks trains on once the search is
    /// over (0: no fine-tune).
    pub finetune_epochs: usize,
    /// How many networks the fine-tune trains on.
    pub finetune_top: usize,
}

impl Limits {
    /// `trials` trials, no time limit, no fine-tune.
    pub fn trials(trials: usize) -> Self {
        Self {
            trials: Some(trials),
            time_limit_s: None,
            closing_share: DEFAULT_CLOSING_SHARE,
            finetune_epochs: 0,
            finetune_top: 0,
        }
    }
}

/// A search being run: the engine, the records told, the networks kept and the trials in
/// flight. See the module's documentation.
#[derive(Clone, Debug)]
pub struct Driver {
    search: Search,
    /// Shared, so a view can tell cheaply whether they changed.
    records: Arc<Vec<TrialRecord>>,
    kept: BTreeSet<u64>,
    in_flight: BTreeSet<u64>,
    /// Trials asked by an earlier session and never told, trained again first (lowest id
    /// last, popped first).
    interrupted: Vec<Candidate>,
    limits: Limits,
    /// Search seconds spent by the sessions this one resumes.
    earlier_seconds: f64,
    out_of_time: bool,
    /// The fine-tune's queue (best last), filled once the search proper is over.
    finetune: Option<Vec<u64>>,
    /// Why no more candidates can be asked, once that happened.
    failure: Option<Error>,
}

impl Driver {
    /// Drives `search`, whose told trials have `records` (none for a new search) and whose
    /// networks the caller keeps for the trials `kept`, within `limits`.
    pub fn new(
        search: Search,
        records: Vec<TrialRecord>,
        kept: impl IntoIterator<Item = u64>,
        limits: Limits,
    ) -> Self {
        let interrupted = search
            .trials()
            .iter()
            .rev()
            .filter(|t| t.outcome.is_none())
            .map(|t| t.candidate.clone())
            .collect();
        let earlier_seconds = records
            .iter()
            .filter_map(|r| r.search_seconds)
            .fold(0.0, f64::max);
        Self {
            search,
            records: Arc::new(records),
            kept: kept.into_iter().collect(),
            in_flight: BTreeSet::new(),
            interrupted,
            limits,
            earlier_seconds,
            out_of_time: false,
            finetune: None,
            failure: None,
        }
    }

    /// The engine.
    pub fn search(&self) -> &Search {
        &self.search
    }

    /// The records of the told trials, in the order they were told.
    pub fn records(&self) -> &Arc<Vec<TrialRecord>> {
        &self.records
    }

    /// The trials whose networks the caller keeps.
    pub fn kept(&self) -> &BTreeSet<u64> {
        &self.kept
    }

    /// Trials given out and neither told nor abandoned.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// The limits the run goes on within.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Why the search could not ask another candidate, once it could not: the trials in flight
    /// still finish and are told, and then the run is over.
    pub fn failure(&self) -> Option<&Error> {
        self.failure.as_ref()
    }

    /// The seed trial `id` trains with: the run's, moved by the trial's id.
    pub fn training_seed(&self, id: u64) -> u64 {
        self.search.seed().wrapping_add(id)
    }

    /// The time limit with `elapsed_s` seconds of this session gone, if there is one.
    pub fn deadline(&self, elapsed_s: f64) -> Option<Deadline> {
        self.limits.time_limit_s.map(|limit_s| Deadline {
            limit_s,
            elapsed_s,
            closing_share: self.limits.closing_share,
        })
    }

    /// Whether the search proper may give out another trial: trials and time remain and no
    /// ask has failed.
    fn searching(&self) -> bool {
        let told = self.records.len();
        let trials = self.limits.trials.unwrap_or(usize::MAX);
        told + self.in_flight.len() < trials && !self.out_of_time && self.failure.is_none()
    }

    /// The next trial to train, `elapsed_s` seconds into this session, given out (in flight
    /// until told or abandoned); `None` when nothing is to be trained now. In order: a trial
    /// an earlier session left unfinished; in a time limit's closing share, a leader trained
    /// on; a new candidate; once the search proper is over and nothing is in flight, the
    /// fine-tune's networks, best first. A failed ask ends the asking ([`Driver::failure`]).
    pub fn next(&mut self, elapsed_s: f64) -> Option<Candidate> {
        let deadline = self.deadline(elapsed_s);
        if deadline.is_some_and(|d| d.passed()) {
            self.out_of_time = true;
        }
        let candidate = if self.searching() {
            if let Some(candidate) = self.interrupted.pop() {
                Ok(candidate)
            } else if let Some((of, epochs)) = deadline.and_then(|d| {
                leader_to_finish(&self.search, &self.records, |id| self.kept.contains(&id), d)
            }) {
                self.search.continuation(of, epochs)
            } else {
                self.search.ask()
            }
        } else {
            let of = self.finetune_queue()?.pop()?;
            self.search.continuation(of, self.limits.finetune_epochs)
        };
        match candidate {
            Ok(candidate) => {
                self.in_flight.insert(candidate.id);
                Some(candidate)
            }
            Err(e) => {
                self.failure = Some(e);
                None
            }
        }
    }

    /// The fine-tune's queue, filled with the best kept networks once the search proper is
    /// over and nothing is in flight; `None` before then, or without a fine-tune.
    fn finetune_queue(&mut self) -> Option<&mut Vec<u64>> {
        if self.limits.finetune_epochs == 0 || self.failure.is_some() {
            return None;
        }
        if self.finetune.is_none() && self.in_flight.is_empty() {
            self.finetune = Some(self.best_kept(self.limits.finetune_top));
        }
        self.finetune.as_mut()
    }

    /// Up to `k` told trials that fit the budget with kept networks, by validation accuracy,
    /// best last.
    fn best_kept(&self, k: usize) -> Vec<u64> {
        let budget = self.search.budget();
        let fits = |r: &TrialRecord| Outcome::of_record(r).fits(budget);
        let mut kept: Vec<&TrialRecord> = self
            .records
            .iter()
            .filter(|r| fits(r) && self.kept.contains(&r.id))
            .collect();
        let val = |r: &TrialRecord| r.val_accuracy.unwrap_or(0.0);
        kept.sort_by(|a, b| val(b).total_cmp(&val(a)));
        kept.iter().take(k).rev().map(|r| r.id).collect()
    }

    /// Whether the run is over: nothing in flight and nothing more to give out (the trials or
    /// the time are used up, an ask failed, and any fine-tune is done).
    pub fn is_over(&self) -> bool {
        self.in_flight.is_empty()
            && !self.searching()
            && (self.limits.finetune_epochs == 0
                || self.failure.is_some()
                || self.finetune.as_ref().is_some_and(Vec::is_empty))
    }

    /// Tells the search how trial `record.id`, given out by [`Driver::next`], did, `elapsed_s`
    /// seconds into this session, and keeps its record, stamped with the hypervolume after it,
    /// the search seconds of every session so far and the epochs its network trained in all.
    /// Refuses a trial that is not in flight (a late answer after it was abandoned).
    pub fn tell(&mut self, mut record: TrialRecord, elapsed_s: f64) -> Result<&TrialRecord, Error> {
        if !self.in_flight.remove(&record.id) {
            return Err(Error::UnknownCandidate(record.id));
        }
        self.search.tell(record.id, Outcome::of_record(&record))?;
        record.hypervolume = self.search.hypervolume();
        record.search_seconds = Some(self.earlier_seconds + elapsed_s);
        record.epochs = Some(
            self.search.trials()[record.id as usize]
                .candidate
                .total_epochs,
        );
        let records = Arc::make_mut(&mut self.records);
        records.push(record);
        Ok(records.last().expect("just pushed"))
    }

    /// Trial `id`, given out, will not be told in this session (its worker was stopped): a
    /// later session trains it again.
    pub fn abandon(&mut self, id: u64) {
        self.in_flight.remove(&id);
    }

    /// The caller now keeps trial `id`'s network, for children and promotions. Returns the
    /// trial whose network it must drop, if the search keeps too many: never a Pareto
    /// member's, and never promoted afterwards.
    pub fn keep(&mut self, id: u64) -> Option<u64> {
        self.kept.insert(id);
        let kept: Vec<u64> = self.kept.iter().copied().collect();
        let dropped = self.search.release_network(&kept)?;
        self.kept.remove(&dropped);
        Some(dropped)
    }

    /// The record of trial `id`, given out, that failed outside training (its worker was
    /// lost, its training panicked) for `reason`, to be told.
    pub fn failed_record(&self, id: u64, reason: String) -> TrialRecord {
        let candidate = &self.search.trials()[id as usize].candidate;
        let architecture = candidate.genome.architecture(self.search.space());
        TrialRecord::failed(id, architecture, candidate.parent, reason)
    }
}

#[cfg(test)]
mod tests;
