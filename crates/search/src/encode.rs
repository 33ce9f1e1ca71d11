//! A fixed-length encoding of a genome for the Gaussian processes: a slot per possible conv
//! block and hidden dense layer, each with a presence flag and zeros when absent (so that
//! absent layers are alike, in the spirit of the arc kernel for conditional parameters,
//! Swersky et al. 2014), plus the pruning settings and three exact costs of the unpruned
//! network (log parameters, log MACs, log working memory), which the cost model gives for free.

use sparse_core::cost::cost;
use sparse_core::space::{BlockKind, Genome, PoolKind, Pruning, SearchSpace};

/// Pruning method one-hot and threshold.
fn pruning(p: &Pruning) -> [f64; 5] {
    match *p {
        Pruning::None => [1.0, 0.0, 0.0, 0.0, 0.0],
        Pruning::Spvd { log_alpha } => [0.0, 1.0, 0.0, 0.0, log_alpha / 4.0],
        Pruning::Bc { log_alpha } => [0.0, 0.0, 1.0, 0.0, log_alpha / 4.0],
        Pruning::Magnitude { sparsity } => [0.0, 0.0, 0.0, 1.0, sparsity],
    }
}

/// The encoding of `genome` in `space`.
pub(crate) fn encode(genome: &Genome, space: &SearchSpace) -> Vec<f64> {
    let mut v = Vec::new();
    let log_filters = |n: usize| (n as f64).ln() / (space.max_filters.max(2) as f64).ln();
    for slot in 0..space.max_blocks {
        match genome.blocks.get(slot) {
            Some(b) => {
                v.push(1.0);
                v.extend(match b.kind {
                    BlockKind::Conv => [1.0, 0.0, 0.0],
                    BlockKind::Dwconv => [0.0, 1.0, 0.0],
                    BlockKind::Downsample => [0.0, 0.0, 1.0],
                });
                v.push(log_filters(b.filters));
                v.push(b.kernel as f64 / 5.0);
                v.extend(match b.pool {
                    None => [0.0, 0.0],
                    Some(PoolKind::Max) => [1.0, 0.0],
                    Some(PoolKind::Avg) => [0.0, 1.0],
                });
                v.extend(pruning(&b.pruning));
            }
            None => v.extend([0.0; 13]),
        }
    }
    let (_, hi) = space.hidden_units;
    for slot in 0..space.max_hidden {
        match genome.hidden.get(slot) {
            Some(d) => {
                v.push(1.0);
                v.push((d.units as f64).ln() / (hi.max(2) as f64).ln());
                v.extend(pruning(&d.pruning));
            }
            None => v.extend([0.0; 7]),
        }
    }
    v.extend(pruning(&genome.classifier.pruning));
    let report = cost(&genome.architecture(space)).ok();
    let log = |x: u64| (x.max(1) as f64).ln() / 20.0;
    v.extend(match report {
        Some(r) => [log(r.parameters), log(r.macs), log(r.working_memory_bytes)],
        None => [0.0; 3],
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn every_genome_has_the_same_length_and_different_genomes_differ() {
        let space = SearchSpace::sparse([1, 28, 28], 10);
        let mut rng = StdRng::seed_from_u64(1);
        let a = space.sample(&mut rng);
        let b = space.sample(&mut rng);
        let (ea, eb) = (encode(&a, &space), encode(&b, &space));
        assert_eq!(ea.len(), 4 * 13 + 2 * 7 + 5 + 3);
        assert_eq!(ea.len(), eb.len());
        assert_ne!(ea, eb);
        assert!(ea.iter().all(|x| x.is_finite()));
    }
}
