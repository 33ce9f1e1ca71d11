//! `--board ID | --flash-bytes N --sram-bytes N`: the budget options shared by `cost` and
//! `search`.

use anyhow::Context;
use clap::Args;
use sparse_core::boards::Board;

/// A board preset or a custom budget.
#[derive(Args)]
pub struct BudgetArgs {
    /// Board preset (see `sparse-explorer boards`).
    #[arg(long, value_name = "ID", conflicts_with_all = ["flash_bytes", "sram_bytes"])]
    board: Option<String>,
    /// Custom flash budget in bytes (with --sram-bytes).
    #[arg(long, value_name = "N", requires = "sram_bytes")]
    flash_bytes: Option<u64>,
    /// Custom SRAM budget in bytes (with --flash-bytes).
    #[arg(long, value_name = "N", requires = "flash_bytes")]
    sram_bytes: Option<u64>,
}

impl BudgetArgs {
    /// The board asked for, if any: a preset, or a custom board with nothing reserved.
    pub fn board(&self) -> anyhow::Result<Option<Board>> {
        Ok(match (&self.board, self.flash_bytes, self.sram_bytes) {
            (Some(id), _, _) => Some(Board::preset(id).with_context(|| {
                let ids: Vec<String> = Board::presets().into_iter().map(|b| b.id).collect();
                format!("unknown board '{id}' (known: {})", ids.join(", "))
            })?),
            (None, Some(flash), Some(sram)) => Some(Board::custom(flash, sram)),
            _ => None,
        })
    }
}
