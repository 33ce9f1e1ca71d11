//! `sparse-explorer largest --board ID`: the largest unpruned architecture of the search space
//! that fits a board, found by random sampling then hill-climbing with network morphisms.
//! It shows what a chip can hold before any pruning.

use anyhow::Context;
use clap::Args;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::json;
use sparse_core::boards::Board;
use sparse_core::cost::{CostReport, cost};
use sparse_core::space::{Genome, SearchSpace};

/// Options of `sparse-explorer largest`.
#[derive(Args)]
pub struct LargestArgs {
    /// Board preset (see `sparse-explorer boards`).
    #[arg(long, value_name = "ID")]
    board: String,
    /// Random architectures to try before climbing.
    #[arg(long, default_value_t = 100_000)]
    samples: usize,
    /// Morphisms to try while climbing.
    #[arg(long, default_value_t = 100_000)]
    steps: usize,
    /// Seed for sampling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// Searches and prints the largest fitting architecture with its cost.
pub fn run(args: LargestArgs) -> anyhow::Result<()> {
    let board = Board::preset(&args.board).with_context(|| {
        format!(
            "unknown board '{}' (see `sparse-explorer boards`)",
            args.board
        )
    })?;
    let budget = board.budget();
    let space = SearchSpace::sparse([1, 28, 28], 10);
    let mut rng = StdRng::seed_from_u64(args.seed);
    let fits = |g: &Genome| -> Option<CostReport> {
        let report = cost(&g.architecture(&space)).ok()?;
        report.violations(&budget).is_empty().then_some(report)
    };
    let mut best: Option<(Genome, CostReport)> = None;
    let consider = |g: Genome, best: &mut Option<(Genome, CostReport)>| {
        if let Some(report) = fits(&g)
            && best
                .as_ref()
                .is_none_or(|(_, b)| report.parameters > b.parameters)
        {
            *best = Some((g, report));
        }
    };
    for _ in 0..args.samples {
        consider(space.sample(&mut rng), &mut best);
    }
    let (start, _) = best
        .clone()
        .context("no sampled architecture fits this board")?;
    let mut current = start;
    for _ in 0..args.steps {
        let child = space.morph(&current, &mut rng).child;
        let before = best.as_ref().map(|(_, r)| r.parameters);
        consider(child, &mut best);
        if best.as_ref().map(|(_, r)| r.parameters) != before {
            current = best.as_ref().expect("just set").0.clone();
        }
    }
    let (genome, report) = best.expect("found above");
    let out = json!({
        "board": board.id,
        "budget": budget,
        "architecture": genome.architecture(&space),
        "parameters": report.parameters,
        "flash_bytes": report.flash_bytes,
        "sram_bytes": report.sram_bytes,
        "macs": report.macs,
    });
    crate::output::print(&serde_json::to_string_pretty(&out)?)?;
    Ok(())
}
