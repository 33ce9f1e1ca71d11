//! libFuzzer entry for [`sparse_fuzz::architecture`]: `cargo xtask fuzz architecture`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sparse_fuzz::architecture(data));
