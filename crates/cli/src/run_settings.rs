//! `DIR/run.json`: what a search trains on and how (the data, its slices, augmentation, the
//! teacher), beside `state.json`, which holds the search itself (space, budget, optimizer,
//! seed, schedule). `--resume` continues the run these name, and refuses a flag or a dataset
//! that would silently change it.

use crate::dataset::{DatasetArgs, Splits};
use crate::run_folder::write_atomically;
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use sparse_core::Dataset;
use std::path::{Path, PathBuf};

/// The data and training settings of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    /// `--dataset` as given: `mnist` or a path.
    pub dataset: String,
    /// `--test`, when given.
    pub test: Option<PathBuf>,
    /// `--shape`, when given.
    pub shape: Option<String>,
    /// `--train-images`, when given.
    pub train_images: Option<u64>,
    /// `--test-images`, when given.
    pub test_images: Option<u64>,
    /// `--shift`: pixels each training image moves.
    pub shift: usize,
    /// `--teacher`: whether the run distils from a teacher.
    pub teacher: bool,
    /// [`Dataset::fingerprint`]s of the images searched on (validation included) and of the
    /// test images, so a changed file at the same path is noticed.
    pub fingerprints: [u32; 2],
}

/// Where a run keeps its settings.
fn settings_path(dir: &Path) -> PathBuf {
    dir.join("run.json")
}

/// The loaded data of a run: its training images (validation included) and test images.
pub struct RunData {
    /// The images searched on, validation included.
    pub train: Dataset,
    /// The test images.
    pub test: Dataset,
    /// Where the test images came from, in words.
    pub test_source: String,
}

impl RunData {
    /// The fingerprints [`RunSettings`] keeps of this data.
    pub fn fingerprints(&self) -> [u32; 2] {
        [self.train.fingerprint(), self.test.fingerprint()]
    }
}

impl RunSettings {
    /// The dataset options these settings name.
    pub fn dataset_args(&self) -> DatasetArgs {
        DatasetArgs {
            dataset: Some(self.dataset.clone()),
            test: self.test.clone(),
            shape: self.shape.clone(),
        }
    }

    /// Loads the data these settings name, cut to `--train-images` and `--test-images`.
    pub fn load(&self) -> anyhow::Result<RunData> {
        let Splits {
            mut train,
            mut test,
            test_source,
        } = self.dataset_args().load()?;
        if let Some(n) = self.train_images {
            train = train.head(n as usize);
        }
        if let Some(n) = self.test_images {
            test = test.head(n as usize);
        }
        Ok(RunData {
            train,
            test,
            test_source,
        })
    }

    /// The settings saved in run folder `dir`; `None` for a run saved before they were.
    pub fn read(dir: &Path) -> anyhow::Result<Option<Self>> {
        let path = settings_path(dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let settings = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a run's settings", path.display()))?;
        Ok(Some(settings))
    }

    /// Saves these settings in run folder `dir`.
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        write_atomically(&settings_path(dir), &serde_json::to_string_pretty(self)?)
    }

    /// Refuses `data` unless it is the data these settings were saved with.
    pub fn check_same_data(&self, data: &RunData) -> anyhow::Result<()> {
        let [train, test] = data.fingerprints();
        for (what, now, then) in [
            ("training", train, self.fingerprints[0]),
            ("test", test, self.fingerprints[1]),
        ] {
            if now != then {
                bail!(
                    "the {what} images of {} are not those the run started on (their \
                     fingerprint was {then:08x}, it is {now:08x}): resume it on the same data",
                    self.dataset
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sparse_core::ImageShape;

    fn data(first_pixel: u8) -> RunData {
        let shape = ImageShape {
            channels: 1,
            height: 1,
            width: 2,
        };
        let dataset = |p: u8| Dataset::new(shape, vec![p, 1, 2, 3], vec![0, 1]).unwrap();
        RunData {
            train: dataset(first_pixel),
            test: dataset(9),
            test_source: "held out".into(),
        }
    }

    #[test]
    fn settings_round_trip_and_refuse_changed_data() {
        let dir = std::env::temp_dir().join(format!("run-settings-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(RunSettings::read(&dir).unwrap(), None);
        let settings = RunSettings {
            dataset: "digits.csv".into(),
            test: None,
            shape: Some("1x1x2".into()),
            train_images: Some(2),
            test_images: None,
            shift: 2,
            teacher: true,
            fingerprints: data(0).fingerprints(),
        };
        settings.write(&dir).unwrap();
        assert_eq!(RunSettings::read(&dir).unwrap(), Some(settings.clone()));
        settings.check_same_data(&data(0)).unwrap();
        let error = settings.check_same_data(&data(7)).unwrap_err().to_string();
        assert!(
            error.starts_with("the training images of digits.csv are not those the run started on"),
            "{error}"
        );
        std::fs::write(dir.join("run.json"), "{").unwrap();
        let error = RunSettings::read(&dir).unwrap_err().to_string();
        assert!(
            error.ends_with("run.json is not a run's settings"),
            "{error}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
