//! The search state and its ask/tell cycle; the optimizers' choices and training by promise
//! live in the submodules.

mod evolution;
mod mobo;
mod promotion;
#[cfg(test)]
mod test_support;

use crate::fidelity::Schedule;
use crate::trial::{Candidate, Objectives, Outcome, Trial};
use rand::{SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};
use sparse_core::TrialRecord;
use sparse_core::cost::{Budget, cost};
use sparse_core::pareto::{hypervolume, pareto_front};
use sparse_core::space::{Genome, Morph, SearchSpace};

/// How many random draws may be rejected by the budget before the search gives up.
const MAX_REJECTIONS_PER_ASK: usize = 20_000;

/// Why the search cannot go on.
#[derive(Clone, Debug, thiserror::Error, PartialEq)]
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
                    self.child_of(id, p, morph)
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
            morph: None,
        }
    }

    /// Candidate `id`: `parent`'s child by `morph`, inheriting its weights where they fit.
    fn child_of(&self, id: u64, parent: u64, morph: Morph) -> Candidate {
        Candidate {
            morph: Some(morph.kind),
            ..self.new_candidate(id, morph.child, Some(parent), morph.inherits_from)
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
            morph: None,
        };
        self.asked += 1;
        self.trials.push(Trial {
            candidate: candidate.clone(),
            outcome: None,
        });
        Ok(candidate)
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
            .filter(|t| t.outcome.as_ref().is_some_and(|o| o.fits(self.budget)))
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
}

#[cfg(test)]
mod tests;
