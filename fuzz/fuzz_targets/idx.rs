//! libFuzzer entry for [`sparse_fuzz::idx`]: `cargo xtask fuzz idx`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sparse_fuzz::idx(data));
