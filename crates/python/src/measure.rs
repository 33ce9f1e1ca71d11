//! The cost model and board presets, as `sparse-explorer cost` and `boards` print them.

use crate::args::{Budget, options, parse};
use crate::context::{from_python, to_python};
use crate::value_error;
use pyo3::prelude::*;
use sparse_cli::cost::CostArgs;

/// Prices `architecture` (a dict or the JSON of docs/architecture-format.md) for a
/// microcontroller: model size, working memory, MACs, flash and SRAM, and with a budget
/// (`board`, or `flash_bytes` and `sram_bytes`; the options of `sparse-explorer cost`) the
/// estimated latency, whether it fits and why not. The same dict `sparse-explorer cost`
/// prints.
#[pyfunction]
#[pyo3(signature = (architecture, *, board = None, flash_bytes = None, sram_bytes = None,
    flash_measure = None, max_latency_ms = None, core = None, clock_mhz = None,
    reserve_flash = None, reserve_sram = None))]
#[allow(clippy::too_many_arguments)]
pub fn cost(
    py: Python<'_>,
    architecture: &Bound<'_, PyAny>,
    board: Option<String>,
    flash_bytes: Option<u64>,
    sram_bytes: Option<u64>,
    flash_measure: Option<String>,
    max_latency_ms: Option<f64>,
    core: Option<String>,
    clock_mhz: Option<f64>,
    reserve_flash: Option<u64>,
    reserve_sram: Option<u64>,
) -> PyResult<Py<PyAny>> {
    let architecture: serde_json::Value = from_python(architecture, "JSON")?;
    let budget = Budget {
        board,
        flash_bytes,
        sram_bytes,
        flash_measure,
        max_latency_ms,
        core,
        clock_mhz,
    };
    let mut argv = vec!["architecture".to_string()];
    argv.extend(budget.options());
    argv.extend(options(&[
        ("reserve-flash", reserve_flash.map(|v| v.to_string())),
        ("reserve-sram", reserve_sram.map(|v| v.to_string())),
    ]));
    let args: CostArgs = parse("sparse-explorer cost", &argv).map_err(value_error)?;
    let report = sparse_cli::cost::price(&architecture.to_string(), "the architecture", &args)
        .map_err(value_error)?;
    to_python(py, &report)
}

/// The board presets, as `sparse-explorer boards` lists them: id, name, memories,
/// reservations, core, clock and the budget they leave.
#[pyfunction]
pub fn boards(py: Python<'_>) -> PyResult<Py<PyAny>> {
    to_python(py, &sparse_cli::cost::board_presets())
}
