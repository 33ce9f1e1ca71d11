//! `--board ID | --flash-bytes N --sram-bytes N`: the budget options shared by `cost` and
//! `search`.

use anyhow::Context;
use clap::{Args, ValueEnum};
use sparse_core::boards::Board;
use sparse_core::cost::{Budget, FlashMeasure};

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
    /// What the flash budget bounds: the int8 export's flash (weights in their stored format
    /// plus per-channel constants; the default), or SpArSe's model size (non-zero parameters,
    /// one byte each).
    #[arg(long, value_enum)]
    flash_measure: Option<MeasureArg>,
}

/// `--flash-measure` values.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MeasureArg {
    /// The int8 export's flash bytes.
    Export,
    /// SpArSe's model size (MS).
    ModelSize,
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

    /// The budget of `board` with the flash measured as asked.
    pub fn budget_of(&self, board: &Board) -> Budget {
        board.budget().measuring_flash_as(match self.flash_measure {
            None | Some(MeasureArg::Export) => FlashMeasure::Export,
            Some(MeasureArg::ModelSize) => FlashMeasure::ModelSize,
        })
    }

    /// The budget options given, as their flags.
    pub fn given(&self) -> Vec<&'static str> {
        [
            ("--board", self.board.is_some()),
            ("--flash-bytes", self.flash_bytes.is_some()),
            ("--sram-bytes", self.sram_bytes.is_some()),
            ("--flash-measure", self.flash_measure.is_some()),
        ]
        .into_iter()
        .filter_map(|(flag, given)| given.then_some(flag))
        .collect()
    }
}
