//! libFuzzer entry for [`sparse_fuzz::model`]: `cargo xtask fuzz model`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sparse_fuzz::model(data));
