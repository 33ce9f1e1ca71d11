//! `sparse-explorer cost FILE`: prices an architecture description for a microcontroller (its
//! memories and, on a board with a latency model, its estimated latency) and prints one JSON
//! object; `sparse-explorer boards` lists the board presets.

use crate::budget::BudgetArgs;
use anyhow::{Context, bail};
use clap::Args;
use serde_json::json;
use sparse_core::Architecture;
use sparse_core::boards::Board;
use sparse_core::cost::cost;
use sparse_core::latency::estimate;
use std::path::PathBuf;

/// Options of `sparse-explorer cost`.
#[derive(Args)]
pub struct CostArgs {
    /// Architecture description (JSON, see docs/architecture-format.md).
    file: PathBuf,
    /// The budget to check the model against, if any.
    #[command(flatten)]
    budget: BudgetArgs,
    /// Flash the firmware keeps, overriding the board's default reservation.
    #[arg(long, value_name = "N")]
    reserve_flash: Option<u64>,
    /// SRAM the firmware keeps, overriding the board's default reservation.
    #[arg(long, value_name = "N")]
    reserve_sram: Option<u64>,
}

/// The board to check against, if any, with reservations applied.
fn board(args: &CostArgs) -> anyhow::Result<Option<Board>> {
    let mut board = match args.budget.board()? {
        Some(board) => board,
        None => {
            if args.reserve_flash.is_some() || args.reserve_sram.is_some() {
                bail!(
                    "--reserve-flash and --reserve-sram need --board or --flash-bytes/--sram-bytes"
                );
            }
            return Ok(None);
        }
    };
    if let Some(r) = args.reserve_flash {
        board.reserved_flash_bytes = r;
    }
    if let Some(r) = args.reserve_sram {
        board.reserved_sram_bytes = r;
    }
    Ok(Some(board))
}

/// Reads, validates and prices the architecture, then prints the report.
pub fn run(args: CostArgs) -> anyhow::Result<()> {
    let name = args.file.display().to_string();
    let text =
        std::fs::read_to_string(&args.file).with_context(|| format!("cannot read {name}"))?;
    let report = price(&text, &name, &args)?;
    crate::output::print(&serde_json::to_string_pretty(&report)?)
}

/// The report of the architecture described by `text` (named `name` in refusals) against the
/// budget `args` give, if any: what `run` prints.
pub fn price(text: &str, name: &str, args: &CostArgs) -> anyhow::Result<serde_json::Value> {
    let architecture: Architecture = serde_json::from_str(text)
        .with_context(|| format!("{name} is not a valid architecture description"))?;
    let report = cost(&architecture).with_context(|| name.to_string())?;
    let mut out = serde_json::to_value(&report)?;
    if let Some(board) = board(args)? {
        let budget = args.budget.budget_of(&board)?;
        let violations = report.violations(&budget);
        out["latency_ms"] = json!(board.latency_ms(&report.workload));
        if let Some(core) = board.core {
            out["latency"] = serde_json::to_value(estimate(&report, core))?;
        }
        out["board"] = serde_json::to_value(&board)?;
        out["budget"] = serde_json::to_value(budget)?;
        out["fits"] = json!(violations.is_empty());
        out["violations"] = serde_json::to_value(violations)?;
    }
    Ok(out)
}

/// The board presets, each with the budget it leaves.
pub fn board_presets() -> Vec<serde_json::Value> {
    Board::presets()
        .into_iter()
        .map(|b| {
            let budget = b.budget();
            let mut v = serde_json::to_value(&b).expect("boards serialise");
            v["budget"] = serde_json::to_value(budget).expect("budgets serialise");
            v
        })
        .collect()
}

/// Prints the board presets as JSON.
pub fn list_boards() -> anyhow::Result<()> {
    crate::output::print(&serde_json::to_string_pretty(&board_presets())?)
}
