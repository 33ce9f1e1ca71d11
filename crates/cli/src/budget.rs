//! `--board ID | --flash-bytes N --sram-bytes N`, with an optional `--max-latency-ms`: the
//! budget options shared by `cost` and `search`.

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use sparse_core::boards::Board;
use sparse_core::cost::{Budget, FlashMeasure};
use sparse_core::latency::{CoreFamily, LatencyBound};

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
    /// The most milliseconds one inference may take, as the latency model estimates it on the
    /// board's core at its clock (see docs/deploy.md for the model and its error).
    #[arg(long, value_name = "MS")]
    max_latency_ms: Option<f64>,
    /// The core family whose latency is estimated, overriding the board's (needed with a
    /// custom budget).
    #[arg(long, value_enum, value_name = "FAMILY")]
    core: Option<CoreArg>,
    /// The core's clock in MHz, overriding the board's (needed with a custom budget).
    #[arg(long, value_name = "MHZ")]
    clock_mhz: Option<f64>,
}

/// `--core` values.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CoreArg {
    /// 8-bit AVR, such as the ATmega328P.
    Avr,
    /// Cortex-M0 or M0+.
    CortexM0,
    /// Cortex-M4 (an upper bound for the M7).
    CortexM4,
}

impl From<CoreArg> for CoreFamily {
    fn from(core: CoreArg) -> Self {
        match core {
            CoreArg::Avr => CoreFamily::Avr,
            CoreArg::CortexM0 => CoreFamily::CortexM0,
            CoreArg::CortexM4 => CoreFamily::CortexM4,
        }
    }
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
    /// The board asked for, if any: a preset, or a custom board with nothing reserved; with
    /// the core and clock given.
    pub fn board(&self) -> anyhow::Result<Option<Board>> {
        let mut board = match (&self.board, self.flash_bytes, self.sram_bytes) {
            (Some(id), _, _) => Board::preset(id).with_context(|| {
                let ids: Vec<String> = Board::presets().into_iter().map(|b| b.id).collect();
                format!("unknown board '{id}' (known: {})", ids.join(", "))
            })?,
            (None, Some(flash), Some(sram)) => Board::custom(flash, sram),
            _ => {
                if self.core.is_some() || self.clock_mhz.is_some() || self.max_latency_ms.is_some()
                {
                    bail!(
                        "--core, --clock-mhz and --max-latency-ms need --board or --flash-bytes/--sram-bytes"
                    );
                }
                return Ok(None);
            }
        };
        if let Some(core) = self.core {
            board.core = Some(core.into());
        }
        if let Some(mhz) = self.clock_mhz {
            if !(mhz.is_finite() && mhz > 0.0 && mhz <= 10_000.0) {
                bail!("--clock-mhz must be a clock between 0 and 10000 MHz, not {mhz}");
            }
            board.clock_hz = (mhz * 1e6).round() as u64;
        }
        Ok(Some(board))
    }

    /// The budget of `board` with the flash measured as asked and the latency bounded if
    /// asked, or why the bound cannot be priced.
    pub fn budget_of(&self, board: &Board) -> anyhow::Result<Budget> {
        let budget = board.budget().measuring_flash_as(match self.flash_measure {
            None | Some(MeasureArg::Export) => FlashMeasure::Export,
            Some(MeasureArg::ModelSize) => FlashMeasure::ModelSize,
        });
        let Some(ms) = self.max_latency_ms else {
            return Ok(budget);
        };
        if !(ms.is_finite() && ms > 0.0) {
            bail!("--max-latency-ms must be a positive number of milliseconds, not {ms}");
        }
        let (Some(core), true) = (board.core, board.clock_hz > 0) else {
            bail!(
                "--max-latency-ms needs a core and a clock: {} has {}; give --core and --clock-mhz",
                board.name,
                match board.core {
                    None => "no latency model",
                    Some(_) => "no clock",
                }
            );
        };
        Ok(budget.with_latency(LatencyBound {
            core,
            clock_hz: board.clock_hz,
            max_us: (ms * 1000.0).round() as u64,
        }))
    }

    /// The budget options given, as their flags.
    pub fn given(&self) -> Vec<&'static str> {
        [
            ("--board", self.board.is_some()),
            ("--flash-bytes", self.flash_bytes.is_some()),
            ("--sram-bytes", self.sram_bytes.is_some()),
            ("--flash-measure", self.flash_measure.is_some()),
            ("--max-latency-ms", self.max_latency_ms.is_some()),
            ("--core", self.core.is_some()),
            ("--clock-mhz", self.clock_mhz.is_some()),
        ]
        .into_iter()
        .filter_map(|(flag, given)| given.then_some(flag))
        .collect()
    }
}
