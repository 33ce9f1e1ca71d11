//! The search state, its ask/tell cycle and the optimizers' choices.

use crate::encode::encode;
use crate::fidelity::{Lift, Schedule, promotable};
use crate::gp::Gp;
use crate::scale::{Ranges, transformed};
use crate::surrogate_set::{SURROGATE_POINTS, surrogate_points};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};
use sparse_core::TrialRecord;
use sparse_core::cost::{Budget, FlashMeasure, cost};
use sparse_core::pareto::{hypervolume, pareto_front};
use sparse_core::space::{Genome, SearchSpace};

/// How many random draws may be rejected by the budget before the search gives up.
const MAX_REJECTIONS_PER_ASK: usize = 20_000;

/// Draws the Bayesian optimiser may make for each random sample of its pool that fits the
/// budget (about 4 in 100 draws fit SpArSe's MNIST budget of 2.8 KB and 2 KB).
const POOL_DRAWS_PER_SAMPLE: usize = 64;

/// Every `ACCURACY_TURN`-th candidate the Bayesian optimiser chooses by predicted error alone
/// (its lower confidence bound) instead of a random scalarisation. Weights uniform on the
/// simplex seldom favour error (more than 0.8 of the weight 4 times in 100), so a morph that
/// grows a network was predicted as its parent's error at a larger size, dominated, and hardly
/// ever tried: on MNIST's SpArSe budget, seed 2 kept 1.6 KB networks of a 2.8 KB budget from
/// its 14th minute to its 60th, while seed 0, widening by luck, grew to 2.6 KB and 0.5% less
/// error. The front's most accurate end is the network users deploy.
const ACCURACY_TURN: u64 = 3;

/// Why the search cannot go on.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Error {
    /// No architecture drawn from the space fits the budget.
    #[error(
        "no architecture of the search space fits {flash} bytes of flash and {sram} bytes of SRAM \
         ({tries} tried): raise the budget or shrink the input"
    )]
    NothingFits {
        /// Flash budget.
        flash: u64,
        /// SRAM budget.
        sram: u64,
        /// Draws tried.
        tries: usize,
    },
    /// `tell` named a candidate that was never asked or was already told.
    #[error("no candidate {0} is waiting for a result")]
    UnknownCandidate(u64),
    /// A saved search (edited, or damaged) breaks a rule every search keeps.
    #[error("the saved search is not consistent: {0}")]
    Inconsistent(String),
}

/// The optimizer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "lowercase")]
pub enum Algorithm {
    /// Independent random samples of the space.
    Random,
    /// Aging evolution: a population of the most recent results; each child is one morphism of
    /// the best of a random sample of it, judged by a fresh random weighting of the objectives.
    Evolution {
        /// Members kept (the oldest leaves).
        population: usize,
        /// Members in each tournament.
        sample: usize,
    },
    /// Multi-objective Bayesian optimisation (SpArSe): random trials first, then each
    /// candidate minimises an optimistic random Chebyshev scalarisation of the three
    /// objectives' Gaussian-process predictions.
    Mobo {
        /// Random trials before the Gaussian processes take over.
        initial: usize,
        /// Random samples scored per step (besides morphs of the Pareto members).
        pool: usize,
    },
}

impl Algorithm {
    /// SpArSe's optimiser with defaults for small budgets of trials.
    pub fn mobo() -> Self {
        Algorithm::Mobo {
            initial: 8,
            pool: 64,
        }
    }

    /// Aging evolution with defaults scaled to small budgets of trials (μNAS uses 100 and 25
    /// over thousands of trials).
    pub fn evolution() -> Self {
        Algorithm::Evolution {
            population: 20,
            sample: 5,
        }
    }
}

/// A network to train: its genome, and for a morphed child its parent and the parent layer
/// each of its layers inherits weights from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Unique, increasing.
    pub id: u64,
    /// Architecture and pruning settings.
    pub genome: Genome,
    /// The candidate this one was morphed from.
    pub parent: Option<u64>,
    /// Per child layer, the parent layer to inherit from (empty without a parent).
    pub inherits_from: Vec<Option<usize>>,
    /// Epochs this trial trains.
    #[serde(default)]
    pub epochs: usize,
    /// Epochs its network will have trained in all: with those of the trials it continues.
    #[serde(default)]
    pub total_epochs: usize,
    /// Epochs the weights a morphed child inherits had trained (its parent's, in all), carried
    /// down its continuations; 0 for a sampled network. See [`Candidate::fidelity_epochs`].
    #[serde(default)]
    pub inherited_epochs: usize,
    /// Whether it trains its parent's network on as it is (a promotion or a fine-tune: the
    /// parent's pruned architecture and every weight), rather than a morphed child.
    #[serde(default)]
    pub continues: bool,
}

impl Candidate {
    /// Epochs its network's weights will embody: its own in all, and those of the weights it
    /// inherited. Trials are compared (ranked for promotion, carried to full training for the
    /// optimizers) at the rung this reaches.
    pub fn fidelity_epochs(&self) -> usize {
        self.total_epochs + self.inherited_epochs
    }
}

/// What training a candidate measured, all to be minimised but accuracy.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Objectives {
    /// Validation accuracy in [0, 1].
    pub val_accuracy: f64,
    /// Model size after pruning (bytes).
    pub model_size_bytes: u64,
    /// Working memory after pruning (bytes).
    pub working_memory_bytes: u64,
    /// Multiply-accumulates per image.
    pub macs: u64,
    /// The export's flash after pruning, where known (for budgets on the export's flash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flash_bytes: Option<u64>,
}

impl Objectives {
    /// Whether the trained, pruned network fits `budget` (a candidate is asked when its
    /// pruning promises to fit; whether it did is known only now).
    pub fn fits(&self, budget: Budget) -> bool {
        let flash = match budget.flash_measure {
            FlashMeasure::ModelSize => Some(self.model_size_bytes),
            FlashMeasure::Export => self.flash_bytes,
        };
        flash.is_none_or(|f| f <= budget.flash_bytes)
            && self.working_memory_bytes <= budget.sram_bytes
    }

    /// The objectives as the search compares them, all to be minimised: validation error,
    /// model size / flash budget, working memory / SRAM budget.
    pub fn normalised(&self, budget: Budget) -> Vec<f64> {
        vec![
            1.0 - self.val_accuracy,
            self.model_size_bytes as f64 / budget.flash_bytes.max(1) as f64,
            self.working_memory_bytes as f64 / budget.sram_bytes.max(1) as f64,
        ]
    }
}

/// The weights of the objectives (error, size, memory) by which the Bayesian optimiser chooses
/// candidate `id`: on an accuracy turn the error alone, otherwise a fresh random scalarisation,
/// uniform on the simplex.
fn scalarisation(id: u64, rng: &mut StdRng) -> Vec<f64> {
    if id.is_multiple_of(ACCURACY_TURN) {
        return vec![1.0, 0.0, 0.0];
    }
    let raw: Vec<f64> = (0..3)
        .map(|_| -rng.random_range(1e-9..1.0f64).ln())
        .collect();
    let total: f64 = raw.iter().sum();
    raw.iter().map(|w| w / total).collect()
}

/// The ids of the Pareto members among `(id, normalised objectives)` pairs.
fn front_ids(measured: &[(u64, Vec<f64>)]) -> Vec<u64> {
    let points: Vec<Vec<f64>> = measured.iter().map(|(_, p)| p.clone()).collect();
    pareto_front(&points)
        .into_iter()
        .map(|i| measured[i].0)
        .collect()
}

/// Ids of the Pareto members among trained `records` judged under `budget`, as a search with
/// that budget would judge them (for runs opened without their search state). A record that
/// trained its parent's network on (more epochs in all than its parent, where both say) and
/// fits supersedes its parent, as in [`Search::pareto_front`].
pub fn pareto_front_of_records(records: &[TrialRecord], budget: Budget) -> Vec<u64> {
    let fitting = |r: &TrialRecord| match Outcome::of_record(r) {
        Outcome::Trained(o) if o.fits(budget) => Some(o.normalised(budget)),
        Outcome::Trained(_) | Outcome::Failed { .. } => None,
    };
    let epochs: std::collections::HashMap<u64, Option<usize>> =
        records.iter().map(|r| (r.id, r.epochs)).collect();
    let superseded: std::collections::HashSet<u64> = records
        .iter()
        .filter(|r| fitting(r).is_some())
        .filter_map(|r| {
            let parent = r.parent?;
            let before = (*epochs.get(&parent)?)?;
            (r.epochs? > before).then_some(parent)
        })
        .collect();
    let measured: Vec<(u64, Vec<f64>)> = records
        .iter()
        .filter(|r| !superseded.contains(&r.id))
        .filter_map(|r| Some((r.id, fitting(r)?)))
        .collect();
    front_ids(&measured)
}

/// Trained networks worth keeping for children to inherit from, besides the Pareto members'.
pub const KEPT_PARENTS: usize = 64;

/// The result of a trial.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Outcome {
    /// Trained and measured.
    Trained(Objectives),
    /// Training failed (diverged, crashed); never stops the search.
    Failed {
        /// Why, in words.
        reason: String,
    },
}

impl Outcome {
    /// What a trial's record tells the search: its measures if it trained, else its failure.
    pub fn of_record(record: &TrialRecord) -> Self {
        let measured = (
            record.val_accuracy,
            record.model_size_bytes,
            record.working_memory_bytes,
            record.macs,
        );
        match measured {
            (
                Some(val_accuracy),
                Some(model_size_bytes),
                Some(working_memory_bytes),
                Some(macs),
            ) if record.is_trained() => Outcome::Trained(Objectives {
                val_accuracy,
                model_size_bytes,
                working_memory_bytes,
                macs,
                flash_bytes: cost(&record.architecture).ok().map(|r| r.flash_bytes),
            }),
            _ => Outcome::Failed {
                reason: record
                    .reason
                    .clone()
                    .unwrap_or_else(|| "no measures recorded".into()),
            },
        }
    }
}

/// A candidate and, once told, its outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    /// What was asked.
    pub candidate: Candidate,
    /// What was told (`None` while in flight).
    pub outcome: Option<Outcome>,
}

/// A whole search: settings, every trial, and counters. Plain data, serialisable.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Search {
    space: SearchSpace,
    budget: Budget,
    algorithm: Algorithm,
    seed: u64,
    trials: Vec<Trial>,
    /// Told trials in the order they were told (aging evolution's population order).
    told: Vec<u64>,
    /// Draws the budget rejected before training.
    rejected: u64,
    /// How many times `ask` has run (the random stream's position).
    asked: u64,
    /// Epochs per rung (absent in runs saved before training by promise: the driver sets it).
    #[serde(default)]
    schedule: Option<Schedule>,
    /// Trials whose networks the drivers were told to drop (never promoted after).
    #[serde(default)]
    released: Vec<u64>,
}

impl Search {
    /// A new search over `space` within `budget`.
    pub fn new(space: SearchSpace, budget: Budget, algorithm: Algorithm, seed: u64) -> Self {
        Self {
            space,
            budget,
            algorithm,
            seed,
            trials: Vec::new(),
            told: Vec::new(),
            rejected: 0,
            asked: 0,
            schedule: Some(Schedule::fixed(1)),
            released: Vec::new(),
        }
    }

    /// Checks what a saved search must hold before it is trusted (a state file may have been
    /// edited or damaged): a space every genome can be drawn from, settings that can run,
    /// trials numbered in order with earlier parents and valid genomes, told and released ids
    /// that exist, and measures that are numbers.
    pub fn check(&self) -> Result<(), Error> {
        let bad = |what: String| Err(Error::Inconsistent(what));
        let space = &self.space;
        space.check().map_err(Error::Inconsistent)?;
        if self.budget.flash_bytes == 0 || self.budget.sram_bytes == 0 {
            return bad("a budget of 0 bytes".into());
        }
        match self.algorithm {
            Algorithm::Evolution { population, sample } if population == 0 || sample == 0 => {
                return bad("aging evolution with an empty population or sample".into());
            }
            Algorithm::Mobo { pool: 0, .. } => return bad("mobo with a pool of 0".into()),
            _ => {}
        }
        if let Some(s) = &self.schedule
            && (s.epochs == 0 || s.factor < 2 || s.max_epochs < s.epochs)
        {
            return bad(format!("the schedule {s:?}"));
        }
        for (i, trial) in self.trials.iter().enumerate() {
            let c = &trial.candidate;
            if c.id != i as u64 {
                return bad(format!("trial {i} has id {}", c.id));
            }
            if c.parent.is_some_and(|p| p >= c.id) {
                return bad(format!(
                    "trial {i}'s parent {:?} is not an earlier trial",
                    c.parent
                ));
            }
            if !c.genome.is_valid(space) {
                return bad(format!("trial {i}'s genome does not validate in the space"));
            }
            if let Some(Outcome::Trained(o)) = &trial.outcome
                && !(0.0..=1.0).contains(&o.val_accuracy)
            {
                return bad(format!(
                    "trial {i}'s validation accuracy {}",
                    o.val_accuracy
                ));
            }
        }
        let mut told = vec![false; self.trials.len()];
        for &id in &self.told {
            match told.get_mut(id as usize) {
                Some(seen) if !*seen && self.trials[id as usize].outcome.is_some() => *seen = true,
                _ => {
                    return bad(format!(
                        "told trial {id} is unknown, repeated or without outcome"
                    ));
                }
            }
        }
        if let Some(i) =
            (0..self.trials.len()).find(|&i| told[i] != self.trials[i].outcome.is_some())
        {
            return bad(format!("trial {i} has an outcome but was never told"));
        }
        if let Some(id) = self
            .released
            .iter()
            .find(|&&id| id as usize >= self.trials.len())
        {
            return bad(format!("released trial {id} is unknown"));
        }
        Ok(())
    }

    /// The same search training by `schedule`.
    pub fn with_schedule(mut self, schedule: Schedule) -> Self {
        self.schedule = Some(schedule);
        self
    }

    /// Epochs per rung, if the search has a schedule (runs saved before training by promise
    /// have none until [`Search::set_schedule`]).
    pub fn schedule(&self) -> Option<Schedule> {
        self.schedule
    }

    /// Sets the schedule of a search saved without one.
    pub fn set_schedule(&mut self, schedule: Schedule) {
        self.schedule = Some(schedule);
    }

    /// The schedule in force (one epoch, no promotion, if none was set).
    fn schedule_in_force(&self) -> Schedule {
        self.schedule.unwrap_or(Schedule::fixed(1))
    }

    /// Every trial so far, in the order asked.
    pub fn trials(&self) -> &[Trial] {
        &self.trials
    }

    /// Draws rejected by the budget before training.
    pub fn rejected(&self) -> u64 {
        self.rejected
    }

    /// The search space.
    pub fn space(&self) -> &SearchSpace {
        &self.space
    }

    /// The budget candidates must fit.
    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// The seed the search was started with.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A random stream for the next ask, derived from the seed and the ask count, so that the
    /// state needs no generator of its own to be saved.
    fn rng(&self) -> StdRng {
        StdRng::seed_from_u64(self.seed ^ self.asked.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// Whether `genome` promises to fit the budget once pruned (priced by the cost model
    /// before any training, at the densities its pruning settings promise: see
    /// [`Genome::expected_architecture`]).
    fn fits(&self, genome: &Genome) -> bool {
        cost(&genome.expected_architecture(&self.space))
            .map(|report| report.violations(&self.budget).is_empty())
            .unwrap_or(false)
    }

    /// The next candidate to train.
    pub fn ask(&mut self) -> Result<Candidate, Error> {
        if let Some((of, epochs)) = self.promotion() {
            return self.continuation(of, epochs);
        }
        let mut rng = self.rng();
        self.asked += 1;
        let id = self.trials.len() as u64;
        if let Algorithm::Mobo { initial, pool } = self.algorithm
            && let Some(candidate) = self.bayesian_choice(id, initial, pool, &mut rng)
        {
            self.trials.push(Trial {
                candidate: candidate.clone(),
                outcome: None,
            });
            return Ok(candidate);
        }
        let parent = match &self.algorithm {
            Algorithm::Random | Algorithm::Mobo { .. } => None,
            Algorithm::Evolution { population, sample } => {
                self.tournament(*population, *sample, &mut rng)
            }
        };
        let mut tries = 0;
        let candidate = loop {
            tries += 1;
            if tries > MAX_REJECTIONS_PER_ASK {
                return Err(Error::NothingFits {
                    flash: self.budget.flash_bytes,
                    sram: self.budget.sram_bytes,
                    tries: MAX_REJECTIONS_PER_ASK,
                });
            }
            // A parent whose every morph is too big for the budget must not stop the search:
            // half the tries are morphs, the rest fresh samples.
            let candidate = match parent.filter(|_| tries <= MAX_REJECTIONS_PER_ASK / 2) {
                Some(p) => {
                    let morph = self
                        .space
                        .morph(&self.trials[p as usize].candidate.genome, &mut rng);
                    self.new_candidate(id, morph.child, Some(p), morph.inherits_from)
                }
                None => self.new_candidate(id, self.space.sample(&mut rng), None, Vec::new()),
            };
            if self.fits(&candidate.genome) {
                break candidate;
            }
            self.rejected += 1;
        };
        self.trials.push(Trial {
            candidate: candidate.clone(),
            outcome: None,
        });
        Ok(candidate)
    }

    /// A new candidate (sampled, or morphed from `parent`) that trains the first rung's epochs.
    /// A morphed child that inherits weights counts its parent's epochs in its fidelity: its
    /// network starts where the parent's stopped, so it is compared (promoted, and carried to
    /// full training for the optimizers) at the rung those weights reached, not with fresh
    /// candidates trained as briefly. Counted as fresh, a good network's children outshone
    /// every new architecture at the first rung, took nine promotions in ten, and the search
    /// spent its hour on one family.
    fn new_candidate(
        &self,
        id: u64,
        genome: Genome,
        parent: Option<u64>,
        inherits_from: Vec<Option<usize>>,
    ) -> Candidate {
        let epochs = self.schedule_in_force().epochs;
        let inherited = match parent {
            Some(p) if inherits_from.iter().any(Option::is_some) => {
                self.trials[p as usize].candidate.fidelity_epochs()
            }
            _ => 0,
        };
        Candidate {
            id,
            genome,
            parent,
            inherits_from,
            epochs,
            total_epochs: epochs,
            inherited_epochs: inherited,
            continues: false,
        }
    }

    /// A candidate that trains trial `of`'s network `epochs` more: the same genome, every
    /// layer inheriting from `of`. The search asks for these itself (promotions); a driver may
    /// too, for a final fine-tune of the best. `of` must have trained.
    pub fn continuation(&mut self, of: u64, epochs: usize) -> Result<Candidate, Error> {
        let trial = self
            .trials
            .get(of as usize)
            .filter(|t| matches!(t.outcome, Some(Outcome::Trained(_))))
            .ok_or(Error::UnknownCandidate(of))?;
        let genome = trial.candidate.genome.clone();
        let layers = genome.architecture(&self.space).layers.len();
        let candidate = Candidate {
            id: self.trials.len() as u64,
            genome,
            parent: Some(of),
            inherits_from: (0..layers).map(Some).collect(),
            epochs,
            total_epochs: trial.candidate.total_epochs + epochs,
            inherited_epochs: trial.candidate.inherited_epochs,
            continues: true,
        };
        self.asked += 1;
        self.trials.push(Trial {
            candidate: candidate.clone(),
            outcome: None,
        });
        Ok(candidate)
    }

    /// The Pareto member to train on to the top rung before the search ends, with the epochs
    /// that takes: the most accurate member below the top rung that is neither promoted (nor
    /// being promoted) nor released; `None` once every member is fully trained or on its way.
    /// Drivers ask for these ([`Search::continuation`]) in a run's last minutes, so that it
    /// ends with its leaders trained to convergence rather than cut off at a low rung.
    pub fn unfinished_leader(&self) -> Option<(u64, usize)> {
        let top = *self.schedule_in_force().rungs().last()?;
        let promoted = self.promoted();
        let mut leaders: Vec<(u64, f64)> = self
            .pareto_front()
            .into_iter()
            .filter_map(|id| match &self.trials[id as usize].outcome {
                Some(Outcome::Trained(o)) => Some((id, o.val_accuracy)),
                _ => None,
            })
            .collect();
        leaders.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        leaders.into_iter().find_map(|(id, _)| {
            let total = self.trials[id as usize].candidate.fidelity_epochs();
            (total < top && !promoted.contains(&id) && !self.released.contains(&id))
                .then(|| (id, top - total))
        })
    }

    /// Which trained network to stop keeping, once more than [`KEPT_PARENTS`] of the `kept`
    /// trials' networks are held: the oldest neither on the Pareto front (the likeliest
    /// parents) nor in line for promotion; failing that, the oldest off the front. The search
    /// never promotes it afterwards, so the driver must drop it.
    pub fn release_network(&mut self, kept: &[u64]) -> Option<u64> {
        if kept.len() <= KEPT_PARENTS {
            return None;
        }
        let front = self.pareto_front();
        let in_line = self.in_line_for_promotion(2);
        let off_front = || kept.iter().copied().filter(|id| !front.contains(id));
        let dropped = off_front()
            .filter(|id| !in_line.contains(id))
            .min()
            .or_else(|| off_front().min())?;
        self.released.push(dropped);
        Some(dropped)
    }

    /// Trials already promoted (the parents of continuations).
    fn promoted(&self) -> std::collections::HashSet<u64> {
        self.trials
            .iter()
            .filter(|t| t.candidate.continues)
            .filter_map(|t| t.candidate.parent)
            .collect()
    }

    /// For each rung below the top, highest first: the ids of its trained trials ranking among
    /// its best `share/factor` that have not been promoted (best first), and how many more
    /// of its trials may still be promoted (its best `1/factor` in number, less those already).
    fn in_line_by_rung(&self, share: usize) -> Vec<(Vec<u64>, usize)> {
        let schedule = self.schedule_in_force();
        let below_top = schedule.rungs().len().saturating_sub(1);
        let promoted = self.promoted();
        let mut ids: Vec<Vec<u64>> = vec![Vec::new(); below_top];
        let mut points: Vec<Vec<Vec<f64>>> = vec![Vec::new(); below_top];
        for t in &self.trials {
            if let Some(Outcome::Trained(o)) = &t.outcome
                && o.fits(self.budget)
                && let Some(rung) = schedule.rung_of(t.candidate.fidelity_epochs())
                && rung < below_top
            {
                ids[rung].push(t.candidate.id);
                points[rung].push(self.normalised(o));
            }
        }
        let factor = schedule.factor.max(2);
        promotable(&points, factor, share)
            .into_iter()
            .zip(ids)
            .map(|(best, ids)| {
                let done = ids.iter().filter(|id| promoted.contains(id)).count();
                let room = (ids.len() / factor).saturating_sub(done);
                let waiting = best
                    .into_iter()
                    .map(|i| ids[i])
                    .filter(|id| !promoted.contains(id) && !self.released.contains(id))
                    .collect();
                (waiting, room)
            })
            .rev()
            .collect()
    }

    /// The trials a promotion may soon want: in the best `share/factor` of their rung and not
    /// yet promoted.
    fn in_line_for_promotion(&self, share: usize) -> Vec<u64> {
        self.in_line_by_rung(share)
            .into_iter()
            .flat_map(|(waiting, _)| waiting)
            .collect()
    }

    /// The trial to train on to its next rung, with the epochs to add: the best unpromoted
    /// trial in the best third (for a factor of 3) of its rung, highest rung first, while
    /// fewer than a third of the rung's trials have been promoted.
    fn promotion(&self) -> Option<(u64, usize)> {
        let of = self
            .in_line_by_rung(1)
            .into_iter()
            .find(|(waiting, room)| *room > 0 && !waiting.is_empty())?
            .0[0];
        let schedule = self.schedule_in_force();
        let rungs = schedule.rungs();
        let total = self.trials[of as usize].candidate.fidelity_epochs();
        let rung = schedule.rung_of(total)?;
        Some((of, rungs[rung + 1] - total))
    }

    /// Records the outcome of candidate `id`.
    pub fn tell(&mut self, id: u64, outcome: Outcome) -> Result<(), Error> {
        let trial = self
            .trials
            .get_mut(id as usize)
            .filter(|t| t.outcome.is_none())
            .ok_or(Error::UnknownCandidate(id))?;
        trial.outcome = Some(outcome);
        self.told.push(id);
        Ok(())
    }

    /// Normalised objectives of a trained trial (see [`Objectives::normalised`]).
    fn normalised(&self, o: &Objectives) -> Vec<f64> {
        o.normalised(self.budget)
    }

    /// Trained trials that fit the budget, with their normalised objectives, each network at
    /// its latest measure: a trial whose network a fitting continuation trained on is
    /// superseded by it (measured again, after more training; choosing the best of two
    /// measures of one network would favour the luckier draw of the validation noise).
    fn measured(&self) -> Vec<(u64, Vec<f64>)> {
        let superseded: std::collections::HashSet<u64> = self
            .trials
            .iter()
            .filter(|t| t.candidate.continues)
            .filter(|t| matches!(&t.outcome, Some(Outcome::Trained(o)) if o.fits(self.budget)))
            .filter_map(|t| t.candidate.parent)
            .collect();
        self.trials
            .iter()
            .filter(|t| !superseded.contains(&t.candidate.id))
            .filter_map(|t| match &t.outcome {
                Some(Outcome::Trained(o)) if o.fits(self.budget) => {
                    Some((t.candidate.id, self.normalised(o)))
                }
                _ => None,
            })
            .collect()
    }

    /// Ids of the trained trials that fit the budget on the Pareto front of error, model size
    /// and working memory.
    pub fn pareto_front(&self) -> Vec<u64> {
        front_ids(&self.measured())
    }

    /// Hypervolume of the trained trials in the unit cube of normalised objectives (reference
    /// point (1, 1, 1), see `sparse_core::pareto`).
    pub fn hypervolume(&self) -> f64 {
        let points: Vec<Vec<f64>> = self.measured().into_iter().map(|(_, p)| p).collect();
        hypervolume(&points, &[1.0, 1.0, 1.0])
    }

    /// Each trained genome once, at its most-trained trial, with its objectives as the
    /// optimizers compare them ([`transformed`]) carried to the top rung by the typical change
    /// measured between rungs on promoted trials (see `fidelity.rs`).
    fn full_training_estimates(&self) -> (Vec<&Genome>, Vec<Vec<f64>>) {
        let schedule = self.schedule_in_force();
        let rungs = schedule.rungs();
        let measured = |id: u64| match &self.trials[id as usize].outcome {
            Some(Outcome::Trained(o)) => Some(transformed(&self.normalised(o))),
            _ => None,
        };
        let rung = |t: &Trial| schedule.rung_of(t.candidate.fidelity_epochs());
        let mut superseded = std::collections::HashSet::new();
        let mut pairs = Vec::new();
        for t in self.trials.iter().filter(|t| t.candidate.continues) {
            let Some(p) = t.candidate.parent else {
                continue;
            };
            if let Some(after) = measured(t.candidate.id) {
                superseded.insert(p);
                if let (Some(before), Some(from), Some(to)) =
                    (measured(p), rung(&self.trials[p as usize]), rung(t))
                    && to == from + 1
                {
                    pairs.push((from, before, after));
                }
            }
        }
        let lift = Lift::estimate(&pairs, rungs.len(), 3);
        self.trials
            .iter()
            .filter(|t| !superseded.contains(&t.candidate.id))
            .filter_map(|t| {
                let y = measured(t.candidate.id)?;
                let at = rung(t).unwrap_or(rungs.len() - 1);
                Some((&t.candidate.genome, lift.to_top(&y, at)))
            })
            .unzip()
    }

    /// The Bayesian optimiser's next candidate, or `None` while too few trials are trained (or
    /// nothing in the pool fits), when a random sample is drawn instead.
    fn bayesian_choice(
        &mut self,
        id: u64,
        initial: usize,
        pool: usize,
        rng: &mut StdRng,
    ) -> Option<Candidate> {
        let (genomes, targets) = self.full_training_estimates();
        if genomes.len() < initial.max(2) {
            return None;
        }
        let kept = surrogate_points(&targets, SURROGATE_POINTS);
        let (genomes, targets): (Vec<&Genome>, Vec<Vec<f64>>) = kept
            .into_iter()
            .map(|i| (genomes[i], targets[i].clone()))
            .unzip();
        let inputs: Vec<Vec<f64>> = genomes.iter().map(|g| encode(g, &self.space)).collect();
        let ranges = Ranges::of(&targets);
        let columns: Vec<Vec<f64>> = (0..3)
            .map(|k| targets.iter().map(|y| y[k]).collect())
            .collect();
        let model = Gp::fit(inputs, &columns)?;
        let weights = scalarisation(id, rng);
        let score = |genome: &Genome| -> f64 {
            let x = encode(genome, &self.space);
            model
                .predict(&x)
                .into_iter()
                .zip(&weights)
                .enumerate()
                .filter(|(_, (_, w))| **w > 0.0)
                .map(|(k, ((mean, sd), w))| w * ranges.scale(k, mean - sd))
                .fold(f64::MIN, f64::max)
        };
        // Candidates: random samples and morphs of the Pareto members, all within budget.
        let front = self.pareto_front();
        let mut pool_candidates: Vec<Candidate> = Vec::new();
        for parent in &front {
            for _ in 0..4 {
                let morph = self
                    .space
                    .morph(&self.trials[*parent as usize].candidate.genome, rng);
                pool_candidates.push(self.new_candidate(
                    id,
                    morph.child,
                    Some(*parent),
                    morph.inherits_from,
                ));
            }
        }
        let (samples, over_budget) = self.fitting_samples(id, pool, rng);
        self.rejected += over_budget;
        pool_candidates.extend(samples);
        let tried: Vec<&Genome> = self.trials.iter().map(|t| &t.candidate.genome).collect();
        let mut best: Option<(f64, Candidate)> = None;
        for candidate in pool_candidates {
            if tried.contains(&&candidate.genome) {
                continue;
            }
            if !self.fits(&candidate.genome) {
                self.rejected += 1;
                continue;
            }
            let s = score(&candidate.genome);
            if best.as_ref().is_none_or(|(b, _)| s < *b) {
                best = Some((s, candidate));
            }
        }
        best.map(|(_, c)| c)
    }

    /// Up to `pool` random samples of the space that fit the budget, as candidates `id`. Under
    /// a tight budget only a few draws in a hundred fit, and a pool of raw draws would leave the
    /// optimiser little but morphs of the front: a local search that settles on one family of
    /// networks. Also returns how many draws did not fit.
    fn fitting_samples(&self, id: u64, pool: usize, rng: &mut StdRng) -> (Vec<Candidate>, u64) {
        let mut samples = Vec::with_capacity(pool);
        let mut over_budget = 0;
        for _ in 0..pool * POOL_DRAWS_PER_SAMPLE {
            if samples.len() == pool {
                break;
            }
            let genome = self.space.sample(rng);
            if self.fits(&genome) {
                samples.push(self.new_candidate(id, genome, None, Vec::new()));
            } else {
                over_budget += 1;
            }
        }
        (samples, over_budget)
    }

    /// Aging evolution's parent: the best of `sample` random members of the `population` most
    /// recently trained, under a fresh random weighting; `None` while the population fills.
    fn tournament(&self, population: usize, sample: usize, rng: &mut StdRng) -> Option<u64> {
        let members: Vec<(u64, Vec<f64>)> = self
            .told
            .iter()
            .rev()
            .filter_map(|&id| match &self.trials[id as usize].outcome {
                Some(Outcome::Trained(o)) => Some((id, transformed(&self.normalised(o)))),
                _ => None,
            })
            .take(population)
            .collect();
        if members.len() < population {
            return None;
        }
        let points: Vec<Vec<f64>> = members.iter().map(|(_, p)| p.clone()).collect();
        let ranges = Ranges::of(&points);
        let weights: Vec<f64> = (0..3).map(|_| rng.random_range(0.05..1.0)).collect();
        // μNAS's fitness: the worst weighted objective (each scaled to the population's
        // range), lower is better.
        let fitness = |p: &[f64]| {
            p.iter()
                .zip(&weights)
                .enumerate()
                .map(|(k, (f, w))| ranges.scale(k, *f) / w)
                .fold(f64::MIN, f64::max)
        };
        let contenders: Vec<&(u64, Vec<f64>)> =
            members.choose_multiple(rng, sample.max(1)).collect();
        contenders
            .into_iter()
            .min_by(|a, b| fitness(&a.1).total_cmp(&fitness(&b.1)))
            .map(|(id, _)| *id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sparse_core::boards::Board;

    fn space() -> SearchSpace {
        SearchSpace::sparse([1, 28, 28], 10)
    }

    /// A made-up but deterministic "training": error falls from 61% towards 1% as the
    /// non-zero parameters grow, as small CNNs on MNIST do.
    fn fake_train(search: &Search, c: &Candidate) -> Outcome {
        let report = cost(&c.genome.architecture(search.space())).unwrap();
        if c.id % 7 == 3 {
            return Outcome::Failed {
                reason: "diverged".into(),
            };
        }
        Outcome::Trained(Objectives {
            val_accuracy: 0.99 - 0.6 * (-(report.model_size_bytes as f64) / 3000.0).exp(),
            model_size_bytes: report.model_size_bytes,
            working_memory_bytes: report.working_memory_bytes,
            macs: report.macs,
            flash_bytes: None,
        })
    }

    fn run(algorithm: Algorithm, seed: u64, trials: usize) -> Search {
        let budget = Board::preset("arduino-uno").unwrap().budget();
        let mut search = Search::new(space(), budget, algorithm, seed);
        for _ in 0..trials {
            let c = search.ask().unwrap();
            let outcome = fake_train(&search, &c);
            search.tell(c.id, outcome).unwrap();
        }
        search
    }

    #[test]
    fn every_asked_candidate_fits_the_budget_and_rejections_are_counted() {
        for algorithm in [Algorithm::Random, Algorithm::evolution(), Algorithm::mobo()] {
            let search = run(algorithm, 1, 60);
            assert_eq!(search.trials().len(), 60);
            for t in search.trials() {
                let genome = &t.candidate.genome;
                let report = cost(&genome.expected_architecture(search.space())).unwrap();
                assert!(report.violations(&search.budget()).is_empty());
            }
            assert!(
                search.rejected() > 0,
                "the Uno's 1.8 KB of SRAM rejects many draws"
            );
            assert!(search.hypervolume() > 0.0);
            assert!(!search.pareto_front().is_empty());
        }
    }

    #[test]
    fn under_a_tight_budget_the_pool_still_holds_its_random_samples_and_all_fit() {
        // SpArSe's MNIST budget: about 4 in 100 draws of the space fit it.
        let budget = Budget {
            flash_bytes: 2800,
            sram_bytes: 2048,
            flash_measure: FlashMeasure::ModelSize,
        };
        let search = Search::new(space(), budget, Algorithm::mobo(), 2);
        let mut rng = StdRng::seed_from_u64(2);
        let (samples, over_budget) = search.fitting_samples(0, 64, &mut rng);
        assert_eq!(samples.len(), 64);
        assert!(samples.iter().all(|c| search.fits(&c.genome)));
        assert!(samples.iter().all(|c| c.parent.is_none()));
        assert!(
            over_budget > 64 * 5,
            "most draws are over budget: {over_budget}"
        );
        // A budget nothing fits gives up after a bounded number of draws.
        let impossible = Search::new(
            space(),
            Budget {
                flash_bytes: 10,
                ..budget
            },
            Algorithm::mobo(),
            2,
        );
        let (none, over_budget) = impossible.fitting_samples(0, 64, &mut rng);
        assert!(none.is_empty());
        assert_eq!(over_budget, (64 * POOL_DRAWS_PER_SAMPLE) as u64);
    }

    #[test]
    fn mobo_proposes_morphs_of_the_front_and_beats_random_on_a_known_landscape() {
        let mobo = run(Algorithm::mobo(), 6, 40);
        assert!(
            mobo.trials().iter().any(|t| t.candidate.parent.is_some()),
            "some candidates are morphs of Pareto members"
        );
        let random = run(Algorithm::Random, 6, 40);
        // On the fake landscape (error falling with parameters) the model-guided search
        // finds a front at least as good as random sampling with the same seed.
        assert!(
            mobo.hypervolume() >= random.hypervolume() * 0.98,
            "mobo {} vs random {}",
            mobo.hypervolume(),
            random.hypervolume()
        );
        let json = serde_json::to_string(&mobo).unwrap();
        assert!(serde_json::from_str::<Search>(&json).unwrap() == mobo);
    }

    #[test]
    fn evolution_morphs_parents_from_its_population() {
        let search = run(Algorithm::evolution(), 2, 80);
        let children: Vec<&Trial> = search
            .trials()
            .iter()
            .filter(|t| t.candidate.parent.is_some())
            .collect();
        assert!(children.len() >= 50, "{} children", children.len());
        for t in children {
            assert_eq!(
                t.candidate.inherits_from.len(),
                t.candidate.genome.architecture(search.space()).layers.len()
            );
        }
    }

    #[test]
    fn same_seed_same_search_and_resume_after_serialising() {
        let a = run(Algorithm::evolution(), 3, 40);
        let b = run(Algorithm::evolution(), 3, 40);
        assert!(a == b, "the same seed gave two searches");
        // Stop after 25 trials, save, load, continue: the same 40 trials.
        let budget = Board::preset("arduino-uno").unwrap().budget();
        let mut first = Search::new(space(), budget, Algorithm::evolution(), 3);
        for _ in 0..25 {
            let c = first.ask().unwrap();
            let o = fake_train(&first, &c);
            first.tell(c.id, o).unwrap();
        }
        let json = serde_json::to_string(&first).unwrap();
        let mut resumed: Search = serde_json::from_str(&json).unwrap();
        for _ in 25..40 {
            let c = resumed.ask().unwrap();
            let o = fake_train(&resumed, &c);
            resumed.tell(c.id, o).unwrap();
        }
        assert!(
            resumed == a,
            "a resumed search differs from an uninterrupted one"
        );
        assert!(run(Algorithm::evolution(), 4, 40) != a);
    }

    #[test]
    fn a_saved_search_is_checked_before_it_is_trusted() {
        let budget = Board::preset("arduino-uno").unwrap().budget();
        let mut search = Search::new(space(), budget, Algorithm::mobo(), 3);
        for _ in 0..12 {
            let c = search.ask().unwrap();
            let o = fake_train(&search, &c);
            search.tell(c.id, o).unwrap();
        }
        search.ask().unwrap(); // one in flight
        search.check().unwrap();
        let saved: serde_json::Value = serde_json::to_value(&search).unwrap();
        // Each edit once panicked on resume (or later); now each is named.
        type Edit = fn(&mut serde_json::Value);
        let edits: [(&str, Edit); 8] = [
            ("0 filters", |v| v["space"]["max_filters"] = 0.into()),
            ("kernels [1, 305]", |v| {
                v["space"]["kernels"] = serde_json::json!([1, 305])
            }),
            ("kernels", |v| v["space"]["kernels"] = serde_json::json!([])),
            ("not an earlier trial", |v| {
                v["trials"][10]["candidate"]["parent"] = 999.into()
            }),
            ("trial 3 has id 7", |v| {
                v["trials"][3]["candidate"]["id"] = 7.into()
            }),
            ("told trial 99 is unknown", |v| {
                v["told"].as_array_mut().unwrap().push(99.into())
            }),
            ("never told", |v| {
                v["told"].as_array_mut().unwrap().truncate(5)
            }),
            ("released trial 500 is unknown", |v| {
                v["released"] = serde_json::json!([500])
            }),
        ];
        for (expected, edit) in edits {
            let mut damaged = saved.clone();
            edit(&mut damaged);
            let search: Search = serde_json::from_value(damaged).unwrap();
            let error = search.check().unwrap_err().to_string();
            assert!(
                error.starts_with("the saved search is not consistent") && error.contains(expected),
                "{expected}: {error}"
            );
        }
    }

    #[test]
    fn a_trial_in_flight_when_killed_is_simply_asked_again() {
        let budget = Board::preset("arduino-uno").unwrap().budget();
        let mut search = Search::new(space(), budget, Algorithm::Random, 5);
        let c = search.ask().unwrap();
        // The state was saved with the trial in flight; its result never arrived.
        let saved = serde_json::to_string(&search).unwrap();
        let mut resumed: Search = serde_json::from_str(&saved).unwrap();
        assert_eq!(resumed.trials()[0].outcome, None);
        let next = resumed.ask().unwrap();
        assert_eq!(next.id, c.id + 1);
        assert_eq!(
            resumed.tell(42, Outcome::Failed { reason: "x".into() }),
            Err(Error::UnknownCandidate(42))
        );
        resumed
            .tell(
                c.id,
                Outcome::Failed {
                    reason: "lost".into(),
                },
            )
            .unwrap();
        assert!(
            resumed
                .tell(
                    c.id,
                    Outcome::Failed {
                        reason: "again".into()
                    }
                )
                .is_err()
        );
    }

    #[test]
    fn a_continuation_repeats_a_trained_genome_and_inherits_every_layer() {
        let mut search = run(Algorithm::Random, 2, 8);
        let trained = search
            .trials()
            .iter()
            .find(|t| matches!(t.outcome, Some(Outcome::Trained(_))))
            .unwrap()
            .candidate
            .clone();
        let c = search.continuation(trained.id, 4).unwrap();
        assert_eq!((c.id, c.parent), (8, Some(trained.id)));
        assert!(c.continues);
        assert_eq!((c.epochs, c.total_epochs), (4, 5));
        assert_eq!(c.genome, trained.genome);
        assert!(
            c.inherits_from
                .iter()
                .enumerate()
                .all(|(i, j)| *j == Some(i))
        );
        search.tell(c.id, fake_train(&search, &c)).unwrap();
        let failed = search
            .trials()
            .iter()
            .find(|t| matches!(t.outcome, Some(Outcome::Failed { .. })))
            .unwrap()
            .candidate
            .id;
        assert!(search.continuation(failed, 1).is_err());
        assert!(search.continuation(99, 1).is_err());
    }

    #[test]
    fn the_oldest_network_off_the_front_is_dropped_first() {
        let budget = Board::preset("arduino-uno").unwrap().budget();
        let mut search = Search::new(space(), budget, Algorithm::Random, 3);
        // Equal costs, and only trial 0 accurate: it alone is on the front.
        for _ in 0..KEPT_PARENTS + 2 {
            let c = search.ask().unwrap();
            let objectives = Objectives {
                val_accuracy: if c.id == 0 { 0.99 } else { 0.5 },
                model_size_bytes: 100,
                working_memory_bytes: 100,
                macs: 1000,
                flash_bytes: None,
            };
            search.tell(c.id, Outcome::Trained(objectives)).unwrap();
        }
        assert_eq!(search.pareto_front(), vec![0]);
        let kept: Vec<u64> = (0..KEPT_PARENTS as u64 + 2).collect();
        assert_eq!(search.release_network(&kept[..KEPT_PARENTS]), None);
        assert_eq!(search.release_network(&kept), Some(1));
        let without_1: Vec<u64> = kept.iter().copied().filter(|&id| id != 1).collect();
        assert_eq!(search.release_network(&without_1), Some(2));
    }

    /// Like `fake_train`, but longer training lowers the error (a third per rung), and a
    /// genome's pseudo-random quality spreads trials at a rung.
    fn fake_train_by_epochs(search: &Search, c: &Candidate) -> Outcome {
        let report = cost(&c.genome.architecture(search.space())).unwrap();
        let quality = (report.macs % 97) as f64 / 97.0;
        let error = (0.02 + 0.2 * quality) / (c.fidelity_epochs() as f64).sqrt();
        Outcome::Trained(Objectives {
            val_accuracy: 1.0 - error,
            model_size_bytes: report.model_size_bytes,
            working_memory_bytes: report.working_memory_bytes,
            macs: report.macs,
            flash_bytes: None,
        })
    }

    fn by_promise() -> Schedule {
        Schedule {
            epochs: 1,
            factor: 3,
            max_epochs: 9,
        }
    }

    #[test]
    fn promotions_train_the_best_third_of_each_rung_on_from_their_own_weights() {
        for algorithm in [Algorithm::Random, Algorithm::evolution(), Algorithm::mobo()] {
            let budget = Board::preset("arduino-uno").unwrap().budget();
            let schedule = by_promise();
            let mut search = Search::new(space(), budget, algorithm, 4).with_schedule(schedule);
            let rung_of = |t: &Trial| schedule.rung_of(t.candidate.fidelity_epochs()).unwrap();
            for _ in 0..60 {
                let c = search.ask().unwrap();
                if c.continues {
                    let parent = &search.trials()[c.parent.unwrap() as usize];
                    let from = parent.candidate.fidelity_epochs();
                    assert_eq!(c.fidelity_epochs(), from + c.epochs);
                    let rung = rung_of(parent);
                    assert_eq!(
                        c.fidelity_epochs(),
                        schedule.rungs()[rung + 1],
                        "to the next rung"
                    );
                    assert_eq!(c.genome, parent.candidate.genome);
                    // The parent ranks in the best third of the trained trials at its rung.
                    let rung: Vec<Vec<f64>> = search
                        .trials()
                        .iter()
                        .filter(|t| rung_of(t) == rung)
                        .filter_map(|t| match &t.outcome {
                            Some(Outcome::Trained(o)) => Some(search.normalised(o)),
                            _ => None,
                        })
                        .collect();
                    let Some(Outcome::Trained(mine)) = &parent.outcome else {
                        panic!("promoted an untrained trial");
                    };
                    let mine = search.normalised(mine);
                    let position = crate::fidelity::ranked(&rung)
                        .iter()
                        .position(|&i| rung[i] == mine)
                        .unwrap();
                    assert!(position < rung.len() / 3, "{position} of {}", rung.len());
                } else {
                    // A fresh candidate trains the first rung; a morphed child counts the
                    // epochs of the weights it inherits.
                    let inherited = match c.parent {
                        Some(p) if c.inherits_from.iter().any(Option::is_some) => {
                            search.trials()[p as usize].candidate.fidelity_epochs()
                        }
                        _ => 0,
                    };
                    assert_eq!((c.epochs, c.total_epochs), (1, 1));
                    assert_eq!(c.fidelity_epochs(), 1 + inherited);
                }
                let outcome = fake_train_by_epochs(&search, &c);
                search.tell(c.id, outcome).unwrap();
            }
            let trials = search.trials();
            let at = |rung| trials.iter().filter(|t| rung_of(t) == rung).count();
            let promoted_to = |rung| {
                trials
                    .iter()
                    .filter(|t| t.candidate.continues && rung_of(t) == rung)
                    .count()
            };
            assert!(promoted_to(1) >= 1 && promoted_to(2) >= 1);
            assert!(
                promoted_to(1) <= at(0) / 3 && promoted_to(2) <= at(1) / 3,
                "{} {} {}",
                at(0),
                at(1),
                at(2)
            );
            let mut parents: Vec<u64> = trials
                .iter()
                .filter(|t| t.candidate.continues)
                .filter_map(|t| t.candidate.parent)
                .collect();
            let promoted = parents.len();
            parents.dedup();
            assert_eq!(parents.len(), promoted, "a trial was promoted twice");
        }
    }

    #[test]
    fn a_morphed_child_is_compared_at_the_rung_its_inherited_weights_reached() {
        let budget = Board::preset("arduino-uno").unwrap().budget();
        let schedule = Schedule {
            epochs: 1,
            factor: 3,
            max_epochs: 27,
        };
        let mut search =
            Search::new(space(), budget, Algorithm::evolution(), 6).with_schedule(schedule);
        // Train until a morphed child of a promoted (3-epoch) network is asked for.
        let child = loop {
            let c = search.ask().unwrap();
            let outcome = fake_train_by_epochs(&search, &c);
            search.tell(c.id, outcome).unwrap();
            let parent_epochs = c
                .parent
                .map(|p| search.trials()[p as usize].candidate.fidelity_epochs());
            if !c.continues
                && c.inherits_from.iter().any(Option::is_some)
                && parent_epochs >= Some(3)
            {
                break c;
            }
            assert!(
                search.trials().len() < 400,
                "no child of a promoted network"
            );
        };
        let parent = &search.trials()[child.parent.unwrap() as usize].candidate;
        assert_eq!(child.epochs, 1);
        assert_eq!(
            child.total_epochs, 1,
            "the record says what it trained itself"
        );
        assert_eq!(child.fidelity_epochs(), parent.fidelity_epochs() + 1);
        let rung = schedule.rung_of(child.fidelity_epochs()).unwrap();
        assert!(rung >= 1, "not with the fresh candidates at rung 0");
        // Its measure is carried to full training from that rung, not from the first.
        let (genomes, targets) = search.full_training_estimates();
        let position = genomes.iter().position(|g| **g == child.genome).unwrap();
        let Some(Outcome::Trained(o)) = &search.trials()[child.id as usize].outcome else {
            panic!()
        };
        let measured = transformed(&search.normalised(o))[0];
        let steps = (schedule.rungs().len() - 1 - rung) as f64;
        let lift = measured - targets[position][0];
        let per_step = 3f64.sqrt().ln();
        assert!(
            lift < per_step * (steps + 0.5),
            "lifted {lift}, {steps} steps of {per_step}"
        );
    }

    /// The record a driver would write for trained trial `id` of `search`.
    fn record_of(search: &Search, id: u64) -> TrialRecord {
        let trial = &search.trials()[id as usize];
        let Some(Outcome::Trained(o)) = &trial.outcome else {
            panic!("trial {id} has not trained");
        };
        TrialRecord {
            status: "trained".into(),
            reason: None,
            val_accuracy: Some(o.val_accuracy),
            test_accuracy: Some(o.val_accuracy),
            int8_test_accuracy: Some(o.val_accuracy),
            model_size_bytes: Some(o.model_size_bytes),
            working_memory_bytes: Some(o.working_memory_bytes),
            macs: Some(o.macs),
            epochs: Some(trial.candidate.total_epochs),
            ..TrialRecord::failed(
                id,
                trial.candidate.genome.architecture(search.space()),
                trial.candidate.parent,
                String::new(),
            )
        }
    }

    #[test]
    fn a_network_trained_on_is_judged_by_its_latest_measure() {
        let budget = Board::preset("arduino-uno").unwrap().budget();
        let mut search =
            Search::new(space(), budget, Algorithm::Random, 5).with_schedule(by_promise());
        let first = search.ask().unwrap();
        let mut outcome = fake_train_by_epochs(&search, &first);
        search.tell(first.id, outcome.clone()).unwrap();
        assert_eq!(search.pareto_front(), vec![first.id]);
        // Trained on, it measures a little worse: the earlier, luckier measure no longer counts.
        let more = search.continuation(first.id, 2).unwrap();
        if let Outcome::Trained(o) = &mut outcome {
            o.val_accuracy -= 0.001;
        }
        search.tell(more.id, outcome).unwrap();
        assert_eq!(search.pareto_front(), vec![more.id]);
        let records = vec![record_of(&search, first.id), record_of(&search, more.id)];
        assert_eq!(pareto_front_of_records(&records, budget), vec![more.id]);
        // A morph of it is a new network, however it trained.
        let child = search
            .space()
            .morph(&first.genome, &mut StdRng::seed_from_u64(1));
        assert!(records[1].epochs > records[0].epochs);
        let mut morph = record_of(&search, more.id);
        morph.id = 2;
        morph.parent = Some(more.id);
        morph.architecture = child.child.architecture(search.space());
        morph.epochs = Some(1);
        morph.val_accuracy = Some(0.1);
        let front =
            pareto_front_of_records(&[records[0].clone(), records[1].clone(), morph], budget);
        assert!(front.contains(&more.id), "{front:?}");
    }

    #[test]
    fn the_leaders_are_finished_most_accurate_first() {
        let budget = Board::preset("arduino-uno").unwrap().budget();
        let mut search =
            Search::new(space(), budget, Algorithm::Random, 6).with_schedule(by_promise());
        assert_eq!(search.unfinished_leader(), None, "nothing trained yet");
        for _ in 0..12 {
            let c = search.ask().unwrap();
            let outcome = fake_train_by_epochs(&search, &c);
            search.tell(c.id, outcome).unwrap();
        }
        let accuracy = |search: &Search, id: u64| match &search.trials()[id as usize].outcome {
            Some(Outcome::Trained(o)) => o.val_accuracy,
            _ => unreachable!("leaders have trained"),
        };
        let mut finished = Vec::new();
        while let Some((of, epochs)) = search.unfinished_leader() {
            let trial = &search.trials()[of as usize];
            assert!(search.pareto_front().contains(&of));
            assert_eq!(
                trial.candidate.fidelity_epochs() + epochs,
                9,
                "to the top rung"
            );
            // No member below the top rung, left unfinished, is more accurate.
            for id in search.pareto_front() {
                let t = &search.trials()[id as usize];
                if t.candidate.fidelity_epochs() < 9 && !search.promoted().contains(&id) {
                    assert!(accuracy(&search, id) <= accuracy(&search, of));
                }
            }
            // Asked, the continuation is in flight: the next leader comes next.
            let c = search.continuation(of, epochs).unwrap();
            assert_ne!(search.unfinished_leader().map(|(id, _)| id), Some(of));
            finished.push(c);
        }
        assert!(finished.len() >= 2, "{} leaders", finished.len());
        for c in finished {
            let outcome = fake_train_by_epochs(&search, &c);
            search.tell(c.id, outcome).unwrap();
        }
        // Every member is now fully trained: continuations supersede their parents.
        assert_eq!(search.unfinished_leader(), None);
        for id in search.pareto_front() {
            assert_eq!(search.trials()[id as usize].candidate.fidelity_epochs(), 9);
        }
    }

    #[test]
    fn every_third_bayesian_choice_weighs_the_error_alone() {
        let mut rng = StdRng::seed_from_u64(3);
        let weights: Vec<Vec<f64>> = (0..300).map(|id| scalarisation(id, &mut rng)).collect();
        for (id, w) in weights.iter().enumerate() {
            assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            if (id as u64).is_multiple_of(ACCURACY_TURN) {
                assert_eq!(w, &[1.0, 0.0, 0.0]);
            } else {
                assert!(w.iter().all(|&x| x > 0.0), "{w:?}");
            }
        }
        // Random weights alone seldom put most of the weight on the error.
        let error_led = weights
            .iter()
            .enumerate()
            .filter(|(id, w)| !(*id as u64).is_multiple_of(ACCURACY_TURN) && w[0] > 0.8)
            .count();
        assert!(error_led < 20, "{error_led} of 200");
    }

    #[test]
    fn a_released_network_is_never_promoted() {
        let budget = Board::preset("arduino-uno").unwrap().budget();
        let mut search =
            Search::new(space(), budget, Algorithm::Random, 8).with_schedule(by_promise());
        for _ in 0..3 {
            let c = search.ask().unwrap();
            assert!(!c.continues);
            let outcome = fake_train_by_epochs(&search, &c);
            search.tell(c.id, outcome).unwrap();
        }
        let best = search.in_line_for_promotion(1);
        assert_eq!(best.len(), 1);
        search.released.push(best[0]);
        let next = search.ask().unwrap();
        assert!(!next.continues, "the released trial was promoted");
    }

    #[test]
    fn the_optimizers_compare_genomes_at_full_training() {
        let budget = Board::preset("arduino-uno").unwrap().budget();
        let mut search =
            Search::new(space(), budget, Algorithm::Random, 9).with_schedule(by_promise());
        for _ in 0..40 {
            let c = search.ask().unwrap();
            let outcome = fake_train_by_epochs(&search, &c);
            search.tell(c.id, outcome).unwrap();
        }
        let (genomes, targets) = search.full_training_estimates();
        let continued = search.trials().iter().filter(|t| t.candidate.continues);
        assert_eq!(
            genomes.len(),
            40 - continued.count(),
            "one estimate per genome"
        );
        // Error falls by √3 per rung in the fake training: a rung-1 trial's log error is
        // carried down by ln √3 per step, to meet its promoted siblings at the top.
        let once = search
            .trials()
            .iter()
            .find(|t| t.candidate.fidelity_epochs() == 1)
            .unwrap();
        let Some(Outcome::Trained(o)) = &once.outcome else {
            panic!()
        };
        let measured = transformed(&search.normalised(o))[0];
        let position = genomes
            .iter()
            .position(|g| *g == &once.candidate.genome)
            .unwrap();
        let lifted = targets[position][0];
        assert!(
            (measured - lifted - 3f64.sqrt().ln() * 2.0).abs() < 1e-9,
            "{measured} -> {lifted}"
        );
    }

    #[test]
    fn a_search_saved_before_training_by_promise_resumes_without_a_schedule() {
        let search = run(Algorithm::evolution(), 3, 10);
        let mut json = serde_json::to_value(&search).unwrap();
        let state = json.as_object_mut().unwrap();
        state.remove("schedule");
        state.remove("released");
        for t in state["trials"].as_array_mut().unwrap() {
            let c = t["candidate"].as_object_mut().unwrap();
            for field in ["epochs", "total_epochs", "inherited_epochs", "continues"] {
                c.remove(field);
            }
        }
        let mut old: Search = serde_json::from_value(json).unwrap();
        assert_eq!(old.schedule(), None);
        old.set_schedule(Schedule::fixed(2));
        let c = old.ask().unwrap();
        assert_eq!((c.epochs, c.total_epochs, c.continues), (2, 2, false));
    }

    #[test]
    fn pruning_lets_larger_networks_in_and_those_pruned_too_little_stay_off_the_front() {
        let budget = Budget::new(2800, 2048).measuring_flash_as(FlashMeasure::ModelSize);
        let mut search = Search::new(space(), budget, Algorithm::Random, 11);
        let mut larger = 0;
        for _ in 0..60 {
            let c = search.ask().unwrap();
            let unpruned = cost(&c.genome.architecture(search.space())).unwrap();
            let promised = cost(&c.genome.expected_architecture(search.space())).unwrap();
            assert!(promised.violations(&budget).is_empty());
            if unpruned.model_size_bytes > 2800 {
                larger += 1;
            }
            // Trained, it keeps every weight: over budget if it was larger than the budget.
            let outcome = Outcome::Trained(Objectives {
                val_accuracy: 0.5 + unpruned.model_size_bytes as f64 / 1e6,
                model_size_bytes: unpruned.model_size_bytes,
                working_memory_bytes: unpruned.working_memory_bytes,
                macs: unpruned.macs,
                flash_bytes: Some(unpruned.flash_bytes),
            });
            search.tell(c.id, outcome).unwrap();
        }
        assert!(
            larger >= 5,
            "{larger} of 60 larger than the budget before pruning"
        );
        for id in search.pareto_front() {
            let Some(Outcome::Trained(o)) = &search.trials()[id as usize].outcome else {
                panic!("a failed trial on the front");
            };
            assert!(o.model_size_bytes <= 2800, "trial {id} does not fit");
        }
        let records: Vec<TrialRecord> = Vec::new();
        assert!(pareto_front_of_records(&records, budget).is_empty());
    }

    #[test]
    fn an_impossible_budget_is_explained() {
        let tiny = Budget::new(10, 10);
        let mut search = Search::new(space(), tiny, Algorithm::Random, 0);
        let err = search.ask().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("no architecture of the search space fits 10 bytes")
        );
    }

    #[test]
    fn a_failed_ask_moves_the_saved_stream_on() {
        // The state saved after a failed ask draws anew when resumed, so one unlucky stream of
        // draws cannot block a run for good.
        let tiny = Budget::new(10, 10);
        let mut search = Search::new(space(), tiny, Algorithm::Random, 0);
        let before = search.clone();
        search.ask().unwrap_err();
        let saved: Search = serde_json::from_str(&serde_json::to_string(&search).unwrap()).unwrap();
        assert_eq!(saved.rejected(), MAX_REJECTIONS_PER_ASK as u64);
        let first_draw = |s: &Search| s.space.sample(&mut s.rng());
        assert_ne!(first_draw(&saved), first_draw(&before));
    }
}
