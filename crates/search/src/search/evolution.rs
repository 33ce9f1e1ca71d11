//! Aging evolution's tournament (Real et al. 2019, as μNAS uses it): the parent of the next
//! child among the most recently trained networks.

use super::Search;
use crate::scale::{Ranges, transformed};
use crate::trial::Outcome;
use rand::seq::IndexedRandom;
use rand::{Rng, rngs::StdRng};

impl Search {
    /// Aging evolution's parent: the best of `sample` random members of the `population` most
    /// recently trained, under a fresh random weighting; `None` while the population fills.
    pub(super) fn tournament(
        &self,
        population: usize,
        sample: usize,
        rng: &mut StdRng,
    ) -> Option<u64> {
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
    use super::super::test_support::*;
    use crate::search::Algorithm;
    use crate::trial::Trial;

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
}
