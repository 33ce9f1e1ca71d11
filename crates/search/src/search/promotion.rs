//! Training by promise, as the search applies it: which trial to train on to its next rung,
//! which leader to finish in a run's last minutes, and every genome's objectives carried to
//! full training for the optimizers (the rungs and the lift are in `fidelity.rs`).

use super::Search;
use crate::fidelity::{Lift, promotable};
use crate::scale::transformed;
use crate::trial::{Outcome, Trial};
use sparse_core::space::Genome;

impl Search {
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

    /// Trials already promoted (the parents of continuations).
    pub(super) fn promoted(&self) -> std::collections::HashSet<u64> {
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
    pub(super) fn in_line_for_promotion(&self, share: usize) -> Vec<u64> {
        self.in_line_by_rung(share)
            .into_iter()
            .flat_map(|(waiting, _)| waiting)
            .collect()
    }

    /// The trial to train on to its next rung, with the epochs to add: the best unpromoted
    /// trial in the best third (for a factor of 3) of its rung, highest rung first, while
    /// fewer than a third of the rung's trials have been promoted.
    pub(super) fn promotion(&self) -> Option<(u64, usize)> {
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

    /// Each trained genome once, at its most-trained trial, with its objectives as the
    /// optimizers compare them ([`transformed`]) carried to the top rung by the typical change
    /// measured between rungs on promoted trials (see `fidelity.rs`).
    pub(super) fn full_training_estimates(&self) -> (Vec<&Genome>, Vec<Vec<f64>>) {
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
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::fidelity::Schedule;
    use crate::search::Algorithm;
    use sparse_core::boards::Board;

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
}
