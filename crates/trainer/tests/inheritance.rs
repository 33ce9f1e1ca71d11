//! Weight inheritance: a widened child computes exactly what its parent does, and children made
//! by the search space's morphisms start from a lower loss than freshly initialised ones.

mod common;

use candle_core::{Device, Tensor};
use common::mnist;
use rand::SeedableRng;
use rand::rngs::StdRng;
use sparse_core::architecture::Padding;
use sparse_core::space::{
    BlockKind, ConvGene, DenseGene, Genome, MorphKind, PoolKind, Pruning, SearchSpace,
};
use sparse_core::{Architecture, Dataset};
use sparse_train::{Network, TrainConfig, Trainer};

/// The first `n` images as an input tensor and their labels.
fn batch(data: &Dataset, n: usize) -> (Tensor, Tensor) {
    let pixels: Vec<f32> = (0..n)
        .flat_map(|i| data.image(i).iter().map(|&p| p as f32 / 255.0))
        .collect();
    let labels: Vec<u32> = (0..n).map(|i| data.label(i) as u32).collect();
    (
        Tensor::from_vec(pixels, (n, 1, 28, 28), &Device::Cpu).unwrap(),
        Tensor::from_vec(labels, n, &Device::Cpu).unwrap(),
    )
}

fn loss(net: &Network, x: &Tensor, y: &Tensor) -> f32 {
    candle_nn::loss::cross_entropy(&net.forward(x).unwrap(), y)
        .unwrap()
        .to_scalar()
        .unwrap()
}

#[test]
fn a_widened_child_computes_what_its_parent_does() {
    let parent_arch: Architecture = serde_json::from_str(
        r#"{"input":[1,28,28],"classes":10,"layers":[
          {"conv":{"filters":4,"kernel":3}},{"maxpool":{"size":2,"stride":2}},
          {"dwconv":{"filters":6,"kernel":3}},{"dense":{"units":12}},{"dense":{"units":10}}]}"#,
    )
    .unwrap();
    let mut child_arch = parent_arch.clone();
    let widen = |layer: &mut sparse_core::Layer, n| match layer {
        sparse_core::Layer::Conv(c) | sparse_core::Layer::Dwconv(c) => c.filters = n,
        sparse_core::Layer::Dense(d) => d.units = n,
        _ => unreachable!(),
    };
    widen(&mut child_arch.layers[0], 7);
    widen(&mut child_arch.layers[2], 9);
    widen(&mut child_arch.layers[3], 20);
    let parent = Network::new(&parent_arch, 1, &Device::Cpu).unwrap();
    let child = Network::new(&child_arch, 2, &Device::Cpu).unwrap();
    let map: Vec<Option<usize>> = (0..5).map(Some).collect();
    child.inherit_from(&parent, &map).unwrap();
    let (x, _) = batch(&mnist("train"), 16);
    let a: Vec<f32> = parent
        .forward(&x)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    let b: Vec<f32> = child
        .forward(&x)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    for (p, c) in a.iter().zip(&b) {
        assert!((p - c).abs() < 1e-4, "parent {p}, child {c}");
    }
}

#[test]
fn morphed_children_start_from_a_lower_loss_than_fresh_ones() {
    let data = mnist("train");
    let train = data.head(8_000);
    let space = SearchSpace::sparse([1, 28, 28], 10);
    let mut rng = StdRng::seed_from_u64(21);
    // A parent that trains quickly: conv 3×3×8 + maxpool, dwconv 3×3×12 + avgpool, dense 24.
    let block = |id, kind, filters, pool| ConvGene {
        id,
        kind,
        filters,
        kernel: 3,
        padding: Padding::Valid,
        pool,
        pruning: Pruning::None,
    };
    let parent_genome = Genome {
        blocks: vec![
            block(1, BlockKind::Conv, 8, Some(PoolKind::Max)),
            block(2, BlockKind::Dwconv, 12, Some(PoolKind::Avg)),
        ],
        hidden: vec![DenseGene {
            id: 3,
            units: 24,
            pruning: Pruning::None,
        }],
        classifier: DenseGene {
            id: 0,
            units: 10,
            pruning: Pruning::None,
        },
        next_id: 4,
    };
    let parent_arch = parent_genome.architecture(&space);
    let mut trainer = Trainer::new(&parent_arch, &train, TrainConfig::default()).unwrap();
    while trainer.step(&train).unwrap().is_some() {}
    let (x, y) = batch(&data.head(60_000), 512);
    let parent_loss = loss(trainer.network(), &x, &y);
    assert!(
        parent_loss < 0.8,
        "the parent did not learn: loss {parent_loss}"
    );
    let mut compared = 0;
    for _ in 0..60 {
        let morph = space.morph(&parent_genome, &mut rng);
        if !matches!(
            morph.kind,
            MorphKind::Widen | MorphKind::Narrow | MorphKind::ChangePruning
        ) {
            continue;
        }
        let child_arch = morph.child.architecture(&space);
        let fresh = Network::new(&child_arch, 3, &Device::Cpu).unwrap();
        let fresh_loss = loss(&fresh, &x, &y);
        let inherited = Network::new(&child_arch, 3, &Device::Cpu).unwrap();
        inherited
            .inherit_from(trainer.network(), &morph.inherits_from)
            .unwrap();
        let inherited_loss = loss(&inherited, &x, &y);
        eprintln!(
            "{:?}: parent {parent_loss:.3}, inherited {inherited_loss:.3}, fresh {fresh_loss:.3}",
            morph.kind
        );
        // Narrowing drops channels, so only widening is exact, but any inherited start beats
        // a fresh one.
        assert!(inherited_loss < fresh_loss, "{:?}", morph.kind);
        if morph.kind == MorphKind::Widen || morph.kind == MorphKind::ChangePruning {
            assert!(
                (inherited_loss - parent_loss).abs() < 1e-3,
                "{:?}",
                morph.kind
            );
        }
        compared += 1;
    }
    assert!(compared >= 10, "only {compared} morphs compared");
}
