//! The latency model: how long the exported C kernels take for one image on a family of
//! microcontroller cores, estimated per layer from the work the kernels do (weights read,
//! non-zero multiply-accumulates, outputs requantised, pooling windows) priced in cycles per
//! unit of work that `bench/latency/run.sh` fits to measurements under simavr and qemu.
//!
//! AVR figures are CPU cycles (simavr counts them exactly). qemu counts instructions, not
//! cycles, so Cortex-M figures are instructions: a latency at one cycle per instruction, below
//! what the core takes (loads, taken branches and, on a Cortex-M0, some multiplies take more).

mod work;

use crate::cost::CostReport;
use serde::{Deserialize, Serialize};
pub use work::{Work, Workload};
pub(crate) use work::{count_lone_dense_reads, layer_work, specialised};

/// A family of cores that the latency model prices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CoreFamily {
    /// 8-bit AVR (ATmega328P): measured in CPU cycles under simavr.
    Avr,
    /// Armv6-M (Cortex-M0, M0+): measured in instructions under qemu's `microbit`.
    CortexM0,
    /// Armv7E-M (Cortex-M4, and an upper bound for the dual-issue M7): measured in
    /// instructions under qemu's `mps2-an386`.
    CortexM4,
}

impl CoreFamily {
    /// Every family.
    pub const ALL: [CoreFamily; 3] = [Self::Avr, Self::CortexM0, Self::CortexM4];

    /// Its name in the CLI, the JSON and the docs.
    pub fn id(self) -> &'static str {
        match self {
            Self::Avr => "avr",
            Self::CortexM0 => "cortex-m0",
            Self::CortexM4 => "cortex-m4",
        }
    }

    /// The family named `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.id() == id)
    }

    /// Its name in prose.
    pub fn name(self) -> &'static str {
        match self {
            Self::Avr => "AVR",
            Self::CortexM0 => "Cortex-M0",
            Self::CortexM4 => "Cortex-M4",
        }
    }

    /// What its estimates count: `cycles` (AVR) or `instructions` (Cortex-M, where qemu counts
    /// no cycles).
    pub fn unit(self) -> &'static str {
        match self {
            Self::Avr => "cycles",
            Self::CortexM0 | Self::CortexM4 => "instructions",
        }
    }

    /// Cycles (or instructions) per unit of [`Work`], in [`Work::NAMES`] order, for layers
    /// whose code is shared and for layers the compiler specialises; fitted by
    /// `bench/latency/run.sh` (see `docs/deploy.md` for the fit and its error).
    fn prices(self) -> [[f64; Work::KINDS]; 2] {
        match self {
            Self::Avr => AVR_PRICES,
            Self::CortexM0 => CORTEX_M0_PRICES,
            Self::CortexM4 => CORTEX_M4_PRICES,
        }
    }

    /// The cycles (or instructions) of `work`, the work of specialised layers or not.
    pub fn price(self, work: &Work, specialised: bool) -> f64 {
        let prices = self.prices()[usize::from(specialised)];
        work.units()
            .iter()
            .zip(prices)
            .map(|(&units, price)| units as f64 * price)
            .sum()
    }

    /// The cycles (or instructions) of a whole model's `load`.
    pub fn price_load(self, load: &Workload) -> f64 {
        self.price(&load.general, false) + self.price(&load.specialised, true)
    }
}

// Fitted by `bench/latency/run.sh` (its prices.rs): per family, the prices of shared and of
// specialised layers, each in [`Work::NAMES`] order.
const AVR_PRICES: [[f64; Work::KINDS]; 2] = [
    [
        86.327, 131.124, 124.705, 61.861, 105.790, 135.212, 40.397, 104.930, 19.689, 82.848,
        68.698, 750.408, 9.264, 0.000, 796.294, 1525.209,
    ],
    [
        68.121, 121.527, 0.000, 0.000, 167.872, 147.673, 44.918, 104.585, 0.000, 110.799, 62.959,
        814.333, 6.860, 0.000, 661.524, 161.620,
    ],
];
const CORTEX_M0_PRICES: [[f64; Work::KINDS]; 2] = [
    [
        29.721, 34.649, 38.192, 0.000, 16.939, 32.848, 11.467, 23.649, 5.725, 17.220, 10.280,
        121.132, 6.401, 0.000, 10.895, 279.270,
    ],
    [
        21.377, 29.602, 0.000, 0.000, 30.196, 35.399, 10.993, 23.725, 5.770, 17.218, 10.237,
        117.802, 4.815, 0.000, 8.094, 61.151,
    ],
];
const CORTEX_M4_PRICES: [[f64; Work::KINDS]; 2] = [
    [
        27.213, 31.316, 14.024, 2.671, 14.727, 24.654, 10.114, 19.840, 5.614, 14.346, 7.262,
        55.631, 4.847, 0.000, 8.843, 193.707,
    ],
    [
        20.721, 27.356, 1.927, 0.000, 24.862, 30.413, 9.346, 19.128, 5.118, 14.306, 7.893, 39.977,
        4.533, 0.000, 3.175, 64.235,
    ],
];

/// A bound on the estimated latency: at most `max_us` microseconds on a `core` clocked at
/// `clock_hz`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatencyBound {
    /// The core family that runs the model.
    pub core: CoreFamily,
    /// Its clock in Hz.
    pub clock_hz: u64,
    /// The most microseconds one inference may take.
    pub max_us: u64,
}

impl LatencyBound {
    /// The estimated microseconds of `load` under this bound's core and clock, rounded up.
    pub fn microseconds(&self, load: &Workload) -> u64 {
        (self.core.price_load(load) * 1e6 / self.clock_hz.max(1) as f64).ceil() as u64
    }

    /// Whether `load` runs within the bound.
    pub fn allows(&self, load: &Workload) -> bool {
        self.microseconds(load) <= self.max_us
    }
}

/// The estimated time of one inference on a core family.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// The family priced.
    pub core: CoreFamily,
    /// What the counts are: `cycles` or `instructions` (see [`CoreFamily::unit`]).
    pub unit: String,
    /// Per layer, in order.
    pub layers: Vec<u64>,
    /// The whole inference.
    pub total: u64,
}

impl Latency {
    /// Milliseconds at `clock_hz`, one cycle per count.
    pub fn milliseconds(&self, clock_hz: u64) -> f64 {
        self.total as f64 * 1000.0 / clock_hz as f64
    }
}

/// Estimates one inference on `core` of the C export of a network that costs `report`.
pub fn estimate(report: &CostReport, core: CoreFamily) -> Latency {
    let layers: Vec<u64> = report
        .layers
        .iter()
        .map(|l| core.price(&l.work, l.specialised).round() as u64)
        .collect();
    Latency {
        core,
        unit: core.unit().into(),
        total: layers.iter().sum(),
        layers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Architecture;
    use crate::boards::Board;
    use crate::cost::cost;
    use crate::cost::{Budget, Resource};

    fn arch(json: &str) -> Architecture {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn estimates_price_the_work_and_bound_the_search() {
        let a = arch(
            r#"{"input":[1,28,28],"classes":10,"layers":[
                {"conv":{"filters":4,"kernel":3,"stride":2,"padding":"same"}},
                {"maxpool":{"size":2,"stride":2}},{"dense":{"units":10}}]}"#,
        );
        let report = cost(&a).unwrap();
        for core in CoreFamily::ALL {
            let latency = estimate(&report, core);
            assert_eq!(latency.total, latency.layers.iter().sum::<u64>());
            assert!(
                latency.layers.iter().all(|&c| c > 0),
                "{core:?} {latency:?}"
            );
            assert_eq!(CoreFamily::from_id(core.id()), Some(core));
        }
        // The AVR takes far longer than a Cortex-M at the same clock.
        let avr = estimate(&report, CoreFamily::Avr).total;
        assert!(avr > 3 * estimate(&report, CoreFamily::CortexM4).total);
        let uno = Board::preset("arduino-uno").unwrap();
        let ms = uno.latency_ms(&report.workload).unwrap();
        assert!((ms - avr as f64 / 16_000.0).abs() < 0.01, "{ms} {avr}");
        assert_eq!(
            Board::preset("esp32").unwrap().latency_ms(&report.workload),
            None
        );
        assert_eq!(Board::custom(1, 1).latency_ms(&report.workload), None);

        let bound = |max_us| LatencyBound {
            core: CoreFamily::Avr,
            clock_hz: 16_000_000,
            max_us,
        };
        let needed = bound(0).microseconds(&report.workload);
        let roomy = Budget::new(1 << 20, 1 << 20);
        assert!(
            report
                .violations(&roomy.with_latency(bound(needed)))
                .is_empty()
        );
        let v = report.violations(&roomy.with_latency(bound(needed - 1)));
        assert_eq!(v.len(), 1);
        assert_eq!(
            (v[0].resource, v[0].needed, v[0].over_by),
            (Resource::Latency, needed, 1)
        );
    }
}
