//! libFuzzer entry for [`sparse_fuzz::csv`]: `cargo xtask fuzz csv`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sparse_fuzz::csv(data));
