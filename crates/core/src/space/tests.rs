//! The search space checked: samples that validate and cost sensibly, spaces refused, morphism
//! chains and their inheritance, learnability, downsampling coverage and genome JSON.

use super::morph::inheritance;
use super::*;
use crate::cost::cost;
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

fn mnist() -> SearchSpace {
    SearchSpace::sparse([1, 28, 28], 10)
}

#[test]
fn ten_thousand_samples_all_validate_and_cost_sensibly() {
    let space = mnist();
    let mut rng = StdRng::seed_from_u64(1);
    let mut kinds = std::collections::HashSet::new();
    for _ in 0..10_000 {
        let g = space.sample(&mut rng);
        let arch = g.architecture(&space);
        let report = cost(&arch).unwrap_or_else(|e| panic!("{e}: {arch:?}"));
        assert!(report.model_size_bytes <= report.parameters);
        // The first layer's input counts towards working memory.
        assert!(report.working_memory_bytes >= 28 * 28);
        assert_eq!(g.layer_pruning().len(), arch.layers.len());
        assert!(g.is_learnable(&space), "{arch:?}");
        for l in &arch.layers {
            kinds.insert(l.kind());
        }
    }
    assert_eq!(kinds.len(), 5, "every layer kind is sampled: {kinds:?}");
}

#[test]
fn a_space_no_architecture_accepts_is_refused() {
    // Found by fuzzing a saved search: a kernel of 305 made every draw invalid.
    let mut space = SearchSpace::sparse([1, 4, 4], 2);
    space.kernels = vec![1, 305];
    assert_eq!(space.check().unwrap_err(), "the space's kernels [1, 305]");
    assert!(mnist().check().is_ok());
    let mut wide = mnist();
    wide.max_filters = 1 << 16;
    assert!(wide.check().is_ok());
    wide.input = [1, 280, 280];
    assert!(
        wide.check()
            .unwrap_err()
            .contains("65536 filters on 280×280")
    );
    let mut deep = mnist();
    deep.max_blocks = MAX_DEPTH + 1;
    assert!(deep.check().is_err());
    // The largest image a dataset may hold still gets a space that checks.
    let huge = SearchSpace::sparse([1, 8192, 8192], 10);
    assert_eq!(huge.max_filters, 1);
    assert!(huge.check().is_ok());
}

#[test]
fn morph_chains_stay_valid_and_track_inheritance() {
    let space = mnist();
    let mut rng = StdRng::seed_from_u64(2);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..50 {
        let mut g = space.sample(&mut rng);
        for _ in 0..100 {
            let m = space.morph(&g, &mut rng);
            assert!(m.child.is_valid(&space), "{:?} broke {:?}", m.kind, m.child);
            assert!(
                m.child.is_learnable(&space),
                "{:?} squeezed {:?}",
                m.kind,
                m.child
            );
            let parent_layers = g.architecture(&space).layers;
            let child_layers = m.child.architecture(&space).layers;
            assert_eq!(m.inherits_from.len(), child_layers.len());
            for (c, p) in m.inherits_from.iter().enumerate() {
                if let Some(p) = *p {
                    // Inherited layers keep their kind.
                    assert_eq!(child_layers[c].kind(), parent_layers[p].kind());
                }
            }
            seen.insert(m.kind);
            g = m.child;
        }
    }
    assert_eq!(seen.len(), 10, "every morphism applies somewhere: {seen:?}");
}

#[test]
fn a_layer_narrower_than_the_classes_is_not_learnable() {
    let space = mnist();
    let mut g = space.sample(&mut StdRng::seed_from_u64(4));
    g.hidden.clear();
    g.blocks.truncate(1);
    g.blocks[0] = ConvGene {
        kind: BlockKind::Downsample,
        filters: 1,
        kernel: 5,
        padding: Padding::Same,
        pool: Some(PoolKind::Max),
        ..g.blocks[0].clone()
    };
    // 28 -> 14 -> 7: 49 values.
    assert!(g.is_learnable(&space));
    for pool in [Some(PoolKind::Max), None] {
        let mut next = g.blocks[0].clone();
        next.id = g.fresh_id();
        next.pool = pool;
        g.blocks.push(next);
    }
    // 7 -> 4 -> 2 -> 1: a single value reaches the classifier.
    assert!(g.is_valid(&space));
    assert!(!g.is_learnable(&space));
}

#[test]
fn downsampling_convs_read_every_pixel_in_samples_and_morphs() {
    let space = mnist();
    let mut rng = StdRng::seed_from_u64(3);
    let mut downsampling_kernels = std::collections::HashSet::new();
    for _ in 0..200 {
        let mut g = space.sample(&mut rng);
        for _ in 0..50 {
            for b in &g.blocks {
                if b.kind == BlockKind::Downsample {
                    downsampling_kernels.insert(b.kernel);
                }
            }
            g = space.morph(&g, &mut rng).child;
        }
    }
    let mut seen: Vec<usize> = downsampling_kernels.into_iter().collect();
    seen.sort_unstable();
    assert_eq!(seen, vec![3, 5]);
}

#[test]
fn widening_keeps_the_gene_so_the_layer_inherits() {
    let space = mnist();
    let mut rng = StdRng::seed_from_u64(3);
    let parent = space.sample(&mut rng);
    let mut child = parent.clone();
    child.blocks[0].filters += 1;
    let map = inheritance(&parent, &child);
    assert_eq!(map[0], Some(0));
    assert!(map.iter().all(Option::is_some));
    child.blocks[0].id = child.next_id;
    assert_eq!(inheritance(&parent, &child)[0], None);
}

#[test]
fn genome_json_round_trips() {
    let space = mnist();
    let g = space.sample(&mut StdRng::seed_from_u64(4));
    let json = serde_json::to_string(&g).unwrap();
    assert_eq!(serde_json::from_str::<Genome>(&json).unwrap(), g);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_space_samples_and_morphs_validly(
        seed in any::<u64>(),
        channels in 1usize..4,
        side in 1usize..40,
        classes in 2usize..20,
        max_blocks in 1usize..6,
    ) {
        let mut space = SearchSpace::sparse([channels, side, side], classes);
        space.max_blocks = max_blocks;
        let mut rng = StdRng::seed_from_u64(seed);
        let mut g = space.sample(&mut rng);
        for _ in 0..20 {
            prop_assert!(g.is_valid(&space));
            let report = cost(&g.architecture(&space)).unwrap();
            prop_assert!(report.working_memory_bytes >= (channels * side * side) as u64);
            g = space.morph(&g, &mut rng).child;
        }
    }

    #[test]
    fn any_space_that_checks_samples_and_morphs_validly(
        seed in any::<u64>(),
        channels in 1usize..5,
        side in 1usize..64,
        classes in 1usize..40,
        max_blocks in 1usize..34,
        max_filters in 1usize..70_000,
        kernels in proptest::collection::vec(1usize..66, 1..4),
        max_hidden in 0usize..34,
        fewest in 1usize..50,
        extra in 0usize..1_100_000,
    ) {
        let space = SearchSpace {
            input: [channels, side, side],
            classes,
            max_blocks,
            max_filters,
            kernels,
            max_hidden,
            hidden_units: (fewest, fewest + extra),
        };
        prop_assume!(space.check().is_ok());
        let mut rng = StdRng::seed_from_u64(seed);
        let mut g = space.sample(&mut rng);
        for _ in 0..5 {
            prop_assert!(g.is_valid(&space), "{:?}", g);
            g = space.morph(&g, &mut rng).child;
        }
    }

    #[test]
    fn model_size_never_exceeds_parameters(
        seed in any::<u64>(),
        densities in proptest::collection::vec(0.001f64..=1.0, 12),
    ) {
        let space = mnist();
        let g = space.sample(&mut StdRng::seed_from_u64(seed));
        let mut arch = g.architecture(&space);
        for (layer, d) in arch.layers.iter_mut().zip(densities) {
            match layer {
                Layer::Conv(c) | Layer::Dwconv(c) => c.density = Some(d),
                Layer::Dense(x) => x.density = Some(d),
                _ => {}
            }
        }
        let report = cost(&arch).unwrap();
        prop_assert!(report.model_size_bytes <= report.parameters);
        prop_assert!(report.flash_bytes > 0);
    }
}
