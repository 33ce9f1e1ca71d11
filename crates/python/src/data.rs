//! `Dataset`: the built-in MNIST, a folder of IDX files or a CSV file, loaded by the CLI's
//! rules (`--dataset`, `--test`, `--shape`), with the same errors.

use crate::context::{TrialContext, dataset};
use crate::value_error;
use anyhow::Context;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyType};
use sparse_cli::dataset::DatasetArgs;

/// Training and test images: `Dataset("mnist")`, `Dataset("digits.csv", test=...,
/// shape="1x8x8")` or `Dataset("folder/of/idx")`, optionally cut to the first
/// `train_images` and `test_images`.
#[pyclass(module = "sparse_explorer._engine", frozen)]
pub struct Dataset {
    pub(crate) train: sparse_core::Dataset,
    pub(crate) test: sparse_core::Dataset,
    test_source: String,
}

#[pymethods]
impl Dataset {
    #[new]
    #[pyo3(signature = (dataset = "mnist", *, test = None, shape = None, train_images = None,
        test_images = None))]
    fn new(
        py: Python<'_>,
        dataset: &str,
        test: Option<std::path::PathBuf>,
        shape: Option<String>,
        train_images: Option<usize>,
        test_images: Option<usize>,
    ) -> PyResult<Self> {
        let args = DatasetArgs {
            dataset: Some(dataset.to_string()),
            test,
            shape,
        };
        let splits = py.detach(|| args.load()).map_err(value_error)?;
        let cut = |data: sparse_core::Dataset, n: Option<usize>| match n {
            Some(n) => data.head(n),
            None => data,
        };
        Ok(Self {
            train: cut(splits.train, train_images),
            test: cut(splits.test, test_images),
            test_source: splits.test_source,
        })
    }

    /// Training images (a sixth of which a search holds out for validation).
    #[getter]
    fn train_len(&self) -> usize {
        self.train.len()
    }

    /// Test images.
    #[getter]
    fn test_len(&self) -> usize {
        self.test.len()
    }

    /// Image shape: (channels, height, width).
    #[getter]
    fn shape(&self) -> (usize, usize, usize) {
        let s = self.train.shape();
        (s.channels, s.height, s.width)
    }

    /// Classes (the highest label plus one, of either split).
    #[getter]
    fn classes(&self) -> usize {
        self.train.classes().max(self.test.classes())
    }

    /// Where the test images came from, in words.
    #[getter]
    fn test_source(&self) -> &str {
        &self.test_source
    }

    /// What a trial on these images needs, as a search of the CLI trains it: a sixth held out
    /// for validation, training seeded by `seed`, images shifted up to `shift` pixels, no
    /// teacher.
    #[pyo3(signature = (*, seed = 0, shift = sparse_search::DEFAULT_SHIFT))]
    fn trial_context(&self, seed: u64, shift: usize) -> PyResult<TrialContext> {
        TrialContext::of(&self.train, &self.test, seed, shift).map_err(value_error)
    }

    /// Pickles as its raw images and labels.
    fn __reduce__(slf: &Bound<'_, Self>) -> PyResult<(Py<PyAny>, Py<PyAny>)> {
        let py = slf.py();
        let d = slf.get();
        let bytes = |b: &[u8]| PyBytes::new(py, b).into_any().unbind();
        let state = (
            d.shape(),
            (d.train.classes(), d.test.classes()),
            [
                bytes(d.train.pixels()),
                bytes(d.train.labels()),
                bytes(d.test.pixels()),
                bytes(d.test.labels()),
            ],
            d.test_source.clone(),
        );
        let restore = slf.get_type().getattr("_restore")?.unbind();
        Ok((restore, state.into_pyobject(py)?.into_any().unbind()))
    }

    /// The dataset `__reduce__` saved.
    #[classmethod]
    fn _restore(
        _cls: &Bound<'_, PyType>,
        shape: (usize, usize, usize),
        classes: (usize, usize),
        parts: Vec<Bound<'_, PyBytes>>,
        test_source: String,
    ) -> PyResult<Self> {
        let [train_pixels, train_labels, test_pixels, test_labels] =
            parts.iter().map(|p| p.as_bytes()).collect::<Vec<_>>()[..]
        else {
            return Err(value_error(anyhow::anyhow!("not a pickled dataset")));
        };
        let shape = [shape.0, shape.1, shape.2];
        let restored = (|| -> anyhow::Result<Self> {
            Ok(Self {
                train: dataset(shape, classes.0, train_pixels, train_labels)?,
                test: dataset(shape, classes.1, test_pixels, test_labels)?,
                test_source,
            })
        })();
        restored
            .context("not a pickled dataset")
            .map_err(value_error)
    }

    fn __repr__(&self) -> String {
        let (c, h, w) = self.shape();
        format!(
            "Dataset({} training and {} test images of {c}x{h}x{w}, {} classes)",
            self.train.len(),
            self.test.len(),
            self.classes()
        )
    }
}
