//! libFuzzer entry for [`sparse_fuzz::state`]: `cargo xtask fuzz state`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sparse_fuzz::state(data));
