//! Microcontroller boards the explorer knows by name: their flash and SRAM, and how much of
//! each the firmware around the model typically keeps for itself (configurable).

use crate::cost::Budget;
use crate::latency::CoreFamily;
use serde::{Deserialize, Serialize};

/// A board's memories and the share its firmware reserves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    /// Lowercase-hyphenated identifier, such as `arduino-uno`.
    pub id: String,
    /// The board's name.
    pub name: String,
    /// Its microcontroller.
    pub mcu: String,
    /// Total flash in bytes.
    pub flash_bytes: u64,
    /// Total SRAM in bytes.
    pub sram_bytes: u64,
    /// Flash kept by the bootloader, runtime and inference code.
    pub reserved_flash_bytes: u64,
    /// SRAM kept by the runtime and the stack.
    pub reserved_sram_bytes: u64,
    /// Where the reservation comes from.
    pub note: String,
    /// The core family its processor belongs to, which the latency model prices (`None`
    /// where there is no model: a custom budget, the ESP32's Xtensa).
    #[serde(default)]
    pub core: Option<CoreFamily>,
    /// Its processor's clock in Hz (0 when unknown).
    #[serde(default)]
    pub clock_hz: u64,
}

const KIB: u64 = 1024;
const MIB: u64 = 1024 * 1024;

impl Board {
    /// The memory left for the model: totals less the reservations.
    pub fn budget(&self) -> Budget {
        Budget::new(
            self.flash_bytes.saturating_sub(self.reserved_flash_bytes),
            self.sram_bytes.saturating_sub(self.reserved_sram_bytes),
        )
    }

    /// A board with the given memories and nothing reserved.
    pub fn custom(flash_bytes: u64, sram_bytes: u64) -> Self {
        Board {
            id: "custom".into(),
            name: "Custom budget".into(),
            mcu: "any".into(),
            flash_bytes,
            sram_bytes,
            reserved_flash_bytes: 0,
            reserved_sram_bytes: 0,
            note: "Exactly the memory given; nothing reserved.".into(),
            core: None,
            clock_hz: 0,
        }
    }

    /// The estimated milliseconds of one inference of a model with workload `load` on this
    /// board, or `None` when the latency model has no figure for its core.
    pub fn latency_ms(&self, load: &crate::latency::Workload) -> Option<f64> {
        let core = self.latency_core()?;
        Some(core.price_load(load) * 1000.0 / self.clock_hz as f64)
    }

    /// Its core family, where the latency model prices it at a known clock.
    pub fn latency_core(&self) -> Option<CoreFamily> {
        self.core.filter(|_| self.clock_hz > 0)
    }

    /// Every preset, smallest first.
    pub fn presets() -> Vec<Board> {
        let board = |id: &str,
                     name: &str,
                     (mcu, core, mhz): (&str, _, u64),
                     flash,
                     sram,
                     rf,
                     rs,
                     note: &str| Board {
            id: id.into(),
            name: name.into(),
            mcu: mcu.into(),
            flash_bytes: flash,
            sram_bytes: sram,
            reserved_flash_bytes: rf,
            reserved_sram_bytes: rs,
            note: note.into(),
            core,
            clock_hz: mhz * 1_000_000,
        };
        use CoreFamily::{Avr, CortexM0, CortexM4};
        vec![
            board(
                "arduino-uno",
                "Arduino Uno",
                ("ATmega328P", Some(Avr), 16),
                32 * KIB,
                2 * KIB,
                5 * KIB,
                256,
                "Optiboot bootloader (512 B) and about 4 KB of code: the exported int8 kernels, \
                 libgcc's 64-bit arithmetic, start-up and a small main (4.1 KB with every \
                 kernel, measured by sparse-explorer verify); 256 B of SRAM for the stack and C \
                 runtime.",
            ),
            board(
                "microbit-v1",
                "BBC micro:bit v1",
                ("nRF51822", Some(CortexM0), 16),
                256 * KIB,
                16 * KIB,
                96 * KIB,
                8 * KIB,
                "Nordic S110 SoftDevice (88 KB flash, 8 KB SRAM) and the runtime.",
            ),
            board(
                "nano33-ble",
                "Arduino Nano 33 BLE Sense",
                ("nRF52840", Some(CortexM4), 64),
                MIB,
                256 * KIB,
                192 * KIB,
                64 * KIB,
                "64 KB bootloader plus Mbed OS (about 128 KB flash, 64 KB SRAM).",
            ),
            board(
                "stm32f746",
                "STM32F746 Discovery",
                ("STM32F746NG", Some(CortexM4), 216),
                MIB,
                320 * KIB,
                32 * KIB,
                16 * KIB,
                "HAL, start-up code and stack. Latency is priced as a Cortex-M4's: the M7 issues two \
                 instructions a cycle, so the estimate is an upper bound.",
            ),
            board(
                "rpi-pico",
                "Raspberry Pi Pico",
                ("RP2040", Some(CortexM0), 125),
                2 * MIB,
                264 * KIB,
                64 * KIB,
                16 * KIB,
                "Second-stage boot loader (256 B), the Pico SDK runtime and stack. Latency is priced \
                 as a Cortex-M0's (the M0+ runs the same instructions) at the SDK's 125 MHz.",
            ),
            board(
                "esp32",
                "ESP32 DevKitC",
                ("ESP32", None, 240),
                4 * MIB,
                520 * KIB,
                3 * MIB + 256 * KIB,
                200 * KIB,
                "Only the 1 MB factory app partition holds the program, of which ESP-IDF takes \
                 about 256 KB; ESP-IDF and IRAM keep about 200 KB of SRAM. Its Xtensa core has \
                 no latency model.",
            ),
        ]
    }

    /// The preset with this id.
    pub fn preset(id: &str) -> Option<Board> {
        Self::presets().into_iter().find(|b| b.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_have_the_published_memories() {
        let mem = |id: &str| {
            let b = Board::preset(id).unwrap();
            (b.flash_bytes, b.sram_bytes)
        };
        assert_eq!(mem("arduino-uno"), (32_768, 2_048));
        assert_eq!(mem("microbit-v1"), (262_144, 16_384));
        assert_eq!(mem("nano33-ble"), (1_048_576, 262_144));
        assert_eq!(mem("stm32f746"), (1_048_576, 327_680));
        assert_eq!(mem("rpi-pico"), (2_097_152, 270_336));
        assert_eq!(mem("esp32"), (4_194_304, 532_480));
        assert!(Board::preset("arduino-mega").is_none());
    }

    #[test]
    fn budget_is_what_the_firmware_leaves() {
        let uno = Board::preset("arduino-uno").unwrap().budget();
        assert_eq!(uno, Budget::new(27_648, 1_792));
        let custom = Board::custom(1000, 100).budget();
        assert_eq!(custom, Budget::new(1000, 100));
        for b in Board::presets() {
            assert!(
                b.budget().flash_bytes > 0 && b.budget().sram_bytes > 0,
                "{}",
                b.id
            );
            assert!(
                b.id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            );
        }
    }
}
