//! MNIST built into the binary, so `--dataset mnist` works anywhere with no download.

use anyhow::Context;
use sparse_core::{Dataset, idx::parse_idx_pair};

const TRAIN_IMAGES: &[u8] = include_bytes!("../../../www/data/mnist/train-images.idx3-ubyte.gz");
const TRAIN_LABELS: &[u8] = include_bytes!("../../../www/data/mnist/train-labels.idx1-ubyte.gz");
const TEST_IMAGES: &[u8] = include_bytes!("../../../www/data/mnist/t10k-images.idx3-ubyte.gz");
const TEST_LABELS: &[u8] = include_bytes!("../../../www/data/mnist/t10k-labels.idx1-ubyte.gz");

/// The 60,000 training and 10,000 test digits.
pub fn load() -> anyhow::Result<(Dataset, Dataset)> {
    let train =
        parse_idx_pair(TRAIN_IMAGES, TRAIN_LABELS).context("built-in MNIST training set")?;
    let test = parse_idx_pair(TEST_IMAGES, TEST_LABELS).context("built-in MNIST test set")?;
    Ok((train, test))
}
