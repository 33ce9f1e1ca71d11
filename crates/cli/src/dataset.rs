//! `--dataset mnist|PATH`: the built-in MNIST, a folder of IDX files, or a CSV file, with its
//! test split from `--test`, the folder, or held out.

use crate::mnist;
use anyhow::{Context, bail};
use clap::Args;
use sparse_core::dataset::TEST_EVERY;
use sparse_core::{Dataset, ImageShape, csv::parse_csv, idx::parse_idx_pair};
use std::path::{Path, PathBuf};

/// The dataset options shared by `train` and `search`.
#[derive(Args, Clone)]
pub struct DatasetArgs {
    /// Dataset: `mnist` (built in, the default), a folder of IDX files (train-images…,
    /// train-labels…, and optionally t10k-… or test-… for the test split), or a CSV file (one
    /// row per image, the label in a column named `label` or else the last).
    #[arg(long, value_name = "mnist|PATH")]
    pub dataset: Option<String>,
    /// A CSV file of test images; without it a folder's test files are used, or every 7th
    /// example is held out.
    #[arg(long, value_name = "PATH")]
    pub test: Option<PathBuf>,
    /// Image shape of CSV rows, as CxHxW, where they are not one square channel.
    #[arg(long, value_name = "CxHxW")]
    pub shape: Option<String>,
}

impl DatasetArgs {
    /// The dataset named: `mnist` unless another was given.
    pub fn name(&self) -> &str {
        self.dataset.as_deref().unwrap_or("mnist")
    }

    /// Loads the dataset these options name.
    pub fn load(&self) -> anyhow::Result<Splits> {
        let shape = self.shape.as_deref().map(parse_shape).transpose()?;
        load(self.name(), self.test.as_deref(), shape)
    }
}

/// Training and test splits, and where the test split came from (for the output).
pub struct Splits {
    /// Training examples.
    pub train: Dataset,
    /// Test examples.
    pub test: Dataset,
    /// Where the test split came from, in words.
    pub test_source: String,
}

/// Parses `--shape CxHxW`.
fn parse_shape(text: &str) -> anyhow::Result<ImageShape> {
    let dims: Vec<usize> = text
        .split(['x', 'X', '×'])
        .map(|d| d.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .ok()
        .filter(|d: &Vec<usize>| d.len() == 3 && d.iter().all(|&v| (1..=65_536).contains(&v)))
        .with_context(|| {
            format!("--shape must look like 1x28x28 (channels x height x width), not '{text}'")
        })?;
    Ok(ImageShape {
        channels: dims[0],
        height: dims[1],
        width: dims[2],
    })
}

/// The file in `dir` whose name starts with one of `prefixes` (gzipped or not).
fn find(dir: &Path, prefixes: &[&str]) -> Option<PathBuf> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| prefixes.iter().any(|pre| n.starts_with(pre)))
        })
        .collect();
    names.sort();
    names.into_iter().next()
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// An IDX pair in `dir` whose names start with `images` and `labels` prefixes.
fn idx_pair(dir: &Path, images: &[&str], labels: &[&str]) -> anyhow::Result<Option<Dataset>> {
    let (Some(i), Some(l)) = (find(dir, images), find(dir, labels)) else {
        return Ok(None);
    };
    let data = parse_idx_pair(&read(&i)?, &read(&l)?)
        .with_context(|| format!("{} and {}", i.display(), l.display()))?;
    Ok(Some(data))
}

fn csv(path: &Path, shape: Option<ImageShape>) -> anyhow::Result<Dataset> {
    let data = parse_csv(&read(path)?, shape).with_context(|| format!("{}", path.display()))?;
    Ok(data)
}

/// Loads `--dataset` (and `--test`, `--shape`).
fn load(dataset: &str, test: Option<&Path>, shape: Option<ImageShape>) -> anyhow::Result<Splits> {
    if dataset == "mnist" {
        let (train, test) = mnist::load()?;
        return Ok(Splits {
            train,
            test,
            test_source: "the MNIST test set".into(),
        });
    }
    let path = Path::new(dataset);
    let (train, folder_test) = if path.is_dir() {
        let train = idx_pair(path, &["train-images"], &["train-labels"])?.with_context(|| {
            format!("{dataset}: no train-images and train-labels IDX files in this folder")
        })?;
        let test = idx_pair(
            path,
            &["t10k-images", "test-images"],
            &["t10k-labels", "test-labels"],
        )?;
        (train, test)
    } else if path.is_file() {
        (csv(path, shape)?, None)
    } else {
        bail!("unknown dataset '{dataset}': give 'mnist', a folder of IDX files or a CSV file");
    };
    let (train, test, test_source) = match (test, folder_test) {
        (Some(file), _) => {
            let test = csv(file, shape)?;
            (train, test, format!("{}", file.display()))
        }
        (None, Some(test)) => (train, test, format!("the test IDX files in {dataset}")),
        (None, None) => {
            let (kept, held) = train.hold_out(TEST_EVERY);
            let source = format!(
                "held out: every {TEST_EVERY}th example ({} images)",
                held.len()
            );
            (kept, held, source)
        }
    };
    if test.shape() != train.shape() {
        bail!(
            "the test images are {:?} but the training images are {:?}",
            test.shape(),
            train.shape()
        );
    }
    if test.is_empty() {
        bail!("the test split is empty");
    }
    Ok(Splits {
        train,
        test,
        test_source,
    })
}
