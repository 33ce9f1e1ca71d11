//! Shared by the trainer's MNIST tests: the splits of the MNIST copy the page ships.

use sparse_core::{Dataset, idx::parse_idx_pair};
use std::path::PathBuf;

/// The MNIST split whose files start with `prefix` (`train` or `t10k`), parsed from
/// `www/data/mnist`.
pub fn mnist(prefix: &str) -> Dataset {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../www/data/mnist");
    let read = |kind: &str| std::fs::read(dir.join(format!("{prefix}-{kind}"))).unwrap();
    parse_idx_pair(&read("images.idx3-ubyte.gz"), &read("labels.idx1-ubyte.gz")).unwrap()
}
