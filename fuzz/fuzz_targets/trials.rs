//! libFuzzer entry for [`sparse_fuzz::trials`]: `cargo xtask fuzz trials`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sparse_fuzz::trials(data));
