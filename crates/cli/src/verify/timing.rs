//! Latency as an emulated harness measured it, beside the latency model's estimate: the
//! harnesses print `K ticks` (a calibration of known length) and, per timed inference, `T`
//! and the ticks of each layer; this turns them into cycles or instructions.

use serde::Serialize;
use sparse_core::cost::CostReport;
use sparse_core::latency::{CoreFamily, Latency, estimate};

/// How far the calibration may read from its known length.
const CALIBRATION_TOLERANCE: f64 = 0.01;

/// How a harness's ticks become counts.
pub(super) struct Clock {
    /// The family the harness runs on, whose estimate goes beside the measurement.
    pub(super) core: CoreFamily,
    /// Cycles or instructions per tick of its timer.
    pub(super) counts_per_tick: f64,
    /// What its calibration (`K`) lasts, in counts.
    pub(super) calibration_counts: u64,
    /// The clock of the board the milliseconds are for.
    pub(super) board_hz: u64,
    /// That board, in words.
    pub(super) board: &'static str,
}

/// One inference's time on an emulated core, measured and estimated.
#[derive(Debug, Serialize)]
pub(super) struct Timing {
    /// `cycles` (simavr) or `instructions` (qemu, whose clock advances one per instruction
    /// under `-icount shift=0`).
    pub(super) unit: &'static str,
    /// Inferences timed.
    pub(super) inferences: usize,
    /// The fastest, mean and slowest inference.
    pub(super) min: u64,
    pub(super) mean: u64,
    pub(super) max: u64,
    /// The mean of each layer.
    pub(super) layers: Vec<u64>,
    /// What the calibration measured, against its known length `calibration_expected`.
    pub(super) calibration: u64,
    pub(super) calibration_expected: u64,
    /// The latency model's estimate for this core.
    pub(super) estimate: Latency,
    /// (estimate − mean) / mean.
    pub(super) estimate_error: f64,
    /// The board the milliseconds are for, and its clock.
    pub(super) board: &'static str,
    pub(super) clock_hz: u64,
    /// The mean at that clock, one cycle per count, and the estimate's.
    pub(super) latency_ms: f64,
    pub(super) estimated_latency_ms: f64,
}

impl Timing {
    /// The figures of a harness's output `text`, or `None` when it printed no calibration or
    /// no timed inference.
    pub(super) fn parse(text: &str, clock: &Clock, cost: &CostReport) -> Option<Self> {
        let counts = |ticks: &str| -> Option<u64> {
            Some((ticks.parse::<u64>().ok()? as f64 * clock.counts_per_tick).round() as u64)
        };
        let runs: Vec<Vec<u64>> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("T "))
            .map(|l| l.split(' ').filter_map(counts).collect())
            .collect();
        let calibration = text
            .lines()
            .find_map(|l| counts(l.trim().strip_prefix("K ")?))?;
        let layer_count = cost.layers.len();
        if runs.is_empty() || runs.iter().any(|r| r.len() != layer_count) {
            return None;
        }
        let totals: Vec<u64> = runs.iter().map(|r| r.iter().sum()).collect();
        let mean = totals.iter().sum::<u64>() / totals.len() as u64;
        let layers = (0..layer_count)
            .map(|i| runs.iter().map(|r| r[i]).sum::<u64>() / runs.len() as u64)
            .collect();
        let estimate = estimate(cost, clock.core);
        let ms = |count: u64| count as f64 * 1000.0 / clock.board_hz as f64;
        Some(Self {
            unit: clock.core.unit(),
            inferences: runs.len(),
            min: *totals.iter().min().expect("not empty"),
            mean,
            max: *totals.iter().max().expect("not empty"),
            layers,
            calibration,
            calibration_expected: clock.calibration_counts,
            estimate_error: (estimate.total as f64 - mean as f64) / mean.max(1) as f64,
            board: clock.board,
            clock_hz: clock.board_hz,
            latency_ms: ms(mean),
            estimated_latency_ms: ms(estimate.total),
            estimate,
        })
    }

    /// Whether the calibration read its known length to within 1%: the ticks were converted
    /// into the right unit.
    pub(super) fn calibrated(&self) -> bool {
        (self.calibration as f64 - self.calibration_expected as f64).abs()
            <= CALIBRATION_TOLERANCE * self.calibration_expected as f64
    }

    /// The line `verify` prints for it, naming the core.
    pub(super) fn describe(&self, core: &str) -> String {
        format!(
            "{core} inference: {} {} measured (min {}, max {}, {} timed), latency model {} \
             ({:+.1}%); {:.2} ms measured, {:.2} ms estimated at {} MHz ({})",
            self.mean,
            self.unit,
            self.min,
            self.max,
            self.inferences,
            self.estimate.total,
            100.0 * self.estimate_error,
            self.latency_ms,
            self.estimated_latency_ms,
            self.clock_hz as f64 / 1e6,
            self.board
        )
    }
}
