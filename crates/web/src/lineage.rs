//! A candidate's family tree: its ancestors back to the network sampled at random, each with
//! how the next one came from it (a morphism, or training on from its own weights), what was
//! inherited, and its accuracy and size. Built from the records, with the search's own account
//! of each morphism where the search is at hand (a live run); an opened run's records tell the
//! change by comparing architectures. Pure, so it is tested natively.

use sparse_core::{Architecture, TrialRecord};
use sparse_search::Search;
use std::collections::HashMap;

/// One network of a lineage.
#[derive(Clone, Debug, PartialEq)]
pub struct LineageStep {
    /// The trial.
    pub id: u64,
    /// Its validation accuracy, if it trained.
    pub val_accuracy: Option<f64>,
    /// Its model size after pruning, if it trained.
    pub model_size_bytes: Option<u64>,
    /// Epochs its network trained in all.
    pub epochs: Option<usize>,
    /// How it came from the network before it (`None` for the first: sampled at random).
    pub how: Option<String>,
    /// What it inherited from that network.
    pub inherited: Option<String>,
}

/// The lineage of trial `id` in `records`, oldest first, ending with `id` itself; empty if
/// `id` has no record. `search`, when given, names each morphism as it was made.
pub fn lineage(records: &[TrialRecord], id: u64, search: Option<&Search>) -> Vec<LineageStep> {
    let by_id: HashMap<u64, &TrialRecord> = records.iter().map(|r| (r.id, r)).collect();
    let mut chain = Vec::new();
    let mut at = by_id.get(&id).copied();
    // Parents always have smaller ids, so the walk ends; the bound guards a damaged file.
    while let Some(record) = at.filter(|_| chain.len() <= records.len()) {
        chain.push(record);
        at = record
            .parent
            .filter(|&p| p < record.id)
            .and_then(|p| by_id.get(&p).copied());
    }
    chain.reverse();
    let mut steps = Vec::with_capacity(chain.len());
    for (i, record) in chain.iter().enumerate() {
        let parent = i.checked_sub(1).map(|j| chain[j]);
        let (how, inherited) = match parent {
            None => (None, None),
            Some(parent) => {
                let (how, inherited) = relation(parent, record, search);
                (Some(how), Some(inherited))
            }
        };
        steps.push(LineageStep {
            id: record.id,
            val_accuracy: record.val_accuracy,
            model_size_bytes: record.model_size_bytes,
            epochs: record.epochs,
            how,
            inherited,
        });
    }
    steps
}

/// How `child` came from `parent`, and what it inherited.
fn relation(
    parent: &TrialRecord,
    child: &TrialRecord,
    search: Option<&Search>,
) -> (String, String) {
    // The search's own account of the child, with the space its genome is drawn in.
    let asked = search.and_then(|s| {
        let trial = s.trials().get(child.id as usize)?;
        (trial.candidate.id == child.id).then_some((&trial.candidate, s.space()))
    });
    let candidate = asked.map(|(c, _)| c);
    let trained_on = match candidate {
        Some(c) => c.continues,
        // An opened run: the same layers, trained longer.
        None => {
            same_layers(&parent.architecture, &child.architecture) && child.epochs > parent.epochs
        }
    };
    if trained_on {
        let how = match (parent.epochs, child.epochs) {
            (Some(from), Some(to)) => {
                format!("trained on from its weights, {from} → {to} epochs (promoted)")
            }
            _ => "trained on from its weights (promoted)".to_string(),
        };
        return (how, "every weight".into());
    }
    let how = match candidate.and_then(|c| c.morph) {
        Some(kind) => format!("morphed: {}", kind.describe()),
        None => format!(
            "morphed: {}",
            difference(&parent.architecture, &child.architecture)
        ),
    };
    let inherited = match asked {
        Some((c, space)) => {
            let weighted = c
                .genome
                .architecture(space)
                .layers
                .iter()
                .zip(&c.inherits_from)
                .filter(|(layer, _)| !layer.is_pool())
                .map(|(_, from)| from.is_some())
                .collect::<Vec<_>>();
            let kept = weighted.iter().filter(|&&k| k).count();
            format!(
                "the weights of {kept} of its {} layers with weights (where shapes still match)",
                weighted.len()
            )
        }
        None => "the weights of the layers that still match".into(),
    };
    (how, inherited)
}

/// Whether `a` and `b` have the same layers but for what pruning left (densities, and the
/// filters Bayesian Compression removed).
fn same_layers(a: &Architecture, b: &Architecture) -> bool {
    a.layers.len() == b.layers.len()
        && a.layers
            .iter()
            .zip(&b.layers)
            .all(|(x, y)| x.kind() == y.kind())
}

/// The change from `parent` to `child`, in words: the first layer added, removed or changed.
fn difference(parent: &Architecture, child: &Architecture) -> String {
    let before: Vec<String> = parent.layers.iter().map(|l| l.describe()).collect();
    let after: Vec<String> = child.layers.iter().map(|l| l.describe()).collect();
    let first = before
        .iter()
        .zip(&after)
        .position(|(a, b)| a != b)
        .unwrap_or(before.len().min(after.len()));
    match after.len().cmp(&before.len()) {
        std::cmp::Ordering::Greater => format!("added {}", after[first]),
        std::cmp::Ordering::Less => format!("removed {}", before[first]),
        std::cmp::Ordering::Equal if first < before.len() => {
            format!("{} → {}", before[first], after[first])
        }
        std::cmp::Ordering::Equal => "the same layers, pruned differently".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sparse_core::Layer;
    use sparse_core::architecture::{Conv, Dense, Padding};

    fn architecture(filters: &[usize]) -> Architecture {
        let mut layers: Vec<Layer> = filters
            .iter()
            .map(|&f| {
                Layer::Conv(Conv {
                    filters: f,
                    kernel: 3,
                    stride: 1,
                    padding: Padding::Valid,
                    density: None,
                })
            })
            .collect();
        layers.push(Layer::Dense(Dense {
            units: 10,
            density: None,
        }));
        Architecture {
            input: [1, 28, 28],
            classes: 10,
            layers,
        }
    }

    fn record(id: u64, parent: Option<u64>, filters: &[usize], epochs: usize) -> TrialRecord {
        let mut r = TrialRecord::failed(id, architecture(filters), parent, String::new());
        r.status = "trained".into();
        r.val_accuracy = Some(0.9 + id as f64 / 100.0);
        r.model_size_bytes = Some(1000 + id);
        r.epochs = Some(epochs);
        r
    }

    #[test]
    fn an_opened_runs_lineage_is_told_from_its_records() {
        let records = vec![
            record(0, None, &[4], 1),
            record(1, None, &[8], 1),
            record(2, Some(0), &[4, 6], 1),
            record(3, Some(2), &[4, 6], 3),
            record(4, Some(3), &[4, 5], 1),
        ];
        let steps = lineage(&records, 4, None);
        let ids: Vec<u64> = steps.iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![0, 2, 3, 4]);
        assert_eq!(steps[0].how, None);
        assert_eq!(steps[1].how.as_deref(), Some("morphed: added conv 3×3×6"));
        assert_eq!(
            steps[2].how.as_deref(),
            Some("trained on from its weights, 1 → 3 epochs (promoted)")
        );
        assert_eq!(steps[2].inherited.as_deref(), Some("every weight"));
        assert_eq!(
            steps[3].how.as_deref(),
            Some("morphed: conv 3×3×6 → conv 3×3×5")
        );
        assert_eq!(steps[3].val_accuracy, records[4].val_accuracy);
        assert!(lineage(&records, 9, None).is_empty());
    }

    #[test]
    fn a_live_runs_lineage_names_each_morphism_as_the_search_made_it() {
        use sparse_core::boards::Board;
        use sparse_core::space::SearchSpace;
        use sparse_search::{Algorithm, Outcome, Schedule};
        let budget = Board::preset("arduino-uno").unwrap().budget();
        let mut search = Search::new(
            SearchSpace::sparse([1, 28, 28], 10),
            budget,
            Algorithm::evolution(),
            3,
        )
        .with_schedule(Schedule::fixed(1));
        let mut records = Vec::new();
        // Evolution morphs the best of its population once it has one.
        let child = loop {
            let c = search.ask().unwrap();
            let architecture = c.genome.architecture(search.space());
            let mut r = TrialRecord::failed(c.id, architecture, c.parent, String::new());
            r.status = "trained".into();
            r.val_accuracy = Some(0.5);
            r.model_size_bytes = Some(100);
            r.working_memory_bytes = Some(100);
            r.macs = Some(100);
            search.tell(c.id, Outcome::of_record(&r)).unwrap();
            records.push(r);
            if c.morph.is_some() {
                break c;
            }
            assert!(records.len() < 200, "evolution never morphed");
        };
        let steps = lineage(&records, child.id, Some(&search));
        let last = steps.last().unwrap();
        assert_eq!(
            last.how.as_deref(),
            Some(format!("morphed: {}", child.morph.unwrap().describe()).as_str())
        );
        assert!(
            last.inherited
                .as_deref()
                .unwrap()
                .starts_with("the weights of ")
        );
    }
}
